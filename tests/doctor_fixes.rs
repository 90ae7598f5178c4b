//! Every fix the doctor prints runs as written: for each demo instance with a cause (and the
//! healthy one), every command in its fix and its other ways in (`bosun doctor --json`) names
//! the region and leaves nothing to fill that the doctor knew (ids of endpoints, groups,
//! route tables, NAT gateways, the instance); the AWS CLI accepts each `aws` command's flags
//! (it is run against the simulator, which answers the ones it does not serve with an error of
//! its own, never a usage error), and the `bosun` ones run against the simulator.

mod common;

use std::process::Stdio;

use bosun::sim::SimHandle;
use common::start_sim;
use tokio::process::Command;

/// (name, region) of each demo instance the doctor has something to say about.
const CASES: [(&str, &str); 10] = [
    ("payments-api-1", "us-east-1"),
    ("payments-api-3", "us-east-1"),
    ("data-etl-2", "us-east-1"),
    ("data-notebook", "us-east-1"),
    ("orphaned-test-box", "us-east-1"),
    ("ledger-batch-1", "us-east-1"),
    ("ops-runner-1", "us-east-1"),
    ("search-query-2", "eu-west-1"),
    ("finance-reporting-dr", "eu-west-1"),
    ("identity-admin", "eu-west-1"),
];

/// Words a command may leave for the person: what the doctor cannot know (which instance
/// profile to attach, their SSH key, the region of an id it could not find).
const THEIRS_TO_FILL: [&str; 3] = ["Name=PROFILE", "file://KEY.pub", "REGION"];

/// Placeholders for what the doctor knows, which must never be left in a command.
const KNOWN_PLACEHOLDERS: [&str; 8] = [
    " ID ",
    " ID`",
    "VPC_ID",
    "SUBNET",
    "RTB",
    "NAT_ID",
    "sg-…",
    "--all-regions",
];

fn sealed_bosun(sim: &SimHandle, region: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    common::sealed(&mut command)
        .env("AWS_ENDPOINT_URL", sim.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", "demo")
        .env("AWS_SECRET_ACCESS_KEY", "demo")
        .env("AWS_REGION", region)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// The commands (text in backticks) of a report's fix and other ways in.
fn commands(report: &serde_json::Value) -> Vec<String> {
    let mut texts = vec![report["fix"].as_str().expect("a fix").to_owned()];
    for fallback in report["fallbacks"].as_array().into_iter().flatten() {
        texts.push(fallback.as_str().expect("text").to_owned());
    }
    texts
        .iter()
        .flat_map(|text| text.split('`').skip(1).step_by(2).map(str::to_owned))
        .collect()
}

/// A command line split as a shell would split this simple one (no quotes but '…').
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[tokio::test]
async fn every_command_the_doctor_prints_runs_as_written() {
    let sim = start_sim().await;
    let mut checked = 0;
    let mut ran = Vec::new();
    for (name, region) in CASES {
        let output = sealed_bosun(&sim, region)
            .args(["doctor", name, "--json"])
            .output()
            .await
            .expect("bosun doctor");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&output.stderr)));
        let id = report["instance_id"].as_str().expect("id").to_owned();
        let found = commands(&report);
        for command in &found {
            checked += 1;
            // On the instance itself (through another way in): no region to name.
            if command.starts_with("sudo ") || command.starts_with("ssh ") {
                continue;
            }
            assert!(
                command.contains(&format!("--region {region}")),
                "{name}: no --region {region} in `{command}`"
            );
            for placeholder in KNOWN_PLACEHOLDERS {
                assert!(
                    !format!("{command}`").contains(placeholder),
                    "{name}: {placeholder:?} left to fill in `{command}`"
                );
            }
            let unfilled: Vec<&str> = command
                .split(' ')
                .filter(|w| w.chars().any(|c| c.is_ascii_uppercase()))
                .filter(|w| w.chars().all(|c| !c.is_ascii_lowercase() || c == 'x'))
                .filter(|w| !THEIRS_TO_FILL.iter().any(|t| w.contains(t)))
                .collect();
            assert!(
                unfilled.is_empty(),
                "{name}: {unfilled:?} left to fill in `{command}`"
            );
            let argv = words(command);
            match argv[0].as_str() {
                "aws" if argv[1] == "ec2-instance-connect" => {
                    // AWS CLI v2's own commands: the pinned v1 has none of them.
                    assert!(command.contains(&id), "{name}: `{command}`");
                }
                "aws" => {
                    let mut aws = common::aws_cli(
                        &sim,
                        ("demo", "demo"),
                        &std::env::var("PATH").unwrap_or_default(),
                        &argv[1..].iter().map(String::as_str).collect::<Vec<_>>(),
                    );
                    let out = aws.output().await.expect("aws runs");
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    // 252: the CLI refused the command line itself (an unknown flag, a
                    // missing argument); anything else came from the service.
                    assert!(
                        out.status.code() != Some(252)
                            && !stderr.contains("Unknown options")
                            && !stderr.contains("usage:"),
                        "{name}: the AWS CLI refuses `{command}`: {stderr}"
                    );
                    ran.push(command.clone());
                }
                "bosun" => {
                    let mut args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
                    if args[0] == "run" {
                        args.insert(1, "--yes");
                    }
                    let out = sealed_bosun(&sim, region)
                        .args(&args)
                        .output()
                        .await
                        .expect("bosun runs");
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    assert!(
                        out.status.code() != Some(2) && !stderr.contains("Usage:"),
                        "{name}: `{command}` is not a bosun command line: {stderr}"
                    );
                    ran.push(command.clone());
                }
                other => panic!("{name}: a command of {other}: `{command}`"),
            }
        }
    }
    assert!(checked >= 12, "{checked} commands checked");
    assert!(
        ran.iter().any(|c| c.starts_with("bosun shell"))
            && ran.iter().any(|c| c.starts_with("bosun run"))
            && ran.iter().any(|c| c.contains("modify-vpc-endpoint"))
            && ran.iter().any(|c| c.contains("create-vpc-endpoint")),
        "{ran:#?}"
    );
}

#[tokio::test]
async fn no_way_around_a_deny_instance_connect_only_where_it_is_and_no_endpoints_behind_a_nat() {
    let sim = start_sim().await;
    let report = |name: &'static str, region: &'static str| {
        let sim = &sim;
        async move {
            let output = sealed_bosun(sim, region)
                .args(["doctor", name, "--json"])
                .output()
                .await
                .expect("bosun doctor");
            serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("JSON")
        }
    };
    let denied = report("identity-admin", "eu-west-1").await;
    assert_eq!(
        denied["fallbacks"].as_array().map_or(0, Vec::len),
        0,
        "{denied:#}"
    );
    // ledger-batch-1's VPC has an Instance Connect Endpoint; ops-runner-1's has none.
    let with = report("ledger-batch-1", "us-east-1").await;
    assert!(
        with["fallbacks"]
            .as_array()
            .expect("fallbacks")
            .iter()
            .any(|f| f.as_str().unwrap_or("").contains("eice-")),
        "{with:#}"
    );
    let without = report("ops-runner-1", "us-east-1").await;
    assert!(
        !without["fallbacks"]
            .as_array()
            .expect("fallbacks")
            .iter()
            .any(|f| f.as_str().unwrap_or("").contains("Instance Connect")),
        "{without:#}"
    );
    // A NAT gateway makes endpoints unnecessary, and the check says so.
    let behind_nat = report("platform-ci-runner-1", "us-east-1").await;
    let endpoints = behind_nat["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "interface endpoints")
        .expect("an endpoints check");
    assert_eq!(
        endpoints["evidence"],
        "none for ssm, ssmmessages, ec2messages (not needed: NAT gateway)"
    );
    assert_eq!(endpoints["verdict"], "pass");
}

#[tokio::test]
async fn an_id_unknown_here_is_found_in_the_other_region() {
    let sim = start_sim().await;
    // search-query-2 lives in eu-west-1.
    let listed = sealed_bosun(&sim, "eu-west-1")
        .args(["ls", "--json"])
        .output()
        .await
        .expect("ls");
    let id = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|row| row["name"] == "search-query-2")
        .and_then(|row| row["instance_id"].as_str().map(str::to_owned))
        .expect("in eu-west-1");
    let output = sealed_bosun(&sim, "us-east-1")
        .args(["doctor", &id])
        .output()
        .await
        .expect("doctor");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains(&format!(
            "it is in eu-west-1: `bosun doctor {id} --region eu-west-1`"
        )),
        "{out}"
    );
}

/// `bosun doctor ecs:CLUSTER/SERVICE` (and a task, a container) gives ECS Exec's cause and
/// fix, with the doctor's exit statuses.
#[tokio::test]
async fn containers_get_the_whole_doctor() {
    let sim = start_sim().await;
    let doctor = |target: &'static str, json: bool| {
        let mut command = sealed_bosun(&sim, "us-east-1");
        command.args(["doctor", target]);
        if json {
            command.arg("--json");
        }
        command.output()
    };
    let refused = doctor("ecs:payments/ledger-sync", false)
        .await
        .expect("runs");
    let out = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(refused.status.code(), Some(1), "{out}");
    assert!(out.contains("✗ ecs exec enabled"), "{out}");
    assert!(
        out.contains("cause: the task was started without enableExecuteCommand")
            && out.contains("--enable-execute-command"),
        "{out}"
    );
    let stopped = doctor("ecs:payments/receipts", true).await.expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&stopped.stdout).expect("JSON");
    assert_eq!(stopped.status.code(), Some(1));
    assert!(
        report["cause"].as_str().unwrap_or("").contains("STOPPED"),
        "{report:#}"
    );
    let fine = doctor("ecs:payments/fraud-scoring/app", false)
        .await
        .expect("runs");
    assert_eq!(
        fine.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fine.stdout)
    );
    let wrong = doctor("ecs:payments", false).await.expect("runs");
    assert_eq!(wrong.status.code(), Some(2));
}
