//! The organisation at scale: 200 member accounts over 4 regions behind one SSO login, every
//! call (the portal's too) 150 ms late, as a far region's are. Every fifth account offers only
//! a billing role, so 160 accounts × 125 instances = 20,000 instances can be listed. `bosun ls
//! --org` (its own process) reads them two ways: each account × region at once, a few at a
//! time (`[org] index = "never"`), and through AWS's index of the organisation (`always`).
//! Prints the wall time and the calls of each; `--check` holds the fan-out to 10 s and the
//! index to 5 s. `BOSUN_BENCH_CHECK=counts` (a smaller organisation, for the test command)
//! holds that both ways list every instance and that the index asked no member account
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
    drop(sim);
    verdicts.finish();
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
