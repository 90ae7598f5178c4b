//! What the benchmarks share: a process's resident memory, and `bosun sim` in a process of its
//! own signing with the demo's key pair.

#![allow(dead_code)] // each bench uses its own part

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Resident memory of a process (`"self"` or a pid), in MB, from /proc (Linux).
pub fn rss_mb_of(process: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|r| r.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// This process's resident memory, in MB.
pub fn rss_mb() -> f64 {
    rss_mb_of("self")
}

/// `bosun sim ARGS…` on a free loopback port with the key pair `demo_config` signs with (the
/// simulator lets in only its own clients); the process and its endpoint.
pub fn demo_keyed_sim(args: &[&str]) -> (Child, String) {
    let mut sim = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["sim", "--listen", "127.0.0.1:0"])
        .args(args)
        .args(["--access-key-id", "demo", "--secret-access-key", "demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bosun sim");
    let mut lines = BufReader::new(sim.stdout.take().expect("stdout")).lines();
    let endpoint = lines
        .next()
        .expect("a first line")
        .expect("endpoint")
        .trim_start_matches("AWS_ENDPOINT_URL=")
        .to_owned();
    // Its stdout stays open: a simulator that writes to a closed pipe stops.
    std::thread::spawn(move || lines.for_each(drop));
    (sim, endpoint)
}
