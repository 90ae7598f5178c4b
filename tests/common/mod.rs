//! What the test binaries share: the in-process simulator with the demo fleet, demo instance
//! ids by name, and a loopback echo server.

#![allow(dead_code)] // each binary uses its own part

pub mod pty;

use std::process::Stdio;

use bosun::sim::{self, Fleet, SimConfig, SimHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::process::Command;

pub async fn start_sim() -> SimHandle {
    sim::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

/// The id of the demo fleet's instance named `name`.
pub fn demo_id(name: &str) -> String {
    Fleet::demo()
        .instances
        .iter()
        .find(|i| i.name() == name)
        .map(|i| i.id.clone())
        .expect("in the demo fleet")
}

/// A loopback server that echoes every connection; its port.
pub async fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                while let Ok(n) = stream.read(&mut buffer).await {
                    if n == 0 || stream.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// Runs `command` with `input` on its stdin (then closed); its exit code and what it printed.
/// A minute at most.
pub async fn run_with_input(mut command: Command, input: &str) -> (i32, String, String) {
    let mut child = command.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).await.expect("type");
    drop(stdin);
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("finishes within a minute")
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A directory with bosun linked as `session-manager-plugin`, and the PATH that finds it.
pub fn plugin_on_path() -> (tempfile::TempDir, String) {
    let bin = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_bosun"),
        bin.path().join("session-manager-plugin"),
    )
    .expect("symlink");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (bin, path)
}

/// `aws ARGS…` against `sim` signing with `keys`, finding its plugin on `path`, in a process
/// group of its own (so a test can press Ctrl-C on it and the plugin, as a terminal would).
pub fn aws_cli(sim: &SimHandle, keys: (&str, &str), path: &str, args: &[&str]) -> Command {
    let mut command = Command::new("aws");
    sealed(&mut command)
        .args(args)
        .env("AWS_ENDPOINT_URL", sim.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", keys.0)
        .env("AWS_SECRET_ACCESS_KEY", keys.1)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("PATH", path)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Seals a child's environment: nothing of the runner's comes through but PATH (the AWS CLI
/// and tmux are found by it) and the locale; HOME is a fresh directory of this call's own (a
/// configuration, credentials or a log of another test, or of the person running them, is
/// never read); no `AWS_*`, `XDG_*` or proxy variable is inherited, so each test says exactly
/// which it sets.
pub fn sealed(command: &mut Command) -> &mut Command {
    command.env_clear().envs(sealed_env())
}

/// The variables of a sealed child (see `sealed`), for builders other than tokio's `Command`
/// (a PTY's, std's): call their `env_clear` first.
pub fn sealed_env() -> Vec<(&'static str, std::ffi::OsString)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static HOMES: AtomicUsize = AtomicUsize::new(0);
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let homes = std::env::temp_dir().join("bosun-tests");
    SWEPT.call_once(|| sweep_homes_of_finished_runs(&homes));
    let home = homes.join(format!(
        "{}-{}",
        std::process::id(),
        HOMES.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&home).expect("a home for the test");
    let mut env: Vec<_> = ["PATH", "LANG", "LC_ALL", "TMPDIR"]
        .into_iter()
        .filter_map(|kept| Some((kept, std::env::var_os(kept)?)))
        .collect();
    // No XDG variable comes through either: configuration, state and caches live under this
    // HOME (or under whatever HOME or XDG directory a test sets after this).
    env.push(("HOME", home.into_os_string()));
    env
}

/// Removes the homes of test processes that have ended (a test binary exits without running
/// destructors, so each run clears up after the ones before it).
fn sweep_homes_of_finished_runs(homes: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(homes) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_string_lossy()
            .split('-')
            .next()
            .unwrap_or("")
            .to_owned();
        let running = std::path::Path::new("/proc").join(&pid).exists();
        if !pid.is_empty() && !running {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The bosun binary, sealed, against `sim` with a key pair of its own, all pipes taken.
pub fn bosun(sim: &SimHandle) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    sealed(&mut command)
        .env("AWS_ENDPOINT_URL", sim.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", "AKIDCLI")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Waits at most 30 s for `child` (stdin closed); its exit code, stdout and stderr.
pub async fn finish(mut child: tokio::process::Child) -> (i32, String, String) {
    // Read both pipes while waiting, so a hang can show what the process had printed.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let mut out = Vec::new();
    let mut err = Vec::new();
    drop(child.stdin.take());
    let waited = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let (_, _, status) = tokio::join!(
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut err),
            child.wait()
        );
        status
    })
    .await;
    let status = match waited {
        Ok(status) => status.expect("status"),
        Err(_) => {
            let _ = child.start_kill();
            panic!(
                "bosun did not exit in 30 s; stdout so far {:?}, stderr {:?}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            );
        }
    };
    let output = std::process::Output {
        status,
        stdout: out,
        stderr: err,
    };
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Polls `check` every 50 ms until it holds, for at most `limit`: a condition, where a sleep
/// would guess how long something takes.
pub async fn eventually<F, Fut>(limit: std::time::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// How many sessions the simulator (in this process) holds open.
pub async fn active_sessions(sim: &SimHandle) -> usize {
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    aws_sdk_ssm::Client::new(&config)
        .describe_sessions()
        .state(aws_sdk_ssm::types::SessionState::Active)
        .send()
        .await
        .expect("DescribeSessions")
        .sessions()
        .len()
}

/// The simulator's record of a session: its DescribeSessions status, active or in the
/// history (empty when it has none).
pub async fn status_of(sim: &SimHandle, session_id: &str) -> String {
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    session_status(&aws_sdk_ssm::Client::new(&config), session_id).await
}

/// What `ssm` (a simulator's) says of a session: its status, active or in the history.
pub async fn session_status(ssm: &aws_sdk_ssm::Client, session_id: &str) -> String {
    for state in [
        aws_sdk_ssm::types::SessionState::Active,
        aws_sdk_ssm::types::SessionState::History,
    ] {
        let by_id = aws_sdk_ssm::types::SessionFilter::builder()
            .key(aws_sdk_ssm::types::SessionFilterKey::SessionId)
            .value(session_id)
            .build()
            .expect("a filter");
        let sessions = ssm
            .describe_sessions()
            .state(state)
            .filters(by_id)
            .send()
            .await
            .expect("DescribeSessions");
        if let Some(session) = sessions
            .sessions()
            .iter()
            .find(|s| s.session_id() == Some(session_id))
        {
            return session
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
        }
    }
    String::new()
}

/// The AWS CLI's argv for its plugin (`session-manager-plugin RESPONSE REGION StartSession
/// PROFILE REQUEST ENDPOINT`), after a StartSession of its own against `sim`; and the session's
/// token (for the tests that it is never written anywhere).
pub async fn plugin_args(
    sim: &SimHandle,
    target: &str,
    document: &str,
    parameters: &[(&str, &str)],
) -> (Vec<String>, String) {
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let mut request = ssm.start_session().target(target).document_name(document);
    for (name, value) in parameters {
        request = request.parameters(*name, vec![(*value).to_owned()]);
    }
    let started = request.send().await.expect("StartSession");
    let response = serde_json::json!({
        "SessionId": started.session_id(),
        "StreamUrl": started.stream_url(),
        "TokenValue": started.token_value(),
    });
    let parameter_json: serde_json::Map<String, serde_json::Value> = parameters
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::json!([v])))
        .collect();
    let request = serde_json::json!({
        "Target": target,
        "DocumentName": document,
        "Parameters": parameter_json,
    });
    let args = vec![
        "session-manager-plugin".to_owned(),
        response.to_string(),
        "us-east-1".to_owned(),
        "StartSession".to_owned(),
        String::new(),
        request.to_string(),
        sim.endpoint_url(),
    ];
    let token = started.token_value().unwrap_or_default().to_owned();
    (args, token)
}

/// Runs `scripts/check_shapes.py` (botocore's models against the simulator's answers) with
/// `args`, and asserts every check passed (the test command installs botocore).
pub async fn check_shapes(args: &[String]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check_shapes.py");
    let output = sealed(&mut Command::new("python3"))
        .arg(script)
        .args(args)
        .output()
        .await
        .expect("python3 runs (the test command installs botocore)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
