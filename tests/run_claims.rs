//! The README's promises about `bosun run` and the simulator's Run Command, each as a user
//! would meet them: Linux and Windows go to their own documents; AWS's cuts of the output
//! (24,000 / 8,000 characters, 2,500 in the listing) are said with the S3 location; targets go
//! in batches of at most 50; Ctrl-C cancels the command (CancelCommand) and a second one stops
//! watching with 130; a timed-out script loses its whole process group; at most 16 scripts run
//! at once.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use bosun::sim::{self, Fleet, SimConfig};
use common::{bosun, demo_id, eventually, finish, start_sim};
use rustix::process::{Pid, Signal};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

fn signal(child: &Child, signal: Signal) {
    let pid = Pid::from_raw(child.id().expect("running") as i32).expect("a pid");
    rustix::process::kill_process(pid, signal).expect("signal");
}

#[tokio::test]
async fn run_sends_linux_and_windows_targets_to_their_own_documents() {
    let sim = start_sim().await;
    let linux = demo_id("web-frontend-1");
    let windows = demo_id("web-legacy-iis");
    let child = bosun(&sim)
        .args([
            "run",
            "--instance",
            &linux,
            "--instance",
            &windows,
            "--json",
            "--yes",
            "--",
            "echo hi",
        ])
        .spawn()
        .expect("spawn");
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let ssm =
        aws_sdk_ssm::Client::new(&bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await);
    let commands = ssm.list_commands().send().await.expect("ListCommands");
    let sent: BTreeSet<(String, Vec<String>)> = commands
        .commands()
        .iter()
        .map(|c| {
            (
                c.document_name().unwrap_or_default().to_owned(),
                c.instance_ids().to_vec(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        BTreeSet::from([
            ("AWS-RunPowerShellScript".to_owned(), vec![windows]),
            ("AWS-RunShellScript".to_owned(), vec![linux]),
        ])
    );
}

#[tokio::test]
async fn run_says_where_aws_cut_the_output_and_where_the_whole_is() {
    let sim = start_sim().await;
    let target = demo_id("web-frontend-1");
    // 30,000 two-byte characters out, 9,000 err: AWS counts characters, not bytes.
    let script = "printf 'é%.0s' $(seq 30000); printf 'x%.0s' $(seq 9000) >&2";
    let run = |json: bool| {
        let mut command = bosun(&sim);
        command.args([
            "run",
            "--instance",
            &target,
            "--output-s3-bucket-name",
            "incident-logs",
            "--yes",
        ]);
        if json {
            command.arg("--json");
        }
        command.args(["--", script]);
        command.spawn().expect("spawn")
    };
    let (code, stdout, stderr) = finish(run(true)).await;
    assert_eq!(code, 0, "{stderr}");
    let result: serde_json::Value =
        serde_json::from_str(stdout.lines().next().expect("a line")).expect("json");
    let output = result["output"].as_str().expect("output");
    let (out, err) = output
        .split_once("\n--- stderr ---\n")
        .expect("both streams");
    assert_eq!(out.chars().count(), 24_000);
    assert!(out.chars().all(|c| c == 'é'));
    assert_eq!(err.chars().count(), 8_000);
    assert_eq!(result["truncated"], true);
    let url = result["full_output_url"].as_str().expect("the S3 location");
    assert!(url.contains("incident-logs"), "{url}");

    let (code, stdout, _) = finish(run(false)).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("output truncated by AWS at 24,000/8,000 characters; full output: ")
            && stdout.contains("incident-logs"),
        "{stdout}"
    );

    // The listing (what a watch shows before asking for the whole) is cut at 2,500.
    let ssm =
        aws_sdk_ssm::Client::new(&bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await);
    let listed = ssm
        .list_command_invocations()
        .details(true)
        .send()
        .await
        .expect("ListCommandInvocations");
    assert!(!listed.command_invocations().is_empty());
    for invocation in listed.command_invocations() {
        let plugin = &invocation.command_plugins()[0];
        assert_eq!(plugin.output().unwrap_or_default().chars().count(), 2_500);
        assert!(plugin.output_s3_bucket_name() == Some("incident-logs"));
    }
}

fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        // A zombie has ended; only its parent has not collected it yet.
        .is_ok_and(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
}

#[tokio::test]
async fn a_timed_out_script_loses_its_whole_process_group() {
    let sim = start_sim().await;
    let target = demo_id("web-frontend-1");
    let child = bosun(&sim)
        .args([
            "run",
            "--instance",
            &target,
            "--timeout",
            "2",
            "--json",
            "--yes",
            "--",
            "sleep 300 & echo child=$!; sleep 300",
        ])
        .spawn()
        .expect("spawn");
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let result: serde_json::Value =
        serde_json::from_str(stdout.lines().next().expect("a line")).expect("json");
    assert_eq!(result["status"], "TimedOut", "{result}");
    let pid: u32 = result["output"]
        .as_str()
        .and_then(|o| o.trim().strip_prefix("child="))
        .and_then(|p| p.lines().next()?.trim().parse().ok())
        .unwrap_or_else(|| panic!("the background child's pid in {result}"));
    eventually(
        Duration::from_secs(5),
        "the background child is killed",
        || async move { !process_alive(pid) },
    )
    .await;
}

#[tokio::test]
async fn the_simulator_runs_at_most_sixteen_scripts_at_once() {
    let fleet = Fleet::generate(60, 7);
    let targets: Vec<String> = fleet
        .instances
        .iter()
        .filter(|i| {
            i.region == "us-east-1"
                && i.state == "running"
                && i.ping == Some(sim::PingStatus::Online)
                && i.platform == sim::Platform::Linux
        })
        .map(|i| i.id.clone())
        .take(24)
        .collect();
    assert_eq!(
        targets.len(),
        24,
        "the generated fleet has 24 online Linux instances"
    );
    let sim = sim::start(SimConfig {
        fleet,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let log = tempfile::tempdir().expect("log dir");
    let log_file = log.path().join("spans");
    let release = log.path().join("release");
    // Each script holds its slot until the test lets them all go: how many run at once is
    // then a count, whatever the machine's speed.
    let script = format!(
        "echo start $(date +%s%N) >> {0}; while [ ! -e {1} ]; do sleep 0.05; done; echo end $(date +%s%N) >> {0}",
        log_file.display(),
        release.display()
    );
    let mut command = bosun(&sim);
    command.args(["run", "--max-concurrency", "100%", "--json", "--yes"]);
    for id in &targets {
        command.args(["--instance", id]);
    }
    let run = command.args(["--", &script]).spawn().expect("spawn");
    let starts = || {
        std::fs::read_to_string(&log_file)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.starts_with("start"))
            .count()
    };
    eventually(Duration::from_secs(60), "sixteen scripts running", || {
        let running = starts();
        async move { running >= 16 }
    })
    .await;
    // Room for a seventeenth to start if the simulator allowed one; none may end before
    // the release, so any that did would count above sixteen below.
    tokio::time::sleep(Duration::from_secs(2)).await;
    std::fs::write(&release, b"").expect("release");
    let (code, stdout, stderr) = finish(run).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let mut events: Vec<(u128, i32)> = std::fs::read_to_string(&log_file)
        .expect("the scripts' log")
        .lines()
        .map(|line| {
            let (what, at) = line.split_once(' ').expect("two words");
            (
                at.parse().expect("nanoseconds"),
                if what == "start" { 1 } else { -1 },
            )
        })
        .collect();
    assert_eq!(events.len(), 48, "every script started and ended");
    // Ends sort before starts at the same instant.
    events.sort();
    let (mut running, mut most) = (0, 0);
    for (_, step) in events {
        running += step;
        most = most.max(running);
    }
    assert_eq!(
        most, 16,
        "at most sixteen at once, and sixteen when there are more to run"
    );
}

/// The SendCommand calls `sim` was sent.
fn send_commands(sim: &sim::SimHandle, operation: &str) -> u64 {
    sim.request_counts()
        .iter()
        .filter(|(op, _)| op.as_str() == format!("ssm:{operation}"))
        .map(|(_, n)| *n)
        .sum()
}

#[tokio::test]
async fn targets_go_in_batches_of_at_most_fifty() {
    let fleet = Fleet::generate(400, 5);
    let targets: Vec<String> = fleet
        .instances
        .iter()
        .filter(|i| i.region == "us-east-1" && i.platform == sim::Platform::Linux && i.is_online())
        .map(|i| i.id.clone())
        .take(120)
        .collect();
    assert_eq!(
        targets.len(),
        120,
        "the generated fleet has 120 online Linux instances"
    );
    let sim = sim::start(SimConfig {
        fleet,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let mut command = bosun(&sim);
    command.args(["run", "--json", "--yes"]);
    for id in &targets {
        command.args(["--instance", id]);
    }
    let (code, stdout, stderr) =
        finish(command.args(["--", "echo hi"]).spawn().expect("spawn")).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(
        send_commands(&sim, "SendCommand"),
        3,
        "three calls for 120 targets"
    );
    let ssm =
        aws_sdk_ssm::Client::new(&bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await);
    let commands = ssm.list_commands().send().await.expect("ListCommands");
    let sizes: Vec<usize> = commands
        .commands()
        .iter()
        .map(|c| c.instance_ids().len())
        .collect();
    assert_eq!(sizes.len(), 3, "{sizes:?}");
    assert!(sizes.iter().all(|&n| n <= 50), "{sizes:?}");
    let sent: BTreeSet<String> = commands
        .commands()
        .iter()
        .flat_map(|c| c.instance_ids().to_vec())
        .collect();
    assert_eq!(sent, targets.iter().cloned().collect(), "each target once");
}

#[tokio::test]
async fn ctrl_c_cancels_the_command_and_a_second_one_stops_watching_with_130() {
    let sim = start_sim().await;
    let targets = [demo_id("web-frontend-1"), demo_id("web-frontend-2")];
    let mut child = bosun(&sim)
        .args([
            "run",
            "--yes",
            "--instance",
            &targets[0],
            "--instance",
            &targets[1],
        ])
        .args(["--", "sleep 300"])
        .spawn()
        .expect("spawn");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut said = String::new();
    let sent = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = stderr.next_line().await {
            said.push_str(&line);
            said.push('\n');
            if line.contains("(Ctrl-C cancels)") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(sent, Ok(true), "{said}");
    // The watch cannot learn the outcome (its reads are throttled, and it backs off), so it
    // is still watching when the second Ctrl-C comes, however quickly the cancel lands.
    sim.set_faults(
        bosun::sim::Faults::parse(
            "throttle=1,throttle_only=ListCommandInvocations+GetCommandInvocation",
        )
        .expect("spec"),
    );
    signal(&child, Signal::INT);
    eventually(Duration::from_secs(20), "CancelCommand at AWS", || {
        let cancels = send_commands(&sim, "CancelCommand");
        async move { cancels == 1 }
    })
    .await;
    let ssm =
        aws_sdk_ssm::Client::new(&bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await);
    eventually(Duration::from_secs(20), "the command cancelled", || {
        let ssm = ssm.clone();
        async move {
            let listed = ssm.list_commands().send().await.expect("ListCommands");
            listed
                .commands()
                .first()
                .and_then(|c| c.status())
                .map(|s| s.as_str().to_owned())
                == Some("Cancelled".to_owned())
        }
    })
    .await;
    signal(&child, Signal::INT);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("stops watching")
        .expect("status");
    while let Ok(Some(line)) = stderr.next_line().await {
        said.push_str(&line);
        said.push('\n');
    }
    assert_eq!(status.code(), Some(130), "{said}");
    assert!(
        said.contains("bosun run: cancelling (Ctrl-C again to stop watching)"),
        "{said}"
    );
}
