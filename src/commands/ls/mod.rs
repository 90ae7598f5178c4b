//! `bosun ls`: the joined SSM + EC2 inventory of every `--profile` × `--region` pair, as an
//! aligned table or one JSON object a line, optionally filtered with the console's filter
//! language. A pair that fails is reported on stderr; the others are still listed, and the
//! exit status is 1.

mod containers;

use std::io::Write;

use futures_util::future::join_all;

use crate::aws;
use crate::aws::inventory::{self, InventoryError};
use crate::cli::{GlobalArgs, LsArgs};
use crate::model::filter::Filter;
use crate::model::format::age;
use crate::model::instance::InstanceRow;

pub async fn run(global: &GlobalArgs, args: &LsArgs) -> i32 {
    if args.containers {
        return containers::run(global, args).await;
    }
    let filter = match Filter::parse(args.filter.as_deref().unwrap_or_default()) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("bosun ls: --filter: {error}");
            return 2;
        }
    };
    let org = super::org::wanted(global);
    let (rows, failed) = if org {
        let (rows, errors) = super::org::read_instances(global).await;
        for error in &errors {
            eprintln!("bosun ls: {error}");
        }
        (rows, !errors.is_empty())
    } else {
        read_every_pair(global, async |config, profile, region| {
            let ssm = aws_sdk_ssm::Client::new(&config);
            let ec2 = aws_sdk_ec2::Client::new(&config);
            inventory::fetch(&ssm, &ec2, &profile, &region).await
        })
        .await
    };
    let rows: Vec<InstanceRow> = rows.into_iter().filter(|row| filter.matches(row)).collect();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        for row in &rows {
            if let Ok(line) = serde_json::to_string(&with_node_fields(row)) {
                let _ = writeln!(stdout, "{line}");
            }
        }
    } else if !rows.is_empty() || !failed {
        // Every pair failed: the errors say so, without a bare header above them.
        let source = if org {
            Source::Account
        } else if several_profiles(rows.iter().map(|r| r.profile.as_str())) {
            Source::Profile
        } else {
            Source::Implied
        };
        let _ = stdout.write_all(table(&rows, source).as_bytes());
    }
    i32::from(failed)
}

/// Reads every `--profile` × `--region` pair at once with `read` (its configuration, profile
/// and region); the rows of those that could be read, and whether any failed (each failure
/// said on stderr, so the others still show).
pub(super) async fn read_every_pair<T>(
    global: &GlobalArgs,
    read: impl AsyncFn(aws_config::SdkConfig, String, String) -> Result<Vec<T>, InventoryError>,
) -> (Vec<T>, bool) {
    // As in the console: the configuration's profiles and regions when the command line names
    // none. A broken file is said and not used; the listing still runs.
    let (profiles, regions) = match super::load_config(global) {
        Ok(config) => (config.profiles, config.regions),
        Err(error) => {
            eprintln!("bosun ls: the configuration file is not used: {error}");
            (Vec::new(), Vec::new())
        }
    };
    let profiles = if global.profile.is_empty() {
        profiles
    } else {
        global.profile.clone()
    };
    let regions = if global.region.is_empty() {
        regions
    } else {
        global.region.clone()
    };
    let pairs = pairs(&profiles, &regions);
    let read = &read;
    let results = join_all(pairs.iter().map(|(profile, region)| async move {
        let config = aws::load_config(*profile, *region, global.endpoint_url.as_deref()).await;
        let region = config
            .region()
            .map(ToString::to_string)
            .unwrap_or_else(|| "(no region)".to_owned());
        read(config, profile.unwrap_or("default").to_owned(), region).await
    }))
    .await;
    let mut rows = Vec::new();
    let mut failed = false;
    for result in results {
        match result {
            Ok(found) => rows.extend(found),
            Err(error) => {
                failed = true;
                eprintln!("bosun ls: {error}");
            }
        }
    }
    (rows, failed)
}

/// Whether the rows come from more than one profile (then the table says which).
pub(super) fn several_profiles<'a>(mut profiles: impl Iterator<Item = &'a str>) -> bool {
    let first = profiles.next();
    profiles.any(|p| Some(p) != first)
}

/// Every profile × region pair (`None`: what the AWS configuration says).
fn pairs<'a>(
    profiles: &'a [String],
    regions: &'a [String],
) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    let some_or_none = |names: &'a [String]| -> Vec<Option<&'a str>> {
        if names.is_empty() {
            vec![None]
        } else {
            names.iter().map(|n| Some(n.as_str())).collect()
        }
    };
    let regions = some_or_none(regions);
    some_or_none(profiles)
        .into_iter()
        .flat_map(|profile| regions.iter().map(move |region| (profile, *region)))
        .collect()
}

/// Which column says where a row was read: none when it is the one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Implied,
    Profile,
    /// The organisation's account, by name (`--org`).
    Account,
}

/// A row as `--json` prints it: its fields, and a Kubernetes node's `eks_cluster`,
/// `eks_nodegroup` (or Karpenter node pool) and `node_name`.
fn with_node_fields(row: &InstanceRow) -> serde_json::Value {
    let mut value = serde_json::to_value(row).unwrap_or_default();
    if let (Some(object), Some(cluster)) = (value.as_object_mut(), row.eks_cluster()) {
        object.insert("eks_cluster".into(), cluster.into());
        if let Some(group) = row.eks_nodegroup() {
            object.insert("eks_nodegroup".into(), group.into());
        }
        if let Some(node) = row.node_name() {
            object.insert("node_name".into(), node.into());
        }
    }
    value
}

fn table(rows: &[InstanceRow], source: Source) -> String {
    // Kubernetes nodes among the rows: their cluster and node group, after the IP.
    let nodes = rows.iter().any(|row| row.eks_cluster().is_some());
    let mut header = vec![
        "NAME",
        "INSTANCE",
        "PING",
        "LAST PING",
        "AGENT",
        "PLATFORM",
        "PRIVATE IP",
        "STATE",
        "TYPE",
        "AZ",
        "REGION",
    ];
    if nodes {
        header.splice(7..7, ["CLUSTER", "NODEGROUP"]);
    }
    match source {
        Source::Implied => {}
        Source::Profile => header.push("PROFILE"),
        Source::Account => header.push("ACCOUNT"),
    }
    let dash = || "-".to_owned();
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for row in rows {
        let agent = match (&row.agent_version, row.agent_outdated) {
            (Some(version), true) => format!("{version} (old)"),
            (Some(version), false) => version.clone(),
            (None, _) => dash(),
        };
        let mut line = vec![
            if row.name.is_empty() {
                dash()
            } else {
                row.name.clone()
            },
            row.instance_id.clone(),
            row.ping.label().to_owned(),
            row.last_ping_age.map(age).unwrap_or_else(dash),
            agent,
            row.platform.clone(),
            row.private_ip.clone().unwrap_or_else(dash),
            row.ec2_state.clone().unwrap_or_else(dash),
            row.instance_type.clone().unwrap_or_else(dash),
            row.availability_zone.clone().unwrap_or_else(dash),
            row.region.clone(),
        ];
        if nodes {
            line.splice(
                7..7,
                [
                    row.eks_cluster().map_or_else(dash, str::to_owned),
                    row.eks_nodegroup().map_or_else(dash, str::to_owned),
                ],
            );
        }
        match source {
            Source::Implied => {}
            Source::Profile => line.push(row.profile.clone()),
            Source::Account => line.push(
                row.account_name
                    .clone()
                    .or(row.account.clone())
                    .unwrap_or_else(dash),
            ),
        }
        lines.push(line);
    }
    aligned(&lines)
}

/// Lines of cells as columns two spaces apart, each as wide as its widest cell.
pub(crate) fn aligned(lines: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|column| {
            lines
                .iter()
                .map(|l| l[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_a_person_would_say_them() {
        assert_eq!(age(42), "42s");
        assert_eq!(age(300), "5m");
        assert_eq!(age(7200), "2h");
        assert_eq!(age(86_400 * 3), "3d");
    }
}
