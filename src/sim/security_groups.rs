//! The simulated security groups: the fleet's `[[security_group]]` entries and a default group
//! per VPC, as DescribeSecurityGroups and DescribeInstances' `groupSet` show them. What the
//! doctor reads to tell whether an instance may send HTTPS out and its VPC's endpoints let it in.
//! Rules are written `PROTOCOL:PORTS:PEER` in the fleet file (`tcp:443:0.0.0.0/0`,
//! `all:all:sg-0abc`), short enough to keep a fleet file readable.

use std::fmt::Write as _;

use super::SimState;
use super::fleet::{DEFAULT_ACCOUNT, Instance};
use super::query::{Query, escape};
use super::sigv4::Credential;
pub(crate) use super::specs::{SecurityGroupSpec, default_group_id, parse_rule};

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
/// An instance's `<groupSet>`, its groups named from `groups` (`all_groups` of its region,
/// read once per response: reading them scans the fleet).
pub(crate) fn group_set(groups: &[SecurityGroupSpec], instance: &Instance) -> String {
    let mut xml = String::from("<groupSet>");
    for id in instance_groups(instance) {
        let name = groups
            .iter()
            .find(|g| g.id == id)
            .and_then(|g| g.name.clone())
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

/// The fleet's groups of `region` and the default group of each of its VPCs.
pub(crate) fn all_groups(state: &SimState, region: &str) -> Vec<SecurityGroupSpec> {
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
    use crate::sim::specs::Rule;

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
