//! Background tunnels as a user and other programs meet them: `bosun tunnel up` returns and
//! the tunnel keeps serving; `down` (and SIGTERM to the process that keeps them) ends their
//! sessions at AWS; lazy sessions start with the first connection and end when idle; saved
//! tunnels share a port on different loopback addresses; the local API answers a client
//! written here, line by line.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bosun::sim::SimHandle;
use common::{bosun, echo_server, eventually, finish, start_sim};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpStream, UnixStream};

/// Where a test's background tunnels live, and the process that keeps them stopped at the end
/// whatever happened (it outlives every command by design).
struct Background {
    dir: tempfile::TempDir,
}

impl Background {
    fn new() -> Background {
        Background {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("tunnels.sock")
    }

    fn config(&self, text: &str) -> String {
        let path = self.dir.path().join("config.toml");
        std::fs::write(&path, text).expect("config");
        path.display().to_string()
    }

    /// `bosun ARGS` against `sim`, with this test's socket; exit code, stdout, stderr.
    async fn bosun(&self, sim: &SimHandle, args: &[&str]) -> (i32, String, String) {
        let child = bosun(sim)
            .env("BOSUN_TUNNELS_SOCKET", self.socket())
            .args(args)
            .spawn()
            .expect("spawn");
        finish(child).await
    }

    /// `bosun tunnel up payments-api-1 --remote-port PORT --name NAME`.
    async fn up_to_echo(&self, sim: &SimHandle, port: u16, name: &str) -> (i32, String, String) {
        let port = port.to_string();
        let args = [
            "tunnel",
            "up",
            "payments-api-1",
            "--remote-port",
            &port,
            "--name",
            name,
        ];
        self.bosun(sim, &args).await
    }

    /// One request to the server, one answer.
    async fn ask(&self, request: Value) -> Value {
        let mut api = Api::connect(&self.socket()).await;
        api.send(request).await;
        api.next().await
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // A failed test must not leave the server running.
        let Ok(stream) = std::os::unix::net::UnixStream::connect(self.socket()) else {
            return;
        };
        use std::io::{BufRead, Write};
        let mut writer = &stream;
        let _ = writer.write_all(b"{\"op\":\"ping\"}\n");
        let mut line = String::new();
        let _ = std::io::BufReader::new(&stream).read_line(&mut line);
        if let Some(pid) = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|answer| answer["pid"].as_i64())
            .and_then(|pid| rustix::process::Pid::from_raw(pid as i32))
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
    }
}

/// A client of the local API, written from the README's description.
struct Api {
    lines: tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>,
    writer: tokio::net::unix::OwnedWriteHalf,
}

impl Api {
    async fn connect(socket: &Path) -> Api {
        let (reader, writer) = UnixStream::connect(socket)
            .await
            .expect("the server listens")
            .into_split();
        Api {
            lines: BufReader::new(reader).lines(),
            writer,
        }
    }

    async fn send(&mut self, request: Value) {
        let line = format!("{request}\n");
        self.writer.write_all(line.as_bytes()).await.expect("send");
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("an answer within 30 s")
            .expect("read")
            .expect("a line");
        serde_json::from_str(&line).expect("JSON")
    }
}

/// Writes `ping` through `address` and expects it back.
async fn echoes(address: &str) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(b"ping").await.expect("write");
    let mut buffer = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(20), stream.read_exact(&mut buffer))
        .await
        .expect("echoed in time")
        .expect("echoed");
    assert_eq!(&buffer, b"ping");
}

/// The session ids a tunnel's lines name as ready.
fn ready_sessions(logs: &str) -> Vec<String> {
    logs.lines()
        .filter_map(|line| {
            let rest = line.split("session ").nth(1)?;
            let (id, after) = rest.split_once(' ')?;
            after.starts_with("ready").then(|| id.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_tunnel_brought_up_keeps_serving_after_the_command_is_gone_until_down() {
    let sim = start_sim().await;
    let background = Background::new();
    let port = echo_server().await;
    let (code, stdout, stderr) = background.up_to_echo(&sim, port, "echo").await;
    assert_eq!(code, 0, "{stderr}");
    // `NAME ADDRESS`, and the command that printed it has exited.
    let address = stdout
        .strip_prefix("echo ")
        .expect("NAME ADDRESS")
        .trim()
        .to_owned();
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    echoes(&address).await;
    echoes(&address).await;
    let (code, listed, _) = background.bosun(&sim, &["tunnel", "ls", "--json"]).await;
    assert_eq!(code, 0);
    let status: Value = serde_json::from_str(listed.trim()).expect("a JSON line");
    assert_eq!(status["state"], "up");
    assert_eq!(status["connections"], 2);
    assert_eq!(status["address"], address.as_str());
    let (_, logs, _) = background.bosun(&sim, &["tunnel", "logs", "echo"]).await;
    let sessions = ready_sessions(&logs);
    assert_eq!(sessions.len(), 1, "{logs}");
    assert_eq!(common::status_of(&sim, &sessions[0]).await, "Connected");

    let (code, stdout, stderr) = background.bosun(&sim, &["tunnel", "down", "echo"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "echo stopped");
    assert_eq!(common::status_of(&sim, &sessions[0]).await, "Terminated");
    assert!(
        TcpStream::connect(&address).await.is_err(),
        "still listening"
    );
    // With its last tunnel down the process ends, and says so by its socket going.
    eventually(Duration::from_secs(10), "the server ends", || async {
        !background.socket().exists()
    })
    .await;
    let (code, _, stderr) = background.bosun(&sim, &["tunnel", "down", "echo"]).await;
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no background tunnels are running"),
        "{stderr}"
    );
}

#[tokio::test]
async fn lazy_tunnels_on_two_loopback_addresses_start_sessions_when_used_and_end_them_when_idle() {
    let sim = start_sim().await;
    let background = Background::new();
    let echo = echo_server().await;
    // One local port for both, each on its own loopback address.
    let local_port = std::net::TcpListener::bind("127.0.0.2:0")
        .expect("a free port")
        .local_addr()
        .expect("addr")
        .port();
    let config = background.config(&format!(
        r#"
[[tunnel]]
name = "orders-db"
target = "tag:Team=payments"
remote_port = {echo}
local_address = "127.0.0.2"
local_port = {local_port}
lazy = true
idle_minutes = 0.01

[[tunnel]]
name = "orders-cache"
target = "payments-api-1"
remote_port = {echo}
local_address = "127.0.0.3"
local_port = {local_port}
lazy = true
idle_minutes = 0.01

[tunnel_group]
orders = ["orders-db", "orders-cache"]
"#
    ));
    let (code, stdout, stderr) = background
        .bosun(&sim, &["--config", &config, "tunnel", "up", "orders"])
        .await;
    assert_eq!(code, 0, "{stderr}");
    let db = format!("127.0.0.2:{local_port}");
    let cache = format!("127.0.0.3:{local_port}");
    assert!(stdout.contains(&format!("orders-db {db}")), "{stdout}");
    assert!(
        stdout.contains(&format!("orders-cache {cache}")),
        "{stdout}"
    );
    // Listening, and no session at AWS until a connection comes.
    let listed = background.ask(json!({"op": "list"})).await;
    for tunnel in listed["tunnels"].as_array().expect("tunnels") {
        assert_eq!(tunnel["state"], "idle", "{tunnel}");
        assert_eq!(tunnel["sessions"], 0);
    }
    assert_eq!(common::active_sessions(&sim).await, 0);

    echoes(&db).await;
    echoes(&cache).await;
    let (_, logs, _) = background
        .bosun(&sim, &["tunnel", "logs", "orders-db"])
        .await;
    let sessions = ready_sessions(&logs);
    assert_eq!(sessions.len(), 1, "{logs}");
    // Idle for 0.6 s: the session ends at AWS, the listener stays.
    eventually(Duration::from_secs(15), "the idle session ends", || async {
        common::status_of(&sim, &sessions[0]).await == "Terminated"
    })
    .await;
    eventually(Duration::from_secs(15), "both tunnels idle", || async {
        background.ask(json!({"op": "list"})).await["tunnels"]
            .as_array()
            .is_some_and(|tunnels| tunnels.iter().all(|t| t["state"] == "idle"))
    })
    .await;
    // The next connection starts a session again.
    echoes(&db).await;
    let (_, logs, _) = background
        .bosun(&sim, &["tunnel", "logs", "orders-db"])
        .await;
    assert_eq!(ready_sessions(&logs).len(), 2, "{logs}");
    assert!(logs.contains("without a connection"), "{logs}");

    let (code, stdout, _) = background.bosun(&sim, &["tunnel", "down", "--all"]).await;
    assert_eq!(code, 0);
    assert!(stdout.contains("orders-db stopped"), "{stdout}");
    eventually(Duration::from_secs(10), "no session left", || async {
        common::active_sessions(&sim).await == 0
    })
    .await;
}

#[tokio::test]
async fn the_local_api_answers_a_client_of_its_own_and_sigterm_ends_every_session() {
    let sim = start_sim().await;
    let background = Background::new();
    let echo = echo_server().await;
    // The first tunnel through the CLI starts the server.
    let (code, _, stderr) = background.up_to_echo(&sim, echo, "first").await;
    assert_eq!(code, 0, "{stderr}");
    let pong = background.ask(json!({"op": "ping"})).await;
    assert_eq!(pong["ok"], true);
    let pid = pong["pid"].as_i64().expect("a pid");
    let wrong = background.ask(json!({"op": "explode"})).await;
    assert_eq!(wrong["ok"], false);
    assert!(
        wrong["error"].as_str().expect("why").contains("\"op\""),
        "{wrong}"
    );

    // A watcher sees the tunnels now, then each change.
    let mut watcher = Api::connect(&background.socket()).await;
    watcher.send(json!({"op": "watch"})).await;
    let now = watcher.next().await;
    assert_eq!(now["tunnels"][0]["name"], "first");
    // Another client brings a tunnel up through the API alone.
    let mut client = Api::connect(&background.socket()).await;
    client
        .send(json!({"op": "up", "tunnels": [{"name": "second", "target": "payments-api-1", "remote_port": echo}]}))
        .await;
    let up = client.next().await;
    assert_eq!(up["ok"], true, "{up}");
    assert_eq!(up["tunnels"][0]["state"], "up", "{up}");
    let address = up["tunnels"][0]["address"].as_str().expect("address");
    echoes(address).await;
    let mut seen = Vec::new();
    while !seen.contains(&"up".to_owned()) {
        let change = watcher.next().await;
        assert_eq!(change["tunnels"][0]["name"], "second", "{change}");
        seen.push(
            change["tunnels"][0]["state"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    client
        .send(json!({"op": "down", "names": ["second"]}))
        .await;
    assert_eq!(client.next().await["stopped"][0], "second");
    let change = watcher.next().await;
    assert_eq!(
        (
            change["tunnels"][0]["name"].as_str(),
            change["tunnels"][0]["state"].as_str()
        ),
        (Some("second"), Some("stopped"))
    );
    assert_eq!(common::active_sessions(&sim).await, 1);

    // SIGTERM: every session ends at AWS, then the process.
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("signal");
    eventually(Duration::from_secs(15), "every session ended", || async {
        common::active_sessions(&sim).await == 0
    })
    .await;
    eventually(Duration::from_secs(10), "the server ends", || async {
        gone(pid)
    })
    .await;
}

/// The process has ended (a zombie awaiting its reaper counts: it runs no more).
fn gone(pid: rustix::process::Pid) -> bool {
    if cfg!(target_os = "linux") {
        match std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())) {
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
            Err(_) => true,
        }
    } else {
        rustix::process::test_kill_process(pid).is_err()
    }
}

/// The console's Tunnels view hands a saved tunnel to the background process (`b`), shows it
/// there, and quitting the console leaves it serving; enter would stop it there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_sends_a_tunnel_to_the_background_and_quitting_leaves_it_serving() {
    let sim = start_sim().await;
    let background = Background::new();
    let echo = echo_server().await;
    let config = background.config(&format!(
        r#"
[[tunnel]]
name = "echo-db"
target = "payments-api-1"
remote_port = {echo}
local_address = "127.0.0.4"
"#
    ));
    let socket = background.socket();
    let endpoint = sim.endpoint_url();
    let (mut child, mut view, mut writer) = common::pty::bosun_in_pty(48, 160, |command| {
        command
            .args(["--config", &config, "--region", "us-east-1"])
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIDCLI")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("BOSUN_TUNNELS_SOCKET", &socket)
    });
    view.wait_for("payments-api-1").await;
    writer.write_all(b"t").await.expect("tunnels");
    view.wait_for("echo-db").await;
    writer.write_all(b"b").await.expect("background");
    view.wait_for("bg up").await;
    view.wait_for("in the background (they stay after quit)")
        .await;
    // Nothing runs in the console itself: q quits at once.
    writer.write_all(b"q").await.expect("quit");
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the console exits")
        .expect("status");
    assert!(status.success(), "{status:?}");

    let listed = background
        .ask(json!({"op": "list", "names": ["echo-db"]}))
        .await;
    let address = listed["tunnels"][0]["address"]
        .as_str()
        .expect("listening")
        .to_owned();
    assert!(address.starts_with("127.0.0.4:"), "{listed}");
    echoes(&address).await;
    let (code, _, _) = background.bosun(&sim, &["tunnel", "down", "--all"]).await;
    assert_eq!(code, 0);
}
