//! `--org` for the commands that list: every account's instances, from AWS's index of the
//! organisation where the profile can read it, else one account and region at a time.

use futures_util::StreamExt;

use std::collections::HashMap;

use super::{IN_FLIGHT, Reach, reach};
use crate::aws::org::{IndexError, OrgAccount, read_index};
use crate::cli::GlobalArgs;
use crate::config::IndexUse;
use crate::model::instance::InstanceRow;

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
    let pairs: Vec<(&OrgAccount, &String)> = reach
        .usable()
        .flat_map(|account| reach.regions.iter().map(move |region| (account, region)))
        .collect();
    let profile = reach.access.profile().to_owned();
    let results: Vec<Result<Vec<InstanceRow>, String>> = futures_util::stream::iter(pairs)
        .map(|(account, region)| {
            let access = &reach.access;
            let profile = &profile;
            async move {
                let role = account.inventory_role.as_deref().unwrap_or_default();
                let config = access.account_config(&account.id, role).await?;
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
