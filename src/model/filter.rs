//! The fleet filter language, shared by `bosun ls --filter` and the console's `/`: words
//! separated by spaces, all of which must match. A word is a case-insensitive substring of
//! the name, id, private IP or any tag value; `tag:KEY=VALUE` (or `tag:KEY` for any value);
//! `status:online|lost|inactive|unmanaged`; `region:R`, `platform:P`, `state:S`, `profile:P`,
//! `account:NAME|ID`; `cluster:NAME` and `nodegroup:NAME` (a Karpenter node pool too) for
//! Kubernetes nodes (`model::node`), whose node names plain words also find;
//! and any word can be negated with a leading `!` (or `-`).

use super::instance::{InstanceRow, Ping};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Text(String),
    Tag { key: String, value: Option<String> },
    Status(Ping),
    Region(String),
    Platform(String),
    State(String),
    Profile(String),
    Account(String),
    Cluster(String),
    NodeGroup(String),
}

/// A parsed filter. The empty filter matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<(bool, Term)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown status {0:?} (online, lost, inactive or unmanaged)")]
    Status(String),
    #[error("{0:?} needs a value after the colon")]
    Empty(String),
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            let (negated, word) = match word.strip_prefix('!').or_else(|| word.strip_prefix('-')) {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, word),
            };
            let lower = word.to_lowercase();
            let value = |prefix: &str| -> Result<Option<String>, FilterError> {
                match lower.strip_prefix(prefix) {
                    Some("") => Err(FilterError::Empty(word.to_owned())),
                    Some(rest) => Ok(Some(rest.to_owned())),
                    None => Ok(None),
                }
            };
            let term = if let Some(rest) = word.strip_prefix("tag:") {
                if rest.is_empty() {
                    return Err(FilterError::Empty(word.to_owned()));
                }
                match rest.split_once('=') {
                    Some((key, value)) => Term::Tag {
                        key: key.to_owned(),
                        value: Some(value.to_owned()),
                    },
                    None => Term::Tag {
                        key: rest.to_owned(),
                        value: None,
                    },
                }
            } else if let Some(status) = value("status:")? {
                Term::Status(match status.as_str() {
                    "online" | "up" => Ping::Online,
                    "lost" | "connectionlost" => Ping::ConnectionLost,
                    "inactive" => Ping::Inactive,
                    "unmanaged" | "notmanaged" | "none" => Ping::NotManaged,
                    other => return Err(FilterError::Status(other.to_owned())),
                })
            } else if let Some(region) = value("region:")? {
                Term::Region(region)
            } else if let Some(platform) = value("platform:")? {
                Term::Platform(platform)
            } else if let Some(state) = value("state:")? {
                Term::State(state)
            } else if let Some(profile) = value("profile:")? {
                Term::Profile(profile)
            } else if let Some(account) = value("account:")? {
                Term::Account(account)
            } else if let Some(cluster) = value("cluster:")? {
                Term::Cluster(cluster)
            } else if let Some(group) = value("nodegroup:")?.or(value("nodepool:")?) {
                Term::NodeGroup(group)
            } else {
                Term::Text(lower)
            };
            terms.push((negated, term));
        }
        Ok(Filter { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, row: &InstanceRow) -> bool {
        self.terms
            .iter()
            .all(|(negated, term)| term_matches(term, row) != *negated)
    }
}

fn term_matches(term: &Term, row: &InstanceRow) -> bool {
    let contains = |haystack: &str, needle: &str| haystack.to_lowercase().contains(needle);
    match term {
        Term::Text(needle) => {
            contains(&row.name, needle)
                || contains(&row.instance_id, needle)
                || row
                    .private_ip
                    .as_deref()
                    .is_some_and(|ip| contains(ip, needle))
                || row.tags.values().any(|v| contains(v, needle))
                || row.node_name().is_some_and(|node| contains(node, needle))
        }
        Term::Tag { key, value } => row
            .tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .is_some_and(|(_, v)| {
                value
                    .as_ref()
                    .is_none_or(|want| v.eq_ignore_ascii_case(want))
            }),
        Term::Status(ping) => row.ping == *ping,
        Term::Region(region) => row.region.eq_ignore_ascii_case(region),
        Term::Platform(platform) => row.platform.eq_ignore_ascii_case(platform),
        Term::State(state) => row
            .ec2_state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(state)),
        Term::Profile(profile) => row.profile.eq_ignore_ascii_case(profile),
        Term::Cluster(cluster) => row
            .eks_cluster()
            .is_some_and(|c| c.eq_ignore_ascii_case(cluster)),
        Term::NodeGroup(group) => row
            .eks_nodegroup()
            .is_some_and(|g| g.eq_ignore_ascii_case(group)),
        // An account by its name in the organisation or its id (in the console's organisation
        // the profile a row was read with is its account's name).
        Term::Account(account) => [&row.account_name, &row.account]
            .into_iter()
            .flatten()
            .chain(std::iter::once(&row.profile))
            .any(|a| a.eq_ignore_ascii_case(account)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn row(name: &str, ping: Ping, team: &str) -> InstanceRow {
        let mut tags = BTreeMap::new();
        tags.insert("Name".to_owned(), name.to_owned());
        tags.insert("Team".to_owned(), team.to_owned());
        InstanceRow {
            name: name.to_owned(),
            instance_id: format!("i-0{}", name.len()),
            ping,
            last_ping_age: None,
            agent_version: None,
            agent_outdated: false,
            platform: "Linux".to_owned(),
            platform_name: None,
            private_ip: Some("10.0.0.7".to_owned()),
            private_dns: None,
            ec2_state: Some("running".to_owned()),
            instance_type: None,
            availability_zone: None,
            region: "us-east-1".to_owned(),
            profile: "default".to_owned(),
            account: None,
            account_name: None,
            vpc_id: None,
            subnet_id: None,
            iam_instance_profile: None,
            tags,
        }
    }

    #[test]
    fn words_tags_statuses_and_negation() {
        let api = row("payments-api-1", Ping::Online, "payments");
        let lost = row("search-1", Ping::ConnectionLost, "search");
        let check = |text: &str| -> (bool, bool) {
            let filter = Filter::parse(text).expect("valid");
            (filter.matches(&api), filter.matches(&lost))
        };
        assert_eq!(check(""), (true, true));
        assert_eq!(check("PAYMENTS"), (true, false));
        assert_eq!(check("tag:Team=payments"), (true, false));
        assert_eq!(check("tag:team"), (true, true));
        assert_eq!(check("status:lost"), (false, true));
        assert_eq!(check("!status:lost"), (true, false));
        assert_eq!(check("-payments region:us-east-1"), (false, true));
        assert_eq!(check("10.0.0.7 state:running"), (true, true));
        assert_eq!(
            Filter::parse("status:sleepy"),
            Err(FilterError::Status("sleepy".into()))
        );
        assert_eq!(
            Filter::parse("region:"),
            Err(FilterError::Empty("region:".into()))
        );
    }

    #[test]
    fn kubernetes_nodes_by_cluster_node_group_and_node_name() {
        let mut node = row("shop-general", Ping::Online, "shop");
        node.private_dns = Some("ip-10-0-1-23.ec2.internal".to_owned());
        node.tags.insert("eks:cluster-name".into(), "shop".into());
        node.tags
            .insert("eks:nodegroup-name".into(), "general".into());
        let mut spot = row("batch-spot", Ping::Online, "data");
        spot.private_dns = Some("ip-10-9-0-4.ec2.internal".to_owned());
        spot.tags
            .insert("kubernetes.io/cluster/batch".into(), "owned".into());
        spot.tags
            .insert("karpenter.sh/nodepool".into(), "spot".into());
        let plain = row("bastion", Ping::Online, "ops");
        let check = |text: &str| -> (bool, bool, bool) {
            let filter = Filter::parse(text).expect("valid");
            (
                filter.matches(&node),
                filter.matches(&spot),
                filter.matches(&plain),
            )
        };
        assert_eq!(check("cluster:SHOP"), (true, false, false));
        assert_eq!(check("cluster:batch"), (false, true, false));
        assert_eq!(check("nodegroup:general"), (true, false, false));
        assert_eq!(check("nodegroup:spot"), (false, true, false));
        assert_eq!(check("nodepool:spot"), (false, true, false));
        assert_eq!(check("ip-10-0-1-23"), (true, false, false));
        assert_eq!(check("!cluster:shop"), (false, true, true));
    }
}
