//! The doctor's verdict against the simulator with 150 ms of latency added to every API call
//! (a far region, a slow VPN): wall time per verdict and API calls per verdict, for each demo
//! instance with a cause of its own. Budget: a verdict in at most 2 s, at most 15 calls. Prints
//! figures; with `-- --check` holds them to the budget, and with `BOSUN_BENCH_CHECK=counts`
//! (the test command's) holds only what speed cannot change: the calls, and a cause of its own
//! for each instance, the healthy one found healthy and no other.
//!
//! cargo bench --bench doctor [-- --check]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bosun::aws::target;
use bosun::services::doctor;
use bosun::services::sources::SessionClients;
use bosun::sim::{self, Faults, SimConfig, SimHandle};

const HEALTHY: &str = "payments-api-1";
const CASES: [(&str, &str); 10] = [
    ("payments-api-1", "us-east-1"),
    ("payments-api-3", "us-east-1"),
    ("data-etl-2", "us-east-1"),
    ("data-notebook", "us-east-1"),
    ("orphaned-test-box", "us-east-1"),
    ("ledger-batch-1", "us-east-1"),
    ("ops-runner-1", "us-east-1"),
    ("search-query-2", "eu-west-1"),
    ("finance-reporting-dr", "eu-west-1"),
    ("identity-admin", "eu-west-1"),
];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}

fn calls(sim: &SimHandle) -> u64 {
    sim.request_counts()
        .iter()
        .filter(|(operation, _)| operation.contains(':'))
        .map(|(_, n)| *n)
        .sum()
}

async fn bench() {
    let sim = sim::start(SimConfig {
        faults: Faults::parse("slow=150ms").expect("faults"),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    println!("doctor: one verdict per cause, 150 ms added to every API call");
    let mut slowest = Duration::ZERO;
    let mut most_calls = 0;
    let mut causes = BTreeSet::new();
    let mut verdicts = common::Verdicts::new();
    for (name, region) in CASES {
        let config = bosun::aws::demo_config(&sim.endpoint_url(), region).await;
        let clients = SessionClients::new(&config);
        let before = calls(&sim);
        let started = Instant::now();
        let id = target::resolve(&clients.ssm, &clients.ec2, name)
            .await
            .expect("in the demo fleet");
        let report = doctor::examine(&clients, &id, region).await;
        let took = started.elapsed();
        let spent = calls(&sim) - before;
        slowest = slowest.max(took);
        most_calls = most_calls.max(spent);
        // The first is the healthy baseline; every other has a cause staged.
        verdicts.count(
            &format!("{name}'s verdict"),
            report.would_start == (name == HEALTHY),
            &report.cause,
        );
        causes.insert(report.cause.clone());
        println!(
            "  {name:<22} {:>5} ms  {spent:>2} calls  {}",
            took.as_millis(),
            report.cause
        );
    }
    println!(
        "slowest verdict {} ms (budget 2000), most calls {most_calls} (budget 15)",
        slowest.as_millis()
    );
    verdicts.count(
        "a cause of its own per instance",
        causes.len() == CASES.len(),
        format!("{} causes for {} instances", causes.len(), CASES.len()),
    );
    verdicts.count(
        "API calls per verdict",
        most_calls <= 15,
        format!("at most {most_calls}, budget 15"),
    );
    verdicts.at_most(
        "slowest verdict",
        slowest.as_secs_f64() * 1000.0,
        2000.0,
        "ms",
    );
    verdicts.finish();
}
