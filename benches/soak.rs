//! A day of faults, on a shortened clock: bosun's session code against the simulator for
//! 24 simulated hours, with the hourly WebSocket recycle, random connection drops, loss,
//! duplication and reordering, and API throttling, while a shell is typed into (every echo
//! checked), a tunnel moves checksummed data, and a Run Command goes out every simulated
//! minute. Reports bytes moved, resumes, session replacements, anything lost (must be 0) and
//! memory at the start and the end. Prints figures; asserts that nothing was lost and that
//! the work was done: each tally above a floor for the run's length, every command's output
//! checked, a task that panicked counted as lost, and the shell's whole output stream hashed
//! and compared with what the simulator's shell wrote (`GET /_sim/output/SESSION`).
//!
//! The simulator runs as its own process (`bosun sim`), so the memory figures are bosun's
//! session code alone; the simulator's, which keeps every command's record as AWS does, is
//! reported beside them. Each session's first ResumeSession fails, as a flaky API call would.
//!
//! cargo bench --bench soak                    (24 simulated hours in about 10 minutes)
//! SOAK_SECONDS=120 cargo bench --bench soak   (a shorter run, the same day's clock)
//! SOAK_SECONDS=60 cargo test --bench soak      (the test command's: a debug build, a minute)
//! cargo bench --bench soak -- --check         (also holds the budgets: the day in at most 10
//!                                              minutes, memory at the end within 10 % of
//!                                              what it was after warm-up)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bosun::model::run::{RunGroup, RunRequest, RunTarget};
use bosun::model::tunnel::TunnelDef;
use bosun::services::runs::{self, RunEvent, RunOptions};
use bosun::services::session::{self, StartRequest};
use bosun::services::sources::{SessionClients, simulator_sources};
use bosun::services::tunnel::{self, TunnelEvent};
use bosun::sim::Fleet;
use bosun::transport::{DriverEvent, Input};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Real seconds per simulated day (10 minutes: 144× faster than life).
const DEFAULT_SECONDS: u64 = 600;
const SIMULATED_DAY: f64 = 24.0 * 3600.0;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(soak());
}

#[derive(Default)]
struct Tally {
    shell_echoes: AtomicU64,
    shell_resumes: AtomicU64,
    tunnel_bytes: AtomicU64,
    tunnel_transfers: AtomicU64,
    tunnel_replacements: AtomicU64,
    runs: AtomicU64,
    run_invocations: AtomicU64,
    /// Commands AWS refused to send (throttled SendCommand): tried again the next minute.
    runs_refused: AtomicU64,
    shell_bytes: AtomicU64,
    lost: AtomicU64,
}

/// The least a run of `seconds` must have done, whatever the machine: far below what a
/// quiet one does (see the figures printed), far above nothing.
struct Floors {
    echoes: u64,
    resumes: u64,
    transfers: u64,
    runs: u64,
}

impl Floors {
    fn for_seconds(seconds: u64) -> Floors {
        Floors {
            echoes: seconds,
            resumes: 5,
            transfers: (seconds / 20).max(2),
            runs: (seconds / 10).max(3),
        }
    }
}

async fn soak() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SECONDS);
    let speed = SIMULATED_DAY / seconds as f64;
    let simulated = |real: Duration| real.as_secs_f64() * speed / 3600.0;
    // The hourly recycle, on the shortened clock; drops, loss, duplication, reordering and
    // throttling on top.
    let hour = 3600.0 / speed;
    let faults = format!(
        "drop_after_secs={hour:.3},loss=0.01,dup=0.01,reorder=0.02,throttle=0.05,resume_fails=1"
    );
    let (mut sim, endpoint) = start_simulator(&faults).await;
    let floors = Floors::for_seconds(seconds);
    let sim_pid = sim.id().map(|pid| pid.to_string()).unwrap_or_default();
    let config = bosun::aws::demo_config(&endpoint, "us-east-1").await;
    let clients = SessionClients::new(&config);
    let instance = Fleet::demo()
        .instances
        .iter()
        .find(|i| i.name() == "payments-api-1")
        .map(|i| i.id.clone())
        .expect("in the demo fleet");
    let tally = Arc::new(Tally::default());
    let until = Instant::now() + Duration::from_secs(seconds);
    println!(
        "soak: {:.0} simulated hours in {seconds} s ({speed:.0}x), recycle every {hour:.2} s",
        SIMULATED_DAY / 3600.0
    );
    let memory_start = common::rss_mb();
    let sim_memory_start = common::rss_mb_of(&sim_pid);

    let shell = tokio::spawn(type_into_a_shell(
        clients.clone(),
        instance.clone(),
        endpoint.clone(),
        tally.clone(),
        until,
    ));
    let carrier = tokio::spawn(move_through_a_tunnel(config.clone(), tally.clone(), until));
    let commands = tokio::spawn(run_every_minute(
        endpoint.clone(),
        instance.clone(),
        tally.clone(),
        until,
        Duration::from_secs_f64(60.0 / speed),
    ));
    let mut verdicts = common::Verdicts::new();
    let started = Instant::now();
    let mut memory_after_warmup = 0.0;
    let mut sim_memory_after_warmup = 0.0;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(10).min(until - Instant::now())).await;
        if memory_after_warmup == 0.0 && started.elapsed() >= Duration::from_secs(20) {
            memory_after_warmup = common::rss_mb();
            sim_memory_after_warmup = common::rss_mb_of(&sim_pid);
        }
        println!(
            "  {:>5.1} h: {} echoes, {} resumes; {} MB through the tunnel, {} replacements; {} commands",
            simulated(started.elapsed()),
            tally.shell_echoes.load(Ordering::Relaxed),
            tally.shell_resumes.load(Ordering::Relaxed),
            tally.tunnel_bytes.load(Ordering::Relaxed) / 1_000_000,
            tally.tunnel_replacements.load(Ordering::Relaxed),
            tally.runs.load(Ordering::Relaxed)
        );
    }
    // A task that panicked did not finish its work: lost.
    for (what, joined) in [
        ("shell", shell.await),
        ("tunnel", carrier.await),
        ("run command", commands.await),
    ] {
        if let Err(error) = joined {
            eprintln!("{what}: the task failed: {error}");
            tally.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
    let memory_end = common::rss_mb();
    let sim_memory_end = common::rss_mb_of(&sim_pid);
    let counts = simulator_counts(&endpoint).await;
    let _ = sim.kill().await;
    let lost = tally.lost.load(Ordering::Relaxed);
    println!(
        "soak result over {:.1} simulated hours:",
        simulated(started.elapsed())
    );
    println!(
        "  shell: {} echoes checked, {} resumes, {} bytes hashed end to end",
        tally.shell_echoes.load(Ordering::Relaxed),
        tally.shell_resumes.load(Ordering::Relaxed),
        tally.shell_bytes.load(Ordering::Relaxed)
    );
    println!(
        "  tunnel: {} transfers, {:.1} MB checksummed, {} session replacements",
        tally.tunnel_transfers.load(Ordering::Relaxed),
        tally.tunnel_bytes.load(Ordering::Relaxed) as f64 / 1e6,
        tally.tunnel_replacements.load(Ordering::Relaxed)
    );
    println!(
        "  run command: {} commands, {} invocations finished and checked, {} refused by throttling",
        tally.runs.load(Ordering::Relaxed),
        tally.run_invocations.load(Ordering::Relaxed),
        tally.runs_refused.load(Ordering::Relaxed)
    );
    let count = |operation: &str| counts[operation].as_u64().unwrap_or(0);
    println!(
        "  simulator: {} ResumeSession calls ({} failed on purpose), {} calls throttled",
        count("ssm:ResumeSession"),
        count("resume_failed"),
        count("throttled")
    );
    println!("  lost: {lost}");
    println!(
        "  bosun's memory: {memory_start:.1} MB at the start, {memory_after_warmup:.1} MB after 20 s, {memory_end:.1} MB at the end ({:+.1}% since warm-up)",
        (memory_end / memory_after_warmup.max(0.1) - 1.0) * 100.0
    );
    println!(
        "  the simulator's memory: {sim_memory_start:.1} MB at the start, {sim_memory_after_warmup:.1} MB after 20 s, {sim_memory_end:.1} MB at the end ({:+.1}% since warm-up)",
        (sim_memory_end / sim_memory_after_warmup.max(0.1) - 1.0) * 100.0
    );
    assert_eq!(lost, 0, "nothing may be lost");
    for (what, done, floor) in [
        (
            "shell echoes",
            tally.shell_echoes.load(Ordering::Relaxed),
            floors.echoes,
        ),
        (
            "shell resumes",
            tally.shell_resumes.load(Ordering::Relaxed),
            floors.resumes,
        ),
        (
            "tunnel transfers",
            tally.tunnel_transfers.load(Ordering::Relaxed),
            floors.transfers,
        ),
        ("commands", tally.runs.load(Ordering::Relaxed), floors.runs),
    ] {
        assert!(
            done >= floor,
            "{what}: {done}, fewer than {floor}: the soak did not do its work"
        );
    }
    assert!(
        tally.shell_bytes.load(Ordering::Relaxed) > 0,
        "the shell's stream was hashed end to end"
    );
    verdicts.at_most(
        "the day's wall time",
        started.elapsed().as_secs_f64(),
        DEFAULT_SECONDS as f64 + 30.0,
        "s",
    );
    verdicts.at_most(
        "bosun's memory growth since warm-up",
        (memory_end / memory_after_warmup.max(0.1) - 1.0) * 100.0,
        10.0,
        "%",
    );
    verdicts.finish();
}

/// `bosun sim` with the day's faults and the demo key pair, as a child process; returns it
/// and its endpoint (the first line it prints).
async fn start_simulator(faults: &str) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["sim", "--listen", "127.0.0.1:0", "--faults", faults])
        .args(["--access-key-id", "demo", "--secret-access-key", "demo"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("bosun sim starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = lines.next_line().await.ok().flatten().unwrap_or_default();
    let endpoint = first
        .strip_prefix("AWS_ENDPOINT_URL=")
        .expect("the simulator prints its endpoint first")
        .to_owned();
    // Keep reading so the simulator never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, endpoint)
}

/// The simulator's request counts per operation (`GET /_sim/requests`, signed with the key
/// pair it was started with).
async fn simulator_counts(endpoint: &str) -> serde_json::Value {
    match bosun::sim::admin::call(endpoint, ("demo", "demo"), "GET", "/_sim/requests", "").await {
        Ok((200, body)) => serde_json::from_str(&body).unwrap_or_default(),
        _ => serde_json::Value::Null,
    }
}

/// Types a numbered echo every 100 ms and checks each comes back, across resumes.
async fn type_into_a_shell(
    clients: SessionClients,
    instance: String,
    endpoint: String,
    tally: Arc<Tally>,
    until: Instant,
) {
    let request = StartRequest::document(&instance, "SSM-SessionManagerRunShell");
    let mut driven = loop {
        match session::start(&clients, &request).await {
            Ok(driven) => break driven,
            // Throttled StartSession: try again, as a person would.
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let mut output = String::new();
    // Every byte of the stream, in order: compared at the end with what the shell wrote.
    let mut stream = Sha256::new();
    let mut stream_bytes = 0u64;
    let mut number = 0u64;
    while Instant::now() < until {
        number += 1;
        let line = format!("echo soak-{number}-$((1+1))\n");
        if driven
            .input
            .send(Input::Data(Bytes::from(line)))
            .await
            .is_err()
        {
            tally.lost.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let wanted = format!("soak-{number}-2");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !output.contains(&wanted) {
            match tokio::time::timeout_at(deadline, driven.events.recv()).await {
                Ok(Some(DriverEvent::Output(bytes))) => {
                    stream.update(&bytes);
                    stream_bytes += bytes.len() as u64;
                    output.push_str(&String::from_utf8_lossy(&bytes))
                }
                Ok(Some(DriverEvent::Reconnected)) => {
                    tally.shell_resumes.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    eprintln!("shell: no echo of {wanted}");
                    tally.lost.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
        // Keep only the tail: the next echo comes after it.
        if let Some(at) = output.rfind(&wanted) {
            output.drain(..at + wanted.len());
        }
        tally.shell_echoes.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The shell is idle now (its prompt follows the last echo): read until as many bytes
    // came as it wrote, then the two hashes must agree.
    let session_id = driven.session_id.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let path = format!("/_sim/output/{session_id}");
        let wrote = match bosun::sim::admin::call(&endpoint, ("demo", "demo"), "GET", &path, "")
            .await
        {
            Ok((200, body)) => serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default(),
            _ => serde_json::Value::Null,
        };
        let wrote_bytes = wrote["bytes"].as_u64().unwrap_or(0);
        if wrote_bytes == stream_bytes {
            let ours = hex::encode(stream.clone().finalize());
            if wrote["sha256"].as_str() == Some(ours.as_str()) {
                tally.shell_bytes.store(stream_bytes, Ordering::Relaxed);
            } else {
                eprintln!("shell: {stream_bytes} bytes arrived, but not the bytes the shell wrote");
                tally.lost.fetch_add(1, Ordering::Relaxed);
            }
            break;
        }
        match tokio::time::timeout_at(deadline, driven.events.recv()).await {
            Ok(Some(DriverEvent::Output(bytes))) => {
                stream.update(&bytes);
                stream_bytes += bytes.len() as u64;
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                eprintln!(
                    "shell: {stream_bytes} bytes arrived of the {wrote_bytes} the shell wrote"
                );
                tally.lost.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    let _ = driven.input.send(Input::Close).await;
}

/// Runs a tunnel to a loopback echo server and moves 256 KiB transfers through it, each
/// checked by its SHA-256, one after another.
async fn move_through_a_tunnel(config: aws_config::SdkConfig, tally: Arc<Tally>, until: Instant) {
    let echo = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = echo.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = echo.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                while let Ok(n) = stream.read(&mut buffer).await {
                    if n == 0 || stream.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let spec = TunnelDef {
        name: "soak".to_owned(),
        target: "payments-api-1".to_owned(),
        remote_host: None,
        remote_port: port,
        local_port: 0,
        bind: std::net::IpAddr::from([127, 0, 0, 1]),
        profile: None,
        region: None,
        sessions: 1,
        account: None,
        lazy: false,
        idle_after: None,
    };
    let (events_tx, mut events) = mpsc::channel(256);
    let handle = tunnel::spawn(Box::pin(async move { Ok(config) }), spec, 1, events_tx);
    let local = loop {
        match events.recv().await {
            Some((_, TunnelEvent::Listening { local, .. })) => break local.to_string(),
            Some((_, TunnelEvent::Stopped(result))) => panic!("the tunnel stopped: {result:?}"),
            Some(_) => {}
            None => panic!("the tunnel went away"),
        }
    };
    let replacements = tally.clone();
    tokio::spawn(async move {
        while let Some((_, event)) = events.recv().await {
            if let TunnelEvent::Said { text, .. } = event
                && text.contains("starting a new one")
            {
                replacements
                    .tunnel_replacements
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let mut seed = 0u8;
    while Instant::now() < until {
        seed = seed.wrapping_add(1);
        let data: Vec<u8> = (0..256 * 1024)
            .map(|i: usize| (i as u8).wrapping_mul(131).wrapping_add(seed))
            .collect();
        let sum = Sha256::digest(&data);
        let result = tokio::time::timeout(Duration::from_secs(120), async {
            let stream = TcpStream::connect(&local).await?;
            let (mut read, mut write) = stream.into_split();
            let sent = data.clone();
            let writer = tokio::spawn(async move { write.write_all(&sent).await.map(|_| write) });
            let mut back = vec![0u8; data.len()];
            read.read_exact(&mut back).await?;
            drop(writer.await);
            std::io::Result::Ok(back)
        })
        .await;
        match result {
            Ok(Ok(back)) if Sha256::digest(&back) == sum => {
                tally
                    .tunnel_bytes
                    .fetch_add(2 * data.len() as u64, Ordering::Relaxed);
                tally.tunnel_transfers.fetch_add(1, Ordering::Relaxed);
            }
            other => {
                eprintln!(
                    "tunnel: transfer {seed} failed: {:?}",
                    other.map(|r| r.map(|b| b.len()))
                );
                tally.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    handle.commands.send(tunnel::TunnelCommand::Stop);
}

/// A Run Command every simulated minute, each followed to its end.
async fn run_every_minute(
    endpoint: String,
    instance: String,
    tally: Arc<Tally>,
    until: Instant,
    every: Duration,
) {
    let connect = simulator_sources(endpoint);
    let mut generation = 0;
    while Instant::now() < until {
        let next = Instant::now() + every;
        generation += 1;
        let request = RunRequest {
            groups: vec![RunGroup {
                profile: "demo".to_owned(),
                region: "us-east-1".to_owned(),
                targets: vec![RunTarget {
                    id: instance.clone(),
                    name: "payments-api-1".to_owned(),
                    environment: String::new(),
                    team: String::new(),
                    windows: false,
                    online: true,
                    ..RunTarget::default()
                }],
            }],
            script: format!("echo minute-{generation}"),
            document: None,
            timeout_seconds: 60,
            max_concurrency: "1".to_owned(),
            max_errors: "0".to_owned(),
            comment: "soak".to_owned(),
            output_s3: None,
            cloudwatch: None,
            parameters: Vec::new(),
            canary: Vec::new(),
        };
        let (events_tx, mut events) = mpsc::channel(64);
        let run = runs::spawn(
            request,
            connect.clone(),
            RunOptions::default(),
            generation,
            events_tx,
        );
        let wanted = format!("minute-{generation}");
        let finished = tokio::time::timeout(Duration::from_secs(120), async {
            let mut settled = 0;
            while let Some(event) = events.recv().await {
                match event.value {
                    RunEvent::Settled {
                        invocation, output, ..
                    } => {
                        settled += 1;
                        // Every command's answer is checked: its status and its output.
                        if invocation.aws_status == "Success" && output.trim() == wanted {
                            tally.run_invocations.fetch_add(1, Ordering::Relaxed);
                        } else {
                            eprintln!(
                                "run command: {wanted} came back {} with {output:?}",
                                invocation.aws_status
                            );
                            tally.lost.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    RunEvent::Done => return Some(settled),
                    // A throttled SendCommand: AWS refused it, nothing ran; sent again next
                    // minute.
                    RunEvent::Failed(_) => return None,
                    _ => {}
                }
            }
            Some(0)
        })
        .await;
        run.abort();
        match finished {
            Ok(Some(1)) => {
                tally.runs.fetch_add(1, Ordering::Relaxed);
            }
            Ok(None) => {
                tally.runs_refused.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Some(settled)) => {
                eprintln!("run command: {wanted} ended with {settled} answers instead of one");
                tally.lost.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                eprintln!("run command: {wanted} did not finish in two minutes");
                tally.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
        let now = Instant::now();
        if next > now {
            tokio::time::sleep(next - now).await;
        }
    }
}
