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

    let mut pages = ssm
        .describe_instance_information()
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| ssm_error(profile, region, "DescribeInstanceInformation", e))?;
        for info in page.instance_information_list() {
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
    }

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
