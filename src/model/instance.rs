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
    /// EC2 state name; none for hybrid (mi-) nodes.
    pub ec2_state: Option<String>,
    pub instance_type: Option<String>,
    pub availability_zone: Option<String>,
    pub region: String,
    /// The profile the row was read with (or "default").
    pub profile: String,
    pub account: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub iam_instance_profile: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl InstanceRow {
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
            ec2_state: None,
            instance_type: None,
            availability_zone: None,
            region: region.to_owned(),
            profile: profile.to_owned(),
            account: None,
            vpc_id: None,
            subnet_id: None,
            iam_instance_profile: None,
            tags: BTreeMap::new(),
        }
    }
}
