//! What a fleet file declares for the rest of the estate, read as written: security groups
//! and their rules (`PROTOCOL:PORTS:PEER`), ECS clusters and services. The modules that serve
//! them (`security_groups`, `ecs`) and the fleet that holds them both read these.

use serde::Deserialize;

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

pub(crate) fn default_region() -> String {
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

/// A cluster.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcsClusterSpec {
    pub name: String,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default = "default_account")]
    pub account: String,
}

/// A service and the tasks it keeps running.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcsServiceSpec {
    pub cluster: String,
    pub name: String,
    /// FARGATE or EC2.
    #[serde(default = "default_launch_type")]
    pub launch_type: String,
    /// Running tasks.
    #[serde(default = "one")]
    pub tasks: usize,
    /// The tasks were started with `enableExecuteCommand`.
    #[serde(default = "yes")]
    pub exec: bool,
    /// The tasks' ExecuteCommandAgent is not running (it failed to start).
    #[serde(default)]
    pub agent_stopped: bool,
    /// The task role lets the agent reach ssmmessages (without it exec cannot connect).
    #[serde(default = "yes")]
    pub role_allows_exec: bool,
    /// Fargate platform version (ECS Exec needs 1.4.0 or later).
    #[serde(default = "default_platform_version")]
    pub platform_version: String,
    #[serde(default = "default_image")]
    pub image: String,
    /// Container names (the first is the essential one).
    #[serde(default = "default_containers")]
    pub containers: Vec<String>,
    #[serde(default = "default_cpu")]
    pub cpu: String,
    #[serde(default = "default_memory")]
    pub memory: String,
    /// For EC2-launched tasks: the EC2 instance they run on.
    #[serde(default)]
    pub container_instance: Option<String>,
}

pub(crate) fn default_account() -> String {
    "123456789012".to_owned()
}
pub(crate) fn default_launch_type() -> String {
    "FARGATE".to_owned()
}
pub(crate) fn one() -> usize {
    1
}
pub(crate) fn yes() -> bool {
    true
}
pub(crate) fn default_platform_version() -> String {
    "1.4.0".to_owned()
}
pub(crate) fn default_image() -> String {
    "public.ecr.aws/docker/library/busybox:latest".to_owned()
}
pub(crate) fn default_containers() -> Vec<String> {
    vec!["app".to_owned()]
}
pub(crate) fn default_cpu() -> String {
    "256".to_owned()
}
pub(crate) fn default_memory() -> String {
    "512".to_owned()
}
