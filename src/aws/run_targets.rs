//! Run Command's TARGETING for `bosun run`: `--instance` ids and `--tag KEY=VALUE` filters
//! resolved to managed instances (SSM: managed, ping status, platform) with their names and
//! tags from EC2 (environment and team for the blast radius).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ssm::types::InstanceInformationStringFilter;

use super::sdk::short_error;
use crate::model::run::RunTarget;

/// DescribeInstanceInformation's InstanceIds filter takes at most 50 values per call.
const IDS_PER_CALL: usize = 50;

/// Why the targets could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunTargetError {
    #[error("not managed by SSM in this region: {0}")]
    NotManaged(String),
    #[error("{api} failed: {message}")]
    Api { api: &'static str, message: String },
    #[error("bad filter: {0}")]
    Filter(String),
}

/// The managed instances that match `instances` (ids) and `tags` (ANDed), sorted by name
/// then id. Every id given must be managed in this region.
pub async fn resolve(
    ssm: &aws_sdk_ssm::Client,
    ec2: &aws_sdk_ec2::Client,
    instances: &[String],
    tags: &[(String, String)],
) -> Result<Vec<RunTarget>, RunTargetError> {
    let mut ping: HashMap<String, Managed> = HashMap::new();
    let mut filters: Vec<InstanceInformationStringFilter> = Vec::new();
    for (key, value) in tags {
        filters.push(
            InstanceInformationStringFilter::builder()
                .key(format!("tag:{key}"))
                .values(value)
                .build()
                .map_err(|e| RunTargetError::Filter(e.to_string()))?,
        );
    }
    let id_groups: Vec<Vec<String>> = if instances.is_empty() {
        vec![Vec::new()]
    } else {
        instances
            .chunks(IDS_PER_CALL)
            .map(<[String]>::to_vec)
            .collect()
    };
    for ids in id_groups {
        let mut request = ssm
            .describe_instance_information()
            .set_filters(Some(filters.clone()))
            .max_results(50);
        if !ids.is_empty() {
            request = request.filters(
                InstanceInformationStringFilter::builder()
                    .key("InstanceIds")
                    .set_values(Some(ids))
                    .build()
                    .map_err(|e| RunTargetError::Filter(e.to_string()))?,
            );
        }
        let mut pages = request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| RunTargetError::Api {
                api: "DescribeInstanceInformation",
                message: short_error(&error),
            })?;
            for info in page.instance_information_list() {
                if let Some(id) = info.instance_id() {
                    let managed = Managed {
                        online: info.ping_status().map(|p| p.as_str()) == Some("Online"),
                        windows: info.platform_type().map(|p| p.as_str()) == Some("Windows"),
                        private_ip: info.ip_address().unwrap_or_default().to_owned(),
                    };
                    ping.insert(id.to_owned(), managed);
                }
            }
        }
    }
    let unknown: Vec<&str> = instances
        .iter()
        .filter(|id| !ping.contains_key(*id))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(RunTargetError::NotManaged(unknown.join(", ")));
    }
    let mut facts_of = ec2_facts(ec2, &ping).await?;
    let mut targets: Vec<RunTarget> = ping
        .into_iter()
        .map(|(id, managed)| {
            let facts = facts_of.remove(&id).unwrap_or_default();
            let tag = |key: &str| facts.tags.get(key).cloned().unwrap_or_default();
            RunTarget {
                name: tag("Name"),
                environment: tag("Environment"),
                team: tag("Team"),
                id,
                windows: managed.windows,
                online: managed.online,
                private_ip: managed.private_ip,
                az: facts.az,
            }
        })
        .collect();
    targets.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Ok(targets)
}

/// What SSM says of a managed instance.
struct Managed {
    online: bool,
    windows: bool,
    private_ip: String,
}

/// What EC2 says of an instance: its tags and availability zone.
#[derive(Default)]
struct Ec2Facts {
    tags: BTreeMap<String, String>,
    az: String,
}

/// Names, tags and zones from EC2, where there are any (hybrid mi- nodes have none).
async fn ec2_facts(
    ec2: &aws_sdk_ec2::Client,
    managed: &HashMap<String, Managed>,
) -> Result<HashMap<String, Ec2Facts>, RunTargetError> {
    let mut facts: HashMap<String, Ec2Facts> = HashMap::new();
    let ids: Vec<String> = managed
        .keys()
        .filter(|id| id.starts_with("i-"))
        .cloned()
        .collect();
    for ids in ids.chunks(200) {
        let mut pages = ec2
            .describe_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| RunTargetError::Api {
                api: "DescribeInstances",
                message: short_error(&error),
            })?;
            for instance in page.reservations().iter().flat_map(|r| r.instances()) {
                let Some(id) = instance.instance_id() else {
                    continue;
                };
                let tags = instance
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                    .collect();
                let az = instance
                    .placement()
                    .and_then(|p| p.availability_zone())
                    .unwrap_or_default()
                    .to_owned();
                facts.insert(id.to_owned(), Ec2Facts { tags, az });
            }
        }
    }
    Ok(facts)
}
