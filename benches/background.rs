//! Background tunnels measured from outside, with `bosun sim` in its own process: how long
//! `bosun tunnel up` takes (starting the background process, then with it running) against
//! the time `bosun tunnel` takes to say its session is ready; the background process's memory
//! and CPU with 10 lazy tunnels up and unused; and throughput each way through a background
//! tunnel against `bosun tunnel`'s. Prints figures; `--check` holds `up` to 1 s past the
//! session being ready, the idle process to 20 MB and 1 % of a core, and the throughput to
//! 80 % of `bosun tunnel`'s (the same tunnel code; the rest is the machine's noise).
//! `BOSUN_BENCH_CHECK=counts` holds only that every transfer arrived intact and the process
//! ends its tunnels and itself on `down --all`.
//!
//! cargo bench --bench background [-- --check]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::transfer::{counted, download, median, server, upload};

/// Bytes each way per transfer (the test command's counts check moves less).
const SIZE: usize = 128 * 1024 * 1024;
const COUNTS_SIZE: usize = 16 * 1024 * 1024;

fn bosun(endpoint: &str, socket: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "demo")
        .env("AWS_SECRET_ACCESS_KEY", "demo")
        .env("AWS_REGION", "us-east-1")
        .env("BOSUN_TUNNELS_SOCKET", socket);
    command
}

/// `bosun tunnel up ARGS`: how long it took, and the address it printed.
fn up(endpoint: &str, socket: &Path, args: &[&str]) -> (Duration, String) {
    let start = Instant::now();
    let output: Output = bosun(endpoint, socket)
        .args(["tunnel", "up"])
        .args(args)
        .output()
        .expect("bosun tunnel up");
    let took = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bosun tunnel up {args:?}: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let address = stdout
        .lines()
        .last()
        .and_then(|line| line.split_whitespace().nth(1))
        .expect("NAME ADDRESS")
        .to_owned();
    (took, address)
}

/// `bosun tunnel TARGET` in the foreground: the process, its address, and how long until it
/// said "Listening on" (after its session is ready).
fn foreground(endpoint: &str, socket: &Path, port: u16) -> (Child, String, Duration) {
    let start = Instant::now();
    let mut child = bosun(endpoint, socket)
        .args([
            "tunnel",
            "payments-api-1",
            "--remote-port",
            &port.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bosun tunnel");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let took = start.elapsed();
    let address = line
        .strip_prefix("Listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("bosun tunnel did not listen: {line}"))
        .to_owned();
    (child, address, took)
}

fn down_all(endpoint: &str, socket: &Path) {
    let _ = bosun(endpoint, socket)
        .args(["tunnel", "down", "--all"])
        .output();
}

/// The background process's id, from the API's ping.
fn server_pid(socket: &Path) -> String {
    use std::io::Write;
    let mut stream = std::os::unix::net::UnixStream::connect(socket).expect("the socket");
    stream.write_all(b"{\"op\":\"ping\"}\n").expect("ping");
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).expect("pong");
    let pong: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    pong["pid"].as_i64().expect("pid").to_string()
}

/// A process's anonymous resident memory (its heap and stacks, not its code mapped from the
/// binary), in MB, from /proc (Linux).
fn own_memory_mb(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("RssAnon:"))
        .and_then(|kb| kb.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) a process has used, from /proc (Linux).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| fields.get(index).and_then(|f| f.parse::<f64>().ok());
    // utime and stime are the 14th and 15th fields: 12th and 13th after the name.
    (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / 100.0
}

fn main() {
    let mut verdicts = common::Verdicts::new();
    let size = if verdicts.check == common::Check::Counts {
        COUNTS_SIZE
    } else {
        SIZE
    };
    let (mut sim, endpoint) = common::demo_keyed_sim(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("tunnels.sock");
    let echo = server("echo", 0);

    // How long until connections work: `bosun tunnel` prints its line once the session is
    // ready; `bosun tunnel up` returns then too, after handing the tunnel over.
    let mut ready = Vec::new();
    for _ in 0..3 {
        let (mut child, _, took) = foreground(&endpoint, &socket, echo);
        ready.push(took.as_secs_f64() * 1000.0);
        let _ = child.kill();
        let _ = child.wait();
    }
    let ready = median(&mut ready);
    let port = echo.to_string();
    let (cold, _) = up(
        &endpoint,
        &socket,
        &["payments-api-1", "--remote-port", &port, "--name", "cold"],
    );
    let mut warm = Vec::new();
    for n in 0..3 {
        let name = format!("warm-{n}");
        let (took, _) = up(
            &endpoint,
            &socket,
            &["payments-api-1", "--remote-port", &port, "--name", &name],
        );
        warm.push(took.as_secs_f64() * 1000.0);
    }
    let warm = median(&mut warm);
    println!(
        "ready: `bosun tunnel` says Listening after {ready:.0} ms; `bosun tunnel up` returns after {:.0} ms starting the background process, {warm:.0} ms with it running",
        cold.as_secs_f64() * 1000.0
    );
    verdicts.at_most(
        "`tunnel up` (process running) past the session being ready",
        warm - ready,
        1000.0,
        "ms",
    );
    verdicts.at_most(
        "`tunnel up` (starting the process) past the session being ready",
        cold.as_secs_f64() * 1000.0 - ready,
        1000.0,
        "ms",
    );
    down_all(&endpoint, &socket);

    // Ten lazy tunnels, unused: the process's memory and CPU.
    for n in 0..10 {
        let name = format!("lazy-{n}");
        up(
            &endpoint,
            &socket,
            &[
                "payments-api-1",
                "--remote-port",
                &port,
                "--name",
                &name,
                "--lazy",
            ],
        );
    }
    let pid = server_pid(&socket);
    std::thread::sleep(Duration::from_secs(1));
    let before = cpu_seconds(&pid);
    let quiet = Duration::from_secs(10);
    std::thread::sleep(quiet);
    let cpu = (cpu_seconds(&pid) - before) / quiet.as_secs_f64() * 100.0;
    let rss = common::rss_mb_of(&pid);
    let own = own_memory_mb(&pid);
    println!(
        "10 lazy tunnels, unused: {own:.1} MB of its own memory ({rss:.1} MB resident with the binary's code mapped from disk, which every bosun process shares), {cpu:.2} % of a core over {} s",
        quiet.as_secs()
    );
    // The budget is the memory the process holds for itself: its code pages are the file's,
    // shared and given back under pressure.
    verdicts.at_most(
        "the background process's own memory, 10 lazy tunnels",
        own,
        20.0,
        "MB",
    );
    verdicts.at_most(
        "the background process's CPU, 10 lazy tunnels",
        cpu,
        1.0,
        "% of a core",
    );
    down_all(&endpoint, &socket);

    // Throughput each way: a background tunnel against `bosun tunnel`.
    let mut rates = Vec::new();
    for background in [false, true] {
        let (mut ups, mut downs) = (Vec::new(), Vec::new());
        for run in 0..3 {
            let sink = server("sink", size);
            let source = server("source", size);
            let (up_rate, down_rate) = if background {
                let name = format!("through-{run}");
                let (_, to_sink) = up(
                    &endpoint,
                    &socket,
                    &[
                        "payments-api-1",
                        "--remote-port",
                        &sink.to_string(),
                        "--name",
                        &format!("{name}-up"),
                    ],
                );
                let (_, to_source) = up(
                    &endpoint,
                    &socket,
                    &[
                        "payments-api-1",
                        "--remote-port",
                        &source.to_string(),
                        "--name",
                        &format!("{name}-down"),
                    ],
                );
                let rates = (upload(&to_sink, size), download(&to_source, size));
                down_all(&endpoint, &socket);
                rates
            } else {
                let (mut up_child, to_sink, _) = foreground(&endpoint, &socket, sink);
                let up_rate = upload(&to_sink, size);
                let _ = up_child.kill();
                let (mut down_child, to_source, _) = foreground(&endpoint, &socket, source);
                let down_rate = download(&to_source, size);
                let _ = down_child.kill();
                (up_rate, down_rate)
            };
            ups.push(up_rate);
            downs.push(down_rate);
        }
        let mut ups = counted("upload", ups);
        let mut downs = counted("download", downs);
        verdicts.count(
            "uploads intact",
            ups.len() == 3,
            format!("{} of 3", ups.len()),
        );
        verdicts.count(
            "downloads intact",
            downs.len() == 3,
            format!("{} of 3", downs.len()),
        );
        let (up_rate, down_rate) = (median(&mut ups), median(&mut downs));
        println!(
            "{}: {up_rate:.0} MB/s up, {down_rate:.0} MB/s down ({} MB each, median of 3)",
            if background {
                "background tunnel"
            } else {
                "bosun tunnel"
            },
            size / (1024 * 1024)
        );
        rates.push((up_rate, down_rate));
    }
    let ((fg_up, fg_down), (bg_up, bg_down)) = (rates[0], rates[1]);
    verdicts.at_least(
        "background upload against bosun tunnel's",
        bg_up / fg_up * 100.0,
        80.0,
        "%",
    );
    verdicts.at_least(
        "background download against bosun tunnel's",
        bg_down / fg_down * 100.0,
        80.0,
        "%",
    );

    // `down --all` leaves nothing: the process ends with its last tunnel.
    let gone = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        !socket.exists()
    });
    verdicts.count(
        "the background process ends with its last tunnel",
        gone,
        "its socket is gone",
    );
    let _ = sim.kill();
    verdicts.finish();
}
