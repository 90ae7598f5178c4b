//! The doctor's facts, read from AWS: the instance (EC2), its registration (SSM), its instance
//! profile and its role's policies (IAM), its subnet's route out, VPC endpoints and security
//! groups, the Region's Session Manager preferences (KMS), and the caller's own permissions
//! (STS, then IAM's policy simulator). The first five are asked at once; the network three
//! once the instance names its subnet, while IAM follows the profile and the caller: at most
//! thirteen calls, three round trips. `model::doctor` judges them.

use aws_sdk_ec2::types::Filter;
use aws_sdk_ssm::types::InstanceInformationStringFilter;

use super::errors;
use crate::model::doctor::{
    CallerFacts, DefaultRoute, Ec2Facts, Endpoint, Fact, Facts, RoleFacts, SecurityGroup,
    SecurityRule, SsmFacts,
};

/// What the VPC's route tables say of the instance's subnet (see `default_route`).
struct Routes {
    default: Fact<DefaultRoute>,
    table: Option<String>,
    nat_gateways: Vec<String>,
}

impl Default for Routes {
    fn default() -> Routes {
        Routes {
            default: Fact::Absent,
            table: None,
            nat_gateways: Vec::new(),
        }
    }
}

/// The clients the doctor asks.
pub struct DoctorClients<'a> {
    pub ssm: &'a aws_sdk_ssm::Client,
    pub ec2: &'a aws_sdk_ec2::Client,
    pub iam: &'a aws_sdk_iam::Client,
    pub sts: &'a aws_sdk_sts::Client,
}

/// Everything the doctor needs about `instance_id`, each part found, absent, or unknown (with
/// the sentence why).
pub async fn gather(clients: DoctorClients<'_>, instance_id: &str, region: &str) -> Facts {
    let DoctorClients { ssm, ec2, iam, sts } = clients;
    let (ec2_facts, ssm_facts, profile, identity, session_kms_key) = tokio::join!(
        instance(ec2, instance_id),
        registration(ssm, instance_id),
        instance_profile(ec2, instance_id),
        sts.get_caller_identity().send(),
        session_key(ssm),
    );
    let network = async {
        match &ec2_facts {
            Fact::Found(found) => {
                tokio::join!(
                    default_route(ec2, &found.vpc, &found.subnet),
                    vpc_endpoints(ec2, &found.vpc, region),
                    security_groups(ec2, &found.vpc),
                    instance_connect_endpoints(ec2, &found.vpc),
                )
            }
            _ => (Routes::default(), Fact::Absent, Fact::Absent, Fact::Absent),
        }
    };
    let role = async {
        match &profile {
            Fact::Found(arn) => role_of(iam, arn).await,
            _ => Fact::Absent,
        }
    };
    let caller = async {
        match identity {
            Ok(identity) => {
                let arn = identity.arn().unwrap_or_default();
                let account = identity.account().unwrap_or_default();
                let key = match &session_kms_key {
                    Fact::Found(key) => Some(key_arn(key, region, account)),
                    _ => None,
                };
                let resources = Resources {
                    instance: instance_arn(instance_id, region, account),
                    key,
                };
                permissions(iam, arn, &resources).await
            }
            Err(error) => Fact::Unknown(errors::describe(&error)),
        }
    };
    let ((routes, endpoints, security_groups, instance_connect_endpoints), role, caller) =
        tokio::join!(network, role, caller);
    Facts {
        instance_id: instance_id.to_owned(),
        region: region.to_owned(),
        ec2: ec2_facts,
        ssm: ssm_facts,
        profile,
        role,
        route: routes.default,
        route_table: routes.table,
        nat_gateways: routes.nat_gateways,
        endpoints,
        security_groups,
        instance_connect_endpoints,
        caller,
        session_kms_key,
    }
}

/// The KMS key of the Region's Session Manager preferences: the `kmsKeyId` input of the
/// SSM-SessionManagerRunShell document, which exists once preferences have been saved.
async fn session_key(ssm: &aws_sdk_ssm::Client) -> Fact<String> {
    let answer = ssm
        .get_document()
        .name(crate::model::document::Document::SessionManagerRunShell.name())
        .send()
        .await;
    let output = match answer {
        Ok(output) => output,
        Err(error) => return absent_on(&error, "InvalidDocument"),
    };
    let key = output
        .content()
        .and_then(|content| serde_json::from_str::<serde_json::Value>(content).ok())
        .and_then(|content| content["inputs"]["kmsKeyId"].as_str().map(str::to_owned))
        .filter(|key| !key.is_empty());
    key.map_or(Fact::Absent, Fact::Found)
}

/// A key id, alias or ARN as IAM policies name it.
fn key_arn(key: &str, region: &str, account: &str) -> String {
    if key.starts_with("arn:") {
        key.to_owned()
    } else if key.starts_with("alias/") {
        format!("arn:aws:kms:{region}:{account}:{key}")
    } else {
        format!("arn:aws:kms:{region}:{account}:key/{key}")
    }
}

/// What the caller's permissions are asked about.
struct Resources {
    instance: String,
    /// The session key's ARN, when sessions are KMS-encrypted.
    key: Option<String>,
}

/// A failed lookup: `absent` is AWS's way of saying there is no such thing (the lookup worked);
/// any other error is a sentence why it could not look.
fn absent_on<T, E>(error: &E, absent: &str) -> Fact<T>
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error,
{
    if error.code() == Some(absent) {
        Fact::Absent
    } else {
        Fact::Unknown(errors::describe(error))
    }
}

/// The ARN IAM policies name the instance by.
fn instance_arn(instance_id: &str, region: &str, account: &str) -> String {
    if instance_id.starts_with("mi-") {
        format!("arn:aws:ssm:{region}:{account}:managed-instance/{instance_id}")
    } else {
        format!("arn:aws:ec2:{region}:{account}:instance/{instance_id}")
    }
}

/// The IAM principal whose policies apply to `caller`: an assumed role's session is its role.
/// (A role with a path is named without it here; the simulator then says it does not know it,
/// and the check is "?".)
fn principal_of(caller: &str) -> Option<String> {
    if caller.contains(":user/") || caller.contains(":role/") {
        return Some(caller.to_owned());
    }
    let (head, rest) = caller.split_once(":assumed-role/")?;
    let role = rest.split('/').next()?;
    let account = head.rsplit(':').next()?;
    Some(format!("arn:aws:iam::{account}:role/{role}"))
}

/// What IAM's policy simulator says `caller` may do to `resource`: start a session, send a
/// command. It reads identity policies only (not SCPs or permission boundaries' every
/// subtlety), so a "✓" here is likely, not certain; a "✗" is what AWS would say.
async fn permissions(
    iam: &aws_sdk_iam::Client,
    caller: &str,
    resources: &Resources,
) -> Fact<CallerFacts> {
    let Some(principal) = principal_of(caller) else {
        return Fact::Unknown(format!(
            "{caller}: not a user or role, so its permissions are not simulated"
        ));
    };
    let mut request = iam
        .simulate_principal_policy()
        .policy_source_arn(&principal)
        .action_names("ssm:StartSession")
        .action_names("ssm:SendCommand")
        .resource_arns(&resources.instance);
    if let Some(key) = &resources.key {
        request = request
            .action_names("kms:GenerateDataKey")
            .resource_arns(key);
    }
    // Every action is simulated on every resource: keep ssm's on the instance, kms's on the key.
    let asked = |action: &str, resource: Option<&str>| {
        if action.starts_with("kms:") {
            resource == resources.key.as_deref()
        } else {
            resource == Some(resources.instance.as_str())
        }
    };
    match request.send().await {
        Ok(output) => Fact::Found(CallerFacts {
            arn: caller.to_owned(),
            resource: resources.instance.clone(),
            decisions: output
                .evaluation_results()
                .iter()
                .filter(|r| asked(r.eval_action_name(), r.eval_resource_name()))
                .map(|r| {
                    (
                        r.eval_action_name().to_owned(),
                        r.eval_decision().as_str().to_owned(),
                    )
                })
                .collect(),
        }),
        Err(error) => Fact::Unknown(format!(
            "{caller}: cannot check ({})",
            errors::describe(&error)
        )),
    }
}

/// The role of the instance profile `arn` and the policies on it.
async fn role_of(iam: &aws_sdk_iam::Client, arn: &str) -> Fact<RoleFacts> {
    // arn:aws:iam::ACCOUNT:instance-profile/[PATH/]NAME
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let profile = match iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(output) => output.instance_profile,
        Err(error) => return Fact::Unknown(errors::describe(&error)),
    };
    let Some(role) = profile
        .as_ref()
        .and_then(|p| p.roles().first())
        .map(|r| r.role_name().to_owned())
    else {
        return Fact::Absent;
    };
    let (attached, inline) = tokio::join!(
        iam.list_attached_role_policies().role_name(&role).send(),
        iam.list_role_policies().role_name(&role).send(),
    );
    let attached = match attached {
        Ok(output) => output
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_owned))
            .collect(),
        Err(error) => return Fact::Unknown(errors::describe(&error)),
    };
    let inline = match inline {
        Ok(output) => output.policy_names().to_vec(),
        Err(error) => return Fact::Unknown(errors::describe(&error)),
    };
    Fact::Found(RoleFacts {
        role,
        attached,
        inline,
    })
}

async fn instance(ec2: &aws_sdk_ec2::Client, instance_id: &str) -> Fact<Ec2Facts> {
    if !instance_id.starts_with("i-") {
        return Fact::Absent;
    }
    let answer = ec2
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await;
    let output = match answer {
        Ok(output) => output,
        Err(error) => return absent_on(&error, "InvalidInstanceID.NotFound"),
    };
    let Some(found) = output
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.instance_id() == Some(instance_id))
    else {
        return Fact::Absent;
    };
    Fact::Found(Ec2Facts {
        state: found
            .state()
            .and_then(|s| s.name())
            .map_or_else(|| "unknown".to_owned(), |name| name.as_str().to_owned()),
        platform: found.platform_details().unwrap_or("Linux/UNIX").to_owned(),
        vpc: found.vpc_id().unwrap_or_default().to_owned(),
        subnet: found.subnet_id().unwrap_or_default().to_owned(),
        private_ip: found.private_ip_address().unwrap_or_default().to_owned(),
        public_ip: found.public_ip_address().map(str::to_owned),
        security_groups: found
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect(),
    })
}

async fn registration(ssm: &aws_sdk_ssm::Client, instance_id: &str) -> Fact<SsmFacts> {
    let filter = InstanceInformationStringFilter::builder()
        .key("InstanceIds")
        .values(instance_id)
        .build();
    let filter = match filter {
        Ok(filter) => filter,
        Err(error) => return Fact::Unknown(error.to_string()),
    };
    let output = match ssm
        .describe_instance_information()
        .filters(filter)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => return Fact::Unknown(errors::describe(&error)),
    };
    let Some(info) = output.instance_information_list().first() else {
        return Fact::Absent;
    };
    let ping_age_secs = info.last_ping_date_time().and_then(|at| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs() as i64;
        u64::try_from(now - at.secs()).ok()
    });
    Fact::Found(SsmFacts {
        ping: info
            .ping_status()
            .map_or_else(|| "unknown".to_owned(), |p| p.as_str().to_owned()),
        ping_age_secs,
        agent_version: info.agent_version().unwrap_or_default().to_owned(),
        platform: info
            .platform_type()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
    })
}

async fn instance_profile(ec2: &aws_sdk_ec2::Client, instance_id: &str) -> Fact<String> {
    if !instance_id.starts_with("i-") {
        return Fact::Absent;
    }
    let answer = ec2
        .describe_iam_instance_profile_associations()
        .filters(
            Filter::builder()
                .name("instance-id")
                .values(instance_id)
                .build(),
        )
        .filters(Filter::builder().name("state").values("associated").build())
        .send()
        .await;
    match answer {
        Ok(output) => output
            .iam_instance_profile_associations()
            .iter()
            .find_map(|a| a.iam_instance_profile()?.arn().map(str::to_owned))
            .map_or(Fact::Absent, Fact::Found),
        Err(error) => Fact::Unknown(errors::describe(&error)),
    }
}

/// Where the subnet's 0.0.0.0/0 goes (its own route table, else the VPC's main one), that
/// table's id, and the NAT gateways any table of the VPC routes to: one call for the VPC's
/// tables.
async fn default_route(ec2: &aws_sdk_ec2::Client, vpc: &str, subnet: &str) -> Routes {
    let answer = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await;
    let tables = match answer {
        Ok(output) => output.route_tables.unwrap_or_default(),
        Err(error) => {
            return Routes {
                default: Fact::Unknown(errors::describe(&error)),
                ..Routes::default()
            };
        }
    };
    let associated =
        |table: &&aws_sdk_ec2::types::RouteTable,
         wanted: &dyn Fn(&aws_sdk_ec2::types::RouteTableAssociation) -> bool| {
            table.associations().iter().any(wanted)
        };
    let table = tables
        .iter()
        .find(|t| associated(t, &|a| a.subnet_id() == Some(subnet)))
        .or_else(|| {
            tables
                .iter()
                .find(|t| associated(t, &|a| a.main() == Some(true)))
        });
    let mut nat_gateways: Vec<String> = tables
        .iter()
        .flat_map(|t| t.routes())
        .filter_map(|r| r.nat_gateway_id().map(str::to_owned))
        .collect();
    nat_gateways.sort();
    nat_gateways.dedup();
    let route = table
        .into_iter()
        .flat_map(|t| t.routes())
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"));
    Routes {
        default: Fact::Found(match route {
            Some(r) if r.nat_gateway_id().is_some() => DefaultRoute::NatGateway,
            Some(r) if r.gateway_id().is_some_and(|g| g.starts_with("igw-")) => {
                DefaultRoute::InternetGateway
            }
            _ => DefaultRoute::None,
        }),
        table: table.and_then(|t| t.route_table_id().map(str::to_owned)),
        nat_gateways,
    }
}

/// The VPC's EC2 Instance Connect Endpoints that are ready.
async fn instance_connect_endpoints(ec2: &aws_sdk_ec2::Client, vpc: &str) -> Fact<Vec<String>> {
    let answer = ec2
        .describe_instance_connect_endpoints()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .filters(
            Filter::builder()
                .name("state")
                .values("create-complete")
                .build(),
        )
        .send()
        .await;
    match answer {
        Ok(output) => Fact::Found(
            output
                .instance_connect_endpoints()
                .iter()
                .filter_map(|e| e.instance_connect_endpoint_id().map(str::to_owned))
                .collect(),
        ),
        Err(error) => Fact::Unknown(errors::describe(&error)),
    }
}

async fn vpc_endpoints(ec2: &aws_sdk_ec2::Client, vpc: &str, region: &str) -> Fact<Vec<Endpoint>> {
    let answer = ec2
        .describe_vpc_endpoints()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await;
    let output = match answer {
        Ok(output) => output,
        Err(error) => return Fact::Unknown(errors::describe(&error)),
    };
    let prefix = format!("com.amazonaws.{region}.");
    Fact::Found(
        output
            .vpc_endpoints()
            .iter()
            .filter_map(|e| {
                Some(Endpoint {
                    id: e.vpc_endpoint_id().unwrap_or_default().to_owned(),
                    service: e.service_name()?.strip_prefix(&prefix)?.to_owned(),
                    private_dns: e.private_dns_enabled().unwrap_or(false),
                    security_groups: e
                        .groups()
                        .iter()
                        .filter_map(|g| g.group_id().map(str::to_owned))
                        .collect(),
                })
            })
            .collect(),
    )
}

/// The VPC's security groups and their rules (the instance's and its endpoints' among them).
async fn security_groups(ec2: &aws_sdk_ec2::Client, vpc: &str) -> Fact<Vec<SecurityGroup>> {
    let answer = ec2
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await;
    let output = match answer {
        Ok(output) => output,
        Err(error) => return Fact::Unknown(errors::describe(&error)),
    };
    let rules = |permissions: &[aws_sdk_ec2::types::IpPermission]| -> Vec<SecurityRule> {
        permissions
            .iter()
            .map(|p| SecurityRule {
                protocol: p.ip_protocol().unwrap_or("-1").to_owned(),
                ports: match (p.from_port(), p.to_port()) {
                    (Some(from), Some(to)) if from >= 0 && to >= 0 => {
                        Some((from.min(65535) as u16, to.min(65535) as u16))
                    }
                    _ => None,
                },
                peers: p
                    .ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(str::to_owned))
                    .chain(
                        p.user_id_group_pairs()
                            .iter()
                            .filter_map(|g| g.group_id().map(str::to_owned)),
                    )
                    .chain(
                        p.prefix_list_ids()
                            .iter()
                            .filter_map(|l| l.prefix_list_id().map(str::to_owned)),
                    )
                    .collect(),
            })
            .collect()
    };
    Fact::Found(
        output
            .security_groups()
            .iter()
            .filter_map(|g| {
                Some(SecurityGroup {
                    id: g.group_id()?.to_owned(),
                    ingress: rules(g.ip_permissions()),
                    egress: rules(g.ip_permissions_egress()),
                })
            })
            .collect(),
    )
}
