//! What the benchmarks share: a process's resident memory, and `bosun sim` in a process of its
//! own signing with the demo's key pair.

#![allow(dead_code)] // each bench uses its own part

pub mod transfer;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Resident memory of a process (`"self"` or a pid), in MB, from /proc (Linux).
pub fn rss_mb_of(process: &str) -> f64 {
    status_mb(process, "VmRSS:")
}

/// The most resident memory a process has had so far (VmHWM), in MB.
pub fn peak_rss_mb_of(process: &str) -> f64 {
    status_mb(process, "VmHWM:")
}

fn status_mb(process: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
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

/// How a bench judges what it measured. By default it only prints. `cargo bench --bench NAME
/// -- --check` (or `BOSUN_BENCH_CHECK=budgets`) also holds every figure to its budget and every
/// count to what it must be: for a person measuring on a quiet machine. `BOSUN_BENCH_CHECK=counts`
/// holds the counts and correctness alone, never speed, which a busy machine cannot promise:
/// what the test command runs on the benches fast enough for it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Check {
    Print,
    Counts,
    Budgets,
}

impl Check {
    fn from_environment() -> Check {
        if std::env::args().any(|arg| arg == "--check") {
            return Check::Budgets;
        }
        match std::env::var("BOSUN_BENCH_CHECK").as_deref() {
            Ok("budgets") => Check::Budgets,
            Ok("counts") => Check::Counts,
            _ => Check::Print,
        }
    }
}

/// The verdicts of one bench run: each budget and count it was held to, and those missed.
pub struct Verdicts {
    pub check: Check,
    missed: Vec<String>,
    held: usize,
}

impl Verdicts {
    pub fn new() -> Verdicts {
        Verdicts {
            check: Check::from_environment(),
            missed: Vec::new(),
            held: 0,
        }
    }

    /// A figure that must stay at or below `limit` (times, memory, CPU, calls).
    pub fn at_most(&mut self, what: &str, measured: f64, limit: f64, unit: &str) {
        if self.check == Check::Budgets {
            self.judge(
                measured <= limit,
                format!("{what}: {measured:.2} {unit}, budget at most {limit} {unit}"),
            );
        }
    }

    /// A figure that must reach at least `floor` (throughput, rates).
    pub fn at_least(&mut self, what: &str, measured: f64, floor: f64, unit: &str) {
        if self.check == Check::Budgets {
            self.judge(
                measured >= floor,
                format!("{what}: {measured:.2} {unit}, budget at least {floor} {unit}"),
            );
        }
    }

    /// A count or a correctness condition: held in both checking modes, whatever the speed.
    pub fn count(&mut self, what: &str, holds: bool, detail: impl std::fmt::Display) {
        if self.check != Check::Print {
            self.judge(holds, format!("{what}: {detail}"));
        }
    }

    fn judge(&mut self, holds: bool, line: String) {
        self.held += 1;
        if !holds {
            self.missed.push(line);
        }
    }

    /// Says what was held and what missed; a missed one ends the process with status 1.
    pub fn finish(self) {
        if self.check == Check::Print {
            return;
        }
        if self.missed.is_empty() {
            println!("check ({:?}): all {} held", self.check, self.held);
            return;
        }
        println!(
            "check ({:?}): {} of {} missed",
            self.check,
            self.missed.len(),
            self.held
        );
        for line in &self.missed {
            println!("  MISSED {line}");
        }
        std::process::exit(1);
    }
}
