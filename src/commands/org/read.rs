//! `--org` for the commands that list: every account's instances, from AWS's index of the
//! organisation where the profile can read it, else one account and region at a time.

use std::collections::HashMap;

use super::{Reach, RoleFor, across, reach};
use crate::aws::org::{IndexError, read_index};
use crate::cli::GlobalArgs;
use crate::config::IndexUse;
use crate::model::instance::InstanceRow;
use crate::model::session::SessionRow;

/// Every instance of every account of the organisation × every region (`--org`), a few at
/// once, with its account; what could not be read, said (the rest is still listed).
pub async fn read_instances(global: &GlobalArgs) -> (Vec<InstanceRow>, Vec<String>) {
    let reach = match reach(global).await {
        Ok(reach) => reach,
        Err(error) => return (Vec::new(), vec![error]),
    };
    let mut errors: Vec<String> = reach
        .accounts
        .iter()
        .filter_map(|a| a.why_not(&reach.wanted))
        .collect();
    match from_index(&reach).await {
        Ok(Some(rows)) => return (sorted(rows), errors),
        Ok(None) => {}
        Err(IndexError::Unavailable(why)) => {
            // Asked for (`always`): said, and nothing else read.
            errors.push(why);
            return (Vec::new(), errors);
        }
        Err(IndexError::Failed(why)) => {
            errors.push(format!("{why}; each account was read instead"));
        }
    }
    let profile = reach.access.profile().to_owned();
    let results = across(&reach, RoleFor::Reading, |config, account, region| {
        let profile = &profile;
        async move {
            let ssm = aws_sdk_ssm::Client::new(&config);
            let ec2 = aws_sdk_ec2::Client::new(&config);
            let mut rows = crate::aws::inventory::fetch(&ssm, &ec2, profile, &region)
                .await
                .map_err(|e| e.to_string())?;
            for row in &mut rows {
                row.account = Some(account.id.clone());
                row.account_name = Some(account.name.clone());
            }
            Ok(rows)
        }
    })
    .await;
    let mut rows = Vec::new();
    for result in results {
        match result {
            Ok(found) => rows.extend(found),
            Err(error) => errors.push(error),
        }
    }
    (sorted(rows), errors)
}

/// Accounts × regions above which `auto` reads the index: below, reading each is quick and
/// tells more (EC2's state, type and tags, the last ping), which the index does not hold.
pub const INDEX_ABOVE_PAIRS: usize = 50;

/// The instances as AWS's index of the organisation lists them, where it is to be read: `None`
/// where it is not (`[org] index = "never"`; or, while `auto`, a small organisation or no
/// index this profile can read: the accounts are then read one by one, as without it).
pub async fn from_index(reach: &Reach) -> Result<Option<Vec<InstanceRow>>, IndexError> {
    let accounts: HashMap<String, String> = reach
        .usable()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let small = accounts.len() * reach.regions.len() <= INDEX_ABOVE_PAIRS;
    if reach.index == IndexUse::Never || (reach.index == IndexUse::Auto && small) {
        return Ok(None);
    }
    let read = read_index(
        reach.access.base(),
        &reach.sync_name,
        &accounts,
        &reach.regions,
        reach.access.profile(),
    )
    .await;
    match read {
        Ok(rows) => Ok(Some(rows)),
        Err(IndexError::Unavailable(why)) if reach.index == IndexUse::Auto => {
            tracing::debug!(%why, "reading each account instead of the organisation's index");
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// By name, then account, as a person looks for them.
fn sorted(mut rows: Vec<InstanceRow>) -> Vec<InstanceRow> {
    rows.sort_by(|a, b| {
        crate::model::format::natural_cmp(&a.name, &b.name)
            .then_with(|| a.account_name.cmp(&b.account_name))
    });
    rows
}

/// Every session of every account × region (`bosun --org sessions`): active ones, or with
/// `history` those that ended; newest first, each with its account.
pub async fn read_sessions(global: &GlobalArgs, history: bool) -> (Vec<SessionRow>, Vec<String>) {
    let reach = match reach(global).await {
        Ok(reach) => reach,
        Err(error) => return (Vec::new(), vec![error]),
    };
    let results = across(&reach, RoleFor::Reading, |config, account, _| async move {
        let ssm = aws_sdk_ssm::Client::new(&config);
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let mut rows = crate::aws::sessions::list(&ssm, &ec2, history).await?;
        for row in &mut rows {
            row.account = Some(account.name.clone());
        }
        Ok(rows)
    })
    .await;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(found) => rows.extend(found),
            Err(error) => errors.push(error),
        }
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.start));
    (rows, errors)
}

/// The active session `session_id` wherever in the organisation it is: its target, owner,
/// and a client of its account and region (as the session role) to end it with.
pub async fn find_session(
    global: &GlobalArgs,
    session_id: &str,
) -> Result<Option<(String, String, aws_sdk_ssm::Client)>, String> {
    let reach = reach(global).await?;
    let results = across(&reach, RoleFor::Acting, |config, _, _| async move {
        let ssm = aws_sdk_ssm::Client::new(&config);
        let found = crate::aws::sessions::active(&ssm, session_id).await?;
        Ok(found.map(|(target, owner)| (target, owner, ssm)))
    })
    .await;
    let mut first_error = None;
    for result in results {
        match result {
            Ok(Some(found)) => return Ok(Some(found)),
            Ok(None) => {}
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(format!("not found where it could be read ({error})")),
        None => Ok(None),
    }
}
