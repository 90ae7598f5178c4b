//! Why a session would not start, judged from facts: what EC2 and SSM say about an instance,
//! its instance profile, and its subnet's ways out to SSM. Pure: the facts are gathered in the
//! effects ring; here each check gets ✓ / ✗ / ? with its evidence, and the report names one
//! cause and one fix, the first that explains the failure in the order a person would look.

use serde::Serialize;

use super::agent;
use super::agent::Capability;

/// The doctor is asked by itself about at most this many instances a run did not reach: each
/// costs up to a dozen API calls, and the first few usually share the cause.
pub const DOCTOR_AT_MOST: usize = 3;

/// What a lookup found, or why it could not look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact<T> {
    Found(T),
    /// The lookup worked and there is nothing (no such instance, not registered, no profile).
    Absent,
    /// The lookup failed (access denied, throttled…): the sentence why.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ec2Facts {
    pub state: String,
    pub platform: String,
    pub vpc: String,
    pub subnet: String,
    pub private_ip: String,
    pub public_ip: Option<String>,
    /// Its security groups' ids.
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsmFacts {
    pub ping: String,
    /// Seconds since the agent last pinged.
    pub ping_age_secs: Option<u64>,
    pub agent_version: String,
    pub platform: String,
}

/// The instance profile's role and what is attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    pub role: String,
    /// Managed policies, by name.
    pub attached: Vec<String>,
    /// Inline policies, by name (bosun does not read what they allow).
    pub inline: Vec<String>,
}

/// Managed policies that let an instance's agent talk to SSM.
pub const SSM_POLICIES: [&str; 3] = [
    "AmazonSSMManagedInstanceCore",
    "AmazonSSMManagedEC2InstanceDefaultPolicy",
    "AmazonEC2RoleforSSM",
];

/// Where the subnet's route table sends 0.0.0.0/0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultRoute {
    NatGateway,
    InternetGateway,
    None,
}

/// The VPC's interface endpoints for one SSM service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub service: String,
    pub private_dns: bool,
    pub security_groups: Vec<String>,
}

/// One rule of a security group: `-1` is every protocol; no ports is every port; peers are
/// CIDR blocks, group ids and prefix lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityRule {
    pub protocol: String,
    pub ports: Option<(u16, u16)>,
    pub peers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub ingress: Vec<SecurityRule>,
    pub egress: Vec<SecurityRule>,
}

/// Everything the doctor gathered about one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub instance_id: String,
    pub region: String,
    pub ec2: Fact<Ec2Facts>,
    pub ssm: Fact<SsmFacts>,
    /// The instance profile's ARN.
    pub profile: Fact<String>,
    /// Its role's policies (IAM).
    pub role: Fact<RoleFacts>,
    pub route: Fact<DefaultRoute>,
    /// The route table that decides `route`.
    pub route_table: Option<String>,
    /// NAT gateways the VPC's route tables send traffic to (one a route could use).
    pub nat_gateways: Vec<String>,
    pub endpoints: Fact<Vec<Endpoint>>,
    /// The security groups of the instance's VPC.
    pub security_groups: Fact<Vec<SecurityGroup>>,
    /// The VPC's EC2 Instance Connect Endpoints that are ready.
    pub instance_connect_endpoints: Fact<Vec<String>>,
    /// Who is asking, and what IAM's policy simulator says they may do to the instance.
    pub caller: Fact<CallerFacts>,
    /// The KMS key the Region's Session Manager preferences encrypt sessions with (absent:
    /// no preferences saved, or no key in them).
    pub session_kms_key: Fact<String>,
}

/// The caller and IAM's decisions on the actions a session and a run need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerFacts {
    pub arn: String,
    /// The instance's ARN, as the decisions name it.
    pub resource: String,
    /// (action, decision: `allowed`, `implicitDeny`, `explicitDeny`): ssm actions on the
    /// instance, kms:GenerateDataKey on the session key when sessions are encrypted.
    pub decisions: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Unknown,
}

impl Verdict {
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::Pass => "✓",
            Verdict::Fail => "✗",
            Verdict::Unknown => "?",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub area: &'static str,
    pub name: &'static str,
    pub verdict: Verdict,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub instance_id: String,
    pub region: String,
    pub checks: Vec<Check>,
    /// Whether a session would start, as far as the checks can tell.
    pub would_start: bool,
    pub cause: String,
    pub fix: String,
    /// Other ways onto the instance while sessions fail (none when a session would start).
    pub fallbacks: Vec<String>,
    /// Where each service is reached (filled by `bosun doctor`; empty elsewhere).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<ServiceEndpoint>,
}

impl Report {
    /// What the fix asks to run, one command a line (the text in backticks), or the fix as
    /// written when it names no command: what `y` copies.
    pub fn fix_commands(&self) -> String {
        let commands: Vec<&str> = self.fix.split('`').skip(1).step_by(2).collect();
        if commands.is_empty() {
            self.fix.clone()
        } else {
            commands.join("\n")
        }
    }
}

/// Where one AWS service is reached, and why there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceEndpoint {
    pub service: String,
    pub url: String,
    /// `AWS_ENDPOINT_URL_SSM`, `the AWS config file`, `the Region's public endpoint`…
    pub origin: String,
}

fn check(area: &'static str, name: &'static str, verdict: Verdict, evidence: String) -> Check {
    Check {
        area,
        name,
        verdict,
        evidence,
    }
}

const SSM_SERVICES: [&str; 3] = ["ssm", "ssmmessages", "ec2messages"];

/// Whether the profile's role carries an SSM policy. Inline policies are not read: with
/// one and no SSM managed policy, the verdict is "?", not ✗.
fn role_check(
    facts: &Facts,
    online: bool,
    checks: &mut Vec<Check>,
    causes: &mut Vec<(String, String)>,
) {
    match &facts.role {
        Fact::Found(role) => {
            let ssm = role
                .attached
                .iter()
                .find(|p| SSM_POLICIES.contains(&p.as_str()));
            let attached = if role.attached.is_empty() {
                "no managed policies".to_owned()
            } else {
                role.attached.join(", ")
            };
            let (verdict, evidence) = match ssm {
                Some(policy) => (Verdict::Pass, format!("{}: {policy}", role.role)),
                None if !role.inline.is_empty() => (
                    Verdict::Unknown,
                    format!(
                        "{}: {attached}; inline {} may grant SSM (not read)",
                        role.role,
                        role.inline.join(", ")
                    ),
                ),
                // Online without one: Default Host Management or another way serves it.
                None if online => (
                    Verdict::Unknown,
                    format!(
                        "{}: {attached}; none grants SSM, yet the agent is Online",
                        role.role
                    ),
                ),
                None => (
                    Verdict::Fail,
                    format!("{}: {attached}; none grants SSM", role.role),
                ),
            };
            if verdict == Verdict::Fail {
                causes.push((
                    format!(
                        "the instance profile's role {} has no SSM policy, so its agent may not talk to SSM",
                        role.role
                    ),
                    format!(
                        "attach AmazonSSMManagedInstanceCore: `aws iam attach-role-policy --role-name {} --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore --region {}`",
                        role.role, facts.region
                    ),
                ));
            }
            checks.push(check("identity", "role policy", verdict, evidence));
        }
        Fact::Unknown(why) => {
            checks.push(check(
                "identity",
                "role policy",
                Verdict::Unknown,
                why.clone(),
            ));
        }
        Fact::Absent => {}
    }
}

/// Whether a failed start is about the target (not connected, unknown to SSM, its agent never
/// answered, the session key), so that the doctor can say why; other failures (throttling,
/// the network) already say what to do.
pub fn failure_is_about_the_target(failure: &str) -> bool {
    [
        "TargetNotConnected",
        "InvalidInstanceId",
        "not connected",
        "agent never answered",
        "handshake timed out",
        "session encryption failed",
    ]
    .iter()
    .any(|sign| failure.contains(sign))
}

/// The checks, and the first cause that explains why a session would not start.
pub fn diagnose(facts: &Facts) -> Report {
    let id = &facts.instance_id;
    let mut checks = Vec::new();
    let mut causes: Vec<(String, String)> = Vec::new();
    let hybrid = id.starts_with("mi-");

    // EC2: the instance and its state.
    match &facts.ec2 {
        Fact::Found(ec2) => {
            let running = ec2.state == "running";
            checks.push(check(
                "ec2",
                "state",
                if running {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                format!(
                    "{} ({}, {} in {})",
                    ec2.state, ec2.platform, ec2.subnet, ec2.vpc
                ),
            ));
            if !running {
                causes.push(match ec2.state.as_str() {
                    "terminated" | "shutting-down" => (
                        format!("the instance is {}", ec2.state),
                        "it is gone: pick another instance (`bosun ls`)".to_owned(),
                    ),
                    "pending" => (
                        "the instance is still starting".to_owned(),
                        "wait a minute for its agent to register, then try again".to_owned(),
                    ),
                    state => (
                        format!("the instance is {state}"),
                        format!(
                            "start it: `aws ec2 start-instances --instance-ids {id} --region {}`",
                            facts.region
                        ),
                    ),
                });
            }
        }
        Fact::Absent if hybrid => {}
        Fact::Absent => {
            checks.push(check(
                "ec2",
                "exists",
                Verdict::Fail,
                format!("no instance {id} in {}", facts.region),
            ));
            causes.push((
                format!("there is no instance {id} in {}", facts.region),
                format!("check the id, and the region it is in (`bosun doctor {id} --region REGION`; `bosun ls --region REGION` lists a region's)"),
            ));
        }
        Fact::Unknown(why) => checks.push(check("ec2", "state", Verdict::Unknown, why.clone())),
    }

    // SSM: registration, ping, agent version.
    let mut online = false;
    match &facts.ssm {
        Fact::Found(ssm) => {
            online = ssm.ping == "Online";
            let age = ssm
                .ping_age_secs
                .map(|s| format!(", last ping {} ago", crate::model::format::age(s)))
                .unwrap_or_default();
            checks.push(check(
                "ssm",
                "ping",
                if online { Verdict::Pass } else { Verdict::Fail },
                format!("{}{age}", ssm.ping),
            ));
            let sessions = agent::runs_sessions(&ssm.agent_version);
            let mux = agent::multiplexes(&ssm.agent_version);
            checks.push(check(
                "ssm",
                "agent version",
                if sessions {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                if !sessions {
                    format!(
                        "{} (sessions need {} or later)",
                        ssm.agent_version,
                        agent::since(Capability::Sessions)
                    )
                } else if !mux {
                    format!(
                        "{} (tunnels carry one connection at a time; {} or later multiplexes: `bosun run --document AWS-UpdateSSMAgent --instance {id} --region {}`)",
                        ssm.agent_version,
                        agent::since(Capability::MultiplexedTunnels),
                        facts.region
                    )
                } else if agent::can(&ssm.agent_version, Capability::RefusesLocalForwards) {
                    format!(
                        "{} (refuses tunnels through it to loopback and to the ECS/EKS credential endpoints; bosun sends loopback to the instance's own port)",
                        ssm.agent_version
                    )
                } else {
                    ssm.agent_version.clone()
                },
            ));
            if online && !sessions {
                causes.push((
                    format!("the agent ({}) is too old for sessions", ssm.agent_version),
                    format!(
                        "update it with Run Command: `bosun run --document AWS-UpdateSSMAgent --instance {id} --region {}`",
                        facts.region
                    ),
                ));
            }
        }
        Fact::Absent => checks.push(check(
            "ssm",
            "registered",
            Verdict::Fail,
            "SSM does not manage this instance (no agent has registered it)".to_owned(),
        )),
        Fact::Unknown(why) => checks.push(check("ssm", "ping", Verdict::Unknown, why.clone())),
    }

    // Identity: the instance profile the agent registers with.
    if !hybrid {
        match &facts.profile {
            Fact::Found(arn) => checks.push(check(
                "identity",
                "instance profile",
                Verdict::Pass,
                arn.clone(),
            )),
            Fact::Absent => {
                checks.push(check(
                    "identity",
                    "instance profile",
                    Verdict::Fail,
                    "none attached".to_owned(),
                ));
                causes.push((
                    "the instance has no instance profile, so its agent has no credentials to reach SSM with".to_owned(),
                    format!(
                        "attach one whose role has AmazonSSMManagedInstanceCore: `aws ec2 associate-iam-instance-profile --instance-id {id} --iam-instance-profile Name=PROFILE --region {}`; the agent picks it up within minutes", facts.region
                    ),
                ));
            }
            Fact::Unknown(why) => checks.push(check(
                "identity",
                "instance profile",
                Verdict::Unknown,
                why.clone(),
            )),
        }
        role_check(facts, online, &mut checks, &mut causes);
    }

    // Network: a default route out, or interface endpoints; security groups on the way.
    network::judge(facts, online, &mut checks, &mut causes);

    // Sessions encrypted with KMS, and the caller: may they start a session here, use the
    // session key, and run a command (the fallback)?
    match &facts.session_kms_key {
        Fact::Found(key) => checks.push(check(
            "sessions",
            "kms",
            Verdict::Pass,
            format!("encrypted with {key} (Session Manager preferences)"),
        )),
        Fact::Absent => {}
        Fact::Unknown(why) => {
            checks.push(check("sessions", "kms", Verdict::Unknown, why.clone()));
        }
    }
    caller::caller_check(facts, &mut checks, &mut causes);

    // Registered but silent, with nothing else to blame: the agent itself.
    if let Fact::Found(ssm) = &facts.ssm
        && !online
        && causes.is_empty()
    {
        causes.push((
            format!("the agent stopped reporting ({}): it is stopped, crashed, or the instance is hung", ssm.ping),
            format!("restart the agent on it (`sudo systemctl restart amazon-ssm-agent`, through the EC2 serial console or EC2 Instance Connect), or reboot it: `aws ec2 reboot-instances --instance-ids {id} --region {}`", facts.region),
        ));
    }
    if matches!(facts.ssm, Fact::Absent) && causes.is_empty() {
        causes.push((
            "no agent has registered this instance, though its profile and network look right".to_owned(),
            "install or start amazon-ssm-agent on it, through the EC2 serial console or EC2 Instance Connect".to_owned(),
        ));
    }

    let could_not_check = matches!(facts.ssm, Fact::Unknown(_));
    let would_start = online && causes.is_empty();
    let fallbacks = if would_start || could_not_check {
        Vec::new()
    } else {
        fallbacks::fallbacks(facts, online)
    };
    let (cause, fix) = causes.into_iter().next().unwrap_or_else(|| {
        if let Fact::Unknown(why) = &facts.ssm {
            // Why SSM could not be read is why nothing could be: expired credentials, a deny,
            // throttling. Its sentence carries the next step.
            (
                format!("the checks could not run: {why}"),
                "see to that (the ? lines name each check), then run the doctor again".to_owned(),
            )
        } else {
            (
                "none found: a session should start".to_owned(),
                format!("`bosun shell {id} --region {}`", facts.region),
            )
        }
    });
    Report {
        instance_id: id.clone(),
        region: facts.region.clone(),
        checks,
        would_start,
        cause,
        fix,
        fallbacks,
        endpoints: Vec::new(),
    }
}

mod caller;
pub mod container;
mod fallbacks;
mod network;
#[cfg(test)]
mod tests;
