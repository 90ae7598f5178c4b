//! `bosun cp` measured from outside, against `bosun sim` in its own process with the real
//! agent's pacing (`--agent-pacing real`: a command's output read a KiB at a time, as the agent
//! reads it): a 100 MiB file of random bytes downloaded in 4 sessions and in 1, and uploaded;
//! bosun's peak memory for the same download at 20 and at 100 MiB (streamed: it must not grow
//! with the file). Prints figures; `--check` holds the download to 3.2 MB/s in 4 sessions and
//! 0.8 MB/s in 1, and the memory at 100 MiB to 10 MB more than at 20.
//! `BOSUN_BENCH_CHECK=counts` copies 16 MiB each way and holds only that they arrive intact.
//!
//! cargo bench --bench transfer [-- --check]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Check, Verdicts, demo_keyed_sim};

const SIZE: usize = 100 << 20;
const SMALL: usize = 20 << 20;
const COUNTS_SIZE: usize = 16 << 20;

/// `bosun cp ARGS` against `endpoint`: how long it took and its peak resident memory (MB).
fn cp(endpoint: &str, args: &[&std::ffi::OsStr]) -> (Duration, f64) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "demo")
        .env("AWS_SECRET_ACCESS_KEY", "demo")
        .env("AWS_REGION", "us-east-1")
        .args(["cp", "--quiet"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bosun cp");
    let pid = child.id().to_string();
    let mut peak: f64 = 0.0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        peak = peak.max(common::peak_rss_mb_of(&pid));
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    assert!(status.success(), "bosun cp {args:?}: {stderr}");
    (took, peak)
}

fn random_file(path: &Path, size: usize) -> Vec<u8> {
    let mut data = vec![0u8; size];
    getrandom::fill(&mut data).expect("random");
    std::fs::write(path, &data).expect("write");
    data
}

fn remote(path: &Path) -> std::ffi::OsString {
    let mut arg = std::ffi::OsString::from("data-etl-1:");
    arg.push(path);
    arg
}

fn mb_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

fn main() {
    let mut verdicts = Verdicts::new();
    let size = if verdicts.check == Check::Counts {
        COUNTS_SIZE
    } else {
        SIZE
    };
    let (mut sim, endpoint) = demo_keyed_sim(&["--agent-pacing", "real"]);
    let dir = std::env::temp_dir().join(format!("bosun-bench-cp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let source = dir.join("source.bin");
    let data = random_file(&source, size);
    println!(
        "bosun cp against bosun sim (agent pacing real), {} MiB of random bytes",
        size >> 20
    );
    let mut rates = Vec::new();
    let mut peaks = Vec::new();
    for sessions in ["4", "1"] {
        let out = dir.join(format!("down-{sessions}.bin"));
        let (took, peak) = cp(
            &endpoint,
            &[
                "--sessions".as_ref(),
                sessions.as_ref(),
                &remote(&source),
                out.as_os_str(),
            ],
        );
        let rate = mb_per_s(size, took);
        println!(
            "  download, {sessions} session(s)   {rate:>8.2} MB/s  ({:.1} s, peak {peak:.1} MB)",
            took.as_secs_f64()
        );
        let intact = std::fs::read(&out).map(|got| got == data).unwrap_or(false);
        verdicts.count(
            &format!("the download in {sessions} session(s) is byte-exact"),
            intact,
            "it differs",
        );
        rates.push(rate);
        peaks.push(peak);
        let _ = std::fs::remove_file(&out);
    }
    let up_dir = dir.join("up");
    std::fs::create_dir_all(&up_dir).expect("dir");
    let (took, up_peak) = cp(&endpoint, &[source.as_os_str(), &remote(&up_dir)]);
    println!(
        "  upload, 1 session         {:>8.2} MB/s  ({:.1} s, peak {up_peak:.1} MB)",
        mb_per_s(size, took),
        took.as_secs_f64()
    );
    let intact = std::fs::read(up_dir.join("source.bin"))
        .map(|got| got == data)
        .unwrap_or(false);
    verdicts.count("the upload is byte-exact", intact, "it differs");
    if verdicts.check != Check::Counts {
        let small = dir.join("small.bin");
        random_file(&small, SMALL);
        let out = dir.join("small-down.bin");
        let (_, small_peak) = cp(&endpoint, &[&remote(&small), out.as_os_str()]);
        println!(
            "  peak memory, 4 sessions: {small_peak:.1} MB at {} MiB, {:.1} MB at {} MiB",
            SMALL >> 20,
            peaks[0],
            SIZE >> 20
        );
        verdicts.at_least("download, 4 sessions", rates[0], 3.2, "MB/s");
        verdicts.at_least("download, 1 session", rates[1], 0.8, "MB/s");
        verdicts.at_most(
            "memory growth from 20 to 100 MiB",
            peaks[0] - small_peak,
            10.0,
            "MB",
        );
    }
    let _ = sim.kill();
    let _ = std::fs::remove_dir_all(&dir);
    verdicts.finish();
}
