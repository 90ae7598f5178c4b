//! The whole organisation from one SSO login, as a user meets it, against `bosun sim
//! --accounts`: `bosun accounts`, `bosun ls --org` (every account, the ACCOUNT column and
//! `account:` filter, the account without a usable role named), a shell on an instance of a
//! member account, a name held in several accounts refused with them named, an expired login
//! said with the command that renews it; and botocore's own SSO provider resolving credentials
//! through the simulator's portal.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use bosun::sim::{self, SimConfig, SimHandle};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// A simulated organisation of five members, and a HOME logged in to it.
struct Org {
    sim: SimHandle,
    _home: tempfile::TempDir,
    home: PathBuf,
    config: PathBuf,
}

async fn organisation() -> Org {
    let sim = sim::start(SimConfig {
        accounts: 5,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let home_dir = tempfile::tempdir().expect("home");
    let home = home_dir.path().to_owned();
    let config = sim
        .write_sso_login(&home.join("login"), &home)
        .expect("an organisation")
        .expect("written");
    Org {
        sim,
        _home: home_dir,
        home,
        config,
    }
}

impl Org {
    /// bosun as the logged-in user, with no keys of its own: only the SSO login.
    fn bosun(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
        common::sealed(&mut command)
            .env("HOME", &self.home)
            .env("AWS_CONFIG_FILE", &self.config)
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .args(["--profile", "org"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        common::finish(self.bosun(args).spawn().expect("spawn")).await
    }

    /// `bosun --profile org --org` on a 40×160 PTY as the logged-in user.
    fn console(
        &self,
    ) -> (
        tokio::process::Child,
        common::pty::TerminalView,
        pty_process::OwnedWritePty,
    ) {
        common::pty::bosun_in_pty(40, 160, |command| {
            command
                .env("HOME", &self.home)
                .env("XDG_CONFIG_HOME", self.home.join(".config"))
                .env("XDG_STATE_HOME", self.home.join(".state"))
                .env("AWS_CONFIG_FILE", &self.config)
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                .args(["--profile", "org", "--org"])
        })
    }

    /// The login's token file, as the AWS CLI (or `bosun login`) keeps it.
    fn token_file(&self) -> PathBuf {
        std::fs::read_dir(self.home.join(".aws/sso/cache"))
            .expect("the token cache")
            .flatten()
            .next()
            .expect("a token file")
            .path()
    }

    /// The cached login: `accessToken`, `expiresAt`…
    fn token(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.token_file()).expect("read"))
            .expect("json")
    }

    /// The AWS CLI as the logged-in user, reading the AWS config file `config`.
    fn aws(&self, config: &std::path::Path, args: &[&str]) -> Command {
        let mut command = Command::new("aws");
        common::sealed(&mut command)
            .env("HOME", &self.home)
            .env("AWS_CONFIG_FILE", config)
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[tokio::test]
async fn accounts_lists_every_account_the_role_taken_and_why_not() {
    let org = organisation().await;
    let (code, stdout, stderr) = org.run(&["accounts", "--json"]).await;
    let accounts = json_lines(&stdout);
    assert_eq!(accounts.len(), 6, "{stdout}{stderr}");
    assert_eq!(code, 1, "one account cannot be read: {stderr}");
    let finance = accounts
        .iter()
        .find(|a| a["name"] == "finance")
        .expect("finance");
    assert_eq!(finance["credentials"], false);
    assert!(
        finance["why"].as_str().is_some_and(
            |w| w.contains("offers BillingViewer") && w.contains("[org] inventory_roles")
        ),
        "{finance}"
    );
    let payments = accounts
        .iter()
        .find(|a| a["name"] == "payments-prod")
        .expect("payments-prod");
    assert_eq!(payments["credentials"], true);
    assert_eq!(payments["inventory_role"], "ReadOnly");
    // The roles come from the configuration's [org] when it names them.
    std::fs::create_dir_all(org.home.join(".config/bosun")).expect("config dir");
    std::fs::write(
        org.home.join(".config/bosun/config.toml"),
        "[org]\ninventory_roles = [\"BillingViewer\", \"ReadOnly\"]\nsession_roles = [\"Operator\"]\n",
    )
    .expect("config");
    let (code, stdout, stderr) = org.run(&["accounts", "--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let accounts = json_lines(&stdout);
    let finance = accounts
        .iter()
        .find(|a| a["name"] == "finance")
        .expect("finance");
    assert_eq!(finance["inventory_role"], "BillingViewer");
    assert_eq!(accounts[1]["session_role"], "Operator");
}

#[tokio::test]
async fn ls_org_reads_every_account_and_filters_by_account() {
    let org = organisation().await;
    let (code, stdout, stderr) = org.run(&["ls", "--org", "--json"]).await;
    assert_eq!(code, 1, "the billing-only account is named: {stderr}");
    assert!(
        stderr.contains("finance (210987600005) offers BillingViewer"),
        "{stderr}"
    );
    let rows = json_lines(&stdout);
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
        ],
        "{stdout}"
    );
    // Each account shows only its own instances: its region's share of its fleet.
    let search: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["account_name"] == "search-prod")
        .collect();
    assert!(!search.is_empty());
    assert!(search.iter().all(|r| r["account"] == "210987600003"));
    let (_, table, _) = org
        .run(&["ls", "--org", "--filter", "account:search-prod"])
        .await;
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].ends_with("ACCOUNT"), "{table}");
    assert_eq!(lines.len(), search.len() + 1, "{table}");
    assert!(
        lines[1..].iter().all(|l| l.ends_with("search-prod")),
        "{table}"
    );
}

#[tokio::test]
async fn a_shell_opens_on_an_instance_of_a_member_account() {
    let org = organisation().await;
    let (_, stdout, _) = org
        .run(&[
            "ls",
            "--org",
            "--json",
            "--filter",
            "account:payments-staging",
        ])
        .await;
    let rows = json_lines(&stdout);
    let row = rows
        .iter()
        .find(|r| r["ping"] == "Online" && r["name"] != "bastion")
        .expect("an online instance in payments-staging");
    let id = row["instance_id"].as_str().expect("id");
    let name = row["name"].as_str().expect("name");
    for target in [id, name] {
        let mut child = org
            .bosun(&["--org", "shell", target])
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"echo on-$INSTANCE_ID\n")
            .await
            .expect("write");
        drop(stdin);
        let (code, stdout, stderr) = common::finish(child).await;
        assert_eq!(code, 0, "{target}: {stderr}");
        assert!(stdout.contains(&format!("on-{id}")), "{target}: {stdout}");
    }
    // `bastion` is in every member account: refused, with the accounts named.
    let (code, _, stderr) = org.run(&["--org", "shell", "bastion"]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("\"bastion\" names instances in 4 accounts")
            && stderr.contains("in payments-prod (210987600001)")
            && stderr.contains("use an instance id"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_expired_login_says_how_to_log_in_again() {
    let org = organisation().await;
    let file = org.token_file();
    let mut token = org.token();
    token["expiresAt"] = serde_json::json!("2020-01-01T00:00:00Z");
    std::fs::write(&file, token.to_string()).expect("write");
    let (code, _, stderr) = org.run(&["ls", "--org"]).await;
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "has expired: run `bosun login --profile org` or `aws sso login --profile org`"
        ),
        "{stderr}"
    );
    // A token the portal does not know (revoked) is said the same way.
    token["expiresAt"] = serde_json::json!("2099-01-01T00:00:00Z");
    token["accessToken"] = serde_json::json!("revoked");
    std::fs::write(&file, token.to_string()).expect("write");
    let (_, _, stderr) = org.run(&["accounts"]).await;
    assert!(
        stderr.contains("is no longer valid: run `bosun login"),
        "{stderr}"
    );
}

/// botocore, unchanged, logs in through the simulator's portal: `aws sso list-accounts` with
/// the cached token, and the profile's own SSO provider for `sts get-caller-identity` in a
/// member account, whose keys see only that account.
#[tokio::test]
async fn botocore_resolves_credentials_through_the_simulators_portal() {
    let org = organisation().await;
    let member = org.home.join("member-config");
    let text = std::fs::read_to_string(&org.config).expect("config")
        + &format!(
            "\n[profile pay]\nsso_session = {}\nsso_account_id = 210987600001\nsso_role_name = Operator\nregion = us-east-1\nendpoint_url = {}\n",
            sim::org::session_name(&org.sim.endpoint_url()),
            org.sim.endpoint_url()
        );
    std::fs::write(&member, text).expect("member config");
    let aws = |args: &[&str]| org.aws(&member, args);
    let (code, stdout, stderr) = common::finish(
        aws(&[
            "sts",
            "get-caller-identity",
            "--profile",
            "pay",
            "--output",
            "json",
        ])
        .spawn()
        .expect("aws"),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let identity: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(identity["Account"], "210987600001");
    let (code, stdout, stderr) = common::finish(
        aws(&[
            "ssm",
            "describe-instance-information",
            "--profile",
            "pay",
            "--output",
            "json",
        ])
        .spawn()
        .expect("aws"),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let listed: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let ids: Vec<&str> = listed["InstanceInformationList"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["InstanceId"].as_str())
        .collect();
    assert!(!ids.is_empty());
    assert!(
        ids.iter().all(|id| id.starts_with("i-00b000000001")),
        "only payments-prod's instances: {ids:?}"
    );
    let token = org.token();
    let (code, stdout, stderr) = common::finish(
        aws(&[
            "sso",
            "list-accounts",
            "--access-token",
            token["accessToken"].as_str().expect("token"),
            "--region",
            "us-east-1",
            "--endpoint-url",
            &org.sim.endpoint_url(),
            "--output",
            "json",
        ])
        .spawn()
        .expect("aws"),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout).expect("json")["accountList"]
            .as_array()
            .map(Vec::len),
        Some(6)
    );
}

/// `bosun login` without the AWS CLI: the device authorization against the simulator's
/// SSO-OIDC (it asks to wait once, then approves), the token written where the AWS CLI keeps
/// it, readable by the user alone, and then used by bosun and by botocore alike.
#[tokio::test]
async fn bosun_login_writes_a_token_bosun_and_botocore_both_use() {
    use std::os::unix::fs::PermissionsExt;
    let org = organisation().await;
    std::fs::remove_dir_all(org.home.join(".aws/sso/cache")).expect("logged out");
    let (code, _, stderr) = org.run(&["accounts"]).await;
    assert_eq!(code, 1);
    assert!(
        stderr.contains("not logged in to https://bosun-sim-"),
        "{stderr}"
    );
    let (code, stdout, stderr) = org.run(&["login", "--no-browser"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("/#/device?user_code="), "{stdout}");
    assert!(
        stdout.contains("Logged in to https://bosun-sim-"),
        "{stdout}"
    );
    let file = org.token_file();
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(
        mode & 0o077,
        0,
        "only the user may read the token: {mode:o}"
    );
    let cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    for key in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "refreshToken",
    ] {
        assert!(cached.get(key).is_some(), "the AWS CLI's {key}: {cached}");
    }
    let (code, _, stderr) = org.run(&["accounts"]).await;
    assert_eq!(code, 1, "finance still has no role: {stderr}");
    assert!(!stderr.contains("not logged in"), "{stderr}");
    let mut aws = org.aws(
        &org.config,
        &[
            "sts",
            "get-caller-identity",
            "--profile",
            "org",
            "--output",
            "json",
        ],
    );
    let (code, stdout, stderr) = common::finish(aws.spawn().expect("aws")).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("111122223333"), "{stdout}");
}

/// The portal's answers hold to botocore's `sso` model: every page of accounts, every role's
/// credentials, and the errors of a bad token and a role not assigned.
#[tokio::test]
async fn botocore_models_accept_the_portals_answers() {
    let org = organisation().await;
    let token = org.token();
    common::check_shapes(&[
        org.sim.endpoint_url(),
        format!(
            "--sso-token={}",
            token["accessToken"].as_str().expect("token")
        ),
        format!(
            "--start-url={}",
            sim::org::start_url(&org.sim.endpoint_url())
        ),
    ])
    .await;
}

/// The console over the organisation: every account's instances in one table with their
/// account named, a shell on a member account's instance, and a command across two accounts
/// whose blast radius names them.
#[tokio::test]
async fn the_console_shows_the_organisation_and_acts_across_accounts() {
    use tokio::io::AsyncWriteExt as _;
    let org = organisation().await;
    let (mut child, mut view, mut writer) = org.console();
    view.wait_for("payments-staging-api").await;
    let screen = view.parser.screen().contents();
    assert!(screen.contains("ACCOUNT"), "{screen}");
    assert!(
        screen.contains("organisation: 5 of 6 accounts (1 without a role bosun may take)"),
        "{screen}"
    );
    writer.write_all(b"/bastion\r").await.expect("filter");
    view.wait_for("(5 of ").await;
    // A shell on the first bastion (payments-prod's), from the fleet.
    writer.write_all(b"gs").await.expect("shell");
    view.wait_for("[ssm-user@bastion ~]$").await;
    writer
        .write_all(b"echo in-$INSTANCE_ID\r")
        .await
        .expect("type");
    view.wait_for("in-i-00b00000000100000").await;
    // Back on the fleet (ctrl-] f), two bastions in two accounts (payments-bastion matches
    // too): a command on both names both accounts first.
    writer.write_all(b"\x1df").await.expect("to the fleet");
    view.wait_for("(5 of ").await;
    writer
        .write_all(b"g  ")
        .await
        .expect("mark (space marks and moves on)");
    writer.write_all(b"R").await.expect("run");
    view.wait_for("Run Command").await;
    writer.write_all(b"hostname").await.expect("command");
    writer.write_all(&[0x13]).await.expect("ctrl-s");
    view.wait_for("2 accounts/profiles: payments-prod 1, payments-staging 1")
        .await;
    writer.write_all(b"2\r").await.expect("confirm");
    view.wait_for("2 Success").await;
    // The Sessions view reads every account: the shell in payments-prod is there.
    // esc alone (with ':' right after, it would read as alt-:), back to the fleet.
    writer.write_all(b"\x1b").await.expect("esc");
    view.wait_for("(5 of ").await;
    writer.write_all(b":sessions\r").await.expect(":sessions");
    view.wait_for("sessions: 1 active").await;
    view.wait_for("bastion (i-00b00000000100000)").await;
    let _ = child.start_kill();
}

/// `bosun run --org`: targets found in every account, the blast radius naming each account
/// with its count, sent per account through the one pipeline, every result back.
#[tokio::test]
async fn run_across_accounts_names_them_and_reaches_every_target() {
    let org = organisation().await;
    let (code, stdout, stderr) = org
        .run(&[
            "run",
            "--org",
            "--instance",
            "bastion",
            "--yes",
            "--",
            "echo",
            "on-$INSTANCE_ID",
        ])
        .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "4 accounts/profiles: data-platform 1, payments-prod 1, payments-staging 1, search-prod 1"
        ),
        "{stderr}"
    );
    for n in 1..=4 {
        let id = format!("i-00b00000000{n}00000");
        assert!(stdout.contains(&format!("on-{id}")), "{id}: {stdout}");
    }
    assert!(stdout.contains("4 instances: 4 Success"), "{stdout}");
    let (code, _, stderr) = org
        .run(&[
            "run",
            "--org",
            "--instance",
            "nowhere-1",
            "--yes",
            "--",
            "true",
        ])
        .await;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no account of the organisation has nowhere-1"),
        "{stderr}"
    );
}

/// The doctor and a tunnel with `--org` find their instance in whichever account holds it.
#[tokio::test]
async fn the_doctor_and_a_tunnel_find_their_account() {
    let org = organisation().await;
    let (code, stdout, stderr) = org
        .run(&["--org", "doctor", "search-prod-api-4", "--json"])
        .await;
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(report["instance_id"], "i-00b00000000300004", "{stdout}");
    let echo = common::echo_server().await;
    let mut child = org
        .bosun(&[
            "--org",
            "tunnel",
            "search-prod-api-4",
            "--remote-port",
            &echo.to_string(),
            "--local-port",
            "0",
        ])
        .spawn()
        .expect("tunnel");
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let listening = loop {
        use tokio::io::AsyncBufReadExt;
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
    assert!(line.contains("i-00b00000000300004"), "{line}");
    let mut stream = tokio::net::TcpStream::connect(&listening)
        .await
        .expect("connect");
    use tokio::io::AsyncReadExt;
    stream.write_all(b"through the org").await.expect("write");
    let mut back = [0u8; 15];
    stream.read_exact(&mut back).await.expect("echo");
    assert_eq!(&back, b"through the org");
    let _ = child.start_kill();
}

/// A console started before logging in says so in its header, and after `bosun login`
/// elsewhere a switch (`:region`) reads the organisation without a restart.
#[tokio::test]
async fn the_console_picks_up_a_login_made_after_it_started() {
    use tokio::io::AsyncWriteExt as _;
    let org = organisation().await;
    std::fs::remove_dir_all(org.home.join(".aws/sso/cache")).expect("logged out");
    let (mut child, mut view, mut writer) = org.console();
    view.wait_for("organisation: not logged in to https://bosun-sim-")
        .await;
    let (code, _, stderr) = org.run(&["login", "--no-browser"]).await;
    assert_eq!(code, 0, "{stderr}");
    writer
        .write_all(b":region us-east-1\r")
        .await
        .expect("switch");
    view.wait_for("payments-staging").await;
    let _ = child.start_kill();
}
