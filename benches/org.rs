//! The organisation at scale: 200 member accounts over 4 regions behind one SSO login, every
//! call (the portal's too) 150 ms late, as a far region's are. Every fifth account offers only
//! a billing role, so 160 accounts × 125 instances = 20,000 instances can be listed. `bosun ls
//! --org` (its own process) reads them two ways: each account × region at once, a few at a
//! time (`[org] index = "never"`), and through AWS's index of the organisation (`always`).
//! Then the console (`bosun --org` on a 50×200 pseudo-terminal, its own process) over the
//! same organisation: when its first rows show, when every account is read, and its memory.
//! Prints the figures; `--check` holds the fan-out to 10 s, the index to 5 s, the console's
//! first rows to 3 s, the whole table to 10 s and its memory to 150 MB.
//! `BOSUN_BENCH_CHECK=counts` (a smaller organisation, for the test command) holds that both
//! ways and the console list every instance and that the index asked no member account
//! anything.
//!
//! cargo bench --bench org [-- --check]

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"];
const PER_ACCOUNT: usize = 125;

fn main() {
    let mut verdicts = common::Verdicts::new();
    // The test command's run checks what the sizes cannot change, on a smaller organisation.
    let accounts = if verdicts.check == common::Check::Counts {
        40
    } else {
        200
    };
    let usable = accounts - accounts / 5;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let started = Instant::now();
    let sim = runtime
        .block_on(bosun::sim::start(bosun::sim::SimConfig {
            accounts,
            member_instances: PER_ACCOUNT,
            member_regions: REGIONS.map(str::to_owned).to_vec(),
            fleet: bosun::sim::Fleet::generate(0, 1),
            ..bosun::sim::SimConfig::default()
        }))
        .expect("simulator");
    println!(
        "a simulated organisation of {accounts} member accounts started in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    sim.set_faults_everywhere(bosun::sim::Faults::parse("slow=150ms").expect("faults"));
    let home = tempfile::tempdir().expect("home");
    let config = sim
        .write_sso_login(&home.path().join("login"), home.path())
        .expect("an organisation")
        .expect("written");
    let expected = usable * PER_ACCOUNT;

    for (way, index, budget) in [
        ("each account", "never", 10.0),
        ("the index", "always", 5.0),
    ] {
        let bosun_config = home.path().join(format!("{index}.toml"));
        std::fs::write(&bosun_config, format!("[org]\nindex = \"{index}\"\n")).expect("config");
        let before = sim.request_counts_everywhere();
        let started = Instant::now();
        let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .args(["--profile", "org", "--config"])
            .arg(&bosun_config)
            .args(["ls", "--org", "--json"]);
        for region in REGIONS {
            command.args(["--region", region]);
        }
        let output = command.output().expect("bosun ls --org");
        let wall = started.elapsed().as_secs_f64();
        let rows = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|l| l.starts_with('{'))
            .count();
        let calls = difference(&before, &sim.request_counts_everywhere());
        let total: u64 = calls.values().sum();
        println!(
            "bosun ls --org through {way}: {rows} instances of {usable} accounts in {wall:.2} s, {total} calls ({})",
            calls
                .iter()
                .map(|(call, n)| format!("{call} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        verdicts.count(
            &format!("every instance listed through {way}"),
            rows == expected,
            format!("{rows} of {expected}"),
        );
        if index == "always" {
            let in_members = calls.get("ec2:DescribeInstances").copied().unwrap_or(0)
                + calls
                    .get("ssm:DescribeInstanceInformation")
                    .copied()
                    .unwrap_or(0);
            verdicts.count(
                "the index asks no account for its instances",
                in_members == 0,
                format!("{in_members} calls"),
            );
        }
        verdicts.at_most(&format!("every account through {way}"), wall, budget, "s");
    }
    let console = runtime.block_on(console(home.path(), &config));
    println!(
        "bosun --org (the console): first rows after {:.2} s, all {} instances after {:.2} s, {:.0} MB at most",
        console.first_rows, console.instances, console.whole, console.peak_mb
    );
    verdicts.count(
        "the console shows every instance",
        console.instances == expected,
        format!("{} of {expected}", console.instances),
    );
    verdicts.at_most("the console's first rows", console.first_rows, 3.0, "s");
    verdicts.at_most("the console's whole table", console.whole, 10.0, "s");
    verdicts.at_most("the console's memory", console.peak_mb, 150.0, "MB");
    drop(sim);
    verdicts.finish();
}

/// What the console showed, and when.
struct ConsoleFigures {
    first_rows: f64,
    whole: f64,
    instances: usize,
    peak_mb: f64,
}

/// `bosun --org` on a pseudo-terminal as the logged-in user, watched until its header says
/// the whole read is done (or a minute passes).
async fn console(home: &std::path::Path, config: &std::path::Path) -> ConsoleFigures {
    use tokio::io::AsyncReadExt;
    let (pty, pts) = pty_process::open().expect("pty");
    pty.resize(pty_process::Size::new(50, 200)).expect("size");
    let mut command = pty_process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", config)
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("TERM", "xterm-256color")
        .args(["--profile", "org", "--org"]);
    for region in REGIONS {
        command = command.args(["--region", region]);
    }
    let started = Instant::now();
    let mut child = command.kill_on_drop(true).spawn(pts).expect("bosun");
    let pid = child.id().map(|p| p.to_string()).unwrap_or_default();
    let (mut reader, _writer) = pty.into_split();
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("non-zero");
    let mut parser = vt100::Parser::new(size(50), size(200), 0);
    let mut figures = ConsoleFigures {
        first_rows: f64::NAN,
        whole: f64::NAN,
        instances: 0,
        peak_mb: 0.0,
    };
    let mut buffer = vec![0u8; 65536];
    while started.elapsed().as_secs() < 60 {
        let read = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            reader.read(&mut buffer),
        )
        .await;
        if let Ok(Ok(n)) = read {
            if n == 0 {
                break;
            }
            parser.process(&buffer[..n]);
        }
        figures.peak_mb = figures.peak_mb.max(common::rss_mb_of(&pid));
        let header = parser.screen().contents_between(0, 0, 0, 200);
        let shown = header
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[1] == "instances")
            .and_then(|w| w[0].parse::<usize>().ok())
            .unwrap_or(0);
        if shown > 0 && figures.first_rows.is_nan() {
            figures.first_rows = started.elapsed().as_secs_f64();
        }
        if header.contains("refreshed") {
            figures.whole = started.elapsed().as_secs_f64();
            figures.instances = shown;
            break;
        }
    }
    let _ = child.start_kill();
    figures
}

/// The calls made between two counts.
fn difference(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(call, n)| (call.clone(), n - before.get(call).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}
