//! The simulated EC2 API (query protocol, XML responses): DescribeInstances with filters and
//! paging, the network and IAM views needed to explain why an instance is unreachable, and
//! GetPasswordData (`windows`).

use std::fmt::Write as _;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};

use super::api::{ApiError, next_token, parse_next_token};
use super::fleet::Instance;
pub(crate) use super::query::{Query, escape, xml, xml_error};
use super::sigv4::Credential;
use super::{SimState, network};

const XMLNS: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

pub(crate) fn dispatch(
    state: &SimState,
    credential: &Credential,
    action: &str,
    form: &[(String, String)],
) -> Response<Full<Bytes>> {
    let query = Query(form);
    let result = match action {
        "DescribeInstances" => describe_instances(state, credential, &query),
        "DescribeRegions" => Ok(describe_regions(state)),
        "GetPasswordData" => super::windows::get_password_data(state, credential, &query),
        "DescribeVpcEndpoints" => Ok(network::describe_vpc_endpoints(state, credential, &query)),
        "DescribeRouteTables" => Ok(network::describe_route_tables(state, credential, &query)),
        "DescribeInstanceConnectEndpoints" => Ok(network::describe_instance_connect_endpoints(
            state, credential, &query,
        )),
        "DescribeSecurityGroups" => Ok(super::security_groups::describe_security_groups(
            state, credential, &query,
        )),
        "DescribeIamInstanceProfileAssociations" => Ok(network::describe_profile_associations(
            state, credential, &query,
        )),
        "" => Err(ApiError::new(
            400,
            "MissingAction",
            "The request must contain the parameter Action",
        )),
        other => Err(ApiError::new(
            400,
            "InvalidAction",
            format!("The action {other} is not valid for this web service."),
        )),
    };
    match result {
        Ok(inner) => xml_response(action, &inner),
        Err(error) => xml_error(&error),
    }
}

fn xml_response(action: &str, inner: &str) -> Response<Full<Bytes>> {
    let request_id = uuid::Uuid::new_v4();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{XMLNS}\"><requestId>{request_id}</requestId>{inner}</{action}Response>"
    );
    xml(StatusCode::OK, body)
}

fn instance_filter_matches(
    name: &str,
    values: &[String],
    instance: &Instance,
) -> Result<bool, ApiError> {
    let any = |actual: &str| values.iter().any(|v| v == actual);
    Ok(match name {
        "instance-id" => any(&instance.id),
        "instance-state-name" => any(&instance.state),
        "vpc-id" => any(&instance.vpc),
        "subnet-id" => any(&instance.subnet),
        "availability-zone" => any(&instance.az),
        "instance-type" => any(&instance.instance_type),
        "private-ip-address" => any(&instance.private_ip),
        "private-dns-name" => any(&instance.private_dns()),
        "platform" => instance.platform == super::Platform::Windows && any("windows"),
        "tag-key" => values.iter().any(|k| instance.tags.contains_key(k)),
        "iam-instance-profile.arn" => instance
            .iam_profile
            .as_ref()
            .is_some_and(|p| any(&instance.profile_arn(p))),
        other => match other.strip_prefix("tag:") {
            Some(key) => instance.tags.get(key).is_some_and(|v| any(v)),
            None => {
                return Err(ApiError::new(
                    400,
                    "InvalidParameterValue",
                    format!("The filter '{other}' is invalid"),
                ));
            }
        },
    })
}

fn describe_instances(
    state: &SimState,
    credential: &Credential,
    query: &Query,
) -> Result<String, ApiError> {
    let ids = query.list("InstanceId");
    let max = query.get("MaxResults");
    if max.is_some() && !ids.is_empty() {
        return Err(ApiError::new(
            400,
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    let max = match max.map(str::parse::<usize>) {
        None => usize::MAX,
        Some(Ok(n)) if (5..=1000).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::new(
                400,
                "InvalidParameterValue",
                "Value for parameter maxResults is invalid. Expecting a value between 5 and 1000.",
            ));
        }
    };
    for id in &ids {
        if !id.starts_with("i-") || id.len() < 10 || !id[2..].chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(ApiError::new(
                400,
                "InvalidInstanceID.Malformed",
                format!("Invalid id: \"{id}\""),
            ));
        }
        if !state
            .fleet
            .instances
            .iter()
            .any(|i| &i.id == id && i.region == credential.region)
        {
            return Err(ApiError::new(
                400,
                "InvalidInstanceID.NotFound",
                format!("The instance ID '{id}' does not exist"),
            ));
        }
    }
    let filters = query.filters();
    let start = parse_next_token(query.get("NextToken"), "InvalidParameterValue")?;
    let mut matching = Vec::new();
    for instance in state
        .fleet
        .instances
        .iter()
        .filter(|i| i.region == credential.region && i.is_ec2())
    {
        if !ids.is_empty() && !ids.contains(&instance.id) {
            continue;
        }
        let mut keep = true;
        for (name, values) in &filters {
            keep &= instance_filter_matches(name, values, instance)?;
        }
        if keep {
            matching.push(instance);
        }
    }
    let mut xml = String::from("<reservationSet>");
    let groups = super::security_groups::all_groups(state, &credential.region);
    for instance in matching.iter().skip(start).take(max) {
        write_reservation(&mut xml, state, &groups, instance);
    }
    xml.push_str("</reservationSet>");
    if max != usize::MAX
        && let Some(token) = next_token(start.saturating_add(max), matching.len())
    {
        let _ = write!(xml, "<nextToken>{}</nextToken>", escape(&token));
    }
    Ok(xml)
}

fn state_code(name: &str) -> u16 {
    match name {
        "pending" => 0,
        "running" => 16,
        "shutting-down" => 32,
        "terminated" => 48,
        "stopping" => 64,
        _ => 80,
    }
}

fn write_reservation(
    xml: &mut String,
    state: &SimState,
    groups: &[super::security_groups::SecurityGroupSpec],
    instance: &Instance,
) {
    let suffix = &instance.id[2..];
    let launch = super::api::epoch_seconds(state.started) as i64 - 86_400 * 60;
    let windows = instance.platform == super::Platform::Windows;
    let _ = write!(
        xml,
        "<item><reservationId>r-{suffix}</reservationId><ownerId>{owner}</ownerId><groupSet/><instancesSet><item>\
<instanceId>{id}</instanceId><imageId>ami-0{image}</imageId>\
<instanceState><code>{code}</code><name>{state_name}</name></instanceState>\
<privateDnsName>{dns}</privateDnsName><dnsName/>\
<instanceType>{itype}</instanceType><launchTime>{launch}</launchTime>\
<placement><availabilityZone>{az}</availabilityZone><tenancy>default</tenancy></placement>\
{platform}<platformDetails>{details}</platformDetails><architecture>x86_64</architecture>\
<monitoring><state>disabled</state></monitoring>\
<subnetId>{subnet}</subnetId><vpcId>{vpc}</vpcId><privateIpAddress>{ip}</privateIpAddress>{public}",
        owner = escape(&instance.account),
        id = escape(&instance.id),
        image = &suffix[suffix.len().saturating_sub(16)..],
        code = state_code(&instance.state),
        state_name = escape(&instance.state),
        dns = escape(&instance.private_dns()),
        itype = escape(&instance.instance_type),
        launch = crate::model::format::iso8601(launch),
        az = escape(&instance.az),
        platform = if windows {
            concat!(
                "<platform>windows</platform><keyName>",
                "bosun-sim-windows",
                "</keyName>"
            )
        } else {
            ""
        },
        details = if windows { "Windows" } else { "Linux/UNIX" },
        subnet = escape(&instance.subnet),
        vpc = escape(&instance.vpc),
        ip = escape(&instance.private_ip),
        public = instance
            .public_ip
            .as_ref()
            .map(|ip| format!("<ipAddress>{}</ipAddress>", escape(ip)))
            .unwrap_or_default(),
    );
    xml.push_str(&super::security_groups::group_set(groups, instance));
    if let Some(profile) = &instance.iam_profile {
        let _ = write!(
            xml,
            "<iamInstanceProfile><arn>{}</arn><id>AIPA{}</id></iamInstanceProfile>",
            escape(&instance.profile_arn(profile)),
            suffix.to_uppercase()
        );
    }
    xml.push_str("<tagSet>");
    for (key, value) in &instance.tags {
        let _ = write!(
            xml,
            "<item><key>{}</key><value>{}</value></item>",
            escape(key),
            escape(value)
        );
    }
    xml.push_str("</tagSet></item></instancesSet></item>");
}

fn regions(state: &SimState) -> Vec<String> {
    let mut regions: Vec<String> = state
        .fleet
        .instances
        .iter()
        .map(|i| i.region.clone())
        .collect();
    regions.sort();
    regions.dedup();
    regions
}

fn describe_regions(state: &SimState) -> String {
    let mut xml = String::from("<regionInfo>");
    for region in regions(state) {
        let _ = write!(
            xml,
            "<item><regionName>{0}</regionName><regionEndpoint>ec2.{0}.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>",
            escape(&region)
        );
    }
    xml.push_str("</regionInfo>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(crate::model::format::iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            crate::model::format::iso8601(1_795_248_000),
            "2026-11-21T08:00:00.000Z"
        );
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(escape("a<b&'c'>"), "a&lt;b&amp;&apos;c&apos;&gt;");
    }
}
