//! The organisation without SSO and through AWS's own index, against `bosun sim --accounts`:
//! with the management account's keys and no SSO login, `bosun accounts` and `bosun ls --org`
//! list every account through Organizations and read each through AssumeRole, and a shell
//! opens in a member account; a profile in no organisation is told what --org needs; with an
//! SSO login whose account holds the index, `[org] index` reads every account's nodes through
//! ListNodes (no call in any member account), finds an instance's account in one call, and
//! says when the index asked for is not there.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;

use bosun::sim::{self, SimConfig, SimHandle};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

async fn organisation(accounts: usize) -> SimHandle {
    sim::start(SimConfig {
        accounts,
        ..SimConfig::default()
    })
    .await
    .expect("simulator")
}

/// bosun with the management account's own keys and no AWS config: no SSO anywhere.
fn as_management(sim: &SimHandle, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    common::sealed(&mut command)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_ENDPOINT_URL", sim.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", "demo")
        .env("AWS_SECRET_ACCESS_KEY", "demo")
        .env("AWS_REGION", "us-east-1")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// A HOME logged in to the organisation's portal, and bosun's configuration there.
struct Login {
    _home: tempfile::TempDir,
    home: PathBuf,
    aws_config: PathBuf,
    bosun_config: PathBuf,
}

fn login(sim: &SimHandle, bosun_config: &str) -> Login {
    let dir = tempfile::tempdir().expect("home");
    let home = dir.path().to_owned();
    let aws_config = sim
        .write_sso_login(&home.join("login"), &home)
        .expect("an organisation")
        .expect("written");
    let path = home.join("bosun.toml");
    std::fs::write(&path, bosun_config).expect("bosun's configuration");
    Login {
        _home: dir,
        home,
        aws_config,
        bosun_config: path,
    }
}

impl Login {
    fn bosun(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
        common::sealed(&mut command)
            .env("HOME", &self.home)
            .env("AWS_CONFIG_FILE", &self.aws_config)
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .args(["--profile", "org", "--config"])
            .arg(&self.bosun_config)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }
}

async fn run(mut command: Command) -> (i32, String, String) {
    common::finish(command.spawn().expect("spawn")).await
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// A shell on `target` through `command` runs what it is given on that instance.
async fn shell_runs_on(mut command: Command, id: &str) {
    let mut child = command.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo on-$INSTANCE_ID\n")
        .await
        .expect("write");
    drop(stdin);
    let (code, stdout, stderr) = common::finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("on-{id}")), "{stdout}");
}

fn calls(counts: &BTreeMap<String, u64>, call: &str) -> u64 {
    counts.get(call).copied().unwrap_or(0)
}

#[tokio::test]
async fn without_sso_organizations_lists_the_accounts_and_a_role_is_assumed_in_each() {
    let sim = organisation(5).await;
    let (code, stdout, stderr) = run(as_management(&sim, &["accounts", "--json"])).await;
    assert_eq!(code, 0, "{stderr}");
    let accounts = json_lines(&stdout);
    assert_eq!(accounts.len(), 6, "{stdout}");
    let management = &accounts[0];
    assert_eq!(management["id"], "111122223333");
    assert_eq!(management["inventory_role"], "(own credentials)");
    for member in &accounts[1..] {
        assert_eq!(
            member["inventory_role"], "OrganizationAccountAccessRole",
            "{member}"
        );
        assert_eq!(member["credentials"], true, "{member}");
    }

    // Every account's instances, the billing-only one too: the role is Organizations', not
    // the portal's.
    let (code, stdout, stderr) = run(as_management(&sim, &["ls", "--org", "--json"])).await;
    assert_eq!(code, 0, "{stderr}");
    let rows = json_lines(&stdout);
    let names: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r["account_name"].as_str())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(names.contains("finance"), "{names:?}");
    let assumed = calls(&sim.request_counts_everywhere(), "sts:AssumeRole");
    assert!(
        (5..=10).contains(&assumed),
        "one AssumeRole per member and command, not per call: {assumed}"
    );

    // A shell in a member account, found by id.
    let row = rows
        .iter()
        .find(|r| r["account_name"] == "search-prod" && r["ping"] == "Online")
        .expect("an online instance in search-prod");
    let id = row["instance_id"].as_str().expect("id");
    shell_runs_on(as_management(&sim, &["--org", "shell", id]), id).await;
}

#[tokio::test]
async fn a_profile_in_no_organisation_is_told_what_org_needs() {
    let sim = organisation(0).await;
    let (code, _, stderr) = run(as_management(&sim, &["accounts"])).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("is in no organisation")
            && stderr.contains("--org needs an SSO login or an AWS Organization"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_index_lists_every_account_without_calling_any_of_them() {
    let sim = organisation(5).await;
    let login = login(&sim, "[org]\nindex = \"always\"\n");
    let (code, stdout, stderr) = run(login.bosun(&["ls", "--org", "--json"])).await;
    // The billing-only account is still named; the others are listed from the index.
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("finance (210987600005)"), "{stderr}");
    let rows = json_lines(&stdout);
    let counts = sim.request_counts_everywhere();
    assert!(calls(&counts, "ssm:ListNodes") >= 5, "{counts:?}");
    for per_account in ["ec2:DescribeInstances", "ssm:DescribeInstanceInformation"] {
        assert_eq!(calls(&counts, per_account), 0, "{per_account}: {counts:?}");
    }
    let accounts: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r["account_name"].as_str())
        .collect();
    assert_eq!(
        accounts.into_iter().collect::<Vec<_>>(),
        [
            "data-platform",
            "management",
            "payments-prod",
            "payments-staging",
            "search-prod"
        ]
    );
    // The index names nodes by their Name, knows their ping, and holds no EC2 state.
    let bastions = rows.iter().filter(|r| r["name"] == "bastion").count();
    assert_eq!(bastions, 4, "{stdout}");
    assert!(rows.iter().any(|r| r["ping"] == "Online"));
    assert!(rows.iter().all(|r| r["ec2_state"].is_null()));

    // An instance's account in one call, then its shell.
    let row = rows
        .iter()
        .find(|r| r["account_name"] == "payments-staging" && r["ping"] == "Online")
        .expect("an online instance in payments-staging");
    let id = row["instance_id"].as_str().expect("id");
    let before = sim.request_counts_everywhere();
    shell_runs_on(login.bosun(&["--org", "shell", id]), id).await;
    let after = sim.request_counts_everywhere();
    assert_eq!(
        calls(&after, "ssm:ListNodes") - calls(&before, "ssm:ListNodes"),
        1,
        "found through the index"
    );
    assert!(
        calls(&after, "ec2:DescribeInstances") - calls(&before, "ec2:DescribeInstances") <= 1,
        "no account asked one by one: {after:?}"
    );
}

#[tokio::test]
async fn a_small_organisation_is_read_account_by_account_unless_the_index_is_asked_for() {
    let sim = organisation(3).await;
    for config in ["", "[org]\nindex = \"never\"\n"] {
        let login = login(&sim, config);
        let before = sim.request_counts_everywhere();
        let (code, stdout, stderr) = run(login.bosun(&["ls", "--org", "--json"])).await;
        assert_eq!(code, 0, "{config}: {stderr}");
        assert!(!json_lines(&stdout).is_empty());
        let after = sim.request_counts_everywhere();
        let listed = calls(&after, "ssm:ListNodes") - calls(&before, "ssm:ListNodes");
        assert_eq!(listed, 0, "{config}: {after:?}");
        assert!(
            json_lines(&stdout)
                .iter()
                .any(|r| r["ec2_state"] == "running"),
            "{config}: each account read tells EC2's state"
        );
    }
    // Asked for by a name that is not there: said, with what to do.
    let login = login(&sim, "[org]\nindex = \"always\"\nsync_name = \"nope\"\n");
    let (code, stdout, stderr) = run(login.bosun(&["ls", "--org"])).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.trim().is_empty() || stdout.lines().count() <= 1,
        "{stdout}"
    );
    assert!(
        stderr.contains("the organisation's index nope cannot be read"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sessions_of_every_account_are_listed_and_one_is_ended_in_its_own() {
    let sim = organisation(3).await;
    let (_, stdout, _) = run(as_management(
        &sim,
        &["ls", "--org", "--json", "--filter", "account:search-prod"],
    ))
    .await;
    let id = json_lines(&stdout)
        .into_iter()
        .find(|r| r["ping"] == "Online")
        .and_then(|r| r["instance_id"].as_str().map(str::to_owned))
        .expect("an online instance in search-prod");
    // A shell held open in the member account.
    let mut shell = as_management(&sim, &["--org", "shell", &id])
        .spawn()
        .expect("spawn");
    let mut stdin = shell.stdin.take().expect("stdin");
    stdin.write_all(b"echo ready\n").await.expect("write");
    let mut listed = Vec::new();
    for _ in 0..100 {
        let (_, stdout, _) = run(as_management(&sim, &["--org", "sessions", "--json"])).await;
        listed = json_lines(&stdout);
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["target"], id.as_str());
    assert_eq!(listed[0]["account"], "search-prod");
    let (_, table, _) = run(as_management(&sim, &["--org", "sessions"])).await;
    assert!(
        table.lines().next().is_some_and(|h| h.contains("ACCOUNT"))
            && table.contains("search-prod"),
        "{table}"
    );
    let session = listed[0]["session_id"].as_str().expect("id").to_owned();
    let (code, stdout, stderr) = run(as_management(
        &sim,
        &["--org", "terminate", &session, "--yes"],
    ))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("terminated {session}")),
        "{stdout}"
    );
    let (_, stdout, _) = run(as_management(&sim, &["--org", "sessions", "--json"])).await;
    assert!(json_lines(&stdout).is_empty(), "{stdout}");
    drop(stdin);
    let _ = common::finish(shell).await;
}

#[tokio::test]
async fn a_saved_tunnel_runs_in_the_account_it_names() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let sim = organisation(3).await;
    let echo = common::echo_server().await;
    // `bastion` is in every member account: the tunnel's account says which.
    let login = login(
        &sim,
        &format!(
            "[[tunnel]]\nname = \"search-bastion\"\ntarget = \"bastion\"\nremote_port = {echo}\naccount = \"search-prod\"\n"
        ),
    );
    let mut child = login
        .bosun(&["tunnel", "search-bastion"])
        .spawn()
        .expect("tunnel");
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let listening = loop {
        line.clear();
        let read = tokio::time::timeout_at(deadline, stdout.read_line(&mut line))
            .await
            .expect("the tunnel listens in time")
            .expect("read");
        assert!(read > 0, "the tunnel ended");
        if let Some(rest) = line.trim().strip_prefix("Listening on ") {
            break rest.split(' ').next().expect("address").to_owned();
        }
    };
    assert!(
        line.contains("i-00b00000000300000"),
        "search-prod's bastion: {line}"
    );
    let mut stream = tokio::net::TcpStream::connect(&listening)
        .await
        .expect("connect");
    stream.write_all(b"in its account").await.expect("write");
    let mut back = [0u8; 14];
    stream.read_exact(&mut back).await.expect("echo");
    assert_eq!(&back, b"in its account");
    let _ = child.start_kill();

    // An account the organisation does not have is said, with where to look.
    let login = login_with_tunnel_account(&sim, "nowhere", echo);
    let (code, _, stderr) = run(login.bosun(&["tunnel", "t"])).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the organisation has no account \"nowhere\" (`bosun accounts` lists them"),
        "{stderr}"
    );
}

fn login_with_tunnel_account(sim: &SimHandle, account: &str, port: u16) -> Login {
    login(
        sim,
        &format!(
            "[[tunnel]]\nname = \"t\"\ntarget = \"bastion\"\nremote_port = {port}\naccount = \"{account}\"\n"
        ),
    )
}

#[tokio::test]
async fn a_container_is_found_in_the_account_that_runs_it() {
    let sim = organisation(3).await;
    // The management account runs the `payments` cluster; no member has it.
    let mut child = as_management(&sim, &["--org", "shell", "ecs:payments/fraud-scoring"])
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo in-the-container\n")
        .await
        .expect("write");
    drop(stdin);
    let (code, stdout, stderr) = common::finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("in-the-container"), "{stdout}");
    // The doctor looks at it from there too.
    let (code, stdout, stderr) = run(as_management(
        &sim,
        &["--org", "doctor", "ecs:payments/fraud-scoring"],
    ))
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    // A cluster no account has is said as such.
    let (code, _, stderr) = run(as_management(&sim, &["--org", "shell", "ecs:nowhere/web"])).await;
    assert_ne!(code, 0);
    assert!(
        stderr.contains("no account of the organisation has the cluster nowhere"),
        "{stderr}"
    );
}
