//! `bosun accounts` (each account, the role taken, whether credentials could be had) and
//! `bosun login` (SSO's device authorization, the token cached as the AWS CLI caches it).

use std::io::Write;

use futures_util::StreamExt;

use super::read::INDEX_ABOVE_PAIRS;
use super::{IN_FLIGHT, Reach, reach};
use crate::aws::org::{OrgAccount, probe_index};
use crate::cli::{AccountsArgs, GlobalArgs};
use crate::config::IndexUse;

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
            let access = &reach.access;
            let wanted = &reach.wanted;
            async move {
                match &account.inventory_role {
                    Some(role) => access.account_config(&account.id, role).await.map(|_| ()),
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
        let width = |column: &dyn Fn(&OrgAccount) -> Option<&str>, title: &str| {
            reach
                .accounts
                .iter()
                .map(|a| column(a).unwrap_or("-").chars().count())
                .chain([title.len()])
                .max()
                .unwrap_or(title.len())
        };
        let name_width = width(&|a| Some(&a.name), "NAME");
        let role_width = width(&|a| a.inventory_role.as_deref(), "ROLE");
        let session_width = width(&|a| a.session_role.as_deref(), "SESSION ROLE");
        let _ = writeln!(
            stdout,
            "{:<12}  {:<name_width$}  {:<role_width$}  {:<session_width$}  CREDENTIALS",
            "ACCOUNT", "NAME", "ROLE", "SESSION ROLE"
        );
        for (account, check) in reach.accounts.iter().zip(&checks) {
            let _ = writeln!(
                stdout,
                "{:<12}  {:<name_width$}  {:<role_width$}  {:<session_width$}  {}",
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
        let _ = writeln!(
            stdout,
            "\nInstances are read {}",
            instances_read(&reach).await
        );
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

/// How `--org` reads the instances: through the index, or one account and region at a time
/// (and why not the index).
async fn instances_read(reach: &Reach) -> String {
    let pairs = reach.usable().count() * reach.regions.len();
    let each = format!("from each account and region ({pairs} pairs, {IN_FLIGHT} at a time)");
    if reach.index == IndexUse::Never {
        return format!("{each}: [org] index = \"never\"");
    }
    match probe_index(reach.access.base(), &reach.sync_name).await {
        Ok(()) if reach.index == IndexUse::Auto && pairs <= INDEX_ABOVE_PAIRS => format!(
            "{each}; the index {} is there too, and is read above {INDEX_ABOVE_PAIRS} pairs or with [org] index = \"always\"",
            reach.sync_name
        ),
        Ok(()) => format!(
            "through AWS's index of the organisation's nodes, {} (one account's calls for all)",
            reach.sync_name
        ),
        Err(why) => format!("{each}: {why}"),
    }
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
