//! What the test binaries share: the in-process simulator with the demo fleet, demo instance
//! ids by name, and a loopback echo server.

#![allow(dead_code)] // each binary uses its own part

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
    command
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
/// and tmux are found by it) and the locale; HOME is a fresh directory of this call's own (a configuration, credentials or a log of another test, or
/// of the person running them, is never read); no `AWS_*` variable is inherited, so each
/// test says exactly which it sets.
pub fn sealed(command: &mut Command) -> &mut Command {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static HOMES: AtomicUsize = AtomicUsize::new(0);
    let home = std::env::temp_dir().join("bosun-tests").join(format!(
        "{}-{}",
        std::process::id(),
        HOMES.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&home).expect("a home for the test");
    command.env_clear();
    for kept in ["PATH", "LANG", "LC_ALL", "TMPDIR"] {
        if let Ok(value) = std::env::var(kept) {
            command.env(kept, value);
        }
    }
    // No XDG variable comes through either: configuration, state and caches live under this
    // HOME (or under whatever HOME or XDG directory a test sets after this).
    command.env("HOME", &home)
}
