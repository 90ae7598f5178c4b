//! A large account's inventory: `bosun ls` (its own process) of 10,000 instances in one region,
//! against a simulator of 20,000 (half in each region) answering every call 150 ms late, as a
//! far region does. Prints the wall time and the calls made; with `--check`
//! holds the whole table to 3 s; `BOSUN_BENCH_CHECK=counts` holds that every instance is
//! listed with its SSM state and that SSM was read by id (about one call per fifty), never
//! one page after another.
//!
//! cargo bench --bench inventory [-- --check]

mod common;

use std::process::Command;
use std::time::Instant;

const INSTANCES: u32 = 20_000;
const IN_REGION: usize = 10_000;

fn main() {
    let mut verdicts = common::Verdicts::new();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sim = runtime
        .block_on(bosun::sim::start(bosun::sim::SimConfig {
            fleet: bosun::sim::Fleet::generate(INSTANCES as usize, 1),
            faults: bosun::sim::Faults::parse("slow=150ms").expect("faults"),
            ..bosun::sim::SimConfig::default()
        }))
        .expect("simulator");
    let endpoint = sim.endpoint_url();
    let home = tempfile::tempdir().expect("home");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["ls", "--json", "--region", "us-east-1"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "demo")
        .env("AWS_SECRET_ACCESS_KEY", "demo")
        .output()
        .expect("bosun ls");
    let wall = started.elapsed().as_secs_f64();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let managed = rows.iter().filter(|r| r["ping"] != "NotManaged").count();
    let counts = sim.request_counts();
    let ssm_calls = counts
        .get("ssm:DescribeInstanceInformation")
        .copied()
        .unwrap_or(0);
    let ec2_calls = counts.get("ec2:DescribeInstances").copied().unwrap_or(0);
    println!(
        "bosun ls of {} instances ({managed} managed) at 150 ms a call: {wall:.2} s, {ssm_calls} DescribeInstanceInformation, {ec2_calls} DescribeInstances",
        rows.len()
    );
    verdicts.count(
        "every instance of the region listed",
        rows.len() == IN_REGION,
        format!("{} rows", rows.len()),
    );
    verdicts.count(
        "SSM's state joined (most instances managed)",
        managed * 10 >= IN_REGION * 9,
        format!("{managed} managed"),
    );
    // One first page, one call per fifty ids EC2 listed, one for hybrid nodes.
    verdicts.count(
        "SSM read by id, fifty a call",
        ssm_calls <= (IN_REGION as u64).div_ceil(50) + 3,
        format!("{ssm_calls} calls"),
    );
    verdicts.at_most("the whole table", wall, 3.0, "s");
    drop(sim);
    verdicts.finish();
}
