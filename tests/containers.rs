//! Containers as a user reaches them, against the simulator's ECS: `aws ecs execute-command`
//! through the AWS CLI with bosun as its plugin; `bosun shell ecs:…` with piped stdin, by task
//! and by service; a tunnel into a task, byte-exact; `bosun ls --containers`; and each reason
//! ECS Exec cannot work, said with its fix.

mod common;

use std::time::Duration;

use common::{aws_cli, bosun, echo_server, finish, plugin_on_path, start_sim};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The ids of the running tasks of `service` in `cluster`, from the AWS side.
async fn tasks_of(
    sim: &bosun::sim::SimHandle,
    region: &str,
    cluster: &str,
    service: &str,
) -> Vec<String> {
    let ecs = aws_sdk_ecs::Client::new(&bosun::aws::demo_config(&sim.endpoint_url(), region).await);
    ecs.list_tasks()
        .cluster(cluster)
        .service_name(service)
        .send()
        .await
        .expect("ListTasks")
        .task_arns()
        .iter()
        .map(|arn| arn.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_aws_cli_execs_into_a_container_with_bosun_as_its_plugin() {
    let sim = start_sim().await;
    let (_bin, path) = plugin_on_path();
    let task = tasks_of(&sim, "us-east-1", "payments", "checkout").await[0].clone();
    let mut child = aws_cli(
        &sim,
        ("AKIDCLI", "secret"),
        &path,
        &[
            "ecs",
            "execute-command",
            "--cluster",
            "payments",
            "--task",
            &task,
            "--container",
            "envoy",
            "--interactive",
            "--command",
            "/bin/sh",
        ],
    )
    .spawn()
    .expect("the AWS CLI is installed (pip install awscli)");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo in-the-task-$((20+22))\nexit\n")
        .await
        .expect("write");
    drop(stdin);
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("in-the-task-42"), "{stdout}");
    assert!(
        stdout.contains("Starting session with SessionId:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Exiting session with sessionId:"),
        "{stdout}"
    );
}

#[tokio::test]
async fn bosun_shell_reaches_a_container_by_task_or_by_service() {
    let sim = start_sim().await;
    let task = tasks_of(&sim, "us-east-1", "payments", "checkout").await[1].clone();
    for (target, program) in [
        (format!("ecs:payments/{task}/envoy"), "/bin/sh"),
        ("ecs:payments/fraud-scoring".to_owned(), "/bin/bash"),
    ] {
        let mut child = bosun(&sim)
            .args(["shell", &target, "--command", program])
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"echo hello-$((40+2)) $0\nexit\n")
            .await
            .expect("write");
        drop(stdin);
        let (code, stdout, stderr) = finish(child).await;
        assert_eq!(code, 0, "{target}: {stderr}");
        assert!(stdout.contains("hello-42"), "{target}: {stdout}");
        assert!(stdout.contains(program), "{program} ran: {stdout}");
        assert!(
            stderr.contains("Starting session with SessionId:"),
            "{stderr}"
        );
    }

    // A task of two containers needs one named.
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["shell", "ecs:payments/checkout"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 255);
    assert!(
        stderr.contains("has 2 containers (checkout, envoy): name one"),
        "{stderr}"
    );
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args(["shell", "ecs:payments"])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "written wrong: {stderr}");
    let (code, _, stderr) = finish(
        bosun(&sim)
            .args([
                "shell",
                "ecs:payments/fraud-scoring",
                "--document",
                "AWS-StartSSHSession",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("are for instances"), "{stderr}");

    // A container's shell is recorded as an instance's is.
    let cast = tempfile::tempdir().expect("tempdir");
    let file = cast.path().join("container.cast");
    let mut child = bosun(&sim)
        .args(["shell", "ecs:payments/fraud-scoring", "--record"])
        .arg(&file)
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"echo recorded-$((40+2))\nexit\n")
        .await
        .expect("write");
    drop(stdin);
    let (code, _, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    let recorded = std::fs::read_to_string(&file).expect("the recording");
    assert!(recorded.starts_with("{\"version\":2"), "{recorded}");
    assert!(recorded.contains("recorded-42"), "{recorded}");
}

#[tokio::test]
async fn each_reason_exec_cannot_work_is_said_with_its_fix() {
    let sim = start_sim().await;
    for (region, target, cause, fix) in [
        (
            "us-east-1",
            "ecs:payments/ledger-sync",
            "the task was started without enableExecuteCommand",
            "aws ecs update-service --cluster payments --service ledger-sync --enable-execute-command --force-new-deployment --region us-east-1",
        ),
        (
            "us-east-1",
            "ecs:payments/receipts",
            "the ExecuteCommandAgent in the task is STOPPED, not RUNNING",
            "start new tasks",
        ),
        (
            "eu-west-1",
            "ecs:search/indexer",
            "Fargate platform 1.3.0 has no ECS Exec",
            "--platform-version LATEST",
        ),
        (
            "eu-west-1",
            "ecs:search/crawler",
            "the agent in the task cannot connect to Session Manager",
            "the task role needs ssmmessages:CreateControlChannel",
        ),
    ] {
        let (code, stdout, stderr) = finish(
            bosun(&sim)
                .env("AWS_REGION", region)
                .args(["shell", target])
                .spawn()
                .expect("spawn"),
        )
        .await;
        assert_eq!(code, 255, "{target}: {stdout}");
        assert!(stderr.contains(cause), "{target}: {stderr}");
        assert!(
            stderr.contains("fix: ") && stderr.contains(fix),
            "{target}: {stderr}"
        );
        assert!(
            !stderr.contains("Starting session"),
            "no session was started for {target}"
        );
    }
}

#[tokio::test]
async fn a_tunnel_into_a_task_carries_bytes_exactly() {
    let sim = start_sim().await;
    let port = echo_server().await.to_string();
    let mut child = bosun(&sim)
        .args([
            "tunnel",
            "ecs:payments/checkout/checkout",
            "--remote-port",
            &port,
            "--local-port",
            "0",
        ])
        .spawn()
        .expect("spawn");
    let local = listening(&mut child).await;
    echo_a_mebibyte(&local).await;
    let _ = child.start_kill();

    // A saved tunnel takes such a target too.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[tunnel]]\nname = \"checkout-echo\"\ntarget = \"ecs:payments/checkout/envoy\"\nremote_port = {port}\n"
        ),
    )
    .expect("config");
    let mut child = bosun(&sim)
        .args([
            "--config",
            &config.display().to_string(),
            "tunnel",
            "checkout-echo",
        ])
        .spawn()
        .expect("spawn");
    let local = listening(&mut child).await;
    echo_a_mebibyte(&local).await;
    let _ = child.start_kill();
}

/// The address a starting `bosun tunnel` listens on, from its first line.
async fn listening(child: &mut tokio::process::Child) -> String {
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line),
    )
    .await
    .expect("listening in time")
    .expect("line");
    assert!(line.contains("-> ecs:payments_"), "{line}");
    line.strip_prefix("Listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .expect("address")
        .to_owned()
}

/// 1 MiB through the tunnel at `local` and back from the echo server, byte-exact.
async fn echo_a_mebibyte(local: &str) {
    let payload: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    let mut stream = TcpStream::connect(local).await.expect("connect");
    let (mut reader, mut writer) = stream.split();
    let send = async {
        writer.write_all(&payload).await.expect("write");
        writer.shutdown().await.expect("half-close");
    };
    let mut back = Vec::new();
    let receive = async {
        tokio::time::timeout(Duration::from_secs(60), async {
            while back.len() < payload.len() {
                let mut chunk = vec![0u8; 65536];
                let n = reader.read(&mut chunk).await.expect("read");
                if n == 0 {
                    break;
                }
                back.extend_from_slice(&chunk[..n]);
            }
        })
        .await
        .expect("the echo in time");
    };
    tokio::join!(send, receive);
    assert!(back == payload, "1 MiB through the task, byte-exact");
}

#[tokio::test]
async fn ls_lists_containers_with_exec_and_filters() {
    let sim = start_sim().await;
    let (code, stdout, stderr) = finish(
        bosun(&sim)
            .args([
                "ls",
                "--containers",
                "--json",
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    // checkout: 2 tasks × 2 containers; fraud-scoring, ledger-sync, receipts; query-api 2,
    // indexer, crawler.
    assert_eq!(rows.len(), 4 + 3 + 4, "{stdout}");
    let fraud = rows
        .iter()
        .find(|r| r["service"] == "fraud-scoring")
        .expect("the EC2 task");
    assert_eq!(fraud["launch_type"], "EC2");
    assert_eq!(fraud["ec2_instance"], "i-03f1a2b3c4d5ebbbb");
    assert!(
        fraud["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("ecs:payments/"))
    );
    let ledger = rows
        .iter()
        .find(|r| r["service"] == "ledger-sync")
        .expect("ledger");
    assert_eq!(
        ledger["exec_problem"],
        "the task was started without enableExecuteCommand"
    );

    let (_, stdout, _) = finish(
        bosun(&sim)
            .args([
                "ls",
                "--containers",
                "--filter",
                "cluster:payments exec:off",
            ])
            .spawn()
            .expect("spawn"),
    )
    .await;
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("CLUSTER"), "{stdout}");
    assert_eq!(lines.len(), 3, "ledger-sync and receipts: {stdout}");
    assert!(lines[1..].iter().all(|l| l.contains(" no: ")), "{stdout}");
}
