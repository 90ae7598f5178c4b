//! `--org` for the commands: the organisation as the profile reaches it (an SSO login's
//! portal, or Organizations from the management account), the role taken in each account,
//! the regions to read, and whether AWS's index of its nodes is used; an account that cannot
//! be used is named with why, and the rest still work.

mod accounts;
mod locate;
mod read;
mod sources;

pub use accounts::{accounts, login};
pub use locate::{account_config, locate, locate_container};
pub use read::{find_session, read_instances, read_sessions};
pub use sources::{ReachOnce, org_sources};

use crate::aws::org::{Access, OrgAccount, RoleChoice};
use crate::cli::GlobalArgs;
use crate::config::{Config, IndexUse};

/// Accounts × regions read at once: enough to hide the latency, few enough per account that
/// an organisation of hundreds is not throttled (each account × region has two calls in
/// flight at most).
pub const IN_FLIGHT: usize = 32;

/// Whether the command reads the whole organisation: `--org`, or `[org] enabled`.
pub fn wanted(global: &GlobalArgs) -> bool {
    global.org
        || super::load_config(global)
            .map(|c| c.org.enabled)
            .unwrap_or(false)
}

/// The organisation as the profile reaches it.
pub struct Reach {
    pub access: std::sync::Arc<Access>,
    pub accounts: Vec<OrgAccount>,
    /// The inventory roles wanted, for saying why an account has none.
    pub wanted: Vec<String>,
    /// The regions to read in every account.
    pub regions: Vec<String>,
    /// Whether to read AWS's index of the organisation's nodes, and its name.
    pub index: IndexUse,
    pub sync_name: String,
}

impl Reach {
    /// Accounts the inventory can be read in.
    pub fn usable(&self) -> impl Iterator<Item = &OrgAccount> {
        self.accounts.iter().filter(|a| a.inventory_role.is_some())
    }
}

/// The organisation, its accounts and how each is reached, or the sentence that says why not:
/// through the profile's SSO login where it has one, else through Organizations with the
/// profile's own credentials.
pub async fn reach(global: &GlobalArgs) -> Result<Reach, String> {
    let config = super::load_config(global).unwrap_or_else(|_| Config::default());
    let profile = global.profile.first().map(String::as_str);
    // The base configuration gives the endpoint and the HTTP client; its credentials are
    // replaced per account. Its region is the one to read when none is named.
    let base = crate::aws::load_config(
        profile,
        global.region.first().map(String::as_str),
        global.endpoint_url.as_deref(),
    )
    .await;
    let (access, home_region) = if crate::aws::sso::settings(profile, None).is_ok() {
        let login = crate::aws::org::sso_login(profile)?;
        let home_region = login.region.clone();
        (Access::through_sso(&base, login), home_region)
    } else {
        let name = profile
            .map(str::to_owned)
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .unwrap_or_else(|| "default".to_owned());
        let role = config
            .org
            .assume_role
            .as_deref()
            .unwrap_or(crate::aws::org::DEFAULT_ASSUME_ROLE);
        let access = Access::through_organizations(&base, &name, role).await?;
        (access, "us-east-1".to_owned())
    };
    let regions = if !global.region.is_empty() {
        global.region.clone()
    } else if !config.regions.is_empty() {
        config.regions.clone()
    } else {
        base.region()
            .map(|r| vec![r.to_string()])
            .unwrap_or_else(|| vec![home_region])
    };
    let choice = RoleChoice {
        inventory: config.org.inventory_roles.clone(),
        session: config.org.session_roles.clone(),
    };
    let mut reach = Reach::through(access, &choice, regions).await?;
    reach.index = config.org.index;
    if let Some(name) = &config.org.sync_name {
        reach.sync_name = name.clone();
    }
    Ok(reach)
}

impl Reach {
    /// The organisation as `access` lists it.
    async fn through(
        access: Access,
        choice: &RoleChoice,
        regions: Vec<String>,
    ) -> Result<Reach, String> {
        let wanted = access.resolved(choice).inventory;
        let access = std::sync::Arc::new(access);
        let accounts = access.accounts(choice).await?;
        Ok(Reach {
            access,
            accounts,
            wanted,
            regions,
            index: IndexUse::Auto,
            sync_name: crate::aws::org::NODE_SYNC.to_owned(),
        })
    }
}

/// Which of an account's roles a read takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleFor {
    /// Listing: the inventory role.
    Reading,
    /// Acting (sessions, terminating them): the session role.
    Acting,
}

/// `work` in every account that has the role × every region, `IN_FLIGHT` at a time, each
/// given the account's configuration in the region; what failed is said with the account and
/// region it was in.
pub async fn across<T, F, Fut>(reach: &Reach, role: RoleFor, work: F) -> Vec<Result<T, String>>
where
    F: Fn(aws_config::SdkConfig, OrgAccount, String) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    use futures_util::StreamExt;
    let role_of = |account: &OrgAccount| match role {
        RoleFor::Reading => account.inventory_role.clone(),
        RoleFor::Acting => account.session_role.clone(),
    };
    let pairs: Vec<(&OrgAccount, String, &String)> = reach
        .accounts
        .iter()
        .filter_map(|account| Some((account, role_of(account)?)))
        .flat_map(|(account, role)| {
            reach
                .regions
                .iter()
                .map(move |region| (account, role.clone(), region))
        })
        .collect();
    let work = &work;
    futures_util::stream::iter(pairs)
        .map(|(account, role, region)| async move {
            let result = match reach.access.account_config(&account.id, &role).await {
                Ok(config) => {
                    let config = config
                        .to_builder()
                        .region(aws_types::region::Region::new(region.clone()))
                        .build();
                    work(config, account.clone(), region.clone()).await
                }
                Err(error) => Err(error),
            };
            result.map_err(|e| format!("{} ({})/{region}: {e}", account.name, account.id))
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await
}

/// The demo's organisation, reached through its simulator's portal directly (no files: the
/// demo writes nothing to the user's AWS login cache).
pub async fn demo_reach(
    endpoint: &str,
    keys: &(String, String),
    start_url: String,
    token: String,
) -> Result<Reach, String> {
    let base = crate::aws::sim_config(endpoint, "us-east-1", &keys.0, &keys.1).await;
    let login = crate::aws::sso::SsoLogin {
        profile: "demo".to_owned(),
        start_url,
        region: "us-east-1".to_owned(),
        token,
        expires: std::time::SystemTime::now() + std::time::Duration::from_secs(8 * 3600),
        profile_role: None,
    };
    let regions = vec!["us-east-1".to_owned(), "eu-west-1".to_owned()];
    Reach::through(
        Access::through_sso(&base, login),
        &RoleChoice::default(),
        regions,
    )
    .await
}

/// Why a one-instance command has no configuration: a sentence for it to say (with its own
/// name), or a status after the sentence already said.
pub enum NoConfig {
    ToSay(String),
    Said(i32),
}

/// The configuration a one-instance command works with, and the instance id when `in_org`
/// found it: the account holding `target` (as its session role), or else the command's one
/// region, as before `--org`.
pub async fn config_for(
    global: &GlobalArgs,
    target: &str,
    command: &str,
    in_org: bool,
) -> Result<(aws_config::SdkConfig, Option<String>), NoConfig> {
    if in_org {
        let (config, id) = locate(global, target).await.map_err(NoConfig::ToSay)?;
        return Ok((config, Some(id)));
    }
    let config = super::regional_config(global, command)
        .await
        .map_err(NoConfig::Said)?;
    Ok((config, None))
}
