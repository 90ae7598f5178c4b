//! Shell panes under load. In process: how fast a pane's emulator ingests output (`yes`, and
//! coloured log lines). End to end, the real console in a PTY against `bosun sim` in its own process: the rate a pane takes a
//! flood through the simulator, how long a console key takes to reach the screen while
//! another pane floods, and the CPU eight idle panes cost. Prints figures; with `-- --check`
//! holds them to their budgets (32 MB a pane at 160 columns, a quiet pane's echo and a console
//! key p99 50 ms during floods, the console at most one core, idle panes at most 1 % of one).
//!
//! Also the memory a pane's history takes at full default scrollback, by line width.
//!
//! cargo bench --bench panes [-- --check]          (everything)
//! cargo bench --bench panes -- memory [--check]    (the memory figures only, in seconds)

mod common;

use std::num::NonZeroU16;
use std::time::{Duration, Instant};

use bosun::term::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MB: f64 = 1_000_000.0;

/// The process's resident memory, from /proc (Linux).
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// A pane's emulator filled to its full default history with lines as wide as the pane.
fn memory(verdicts: &mut common::Verdicts) {
    println!(
        "pane memory at full default scrollback ({} lines; budget 32 MB at 160 columns)",
        bosun::term::SCROLLBACK_LINES
    );
    // Each pane stays alive until the end, so each growth of the resident set is its own.
    let mut panes = Vec::new();
    for width in [80u16, 160, 240] {
        let before = resident_bytes();
        let mut emulator = Emulator::new(45, width);
        let line: String = "x".repeat(usize::from(width) - 2) + "\r\n";
        for _ in 0..bosun::term::SCROLLBACK_LINES + 1_000 {
            emulator.process(line.as_bytes());
        }
        assert!(emulator.history_full().is_some(), "the history filled");
        let bytes = resident_bytes().saturating_sub(before);
        println!(
            "  {width:>3} columns: {:>6.1} MB a pane, {:>5} bytes a line",
            bytes as f64 / MB,
            bytes / (bosun::term::SCROLLBACK_LINES + 45)
        );
        if width == 160 {
            verdicts.at_most("a pane at 160 columns", bytes as f64 / MB, 32.0, "MB");
        }
        panes.push(emulator);
    }
}

fn ingest(label: &str, line: &[u8], total: usize) {
    let mut data = Vec::with_capacity(total + line.len());
    while data.len() < total {
        data.extend_from_slice(line);
    }
    let mut emulator = Emulator::new(45, 160);
    let start = Instant::now();
    // Chunks the size of the protocol's output messages.
    for chunk in data.chunks(1024) {
        emulator.process(chunk);
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "  {label:<34} {:>8.0} MB/s",
        data.len() as f64 / MB / elapsed
    );
}

/// The console in a PTY against `bosun sim` in its own process (so that the console's CPU
/// is its own), and what it shows.
struct Console {
    child: tokio::process::Child,
    _sim: tokio::process::Child,
    reader: pty_process::OwnedReadPty,
    writer: pty_process::OwnedWritePty,
    parser: vt100::Parser,
}

impl Console {
    async fn start(home: &std::path::Path, pacing: &str) -> Console {
        use tokio::io::AsyncBufReadExt;
        let mut sim = tokio::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
            .args(["sim", "--listen", "127.0.0.1:0", "--agent-pacing", pacing])
            .env("HOME", home)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("bosun sim");
        let mut lines = tokio::io::BufReader::new(sim.stdout.take().expect("stdout")).lines();
        let mut env = Vec::new();
        while env.len() < 3 {
            let line = lines.next_line().await.expect("read").expect("a line");
            if let Some((key, value)) = line.split_once('=') {
                env.push((key.to_owned(), value.to_owned()));
            }
        }
        // The rest of its output is not needed; keep the pipe drained.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (pty, pts) = pty_process::open().expect("pty");
        pty.resize(pty_process::Size::new(48, 160)).expect("size");
        let child = pty_process::Command::new(env!("CARGO_BIN_EXE_bosun"))
            .args(["--region", "us-east-1", "--region", "eu-west-1"])
            .envs(env)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .env("HOME", home)
            .env("XDG_STATE_HOME", home)
            .env("XDG_CONFIG_HOME", home)
            .env("TERM", "xterm-256color")
            .kill_on_drop(true)
            .spawn(pts)
            .expect("bosun");
        let (reader, writer) = pty.into_split();
        let size = |n| NonZeroU16::new(n).expect("non-zero");
        Console {
            child,
            _sim: sim,
            reader,
            writer,
            parser: vt100::Parser::new(size(48), size(160), 0),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
    }

    /// Reads until `done` holds for the screen; returns how long it took.
    async fn until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        let mut buffer = vec![0u8; 1 << 16];
        while !done(&self.parser.screen().contents()) {
            let left = Duration::from_secs(120).saturating_sub(start.elapsed());
            match tokio::time::timeout(left, self.reader.read(&mut buffer)).await {
                Ok(Ok(n)) if n > 0 => self.parser.process(&buffer[..n]),
                other => panic!(
                    "waiting for {what} ({other:?}):\n{}",
                    self.parser.screen().contents()
                ),
            }
        }
        start.elapsed()
    }

    async fn wait_for(&mut self, needle: &str) -> Duration {
        self.until(needle, |screen| screen.contains(needle)).await
    }

    /// Reads whatever arrives for `period` (keeps the PTY drained while measuring).
    async fn drain_for(&mut self, period: Duration) {
        let end = tokio::time::Instant::now() + period;
        let mut buffer = vec![0u8; 1 << 16];
        while let Ok(Ok(n)) = tokio::time::timeout_at(end, self.reader.read(&mut buffer)).await {
            if n == 0 {
                break;
            }
            self.parser.process(&buffer[..n]);
        }
    }

    fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// CPU seconds the console process has used.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        let after_name = stat.rsplit(')').next().unwrap_or_default();
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime: fields 14 and 15 of the line, 12th and 13th after the name.
        (ticks(11) + ticks(12)) / 100.0
    }

    fn rss_mb(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|r| r.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The end-to-end figures, against the demo fleet.
async fn end_to_end(verdicts: &mut common::Verdicts) {
    let home = tempfile::tempdir().expect("home");
    let mut console = Console::start(home.path(), "off").await;
    console.wait_for("orphaned-test-box").await;

    // One pane; how fast it takes a flood through the simulator and the emulator.
    console.send(b"/payments-api-1\r").await;
    console.wait_for("(1 of 32)").await;
    console.send(b"s").await;
    console.wait_for("[ssm-user@payments-api-1 ~]$").await;
    // Timed on the console's side: from the Enter to the pane showing the marker printed after
    // the flood (the typed command shows `$((40+2))`, the answer `42`), so the figure covers
    // the simulator, the transport, the pane's output queue, the emulator and the drawing.
    console.send(b"clear\r").await;
    console.drain_for(Duration::from_millis(300)).await;
    console
        .send(b"head -c 50000000 /dev/zero | tr '\\0' y | fold -w 100; echo flood-$((40+2))-done\r")
        .await;
    let flood = console.wait_for("flood-42-done").await;
    println!(
        "end to end: bosun in a 160x48 PTY against `bosun sim` (its own process), agent pacing off"
    );
    println!(
        "  pane ingest, 50 MB flood to the screen  {:>6.1} MB/s ({:.2} s, Enter to the marker drawn)",
        50.0 / flood.as_secs_f64(),
        flood.as_secs_f64()
    );

    // A second pane floods while console keys and typing go to the first.
    console.send(b"clear\r\x1d|").await;
    console.wait_for("+1").await;
    console
        .until("second prompt", |s| {
            s.matches("[ssm-user@payments-api-1 ~]$").count() >= 2
        })
        .await;
    console
        .send(b"yes 'flood flood flood flood flood flood flood flood'\r")
        .await;
    console.drain_for(Duration::from_secs(1)).await;
    console.send(b"\x1dh").await; // focus the quiet pane
    console.drain_for(Duration::from_millis(300)).await;
    let mut zoom = Vec::new();
    for _ in 0..10 {
        let begin = Instant::now();
        console.send(b"\x1dz").await;
        console.wait_for("+1 Z").await;
        zoom.push(begin.elapsed());
        let begin = Instant::now();
        console.send(b"\x1dz").await;
        console.until("unzoom", |s| !s.contains("+1 Z")).await;
        zoom.push(begin.elapsed());
    }
    // The console's CPU while one pane floods at the simulator's full speed.
    let before = console.cpu_seconds();
    let measured = Duration::from_secs(3);
    console.drain_for(measured).await;
    let flood_cpu = (console.cpu_seconds() - before) / measured.as_secs_f64() * 100.0;
    let mut echo = Vec::new();
    for n in 0..40 {
        // ctrl-u first: the line is cleared, so markers never wrap.
        let marker = format!("k{n}q");
        console.send(b"\x15").await;
        console.drain_for(Duration::from_millis(20)).await;
        let begin = Instant::now();
        console.send(marker.as_bytes()).await;
        console.wait_for(&marker).await;
        echo.push(begin.elapsed());
    }
    zoom.sort();
    echo.sort();
    println!(
        "  console key to screen during a flood   {:>6.1} ms median, {:.1} ms worst (zoom toggles)",
        millis(zoom[zoom.len() / 2]),
        millis(zoom[zoom.len() - 1])
    );
    let p99 = |samples: &[Duration]| samples[(samples.len() * 99).div_ceil(100) - 1];
    println!(
        "  quiet pane's echo during a flood       {:>6.1} ms median, {:.1} ms p99 of {} (round trip via the simulator; budget p99 50 ms)",
        millis(echo[echo.len() / 2]),
        millis(p99(&echo)),
        echo.len()
    );
    println!(
        "  the console while one pane floods      {flood_cpu:>6.1} % of one core (budget 100 %)"
    );
    verdicts.at_most("quiet pane's echo, p99", millis(p99(&echo)), 50.0, "ms");
    verdicts.at_most("the console while one pane floods", flood_cpu, 100.0, "%");
    // Stop the flood: focus it, zoom it, ctrl-c, and time the prompt's return.
    console.send(b"\x15\x1dl").await;
    console.drain_for(Duration::from_millis(300)).await;
    console.send(b"\x1dz").await;
    console.wait_for("+1 Z").await;
    let begin = Instant::now();
    console.send(b"\x03").await;
    console
        .until("the prompt after ctrl-c", |s| {
            s.contains("^C") && s.contains("[ssm-user@payments-api-1 ~]$")
        })
        .await;
    println!(
        "  ctrl-c in the flooding pane to prompt  {:>6.1} ms",
        millis(begin.elapsed())
    );
    console.send(b"\x1dz").await;
    console.drain_for(Duration::from_millis(300)).await;
    console.send(b"\x1dx").await;
    console.drain_for(Duration::from_millis(300)).await;
    console.send(b"\x1dx").await;
    console.wait_for(" s shell ").await;

    // Eight idle panes.
    console.send(b"\x1b").await;
    console.drain_for(Duration::from_millis(300)).await;
    // identity-admin refuses sessions (AccessDenied) and ops-runner-1's agent cannot reach
    // ssmmessages, by design: the doctor's demo causes.
    console
        .send(b"/status:online !identity-admin !ops-runner-1\r")
        .await;
    console.drain_for(Duration::from_millis(300)).await;
    console.send(b"g        s").await;
    console
        .until("eight prompts", |s| s.matches("~]$").count() >= 8)
        .await;
    console.drain_for(Duration::from_secs(2)).await;
    let before = console.cpu_seconds();
    let measured = Duration::from_secs(10);
    console.drain_for(measured).await;
    let idle = (console.cpu_seconds() - before) / measured.as_secs_f64() * 100.0;
    println!(
        "  eight idle panes                       {idle:>6.2} % of one core over {} s (the console alone)",
        measured.as_secs()
    );
    verdicts.at_most("eight idle panes", idle, 1.0, "%");
    println!(
        "  memory with eight panes                {:>6.1} MB",
        console.rss_mb()
    );
}

/// Sixteen panes printing flat out at the real agent's pace (1 KiB, then 1 ms): how long a
/// console key takes to reach the screen, the console's CPU and memory.
async fn sixteen_floods(verdicts: &mut common::Verdicts) {
    let home = tempfile::tempdir().expect("home");
    let mut console = Console::start(home.path(), "real").await;
    console.wait_for("orphaned-test-box").await;
    // Linux instances that take sessions (the doctor's demo causes left out).
    console
        .send(b"/status:online platform:linux !identity-admin !ops-runner-1\r")
        .await;
    console.drain_for(Duration::from_millis(300)).await;
    console.send(b"g                s").await;
    console
        .until("sixteen prompts", |s| s.matches("~]$").count() >= 16)
        .await;
    console.drain_for(Duration::from_secs(1)).await;
    // Broadcast to every pane of the tab, then start the floods.
    console.send(b"\x1db").await;
    console.drain_for(Duration::from_millis(200)).await;
    console
        .send(b"yes 'flood flood flood flood flood flood flood flood'\r")
        .await;
    console.drain_for(Duration::from_secs(2)).await;
    let before = console.cpu_seconds();
    let measured = Duration::from_secs(5);
    console.drain_for(measured).await;
    let cpu = (console.cpu_seconds() - before) / measured.as_secs_f64() * 100.0;
    let mut keys = Vec::new();
    for _ in 0..20 {
        let begin = Instant::now();
        console.send(b"\x1dz").await;
        console.wait_for("+15 Z").await;
        keys.push(begin.elapsed());
        let begin = Instant::now();
        console.send(b"\x1dz").await;
        console.until("unzoom", |s| !s.contains("+15 Z")).await;
        keys.push(begin.elapsed());
    }
    keys.sort();
    let p99 = keys[(keys.len() * 99).div_ceil(100) - 1];
    println!("sixteen panes flooding at the real agent's pace (1 KiB then 1 ms each)");
    println!(
        "  console key to screen                  {:>6.1} ms median, {:.1} ms p99 of {} (budget p99 50 ms)",
        millis(keys[keys.len() / 2]),
        millis(p99),
        keys.len()
    );
    println!("  the console                            {cpu:>6.1} % of one core (budget 100 %)");
    verdicts.at_most(
        "sixteen floods: console key to screen, p99",
        millis(p99),
        50.0,
        "ms",
    );
    verdicts.at_most("sixteen floods: the console", cpu, 100.0, "%");
    println!(
        "  memory                                 {:>6.1} MB",
        console.rss_mb()
    );
    // ctrl-c to all of them.
    console.send(b"\x03").await;
    console.drain_for(Duration::from_millis(500)).await;
}

fn main() {
    let mut verdicts = common::Verdicts::new();
    memory(&mut verdicts);
    if std::env::args().any(|a| a == "memory") {
        verdicts.finish();
        return;
    }
    println!("pane emulator ingest (vt100 + line drawing, 45x160, 1 KiB chunks)");
    ingest("yes (y\\n)", b"y\n", 64 << 20);
    ingest(
        "coloured log lines",
        b"\x1b[2m2026-11-21T08:00:00Z\x1b[0m \x1b[32mINFO\x1b[0m payments::api: request served path=/v1/charge status=200 latency_ms=12\r\n",
        64 << 20,
    );
    ingest(
        "line drawing (tmux/mc borders)",
        b"\x1b(0lqqqqqqqqqqqqqqqqqqk\x1b(B text \x1b(0x\x1b(B\r\n",
        32 << 20,
    );
    ingest(
        "wide characters",
        "漢字テキスト ✓ 🚀 mixed text\r\n".as_bytes(),
        32 << 20,
    );
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            end_to_end(&mut verdicts).await;
            sixteen_floods(&mut verdicts).await;
        });
    verdicts.finish();
}
