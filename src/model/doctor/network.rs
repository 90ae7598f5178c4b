//! The doctor's network checks: the subnet's way out to SSM (a NAT gateway, an internet
//! gateway with a public IP, or the VPC's interface endpoints with private DNS), and the
//! security groups on that way (HTTPS out of the instance, and into the endpoints).

use super::{
    Check, DefaultRoute, Ec2Facts, Fact, Facts, SSM_SERVICES, SecurityGroup, Verdict, check,
};

/// The route, endpoint and security-group checks, and their causes in the order a person
/// would look: the way out first, then what blocks it.
pub(super) fn judge(
    facts: &Facts,
    online: bool,
    checks: &mut Vec<Check>,
    causes: &mut Vec<(String, String)>,
) {
    let ec2 = match &facts.ec2 {
        Fact::Found(ec2) => Some(ec2),
        _ => None,
    };
    let route_out = match (&facts.route, ec2) {
        (Fact::Found(DefaultRoute::NatGateway), _) => {
            checks.push(check(
                "network",
                "route out",
                Verdict::Pass,
                "0.0.0.0/0 → NAT gateway".to_owned(),
            ));
            Some(true)
        }
        (Fact::Found(DefaultRoute::InternetGateway), Some(ec2)) => {
            let public = ec2.public_ip.is_some();
            checks.push(check(
                "network",
                "route out",
                if public { Verdict::Pass } else { Verdict::Fail },
                match &ec2.public_ip {
                    Some(ip) => format!("0.0.0.0/0 → internet gateway, public IP {ip}"),
                    None => "0.0.0.0/0 → internet gateway, but no public IP".to_owned(),
                },
            ));
            Some(public)
        }
        (Fact::Found(_), _) => {
            checks.push(check(
                "network",
                "route out",
                Verdict::Fail,
                "no default route (0.0.0.0/0) in the subnet's route table".to_owned(),
            ));
            Some(false)
        }
        (Fact::Unknown(why), _) => {
            checks.push(check("network", "route out", Verdict::Unknown, why.clone()));
            None
        }
        (Fact::Absent, _) => None,
    };
    let (endpoints_ok, sessions_path_missing) = match &facts.endpoints {
        Fact::Found(endpoints) => {
            let has = |service: &str| endpoints.iter().find(|e| e.service == service);
            let present: Vec<&str> = SSM_SERVICES
                .iter()
                .copied()
                .filter(|s| has(s).is_some())
                .collect();
            let without_dns: Vec<&str> = present
                .iter()
                .copied()
                .filter(|s| has(s).is_some_and(|e| !e.private_dns))
                .collect();
            let complete = present.len() == SSM_SERVICES.len() && without_dns.is_empty();
            checks.push(check(
                "network",
                "interface endpoints",
                if complete {
                    Verdict::Pass
                } else if route_out == Some(true) {
                    // Not needed with a way out; said, not failed.
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                if present.is_empty() && route_out == Some(true) {
                    format!(
                        "none for ssm, ssmmessages, ec2messages (not needed: {})",
                        way_out(facts)
                    )
                } else if present.is_empty() {
                    "none for ssm, ssmmessages, ec2messages".to_owned()
                } else if !without_dns.is_empty() {
                    format!(
                        "{} (private DNS off for {})",
                        present.join(", "),
                        without_dns.join(", ")
                    )
                } else {
                    present.join(", ")
                },
            ));
            if route_out != Some(true) && !without_dns.is_empty() {
                let commands: Vec<String> = endpoints
                    .iter()
                    .filter(|e| !e.private_dns && without_dns.contains(&e.service.as_str()))
                    .map(|e| {
                        format!(
                            "`aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --private-dns-enabled --region {}`",
                            e.id, facts.region
                        )
                    })
                    .collect();
                causes.push((
                    format!("the VPC's endpoints for {} have private DNS off, so the agent still looks for SSM's public names", without_dns.join(", ")),
                    format!("turn private DNS on: {}", commands.join("; ")),
                ));
            }
            let sessions_missing = route_out != Some(true)
                && has("ssm").is_some()
                && has("ec2messages").is_some()
                && has("ssmmessages").is_none();
            (complete, sessions_missing)
        }
        Fact::Unknown(why) => {
            checks.push(check(
                "network",
                "interface endpoints",
                Verdict::Unknown,
                why.clone(),
            ));
            (false, false)
        }
        Fact::Absent => (false, false),
    };
    // Interface endpoints make a default route unnecessary: say so rather than fail it.
    if endpoints_ok
        && route_out == Some(false)
        && let Some(route) = checks.iter_mut().find(|c| c.name == "route out")
    {
        route.verdict = Verdict::Pass;
        route.evidence = format!(
            "{} (not needed: the VPC's endpoints serve SSM)",
            route.evidence
        );
    }
    let igw_without_public_ip = matches!(facts.route, Fact::Found(DefaultRoute::InternetGateway))
        && ec2.is_some_and(|ec2| ec2.public_ip.is_none());
    if sessions_path_missing {
        causes.push((
            "Run Command can reach the instance but sessions cannot: the VPC has no ssmmessages endpoint".to_owned(),
            format!(
                "add an interface endpoint for it: {}; until then Run Command reaches the instance",
                create_endpoints(facts, ec2, &["ssmmessages"])
            ),
        ));
    } else if route_out == Some(false) && !endpoints_ok && ec2.is_some() {
        let missing: Vec<&str> = match &facts.endpoints {
            Fact::Found(endpoints) => SSM_SERVICES
                .iter()
                .copied()
                .filter(|s| !endpoints.iter().any(|e| e.service == *s))
                .collect(),
            _ => SSM_SERVICES.to_vec(),
        };
        if !missing.is_empty() && igw_without_public_ip {
            causes.push((
                "the subnet routes to an internet gateway, but the instance has no public IP (and the VPC has no interface endpoints for SSM)".to_owned(),
                format!(
                    "give it a public IP (an Elastic IP), {}",
                    nat_or_endpoints(facts, ec2, &missing, true)
                ),
            ));
        } else if !missing.is_empty() {
            causes.push((
                "the subnet has no way out to SSM: no NAT gateway route, no internet gateway with a public IP, and no interface endpoints".to_owned(),
                nat_or_endpoints(facts, ec2, &missing, false),
            ));
        }
    }

    if let (Some(ec2), Fact::Found(groups)) = (ec2, &facts.security_groups) {
        let via_endpoints = route_out != Some(true) && endpoints_ok;
        security_groups(facts, ec2, groups, via_endpoints, online, checks, causes);
    } else if let Fact::Unknown(why) = &facts.security_groups {
        checks.push(check(
            "network",
            "security groups",
            Verdict::Unknown,
            why.clone(),
        ));
    }
}

/// What makes interface endpoints unnecessary: the subnet's way out.
fn way_out(facts: &Facts) -> &'static str {
    match facts.route {
        Fact::Found(DefaultRoute::InternetGateway) => "internet gateway and public IP",
        _ => "NAT gateway",
    }
}

/// The commands that add interface endpoints for `services` to the instance's VPC, in its
/// subnet, in the groups its other SSM endpoints use (else its own), private DNS on.
fn create_endpoints(facts: &Facts, ec2: Option<&Ec2Facts>, services: &[&str]) -> String {
    let Some(ec2) = ec2 else {
        return format!("interface endpoints for {}", services.join(", "));
    };
    let groups = match &facts.endpoints {
        Fact::Found(endpoints) => endpoints
            .iter()
            .find(|e| !e.security_groups.is_empty())
            .map(|e| e.security_groups.clone()),
        _ => None,
    }
    .unwrap_or_else(|| ec2.security_groups.clone());
    services
        .iter()
        .map(|service| {
            format!(
                "`aws ec2 create-vpc-endpoint --vpc-id {} --vpc-endpoint-type Interface --service-name com.amazonaws.{}.{service} --subnet-ids {} --security-group-ids {} --private-dns-enabled --region {}`",
                ec2.vpc,
                facts.region,
                ec2.subnet,
                groups.join(" "),
                facts.region
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Route 0.0.0.0/0 to a NAT gateway the VPC has (its command: one line that fixes it), or,
/// where the VPC has none, add the missing endpoints (their commands).
fn nat_or_endpoints(
    facts: &Facts,
    ec2: Option<&Ec2Facts>,
    missing: &[&str],
    instead: bool,
) -> String {
    let instead = if instead { " instead" } else { "" };
    match (&facts.route_table, facts.nat_gateways.first()) {
        (Some(table), Some(nat)) => {
            let verb = if matches!(facts.route, Fact::Found(DefaultRoute::InternetGateway)) {
                "replace-route"
            } else {
                "create-route"
            };
            format!(
                "route 0.0.0.0/0 to the VPC's NAT gateway{instead}: `aws ec2 {verb} --route-table-id {table} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id {nat} --region {}`, or add interface endpoints for {} with private DNS on",
                facts.region,
                missing.join(", ")
            )
        }
        _ => format!(
            "add interface endpoints for {} with private DNS on (the VPC has no NAT gateway to route to{instead}): {}",
            missing.join(", "),
            create_endpoints(facts, ec2, missing)
        ),
    }
}

/// Whether a rule lets HTTPS (TCP 443) through to or from a peer `allowed` accepts.
fn lets_https(rule: &super::SecurityRule, allowed: impl Fn(&str) -> bool) -> bool {
    let protocol = rule.protocol == "-1" || rule.protocol == "tcp";
    let port = rule.ports.is_none_or(|(from, to)| from <= 443 && 443 <= to);
    protocol && port && rule.peers.iter().any(|peer| allowed(peer))
}

/// Whether the IPv4 `cidr` holds `ip`.
fn cidr_holds(cidr: &str, ip: &str) -> bool {
    let parse = |text: &str| -> Option<u32> {
        let octets: Vec<u8> = text
            .split('.')
            .map(|o| o.parse().ok())
            .collect::<Option<_>>()?;
        (octets.len() == 4)
            .then(|| u32::from_be_bytes([octets[0], octets[1], octets[2], octets[3]]))
    };
    let Some((net, bits)) = cidr.split_once('/') else {
        return false;
    };
    let (Some(net), Some(ip), Ok(bits)) = (parse(net), parse(ip), bits.parse::<u32>()) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    };
    net & mask == ip & mask
}

/// HTTPS out of the instance (to SSM's public endpoints, or to the VPC's endpoints) and,
/// through endpoints, HTTPS into them from the instance.
fn security_groups(
    facts: &Facts,
    ec2: &Ec2Facts,
    groups: &[SecurityGroup],
    via_endpoints: bool,
    online: bool,
    checks: &mut Vec<Check>,
    causes: &mut Vec<(String, String)>,
) {
    let own: Vec<&SecurityGroup> = groups
        .iter()
        .filter(|g| ec2.security_groups.contains(&g.id))
        .collect();
    let names = ec2.security_groups.join(", ");
    // No groups named (not in a VPC), or some not among the VPC's: nothing to judge by.
    if own.len() < ec2.security_groups.len() || own.is_empty() {
        if !ec2.security_groups.is_empty() {
            checks.push(check(
                "network",
                "https out",
                Verdict::Unknown,
                format!("{names}: not all of them could be read"),
            ));
        }
        return;
    }
    let endpoint_groups: Vec<String> = match &facts.endpoints {
        Fact::Found(endpoints) => endpoints
            .iter()
            .filter(|e| SSM_SERVICES.contains(&e.service.as_str()))
            .flat_map(|e| e.security_groups.iter().cloned())
            .collect(),
        _ => Vec::new(),
    };
    let egress = |allowed: &dyn Fn(&str) -> bool| {
        own.iter()
            .flat_map(|g| &g.egress)
            .any(|rule| lets_https(rule, allowed))
    };
    let anywhere = egress(&|peer| peer == "0.0.0.0/0");
    let inside = egress(&|peer| {
        cidr_holds(peer, &ec2.private_ip) || endpoint_groups.iter().any(|g| g == peer)
    });
    let somewhere = egress(&|_| true);
    let (verdict, evidence) = if anywhere {
        (Verdict::Pass, format!("{names}: HTTPS out to 0.0.0.0/0"))
    } else if via_endpoints && inside {
        (
            Verdict::Pass,
            format!("{names}: HTTPS out to the VPC (its endpoints)"),
        )
    } else if somewhere {
        (
            Verdict::Unknown,
            format!(
                "{names}: HTTPS out only to some addresses; SSM's public endpoints need 0.0.0.0/0 or its prefix list"
            ),
        )
    } else if online {
        (
            Verdict::Unknown,
            format!("{names}: no rule lets HTTPS out, yet the agent is Online"),
        )
    } else {
        (
            Verdict::Fail,
            format!("{names}: no rule lets HTTPS (443) out"),
        )
    };
    if verdict == Verdict::Fail {
        let group = ec2.security_groups.first().map_or("sg-…", String::as_str);
        causes.push((
            "the instance's security groups let no HTTPS (443) out, so its agent cannot reach SSM".to_owned(),
            format!(
                "allow it: `aws ec2 authorize-security-group-egress --group-id {group} --protocol tcp --port 443 --cidr 0.0.0.0/0 --region {}`",
                facts.region
            ),
        ));
    }
    checks.push(check("network", "https out", verdict, evidence));

    if !via_endpoints || endpoint_groups.is_empty() {
        return;
    }
    let closed: Vec<&SecurityGroup> = groups
        .iter()
        .filter(|g| endpoint_groups.contains(&g.id))
        .filter(|g| {
            !g.ingress.iter().any(|rule| {
                lets_https(rule, |peer| {
                    cidr_holds(peer, &ec2.private_ip)
                        || ec2.security_groups.iter().any(|s| s == peer)
                })
            })
        })
        .collect();
    let mut ids: Vec<&str> = endpoint_groups.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    if closed.is_empty() {
        checks.push(check(
            "network",
            "https into endpoints",
            Verdict::Pass,
            format!("{} let HTTPS in from the instance", ids.join(", ")),
        ));
        return;
    }
    let closed_ids: Vec<&str> = closed.iter().map(|g| g.id.as_str()).collect();
    checks.push(check(
        "network",
        "https into endpoints",
        if online {
            Verdict::Unknown
        } else {
            Verdict::Fail
        },
        format!(
            "{} let no HTTPS in from {} ({names})",
            closed_ids.join(", "),
            ec2.private_ip
        ),
    ));
    if !online {
        let source = ec2.security_groups.first().map_or("sg-…", String::as_str);
        causes.push((
            format!(
                "the VPC endpoints' security group {} lets no HTTPS in from the instance",
                closed_ids.join(", ")
            ),
            format!(
                "allow it: `aws ec2 authorize-security-group-ingress --group-id {} --protocol tcp --port 443 --source-group {source} --region {}`",
                closed_ids[0], facts.region
            ),
        ));
    }
}
