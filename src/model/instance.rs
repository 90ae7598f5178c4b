//! One instance as every view knows it: SSM's reachability joined with EC2's facts. The
//! inventory fetch fills these rows; the console, `bosun ls` and the filter read them.

use std::collections::BTreeMap;

use serde::Serialize;

/// SSM's view of reachability, plus "not managed" for EC2 instances without an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Ping {
    Online,
    ConnectionLost,
    Inactive,
    NotManaged,
}

impl Ping {
    pub fn label(self) -> &'static str {
        match self {
            Ping::Online => "Online",
            Ping::ConnectionLost => "ConnectionLost",
            Ping::Inactive => "Inactive",
            Ping::NotManaged => "not managed",
        }
    }

    pub fn from_ssm(text: &str) -> Ping {
        match text {
            "Online" => Ping::Online,
            "ConnectionLost" => Ping::ConnectionLost,
            _ => Ping::Inactive,
        }
    }
}

/// One instance as the fleet view shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceRow {
    pub name: String,
    pub instance_id: String,
    pub ping: Ping,
    /// Seconds since the agent last pinged, when SSM knows.
    pub last_ping_age: Option<u64>,
    pub agent_version: Option<String>,
    /// SSM says a newer agent exists.
    pub agent_outdated: bool,
    pub platform: String,
    pub platform_name: Option<String>,
    pub private_ip: Option<String>,
    /// EC2's private DNS name: a Kubernetes node's name (`model::node`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_dns: Option<String>,
    /// EC2 state name; none for hybrid (mi-) nodes.
    pub ec2_state: Option<String>,
    pub instance_type: Option<String>,
    pub availability_zone: Option<String>,
    pub region: String,
    /// The profile the row was read with (or "default").
    pub profile: String,
    pub account: Option<String>,
    /// The account's name in the organisation (`--org`), where bosun read it through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub iam_instance_profile: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl InstanceRow {
    /// Whether its agent is behind: SSM knows a newer one, or it lacks something a current
    /// agent does (`model::agent::lacks`).
    pub fn agent_behind(&self) -> bool {
        self.agent_outdated
            || self
                .agent_version
                .as_deref()
                .is_some_and(|version| !super::agent::lacks(version).is_empty())
    }

    /// A row that knows only its id and where it was read; the inventories fill in the rest.
    pub fn bare(instance_id: &str, ping: Ping, profile: &str, region: &str) -> InstanceRow {
        InstanceRow {
            name: String::new(),
            instance_id: instance_id.to_owned(),
            ping,
            last_ping_age: None,
            agent_version: None,
            agent_outdated: false,
            platform: String::new(),
            platform_name: None,
            private_ip: None,
            private_dns: None,
            ec2_state: None,
            instance_type: None,
            availability_zone: None,
            region: region.to_owned(),
            profile: profile.to_owned(),
            account: None,
            account_name: None,
            vpc_id: None,
            subnet_id: None,
            iam_instance_profile: None,
            tags: BTreeMap::new(),
        }
    }
}

/// The names nearest `wanted`, for "did you mean": those within a few edits (a third of its
/// length, at least two) or containing it, nearest first, at most `most`.
pub fn closest_names<'a>(
    wanted: &str,
    names: impl IntoIterator<Item = &'a str>,
    most: usize,
) -> Vec<String> {
    let wanted = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut near: Vec<(usize, String)> = names
        .into_iter()
        .filter(|name| !name.is_empty())
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let distance = edit_distance(&wanted, &lower);
            (distance <= limit || lower.contains(&wanted)).then(|| (distance, name.to_owned()))
        })
        .collect();
    near.sort();
    near.dedup_by(|a, b| a.1 == b.1);
    near.into_iter().take(most).map(|(_, name)| name).collect()
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod closest_tests {
    use super::*;

    #[test]
    fn near_names_come_first_and_far_ones_not_at_all() {
        let names = [
            "payments-api-1",
            "payments-api-2",
            "search-query-2",
            "web-frontend-1",
        ];
        assert_eq!(
            closest_names("payments-api-3", names, 3),
            vec!["payments-api-1", "payments-api-2"]
        );
        assert_eq!(
            closest_names("search-query-1", names, 3),
            vec!["search-query-2"]
        );
        assert_eq!(closest_names("frontend", names, 3), vec!["web-frontend-1"]);
        assert!(closest_names("database", names, 3).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
