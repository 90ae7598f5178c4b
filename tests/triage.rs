//! Run Command for triage, as a user meets it: 200 instances where three answer differently
//! come to two groups (197 and 3) in `bosun run` and in the console's grouped mode; grouping by
//! shape; a canary that fails stops after the canary (AWS has no other invocation), one that
//! passes goes on; the CLI refuses what the form refuses before any call, and says the same of
//! an unknown instance as of a tag that matches nothing.

mod common;

use std::time::Duration;

use bosun::app::views::runs::grouping::Grouping;
use bosun::model::run::{RunGroup, RunRequest, RunTarget};
use bosun::model::run_groups::RunResult;
use bosun::services::runs::{self, RunCommand, RunEvent, RunOptions};
use bosun::sim::{self, Fleet, SimConfig, SimHandle};
use common::{bosun, demo_id, finish, start_sim};

/// A simulator whose fleet has 200 online Linux instances in us-east-1; their ids.
async fn two_hundred() -> (SimHandle, Vec<sim::Instance>) {
    let fleet = Fleet::generate(600, 11);
    let chosen: Vec<sim::Instance> = fleet
        .instances
        .iter()
        .filter(|i| {
            i.region == "us-east-1"
                && i.platform == sim::Platform::Linux
                && i.ping == Some(sim::PingStatus::Online)
                && i.state == "running"
        })
        .take(200)
        .cloned()
        .collect();
    assert_eq!(
        chosen.len(),
        200,
        "the generated fleet has 200 to choose from"
    );
    let sim = sim::start(SimConfig {
        fleet,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    (sim, chosen)
}

/// A script three of `instances` answer differently: "inactive" and exit 3; the rest "active".
fn three_odd(instances: &[sim::Instance]) -> (String, Vec<String>) {
    let odd: Vec<String> = [17, 88, 150].map(|n| instances[n].id.clone()).to_vec();
    let script = format!(
        "case $INSTANCE_ID in {}) echo inactive; exit 3;; *) echo active;; esac",
        odd.join("|")
    );
    (script, odd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_instances_three_odd_come_to_two_groups_in_the_cli() {
    let (sim, instances) = two_hundred().await;
    let (script, odd) = three_odd(&instances);
    let mut command = bosun(&sim);
    command.args(["run", "--max-concurrency", "100%", "--json", "--yes"]);
    for instance in &instances {
        command.args(["--instance", &instance.id]);
    }
    command.args(["--", &script]);
    let (code, stdout, stderr) = finish_slowly(command.spawn().expect("spawn")).await;
    assert_eq!(code, 1, "three failed: {stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("stdout is JSON lines only"))
        .collect();
    let groups: Vec<&serde_json::Value> = lines.iter().filter(|l| l["type"] == "group").collect();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(
        (
            &groups[0]["count"],
            &groups[0]["status"],
            &groups[0]["output"]
        ),
        (
            &serde_json::json!(197),
            &serde_json::json!("Success"),
            &serde_json::json!("active")
        )
    );
    assert_eq!(groups[1]["count"], 3);
    assert_eq!(groups[1]["exit_code"], 3);
    let mut members: Vec<String> = groups[1]["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect();
    members.sort();
    let mut odd = odd;
    odd.sort();
    assert_eq!(members, odd);
    // The blast radius and progress went to stderr, never into the JSON.
    assert!(stderr.contains("Runs as root on 200 instances"), "{stderr}");
}

/// Like `common::finish`, with room for 200 invocations on a busy machine.
async fn finish_slowly(child: tokio::process::Child) -> (i32, String, String) {
    let output = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .expect("finishes within three minutes")
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The console's grouped mode is fed by the one run pipeline: 200 results, two groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_instances_three_odd_come_to_two_groups_in_the_console() {
    let (sim, instances) = two_hundred().await;
    let (script, odd) = three_odd(&instances);
    let request = RunRequest {
        groups: vec![RunGroup {
            profile: "sim".to_owned(),
            region: "us-east-1".to_owned(),
            targets: instances
                .iter()
                .map(|i| RunTarget {
                    id: i.id.clone(),
                    name: i.name().to_owned(),
                    online: true,
                    ..RunTarget::default()
                })
                .collect(),
        }],
        script,
        timeout_seconds: 60,
        max_concurrency: "100%".to_owned(),
        max_errors: "100%".to_owned(),
        comment: "bosun triage test".to_owned(),
        ..RunRequest::default()
    };
    let (tx, mut events) = tokio::sync::mpsc::channel(256);
    let _run = runs::spawn(
        request,
        bosun::services::sources::simulator_sources(sim.endpoint_url()),
        RunOptions::default(),
        1,
        tx,
    );
    let mut grouping = Grouping::default();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(180), events.recv())
            .await
            .expect("the run ends in time")
            .expect("the service runs");
        match event.value {
            // What the console's reducer does with each settled invocation.
            RunEvent::Settled {
                invocation, output, ..
            } => grouping.settle(RunResult::settled(&invocation, output, false)),
            RunEvent::Done => break,
            RunEvent::Failed(error) => panic!("{error}"),
            _ => {}
        }
    }
    assert_eq!(grouping.settled(), 200);
    let groups = grouping.groups();
    assert_eq!(groups.len(), 2);
    assert_eq!(
        (groups[0].count, groups[0].output.as_str()),
        (197, "active")
    );
    assert_eq!(
        (groups[1].count, groups[1].output.as_str()),
        (3, "inactive")
    );
    assert!(groups[1].is_outlier(groups[0].count));
    let mut members = groups[1].instances.clone();
    members.sort();
    let mut odd = odd;
    odd.sort();
    assert_eq!(members, odd);
}

/// Every invocation AWS knows of, across all commands.
async fn all_invocations(sim: &SimHandle) -> Vec<(String, String)> {
    let ssm =
        aws_sdk_ssm::Client::new(&bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await);
    let mut pages = ssm.list_command_invocations().into_paginator().send();
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        for invocation in page.expect("ListCommandInvocations").command_invocations() {
            all.push((
                invocation.command_id().unwrap_or_default().to_owned(),
                invocation.instance_id().unwrap_or_default().to_owned(),
            ));
        }
    }
    all
}

#[tokio::test]
async fn a_canary_that_fails_stops_there_and_one_that_passes_goes_on() {
    let sim = start_sim().await;
    let api_1 = demo_id("payments-api-1");
    // The canary (two, spread over zones, online first) includes payments-api-1, which fails.
    let script = format!("[ \"$INSTANCE_ID\" != {api_1} ]");
    let (code, stdout, stderr) = finish(
        bosun(&sim)
            .args([
                "run",
                "--tag",
                "Team=payments",
                "--canary",
                "2",
                "--yes",
                "--",
                &script,
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("canary first: 2 (payments-api-1 "),
        "the blast radius names the canary: {stderr}"
    );
    assert!(
        stderr
            .contains("the canary did not succeed on every instance: the remaining 4 were not run"),
        "{stderr}"
    );
    assert!(
        stdout.contains("2 instances (the canary): 1 Failed, 1 Success"),
        "{stdout}"
    );
    let invoked = all_invocations(&sim).await;
    assert_eq!(invoked.len(), 2, "AWS ran only the canary: {invoked:?}");

    // Passing: the rest follows by itself with --yes, in a second command.
    let (code, stdout, stderr) = finish(
        bosun(&sim)
            .args([
                "run",
                "--tag",
                "Team=payments",
                "--canary",
                "34%",
                "--json",
                "--yes",
                "--",
                "true",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 1, "payments-api-3 is offline: {stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let canary = lines
        .iter()
        .find(|l| l["type"] == "canary")
        .expect("the canary's line");
    assert_eq!(
        (
            &canary["passed"],
            &canary["instances"],
            &canary["remaining"]
        ),
        (
            &serde_json::json!(true),
            &serde_json::json!(3),
            &serde_json::json!(3)
        )
    );
    let summary = lines.last().expect("the summary");
    assert_eq!(summary["total"], 6);
    assert_eq!(summary["command_ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(all_invocations(&sim).await.len(), 2 + 6);
}

/// Without --yes, the console's way: the service waits for Continue after a passing canary.
#[tokio::test]
async fn after_a_passing_canary_the_rest_waits_for_continue() {
    let sim = start_sim().await;
    let ids = ["payments-api-1", "payments-api-2", "payments-worker-1"].map(demo_id);
    let request = RunRequest {
        groups: vec![RunGroup {
            profile: "demo".to_owned(),
            region: "us-east-1".to_owned(),
            targets: ids
                .iter()
                .map(|id| RunTarget {
                    id: id.clone(),
                    online: true,
                    ..RunTarget::default()
                })
                .collect(),
        }],
        script: "echo fine".to_owned(),
        timeout_seconds: 60,
        max_concurrency: "50".to_owned(),
        max_errors: "0".to_owned(),
        canary: vec![ids[0].clone()],
        ..RunRequest::default()
    };
    let (tx, mut events) = tokio::sync::mpsc::channel(64);
    let run = runs::spawn(
        request,
        bosun::services::sources::simulator_sources(sim.endpoint_url()),
        RunOptions::default(),
        1,
        tx,
    );
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("an event in time")
            .expect("the service runs")
            .value
    };
    loop {
        match next().await {
            RunEvent::CanaryDone { passed, remaining } => {
                assert!(passed);
                assert_eq!(remaining, 2);
                break;
            }
            RunEvent::Done => panic!("done before the rest was sent"),
            _ => {}
        }
    }
    assert_eq!(all_invocations(&sim).await.len(), 1, "the rest waits");
    run.send_later(RunCommand::Continue);
    let mut settled = 0;
    loop {
        match next().await {
            RunEvent::Settled { .. } => settled += 1,
            RunEvent::Done => break,
            _ => {}
        }
    }
    assert_eq!(settled, 2, "the other two ran after Continue");
    assert_eq!(all_invocations(&sim).await.len(), 3);
}

#[tokio::test]
async fn grouping_by_shape_joins_outputs_that_differ_in_numbers_and_names() {
    let sim = start_sim().await;
    let (code, stdout, _) = finish(
        bosun(&sim)
            .args([
                "run",
                "--tag",
                "Team=payments",
                "--group-by",
                "shape",
                "--json",
                "--yes",
                "--",
                "echo \"$INSTANCE_ID up $(($(echo $INSTANCE_ID | wc -c) * 7)) days\"",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 1, "payments-api-3 is offline");
    let groups: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|l| l["type"] == "group")
        .collect();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(groups[0]["count"], 5);
    assert_eq!(groups[0]["output"], "<self> up 140 days");
    assert!(
        groups[0].get("variants").is_none(),
        "the same once the names are set aside: {}",
        groups[0]
    );
}

#[tokio::test]
async fn the_cli_refuses_before_any_call_and_nothing_matched_is_one_status() {
    let sim = start_sim().await;
    for (args, said) in [
        (vec!["--max-concurrency", "abc"], "max concurrency"),
        (vec!["--max-errors", "101%"], "max errors"),
        (vec!["--timeout", "0"], "timeout"),
        (vec!["--canary", "x"], "canary"),
    ] {
        let (code, stdout, stderr) = finish(
            bosun(&sim)
                .args(["run", "--tag", "Team=payments", "--yes"])
                .args(&args)
                .args(["--", "true"])
                .spawn()
                .expect("spawn"),
        )
        .await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(stdout.is_empty());
    }
    let counts = sim.request_counts();
    assert_eq!(
        counts
            .get("ssm:DescribeInstanceInformation")
            .copied()
            .unwrap_or(0)
            + counts.get("ssm:SendCommand").copied().unwrap_or(0),
        0,
        "nothing was called: {counts:?}"
    );

    // An id SSM does not know and a tag nothing has: the same status, each said.
    let (code_id, _, said_id) = finish(
        bosun(&sim)
            .args([
                "run",
                "--instance",
                "i-0000000000000dead",
                "--yes",
                "--",
                "true",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    let (code_tag, _, said_tag) = finish(
        bosun(&sim)
            .args(["run", "--tag", "Team=nobody", "--yes", "--", "true"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!((code_id, code_tag), (2, 2));
    assert!(said_id.contains("i-0000000000000dead"), "{said_id}");
    assert!(
        said_tag.contains("no managed instance matches"),
        "{said_tag}"
    );
    let counts = sim.request_counts();
    assert_eq!(counts.get("ssm:SendCommand").copied().unwrap_or(0), 0);
    // The counter keys are right: these two did look for their targets.
    assert!(
        counts
            .get("ssm:DescribeInstanceInformation")
            .copied()
            .unwrap_or(0)
            >= 2
    );
}
