//! `--org` for the commands, and `bosun accounts`: the profile's SSO login reaching every
//! account of the organisation, the role taken in each, and the regions to read; an account
//! that cannot be used is named with why, and the rest still work.

use std::io::Write;

use futures_util::StreamExt;

use crate::aws::org::{OrgAccount, Portal, RoleChoice, sso_login};
use crate::cli::{AccountsArgs, GlobalArgs};
use crate::config::Config;
use crate::model::instance::InstanceRow;

/// Accounts × regions read at once: enough to hide the latency, few enough per account that
/// an organisation of hundreds is not throttled.
pub const IN_FLIGHT: usize = 16;

/// Whether the command reads the whole organisation: `--org`, or `[org] enabled`.
pub fn wanted(global: &GlobalArgs) -> bool {
    global.org
        || super::load_config(global)
            .map(|c| c.org.enabled)
            .unwrap_or(false)
}

/// The organisation as the login reaches it.
pub struct Reach {
    pub portal: std::sync::Arc<Portal>,
    pub accounts: Vec<OrgAccount>,
    /// The inventory roles wanted, for saying why an account has none.
    pub wanted: Vec<String>,
    /// The regions to read in every account.
    pub regions: Vec<String>,
}

impl Reach {
    /// Accounts the inventory can be read in.
    pub fn usable(&self) -> impl Iterator<Item = &OrgAccount> {
        self.accounts.iter().filter(|a| a.inventory_role.is_some())
    }
}

/// The login, its portal and its accounts, or the sentence that says why not.
pub async fn reach(global: &GlobalArgs) -> Result<Reach, String> {
    let config = super::load_config(global).unwrap_or_else(|_| Config::default());
    let login = sso_login(global.profile.first().map(String::as_str))?;
    // The base configuration gives the endpoint and the HTTP client; its credentials are
    // replaced per account. Its region is the one to read when none is named.
    let base = crate::aws::load_config(
        global.profile.first().map(String::as_str),
        global.region.first().map(String::as_str),
        global.endpoint_url.as_deref(),
    )
    .await;
    let regions = if !global.region.is_empty() {
        global.region.clone()
    } else if !config.regions.is_empty() {
        config.regions.clone()
    } else {
        base.region()
            .map(|r| vec![r.to_string()])
            .unwrap_or_else(|| vec![login.region.clone()])
    };
    let choice = RoleChoice {
        inventory: config.org.inventory_roles.clone(),
        session: config.org.session_roles.clone(),
    };
    Reach::through(&base, login, &choice, regions).await
}

impl Reach {
    /// The organisation `login` reaches through its portal (at `base`'s endpoint).
    async fn through(
        base: &aws_config::SdkConfig,
        login: crate::aws::sso::SsoLogin,
        choice: &RoleChoice,
        regions: Vec<String>,
    ) -> Result<Reach, String> {
        let wanted = choice.resolved(&login).inventory;
        let portal = std::sync::Arc::new(Portal::new(base, login));
        let accounts = portal.accounts(choice).await?;
        Ok(Reach {
            portal,
            accounts,
            wanted,
            regions,
        })
    }
}

/// Every instance of every account of the organisation × every region (`--org`), a few at
/// once, with its account; what could not be read, said (the rest is still listed).
pub async fn read_instances(global: &GlobalArgs) -> (Vec<InstanceRow>, Vec<String>) {
    use futures_util::FutureExt;
    let reach = match reach(global).await {
        Ok(reach) => reach,
        Err(error) => return (Vec::new(), vec![error]),
    };
    let mut errors: Vec<String> = reach
        .accounts
        .iter()
        .filter_map(|a| a.why_not(&reach.wanted))
        .collect();
    let pairs: Vec<(&OrgAccount, &String)> = reach
        .usable()
        .flat_map(|account| reach.regions.iter().map(move |region| (account, region)))
        .collect();
    let profile = reach.portal.login().profile.clone();
    let results: Vec<Result<Vec<InstanceRow>, String>> = futures_util::stream::iter(pairs)
        .map(|(account, region)| {
            let portal = &reach.portal;
            let profile = &profile;
            async move {
                let role = account.inventory_role.as_deref().unwrap_or_default();
                let config = portal.account_config(&account.id, role).await?;
                let config = config
                    .to_builder()
                    .region(aws_types::region::Region::new(region.clone()))
                    .build();
                let ssm = aws_sdk_ssm::Client::new(&config);
                let ec2 = aws_sdk_ec2::Client::new(&config);
                let mut rows = crate::aws::inventory::fetch(&ssm, &ec2, profile, region)
                    .await
                    .map_err(|e| e.to_string())?;
                for row in &mut rows {
                    row.account = Some(account.id.clone());
                    row.account_name = Some(account.name.clone());
                }
                Ok(rows)
            }
            .map(move |result: Result<Vec<InstanceRow>, String>| {
                result.map_err(|e| format!("{} ({})/{region}: {e}", account.name, account.id))
            })
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut rows = Vec::new();
    for result in results {
        match result {
            Ok(found) => rows.extend(found),
            Err(error) => errors.push(error),
        }
    }
    rows.sort_by(|a, b| {
        crate::model::format::natural_cmp(&a.name, &b.name)
            .then_with(|| a.account_name.cmp(&b.account_name))
    });
    (rows, errors)
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
    Reach::through(&base, login, &RoleChoice::default(), regions).await
}

/// `bosun accounts`: each account, the roles taken, and whether credentials could be had.
pub async fn accounts(global: &GlobalArgs, args: &AccountsArgs) -> i32 {
    let reach = match reach(global).await {
        Ok(reach) => reach,
        Err(error) => {
            eprintln!("bosun accounts: {error}");
            return 1;
        }
    };
    // Each usable account's credentials are asked for once, all at once.
    let checks: Vec<Result<(), String>> = futures_util::stream::iter(reach.accounts.iter())
        .map(|account| {
            let portal = &reach.portal;
            let wanted = &reach.wanted;
            async move {
                match &account.inventory_role {
                    Some(role) => portal.account_config(&account.id, role).await.map(|_| ()),
                    None => Err(account.why_not(wanted).unwrap_or_default()),
                }
            }
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        for (account, check) in reach.accounts.iter().zip(&checks) {
            let mut object = serde_json::to_value(account).unwrap_or_default();
            object["credentials"] = serde_json::json!(check.is_ok());
            if let Err(why) = check {
                object["why"] = serde_json::json!(why);
            }
            let _ = writeln!(stdout, "{object}");
        }
    } else {
        let name_width = reach
            .accounts
            .iter()
            .map(|a| a.name.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(
            stdout,
            "{:<12}  {:<name_width$}  {:<16}  {:<16}  CREDENTIALS",
            "ACCOUNT", "NAME", "ROLE", "SESSION ROLE"
        );
        for (account, check) in reach.accounts.iter().zip(&checks) {
            let _ = writeln!(
                stdout,
                "{:<12}  {:<name_width$}  {:<16}  {:<16}  {}",
                account.id,
                account.name,
                account.inventory_role.as_deref().unwrap_or("-"),
                account.session_role.as_deref().unwrap_or("-"),
                match check {
                    Ok(()) => "ok".to_owned(),
                    Err(why) => format!("no: {why}"),
                }
            );
        }
    }
    let failed = checks.iter().filter(|c| c.is_err()).count();
    if failed > 0 {
        eprintln!(
            "bosun accounts: {failed} of {} accounts cannot be read",
            reach.accounts.len()
        );
    }
    i32::from(failed > 0)
}

/// An instance found in an account: its account's configuration, its id, and the account as
/// a person reads it.
type Located = (aws_config::SdkConfig, String, String);

/// Where `target` (an instance id, a Name or `tag:K=V`) lives in the organisation: the
/// configuration of its account, as the session role, in its region, and the instance's id.
/// A name held in several accounts is refused with them named, as a name held twice in one
/// account is.
pub async fn locate(
    global: &GlobalArgs,
    target: &str,
) -> Result<(aws_config::SdkConfig, String), String> {
    use crate::aws::target::{self, TargetError};
    let reach = reach(global).await?;
    let pairs: Vec<(&OrgAccount, &String)> = reach
        .accounts
        .iter()
        .filter(|a| a.session_role.is_some())
        .flat_map(|account| reach.regions.iter().map(move |region| (account, region)))
        .collect();
    let found: Vec<Result<Option<Located>, String>> = futures_util::stream::iter(pairs)
        .map(|(account, region)| {
            let portal = &reach.portal;
            async move {
                let role = account.session_role.as_deref().unwrap_or_default();
                let config = portal
                    .account_config(&account.id, role)
                    .await?
                    .to_builder()
                    .region(aws_types::region::Region::new(region.clone()))
                    .build();
                let ssm = aws_sdk_ssm::Client::new(&config);
                let ec2 = aws_sdk_ec2::Client::new(&config);
                let here = if target::is_instance_id(target) {
                    let answer = ec2
                        .describe_instances()
                        .filters(
                            aws_sdk_ec2::types::Filter::builder()
                                .name("instance-id")
                                .values(target)
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(|e| crate::aws::errors::describe(&e))?;
                    let known = answer
                        .reservations()
                        .iter()
                        .any(|r| !r.instances().is_empty());
                    known.then(|| target.to_owned())
                } else {
                    match target::resolve(&ssm, &ec2, target).await {
                        Ok(id) => Some(id),
                        Err(TargetError::NoMatch { .. }) => None,
                        Err(other) => return Err(other.to_string()),
                    }
                };
                let label = format!("{} ({})", account.name, account.id);
                Ok(here.map(|id| (config, id, label)))
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut hits = Vec::new();
    let mut errors = Vec::new();
    for result in found {
        match result {
            Ok(Some(hit)) => hits.push(hit),
            Ok(None) => {}
            Err(error) => errors.push(error),
        }
    }
    match hits.len() {
        1 => {
            let (config, id, _) = hits.remove(0);
            Ok((config, id))
        }
        0 => Err(format!(
            "no account of the organisation has {target:?} in {}{}",
            reach.regions.join(", "),
            errors
                .first()
                .map(|e| format!(" (and one could not be read: {e})"))
                .unwrap_or_default()
        )),
        _ => Err(format!(
            "{target:?} names instances in {} accounts: {}; use an instance id",
            hits.len(),
            hits.iter()
                .map(|(_, id, label)| format!("{id} in {label}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// How the organisation is reached, once: the login, its portal, its accounts.
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
            let login_profile = &reach.portal.login().profile;
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
            let portal = reach.portal.clone();
            let built: Vec<Option<Source>> = futures_util::stream::iter(pairs)
                .map(move |(id, name, role, region)| {
                    let portal = portal.clone();
                    async move {
                        let config = portal.account_config(&id, &role).await.ok()?;
                        Some(Source {
                            profile: name,
                            config: config
                                .to_builder()
                                .region(aws_types::region::Region::new(region))
                                .build(),
                        })
                    }
                })
                .buffered(IN_FLIGHT)
                .collect()
                .await;
            let sources: Vec<Source> = built.into_iter().flatten().collect();
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

/// `bosun login`: the device authorization of the profile's (or `--sso-session`'s) portal,
/// the token written where the AWS CLI keeps it. Exit 0 when logged in, 1 when not.
pub async fn login(global: &GlobalArgs, args: &crate::cli::LoginArgs) -> i32 {
    use std::io::IsTerminal;
    let settings = match crate::aws::sso::settings(
        global.profile.first().map(String::as_str),
        args.sso_session.as_deref(),
    ) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("bosun login: {error}");
            return 2;
        }
    };
    let base = crate::aws::load_config(
        global.profile.first().map(String::as_str),
        Some(&settings.region),
        global.endpoint_url.as_deref(),
    )
    .await;
    let open_browser = !args.no_browser && std::io::stdout().is_terminal();
    let shown = crate::aws::sso::device_login(&base, &settings, |device| {
        let url = device
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&device.verification_uri);
        println!("To log in to {}, open", settings.start_url);
        println!("  {url}");
        println!("and check that it shows the code {}", device.user_code);
        if open_browser {
            open_in_browser(url);
        }
    })
    .await;
    match shown {
        Ok(expires) => {
            let left = expires
                .duration_since(std::time::SystemTime::now())
                .map_or(0, |d| d.as_secs());
            println!(
                "Logged in to {} for {} (the AWS CLI and the SDKs use this login too)",
                settings.start_url,
                crate::model::format::age(left)
            );
            0
        }
        Err(error) => {
            eprintln!("bosun login: {error}");
            1
        }
    }
}

/// Opens `url` in the user's browser, quietly: the URL is printed either way.
fn open_in_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
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
