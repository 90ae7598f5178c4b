//! bosun as the AWS CLI's `session-manager-plugin`, against the simulator: port forwarding to
//! the instance, to a remote host and to a Unix socket with concurrent connections
//! byte-exact, the official plugin's console lines in order, a local port already in use,
//! commands with their exit codes, and Ctrl-C right after a connection closes. Both the AWS
//! CLI (which passes the StartSession response through the environment) and the argv form
//! driven directly.

mod common;

use std::process::Stdio;
use std::time::Duration;

use bosun::sim::SimHandle;
use common::{aws_cli, demo_id, echo_server, plugin_on_path, start_sim, status_of};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdout, Command};

/// `aws …` against the simulator with any key (its in-process simulator takes any).
fn aws(sim: &SimHandle, path: &str, args: &[&str]) -> Command {
    aws_cli(sim, ("AKIDCLI", "secret"), path, args)
}

/// `aws ssm start-session` of `document` on the demo instance `name`, running.
fn start_session_cli(
    sim: &SimHandle,
    path: &str,
    name: &str,
    document: &str,
    parameters: &str,
) -> Child {
    aws(
        sim,
        path,
        &[
            "ssm",
            "start-session",
            "--target",
            &demo_id(name),
            "--document-name",
            document,
            "--parameters",
            parameters,
        ],
    )
    .spawn()
    .expect("the AWS CLI is installed (pip install awscli)")
}

/// Ctrl-C as a terminal sends it: to the whole foreground process group.
fn interrupt(child: &Child) {
    let pid = child.id().expect("running") as i32;
    let group = rustix::process::Pid::from_raw(pid).expect("a pid");
    rustix::process::kill_process_group(group, rustix::process::Signal::INT).expect("signal");
}

/// Sends `size` patterned bytes through `stream` and checks they come back byte-exact.
async fn echo_through<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: S,
    size: usize,
    seed: u8,
) {
    let data: Vec<u8> = (0..size)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    let (mut read, mut write) = tokio::io::split(stream);
    let sent = data.clone();
    let writer = tokio::spawn(async move {
        write.write_all(&sent).await.expect("write");
        write
    });
    let mut back = vec![0u8; size];
    tokio::time::timeout(Duration::from_secs(30), read.read_exact(&mut back))
        .await
        .expect("echo in time")
        .expect("read back");
    assert!(back == data, "byte-exact ({size} bytes, seed {seed})");
    drop(writer.await.expect("writer"));
}

/// Reads stdout up to and including `wanted`, returning everything read.
async fn read_until(stdout: &mut BufReader<ChildStdout>, wanted: &str) -> String {
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while !seen.contains(wanted) {
            let mut line = String::new();
            if stdout.read_line(&mut line).await.expect("read") == 0 {
                break;
            }
            seen.push_str(&line);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{wanted:?} in time; saw {seen:?}"));
    assert!(seen.contains(wanted), "{wanted:?} in {seen:?}");
    seen
}

/// The port in "Port N opened for sessionId S.", and S.
fn opened(text: &str) -> (u16, String) {
    let line = text
        .lines()
        .find(|l| l.starts_with("Port "))
        .unwrap_or_else(|| panic!("a port line in {text:?}"));
    let mut words = line.split_whitespace();
    let port = words.nth(1).and_then(|p| p.parse().ok()).expect("a port");
    let session = line
        .rsplit(' ')
        .next()
        .map(|s| s.trim_end_matches('.').to_owned())
        .expect("a session id");
    (port, session)
}

/// Finishes a child: stdout's rest, stderr, and the exit status.
async fn finish(mut child: Child, mut stdout: BufReader<ChildStdout>) -> (i32, String, String) {
    let mut rest = String::new();
    let mut err = String::new();
    let mut stderr = child.stderr.take().expect("stderr");
    let status = tokio::time::timeout(Duration::from_secs(20), async {
        let (_, _, status) = tokio::join!(
            stdout.read_to_string(&mut rest),
            stderr.read_to_string(&mut err),
            child.wait()
        );
        status
    })
    .await
    .expect("exits in time")
    .expect("status");
    (status.code().unwrap_or(-1), rest, err)
}

/// Port forwarding to the instance through the AWS CLI: the official lines in order, eight
/// connections at once byte-exact, one "Connection accepted" line, and Ctrl-C ends the
/// session on both sides.
#[tokio::test]
async fn the_aws_cli_forwards_a_port_through_bosun_with_the_plugins_lines() {
    let sim = start_sim().await;
    let (_bin, path) = plugin_on_path();
    let echo = echo_server().await.to_string();
    let parameters = format!(r#"{{"portNumber":["{echo}"],"localPortNumber":["0"]}}"#);
    let mut child = start_session_cli(
        &sim,
        &path,
        "payments-api-1",
        "AWS-StartPortForwardingSession",
        &parameters,
    );
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let head = read_until(&mut stdout, "Waiting for connections...\n").await;
    let (port, session_id) = opened(&head);
    assert_eq!(
        head,
        format!(
            "\nStarting session with SessionId: {session_id}\n\
             Port {port} opened for sessionId {session_id}.\nWaiting for connections...\n"
        )
    );
    let local = format!("127.0.0.1:{port}");
    let connections: Vec<_> = (0..8u8)
        .map(|n| {
            let local = local.clone();
            tokio::spawn(async move {
                let stream = TcpStream::connect(&local).await.expect("connect");
                echo_through(stream, 256 * 1024, n).await;
            })
        })
        .collect();
    for connection in connections {
        connection.await.expect("echoed");
    }
    let accepted = read_until(&mut stdout, "]\n").await;
    assert_eq!(
        accepted,
        format!("\nConnection accepted for session [{session_id}]\n")
    );
    assert_eq!(status_of(&sim, &session_id).await, "Connected");
    interrupt(&child);
    let (code, rest, stderr) = finish(child, stdout).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        rest,
        format!(
            "Terminate signal received, exiting.\n\n\nExiting session with sessionId: {session_id}.\n\n"
        ),
        "no second Connection accepted line, then the exit lines"
    );
    assert_eq!(status_of(&sim, &session_id).await, "Terminated");
}

/// To a remote host behind the instance, and to a Unix socket the session names.
#[tokio::test]
async fn the_plugin_forwards_to_a_remote_host_and_listens_on_a_unix_socket() {
    let sim = start_sim().await;
    let (_bin, path) = plugin_on_path();
    let echo = echo_server().await.to_string();
    let parameters = format!(r#"{{"host":["127.0.0.1"],"portNumber":["{echo}"]}}"#);
    let mut child = start_session_cli(
        &sim,
        &path,
        "payments-bastion",
        "AWS-StartPortForwardingSessionToRemoteHost",
        &parameters,
    );
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let head = read_until(&mut stdout, "Waiting for connections...\n").await;
    let (port, _) = opened(&head);
    let connections: Vec<_> = (0..8u8)
        .map(|n| {
            tokio::spawn(async move {
                let stream = TcpStream::connect(("127.0.0.1", port))
                    .await
                    .expect("connect");
                echo_through(stream, 128 * 1024, n).await;
            })
        })
        .collect();
    for connection in connections {
        connection.await.expect("echoed");
    }
    interrupt(&child);
    let (code, _, stderr) = finish(child, stdout).await;
    assert_eq!(code, 0, "{stderr}");

    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("db.sock");
    let parameters = format!(
        r#"{{"portNumber":["{echo}"],"localUnixSocket":["{}"]}}"#,
        socket.display()
    );
    let mut child = start_session_cli(
        &sim,
        &path,
        "payments-api-1",
        "Custom-StartPortForwardingSessionToSocket",
        &parameters,
    );
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let head = read_until(&mut stdout, "Waiting for connections...\n").await;
    assert!(
        head.contains(&format!(
            "Unix socket {} opened for sessionId",
            socket.display()
        )),
        "{head:?}"
    );
    let connections: Vec<_> = (0..4u8)
        .map(|n| {
            let socket = socket.clone();
            tokio::spawn(async move {
                let stream = tokio::net::UnixStream::connect(&socket)
                    .await
                    .expect("connect");
                echo_through(stream, 128 * 1024, n).await;
            })
        })
        .collect();
    for connection in connections {
        connection.await.expect("echoed");
    }
    interrupt(&child);
    let (code, _, stderr) = finish(child, stdout).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!socket.exists(), "the socket file is removed at the end");
}

/// A local port already in use: a clear line, a non-zero status, and no session left
/// running (the official plugin hangs here).
#[tokio::test]
async fn a_local_port_in_use_is_said_and_the_session_terminated() {
    let sim = start_sim().await;
    let (_bin, path) = plugin_on_path();
    let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let parameters = format!(r#"{{"portNumber":["22"],"localPortNumber":["{port}"]}}"#);
    let mut child = start_session_cli(
        &sim,
        &path,
        "payments-api-1",
        "AWS-StartPortForwardingSession",
        &parameters,
    );
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (code, out, stderr) = finish(child, stdout).await;
    assert_ne!(code, 0, "{out}");
    let session_id = out
        .lines()
        .find_map(|l| l.strip_prefix("Starting session with SessionId: "))
        .expect("the starting line")
        .to_owned();
    assert!(
        out.contains(&format!(
            "Cannot perform start session: cannot listen on 127.0.0.1:{port}"
        )),
        "{out} {stderr}"
    );
    assert_eq!(status_of(&sim, &session_id).await, "Terminated");
    drop(taken);
}

/// The argv form, driven directly: StartSession's answer on the command line.
async fn plugin_argv(
    sim: &SimHandle,
    target: &str,
    document: &str,
    parameters: &[(&str, &str)],
) -> Command {
    plugin_argv_with_token(sim, target, document, parameters)
        .await
        .0
}

/// The same, and the session's token (for the test that it is never written anywhere).
async fn plugin_argv_with_token(
    sim: &SimHandle,
    target: &str,
    document: &str,
    parameters: &[(&str, &str)],
) -> (Command, String) {
    let (args, token) = common::plugin_args(sim, target, document, parameters).await;
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    common::sealed(&mut command)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "AKIDCLI")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_ENDPOINT_URL", sim.endpoint_url())
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    (command, token)
}

/// Commands: NonInteractiveCommands' exit code is the plugin's; InteractiveCommands runs the
/// command on a terminal.
#[tokio::test]
async fn commands_run_with_their_exit_code() {
    let sim = start_sim().await;
    let target = demo_id("payments-api-1");
    let mut child = plugin_argv(
        &sim,
        &target,
        "AWS-StartNonInteractiveCommand",
        &[
            ("command", "echo done-$((40+2)); exit 3"),
            ("separateOutputStream", "true"),
        ],
    )
    .await
    .spawn()
    .expect("spawn");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (code, out, stderr) = finish(child, stdout).await;
    assert_eq!(code, 3, "{out} {stderr}");
    assert!(
        out.starts_with("\nStarting session with SessionId: "),
        "{out}"
    );
    assert!(out.contains("done-42"), "{out}");

    let mut child = plugin_argv(
        &sim,
        &target,
        "AWS-StartInteractiveCommand",
        &[("command", "echo interactive-$((6*7))")],
    )
    .await
    .spawn()
    .expect("spawn");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (code, out, stderr) = finish(child, stdout).await;
    assert_eq!(code, 0, "{out} {stderr}");
    assert!(out.contains("interactive-42"), "{out}");
    assert!(out.contains("Exiting session with sessionId:"), "{out}");
}

/// SIGTERM and SIGHUP, which kill the official plugin where it stands and leave its session
/// open: a port forward says the plugin's exit lines and ends the session (status 143), and a
/// shell session ends it too when its terminal hangs up (129).
#[tokio::test]
async fn sigterm_and_sighup_end_the_session_at_aws() {
    let sim = start_sim().await;
    let target = demo_id("payments-api-1");
    let echo = echo_server().await.to_string();
    let (child, stdout, _, session_id) = forwarding(&sim, &target, &echo).await;
    signal(&child, rustix::process::Signal::TERM);
    let (code, rest, stderr) = finish(child, stdout).await;
    assert_eq!(code, 143, "{stderr}");
    assert_eq!(
        rest,
        format!(
            "Terminate signal received, exiting.\n\n\nExiting session with sessionId: {session_id}.\n\n"
        )
    );
    assert_eq!(status_of(&sim, &session_id).await, "Terminated");

    let mut child = plugin_argv(&sim, &target, "SSM-SessionManagerRunShell", &[])
        .await
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"echo up-$((40+2))\n").await.expect("type");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let head = read_until(&mut stdout, "up-42").await;
    let session_id = head
        .split("Starting session with SessionId: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the session's id")
        .to_owned();
    signal(&child, rustix::process::Signal::HUP);
    let (code, _, stderr) = finish(child, stdout).await;
    assert_eq!(code, 129, "{stderr}");
    assert_eq!(status_of(&sim, &session_id).await, "Terminated");
    drop(stdin);
}

/// The plugin forwarding a local port to `port` on `target`, waiting for connections: the
/// plugin, its stdout, the local port and the session.
async fn forwarding(
    sim: &SimHandle,
    target: &str,
    port: &str,
) -> (Child, BufReader<ChildStdout>, u16, String) {
    let mut child = plugin_argv(
        sim,
        target,
        "AWS-StartPortForwardingSession",
        &[("portNumber", port), ("localPortNumber", "0")],
    )
    .await
    .spawn()
    .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let head = read_until(&mut stdout, "Waiting for connections...\n").await;
    let (local, session_id) = opened(&head);
    (child, stdout, local, session_id)
}

/// A signal to one process, as `kill` sends it.
fn signal(child: &Child, signal: rustix::process::Signal) {
    let pid = child.id().expect("running") as i32;
    let pid = rustix::process::Pid::from_raw(pid).expect("a pid");
    rustix::process::kill_process(pid, signal).expect("signal");
}

/// Ctrl-C right after a connection closes ends the session, every time (the official plugin
/// loses it about half the time when its TerminateSession flag races a stream close).
#[tokio::test]
async fn ctrl_c_right_after_a_connection_closes_ends_the_session_every_time() {
    let sim = start_sim().await;
    let target = demo_id("payments-api-1");
    let echo = echo_server().await.to_string();
    for round in 0..50u8 {
        let (child, stdout, port, session_id) = forwarding(&sim, &target, &echo).await;
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        echo_through(stream, 4 * 1024, round).await; // and closed
        interrupt(&child);
        let (code, rest, stderr) = finish(child, stdout).await;
        assert_eq!(code, 0, "round {round}: {stderr}");
        assert!(
            rest.ends_with(&format!(
                "Exiting session with sessionId: {session_id}.\n\n"
            )),
            "round {round}: {rest:?}"
        );
        assert_eq!(
            status_of(&sim, &session_id).await,
            "Terminated",
            "round {round}"
        );
    }
}

/// An agent older than 3.0.196.0 cannot multiplex: one connection at a time, and the
/// official plugin's basic-mode lines (a newline after the port line, no "Waiting", the
/// accepted line without brackets).
#[tokio::test]
async fn an_old_agent_gets_basic_port_forwarding_and_its_lines() {
    let sim = start_sim().await;
    let echo = echo_server().await.to_string();
    let mut child = plugin_argv(
        &sim,
        &demo_id("platform-legacy-build"),
        "AWS-StartPortForwardingSession",
        &[("portNumber", &echo), ("localPortNumber", "0")],
    )
    .await
    .spawn()
    .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let head = read_until(&mut stdout, " opened for sessionId ").await;
    let (port, session_id) = opened(&head);
    assert_eq!(
        head,
        format!(
            "\nStarting session with SessionId: {session_id}\nPort {port} opened for sessionId {session_id}.\n"
        )
    );
    for round in 0..3u8 {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        echo_through(stream, 64 * 1024, round).await;
    }
    let accepted = read_until(&mut stdout, "\n").await;
    assert_eq!(
        accepted,
        format!("Connection accepted for session {session_id}.\n")
    );
    interrupt(&child);
    let (code, rest, stderr) = finish(child, stdout).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        rest,
        format!(
            "Terminate signal received, exiting.\n\n\nExiting session with sessionId: {session_id}.\n\n"
        )
    );
}

/// Runs a shell command, types `line` into it, ends its input, and checks that it exited
/// 0 having printed `expect`; returns all it printed.
async fn type_a_line(mut command: Command, line: &str, expect: &str) -> String {
    let mut child = command.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{line}\n").as_bytes())
        .await
        .expect("type");
    drop(stdin);
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (code, out, err) = finish(child, stdout).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(expect), "{out}");
    out + &err
}

/// Plugin mode follows a session the service moves to another cell at every resume: a
/// command that outlasts several moves prints its answer, and no old cell is dialled.
#[tokio::test]
async fn a_plugin_shell_follows_its_session_from_cell_to_cell() {
    let sim = start_sim().await;
    sim.set_faults(
        bosun::sim::Faults::parse("drop_after_secs=1,resume_moves_cell=1").expect("spec"),
    );
    let mut command = plugin_argv(
        &sim,
        &demo_id("payments-api-1"),
        "SSM-SessionManagerRunShell",
        &[],
    )
    .await;
    let mut child = command.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdin
        .write_all(b"sleep 4; echo moved-$((6*7))\n")
        .await
        .expect("type");
    read_until(&mut stdout, "moved-42").await;
    let count = |name: &str| sim.request_counts().get(name).copied().unwrap_or(0);
    assert!(
        count("ssm:ResumeSession") >= 2,
        "{:?}",
        sim.request_counts()
    );
    assert_eq!(count("moved_cell_refused"), 0, "an old cell was dialled");
    stdin.write_all(b"exit\n").await.expect("type");
    drop(stdin);
    let (code, _, err) = finish(child, stdout).await;
    assert_eq!(code, 0, "{err}");
}

/// The AWS CLI asking a new agent (3.3.4851.0 and later) for remote-host forwarding to
/// loopback, as many scripts do: the simulated agent refuses it as the real one does (the
/// session opens, then ends with the agent's words), and plugin mode says so as the plugin
/// does.
#[tokio::test]
async fn a_new_agent_refuses_remote_host_forwarding_to_loopback() {
    let sim = start_sim().await;
    let target = demo_id("payments-api-1");
    sim.set_agent_version(&target, "3.3.5068.0");
    let port = echo_server().await.to_string();
    let mut child = plugin_argv(
        &sim,
        &target,
        "AWS-StartPortForwardingSessionToRemoteHost",
        &[
            ("host", "127.0.0.1"),
            ("portNumber", &port),
            ("localPortNumber", "0"),
        ],
    )
    .await
    .spawn()
    .expect("spawn");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (_, out, err) = finish(child, stdout).await;
    let said = format!("{out}{err}");
    assert!(
        said.contains(" : Forwarding to IP address 127.0.0.1 is forbidden.\n"),
        "the plugin's line for a close with the service's words: {said}"
    );
    assert!(!said.contains("Exiting session"), "{said}");
    assert_eq!(sim.request_counts().get("forward_refused"), Some(&1));
}

/// `BOSUN_LOG=trace`, what a person sets to attach a log to a bug report, writes no secret:
/// not the session token, not the secret key, not what is typed into a shell (a KMS session
/// among them), not a tunnel's bytes, in any file bosun wrote or anything it printed.
#[tokio::test]
async fn trace_logs_carry_no_secrets() {
    const SECRET_KEY: &str = "SECRETKEY-zq8w";
    const TYPED: &str = "hunter2-typed-zq8w";
    const CARRIED: &[u8] = b"tunnel-payload-zq8w";
    let sim = start_sim().await;
    let state = tempfile::tempdir().expect("tempdir");
    let traced = |command: &mut Command| {
        common::sealed(command)
            .env("BOSUN_LOG", "trace")
            .env("HOME", state.path())
            .env("XDG_STATE_HOME", state.path())
            .env("AWS_ACCESS_KEY_ID", "AKIDTRACE")
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", sim.endpoint_url());
    };
    let mut printed = String::new();

    // The plugin, a shell typed into.
    let (mut command, token) = plugin_argv_with_token(
        &sim,
        &demo_id("payments-api-1"),
        "SSM-SessionManagerRunShell",
        &[],
    )
    .await;
    traced(&mut command);
    printed.push_str(
        &type_a_line(
            command,
            &format!("echo {TYPED} >/dev/null; echo done-$((40+2))"),
            "done-42",
        )
        .await,
    );

    // bosun shell into an instance whose sessions are KMS-encrypted.
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command
        .args(["shell", "platform-vault-1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    traced(&mut command);
    printed.push_str(
        &type_a_line(
            command,
            &format!("echo {TYPED} >/dev/null; echo vault-$((40+2))"),
            "vault-42",
        )
        .await,
    );

    // bosun tunnel carrying known bytes.
    let echo = echo_server().await.to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command
        .args(["tunnel", "payments-api-1", "--remote-port", &echo])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    traced(&mut command);
    let mut child = command.spawn().expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let line = read_until(&mut stdout, "\n").await;
    let local = line
        .trim_start_matches("Listening on ")
        .split_whitespace()
        .next()
        .expect("an address")
        .to_owned();
    let mut stream = TcpStream::connect(&local).await.expect("connect");
    stream.write_all(CARRIED).await.expect("write");
    let mut back = vec![0u8; CARRIED.len()];
    stream.read_exact(&mut back).await.expect("echo");
    assert_eq!(back, CARRIED);
    drop(stream);
    interrupt(&child);
    let (_, out, err) = finish(child, stdout).await;
    printed.push_str(&out);
    printed.push_str(&err);

    let mut written = String::new();
    let mut files = 0;
    let mut dirs = vec![state.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
                assert_eq!(mode & 0o077, 0, "{} is the user's alone", path.display());
                files += 1;
                written.push_str(&String::from_utf8_lossy(
                    &std::fs::read(&path).expect("readable"),
                ));
            }
        }
    }
    assert!(files > 0 && written.len() > 1000, "trace logs were written");
    let carried = String::from_utf8_lossy(CARRIED).into_owned();
    for (what, secret) in [
        ("the session token", token.as_str()),
        ("the secret key", SECRET_KEY),
        ("typed keystrokes", TYPED),
        ("a tunnel's bytes", carried.as_str()),
    ] {
        assert!(!written.contains(secret), "{what} in the logs");
        assert!(
            !printed.contains(secret) || what == "typed keystrokes",
            "{what} printed"
        );
    }
}
