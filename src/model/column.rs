//! The fleet table's columns: which exist, their headers, widths and priorities (on a narrow
//! terminal the least important go first; name, id and ping never do), how each reads an
//! instance, and how each sorts. Shared vocabulary: the configuration file chooses and orders
//! them, tag columns included (`columns = ["name", "instance", "ping", "tag:Team"]`), and the
//! console shows them.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::model::instance::InstanceRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Name,
    Instance,
    Ping,
    LastPing,
    Agent,
    Platform,
    PrivateIp,
    State,
    Type,
    Az,
    Region,
    /// The account and the profile it was read with.
    Account,
    /// The organisation's account by name (`--org`, where each account is read as itself).
    OrgAccount,
    /// The Kubernetes cluster a node belongs to (`model::node`).
    Cluster,
    /// A node's managed node group or Karpenter node pool.
    NodeGroup,
    /// The value of one tag.
    Tag(String),
}

/// The columns shown when the configuration does not choose.
pub const DEFAULT_COLUMNS: [Column; 14] = [
    Column::Name,
    Column::Instance,
    Column::Ping,
    Column::LastPing,
    Column::Agent,
    Column::Platform,
    Column::PrivateIp,
    Column::Cluster,
    Column::NodeGroup,
    Column::State,
    Column::Type,
    Column::Az,
    Column::Region,
    Column::Account,
];

/// Names the configuration file uses, in the order `bosun config check` lists them.
const NAMES: [(&str, Column); 15] = [
    ("name", Column::Name),
    ("instance", Column::Instance),
    ("ping", Column::Ping),
    ("last_ping", Column::LastPing),
    ("agent", Column::Agent),
    ("platform", Column::Platform),
    ("ip", Column::PrivateIp),
    ("state", Column::State),
    ("type", Column::Type),
    ("az", Column::Az),
    ("region", Column::Region),
    ("account", Column::Account),
    ("org_account", Column::OrgAccount),
    ("cluster", Column::Cluster),
    ("nodegroup", Column::NodeGroup),
];

impl Column {
    /// Reads a configuration name: one of [`NAMES`] or `tag:KEY`.
    pub fn parse(name: &str) -> Result<Column, String> {
        if let Some(key) = name.strip_prefix("tag:") {
            if key.is_empty() {
                return Err("\"tag:\" needs a tag key, e.g. \"tag:Team\"".to_owned());
            }
            return Ok(Column::Tag(key.to_owned()));
        }
        NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, column)| column.clone())
            .ok_or_else(|| {
                let known: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown column {name:?} (known: {}, tag:KEY)",
                    known.join(", ")
                )
            })
    }

    /// Reads a list, or says which entry is wrong. Name, instance and ping are always shown:
    /// without them a row cannot be told apart or trusted.
    pub fn parse_list(names: &[String]) -> Result<Vec<Column>, String> {
        let mut columns = vec![Column::Name, Column::Instance, Column::Ping];
        for name in names {
            let column = Column::parse(name)?;
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
        // Keep the user's order for the ones they listed.
        let listed: Vec<Column> = names.iter().filter_map(|n| Column::parse(n).ok()).collect();
        columns.sort_by_key(|c| listed.iter().position(|l| l == c).unwrap_or(0));
        Ok(columns)
    }

    pub fn header(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Column::Name => "NAME",
            Column::Instance => "INSTANCE",
            Column::Ping => "PING",
            Column::LastPing => "LAST PING",
            Column::Agent => "AGENT",
            Column::Platform => "PLATFORM",
            Column::PrivateIp => "PRIVATE IP",
            Column::State => "STATE",
            Column::Type => "TYPE",
            Column::Az => "AZ",
            Column::Region => "REGION",
            Column::Account => "ACCOUNT/PROFILE",
            Column::OrgAccount => "ACCOUNT",
            Column::Cluster => "CLUSTER",
            Column::NodeGroup => "NODEGROUP",
            Column::Tag(key) => return Cow::Owned(key.to_uppercase()),
        })
    }

    /// What the sort indicator calls it.
    pub fn label(&self) -> Cow<'static, str> {
        match self {
            Column::Tag(key) => Cow::Owned(format!("tag {key}")),
            other => Cow::Owned(other.header().to_lowercase()),
        }
    }

    pub fn width(&self) -> u16 {
        match self {
            Column::Name => 22,
            Column::Instance => 19,
            Column::Ping => 14,
            Column::LastPing => 9,
            Column::Agent => 14,
            Column::Platform => 8,
            Column::PrivateIp => 15,
            Column::State => 8,
            Column::Type => 11,
            Column::Az => 11,
            Column::Region => 10,
            Column::Account => 22,
            Column::OrgAccount => 18,
            Column::Cluster => 12,
            Column::NodeGroup => 10,
            Column::Tag(key) => u16::try_from(key.len()).unwrap_or(u16::MAX).clamp(10, 20),
        }
    }

    /// Lower stays longer on a narrow terminal; 0 is never dropped.
    pub fn priority(&self) -> u8 {
        match self {
            Column::Name | Column::Instance | Column::Ping => 0,
            Column::LastPing => 1,
            Column::State => 2,
            Column::Agent => 3,
            Column::PrivateIp => 4,
            Column::Tag(_) => 5,
            Column::Region => 6,
            Column::Platform => 7,
            Column::Type => 8,
            Column::Az => 9,
            Column::Account => 10,
            // Across an organisation, which account is what one most needs to know.
            Column::OrgAccount => 1,
            // On a wide terminal only (the node group), after what every instance has.
            Column::Cluster => 5,
            Column::NodeGroup => 11,
        }
    }

    /// The plain text of the cell (the UI adds colour).
    pub fn text<'a>(&self, row: &'a InstanceRow) -> Cow<'a, str> {
        let or_dash =
            |value: &'a Option<String>| value.as_deref().map_or(Cow::Borrowed("-"), Cow::Borrowed);
        match self {
            Column::Name if row.name.is_empty() => Cow::Borrowed("-"),
            Column::Name => Cow::Borrowed(&row.name),
            Column::Instance => Cow::Borrowed(&row.instance_id),
            Column::Ping => Cow::Borrowed(row.ping.label()),
            Column::LastPing => row.last_ping_age.map_or(Cow::Borrowed("-"), |a| {
                Cow::Owned(crate::model::format::age(a))
            }),
            // An agent that lacks something says the most important thing it lacks.
            Column::Agent => match (&row.agent_version, row.agent_outdated) {
                (Some(version), outdated) => match crate::model::agent::lacks(version).first() {
                    Some((short, _)) => Cow::Owned(format!("{version} {short}")),
                    None if outdated => Cow::Owned(format!("{version} old")),
                    None => Cow::Borrowed(version),
                },
                (None, _) => Cow::Borrowed("-"),
            },
            Column::Platform => Cow::Borrowed(&row.platform),
            Column::PrivateIp => or_dash(&row.private_ip),
            Column::State => or_dash(&row.ec2_state),
            Column::Type => or_dash(&row.instance_type),
            Column::Az => or_dash(&row.availability_zone),
            Column::Region => Cow::Borrowed(&row.region),
            Column::OrgAccount => match &row.account_name {
                Some(name) => Cow::Borrowed(name),
                None => Cow::Borrowed(&row.profile),
            },
            Column::Account => match (&row.account_name, &row.account) {
                (Some(name), _) => Cow::Borrowed(name),
                (None, Some(account)) => Cow::Owned(format!("{account}/{}", row.profile)),
                (None, None) => Cow::Borrowed(&row.profile),
            },
            Column::Cluster => Cow::Borrowed(row.eks_cluster().unwrap_or("-")),
            Column::NodeGroup => Cow::Borrowed(row.eks_nodegroup().unwrap_or("-")),
            Column::Tag(key) => row
                .tags
                .get(key)
                .map_or(Cow::Borrowed("-"), |v| Cow::Borrowed(v.as_str())),
        }
    }

    /// How two rows order by this column: statuses by severity, ages by number, the rest as
    /// text (missing values last).
    pub fn compare(&self, a: &InstanceRow, b: &InstanceRow) -> Ordering {
        match self {
            Column::Ping => a.ping.cmp(&b.ping),
            Column::LastPing => a
                .last_ping_age
                .unwrap_or(u64::MAX)
                .cmp(&b.last_ping_age.unwrap_or(u64::MAX)),
            Column::PrivateIp => {
                let ip = |r: &InstanceRow| {
                    r.private_ip
                        .as_deref()
                        .and_then(|ip| ip.parse::<std::net::Ipv4Addr>().ok())
                };
                match (ip(a), ip(b)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (x, y) => y.is_none().cmp(&x.is_none()).reverse(),
                }
            }
            other => {
                let (x, y) = (other.text(a), other.text(b));
                (x == "-")
                    .cmp(&(y == "-"))
                    .then_with(|| super::format::natural_cmp(&x, &y))
            }
        }
    }
}

/// Which of `columns` fit in `width` (inside the table's borders, after the mark column),
/// by priority: on a narrow terminal the least important go first; ids and names never do.
pub fn visible_columns(columns: &[Column], width: u16) -> Vec<usize> {
    let mut by_priority: Vec<usize> = (0..columns.len()).collect();
    by_priority.sort_by_key(|&i| columns[i].priority());
    // The mark column and its gap.
    let mut used = 2u16;
    let mut chosen: Vec<usize> = Vec::new();
    for index in by_priority {
        let needed = columns[index].width() + 1;
        if used + needed <= width || columns[index].priority() == 0 {
            used += needed;
            chosen.push(index);
        }
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_keep_order_and_always_hold_the_identity_columns() {
        let columns = Column::parse_list(&[
            "tag:Team".to_owned(),
            "region".to_owned(),
            "name".to_owned(),
        ])
        .expect("parses");
        assert_eq!(
            columns,
            vec![
                Column::Instance,
                Column::Ping,
                Column::Tag("Team".to_owned()),
                Column::Region,
                Column::Name
            ]
        );
        let error = Column::parse_list(&["colour".to_owned()]).expect_err("unknown");
        assert!(error.contains("unknown column \"colour\""), "{error}");
        assert!(Column::parse("tag:").is_err());
    }
}
