//! The command-line tools as a user runs them: the real `bosun` binary against an in-process
//! simulator — `bosun shell`, `bosun run` (blast radius, confirmation, results, exit status),
//! `bosun tunnel` (mux, basic, remote host, a closed port) and `bosun proxy`.

mod common;

use std::time::Duration;

use bosun::sim::SimHandle;
use common::{aws_cli, bosun, demo_id, echo_server, finish, plugin_on_path, start_sim};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

#[tokio::test]
async fn shell_by_name_with_piped_stdin() {
    let sim = start_sim().await;
    let mut child = bosun(&sim)
        .args(["shell", "payments-api-1"])
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo hi-$((1+1)) on $INSTANCE_ID\n")
        .await
        .expect("write");
    drop(stdin);
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("hi-2 on {}", demo_id("payments-api-1"))),
        "{stdout}"
    );
}

/// `bosun shell --record FILE` writes what the instance sent as asciicast v2, readable by
/// the user alone; a path that cannot be written is refused before any session starts.
#[tokio::test]
async fn shell_records_the_session_to_an_asciicast_file() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let cast = dir.path().join("incident.cast");
    let mut child = bosun(&sim)
        .args(["shell", "payments-api-1", "--record"])
        .arg(&cast)
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo rec-$((6*7))\n")
        .await
        .expect("write");
    drop(stdin);
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("rec-42"), "{stdout}");
    let text = std::fs::read_to_string(&cast).expect("the recording");
    let mut lines = text.lines();
    let header: serde_json::Value =
        serde_json::from_str(lines.next().expect("header")).expect("JSON");
    assert_eq!(header["version"], 2);
    assert!(
        header["title"]
            .as_str()
            .is_some_and(|t| t.contains("payments-api-1")),
        "{header}"
    );
    let output: String = lines
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("an event"))
        .filter(|event| event[1] == "o")
        .map(|event| event[2].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(output.contains("rec-42"), "{output}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cast).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }

    let before = sim.request_counts().get("ssm:StartSession").copied();
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args([
                "shell",
                "payments-api-1",
                "--record",
                "/nonexistent/dir/x.cast",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cannot record to /nonexistent/dir/x.cast"),
        "{stderr}"
    );
    assert_eq!(
        sim.request_counts().get("ssm:StartSession").copied(),
        before,
        "no session for a recording that cannot be written"
    );
}

#[tokio::test]
async fn shell_returns_the_remote_exit_code_when_known() {
    let sim = start_sim().await;
    let child = bosun(&sim)
        .args([
            "shell",
            &demo_id("data-etl-1"),
            "--document",
            "AWS-StartNonInteractiveCommand",
            "--param",
            "command=echo out; exit 7",
        ])
        .spawn()
        .expect("spawn");
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 7);
    assert!(
        stdout.starts_with("out\n"),
        "stdout is the remote's alone: {stdout}"
    );
    assert!(
        stderr.starts_with("Starting session with SessionId: "),
        "which session to look up: {stderr}"
    );
}

#[tokio::test]
async fn shell_explains_bad_targets_and_read_only() {
    let sim = start_sim().await;
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["shell", "no-such-box"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(
        code, 2,
        "a name that names nothing was asked wrongly, as for bosun run"
    );
    assert!(
        stderr.contains("no instance is named \"no-such-box\""),
        "{stderr}"
    );
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["shell", "payments-api-3"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 255);
    assert!(stderr.contains("TargetNotConnected"), "{stderr}");
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["--read-only", "shell", "payments-api-1"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("--read-only"), "{stderr}");
}

#[tokio::test]
async fn run_shows_the_blast_radius_and_reports_every_instance() {
    let sim = start_sim().await;
    let child = bosun(&sim)
        .args([
            "run",
            "--tag",
            "Team=payments",
            "--yes",
            "--",
            "echo",
            "hello from $INSTANCE_ID",
        ])
        .spawn()
        .expect("spawn");
    let (code, stdout, stderr) = finish(child).await;
    assert!(
        stderr.contains("Runs as root on 6 instances in us-east-1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("environments: production 5, staging 1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("offline, will be Undeliverable: 1 (payments-api-3"),
        "{stderr}"
    );
    let api1 = demo_id("payments-api-1");
    assert!(
        stdout.contains(&format!("== payments-api-1 ({api1}): Success exit 0")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("   hello from {api1}")),
        "{stdout}"
    );
    assert!(stdout.contains("Failed (Undeliverable)"), "{stdout}");
    assert!(
        stdout.contains("6 instances: 5 Success, 1 Undeliverable"),
        "{stdout}"
    );
    assert_eq!(code, 1, "not every invocation succeeded");
}

#[tokio::test]
async fn run_refuses_without_confirmation_or_under_read_only() {
    let sim = start_sim().await;
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["run", "--tag", "Team=web", "--", "reboot"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("pass --yes"), "{stderr}");
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args([
                "--read-only",
                "run",
                "--tag",
                "Team=web",
                "--yes",
                "--",
                "reboot",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("--read-only"), "{stderr}");
    assert_eq!(
        sim.request_counts().get("ssm:SendCommand"),
        None,
        "nothing was sent"
    );
}

/// Impossible paces are refused before anything is sent, each with what was wrong and what
/// was given; AWS's own limits (100 %, MaxErrors 0) pass.
#[tokio::test]
async fn run_refuses_impossible_timeouts_and_limits_before_sending() {
    let sim = start_sim().await;
    for (flag, value, said) in [
        ("--timeout", "0", "timeout: 1 to 172800 seconds, not 0"),
        ("--timeout", "172801", "not 172801"),
        ("--max-concurrency", "0", "max concurrency: a number from 1"),
        ("--max-concurrency", "0%", "not \"0%\""),
        (
            "--max-errors",
            "101%",
            "max errors: a number from 0, or a percentage up to 100%",
        ),
        ("--max-errors", "-1", "not \"-1\""),
    ] {
        let (code, _, stderr) = finish(
            bosun(&sim)
                .args(["run", "--instance", "i-03f1a2b3c4d5e1111", "--yes"])
                .arg(format!("{flag}={value}"))
                .args(["--", "uptime"])
                .spawn()
                .expect("spawn"),
        )
        .await;
        assert_eq!(code, 2, "{flag} {value}: {stderr}");
        assert!(stderr.contains(said), "{flag} {value}: {stderr}");
    }
    assert_eq!(
        sim.request_counts().get("ssm:SendCommand"),
        None,
        "nothing was sent"
    );
    let (code, stdout, stderr) = finish(
        bosun(&sim)
            .args(["run", "--instance", "i-03f1a2b3c4d5e1111", "--yes"])
            .args(["--max-concurrency", "100%", "--max-errors", "0"])
            .args(["--", "uptime"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
}

/// `bosun run` takes the console's options: another document with its parameters, and S3 and
/// CloudWatch output, named in the blast radius and sent with the command.
#[tokio::test]
async fn run_takes_a_document_with_parameters_and_output_destinations() {
    let sim = start_sim().await;
    let child = bosun(&sim)
        .args([
            "run",
            "--instance",
            &demo_id("web-frontend-1"),
            "--document",
            "AWS-RunShellScript",
            "--parameter",
            "commands=echo first,echo second",
            "--output-s3-bucket-name",
            "bosun-run-logs",
            "--output-s3-key-prefix",
            "fleet/",
            "--cloudwatch-log-group",
            "/bosun/runs",
            "--json",
            "--yes",
        ])
        .spawn()
        .expect("spawn");
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("command: AWS-RunShellScript commands=echo first,echo second"),
        "{stderr}"
    );
    assert!(
        stderr.contains("output: s3://bosun-run-logs/fleet/, CloudWatch Logs /bosun/runs"),
        "{stderr}"
    );
    let first: serde_json::Value =
        serde_json::from_str(stdout.lines().next().expect("a line")).expect("json");
    assert_eq!(first["output"], "first\nsecond\n");

    // Parameters without the document they belong to are refused before anything is sent.
    let child = bosun(&sim)
        .args(["run", "--tag", "Team=web", "--yes", "--parameter", "a=b"])
        .spawn()
        .expect("spawn");
    let (code, _, stderr) = finish(child).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("name it with --document"), "{stderr}");
}

#[tokio::test]
async fn run_json_prints_one_object_a_line() {
    let sim = start_sim().await;
    let child = bosun(&sim)
        .args([
            "run",
            "--instance",
            &demo_id("web-frontend-1"),
            "--instance",
            &demo_id("web-frontend-2"),
            "--json",
            "--yes",
            "--",
            "exit 3",
        ])
        .spawn()
        .expect("spawn");
    let (code, stdout, _) = finish(child).await;
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    // Each instance, then one group (both came to the same result), then the summary.
    assert_eq!(lines.len(), 4);
    assert!(
        lines[..2]
            .iter()
            .all(|l| l["status"] == "Failed" && l["exit_code"] == 3)
    );
    assert_eq!(lines[2]["type"], "group");
    assert_eq!(lines[2]["count"], 2);
    assert_eq!(lines[2]["exit_code"], 3);
    assert_eq!(lines[3]["summary"]["Failed"], 2);
}

/// `bosun run` ends with the fleet's answer at a glance: one group per distinct result,
/// biggest first, the odd one out visibly apart, its output once; `--json` says the same.
#[tokio::test]
async fn run_groups_the_results_and_the_odd_one_stands_out() {
    let sim = start_sim().await;
    let odd = demo_id("payments-api-2");
    let script =
        format!("if [ \"$INSTANCE_ID\" = {odd} ]; then echo inactive; exit 3; fi; echo active");
    let (code, stdout, _) = finish(
        bosun(&sim)
            .args(["run", "--tag", "Team=payments", "--yes", "--"])
            .arg(&script)
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 1, "{stdout}");
    let at = stdout
        .find("6 instances, 3 different results:")
        .expect("the groups");
    let groups = &stdout[at..];
    assert!(
        groups.contains("-- 4 × Success exit 0: payments-api-1, payments-api-staging, payments-bastion, payments-worker-1\n   active\n"),
        "{groups}"
    );
    assert!(
        groups.contains("-- 1 × Failed exit 3: payments-api-2\n   inactive\n"),
        "{groups}"
    );
    assert!(
        groups.contains("-- 1 × Undeliverable: payments-api-3"),
        "{groups}"
    );
    let first_group = groups.find("-- 4").expect("the big group");
    assert!(
        first_group < groups.find("-- 1 ×").expect("small ones"),
        "biggest first"
    );

    let (_, stdout, _) = finish(
        bosun(&sim)
            .args(["run", "--tag", "Team=payments", "--yes", "--json", "--"])
            .arg(&script)
            .spawn()
            .expect("spawn"),
    )
    .await;
    let groups: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|l| l["type"] == "group")
        .collect();
    assert_eq!(groups.len(), 3);
    assert_eq!(groups[0]["count"], 4);
    assert_eq!(groups[0]["output"], "active");
    let failed = groups
        .iter()
        .find(|g| g["exit_code"] == 3)
        .expect("the odd one's group");
    assert_eq!(failed["instances"], serde_json::json!([odd]));
    assert_eq!(failed["output"], "inactive");
}

/// Starts `bosun tunnel` and returns it with the local address it printed.
async fn tunnel(sim: &SimHandle, args: &[&str]) -> (Child, String) {
    let mut child = bosun(sim).arg("tunnel").args(args).spawn().expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("listening in time")
    .expect("line");
    // Keep the tunnel's stderr visible in the test output (it explains drops and restarts).
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[tunnel] {line}");
            }
        });
    }
    let local = line
        .strip_prefix("Listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, local)
}

async fn echo_through(local: &str, size: usize, seed: u8) -> Vec<u8> {
    let mut stream = TcpStream::connect(local).await.expect("connect");
    let payload: Vec<u8> = (0..size)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    let (mut read, mut write) = stream.split();
    let sent = payload.clone();
    let writer = async move {
        write.write_all(&sent).await.expect("write");
    };
    let mut echoed = vec![0u8; size];
    let reader = async { read.read_exact(&mut echoed).await.expect("read echo") };
    tokio::join!(writer, reader);
    assert!(echoed == payload, "byte-exact");
    echoed
}

#[tokio::test]
async fn a_tunnel_carries_concurrent_connections_and_one_to_a_closed_port_fails_alone() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    let (mut child, local) = tunnel(&sim, &["payments-api-1", "--remote-port", &port]).await;
    assert!(local.starts_with("127.0.0.1:"), "{local}");
    let mut connections = Vec::new();
    for n in 0..8u8 {
        let local = local.clone();
        connections.push(tokio::spawn(async move {
            echo_through(&local, 512 * 1024, n).await
        }));
    }
    for connection in connections {
        tokio::time::timeout(Duration::from_secs(30), connection)
            .await
            .expect("in time")
            .expect("echoed");
    }

    // A second tunnel, to a port nobody listens on (bound here and held, never listening, so
    // no one else takes it): its connections fail on their own, quickly, and the first
    // tunnel's go on.
    let closed = tokio::net::TcpSocket::new_v4().expect("socket");
    closed
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let closed_port = closed.local_addr().expect("addr").port().to_string();
    let (mut dead, dead_local) =
        tunnel(&sim, &["payments-api-1", "--remote-port", &closed_port]).await;
    let mut stream = TcpStream::connect(&dead_local)
        .await
        .expect("connect locally");
    let _ = stream.write_all(b"hello?").await;
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer))
        .await
        .expect("closed in time");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // The first tunnel is unaffected.
    echo_through(&local, 64 * 1024, 9).await;
    drop(closed);
    let _ = dead.start_kill();
    let _ = child.start_kill();
}

/// An old agent's basic mode carries one connection at a time: a second connection opened
/// while the first is open is not served until the first closes, then it is.
#[tokio::test]
async fn a_tunnel_through_an_old_agent_uses_basic_mode_one_connection_at_a_time() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    let (mut child, local) = tunnel(&sim, &["platform-legacy-build", "--remote-port", &port]).await;
    echo_through(&local, 256 * 1024, 1).await;
    let mut first = TcpStream::connect(&local).await.expect("first");
    first.write_all(b"first").await.expect("write");
    let mut buffer = [0u8; 5];
    tokio::time::timeout(Duration::from_secs(10), first.read_exact(&mut buffer))
        .await
        .expect("the first is served")
        .expect("read");
    assert_eq!(&buffer, b"first");
    let mut second = TcpStream::connect(&local).await.expect("second");
    second.write_all(b"again").await.expect("write");
    // The first keeps being served, round trip after round trip, while the second (written
    // before them) gets nothing: measured in the tunnel's own progress, not in seconds.
    for round in 0..50u32 {
        let ping = format!("p{round:04}");
        first.write_all(ping.as_bytes()).await.expect("write");
        tokio::time::timeout(Duration::from_secs(10), first.read_exact(&mut buffer))
            .await
            .expect("the first is still served")
            .expect("read");
        assert_eq!(&buffer, ping.as_bytes());
        let mut peek = [0u8; 5];
        match second.try_read(&mut peek) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("the second was answered while the first is open: {other:?}"),
        }
    }
    drop(first);
    tokio::time::timeout(Duration::from_secs(10), second.read_exact(&mut buffer))
        .await
        .expect("served once the first closed")
        .expect("read");
    assert_eq!(&buffer, b"again");
    let _ = child.start_kill();
}

/// SIGTERM and SIGHUP end a tunnel's session at AWS, not only the process, with the signal
/// death's status.
#[tokio::test]
async fn a_signal_ends_the_tunnels_session_at_aws() {
    let sim = start_sim().await;
    let echo = common::echo_server().await.to_string();
    for (signal, status) in [
        (rustix::process::Signal::TERM, 143),
        (rustix::process::Signal::HUP, 129),
    ] {
        let (mut child, local) = tunnel(&sim, &["payments-api-1", "--remote-port", &echo]).await;
        let mut stream = TcpStream::connect(&local).await.expect("connect");
        stream.write_all(b"ping").await.expect("write");
        let mut buffer = [0u8; 4];
        stream.read_exact(&mut buffer).await.expect("echoed");
        let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
        let active = aws_sdk_ssm::Client::new(&config)
            .describe_sessions()
            .state(aws_sdk_ssm::types::SessionState::Active)
            .send()
            .await
            .expect("DescribeSessions");
        let session_id = active.sessions()[0].session_id().expect("an id").to_owned();
        let pid =
            rustix::process::Pid::from_raw(child.id().expect("running") as i32).expect("a pid");
        rustix::process::kill_process(pid, signal).expect("signal");
        let exited = tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("exits")
            .expect("status");
        assert_eq!(exited.code(), Some(status), "{signal:?}");
        assert_eq!(common::status_of(&sim, &session_id).await, "Terminated");
    }
}

#[tokio::test]
async fn a_tunnel_reaches_the_database_behind_the_bastion() {
    let sim = start_sim().await;
    let (mut child, local) = tunnel(
        &sim,
        &[
            "payments-bastion",
            "--remote-host",
            "payments-db.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com",
            "--remote-port",
            "5432",
            "--local-port",
            "0",
        ],
    )
    .await;
    let stream = TcpStream::connect(&local).await.expect("connect");
    let mut lines = BufReader::new(stream).lines();
    let banner = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("banner in time")
        .expect("read");
    assert_eq!(
        banner.as_deref(),
        Some("payments-db.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com ready (simulated by bosun)")
    );
    let _ = child.start_kill();
}

#[tokio::test]
async fn proxy_carries_an_ssh_like_exchange_byte_exact() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    let mut child = bosun(&sim)
        .args(["proxy", "payments-api-2", &port])
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut exchange = b"SSH-2.0-OpenSSH_9.6\r\n".to_vec();
    exchange.extend((0..=255u8).cycle().take(200_000));
    exchange.push(b'\n');
    let writer = tokio::spawn({
        let exchange = exchange.clone();
        async move {
            stdin.write_all(&exchange).await.expect("write");
            stdin
        }
    });
    let mut echoed = vec![0u8; exchange.len()];
    tokio::time::timeout(Duration::from_secs(20), stdout.read_exact(&mut echoed))
        .await
        .expect("in time")
        .expect("read");
    assert!(echoed == exchange, "byte-exact");
    drop(writer.await.expect("writer"));
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert!(status.success());
}

/// The AWS CLI works against the simulator unchanged, and runs its sessions through bosun
/// when bosun is on PATH as `session-manager-plugin` (the README's test command installs
/// the AWS CLI v1 from PyPI).
#[tokio::test]
async fn the_aws_cli_works_against_the_simulator_with_bosun_as_its_plugin() {
    let sim = start_sim().await;
    let (_bin, path) = plugin_on_path();
    let aws = |args: &[&str]| aws_cli(&sim, ("AKIDCLI", "secret"), &path, args);
    let (code, stdout, stderr) = finish(
        aws(&[
            "ssm",
            "describe-instance-information",
            "--query",
            "InstanceInformationList[].InstanceId",
            "--output",
            "text",
        ])
        .spawn()
        .expect("the AWS CLI is installed (pip install awscli)"),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&demo_id("payments-api-1")), "{stdout}");
    let (code, stdout, stderr) = finish(
        aws(&[
            "ec2",
            "describe-instances",
            "--filters",
            "Name=tag:Name,Values=orphaned-test-box",
            "--query",
            "Reservations[].Instances[].InstanceId",
            "--output",
            "text",
        ])
        .spawn()
        .expect("aws"),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), demo_id("orphaned-test-box"));

    // aws ssm start-session runs bosun as the plugin; piped input, then the shell exits.
    let mut child = aws(&[
        "ssm",
        "start-session",
        "--target",
        &demo_id("payments-api-1"),
    ])
    .spawn()
    .expect("aws");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo via-the-cli-$((20+22))\n")
        .await
        .expect("write");
    drop(stdin);
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("via-the-cli-42"), "{stdout}");
    assert!(
        stdout.contains("Exiting session with sessionId:"),
        "{stdout}"
    );
}

#[tokio::test]
async fn bosun_answers_to_the_plugin_name_and_the_admin_endpoint_reports_and_sets_faults() {
    let bin = tempfile::tempdir().expect("tempdir");
    let plugin = bin.path().join("session-manager-plugin");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_bosun"), &plugin).expect("symlink");
    let output = common::sealed(&mut Command::new(&plugin))
        .arg("--version")
        .output()
        .await
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        bosun::protocol::CLIENT_VERSION
    );
    let output = common::sealed(&mut Command::new(&plugin))
        .output()
        .await
        .expect("runs");
    assert!(String::from_utf8_lossy(&output.stdout).contains("installed successfully"));

    let sim = start_sim().await;
    let endpoint = sim.endpoint_url();
    let admin = |method: &'static str, path: &'static str, body: &'static str| {
        let endpoint = endpoint.clone();
        async move {
            bosun::sim::admin::call(&endpoint, ("AKIDCLI", "secret"), method, path, body)
                .await
                .expect("the simulator answers")
        }
    };
    // Unsigned, a control request is refused.
    let mut stream = TcpStream::connect(sim.addr).await.expect("connect");
    stream
        .write_all(b"POST /_sim/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\nthrottle=1")
        .await
        .expect("write");
    let mut unsigned = String::new();
    stream.read_to_string(&mut unsigned).await.expect("read");
    assert!(unsigned.starts_with("HTTP/1.1 403"), "{unsigned}");
    let (status, body) = admin("POST", "/_sim/faults", "throttle=1").await;
    assert_eq!(status, 200, "{body}");
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["run", "--tag", "Team=web", "--yes", "--", "true"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 255, "throttled: {stderr}");
    let (status, bad) = admin("POST", "/_sim/faults", "nope=").await;
    assert_eq!(status, 400, "{bad}");
    let (status, counts) = admin("GET", "/_sim/requests", "").await;
    assert_eq!(status, 200, "{counts}");
    assert!(counts.contains("\"throttled\":"), "{counts}");
}

/// Pushes `size` bytes through `local` (an echo behind the tunnel) while reading the echo, and
/// returns the SHA-256 of what went up and what came back.
async fn bulk_echo(local: &str, size: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
    use sha2::{Digest, Sha256};
    let stream = TcpStream::connect(local).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        let mut hash = Sha256::new();
        let mut state = seed | 1;
        let mut chunk = vec![0u8; 64 * 1024];
        let mut sent = 0;
        while sent < size {
            for word in chunk.chunks_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
            }
            let n = chunk.len().min(size - sent);
            write.write_all(&chunk[..n]).await.expect("upload");
            hash.update(&chunk[..n]);
            sent += n;
        }
        hash.finalize().to_vec()
    });
    let mut hash = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut received = 0;
    while received < size {
        let n = read.read(&mut buffer).await.expect("download");
        assert!(
            n > 0,
            "the tunnel to {local} closed after {received} of {size} bytes"
        );
        hash.update(&buffer[..n]);
        received += n;
    }
    (writer.await.expect("writer"), hash.finalize().to_vec())
}

const BULK: usize = 64 * 1024 * 1024;

#[tokio::test]
async fn sixty_four_mebibytes_each_way_arrive_byte_exact_in_mux_and_basic_modes() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    for target in ["payments-api-1", "platform-legacy-build"] {
        let (mut child, local) = tunnel(&sim, &[target, "--remote-port", &port]).await;
        let (up, down) = tokio::time::timeout(Duration::from_secs(240), bulk_echo(&local, BULK, 7))
            .await
            .unwrap_or_else(|_| panic!("64 MiB through {target} in time"));
        assert_eq!(
            up, down,
            "sha256 of what went up equals what came back ({target})"
        );
        let _ = child.start_kill();
    }
}

#[tokio::test]
async fn thirty_two_connections_at_once() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    let (mut child, local) = tunnel(&sim, &["payments-api-2", "--remote-port", &port]).await;
    let mut connections = Vec::new();
    for n in 0..32u64 {
        let local = local.clone();
        connections.push(tokio::spawn(async move {
            bulk_echo(&local, 256 * 1024, n).await
        }));
    }
    for connection in connections {
        let (up, down) = tokio::time::timeout(Duration::from_secs(60), connection)
            .await
            .expect("in time")
            .expect("task");
        assert_eq!(up, down);
    }
    let _ = child.start_kill();
}

#[tokio::test]
async fn drops_and_recycles_mid_transfer_lose_no_byte_and_keep_the_listener() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    // A forced drop every 8 MB written to the client, mid-transfer. Set before the tunnel
    // starts: a data channel takes its faults when it connects, and "Listening on" comes once
    // the session is ready.
    sim.set_faults(bosun::sim::Faults::parse("drop_after_bytes=8000000").expect("spec"));
    let (mut child, local) = tunnel(&sim, &["payments-api-1", "--remote-port", &port]).await;
    let (up, down) = tokio::time::timeout(
        Duration::from_secs(120),
        bulk_echo(&local, 24 * 1024 * 1024, 3),
    )
    .await
    .expect("in time");
    assert_eq!(up, down);
    let resumes = |sim: &SimHandle| {
        sim.request_counts()
            .get("ssm:ResumeSession")
            .copied()
            .unwrap_or(0)
    };
    let after_drops = resumes(&sim);
    assert!(
        after_drops >= 2,
        "the byte drops were resumed: {after_drops}"
    );
    // The hourly recycle, time-scaled to one second: every data channel connected from now
    // on is dropped after a second (the current one still carries the byte fault, and is
    // dropped by it once). A transfer across it, then seconds of recycling, then a new
    // connection on the same listener.
    sim.set_faults(bosun::sim::Faults::parse("drop_after_secs=1").expect("spec"));
    let (up, down) = tokio::time::timeout(
        Duration::from_secs(120),
        bulk_echo(&local, 24 * 1024 * 1024, 4),
    )
    .await
    .expect("in time");
    assert_eq!(up, down);
    // Recycled each second, not only after the byte fault: three more resumes come by
    // themselves, and the listener then takes a new connection.
    common::eventually(Duration::from_secs(20), "three recycles", || {
        let recycled = resumes(&sim) - after_drops >= 3;
        async move { recycled }
    })
    .await;
    echo_through(&local, 64 * 1024, 5).await;
    sim.set_faults(bosun::sim::Faults::default());
    echo_through(&local, 64 * 1024, 6).await;
    let _ = child.start_kill();
}

/// A tunnel whose session the service moves to another cell at every resume: bytes checked
/// across several moves, and no old cell dialled.
#[tokio::test]
async fn a_tunnel_follows_its_session_from_cell_to_cell() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    sim.set_faults(
        bosun::sim::Faults::parse("drop_after_bytes=4000000,resume_moves_cell=1").expect("spec"),
    );
    let (mut child, local) = tunnel(&sim, &["payments-api-1", "--remote-port", &port]).await;
    let (up, down) = tokio::time::timeout(
        Duration::from_secs(120),
        bulk_echo(&local, 16 * 1024 * 1024, 7),
    )
    .await
    .expect("in time");
    assert_eq!(up, down);
    let count = |name: &str| sim.request_counts().get(name).copied().unwrap_or(0);
    assert!(
        count("ssm:ResumeSession") >= 3,
        "several moves: {:?}",
        sim.request_counts()
    );
    assert_eq!(count("moved_cell_refused"), 0, "an old cell was dialled");
    let _ = child.start_kill();
}

/// Agents from 3.3.4851.0 refuse remote-host forwarding to loopback and to the container
/// credential endpoints. A loopback remote host goes to the instance's own port
/// (AWS-StartPortForwardingSession) on such an agent too; a credential endpoint is refused
/// before any session starts, in a sentence, with status 2.
#[tokio::test]
async fn a_new_agents_port_rules_are_followed_before_any_session() {
    let sim = start_sim().await;
    sim.set_agent_version(&demo_id("payments-api-1"), "3.3.5068.0");
    let count = |name: &str| sim.request_counts().get(name).copied().unwrap_or(0);
    let port = echo_server().await.to_string();
    let (mut child, local) = tunnel(
        &sim,
        &[
            "payments-api-1",
            "--remote-host",
            "localhost",
            "--remote-port",
            &port,
        ],
    )
    .await;
    echo_through(&local, 64 * 1024, 8).await;
    assert_eq!(count("forward_refused"), 0);
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    let sessions = aws_sdk_ssm::Client::new(&config)
        .describe_sessions()
        .state(aws_sdk_ssm::types::SessionState::Active)
        .send()
        .await
        .expect("DescribeSessions");
    let documents: Vec<&str> = sessions
        .sessions()
        .iter()
        .filter_map(|s| s.document_name())
        .collect();
    assert_eq!(documents, ["AWS-StartPortForwardingSession"]);
    let _ = child.start_kill();

    let started = count("ssm:StartSession");
    let (code, stdout, stderr) = finish(
        bosun(&sim)
            .args([
                "tunnel",
                "payments-api-1",
                "--remote-host",
                "169.254.170.2",
                "--remote-port",
                "80",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("container credential endpoint") && stderr.contains("3.3.4851.0"),
        "{stderr}"
    );
    assert!(!stdout.contains("Listening"), "{stdout}");
    assert_eq!(count("ssm:StartSession"), started, "no session started");
}

#[tokio::test]
async fn ls_lists_the_joined_inventory_with_unmanaged_instances() {
    let sim = start_sim().await;
    let (code, stdout, stderr) = finish(bosun(&sim).arg("ls").spawn().expect("spawn")).await;
    assert_eq!(code, 0, "{stderr}");
    let header = stdout.lines().next().expect("header");
    assert!(
        header.starts_with("NAME") && header.contains("PING") && header.contains("LAST PING"),
        "{header}"
    );
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_owned()
    };
    assert!(line("orphaned-test-box").contains("not managed"));
    assert!(line("payments-api-3").contains("ConnectionLost"));
    assert!(line("platform-legacy-build").contains("2.3.1319.0 (old)"));
    assert!(line("data-etl-2").contains("stopped"));
    assert!(
        !stdout.contains("search-query-1"),
        "eu-west-1 is another region"
    );
}

#[tokio::test]
async fn ls_filters_prints_json_and_spans_regions() {
    let sim = start_sim().await;
    let (code, stdout, _) = finish(
        bosun(&sim)
            .args(["ls", "--json", "--filter", "tag:Team=payments !bastion"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0);
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|r| r["tags"]["Team"] == "payments" && r["name"] != "payments-bastion")
    );

    let (code, stdout, _) = finish(
        bosun(&sim)
            .args([
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
                "ls",
                "--filter",
                "status:lost",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0);
    for name in [
        "payments-api-3",
        "search-query-2",
        "finance-reporting-dr",
        "ledger-batch-1",
    ] {
        assert!(stdout.contains(name), "{name} in {stdout}");
    }
    // And nothing that is not lost: Online instances of both regions stay out.
    for name in [
        "payments-api-1",
        "search-query-1",
        "ml-training-gpu",
        "orphaned-test-box",
    ] {
        assert!(!stdout.contains(name), "{name} is not lost: {stdout}");
    }
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["ls", "--filter", "status:sleepy"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown status"), "{stderr}");
}

#[tokio::test]
async fn a_saved_tunnel_group_starts_every_member_from_the_config_file() {
    let sim = start_sim().await;
    let port = echo_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[tunnel]]
name = "payments-db"
target = "payments-bastion"
remote_host = "payments-db.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com"
remote_port = 5432

[[tunnel]]
name = "payments-echo"
target = "tag:Team=payments"
remote_port = {port}

[[tunnel]]
name = "payments-stopped"
target = "data-etl-2"
remote_port = {port}

[tunnel_group]
payments = ["payments-db", "payments-echo", "payments-stopped"]
"#
        ),
    )
    .expect("write config");
    let config = config.display().to_string();
    let mut child = bosun(&sim)
        .args(["--config", &config, "tunnel", "payments"])
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut errors = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let kept = said.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            kept.lock().expect("lock").push_str(&(line + "\n"));
        }
    });
    let mut listening = Vec::new();
    while listening.len() < 2 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("in time")
            .expect("read")
            .expect("a line");
        listening.push(line);
    }
    let local_for = |needle: &str| {
        listening
            .iter()
            .find(|l| l.contains(needle))
            .and_then(|l| l.split_once(": Listening on ").map(|(_, rest)| rest))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {needle} in {listening:?}"))
            .to_owned()
    };
    let db = TcpStream::connect(local_for("payments-db.cluster"))
        .await
        .expect("connect db");
    let mut banner = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        BufReader::new(db).read_line(&mut banner),
    )
    .await
    .expect("banner")
    .expect("read");
    assert!(banner.contains("ready (simulated by bosun)"), "{banner}");
    // tag:Team=payments picked an Online payments instance.
    assert!(
        listening
            .iter()
            .any(|l| l.contains(&demo_id("payments-api-1"))),
        "{listening:?}"
    );
    echo_through(&local_for(&format!("localhost:{port}")), 32 * 1024, 4).await;
    // In a group each line names its tunnel: the one that failed is known.
    for line in &listening {
        assert!(
            line.starts_with("payments-db: Listening on ")
                || line.starts_with("payments-echo: Listening on "),
            "{listening:?}"
        );
    }
    common::eventually(Duration::from_secs(30), "the stopped one named", || {
        let text = said.lock().expect("lock").clone();
        async move { text.contains("bosun tunnel payments-stopped: ") }
    })
    .await;
    let _ = child.start_kill();

    let (code, stdout, _) = finish(
        bosun(&sim)
            .args(["--config", &config, "config", "check"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0);
    assert!(stdout.contains("3 saved tunnels, 1 group)"), "{stdout}");
    let (code, stdout, _) = finish(
        bosun(&sim)
            .args(["--config", &config, "config", "path"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!((code, stdout.trim()), (0, config.as_str()));
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[[tunnel]]\nname = \"x\"\ntarget = \"i-1\"\nremote_port = 99999\n",
    )
    .expect("write");
    let broken = broken.display().to_string();
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["--config", &broken, "config", "check"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 1);
    assert!(stderr.contains(&format!("{broken}:4:")), "{stderr}");
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["--config", &config, "tunnel", "nothing-by-that-name"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("no saved tunnel or group"), "{stderr}");
}

#[tokio::test]
async fn a_tunnel_spreads_connections_over_parallel_sessions() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    let mut child = bosun(&sim)
        .args([
            "tunnel",
            "payments-api-1",
            "--remote-port",
            &port,
            "--sessions",
            "4",
        ])
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .await
        .expect("listening line");
    let local = line
        .strip_prefix("Listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    // Connections spread over the sessions that are ready: wait until all four say so.
    let mut said = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut ready = 0;
    while ready < 4 {
        let line = tokio::time::timeout(Duration::from_secs(20), said.next_line())
            .await
            .expect("four sessions ready in time")
            .expect("read")
            .expect("a line");
        if line.contains(" ready (") {
            ready += 1;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = said.next_line().await {} });
    let started = |sim: &SimHandle| {
        sim.request_counts()
            .iter()
            .filter(|(operation, _)| operation.ends_with("StartSession"))
            .map(|(_, count)| *count)
            .sum::<u64>()
    };
    assert_eq!(started(&sim), 4);
    let mut connections = Vec::new();
    for n in 0..8u8 {
        let local = local.clone();
        connections.push(tokio::spawn(async move {
            echo_through(&local, 256 * 1024, n).await
        }));
    }
    for connection in connections {
        tokio::time::timeout(Duration::from_secs(30), connection)
            .await
            .expect("in time")
            .expect("echoed");
    }
    assert_eq!(started(&sim), 4, "no session was replaced");
    // Where the connections went: the simulated agent counts the streams each session took.
    let per_session: Vec<u64> = sim
        .request_counts()
        .iter()
        .filter(|(key, _)| key.starts_with("stream@"))
        .map(|(_, count)| *count)
        .collect();
    assert_eq!(
        per_session.len(),
        4,
        "every session carried connections: {per_session:?}"
    );
    assert!(
        per_session.iter().sum::<u64>() >= 8,
        "all eight went through: {per_session:?}"
    );
    let _ = child.start_kill();

    // The command line refuses what the configuration would.
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args([
                "tunnel",
                "payments-api-1",
                "--remote-port",
                &port,
                "--sessions",
                "0",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_ne!(code, 0);
    assert!(stderr.contains("sessions"), "{stderr}");
}

/// A simulator that lets in only its own clients (as `bosun sim` and `--demo` run): the AWS
/// CLI (botocore's signer) and bosun (the SDK's) with its key pair are served, SSM and EC2
/// alike; a stranger's key and a wrong secret are answered as AWS answers them.
#[tokio::test]
async fn a_simulator_with_its_own_key_pair_lets_in_only_its_clients() {
    let keys = bosun::sim::random_key_pair().expect("randomness");
    let sim = bosun::sim::start(bosun::sim::SimConfig {
        credentials: vec![keys.clone()],
        require_signatures: true,
        ..bosun::sim::SimConfig::default()
    })
    .await
    .expect("simulator");
    let path = std::env::var("PATH").unwrap_or_default();
    let aws =
        |access: &str, secret: &str, args: &[&str]| aws_cli(&sim, (access, secret), &path, args);
    let ssm = ["ssm", "describe-instance-information", "--output", "text"];
    let ec2 = ["ec2", "describe-instances", "--output", "text"];
    for args in [&ssm[..], &ec2[..]] {
        let (code, stdout, stderr) =
            finish(aws(&keys.0, &keys.1, args).spawn().expect("aws")).await;
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains(&demo_id("payments-api-1")), "{stdout}");
    }
    let (code, _, stderr) = finish(aws("AKIDSTRANGER", "x", &ssm).spawn().expect("aws")).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("UnrecognizedClientException"), "{stderr}");
    let (code, _, stderr) = finish(aws(&keys.0, "wrong", &ssm).spawn().expect("aws")).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("InvalidSignatureException"), "{stderr}");
    let (code, _, stderr) = finish(aws("AKIDSTRANGER", "x", &ec2).spawn().expect("aws")).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("AuthFailure"), "{stderr}");

    // bosun itself, signing with the SDK, and a session through it.
    let mut child = bosun(&sim)
        .env("AWS_ACCESS_KEY_ID", &keys.0)
        .env("AWS_SECRET_ACCESS_KEY", &keys.1)
        .args(["shell", "payments-api-1"])
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo own-$((6*7))\n")
        .await
        .expect("write");
    drop(stdin);
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("own-42"), "{stdout}");
    assert!(!sim.upgrades().is_empty(), "the data channel was dialled");
    assert!(
        sim.upgrades()
            .iter()
            .all(|u| matches!(u.auth, bosun::sim::UpgradeAuth::Verified { .. })),
        "{:?}",
        sim.upgrades()
    );
    // Its control endpoints answer its key pair only: another local user can neither read
    // nor set its faults.
    let endpoint = sim.endpoint_url();
    let control = |keys: (&'static str, &'static str)| {
        let endpoint = endpoint.clone();
        async move {
            bosun::sim::admin::call(&endpoint, keys, "POST", "/_sim/faults", "drop_after_secs=1")
                .await
                .expect("answers")
                .0
        }
    };
    assert_eq!(control(("AKIDSTRANGER", "whatever")).await, 403);
    let own = (keys.0.clone(), keys.1.clone());
    let (status, _) =
        bosun::sim::admin::call(&endpoint, (&own.0, &own.1), "GET", "/_sim/faults", "")
            .await
            .expect("answers");
    assert_eq!(status, 200);
}

/// A --profile that no file defines is an error that names it and the profiles there, as the
/// AWS CLI says it, not the environment's credentials used under its name.
#[tokio::test]
async fn a_profile_that_does_not_exist_is_said_not_ignored() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[default]\nregion = us-east-1\n[profile prod]\nregion = us-east-1\n",
    )
    .expect("write");
    let child = bosun(&sim)
        .args(["ls", "--profile", "nosuch"])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .spawn()
        .expect("spawn");
    let (code, out, err) = finish(child).await;
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.is_empty(),
        "no rows under a profile that does not exist: {out}"
    );
    assert!(
        err.contains("the profile \"nosuch\"") && err.contains("profiles there: default, prod"),
        "{err}"
    );
}

/// `bosun sessions` lists who is on which instance (by Name), `bosun terminate` ends one (and
/// asks first: without a terminal it needs --yes; --read-only refuses), and the ended session
/// is in `--history`, as DescribeSessions says.
#[tokio::test]
async fn sessions_are_listed_filtered_terminated_and_found_in_history() {
    let sim = start_sim().await;
    let mut shell = bosun(&sim)
        .args(["shell", "payments-api-1"])
        .spawn()
        .expect("spawn");
    let mut stdin = shell.stdin.take().expect("stdin");
    stdin.write_all(b"echo up-$((40+2))\n").await.expect("type");
    let mut stdout = shell.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        let mut buffer = [0u8; 1024];
        while !String::from_utf8_lossy(&seen).contains("up-42") {
            let n = stdout.read(&mut buffer).await.expect("read");
            assert!(n > 0, "the shell ended early");
            seen.extend_from_slice(&buffer[..n]);
        }
    })
    .await
    .expect("the shell answers");

    let (code, out, err) = finish(
        bosun(&sim)
            .args(["sessions", "--json", "--filter", "name:payments-api-1"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0]["status"], "Connected");
    assert_eq!(rows[0]["target"], demo_id("payments-api-1"));
    let session_id = rows[0]["session_id"].as_str().expect("id").to_owned();
    let (_, out, _) = finish(
        bosun(&sim)
            .args(["sessions", "--filter", "name:web"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(out.lines().count(), 1, "the header alone: {out}");

    let (code, out, err) = finish(
        bosun(&sim)
            .args(["terminate", &session_id])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "without a terminal it asks for --yes: {out}{err}");
    assert!(err.contains("--yes"), "{err}");
    let (code, _, err) = finish(
        bosun(&sim)
            .args(["terminate", &session_id, "--yes", "--read-only"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = finish(
        bosun(&sim)
            .args(["terminate", &session_id, "--yes"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("terminated {session_id}")), "{out}");
    let status = tokio::time::timeout(Duration::from_secs(20), shell.wait())
        .await
        .expect("the shell ends with its session")
        .expect("status");
    assert!(status.code().is_some());

    let (code, out, err) = finish(
        bosun(&sim)
            .args([
                "sessions",
                "--history",
                "--json",
                "--filter",
                &format!("id:{session_id}"),
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let row: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("a row")).expect("JSON");
    assert_eq!(row["status"], "Terminated");
    assert!(row["end"].is_i64(), "{row}");

    // TerminateSession answers the same for an ended or made-up id: bosun looks first.
    for id in [session_id.as_str(), "made-up-0123456789"] {
        let (code, out, err) = finish(
            bosun(&sim)
                .args(["terminate", id, "--yes"])
                .spawn()
                .expect("spawn"),
        )
        .await;
        assert_eq!(code, 1, "{out}{err}");
        assert!(!out.contains("terminated"), "{out}");
        assert!(err.contains(&format!("no active session {id}")), "{err}");
    }
}

/// A Name two instances share is not guessed at: the shell names both ids and asks for one.
#[tokio::test]
async fn an_ambiguous_name_lists_its_instances() {
    let mut fleet = bosun::sim::Fleet::demo();
    let twin = fleet
        .instances
        .iter_mut()
        .find(|i| i.name() == "payments-api-2")
        .expect("in the demo fleet");
    twin.tags
        .insert("Name".to_owned(), "payments-api-1".to_owned());
    let sim = bosun::sim::start(bosun::sim::SimConfig {
        fleet,
        ..bosun::sim::SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["shell", "payments-api-1"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("\"payments-api-1\" names 2 instances")
            && stderr.contains(&demo_id("payments-api-1"))
            && stderr.contains(&demo_id("payments-api-2"))
            && stderr.contains("use an instance id"),
        "{stderr}"
    );
    assert_eq!(
        sim.request_counts().get("ssm:StartSession"),
        None,
        "no session on a guess"
    );
}

/// `bosun ls` over several regions shows what it could read, names the region that failed,
/// and exits non-zero for it.
#[tokio::test]
async fn ls_exits_non_zero_when_a_region_fails_and_shows_the_rest() {
    let sim = start_sim().await;
    let (code, stdout, stderr) = finish(
        bosun(&sim)
            .args(["ls", "--region", "us-east-1", "--region", "ap-nowhere-9"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("payments-api-1"),
        "us-east-1 shows: {stdout}"
    );
    assert!(
        stderr.contains("ap-nowhere-9") && stderr.contains("not a region AWS knows"),
        "{stderr}"
    );
}
