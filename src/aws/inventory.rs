//! The joined fleet inventory: SSM's managed-instance view (ping status, agent) joined with
//! EC2's (state, network, tags) for one profile and region, including EC2 instances SSM does
//! not manage — they are often the problem. The console and `bosun ls` show these rows.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use crate::model::instance::{InstanceRow, Ping};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{profile}/{region}: {api} failed: {message}")]
pub struct InventoryError {
    pub profile: String,
    pub region: String,
    pub api: &'static str,
    pub message: String,
    /// The call was throttled: a refresher should back off rather than report a fault.
    pub throttled: bool,
}

fn ssm_error(
    profile: &str,
    region: &str,
    api: &'static str,
    error: impl aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error,
) -> InventoryError {
    InventoryError {
        profile: profile.to_owned(),
        region: region.to_owned(),
        api,
        throttled: error.code() == Some("ThrottlingException"),
        message: super::errors::describe_for(&error, Some(profile)),
    }
}

/// Reads both inventories of one profile/region and joins them, sorted by name then id.
pub async fn fetch(
    ssm: &aws_sdk_ssm::Client,
    ec2: &aws_sdk_ec2::Client,
    profile: &str,
    region: &str,
) -> Result<Vec<InstanceRow>, InventoryError> {
    let now = SystemTime::now();
    let mut rows: HashMap<String, InstanceRow> = HashMap::new();
    // EC2's listing (1,000 a page) and SSM's first page at once. A small account is whole
    // then; a large one reads the rest of SSM by the ids each EC2 page lists, fifty to a call,
    // several at once, while EC2's next pages come (`managed_by_id`), instead of one SSM page
    // after another.
    let (ids_tx, ids_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let ec2_side = ec2_instances(ec2, profile, region, ids_tx);
    let ssm_side = async {
        let first = ssm
            .describe_instance_information()
            .max_results(50)
            .send()
            .await
            .map_err(|e| ssm_error(profile, region, "DescribeInstanceInformation", e))?;
        let mut infos: Vec<aws_sdk_ssm::types::InstanceInformation> =
            first.instance_information_list().to_vec();
        if first.next_token().is_some() {
            infos.extend(managed_by_id(ssm, ids_rx, profile, region).await?);
        }
        Ok::<_, InventoryError>(infos)
    };
    let (instances, infos) = tokio::join!(ec2_side, ssm_side);
    // SSM's failure is said first, as when the two were read one after the other.
    let infos = infos?;
    let instances = instances?;
    for info in &infos {
        let Some(id) = info.instance_id() else {
            continue;
        };
        let last_ping_age = info
            .last_ping_date_time()
            .and_then(|t| SystemTime::try_from(*t).ok())
            .and_then(|t| now.duration_since(t).ok())
            .map(|d| d.as_secs());
        let ping = Ping::from_ssm(info.ping_status().map(|p| p.as_str()).unwrap_or_default());
        let mut row = InstanceRow::bare(id, ping, profile, region);
        row.name = info.name().unwrap_or_default().to_owned();
        row.last_ping_age = last_ping_age;
        row.agent_version = info.agent_version().map(str::to_owned);
        row.agent_outdated = info.is_latest_version() == Some(false);
        row.platform = info
            .platform_type()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        row.platform_name = info.platform_name().map(str::to_owned);
        row.private_ip = info.ip_address().map(str::to_owned);
        row.iam_instance_profile = info.iam_role().map(str::to_owned);
        rows.insert(id.to_owned(), row);
    }

    for (account, instance) in &instances {
        {
            {
                let Some(id) = instance.instance_id() else {
                    continue;
                };
                let tags: BTreeMap<String, String> = instance
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                    .collect();
                let row = rows.entry(id.to_owned()).or_insert_with(|| {
                    // EC2 knows it, SSM does not: an unmanaged instance.
                    let mut row = InstanceRow::bare(id, Ping::NotManaged, profile, region);
                    row.platform = if instance.platform().is_some() {
                        "Windows"
                    } else {
                        "Linux"
                    }
                    .to_owned();
                    row.platform_name = instance.platform_details().map(str::to_owned);
                    row
                });
                if let Some(name) = tags.get("Name") {
                    row.name = name.clone();
                }
                row.ec2_state = instance
                    .state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str().to_owned());
                row.instance_type = instance.instance_type().map(|t| t.as_str().to_owned());
                row.availability_zone = instance
                    .placement()
                    .and_then(|p| p.availability_zone())
                    .map(str::to_owned);
                row.private_ip = instance
                    .private_ip_address()
                    .map(str::to_owned)
                    .or(row.private_ip.take());
                row.private_dns = instance
                    .private_dns_name()
                    .filter(|name| !name.is_empty())
                    .map(str::to_owned);
                row.vpc_id = instance.vpc_id().map(str::to_owned);
                row.subnet_id = instance.subnet_id().map(str::to_owned);
                row.account = account.clone();
                if let Some(profile_arn) = instance.iam_instance_profile().and_then(|p| p.arn()) {
                    row.iam_instance_profile = Some(
                        profile_arn
                            .rsplit('/')
                            .next()
                            .unwrap_or(profile_arn)
                            .to_owned(),
                    );
                }
                row.tags = tags;
            }
        }
    }
    let mut rows: Vec<InstanceRow> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        crate::model::format::natural_cmp(&a.name, &b.name)
            .then_with(|| a.instance_id.cmp(&b.instance_id))
    });
    Ok(rows)
}

/// Every EC2 instance of the region, 1,000 a page, with the account that owns it; each id is
/// also sent on `ids` as its page arrives (for SSM's reads by id).
async fn ec2_instances(
    ec2: &aws_sdk_ec2::Client,
    profile: &str,
    region: &str,
    ids: tokio::sync::mpsc::UnboundedSender<String>,
) -> Result<Vec<(Option<String>, aws_sdk_ec2::types::Instance)>, InventoryError> {
    let mut instances = Vec::new();
    let mut pages = ec2
        .describe_instances()
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| InventoryError {
            profile: profile.to_owned(),
            region: region.to_owned(),
            api: "DescribeInstances",
            throttled: aws_sdk_ec2::error::ProvideErrorMetadata::code(&error)
                == Some("RequestLimitExceeded"),
            message: super::errors::describe_for(&error, Some(profile)),
        })?;
        for reservation in page.reservations() {
            let account = reservation.owner_id().map(str::to_owned);
            for instance in reservation.instances() {
                if let Some(id) = instance.instance_id() {
                    // Nobody listening (a small account) is no error.
                    let _ = ids.send(id.to_owned());
                }
                instances.push((account.clone(), instance.clone()));
            }
        }
    }
    Ok(instances)
}

/// SSM calls a large inventory keeps in flight: enough that 10,000 instances come in about
/// two seconds at 150 ms a call, few enough that SSM's rate limit is met with the SDK's
/// backoff (a throttled call is retried), not a failure.
pub const SHARDS_IN_FLIGHT: usize = 16;

/// SSM's view of a large region past its first page: the ids EC2 lists (as its pages come)
/// fifty to a call by the InstanceIds filter, several at once, and the hybrid nodes (`mi-`),
/// which EC2 does not list, in one paged listing of their own. An instance SSM still lists
/// that EC2 no longer does (terminated more than an hour ago) is left out, as EC2 leaves it.
async fn managed_by_id(
    ssm: &aws_sdk_ssm::Client,
    ids: tokio::sync::mpsc::UnboundedReceiver<String>,
    profile: &str,
    region: &str,
) -> Result<Vec<aws_sdk_ssm::types::InstanceInformation>, InventoryError> {
    use aws_sdk_ssm::types::InstanceInformationStringFilter;
    use futures_util::StreamExt;
    let filter = |key: &str, values: Vec<String>| {
        InstanceInformationStringFilter::builder()
            .key(key)
            .set_values(Some(values))
            .build()
            .ok()
    };
    // Fifty ids at a time as they arrive; the last shard when EC2's listing is done.
    let shards = futures_util::stream::unfold(ids, |mut ids| async move {
        let mut shard = Vec::with_capacity(50);
        while shard.len() < 50 {
            match ids.recv().await {
                Some(id) => shard.push(id),
                None => break,
            }
        }
        (!shard.is_empty()).then_some((shard, ids))
    });
    let by_id = shards
        .map(|shard| {
            let request = ssm
                .describe_instance_information()
                .set_filters(filter("InstanceIds", shard).map(|f| vec![f]))
                .max_results(50);
            async move { request.send().await }
        })
        .buffer_unordered(SHARDS_IN_FLIGHT)
        .collect::<Vec<_>>();
    let hybrid = async {
        let mut found = Vec::new();
        let mut pages = ssm
            .describe_instance_information()
            .set_filters(
                filter("ResourceType", vec!["ManagedInstance".to_owned()]).map(|f| vec![f]),
            )
            .max_results(50)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            found.extend(page?.instance_information_list().iter().cloned());
        }
        Ok::<_, aws_sdk_ssm::error::SdkError<_, _>>(found)
    };
    let (by_id, hybrid) = tokio::join!(by_id, hybrid);
    let error = |e| ssm_error(profile, region, "DescribeInstanceInformation", e);
    let mut infos = hybrid.map_err(error)?;
    for answer in by_id {
        infos.extend(
            answer
                .map_err(error)?
                .instance_information_list()
                .iter()
                .cloned(),
        );
    }
    Ok(infos)
}
