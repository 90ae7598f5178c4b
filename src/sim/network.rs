//! The simulated network between instances and SSM, as EC2 describes it: route tables (a VPC's
//! main one, and one per `[[subnet]]` of the fleet), interface endpoints per `[[vpc]]`, and
//! instance-profile associations. What the doctor reads to tell why an agent cannot reach SSM.
//! A VPC the fleet does not describe gets the default: the first VPC of each region reaches
//! SSM through interface endpoints (private DNS on, no NAT), the others through a NAT gateway.

use std::fmt::Write as _;

use super::SimState;
use super::fleet::{Egress, VpcSpec};
use super::query::{Query, escape};
use super::sigv4::Credential;

const SSM_SERVICES: [&str; 3] = ["ssm", "ssmmessages", "ec2messages"];

pub(crate) fn vpcs(state: &SimState, region: &str) -> Vec<String> {
    let mut vpcs: Vec<String> = state
        .fleet
        .instances
        .iter()
        .filter(|i| i.region == region)
        .map(|i| i.vpc.clone())
        .chain(
            state
                .fleet
                .vpcs
                .iter()
                .filter(|v| v.region == region)
                .map(|v| v.id.clone()),
        )
        .collect();
    vpcs.sort();
    vpcs.dedup();
    vpcs
}

/// The VPC's endpoints: the fleet's `[[vpc]]`, else the default.
fn vpc_spec(state: &SimState, region: &str, vpc: &str) -> VpcSpec {
    if let Some(spec) = state
        .fleet
        .vpcs
        .iter()
        .find(|v| v.id == vpc && v.region == region)
    {
        return spec.clone();
    }
    let first = vpcs(state, region)
        .first()
        .is_some_and(|first| first == vpc);
    VpcSpec {
        id: vpc.to_owned(),
        region: region.to_owned(),
        endpoints: if first {
            SSM_SERVICES.iter().map(|s| (*s).to_owned()).collect()
        } else {
            Vec::new()
        },
        private_dns: true,
        endpoint_security_groups: Vec::new(),
        instance_connect_endpoint: false,
    }
}

/// A VPC's main route table sends 0.0.0.0/0 to a NAT gateway unless it has all three
/// endpoints (then it needs none).
fn main_egress(state: &SimState, region: &str, vpc: &str) -> Egress {
    let spec = vpc_spec(state, region, vpc);
    if SSM_SERVICES
        .iter()
        .all(|service| spec.endpoints.iter().any(|e| e == service))
    {
        Egress::None
    } else {
        Egress::Nat
    }
}

/// Whether `instance`'s agent reaches SSM's `service` (ssm, ssmmessages, ec2messages): through
/// its subnet's default route (a NAT gateway, or an internet gateway with a public IP), else
/// through its VPC's interface endpoint for that service with private DNS on.
pub(crate) fn reaches(state: &SimState, instance: &super::fleet::Instance, service: &str) -> bool {
    let egress = state
        .fleet
        .subnets
        .iter()
        .find(|s| s.id == instance.subnet && s.region == instance.region)
        .map_or_else(
            || main_egress(state, &instance.region, &instance.vpc),
            |s| s.egress,
        );
    match egress {
        Egress::Nat => true,
        Egress::Igw => instance.public_ip.is_some(),
        Egress::None => {
            let spec = vpc_spec(state, &instance.region, &instance.vpc);
            spec.private_dns && spec.endpoints.iter().any(|e| e == service)
        }
    }
}

fn matches(filters: &[(String, Vec<String>)], name: &str, value: &str) -> bool {
    filters
        .iter()
        .filter(|(filter, _)| filter == name)
        .all(|(_, values)| values.iter().any(|v| v == value))
}

/// Whether every filter is one of `known` (others would be ignored silently otherwise).
fn only_known(filters: &[(String, Vec<String>)], known: &[&str]) -> bool {
    filters
        .iter()
        .all(|(name, _)| known.contains(&name.as_str()))
}

pub(crate) fn describe_vpc_endpoints(
    state: &SimState,
    credential: &Credential,
    query: &Query,
) -> String {
    let region = &credential.region;
    let filters = query.filters();
    let mut xml = String::from("<vpcEndpointSet>");
    for vpc in vpcs(state, region) {
        if !matches(&filters, "vpc-id", &vpc) || !only_known(&filters, &["vpc-id", "service-name"])
        {
            continue;
        }
        let spec = vpc_spec(state, region, &vpc);
        let tail: String = vpc.chars().rev().take(8).collect();
        for service in &spec.endpoints {
            let name = format!("com.amazonaws.{region}.{service}");
            if !matches(&filters, "service-name", &name) {
                continue;
            }
            let groups = if spec.endpoint_security_groups.is_empty() {
                vec![super::specs::default_group_id(&vpc)]
            } else {
                spec.endpoint_security_groups.clone()
            };
            let groups: String = groups
                .iter()
                .map(|id| {
                    format!(
                        "<item><groupId>{}</groupId><groupName>{}</groupName></item>",
                        escape(id),
                        escape(id)
                    )
                })
                .collect();
            let _ = write!(
                xml,
                "<item><vpcEndpointId>vpce-0{}{tail}</vpcEndpointId><vpcEndpointType>Interface</vpcEndpointType><vpcId>{}</vpcId><serviceName>{}</serviceName><state>available</state><privateDnsEnabled>{}</privateDnsEnabled><groupSet>{groups}</groupSet></item>",
                escape(service),
                escape(&vpc),
                escape(&name),
                spec.private_dns
            );
        }
    }
    xml.push_str("</vpcEndpointSet>");
    xml
}

fn route_table(xml: &mut String, id: &str, vpc: &str, egress: Egress, association: &str) {
    let tail: String = vpc.chars().rev().take(8).collect();
    let _ = write!(
        xml,
        "<item><routeTableId>{}</routeTableId><vpcId>{}</vpcId><routeSet><item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state><origin>CreateRouteTable</origin></item>",
        escape(id),
        escape(vpc)
    );
    match egress {
        Egress::Nat => {
            let _ = write!(
                xml,
                "<item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><natGatewayId>nat-0{tail}</natGatewayId><state>active</state><origin>CreateRoute</origin></item>"
            );
        }
        Egress::Igw => {
            let _ = write!(
                xml,
                "<item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><gatewayId>igw-0{tail}</gatewayId><state>active</state><origin>CreateRoute</origin></item>"
            );
        }
        Egress::None => {}
    }
    let _ = write!(
        xml,
        "</routeSet><associationSet>{association}</associationSet></item>"
    );
}

/// The VPCs' EC2 Instance Connect Endpoints (`instance_connect_endpoint = true` in a VPC's
/// spec), one per VPC, in its first subnet.
pub(crate) fn describe_instance_connect_endpoints(
    state: &SimState,
    credential: &Credential,
    query: &Query,
) -> String {
    let region = &credential.region;
    let filters = query.filters();
    let mut xml = String::from("<instanceConnectEndpointSet>");
    let known = ["vpc-id", "state", "instance-connect-endpoint-id"];
    for vpc in vpcs(state, region) {
        let spec = vpc_spec(state, region, &vpc);
        let tail: String = vpc.chars().rev().take(8).collect();
        let id = format!("eice-0{tail}");
        if !spec.instance_connect_endpoint
            || !only_known(&filters, &known)
            || !matches(&filters, "vpc-id", &vpc)
            || !matches(&filters, "state", "create-complete")
            || !matches(&filters, "instance-connect-endpoint-id", &id)
        {
            continue;
        }
        let subnet = state
            .fleet
            .subnets
            .iter()
            .find(|s| s.vpc == vpc && s.region == *region)
            .map_or_else(|| format!("subnet-0{tail}"), |s| s.id.clone());
        let owner = state
            .fleet
            .instances
            .iter()
            .find(|i| i.vpc == vpc && i.region == *region)
            .map_or("111122223333", |i| i.account.as_str());
        let _ = write!(
            xml,
            "<item><ownerId>{owner}</ownerId><instanceConnectEndpointId>{id}</instanceConnectEndpointId>\
<instanceConnectEndpointArn>arn:aws:ec2:{region}:{owner}:instance-connect-endpoint/{id}</instanceConnectEndpointArn>\
<state>create-complete</state><dnsName>{id}.{tail}.ec2-instance-connect-endpoint.{region}.amazonaws.com</dnsName>\
<vpcId>{vpc}</vpcId><subnetId>{subnet}</subnetId><preserveClientIp>false</preserveClientIp>\
<securityGroupIdSet><item>{group}</item></securityGroupIdSet><tagSet/></item>",
            owner = escape(owner),
            region = escape(region),
            vpc = escape(&vpc),
            subnet = escape(&subnet),
            group = escape(&super::specs::default_group_id(&vpc)),
        );
    }
    xml.push_str("</instanceConnectEndpointSet>");
    xml
}

pub(crate) fn describe_route_tables(
    state: &SimState,
    credential: &Credential,
    query: &Query,
) -> String {
    let region = &credential.region;
    let filters = query.filters();
    let known = ["vpc-id", "association.subnet-id", "association.main"];
    let mut xml = String::from("<routeTableSet>");
    if !only_known(&filters, &known) {
        xml.push_str("</routeTableSet>");
        return xml;
    }
    for vpc in vpcs(state, region) {
        if !matches(&filters, "vpc-id", &vpc) {
            continue;
        }
        let tail: String = vpc.chars().rev().take(8).collect();
        // The main table: associated with no subnet explicitly.
        if matches(&filters, "association.main", "true")
            && filters
                .iter()
                .all(|(name, _)| name != "association.subnet-id")
        {
            let id = format!("rtb-0{tail}");
            let association = format!(
                "<item><routeTableAssociationId>rtbassoc-0{tail}</routeTableAssociationId><routeTableId>{id}</routeTableId><main>true</main><associationState><state>associated</state></associationState></item>"
            );
            route_table(
                &mut xml,
                &id,
                &vpc,
                main_egress(state, region, &vpc),
                &association,
            );
        }
        for subnet in state
            .fleet
            .subnets
            .iter()
            .filter(|s| s.vpc == vpc && s.region == *region)
        {
            if !matches(&filters, "association.subnet-id", &subnet.id)
                || !matches(&filters, "association.main", "false")
            {
                continue;
            }
            let id = format!("rtb-0{}", subnet.id.trim_start_matches("subnet-0"));
            let association = format!(
                "<item><routeTableAssociationId>rtbassoc-0{}</routeTableAssociationId><routeTableId>{id}</routeTableId><subnetId>{}</subnetId><main>false</main><associationState><state>associated</state></associationState></item>",
                subnet.id.trim_start_matches("subnet-0"),
                escape(&subnet.id)
            );
            route_table(&mut xml, &id, &vpc, subnet.egress, &association);
        }
    }
    xml.push_str("</routeTableSet>");
    xml
}

pub(crate) fn describe_profile_associations(
    state: &SimState,
    credential: &Credential,
    query: &Query,
) -> String {
    let filters = query.filters();
    let mut xml = String::from("<iamInstanceProfileAssociationSet>");
    for instance in state
        .fleet
        .instances
        .iter()
        .filter(|i| i.region == credential.region && i.is_ec2())
    {
        if !matches(&filters, "instance-id", &instance.id)
            || !matches(&filters, "state", "associated")
        {
            continue;
        }
        if let Some(profile) = &instance.iam_profile {
            let _ = write!(
                xml,
                "<item><associationId>iip-assoc-{}</associationId><instanceId>{}</instanceId><iamInstanceProfile><arn>{}</arn><id>AIPA{}</id></iamInstanceProfile><state>associated</state></item>",
                &instance.id[2..],
                escape(&instance.id),
                escape(&instance.profile_arn(profile)),
                instance.id[2..].to_uppercase()
            );
        }
    }
    xml.push_str("</iamInstanceProfileAssociationSet>");
    xml
}
