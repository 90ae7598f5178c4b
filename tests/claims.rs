//! The README's promises that no other test checked, each as a user would meet it: `bosun sim`
//! listens on loopback only and removes its scratch homes however it is stopped; `--bind` off
//! loopback warns; a tunnel replaces a session that ended without closing its listener, and
//! Ctrl-C ends it on both sides; `bosun run` splits Linux and Windows into their documents and
//! says where AWS cut the output (24,000 / 8,000 characters, 2,500 in the listing) with the S3
//! location; the simulator's Run Command kills a timed-out script's whole process group and
//! runs at most 16 scripts at once.

mod common;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::types::SessionState;
use bosun::sim::{self, Fleet, SimConfig, SimHandle};
use common::{bosun, demo_id, echo_server, eventually, finish, start_sim};
use rustix::process::{Pid, Signal};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

fn signal(child: &Child, signal: Signal) {
    let pid = Pid::from_raw(child.id().expect("running") as i32).expect("a pid");
    rustix::process::kill_process(pid, signal).expect("signal");
}

/// Waits at most `limit` for `child` to exit; its code.
async fn exit_code_within(child: &mut Child, limit: Duration) -> i32 {
    tokio::time::timeout(limit, child.wait())
        .await
        .unwrap_or_else(|_| panic!("still running after {limit:?}"))
        .expect("status")
        .code()
        .unwrap_or(-1)
}

// ---------------------------------------------------------------------------------------------
// bosun sim

fn scratch_dirs(tmp: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .expect("read tmp")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("bosun-sim-"))
        .collect()
}

#[tokio::test]
async fn bosun_sim_listens_only_on_loopback_and_removes_its_scratch_however_stopped() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    let output = common::sealed(&mut command)
        .args(["sim", "--listen", "0.0.0.0:0"])
        .output()
        .await
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0")
            && stderr.contains("only listens on loopback"),
        "{stderr}"
    );

    for stop in [Signal::INT, Signal::TERM] {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
        let mut child = common::sealed(&mut command)
            .env("TMPDIR", tmp.path())
            .args(["sim", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("bosun sim");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next_line().await.expect("read").expect("a line");
        assert!(
            first.starts_with("AWS_ENDPOINT_URL=http://127.0.0.1:"),
            "{first}"
        );
        assert_eq!(
            scratch_dirs(tmp.path()).len(),
            1,
            "one scratch directory while it runs"
        );
        signal(&child, stop);
        assert_eq!(
            exit_code_within(&mut child, Duration::from_secs(10)).await,
            0
        );
        assert!(
            scratch_dirs(tmp.path()).is_empty(),
            "{stop:?} left the scratch homes behind"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tunnels

/// `bosun tunnel ARGS…` against `sim`: the child, its local address, and its stderr so far.
async fn tunnel(sim: &SimHandle, args: &[&str]) -> (Child, String, Arc<Mutex<String>>) {
    let mut child = bosun(sim).arg("tunnel").args(args).spawn().expect("spawn");
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut err_lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let kept = stderr.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = err_lines.next_line().await {
            kept.lock().expect("lock").push_str(&(line + "\n"));
        }
    });
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line),
    )
    .await
    .expect("listening in time")
    .expect("line");
    let local = line
        .strip_prefix("Listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, local, stderr)
}

async fn echo_once(local: &str, text: &[u8]) {
    let mut stream = TcpStream::connect(local).await.expect("connect");
    stream.write_all(text).await.expect("write");
    let mut back = vec![0u8; text.len()];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut back))
        .await
        .expect("echo in time")
        .expect("read");
    assert_eq!(back, text);
}

#[tokio::test]
async fn a_tunnel_bound_off_loopback_warns_and_one_on_loopback_does_not() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    let target = demo_id("payments-api-2");
    let args = ["--remote-port", port.as_str(), "--local-port", "0"];

    let (mut child, local, stderr) = tunnel(
        &sim,
        &[&[target.as_str()][..], &args, &["--bind", "0.0.0.0"]].concat(),
    )
    .await;
    assert!(local.starts_with("0.0.0.0:"), "{local}");
    let warning = stderr.lock().expect("lock").clone();
    assert!(
        warning.contains("WARNING: listening on 0.0.0.0, not loopback"),
        "{warning}"
    );
    let _ = child.start_kill();

    let (mut child, local, stderr) = tunnel(&sim, &[&[target.as_str()][..], &args].concat()).await;
    assert!(
        local.starts_with("127.0.0.1:"),
        "loopback by default: {local}"
    );
    echo_once(&local, b"hello").await;
    assert!(!stderr.lock().expect("lock").contains("WARNING"));
    let _ = child.start_kill();
}

/// The ids of the sessions `ssm` lists in `state` for `target`.
async fn sessions_of(ssm: &aws_sdk_ssm::Client, state: SessionState, target: &str) -> Vec<String> {
    let listed = ssm
        .describe_sessions()
        .state(state)
        .send()
        .await
        .expect("DescribeSessions");
    listed
        .sessions()
        .iter()
        .filter(|s| s.target() == Some(target))
        .filter_map(|s| s.session_id().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_tunnel_replaces_a_session_that_ended_keeps_its_listener_and_ctrl_c_ends_both_sides() {
    let sim = start_sim().await;
    let ssm =
        aws_sdk_ssm::Client::new(&bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await);
    let port = echo_server().await.to_string();
    let target = demo_id("payments-api-2");
    let (mut child, local, stderr) = tunnel(
        &sim,
        &[
            &target,
            "--remote-port",
            &port,
            "--local-port",
            "0",
            "--sessions",
            "1",
        ],
    )
    .await;
    echo_once(&local, b"before").await;
    let first = sessions_of(&ssm, SessionState::Active, &target).await;
    assert_eq!(first.len(), 1, "{first:?}");

    // The service ends the session (an administrator's TerminateSession, an idle timeout…).
    ssm.terminate_session()
        .session_id(&first[0])
        .send()
        .await
        .expect("TerminateSession");
    eventually(
        Duration::from_secs(20),
        "a new session replaces the ended one",
        || {
            let ssm = ssm.clone();
            let target = target.clone();
            let first = first.clone();
            async move {
                let now = sessions_of(&ssm, SessionState::Active, &target).await;
                now.len() == 1 && now[0] != first[0]
            }
        },
    )
    .await;
    // The same listener, never closed: the same address takes a new connection.
    echo_once(&local, b"after").await;

    // Ctrl-C: the process ends with 0 and the session ends at AWS too.
    signal(&child, Signal::INT);
    let code = exit_code_within(&mut child, Duration::from_secs(10)).await;
    assert_eq!(code, 0, "{}", stderr.lock().expect("lock"));
    let active = sessions_of(&ssm, SessionState::Active, &target).await;
    assert!(active.is_empty(), "still active at AWS: {active:?}");
    let ended = sessions_of(&ssm, SessionState::History, &target).await;
    assert_eq!(
        ended.len(),
        2,
        "both sessions are in the history: {ended:?}"
    );
    assert!(
        TcpStream::connect(&local).await.is_err(),
        "the listener is closed after Ctrl-C"
    );
}

// ---------------------------------------------------------------------------------------------
// Run Command

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
    let script = format!(
        "echo start $(date +%s%N) >> {0}; sleep 2; echo end $(date +%s%N) >> {0}",
        log_file.display()
    );
    let mut command = bosun(&sim);
    command.args(["run", "--max-concurrency", "100%", "--json", "--yes"]);
    for id in &targets {
        command.args(["--instance", id]);
    }
    let (code, stdout, stderr) =
        finish(command.args(["--", &script]).spawn().expect("spawn")).await;
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

// ---------------------------------------------------------------------------------------------
// The console's fleet refresh

#[tokio::test]
async fn the_fleet_refreshes_every_interval_and_backs_off_while_throttled() {
    use aws_config::retry::RetryConfig;
    use bosun::services::inventory::{self, InventoryLoaded};
    use bosun::services::sources::Source;
    use std::time::Instant;

    let sim = start_sim().await;
    // The SDK's own retries are off, so what is measured is the refresher's pace.
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1")
        .await
        .into_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    let (events_tx, mut events) = tokio::sync::mpsc::channel(8);
    let interval = Duration::from_millis(100);
    let _refresher = inventory::spawn(
        vec![Source {
            profile: "demo".to_owned(),
            config,
        }],
        interval,
        0,
        events_tx,
    );
    let mut next = async || -> InventoryLoaded {
        tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("a report in time")
            .expect("the refresher runs")
            .value
    };
    let first = next().await;
    assert!(!first.throttled && first.errors.is_empty() && !first.rows.is_empty());
    next().await;

    // AWS throttles every call: each report waits twice as long as the one before.
    sim.set_faults(bosun::sim::Faults::parse("throttle=1").expect("spec"));
    while !next().await.throttled {}
    let mut at = Instant::now();
    let mut expected = interval * 2;
    for _ in 0..4 {
        let report = next().await;
        let gap = at.elapsed();
        at = Instant::now();
        assert!(report.throttled && report.rows.is_empty());
        assert!(
            report.errors.iter().all(|e| e.contains("us-east-1")),
            "{:?}",
            report.errors
        );
        assert!(
            gap >= expected,
            "{gap:?} after a throttled read, not {expected:?}"
        );
        expected *= 2;
    }

    // AWS answers again: the pace is the interval again (the next backoff would be 3.2 s).
    sim.set_faults(bosun::sim::Faults::default());
    let recovered = next().await;
    assert!(!recovered.throttled && !recovered.rows.is_empty());
    let at = Instant::now();
    assert!(!next().await.throttled);
    assert!(at.elapsed() < expected / 2, "{:?}", at.elapsed());
}
