//! The simulated fleet: instances as AWS describes them to SSM and EC2 (ping status, agent
//! version, platform, network, tags), loaded from a TOML fleet file or generated at scale.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

pub use crate::protocol::version::version_greater;

pub const CURRENT_AGENT_VERSION: &str = "3.3.987.0";
pub const DEFAULT_ACCOUNT: &str = "111122223333";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PingStatus {
    Online,
    ConnectionLost,
    Inactive,
}

impl PingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PingStatus::Online => "Online",
            PingStatus::ConnectionLost => "ConnectionLost",
            PingStatus::Inactive => "Inactive",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Platform {
    Linux,
    Windows,
    MacOS,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linux => "Linux",
            Platform::Windows => "Windows",
            Platform::MacOS => "MacOS",
        }
    }
}

/// One instance. `ping == None` means SSM does not manage it (no agent, no role): it exists
/// only in EC2, as such instances do in real accounts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub id: String,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default = "default_account")]
    pub account: String,
    #[serde(default = "default_platform")]
    pub platform: Platform,
    #[serde(default = "default_os")]
    pub os: String,
    #[serde(default = "default_os_version")]
    pub os_version: String,
    /// EC2 state name: pending, running, stopping, stopped, terminated.
    #[serde(default = "default_state")]
    pub state: String,
    #[serde(default)]
    pub ping: Option<PingStatus>,
    #[serde(default = "default_agent_version")]
    pub agent_version: String,
    /// Seconds before the simulator started that the agent last pinged.
    #[serde(default)]
    pub last_ping_age: u64,
    #[serde(default = "default_instance_type", rename = "type")]
    pub instance_type: String,
    #[serde(default)]
    pub az: String,
    #[serde(default = "default_vpc")]
    pub vpc: String,
    #[serde(default)]
    pub subnet: String,
    #[serde(default)]
    pub private_ip: String,
    /// A public IPv4 address (what a subnet routed to an internet gateway needs).
    #[serde(default)]
    pub public_ip: Option<String>,
    #[serde(default)]
    pub iam_profile: Option<String>,
    /// Sessions on this instance are KMS-encrypted with this key.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// StartSession on this instance fails with AccessDeniedException.
    #[serde(default)]
    pub deny_sessions: bool,
    /// Its security groups' ids (none: its VPC's default group).
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Instance {
    pub fn name(&self) -> &str {
        self.tags.get("Name").map_or("", String::as_str)
    }

    /// Its private DNS name as EC2 gives it (IP-based naming): `ip-10-0-1-23.ec2.internal` in
    /// us-east-1, `ip-10-0-1-23.REGION.compute.internal` elsewhere.
    pub fn private_dns(&self) -> String {
        let host = format!("ip-{}", self.private_ip.replace('.', "-"));
        if self.region == "us-east-1" {
            format!("{host}.ec2.internal")
        } else {
            format!("{host}.{}.compute.internal", self.region)
        }
    }

    pub fn is_managed(&self) -> bool {
        self.ping.is_some()
    }

    pub fn is_online(&self) -> bool {
        self.ping == Some(PingStatus::Online) && self.state == "running"
    }

    /// Only hybrid (`mi-`) nodes are not EC2 instances.
    pub fn is_ec2(&self) -> bool {
        self.id.starts_with("i-")
    }

    /// The ARN of one of its account's instance profiles.
    pub fn profile_arn(&self, profile: &str) -> String {
        format!("arn:aws:iam::{}:instance-profile/{profile}", self.account)
    }

    /// Multiplexed port forwarding needs an agent newer than 3.0.196.0.
    pub fn supports_mux(&self) -> bool {
        crate::model::agent::multiplexes(&self.agent_version)
    }
}

fn default_region() -> String {
    "us-east-1".to_owned()
}
fn default_account() -> String {
    DEFAULT_ACCOUNT.to_owned()
}
fn default_platform() -> Platform {
    Platform::Linux
}
fn default_os() -> String {
    "Amazon Linux".to_owned()
}
fn default_os_version() -> String {
    "2023".to_owned()
}
fn default_state() -> String {
    "running".to_owned()
}
fn default_agent_version() -> String {
    CURRENT_AGENT_VERSION.to_owned()
}
fn default_instance_type() -> String {
    "t3.micro".to_owned()
}
fn default_vpc() -> String {
    "vpc-0a1b2c3d4e5f60001".to_owned()
}

/// A loopback service behind the fleet, reachable from port sessions by host name (the
/// "database behind the bastion" of the RDS tunnel).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteHost {
    /// The name clients ask for, e.g. `payments.cluster-abc.us-east-1.rds.amazonaws.com`.
    pub host: String,
    pub port: u16,
    /// What listens there: `echo` (echoes bytes) or `banner` (greets, then echoes).
    #[serde(default = "default_service")]
    pub service: String,
}

fn default_service() -> String {
    "echo".to_owned()
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    #[serde(default, rename = "instance")]
    pub instances: Vec<Instance>,
    #[serde(default, rename = "remote_host")]
    pub remote_hosts: Vec<RemoteHost>,
    /// Subnets whose way out differs from their VPC's (`[[subnet]]`).
    #[serde(default, rename = "subnet")]
    pub subnets: Vec<SubnetSpec>,
    /// VPCs' interface endpoints (`[[vpc]]`).
    #[serde(default, rename = "vpc")]
    pub vpcs: Vec<VpcSpec>,
    /// Instance profiles whose role differs from the default (`[[instance_profile]]`).
    #[serde(default, rename = "instance_profile")]
    pub instance_profiles: Vec<InstanceProfileSpec>,
    /// Session Manager preferences saved in a Region (`[[session_preferences]]`).
    #[serde(default, rename = "session_preferences")]
    pub session_preferences: Vec<SessionPreferences>,
    /// Security groups beside each VPC's default one (`[[security_group]]`).
    #[serde(default, rename = "security_group")]
    pub security_groups: Vec<super::specs::SecurityGroupSpec>,
    /// ECS clusters (`[[ecs_cluster]]`) and their services (`[[ecs_service]]`).
    #[serde(default, rename = "ecs_cluster")]
    pub ecs_clusters: Vec<super::specs::EcsClusterSpec>,
    #[serde(default, rename = "ecs_service")]
    pub ecs_services: Vec<super::specs::EcsServiceSpec>,
}

/// An instance profile and its role. A profile the fleet does not list has a role of the
/// same name with AmazonSSMManagedInstanceCore attached.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceProfileSpec {
    pub name: String,
    /// The role's name (default: the profile's).
    #[serde(default)]
    pub role: Option<String>,
    /// Managed policies attached to the role, by name.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Inline policies of the role, by name.
    #[serde(default)]
    pub inline_policies: Vec<String>,
}

impl Fleet {
    /// The instance profile `name` as IAM describes it: the fleet's, else the default.
    pub fn instance_profile(&self, name: &str) -> InstanceProfileSpec {
        self.instance_profiles
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .unwrap_or_else(|| InstanceProfileSpec {
                name: name.to_owned(),
                role: None,
                policies: vec!["AmazonSSMManagedInstanceCore".to_owned()],
                inline_policies: Vec::new(),
            })
    }

    /// Whether any instance uses the instance profile `name`, or the fleet lists it.
    pub fn knows_instance_profile(&self, name: &str) -> bool {
        self.instance_profiles.iter().any(|p| p.name == name)
            || self
                .instances
                .iter()
                .any(|i| i.iam_profile.as_deref() == Some(name))
    }
}

/// A Region's saved Session Manager preferences: with `kms_key_id`, every shell session there
/// is KMS-encrypted (an instance's own `kms_key_id` wins).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionPreferences {
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

/// Where a subnet's route table sends `0.0.0.0/0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Egress {
    /// A NAT gateway: private instances reach SSM's public endpoints.
    Nat,
    /// An internet gateway: instances with a public IP reach them.
    Igw,
    /// No default route: only interface endpoints reach SSM.
    None,
}

/// A subnet with a route table of its own.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetSpec {
    pub id: String,
    pub vpc: String,
    #[serde(default = "default_region")]
    pub region: String,
    pub egress: Egress,
}

/// A VPC's interface endpoints for SSM (`ssm`, `ssmmessages`, `ec2messages`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpcSpec {
    pub id: String,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default)]
    pub endpoints: Vec<String>,
    #[serde(default = "default_true")]
    pub private_dns: bool,
    /// The endpoints' security groups (none: the VPC's default group).
    #[serde(default)]
    pub endpoint_security_groups: Vec<String>,
    /// The VPC has an EC2 Instance Connect Endpoint.
    #[serde(default)]
    pub instance_connect_endpoint: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("cannot read fleet file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("fleet file {path}: {message}")]
    Parse { path: String, message: String },
}

impl Fleet {
    pub fn load(path: &Path) -> Result<Fleet, FleetError> {
        let text = std::fs::read_to_string(path).map_err(|source| FleetError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Fleet::parse(&text, &path.display().to_string())
    }

    /// Parses fleet TOML; `origin` names the file in errors (which carry line and column).
    pub fn parse(text: &str, origin: &str) -> Result<Fleet, FleetError> {
        let mut fleet: Fleet = toml::from_str(text).map_err(|error| FleetError::Parse {
            path: origin.to_owned(),
            message: error.to_string(),
        })?;
        fleet.fill_in_network();
        fleet
            .check_security_groups()
            .map_err(|message| FleetError::Parse {
                path: origin.to_owned(),
                message,
            })?;
        for service in &mut fleet.ecs_services {
            // As ECS spells them.
            service.launch_type.make_ascii_uppercase();
            if !["FARGATE", "EC2", "EXTERNAL"].contains(&service.launch_type.as_str()) {
                return Err(FleetError::Parse {
                    path: origin.to_owned(),
                    message: format!(
                        "ecs_service {}: launch_type {:?} is not FARGATE, EC2 or EXTERNAL",
                        service.name, service.launch_type
                    ),
                });
            }
        }
        for service in &fleet.ecs_services {
            if !fleet.ecs_clusters.iter().any(|c| c.name == service.cluster) {
                return Err(FleetError::Parse {
                    path: origin.to_owned(),
                    message: format!(
                        "ecs_service {} names cluster {:?}, which no [[ecs_cluster]] has",
                        service.name, service.cluster
                    ),
                });
            }
        }
        let mut seen = std::collections::HashSet::new();
        for instance in &fleet.instances {
            if !seen.insert(instance.id.clone()) {
                return Err(FleetError::Parse {
                    path: origin.to_owned(),
                    message: format!("instance {} appears twice", instance.id),
                });
            }
        }
        Ok(fleet)
    }

    /// The `--demo` fleet, embedded in the binary.
    pub fn demo() -> Fleet {
        // The embedded file is tested to parse (tests/sim_e2e.rs), so this cannot fail in a
        // released binary; fall back to a generated fleet rather than panic regardless.
        Fleet::parse(
            include_str!("../../assets/demo-fleet.toml"),
            "assets/demo-fleet.toml",
        )
        .unwrap_or_else(|_| Fleet::generate(30, 1))
    }

    /// A deterministic fleet of `count` instances for scale tests.
    pub fn generate(count: usize, seed: u64) -> Fleet {
        const TEAMS: [&str; 6] = ["payments", "search", "platform", "data", "identity", "web"];
        const ROLES: [&str; 5] = ["api", "worker", "db-proxy", "cache", "batch"];
        const ENVIRONMENTS: [&str; 3] = ["production", "staging", "dev"];
        const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let instances = (0..count)
            .map(|n| {
                let roll = next() % 100;
                let team = TEAMS[n % TEAMS.len()];
                let environment = ENVIRONMENTS[(n / TEAMS.len()) % ENVIRONMENTS.len()];
                let region = REGIONS[n % REGIONS.len()];
                let windows = next() % 10 == 0;
                let mut tags = BTreeMap::new();
                tags.insert(
                    "Name".to_owned(),
                    format!("{team}-{}-{n}", ROLES[(n / 7) % ROLES.len()]),
                );
                tags.insert("Team".to_owned(), team.to_owned());
                tags.insert("Environment".to_owned(), environment.to_owned());
                // Every fifth instance is a Kubernetes node: three clusters, each with a
                // managed node group and a Karpenter pool.
                if n % 5 == 0 && !windows {
                    let cluster = ["shop-prod", "data", "search"][(n / 5) % 3];
                    tags.insert("eks:cluster-name".to_owned(), cluster.to_owned());
                    tags.insert(
                        format!("kubernetes.io/cluster/{cluster}"),
                        "owned".to_owned(),
                    );
                    if (n / 15) % 2 == 0 {
                        tags.insert("eks:nodegroup-name".to_owned(), "general".to_owned());
                    } else {
                        tags.insert("karpenter.sh/nodepool".to_owned(), "spot".to_owned());
                    }
                }
                Instance {
                    id: format!("i-{:017x}", 0x0a00_0000_0000_0000u64 + n as u64),
                    region: region.to_owned(),
                    account: DEFAULT_ACCOUNT.to_owned(),
                    platform: if windows {
                        Platform::Windows
                    } else {
                        Platform::Linux
                    },
                    os: if windows {
                        "Microsoft Windows Server 2022 Datacenter".to_owned()
                    } else {
                        default_os()
                    },
                    os_version: if windows {
                        "10.0.20348".to_owned()
                    } else {
                        default_os_version()
                    },
                    state: if roll == 99 { "stopped" } else { "running" }.to_owned(),
                    ping: match roll {
                        0..=89 => Some(PingStatus::Online),
                        90..=95 => Some(PingStatus::ConnectionLost),
                        96..=97 => Some(PingStatus::Inactive),
                        _ => None,
                    },
                    agent_version: default_agent_version(),
                    last_ping_age: next() % 300,
                    instance_type: "t3.small".to_owned(),
                    az: String::new(),
                    vpc: format!("vpc-0a1b2c3d4e5f6000{}", n % 3),
                    subnet: String::new(),
                    private_ip: String::new(),
                    public_ip: None,
                    iam_profile: Some("SSMInstanceProfile".to_owned()),
                    kms_key_id: None,
                    deny_sessions: false,
                    security_groups: Vec::new(),
                    tags,
                }
            })
            .collect();
        let mut fleet = Fleet {
            instances,
            ..Fleet::default()
        };
        fleet.fill_in_network();
        fleet
    }

    /// Derives what a fleet file may leave out: AZ, subnet and a private IP per instance.
    fn fill_in_network(&mut self) {
        for (n, instance) in self.instances.iter_mut().enumerate() {
            if instance.az.is_empty() {
                let zone = ['a', 'b', 'c'][n % 3];
                instance.az = format!("{}{zone}", instance.region);
            }
            if instance.subnet.is_empty() {
                let suffix = instance.vpc.trim_start_matches("vpc-");
                let tail = &suffix[suffix.len().saturating_sub(4)..];
                instance.subnet = format!("subnet-0{tail}{:012x}", n % 3);
            }
            if instance.private_ip.is_empty() {
                instance.private_ip = format!("10.{}.{}.{}", n % 3, (n / 250) % 250, 10 + n % 240);
            }
        }
    }

    /// Every rule reads, and every group an instance or endpoint names is defined (or a
    /// VPC's default group).
    fn check_security_groups(&self) -> Result<(), String> {
        use super::specs::{default_group_id, parse_rule};
        for group in &self.security_groups {
            for rule in group.ingress.iter().chain(&group.egress) {
                parse_rule(rule).map_err(|e| format!("security group {}: {e}", group.id))?;
            }
        }
        let known = |id: &str, vpc: &str| {
            id == default_group_id(vpc) || self.security_groups.iter().any(|g| g.id == id)
        };
        for instance in &self.instances {
            if let Some(id) = instance
                .security_groups
                .iter()
                .find(|id| !known(id, &instance.vpc))
            {
                return Err(format!(
                    "instance {} names security group {id}, which no [[security_group]] defines",
                    instance.id
                ));
            }
        }
        for vpc in &self.vpcs {
            if let Some(id) = vpc
                .endpoint_security_groups
                .iter()
                .find(|id| !known(id, &vpc.id))
            {
                return Err(format!(
                    "vpc {} names security group {id}, which no [[security_group]] defines",
                    vpc.id
                ));
            }
        }
        Ok(())
    }

    pub fn find(&self, id: &str) -> Option<&Instance> {
        self.instances.iter().find(|instance| instance.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_fleets_are_deterministic() {
        let a = Fleet::generate(1000, 7);
        assert_eq!(a, Fleet::generate(1000, 7));
        assert_eq!(a.instances.len(), 1000);
        let online = a.instances.iter().filter(|i| i.is_online()).count();
        assert!(online > 800 && online < 950, "{online}");
        assert!(a.instances.iter().any(|i| !i.is_managed()));
    }

    #[test]
    fn a_broken_fleet_file_names_file_line_and_key() {
        let error = Fleet::parse("[[instance]]\nid = \"i-1\"\nbogus = 3\n", "fleet.toml")
            .expect_err("unknown key");
        let text = error.to_string();
        assert!(
            text.contains("fleet.toml") && text.contains("line 3") && text.contains("bogus"),
            "{text}"
        );
    }
}
