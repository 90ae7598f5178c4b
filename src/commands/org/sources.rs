//! The console's sources under `--org`: an account × region each, named after its account.

use super::Reach;
use crate::aws::org::OrgAccount;

/// How the organisation is reached, once: the way in, its accounts.
pub type ReachOnce = std::sync::Arc<
    dyn Fn() -> futures_util::future::BoxFuture<'static, Result<Reach, String>> + Send + Sync,
>;

/// The console's sources for the organisation: every account (or those `:profile` names, by
/// name or id) × every region, each account as its session role (its inventory role where it
/// has none), labelled by the account's name. The login is read at the first call that finds
/// it; one that fails (not logged in, expired) is said once, in the header, and read again at
/// the next switch (`:region`), so a `bosun login` elsewhere is picked up without a restart.
pub fn org_sources(reach_once: ReachOnce) -> crate::services::sources::SourceFactory {
    use crate::services::sources::{Source, Sources};
    let cell: std::sync::Arc<tokio::sync::OnceCell<Reach>> =
        std::sync::Arc::new(tokio::sync::OnceCell::new());
    std::sync::Arc::new(move |profiles: Vec<String>, regions: Vec<String>| {
        let cell = cell.clone();
        let reach_once = reach_once.clone();
        Box::pin(async move {
            let reach = match cell.get_or_try_init(|| reach_once()).await {
                Ok(reach) => reach,
                Err(error) => {
                    return Sources {
                        sources: Vec::new(),
                        label: format!("organisation: {error}; then :region R reads it again"),
                    };
                }
            };
            let regions = if regions.is_empty() {
                reach.regions.clone()
            } else {
                regions
            };
            // The login's own profile (`--profile org`) names the login, not an account.
            let login_profile = reach.access.profile();
            let profiles: Vec<String> = profiles
                .into_iter()
                .filter(|p| p != login_profile)
                .collect();
            let chosen: Vec<&OrgAccount> = reach
                .accounts
                .iter()
                .filter(|a| a.session_role.is_some() || a.inventory_role.is_some())
                .filter(|a| {
                    profiles.is_empty() || profiles.iter().any(|p| *p == a.name || *p == a.id)
                })
                .collect();
            // Owned, so that the stream's futures borrow nothing of this one.
            let pairs: Vec<(String, String, String, String)> = chosen
                .iter()
                .filter_map(|a| {
                    let role = a.session_role.clone().or(a.inventory_role.clone())?;
                    Some((a.id.clone(), a.name.clone(), role))
                })
                .flat_map(|(id, name, role)| {
                    regions
                        .iter()
                        .map(move |region| (id.clone(), name.clone(), role.clone(), region.clone()))
                })
                .collect();
            // Credentials are asked for by each source's first read, not before: the reads
            // start at once, and an account that refuses is said under the table.
            let sources: Vec<Source> = pairs
                .into_iter()
                .map(|(id, name, role, region)| Source {
                    profile: name,
                    config: reach
                        .access
                        .lazy_config(&id, &role)
                        .to_builder()
                        .region(aws_types::region::Region::new(region))
                        .build(),
                })
                .collect();
            let unusable = reach.accounts.len() - chosen.len();
            Sources {
                label: format!(
                    "organisation: {} of {} accounts{} × {}",
                    chosen.len(),
                    reach.accounts.len(),
                    if unusable > 0 {
                        format!(" ({unusable} without a role bosun may take)")
                    } else {
                        String::new()
                    },
                    regions.join(",")
                ),
                sources,
            }
        })
    })
}
