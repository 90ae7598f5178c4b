//! Each cause the doctor knows, from facts alone: its verdict, cause and fix.

use super::*;

fn healthy() -> Facts {
    Facts {
        instance_id: "i-0abc".into(),
        region: "us-east-1".into(),
        ec2: Fact::Found(Ec2Facts {
            state: "running".into(),
            platform: "Linux".into(),
            vpc: "vpc-1".into(),
            subnet: "subnet-1".into(),
            private_ip: "10.0.0.10".into(),
            public_ip: None,
            security_groups: vec!["sg-app".into()],
        }),
        ssm: Fact::Found(SsmFacts {
            ping: "Online".into(),
            ping_age_secs: Some(30),
            agent_version: "3.3.987.0".into(),
            platform: "Linux".into(),
        }),
        profile: Fact::Found("arn:aws:iam::1:instance-profile/SSM".into()),
        role: Fact::Found(RoleFacts {
            role: "SSM".into(),
            attached: vec!["AmazonSSMManagedInstanceCore".into()],
            inline: Vec::new(),
        }),
        route: Fact::Found(DefaultRoute::NatGateway),
        route_table: Some("rtb-1".into()),
        nat_gateways: vec!["nat-1".into()],
        endpoints: Fact::Found(Vec::new()),
        security_groups: Fact::Found(vec![group("sg-app", &[], &[("-1", None, "0.0.0.0/0")])]),
        caller: caller("allowed"),
        session_kms_key: Fact::Absent,
        instance_connect_endpoints: Fact::Found(vec!["eice-1".into()]),
    }
}

/// The caller's decisions: `start` on StartSession, allowed on SendCommand.
fn caller(start: &str) -> Fact<CallerFacts> {
    Fact::Found(CallerFacts {
        arn: "arn:aws:iam::1:user/oncall".into(),
        resource: "arn:aws:ec2:us-east-1:1:instance/i-0abc".into(),
        decisions: vec![
            ("ssm:StartSession".into(), start.into()),
            ("ssm:SendCommand".into(), "allowed".into()),
        ],
    })
}

/// A group from (protocol, ports, peer) rules.
fn group(id: &str, ingress: &[Rule], egress: &[Rule]) -> SecurityGroup {
    let rules = |list: &[Rule]| {
        list.iter()
            .map(|(protocol, ports, peer)| SecurityRule {
                protocol: (*protocol).to_owned(),
                ports: *ports,
                peers: vec![(*peer).to_owned()],
            })
            .collect()
    };
    SecurityGroup {
        id: id.to_owned(),
        ingress: rules(ingress),
        egress: rules(egress),
    }
}

type Rule = (&'static str, Option<(u16, u16)>, &'static str);

fn lost(mut facts: Facts) -> Facts {
    if let Fact::Found(ssm) = &mut facts.ssm {
        ssm.ping = "ConnectionLost".into();
    }
    facts
}

fn endpoints(list: &[(&str, bool)]) -> Fact<Vec<Endpoint>> {
    Fact::Found(
        list.iter()
            .map(|(service, private_dns)| Endpoint {
                id: format!("vpce-{service}"),
                service: (*service).to_owned(),
                private_dns: *private_dns,
                security_groups: vec!["sg-endpoints".into()],
            })
            .collect(),
    )
}

#[test]
fn each_cause_gets_its_own_verdict_and_fix() {
    let all = [("ssm", true), ("ssmmessages", true), ("ec2messages", true)];
    let cases: Vec<(&str, Facts, bool, &str, &str)> = vec![
        (
            "healthy",
            healthy(),
            true,
            "none found",
            "bosun shell i-0abc",
        ),
        (
            "stopped",
            {
                let mut f = lost(healthy());
                if let Fact::Found(ec2) = &mut f.ec2 {
                    ec2.state = "stopped".into();
                }
                f
            },
            false,
            "the instance is stopped",
            "aws ec2 start-instances --instance-ids i-0abc",
        ),
        (
            "no such instance",
            Facts {
                ec2: Fact::Absent,
                ssm: Fact::Absent,
                ..healthy()
            },
            false,
            "there is no instance i-0abc in us-east-1",
            "check the id",
        ),
        (
            "no instance profile",
            Facts {
                ssm: Fact::Absent,
                profile: Fact::Absent,
                ..healthy()
            },
            false,
            "no instance profile",
            "AmazonSSMManagedInstanceCore",
        ),
        (
            "role without the SSM policy",
            Facts {
                role: Fact::Found(RoleFacts {
                    role: "AppRole".into(),
                    attached: vec!["AmazonS3ReadOnlyAccess".into()],
                    inline: Vec::new(),
                }),
                ..lost(healthy())
            },
            false,
            "role AppRole has no SSM policy",
            "aws iam attach-role-policy --role-name AppRole",
        ),
        (
            "isolated subnet",
            Facts {
                route: Fact::Found(DefaultRoute::None),
                ..lost(healthy())
            },
            false,
            "no way out to SSM",
            "ssm, ssmmessages, ec2messages",
        ),
        (
            "internet gateway without a public IP",
            Facts {
                route: Fact::Found(DefaultRoute::InternetGateway),
                ..lost(healthy())
            },
            false,
            "internet gateway, but the instance has no public IP",
            "Elastic IP",
        ),
        (
            "endpoints without private DNS",
            Facts {
                route: Fact::Found(DefaultRoute::None),
                endpoints: endpoints(&[
                    ("ssm", false),
                    ("ssmmessages", false),
                    ("ec2messages", false),
                ]),
                ..lost(healthy())
            },
            false,
            "private DNS off",
            "--private-dns-enabled",
        ),
        (
            "no ssmmessages endpoint",
            Facts {
                route: Fact::Found(DefaultRoute::None),
                endpoints: endpoints(&[("ssm", true), ("ec2messages", true)]),
                ..healthy()
            },
            false,
            "Run Command can reach the instance but sessions cannot",
            "ssmmessages",
        ),
        (
            "agent stopped",
            Facts {
                route: Fact::Found(DefaultRoute::None),
                endpoints: endpoints(&all),
                ..lost(healthy())
            },
            false,
            "the agent stopped reporting (ConnectionLost)",
            "systemctl restart amazon-ssm-agent",
        ),
        (
            "agent too old",
            {
                let mut f = healthy();
                if let Fact::Found(ssm) = &mut f.ssm {
                    ssm.agent_version = "2.2.0.0".into();
                }
                f
            },
            false,
            "too old for sessions",
            "AWS-UpdateSSMAgent",
        ),
        (
            "no HTTPS out",
            Facts {
                security_groups: Fact::Found(vec![group(
                    "sg-app",
                    &[],
                    &[("tcp", Some((5432, 5432)), "10.0.0.0/16")],
                )]),
                ..lost(healthy())
            },
            false,
            "security groups let no HTTPS (443) out",
            "authorize-security-group-egress --group-id sg-app --protocol tcp --port 443",
        ),
        (
            "endpoints that let no HTTPS in",
            Facts {
                route: Fact::Found(DefaultRoute::None),
                endpoints: endpoints(&all),
                security_groups: Fact::Found(vec![
                    group("sg-app", &[], &[("tcp", Some((443, 443)), "10.0.0.0/8")]),
                    group(
                        "sg-endpoints",
                        &[("tcp", Some((443, 443)), "192.168.0.0/16")],
                        &[],
                    ),
                ]),
                ..lost(healthy())
            },
            false,
            "endpoints' security group sg-endpoints lets no HTTPS in",
            "authorize-security-group-ingress --group-id sg-endpoints --protocol tcp --port 443 --source-group sg-app",
        ),
        (
            "HTTPS only into the VPC, through endpoints that take it",
            Facts {
                route: Fact::Found(DefaultRoute::None),
                endpoints: endpoints(&all),
                security_groups: Fact::Found(vec![
                    group("sg-app", &[], &[("tcp", Some((443, 443)), "10.0.0.0/8")]),
                    group("sg-endpoints", &[("tcp", Some((443, 443)), "sg-app")], &[]),
                ]),
                ..healthy()
            },
            true,
            "none found",
            "bosun shell i-0abc",
        ),
        (
            "the caller may not start sessions",
            Facts {
                caller: caller("explicitDeny"),
                ..healthy()
            },
            false,
            "you may not start sessions here: ssm:StartSession is denied for arn:aws:iam::1:user/oncall",
            "a policy denies it explicitly: ask its owner (your IAM policy, a permissions boundary or an organisation's SCP) for ssm:StartSession on arn:aws:ec2:us-east-1:1:instance/i-0abc",
        ),
        (
            "a session key the caller may not use",
            Facts {
                session_kms_key: Fact::Found("alias/sessions".into()),
                caller: Fact::Found(CallerFacts {
                    decisions: vec![
                        ("ssm:StartSession".into(), "allowed".into()),
                        ("kms:GenerateDataKey".into(), "implicitDeny".into()),
                    ],
                    ..match caller("allowed") {
                        Fact::Found(found) => found,
                        _ => unreachable!(),
                    }
                }),
                ..healthy()
            },
            false,
            "encrypted with KMS key alias/sessions, and you may not use it: kms:GenerateDataKey is not allowed",
            "ask for kms:GenerateDataKey on alias/sessions",
        ),
        (
            "the caller's permissions cannot be read",
            Facts {
                caller: Fact::Unknown("access denied (iam:SimulatePrincipalPolicy)".into()),
                ..healthy()
            },
            true,
            "none found",
            "bosun shell i-0abc",
        ),
        (
            "SSM not readable",
            Facts {
                ssm: Fact::Unknown("access denied (ssm:DescribeInstanceInformation)".into()),
                ..healthy()
            },
            false,
            "the checks could not run: access denied (ssm:DescribeInstanceInformation)",
            "run the doctor again",
        ),
    ];
    for (name, facts, would_start, cause, fix) in cases {
        let report = diagnose(&facts);
        assert_eq!(report.would_start, would_start, "{name}: {report:#?}");
        assert!(
            report.cause.contains(cause),
            "{name}: cause {:?}",
            report.cause
        );
        assert!(report.fix.contains(fix), "{name}: fix {:?}", report.fix);
    }
}

#[test]
fn checks_carry_their_evidence() {
    let mut facts = healthy();
    if let Fact::Found(ssm) = &mut facts.ssm {
        ssm.agent_version = "3.0.161.0".into();
    }
    facts.profile =
        Fact::Unknown("access denied (ec2:DescribeIamInstanceProfileAssociations)".into());
    let report = diagnose(&facts);
    let find = |name: &str| {
        report
            .checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name} check in {report:#?}"))
    };
    assert_eq!(find("state").verdict, Verdict::Pass);
    assert!(find("ping").evidence.starts_with("Online, last ping"));
    assert!(
        find("agent version")
            .evidence
            .contains("one connection at a time")
    );
    assert_eq!(find("instance profile").verdict, Verdict::Unknown);
    assert_eq!(find("route out").evidence, "0.0.0.0/0 → NAT gateway");
    assert!(
        report.would_start,
        "a missing IAM read does not stop a session"
    );
    facts.role = Fact::Unknown("access denied (iam:GetInstanceProfile)".into());
    let report = diagnose(&facts);
    let role = report
        .checks
        .iter()
        .find(|c| c.name == "role policy")
        .expect("role");
    assert_eq!(role.verdict, Verdict::Unknown);
    assert!(role.evidence.contains("iam:GetInstanceProfile"));
    facts.role = Fact::Found(RoleFacts {
        role: "AppRole".into(),
        attached: Vec::new(),
        inline: vec!["ssm-access".into()],
    });
    let report = diagnose(&facts);
    let role = report
        .checks
        .iter()
        .find(|c| c.name == "role policy")
        .expect("role");
    assert_eq!(
        role.verdict,
        Verdict::Unknown,
        "an inline policy may grant it"
    );

    facts.route = Fact::Found(DefaultRoute::None);
    facts.endpoints = endpoints(&[("ssm", true), ("ssmmessages", true), ("ec2messages", true)]);
    let report = diagnose(&facts);
    let route = report
        .checks
        .iter()
        .find(|c| c.name == "route out")
        .expect("route");
    assert_eq!(route.verdict, Verdict::Pass, "{route:?}");
    assert!(route.evidence.contains("not needed"), "{route:?}");
}

#[test]
fn groups_that_could_not_all_be_read_are_a_question_not_a_cause() {
    let mut facts = lost(healthy());
    facts.security_groups = Fact::Found(vec![group("sg-other", &[], &[])]);
    let report = diagnose(&facts);
    let https = report
        .checks
        .iter()
        .find(|c| c.name == "https out")
        .expect("an https out check");
    assert_eq!(https.verdict, Verdict::Unknown, "{https:?}");
    assert!(
        !report.cause.contains("security groups"),
        "{}",
        report.cause
    );
}

/// The other ways onto an instance appear only where they can help, each on its own line.
#[test]
fn fallbacks_are_offered_where_they_help() {
    let kinds = |facts: &Facts| -> Vec<&'static str> {
        diagnose(facts)
            .fallbacks
            .iter()
            .map(|line| {
                if line.starts_with("Run Command") {
                    "run"
                } else if line.starts_with("EC2 serial console") {
                    "serial"
                } else if line.starts_with("EC2 Instance Connect") {
                    "eice"
                } else {
                    panic!("unexpected fallback {line:?}")
                }
            })
            .collect()
    };
    assert!(kinds(&healthy()).is_empty(), "a session would start");

    let no_ssmmessages = Facts {
        route: Fact::Found(DefaultRoute::None),
        endpoints: endpoints(&[("ssm", true), ("ec2messages", true)]),
        ..healthy()
    };
    assert_eq!(kinds(&no_ssmmessages), ["run", "serial", "eice"]);
    let no_instance_connect = Facts {
        instance_connect_endpoints: Fact::Found(Vec::new()),
        ..no_ssmmessages.clone()
    };
    assert_eq!(
        kinds(&no_instance_connect),
        ["run", "serial"],
        "only where one exists"
    );
    let denied = Facts {
        caller: caller("explicitDeny"),
        ..no_ssmmessages.clone()
    };
    assert!(kinds(&denied).is_empty(), "no way around an explicit deny");
    let run = &diagnose(&no_ssmmessages).fallbacks[0];
    assert!(
        run.contains("bosun run --instance i-0abc --region us-east-1 -- '")
            && run.contains("systemctl restart amazon-ssm-agent"),
        "{run}"
    );

    assert_eq!(
        kinds(&lost(healthy())),
        ["serial", "eice"],
        "no command channel"
    );

    let mut refused = healthy();
    refused.caller = Fact::Found(CallerFacts {
        decisions: vec![
            ("ssm:StartSession".into(), "implicitDeny".into()),
            ("ssm:SendCommand".into(), "implicitDeny".into()),
        ],
        ..match caller("allowed") {
            Fact::Found(found) => found,
            _ => unreachable!(),
        }
    });
    assert_eq!(kinds(&refused), ["serial", "eice"], "SendCommand refused");

    let mut stopped = lost(healthy());
    if let Fact::Found(ec2) = &mut stopped.ec2 {
        ec2.state = "stopped".into();
    }
    assert!(kinds(&stopped).is_empty(), "starting it is the only way");

    let mut windows = no_ssmmessages.clone();
    if let Fact::Found(ec2) = &mut windows.ec2 {
        ec2.platform = "Windows".into();
    }
    let report = diagnose(&windows);
    assert!(report.fallbacks[0].contains("Restart-Service AmazonSSMAgent"));
    assert!(report.fallbacks[2].contains("--remote-port 3389"));
}

#[test]
fn a_new_agent_says_what_it_will_not_forward_to() {
    let mut facts = healthy();
    if let Fact::Found(ssm) = &mut facts.ssm {
        ssm.agent_version = "3.3.5068.0".into();
    }
    let report = diagnose(&facts);
    let agent = report
        .checks
        .iter()
        .find(|c| c.name == "agent version")
        .expect("an agent check");
    assert_eq!(agent.verdict, Verdict::Pass);
    assert!(
        agent.evidence.contains("loopback") && agent.evidence.contains("credential endpoints"),
        "{}",
        agent.evidence
    );
}
