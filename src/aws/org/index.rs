//! AWS's own index of the organisation's managed nodes: where the profile is Systems
//! Manager's delegated administrator and Quick Setup's resource data sync
//! (`AWS-QuickSetup-ManagedNode`) exists, `ListNodes` with the sync's name answers every node of
//! every account and region. A page holds at most 50, so the listing is cut into shards (an
//! account and up to five regions each, as the filters allow) read side by side. The index
//! knows no EC2 state, tags or instance type; a node is named by its Name where the index
//! gives one, else by its host name.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_ssm::types::{NodeFilter, NodeFilterKey, NodeFilterOperatorType};
use futures_util::StreamExt;

use crate::model::instance::{InstanceRow, Ping};

/// Shards read at once: the index answers from one account, so this is one caller's rate.
pub const SHARDS_IN_FLIGHT: usize = 32;

/// A filter takes at most five values.
const VALUES_PER_FILTER: usize = 5;

/// Why the index was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexError {
    /// The profile cannot read it (no such sync, not the delegated administrator, denied):
    /// the accounts are read one by one instead.
    Unavailable(String),
    /// It was there and then failed.
    Failed(String),
}

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexError::Unavailable(why) | IndexError::Failed(why) => f.write_str(why),
        }
    }
}

/// Whether `base` can read the index `sync_name`, in one small call.
pub async fn probe_index(base: &SdkConfig, sync_name: &str) -> Result<(), IndexError> {
    aws_sdk_ssm::Client::new(base)
        .list_nodes()
        .sync_name(sync_name)
        .max_results(1)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            IndexError::Unavailable(format!(
                "the organisation's index {sync_name} cannot be read: {}",
                crate::aws::errors::describe(&e)
            ))
        })
}

/// Every node of `accounts` (id → name) in `regions`, read from the index `sync_name`
/// through `base` (the delegated administrator's configuration, in the index's region).
/// `profile` is what the rows say they were read through.
pub async fn read_index(
    base: &SdkConfig,
    sync_name: &str,
    accounts: &HashMap<String, String>,
    regions: &[String],
    profile: &str,
) -> Result<Vec<InstanceRow>, IndexError> {
    // One small call first: most profiles have no index, and that costs one call to learn.
    probe_index(base, sync_name).await?;
    let ssm = aws_sdk_ssm::Client::new(base);
    let mut ids: Vec<&String> = accounts.keys().collect();
    ids.sort();
    let shards: Vec<(&String, &[String])> = ids
        .iter()
        .flat_map(|id| {
            regions
                .chunks(VALUES_PER_FILTER)
                .map(move |chunk| (*id, chunk))
        })
        .collect();
    let pages: Vec<Result<Vec<InstanceRow>, IndexError>> = futures_util::stream::iter(shards)
        .map(|(account, regions)| {
            let ssm = &ssm;
            async move {
                let mut rows = Vec::new();
                let mut pages = ssm
                    .list_nodes()
                    .sync_name(sync_name)
                    .set_filters(Some(
                        [
                            filter(NodeFilterKey::AccountId, [account.clone()]),
                            filter(NodeFilterKey::Region, regions.iter().cloned()),
                        ]
                        .into_iter()
                        .flatten()
                        .collect(),
                    ))
                    .max_results(50)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| {
                        IndexError::Failed(format!(
                            "the organisation's index failed for account {account}: {}",
                            crate::aws::errors::describe(&e)
                        ))
                    })?;
                    rows.extend(page.nodes().iter().filter_map(|node| row(node, profile)));
                }
                Ok(rows)
            }
        })
        .buffer_unordered(SHARDS_IN_FLIGHT)
        .collect()
        .await;
    let mut rows = Vec::new();
    for page in pages {
        rows.extend(page?);
    }
    for row in &mut rows {
        if let Some(account) = &row.account {
            row.account_name = accounts.get(account).cloned();
        }
    }
    Ok(rows)
}

/// `key` equal to one of `values` (`None` without values: the filter would be refused).
fn filter(key: NodeFilterKey, values: impl IntoIterator<Item = String>) -> Option<NodeFilter> {
    let mut builder = NodeFilter::builder()
        .key(key)
        .r#type(NodeFilterOperatorType::Equal);
    for value in values {
        builder = builder.values(value);
    }
    builder.build().ok()
}

/// One node as a row of the fleet.
fn row(node: &aws_sdk_ssm::types::Node, profile: &str) -> Option<InstanceRow> {
    let id = node.id()?;
    let info = node.node_type()?.as_instance().ok()?;
    let managed = info
        .managed_status()
        .is_none_or(|s| s.as_str() != "Unmanaged");
    let ping = match info.instance_status() {
        _ if !managed => Ping::NotManaged,
        // The index says Active for an agent that pings.
        Some("Active") => Ping::Online,
        Some(other) => Ping::from_ssm(other),
        None => Ping::ConnectionLost,
    };
    let mut row = InstanceRow::bare(id, ping, profile, node.region().unwrap_or_default());
    row.name = info
        .name()
        .or(info.computer_name())
        .unwrap_or_default()
        .to_owned();
    row.agent_version = info.agent_version().map(str::to_owned);
    row.platform = info
        .platform_type()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    row.platform_name = info.platform_name().map(str::to_owned);
    row.private_ip = info.ip_address().map(str::to_owned);
    row.availability_zone = info.availability_zone().map(str::to_owned);
    row.account = node.owner().and_then(|o| o.account_id()).map(str::to_owned);
    Some(row)
}

/// The account and region of node `id`, from the index: one call instead of one per account
/// and region. `Ok(None)` when the index does not know it.
pub async fn find_in_index(
    base: &SdkConfig,
    sync_name: &str,
    id: &str,
) -> Result<Option<(String, String)>, IndexError> {
    let answer = aws_sdk_ssm::Client::new(base)
        .list_nodes()
        .sync_name(sync_name)
        .set_filters(filter(NodeFilterKey::InstanceId, [id.to_owned()]).map(|f| vec![f]))
        .send()
        .await
        .map_err(|e| IndexError::Unavailable(crate::aws::errors::describe(&e)))?;
    Ok(answer.nodes().iter().find_map(|node| {
        let account = node.owner()?.account_id()?.to_owned();
        Some((account, node.region()?.to_owned()))
    }))
}
