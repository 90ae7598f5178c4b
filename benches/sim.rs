//! The simulator at scale: `bosun sim --instances 10000` as its own process, measured from
//! outside — memory after start and after load, CPU while idle, and DescribeInstanceInformation
//! pages served per second to real SDK clients. Prints figures; with `-- --check` holds them to
//! their budgets (at most 200 MB, at most 1 % of a core while idle, at least 2,000 pages/s) and
//! the pages to whole fleets listed; `BOSUN_BENCH_CHECK=counts` holds the pages alone.
//!
//! cargo bench --bench sim [-- --check]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};

const INSTANCES: u32 = 10_000;
const CLIENTS: usize = 8;
const LOAD_SECONDS: u64 = 5;

/// User + system CPU seconds of a process.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of /proc/PID/stat (11 and 12 after the name).
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let mut verdicts = common::Verdicts::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--instances",
            &INSTANCES.to_string(),
            // The key pair demo_config signs with: the simulator lets in only its own clients.
            "--access-key-id",
            "demo",
            "--secret-access-key",
            "demo",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bosun sim starts");
    let pid = child.id();
    let started = Instant::now();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first_line)
        .expect("endpoint line");
    let endpoint = first_line
        .trim()
        .trim_start_matches("AWS_ENDPOINT_URL=")
        .to_owned();
    println!(
        "bosun sim --instances {INSTANCES}: serving after {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    std::thread::sleep(Duration::from_millis(500));
    let memory_after_start = common::rss_mb_of(&pid.to_string());
    println!("  memory after start            {memory_after_start:>8.1} MB");
    verdicts.at_most("memory after start", memory_after_start, 200.0, "MB");

    let idle_start = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(3));
    let idle_cpu = (cpu_seconds(pid) - idle_start) / 3.0 * 100.0;
    println!("  CPU while idle (3 s)          {idle_cpu:>8.2} %");
    verdicts.at_most("CPU while idle", idle_cpu, 1.0, "%");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (requests, items, elapsed, server_cpu) = runtime.block_on(async {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ssm::config::Credentials::new(
                "demo", "demo", None, None, "bench",
            ))
            .load()
            .await;
        let client = aws_sdk_ssm::Client::new(&config);
        let requests = Arc::new(AtomicU64::new(0));
        let items = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
        let cpu_before = cpu_seconds(pid);
        let begin = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..CLIENTS {
            let (client, requests, items) = (client.clone(), requests.clone(), items.clone());
            tasks.push(tokio::spawn(async move {
                let mut token: Option<String> = None;
                while Instant::now() < deadline {
                    let page = client
                        .describe_instance_information()
                        .max_results(50)
                        .set_next_token(token.take())
                        .send()
                        .await
                        .expect("page");
                    requests.fetch_add(1, Ordering::Relaxed);
                    items.fetch_add(
                        page.instance_information_list().len() as u64,
                        Ordering::Relaxed,
                    );
                    token = page.next_token().map(str::to_owned);
                }
            }));
        }
        for task in tasks {
            task.await.expect("client task");
        }
        let elapsed = begin.elapsed();
        (
            requests.load(Ordering::Relaxed),
            items.load(Ordering::Relaxed),
            elapsed,
            cpu_seconds(pid) - cpu_before,
        )
    });
    let rate = requests as f64 / elapsed.as_secs_f64();
    println!(
        "  DescribeInstanceInformation   {rate:>8.0} pages/s ({CLIENTS} SDK clients in this process, MaxResults 50, {} instances listed)",
        items
    );
    println!(
        "  simulator CPU per page        {:>8.1} µs ({:.0}% of one core during the load)",
        server_cpu / requests.max(1) as f64 * 1e6,
        server_cpu / elapsed.as_secs_f64() * 100.0
    );
    let memory_after_load = common::rss_mb_of(&pid.to_string());
    println!("  memory after the load         {memory_after_load:>8.1} MB");
    // Every page but each client's last, cut by the deadline, is full.
    verdicts.count(
        "instances listed",
        requests > 0 && items + 50 * CLIENTS as u64 >= requests * 50,
        format!("{items} in {requests} pages of 50"),
    );
    verdicts.at_least("DescribeInstanceInformation pages", rate, 2000.0, "pages/s");
    verdicts.at_most("memory after the load", memory_after_load, 200.0, "MB");
    let _ = child.kill();
    let _ = child.wait();
    verdicts.finish();
}
