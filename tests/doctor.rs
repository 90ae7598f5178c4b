//! `bosun doctor` against the simulated fleet, where every instance that is not Online has a
//! cause of its own (assets/demo-fleet.toml): each gets its verdict, cause and fix, its exit
//! status, a JSON report of the same, and no more than 15 API calls.

mod common;

use std::process::Stdio;

use bosun::sim::{Faults, SimHandle};
use common::start_sim;
use tokio::io::AsyncBufReadExt;
use tokio::process::Command;

/// A sealed environment pointed at `sim` with the demo key pair, in us-east-1.
fn against<'a>(command: &'a mut Command, sim: &SimHandle) -> &'a mut Command {
    common::sealed(command)
        .env("AWS_ENDPOINT_URL", sim.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", "demo")
        .env("AWS_SECRET_ACCESS_KEY", "demo")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
}

/// bosun against `sim` with the demo key pair, in us-east-1 unless told otherwise.
fn bosun_against(sim: &SimHandle) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    against(&mut command, sim)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

async fn doctor(sim: &SimHandle, region: &str, args: &[&str]) -> (i32, String, String) {
    let output = bosun_against(sim)
        .arg("doctor")
        .args(args)
        .env("AWS_REGION", region)
        .output()
        .await
        .expect("bosun runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn calls(sim: &SimHandle) -> u64 {
    sim.request_counts()
        .iter()
        .filter(|(operation, _)| operation.contains(':'))
        .map(|(_, n)| *n)
        .sum()
}

#[tokio::test]
async fn every_simulated_cause_gets_its_own_verdict_and_fix() {
    let sim = start_sim().await;
    let cases = [
        (
            "payments-api-1",
            "us-east-1",
            0,
            "none found",
            "bosun shell",
        ),
        (
            "payments-api-3",
            "us-east-1",
            1,
            "the agent stopped reporting",
            "restart amazon-ssm-agent",
        ),
        (
            "data-etl-2",
            "us-east-1",
            1,
            "the instance is stopped",
            "aws ec2 start-instances",
        ),
        (
            "data-notebook",
            "us-east-1",
            1,
            "no way out to SSM",
            "NAT gateway",
        ),
        (
            "orphaned-test-box",
            "us-east-1",
            1,
            "no instance profile",
            "AmazonSSMManagedInstanceCore",
        ),
        (
            "search-query-2",
            "eu-west-1",
            1,
            "private DNS off",
            "--private-dns-enabled",
        ),
        (
            "finance-reporting-dr",
            "eu-west-1",
            1,
            "role ReportingRole has no SSM policy",
            "aws iam attach-role-policy --role-name ReportingRole",
        ),
        (
            "ledger-batch-1",
            "us-east-1",
            1,
            "security groups let no HTTPS (443) out",
            "authorize-security-group-egress --group-id sg-0ledgerlocked01",
        ),
        (
            "ops-runner-1",
            "us-east-1",
            1,
            "Run Command can reach the instance but sessions cannot",
            "com.amazonaws.us-east-1.ssmmessages",
        ),
        (
            "identity-admin",
            "eu-west-1",
            1,
            "you may not start sessions here: ssm:StartSession is denied",
            "denies it explicitly: ask its owner (your IAM policy, a permissions boundary or an organisation's SCP) for ssm:StartSession on arn:aws:ec2:eu-west-1:111122223333:instance/i-03f1a2b3c4d5f7776",
        ),
    ];
    let mut causes = Vec::new();
    for (name, region, status, cause, fix) in cases {
        let before = calls(&sim);
        let (code, out, err) = doctor(&sim, region, &[name]).await;
        assert_eq!(code, status, "{name}: {out}{err}");
        let cause_line = out
            .lines()
            .find(|l| l.contains("cause: "))
            .unwrap_or_else(|| panic!("{name}: no cause line in {out}"));
        let fix_line = out
            .lines()
            .find(|l| l.trim_start().starts_with("fix: "))
            .unwrap_or_else(|| panic!("{name}: no fix line in {out}"));
        assert!(cause_line.contains(cause), "{name}: {cause_line}");
        assert!(fix_line.contains(fix), "{name}: {fix_line}");
        causes.push(cause_line.to_owned());
        // One Name lookup, then the instance, its registration, its profile, two route table
        // reads at most, the endpoints and the security groups, and three IAM reads.
        let spent = calls(&sim) - before;
        assert!(spent <= 15, "{name}: {spent} API calls");
    }
    causes.sort();
    causes.dedup();
    assert_eq!(
        causes.len(),
        cases.len(),
        "each cause is its own: {causes:#?}"
    );
}

#[tokio::test]
async fn the_json_report_carries_the_checks_and_the_verdict() {
    let sim = start_sim().await;
    let (code, out, err) = doctor(&sim, "us-east-1", &["data-notebook", "--json"]).await;
    assert_eq!(code, 1, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["instance_id"], "i-03f1a2b3c4d5f3332");
    assert_eq!(report["region"], "us-east-1");
    assert_eq!(report["would_start"], false);
    assert!(
        report["cause"]
            .as_str()
            .expect("cause")
            .contains("no way out")
    );
    assert!(report["fix"].as_str().is_some());
    let checks = report["checks"].as_array().expect("checks");
    assert!(checks.len() >= 5, "{checks:#?}");
    for check in checks {
        assert!(check["area"].is_string() && check["name"].is_string());
        assert!(["pass", "fail", "unknown"].contains(&check["verdict"].as_str().expect("verdict")));
        assert!(check["evidence"].is_string());
    }
    let route = checks
        .iter()
        .find(|c| c["name"] == "route out")
        .expect("a route check");
    assert_eq!(route["verdict"], "fail");
}

#[tokio::test]
async fn checks_that_cannot_run_say_why_and_exit_two() {
    let sim = start_sim().await;
    sim.set_faults(Faults::parse("deny=DescribeInstanceInformation").expect("spec"));
    let (code, out, err) = doctor(&sim, "us-east-1", &["i-03f1a2b3c4d5e1111"]).await;
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("? ssm ping") && out.contains("access denied"),
        "{out}"
    );
    assert!(out.contains("the checks could not run"), "{out}");

    let (code, _, err) = doctor(&sim, "us-east-1", &["no-such-name"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("no-such-name"), "{err}");
}

#[tokio::test]
async fn a_shell_that_cannot_start_says_the_doctors_cause_and_fix() {
    let sim = start_sim().await;
    let output = bosun_against(&sim)
        .args(["shell", "payments-api-3"])
        .output()
        .await
        .expect("bosun runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(255), "{err}");
    assert!(err.contains("TargetNotConnected"), "{err}");
    assert!(err.contains("cause: the agent stopped reporting"), "{err}");
    assert!(err.contains("fix:   restart the agent on it"), "{err}");
    assert!(
        err.contains("full report: bosun doctor i-03f1a2b3c4d5e3333 --region us-east-1"),
        "{err}"
    );
    assert!(
        !err.contains("ErrorMetadata") && !err.contains("SdkBody"),
        "{err}"
    );
}

/// An instance that is Online (Run Command reaches it) but whose agent cannot reach
/// ssmmessages: the session is created, the agent never joins, and after the first-contact
/// wait `bosun shell` says so with the doctor's cause, instead of waiting forever as the
/// official plugin does.
#[tokio::test]
async fn a_session_the_agent_never_joins_ends_with_the_missing_endpoint() {
    let sim = start_sim().await;
    let output = bosun_against(&sim)
        .args(["shell", "ops-runner-1"])
        .output()
        .await
        .expect("bosun runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(255), "{err}");
    assert!(err.contains("the instance's agent never answered"), "{err}");
    assert!(
        err.contains("cause: Run Command can reach the instance but sessions cannot"),
        "{err}"
    );
    assert!(err.contains("com.amazonaws.us-east-1.ssmmessages"), "{err}");
}

/// A run that could not reach an instance says, after the results, why (the doctor's cause
/// and fix) for that instance alone, and keeps stdout to the results.
#[tokio::test]
async fn a_run_that_reaches_not_every_instance_says_why_for_those_it_missed() {
    let sim = start_sim().await;
    let output = bosun_against(&sim)
        .args(["run", "--tag", "Team=finance", "--yes", "--", "uptime"])
        .output()
        .await
        .expect("bosun runs");
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("1 Success, 1 Undeliverable"), "{out}");
    assert!(
        err.contains("i-03f1a2b3c4d5fa11e was not reached: the instance's security groups let no HTTPS (443) out"),
        "{err}"
    );
    assert!(
        err.contains("full report: bosun doctor i-03f1a2b3c4d5fa11e --region us-east-1"),
        "{err}"
    );
    assert_eq!(err.matches("was not reached").count(), 1, "{err}");
    assert!(!out.contains("was not reached"), "{out}");
}

/// A tunnel to an instance that cannot take a session says why and exits 1, never claiming
/// to listen; with --retry it keeps trying, a line per attempt.
#[tokio::test]
async fn a_tunnel_to_an_unreachable_target_ends_with_the_cause_unless_asked_to_retry() {
    let sim = start_sim().await;
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        bosun_against(&sim)
            .args(["tunnel", "payments-api-3", "--remote-port", "22"])
            .output(),
    )
    .await
    .expect("it ends by itself")
    .expect("bosun runs");
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(1), "{out}{err}");
    assert!(!out.contains("Listening on"), "{out}");
    assert!(err.contains("TargetNotConnected"), "{err}");
    assert!(err.contains("cause: the agent stopped reporting"), "{err}");
    assert!(err.contains("--retry"), "{err}");
    assert!(err.len() < 1500, "short: {} bytes\n{err}", err.len());

    let mut child = bosun_against(&sim)
        .args(["tunnel", "payments-api-3", "--remote-port", "22", "--retry"])
        .spawn()
        .expect("spawn");
    // Two attempts said, one line each, and it goes on trying.
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut err = String::new();
    while err.matches("retrying in").count() < 2 {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no second attempt within 30 s: {err}"))
            .expect("read")
            .unwrap_or_else(|| panic!("stderr ended: {err}"));
        err.push_str(&line);
        err.push('\n');
    }
    assert!(child.try_wait().expect("status").is_none(), "still trying");
    child.kill().await.expect("kill");
    let output = child.wait_with_output().await.expect("output");
    assert!(err.lines().all(|line| line.len() < 300), "{err}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("Listening on"));
}

/// Where the caller may not read IAM, the role's check says "?" and why, and the verdict
/// rests on the rest.
#[tokio::test]
async fn a_caller_who_may_not_read_iam_gets_a_question_mark_and_why() {
    let sim = start_sim().await;
    sim.set_faults(Faults::parse("deny=GetInstanceProfile").expect("spec"));
    let (code, out, err) = doctor(&sim, "us-east-1", &["payments-api-1"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let role = out
        .lines()
        .find(|l| l.contains("identity role policy"))
        .unwrap_or_else(|| panic!("no role line in {out}"));
    assert!(role.trim_start().starts_with('?'), "{role}");
    assert!(role.contains("access denied"), "{role}");

    // Most callers may not simulate their own policies: "?" and why, and the verdict stands.
    sim.set_faults(Faults::parse("deny=SimulatePrincipalPolicy").expect("spec"));
    let (code, out, err) = doctor(&sim, "us-east-1", &["payments-api-1"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let caller = out
        .lines()
        .find(|l| l.contains("caller permissions"))
        .unwrap_or_else(|| panic!("no caller line in {out}"));
    assert!(caller.trim_start().starts_with('?'), "{caller}");
    assert!(caller.contains("iam:SimulatePrincipalPolicy"), "{caller}");
}

/// A Name that is not here says where it is, or what is near it.
#[tokio::test]
async fn an_unknown_name_says_where_it_is_or_what_is_near() {
    let sim = start_sim().await;
    let (code, _, err) = doctor(&sim, "us-east-1", &["search-query-1"]).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("no instance is named \"search-query-1\" in us-east-1; it is in eu-west-1 (add --region eu-west-1)"),
        "{err}"
    );
    let (_, _, err) = doctor(&sim, "us-east-1", &["payments-api-9"]).await;
    assert!(
        err.contains("did you mean payments-api-1, payments-api-2, payments-api-3?"),
        "{err}"
    );
}

/// Session Manager preferences that encrypt sessions with KMS: the doctor names the key, and
/// when the caller may not use it, that is the cause (and `bosun shell` says so too).
#[tokio::test]
async fn a_session_key_the_caller_may_not_use_is_the_cause() {
    let mut fleet = bosun::sim::Fleet::demo();
    fleet
        .session_preferences
        .retain(|p| p.region != "us-east-1");
    fleet
        .session_preferences
        .push(bosun::sim::fleet::SessionPreferences {
            region: "us-east-1".to_owned(),
            kms_key_id: Some("alias/session-key".to_owned()),
        });
    let sim = bosun::sim::start(bosun::sim::SimConfig {
        fleet,
        ..bosun::sim::SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let (code, out, err) = doctor(&sim, "us-east-1", &["payments-api-1"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("sessions kms") && out.contains("encrypted with alias/session-key"),
        "{out}"
    );
    assert!(out.contains("kms:GenerateDataKey: allowed"), "{out}");

    sim.set_faults(Faults::parse("deny=GenerateDataKey").expect("spec"));
    let (code, out, err) = doctor(&sim, "us-east-1", &["payments-api-1"]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("cause: sessions here are encrypted with KMS key alias/session-key, and you may not use it"),
        "{out}"
    );
    let output = bosun_against(&sim)
        .args(["shell", "payments-api-1"])
        .output()
        .await
        .expect("bosun runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(255), "{err}");
    assert!(
        err.contains("cause: sessions here are encrypted with KMS key"),
        "{err}"
    );
}

/// The doctor's own commands, followed as written: the `bosun run …` it offers, with `--yes`
/// (no terminal here), through `sh -c` as a person would paste it.
async fn follow(sim: &SimHandle, report: &str, starting: &str) -> (i32, String) {
    let start = report
        .find(&format!("`{starting}"))
        .unwrap_or_else(|| panic!("no `{starting}… in {report}"));
    let command = &report[start + 1..];
    let command = &command[..command.find('`').expect("closing backtick")];
    let pasted = command.replacen(
        "bosun run",
        &format!("{} run --yes", env!("CARGO_BIN_EXE_bosun")),
        1,
    );
    let mut sh = Command::new("sh");
    let output = against(&mut sh, sim)
        .arg("-c")
        .arg(&pasted)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("sh runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// An old agent's update path and the Run Command fallback work when followed: the agent
/// reports the new version afterwards, and the other ways onto an instance are lines of
/// their own.
#[tokio::test]
async fn the_commands_the_doctor_offers_work_when_followed() {
    let sim = start_sim().await;
    let (_, before, _) = doctor(&sim, "us-east-1", &["platform-legacy-build"]).await;
    assert!(
        before.contains("2.3.1319.0 (tunnels carry one connection at a time"),
        "{before}"
    );
    let (code, out) = follow(&sim, &before, "bosun run --document AWS-UpdateSSMAgent").await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Updating amazon-ssm-agent from 2.3.1319.0 to 3.3.987.0"),
        "{out}"
    );
    let (_, after, _) = doctor(&sim, "us-east-1", &["platform-legacy-build"]).await;
    assert!(
        after.contains("✓ ssm agent version            3.3.987.0\n"),
        "{after}"
    );

    // Going back needs allowDowngrade, as with AWS.
    let downgrade = bosun_against(&sim)
        .args(["run", "--yes", "--document", "AWS-UpdateSSMAgent"])
        .args([
            "--parameter",
            "version=3.0.100.0",
            "--instance",
            "i-03f1a2b3c4d5edddd",
        ])
        .output()
        .await
        .expect("bosun runs");
    let out = String::from_utf8_lossy(&downgrade.stdout);
    assert_eq!(downgrade.status.code(), Some(1), "{out}");
    assert!(out.contains("set allowDowngrade to true"), "{out}");

    // Sessions fail here but Run Command works: the fallback is its own line, and runs.
    let (code, report, _) = doctor(&sim, "us-east-1", &["ops-runner-1"]).await;
    assert_eq!(code, 1, "{report}");
    let fallbacks: Vec<&str> = report.lines().filter(|l| l.starts_with("  or:")).collect();
    // Its VPC has no EC2 Instance Connect Endpoint, so none is offered.
    assert_eq!(fallbacks.len(), 2, "{report}");
    assert!(
        fallbacks[0].contains("Run Command still reaches it"),
        "{report}"
    );
    assert!(fallbacks[1].contains("EC2 serial console"), "{report}");
    let (code, out) = follow(&sim, fallbacks[0], "bosun run --instance").await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ops-runner-1 (i-03f1a2b3c4d5f0b5e): Success"),
        "{out}"
    );
}

/// `--files` asks the instance's shell, in one session, whether copies can work there; the
/// plain doctor starts no session at all.
#[tokio::test]
async fn files_asks_the_shell_for_the_copy_tools_in_one_session_that_ends() {
    let sim = start_sim().await;
    let (code, out, err) = doctor(&sim, "us-east-1", &["data-etl-1"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("copy tools"), "{out}");
    assert_eq!(sim.request_counts().get("ssm:StartSession"), None);
    let (code, out, err) = doctor(&sim, "us-east-1", &["data-etl-1", "--files"]).await;
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|line| line.contains("copy tools"))
        .unwrap_or_else(|| panic!("a files check: {out}"));
    assert!(
        line.contains('✓') && line.contains("base64, tar and od"),
        "{line}"
    );
    assert_eq!(sim.request_counts().get("ssm:StartSession"), Some(&1));
    common::eventually(
        std::time::Duration::from_secs(10),
        "the check's session ends",
        || async { common::active_sessions(&sim).await == 0 },
    )
    .await;
}
