//! The simulated security groups: the fleet's `[[security_group]]` entries and a default group
//! per VPC, as DescribeSecurityGroups and DescribeInstances' `groupSet` show them. What the
//! doctor reads to tell whether an instance may send HTTPS out and its VPC's endpoints let it in.
//! Rules are written `PROTOCOL:PORTS:PEER` in the fleet file (`tcp:443:0.0.0.0/0`,
//! `all:all:sg-0abc`), short enough to keep a fleet file readable.

use std::fmt::Write as _;

use serde::Deserialize;

use super::SimState;
use super::ec2_api::{Query, escape};
use super::fleet::{DEFAULT_ACCOUNT, Instance};
use super::sigv4::Credential;

/// A security group (`[[security_group]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupSpec {
    pub id: String,
    pub vpc: String,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub ingress: Vec<String>,
    #[serde(default)]
    pub egress: Vec<String>,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

/// One rule, parsed: `-1` for every protocol, and a port range (none for every port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub protocol: String,
    pub ports: Option<(u16, u16)>,
    pub peer: String,
}

/// `PROTOCOL:PORTS:PEER`: `tcp:443:0.0.0.0/0`, `tcp:1024-65535:10.0.0.0/8`, `all:all:sg-0abc`.
pub fn parse_rule(text: &str) -> Result<Rule, String> {
    let bad = || {
        format!("security group rule {text:?} is not PROTOCOL:PORTS:PEER (e.g. tcp:443:0.0.0.0/0)")
    };
    let mut parts = text.splitn(3, ':');
    let (Some(protocol), Some(ports), Some(peer)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let protocol = match protocol {
        "all" | "-1" => "-1".to_owned(),
        "tcp" | "udp" | "icmp" => protocol.to_owned(),
        _ => return Err(bad()),
    };
    let ports = match ports {
        "all" => None,
        range => {
            let (from, to) = range.split_once('-').unwrap_or((range, range));
            let from = from.parse::<u16>().map_err(|_| bad())?;
            let to = to.parse::<u16>().map_err(|_| bad())?;
            if from > to {
                return Err(bad());
            }
            Some((from, to))
        }
    };
    if !(peer.starts_with("sg-") || peer.contains('/')) {
        return Err(bad());
    }
    Ok(Rule {
        protocol,
        ports,
        peer: peer.to_owned(),
    })
}

/// The VPC's default group's id: what an instance or endpoint without groups of its own is in.
pub fn default_group_id(vpc: &str) -> String {
    let tail: String = vpc.chars().rev().take(8).collect();
    format!("sg-0{tail}")
}

/// A default group as EC2 creates it, with HTTPS in from private addresses so that the VPC's
/// endpoints (in the default group too, unless the fleet says otherwise) serve its instances.
fn default_group(vpc: &str, region: &str) -> SecurityGroupSpec {
    let id = default_group_id(vpc);
    SecurityGroupSpec {
        ingress: vec![format!("all:all:{id}"), "tcp:443:10.0.0.0/8".to_owned()],
        egress: vec!["all:all:0.0.0.0/0".to_owned()],
        name: Some("default".to_owned()),
        id,
        vpc: vpc.to_owned(),
        region: region.to_owned(),
    }
}

/// The groups an instance is in: the fleet's list, else its VPC's default group.
pub fn instance_groups(instance: &Instance) -> Vec<String> {
    if instance.security_groups.is_empty() {
        vec![default_group_id(&instance.vpc)]
    } else {
        instance.security_groups.clone()
    }
}

/// DescribeInstances' `groupSet` of one instance.
pub(crate) fn group_set(state: &SimState, instance: &Instance) -> String {
    let mut xml = String::from("<groupSet>");
    for id in instance_groups(instance) {
        let name = group(state, &instance.region, &id)
            .and_then(|g| g.name)
            .unwrap_or_else(|| id.clone());
        let _ = write!(
            xml,
            "<item><groupId>{}</groupId><groupName>{}</groupName></item>",
            escape(&id),
            escape(&name)
        );
    }
    xml.push_str("</groupSet>");
    xml
}

fn group(state: &SimState, region: &str, id: &str) -> Option<SecurityGroupSpec> {
    all_groups(state, region).into_iter().find(|g| g.id == id)
}

/// The fleet's groups of `region` and the default group of each of its VPCs.
fn all_groups(state: &SimState, region: &str) -> Vec<SecurityGroupSpec> {
    let mut groups: Vec<SecurityGroupSpec> = state
        .fleet
        .security_groups
        .iter()
        .filter(|g| g.region == region)
        .cloned()
        .collect();
    for vpc in super::network::vpcs(state, region) {
        let id = default_group_id(&vpc);
        if !groups.iter().any(|g| g.id == id) {
            groups.push(default_group(&vpc, region));
        }
    }
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    groups
}

fn write_permissions(xml: &mut String, element: &str, rules: &[String]) {
    let _ = write!(xml, "<{element}>");
    for rule in rules.iter().filter_map(|r| parse_rule(r).ok()) {
        let _ = write!(
            xml,
            "<item><ipProtocol>{}</ipProtocol>",
            escape(&rule.protocol)
        );
        if let Some((from, to)) = rule.ports {
            let _ = write!(xml, "<fromPort>{from}</fromPort><toPort>{to}</toPort>");
        }
        if rule.peer.starts_with("sg-") {
            let _ = write!(
                xml,
                "<groups><item><groupId>{}</groupId><userId>{DEFAULT_ACCOUNT}</userId></item></groups><ipRanges/>",
                escape(&rule.peer)
            );
        } else {
            let _ = write!(
                xml,
                "<groups/><ipRanges><item><cidrIp>{}</cidrIp></item></ipRanges>",
                escape(&rule.peer)
            );
        }
        xml.push_str("<ipv6Ranges/><prefixListIds/></item>");
    }
    let _ = write!(xml, "</{element}>");
}

/// DescribeSecurityGroups, by `GroupId.N` and the `vpc-id` / `group-id` filters.
pub(crate) fn describe_security_groups(
    state: &SimState,
    credential: &Credential,
    query: &Query,
) -> String {
    let ids = query.list("GroupId");
    let filters = query.filters();
    let matches = |name: &str, value: &str| {
        filters
            .iter()
            .filter(|(filter, _)| filter == name)
            .all(|(_, values)| values.iter().any(|v| v == value))
    };
    let known = filters
        .iter()
        .all(|(name, _)| name == "vpc-id" || name == "group-id");
    let mut xml = String::from("<securityGroupInfo>");
    for group in all_groups(state, &credential.region) {
        if !known
            || !(ids.is_empty() || ids.contains(&group.id))
            || !matches("vpc-id", &group.vpc)
            || !matches("group-id", &group.id)
        {
            continue;
        }
        let _ = write!(
            xml,
            "<item><ownerId>{DEFAULT_ACCOUNT}</ownerId><groupId>{}</groupId><groupName>{}</groupName><groupDescription>{}</groupDescription><vpcId>{}</vpcId>",
            escape(&group.id),
            escape(group.name.as_deref().unwrap_or(&group.id)),
            escape(group.name.as_deref().unwrap_or("bosun simulator group")),
            escape(&group.vpc)
        );
        write_permissions(&mut xml, "ipPermissions", &group.ingress);
        write_permissions(&mut xml, "ipPermissionsEgress", &group.egress);
        xml.push_str("</item>");
    }
    xml.push_str("</securityGroupInfo>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_as_written_and_bad_ones_say_the_form() {
        assert_eq!(
            parse_rule("tcp:443:0.0.0.0/0").unwrap(),
            Rule {
                protocol: "tcp".into(),
                ports: Some((443, 443)),
                peer: "0.0.0.0/0".into()
            }
        );
        assert_eq!(parse_rule("all:all:sg-0abc").unwrap().ports, None);
        assert_eq!(
            parse_rule("tcp:1024-65535:10.0.0.0/8").unwrap().ports,
            Some((1024, 65535))
        );
        for bad in [
            "tcp:443",
            "gre:1:0.0.0.0/0",
            "tcp:9-1:0.0.0.0/0",
            "tcp:443:anywhere",
        ] {
            assert!(parse_rule(bad).unwrap_err().contains("PROTOCOL:PORTS:PEER"));
        }
    }
}
