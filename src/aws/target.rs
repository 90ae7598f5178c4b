//! Resolving what a user types as TARGET: an instance id (`i-…`, `mi-…`) as given, a Name tag
//! value that must match exactly one instance, `tag:KEY=VALUE`, which picks an Online
//! managed instance with that tag (the first by id, so the choice is stable), or a Kubernetes
//! node by its node name or `k8s:CLUSTER/NODE` (its private DNS name, `model::node`); and the
//! agent version an instance reports.

use aws_sdk_ec2::types::Filter;
use aws_sdk_ssm::types::InstanceInformationStringFilter;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error(
        "no instance is named {name:?} in {region}{}",
        elsewhere_or_closest(elsewhere, closest)
    )]
    NoMatch {
        name: String,
        region: String,
        /// Other regions where an instance has that Name.
        elsewhere: Vec<String>,
        /// Names here that are near it.
        closest: Vec<String>,
    },
    #[error("{name:?} names {count} instances ({ids}); use an instance id")]
    Ambiguous {
        name: String,
        count: usize,
        ids: String,
    },
    #[error("could not look up {name:?}: {reason}")]
    Lookup { name: String, reason: String },
    #[error("no Online managed instance has the tag {0}")]
    NoOnline(String),
    #[error("no instance in {region} is the Kubernetes node {node:?} (its private DNS name); {}", .hint)]
    NoNode {
        node: String,
        region: String,
        hint: String,
    },
    #[error("{node:?} is an instance, but not a node of the cluster {cluster:?}{}", .actual.as_deref().map(|c| format!(" (it is in {c})")).unwrap_or_default())]
    OtherCluster {
        node: String,
        cluster: String,
        actual: Option<String>,
    },
}

fn elsewhere_or_closest(elsewhere: &[String], closest: &[String]) -> String {
    match (elsewhere.first(), closest.is_empty()) {
        (Some(region), _) => format!(
            "; it is in {} (add --region {region})",
            elsewhere.join(", ")
        ),
        (None, false) => format!("; did you mean {}?", closest.join(", ")),
        (None, true) => " (looked for the Name tag; `bosun ls` lists them)".to_owned(),
    }
}

/// True for strings that look like instance ids and need no lookup.
pub fn is_instance_id(text: &str) -> bool {
    let hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    text.strip_prefix("i-").is_some_and(hex) || text.strip_prefix("mi-").is_some_and(hex)
}

/// The instance id for `target`: ids pass through; anything else is looked up by Name tag
/// among instances that are not terminated.
pub async fn resolve(
    ssm: &aws_sdk_ssm::Client,
    ec2: &aws_sdk_ec2::Client,
    target: &str,
) -> Result<String, TargetError> {
    if is_instance_id(target) {
        return Ok(target.to_owned());
    }
    if let Some((key, value)) = target.strip_prefix("tag:").and_then(|t| t.split_once('=')) {
        return resolve_tag(ssm, target, key, value).await;
    }
    if let Some(node) = crate::model::node::NodeTarget::parse(target) {
        return resolve_node(ec2, target, &node).await;
    }
    let mut ids = Vec::new();
    let mut pages = ec2
        .describe_instances()
        .filters(Filter::builder().name("tag:Name").values(target).build())
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .values("stopping")
                .values("stopped")
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| TargetError::Lookup {
            name: target.to_owned(),
            reason: super::errors::describe(&error),
        })?;
        for reservation in page.reservations() {
            ids.extend(
                reservation
                    .instances()
                    .iter()
                    .filter_map(|i| i.instance_id().map(str::to_owned)),
            );
        }
    }
    match ids.len() {
        0 => Err(no_match(ec2, target).await),
        1 => Ok(ids.remove(0)),
        count => Err(TargetError::Ambiguous {
            name: target.to_owned(),
            count,
            ids: ids.join(", "),
        }),
    }
}

/// The instance whose private DNS name is the node's (DescribeInstances `private-dns-name`),
/// in the cluster named, if one was.
async fn resolve_node(
    ec2: &aws_sdk_ec2::Client,
    target: &str,
    node: &crate::model::node::NodeTarget,
) -> Result<String, TargetError> {
    let page = ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name("private-dns-name")
                .values(node.node.to_ascii_lowercase())
                .build(),
        )
        .send()
        .await
        .map_err(|error| TargetError::Lookup {
            name: target.to_owned(),
            reason: super::errors::describe(&error),
        })?;
    let instance = page
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated"))
        .ok_or_else(|| {
            let here = ec2
                .config()
                .region()
                .map_or_else(|| "this region".to_owned(), ToString::to_string);
            let hint = match crate::model::node::region_in_name(&node.node) {
                Some(named) if named != here => {
                    format!("the name is of {named}: add --region {named}")
                }
                _ => "`bosun ls --filter cluster:NAME` lists a cluster's nodes".to_owned(),
            };
            TargetError::NoNode {
                node: node.node.clone(),
                region: here,
                hint,
            }
        })?;
    let id = instance.instance_id().unwrap_or_default().to_owned();
    if let Some(cluster) = &node.cluster {
        let mut row = crate::model::instance::InstanceRow::bare(
            &id,
            crate::model::instance::Ping::NotManaged,
            "",
            "",
        );
        row.tags = instance
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect();
        if row.eks_cluster() != Some(cluster.as_str()) {
            return Err(TargetError::OtherCluster {
                node: node.node.clone(),
                cluster: cluster.clone(),
                actual: row.eks_cluster().map(str::to_owned),
            });
        }
    }
    Ok(id)
}

/// Why nothing is named `target` here: the regions where something is, else the names here
/// that are near it. Best effort, within five seconds: it only words an error.
async fn no_match(ec2: &aws_sdk_ec2::Client, target: &str) -> TargetError {
    let region = ec2
        .config()
        .region()
        .map_or_else(|| "this region".to_owned(), ToString::to_string);
    let looking = async {
        let names_here = async {
            let mut names = Vec::new();
            let mut pages = ec2
                .describe_instances()
                .max_results(1000)
                .into_paginator()
                .send();
            // A few pages are plenty for a suggestion.
            for _ in 0..5 {
                let Some(Ok(page)) = pages.next().await else {
                    break;
                };
                names.extend(
                    page.reservations()
                        .iter()
                        .flat_map(|r| r.instances())
                        .filter_map(|i| {
                            i.tags()
                                .iter()
                                .find(|t| t.key() == Some("Name"))
                                .and_then(|t| t.value().map(str::to_owned))
                        }),
                );
            }
            names
        };
        tokio::join!(names_here, regions_with_name(ec2, target, &region))
    };
    let (names, elsewhere) = tokio::time::timeout(std::time::Duration::from_secs(5), looking)
        .await
        .unwrap_or_default();
    TargetError::NoMatch {
        name: target.to_owned(),
        closest: crate::model::instance::closest_names(target, names.iter().map(String::as_str), 3),
        region,
        elsewhere,
    }
}

/// The other enabled regions where an instance has the Name `target`, asked at once.
async fn regions_with_name(ec2: &aws_sdk_ec2::Client, target: &str, here: &str) -> Vec<String> {
    regions_with(
        ec2,
        here,
        Filter::builder().name("tag:Name").values(target).build(),
    )
    .await
}

/// The other enabled regions that hold the instance `id` (the doctor's answer to an id
/// unknown here), asked at once, within five seconds.
pub async fn regions_with_id(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    let here = ec2
        .config()
        .region()
        .map(ToString::to_string)
        .unwrap_or_default();
    let looking = regions_with(
        ec2,
        &here,
        Filter::builder().name("instance-id").values(id).build(),
    );
    tokio::time::timeout(std::time::Duration::from_secs(5), looking)
        .await
        .unwrap_or_default()
}

/// The enabled regions other than `here` where DescribeInstances with `filter` finds one.
async fn regions_with(ec2: &aws_sdk_ec2::Client, here: &str, filter: Filter) -> Vec<String> {
    let Ok(regions) = ec2.describe_regions().send().await else {
        return Vec::new();
    };
    let others: Vec<String> = regions
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_owned))
        .filter(|r| r != here)
        .collect();
    let asks = others.into_iter().map(|region| {
        let filter = filter.clone();
        async move {
            let config = ec2
                .config()
                .to_builder()
                .region(aws_sdk_ec2::config::Region::new(region.clone()))
                .build();
            let found = aws_sdk_ec2::Client::from_conf(config)
                .describe_instances()
                .filters(filter.clone())
                .send()
                .await
                .is_ok_and(|out| out.reservations().iter().any(|r| !r.instances().is_empty()));
            found.then_some(region)
        }
    });
    futures_util::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

async fn resolve_tag(
    ssm: &aws_sdk_ssm::Client,
    target: &str,
    key: &str,
    value: &str,
) -> Result<String, TargetError> {
    let lookup = |reason: String| TargetError::Lookup {
        name: target.to_owned(),
        reason,
    };
    let filter = |k: String, v: &str| {
        InstanceInformationStringFilter::builder()
            .key(k)
            .values(v)
            .build()
            .map_err(|e| lookup(e.to_string()))
    };
    let mut pages = ssm
        .describe_instance_information()
        .filters(filter(format!("tag:{key}"), value)?)
        .filters(filter("PingStatus".to_owned(), "Online")?)
        .max_results(50)
        .into_paginator()
        .send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| lookup(super::errors::describe(&e)))?;
        ids.extend(
            page.instance_information_list()
                .iter()
                .filter_map(|i| i.instance_id().map(str::to_owned)),
        );
    }
    ids.sort();
    ids.into_iter()
        .next()
        .ok_or_else(|| TargetError::NoOnline(format!("{key}={value}")))
}

/// The SSM Agent version an instance reports (DescribeInstanceInformation); `None` when it
/// cannot be read (not managed, no permission, the API failing): the caller then decides as
/// for an agent it does not know.
pub async fn agent_version(ssm: &aws_sdk_ssm::Client, instance_id: &str) -> Option<String> {
    let filter = InstanceInformationStringFilter::builder()
        .key("InstanceIds")
        .values(instance_id)
        .build()
        .ok()?;
    let answer = ssm
        .describe_instance_information()
        .filters(filter)
        .send()
        .await;
    match answer {
        Ok(page) => page
            .instance_information_list()
            .first()
            .and_then(|info| info.agent_version())
            .map(str::to_owned),
        Err(error) => {
            tracing::info!(instance = %instance_id, error = %super::errors::describe(&error), "agent version unknown");
            None
        }
    }
}

/// The platform SSM reports for a managed instance (`Linux`, `MacOS`, `Windows`); `None` when
/// it cannot be read (a copy then goes ahead and the instance's shell answers for itself).
pub async fn platform_of(ssm: &aws_sdk_ssm::Client, instance_id: &str) -> Option<String> {
    let filter = aws_sdk_ssm::types::InstanceInformationStringFilter::builder()
        .key("InstanceIds")
        .values(instance_id)
        .build()
        .ok()?;
    let output = ssm
        .describe_instance_information()
        .filters(filter)
        .send()
        .await
        .ok()?;
    output
        .instance_information_list()
        .first()?
        .platform_type()
        .map(|platform| platform.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_recognised() {
        assert!(is_instance_id("i-0123456789abcdef0"));
        assert!(is_instance_id("mi-0123456789abcdef0"));
        assert!(!is_instance_id("payments-api-1"));
        assert!(!is_instance_id("i-"));
        assert!(!is_instance_id("i-xyz"));
    }
}
