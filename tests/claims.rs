//! The README's promises that no other test checked, each as a user would meet it: `bosun sim`
//! listens on loopback only and removes its scratch homes however it is stopped; `--bind` off
//! loopback warns; a tunnel replaces a session that ended without closing its listener, and
//! Ctrl-C ends it on both sides; the fleet refreshes on its interval and backs off while
//! throttled. `bosun run`'s promises are in `run_claims.rs`.

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::types::SessionState;
use bosun::sim::SimHandle;
use common::{bosun, demo_id, echo_server, eventually, start_sim};
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

    let (child, local, stderr) = tunnel(
        &sim,
        &[&[target.as_str()][..], &args, &["--bind", "0.0.0.0"]].concat(),
    )
    .await;
    assert!(local.starts_with("0.0.0.0:"), "{local}");
    // Read whole: the process ended and its stderr drained, so nothing it wrote is missed.
    let warning = all_of_stderr(child, stderr).await;
    assert!(
        warning.contains("WARNING: listening on 0.0.0.0, not loopback"),
        "{warning}"
    );

    let (child, local, stderr) = tunnel(&sim, &[&[target.as_str()][..], &args].concat()).await;
    assert!(
        local.starts_with("127.0.0.1:"),
        "loopback by default: {local}"
    );
    echo_once(&local, b"hello").await;
    let said = all_of_stderr(child, stderr).await;
    assert!(!said.contains("WARNING"), "{said}");
}

/// Ends `child` and returns everything it wrote to stderr, once `tunnel`'s reader has read to
/// the end (it lets go of its handle on the text then).
async fn all_of_stderr(mut child: Child, stderr: Arc<Mutex<String>>) -> String {
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
    common::eventually(
        Duration::from_secs(20),
        "the tunnel's stderr read to the end",
        || {
            let read_to_the_end = Arc::strong_count(&stderr) == 1;
            async move { read_to_the_end }
        },
    )
    .await;
    stderr.lock().expect("lock").clone()
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

// ---------------------------------------------------------------------------------------------
// The console's fleet refresh

#[tokio::test]
async fn many_sources_fill_the_fleet_in_as_they_answer() {
    use bosun::services::inventory::{self, SOURCES_IN_FLIGHT};
    use bosun::services::sources::Source;

    let sim = start_sim().await;
    // Every call 300 ms late, and more sources than are read at once: the first answers are
    // reported before the last are read.
    sim.set_faults(bosun::sim::Faults::parse("slow=300ms").expect("spec"));
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    let count = SOURCES_IN_FLIGHT + 8;
    let sources = (0..count)
        .map(|n| Source {
            profile: format!("account-{n}"),
            config: config.clone(),
        })
        .collect();
    let (events_tx, mut events) = tokio::sync::mpsc::channel(8);
    let _refresher = inventory::spawn(sources, Duration::from_secs(600), 0, events_tx);
    let mut parts = Vec::new();
    let whole = loop {
        let report = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("a report in time")
            .expect("the refresher runs")
            .value;
        if report.pending == 0 {
            break report;
        }
        parts.push(report);
    };
    assert!(
        !parts.is_empty(),
        "rows were reported before the last source answered"
    );
    let first = &parts[0];
    assert!(first.pending > 0 && first.pending < count);
    assert!(!first.rows.is_empty() && first.rows.len() < whole.rows.len());
    assert!(parts.windows(2).all(|w| w[0].pending > w[1].pending));
    let per_source = whole.rows.len() / count;
    // Each part adds only the sources that answered since the one before.
    let added: usize = parts.iter().map(|p| p.rows.len()).sum();
    assert!(
        added < whole.rows.len() && added.is_multiple_of(per_source),
        "{added}"
    );
    assert_eq!(
        whole.rows.len(),
        per_source * count,
        "every source's rows, once"
    );
}

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
            !report.errors.is_empty() && report.errors.iter().all(|e| e.contains("us-east-1")),
            "{:?}",
            report.errors
        );
        // Twice the wait before it, give or take what a loaded machine adds (never less).
        assert!(
            gap >= expected && gap < expected * 2 + Duration::from_secs(3),
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
