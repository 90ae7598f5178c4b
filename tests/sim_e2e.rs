//! The simulator driven by the real AWS SDK clients and bosun's own transport over loopback:
//! every inventory and session operation with its paging and errors, shells through the
//! client protocol (echo, resize, exit), non-interactive commands, KMS sessions, port sessions
//! in mux and basic modes, and malformed requests.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{InstanceInformationStringFilter, SessionState};
use bosun::protocol::{CloseReason, SizeData};
use bosun::sim::{self, Fleet, SimConfig, SimHandle};
use bosun::transport::{DriverEvent, Input, SessionEnd, TransportError};
use bytes::Bytes;
use common::echo_server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

async fn start_sim() -> SimHandle {
    sim::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

async fn sdk(sim: &SimHandle, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(sim.endpoint_url())
        .region(Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .load()
        .await
}

fn error_code<E: aws_sdk_ssm::error::ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or_default().to_owned()
}

fn demo_instance(name: &str) -> String {
    Fleet::demo()
        .instances
        .iter()
        .find(|i| i.name() == name)
        .map(|i| i.id.clone())
        .unwrap_or_else(|| panic!("no {name} in the demo fleet"))
}

#[test]
fn the_demo_fleet_file_parses_and_has_what_the_demo_needs() {
    let text = include_str!("../assets/demo-fleet.toml");
    let fleet = Fleet::parse(text, "assets/demo-fleet.toml").expect("demo fleet parses");
    assert_eq!(fleet.instances.len(), 39);
    assert!(
        fleet.instances.iter().any(|i| !i.is_managed()),
        "an unmanaged instance"
    );
    assert!(
        fleet.instances.iter().any(|i| i.state == "stopped"),
        "a stopped instance"
    );
    assert!(
        fleet.instances.iter().any(|i| !i.supports_mux()),
        "an old agent"
    );
    assert!(
        fleet.instances.iter().any(|i| i.kms_key_id.is_some()),
        "a KMS instance"
    );
    assert!(
        fleet
            .instances
            .iter()
            .any(|i| i.platform == bosun::sim::Platform::Windows)
    );
    assert!(
        !fleet.remote_hosts.is_empty(),
        "a database behind the bastion"
    );
}

#[tokio::test]
async fn describe_instance_information_pages_filters_and_validates() {
    let sim = start_sim().await;
    let ssm = aws_sdk_ssm::Client::new(&sdk(&sim, "us-east-1").await);
    let expected = Fleet::demo()
        .instances
        .iter()
        .filter(|i| i.region == "us-east-1" && i.is_managed())
        .count();
    let mut pages = 0;
    let mut seen = Vec::new();
    let mut paginator = ssm
        .describe_instance_information()
        .max_results(5)
        .into_paginator()
        .send();
    while let Some(page) = paginator.next().await {
        let page = page.expect("page");
        pages += 1;
        let list = page.instance_information_list();
        assert!(list.len() <= 5);
        seen.extend(
            list.iter()
                .map(|i| i.instance_id().unwrap_or_default().to_owned()),
        );
    }
    assert_eq!(seen.len(), expected);
    assert_eq!(pages, expected.div_ceil(5));

    let lost = ssm
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("PingStatus")
                .values("ConnectionLost")
                .build()
                .expect("filter"),
        )
        .send()
        .await
        .expect("filtered");
    assert!(!lost.instance_information_list().is_empty());
    assert!(
        lost.instance_information_list()
            .iter()
            .all(|i| i.ping_status().map(|p| p.as_str()) == Some("ConnectionLost"))
    );

    let team = ssm
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("tag:Team")
                .values("payments")
                .build()
                .expect("filter"),
        )
        .max_results(50)
        .send()
        .await
        .expect("tag filter");
    assert_eq!(team.instance_information_list().len(), 6);
    let first = &team.instance_information_list()[0];
    assert_eq!(first.platform_type().map(|p| p.as_str()), Some("Linux"));
    assert!(first.last_ping_date_time().is_some());
    assert!(first.agent_version().is_some());

    let too_small = ssm
        .describe_instance_information()
        .max_results(3)
        .send()
        .await
        .expect_err("bounds");
    assert_eq!(error_code(&too_small), "ValidationException");
    let bad_key = ssm
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("Color")
                .values("red")
                .build()
                .expect("filter"),
        )
        .send()
        .await
        .expect_err("bad key");
    assert_eq!(error_code(&bad_key), "InvalidFilterKey");
    let bad_token = ssm
        .describe_instance_information()
        .next_token("nope")
        .send()
        .await
        .expect_err("token");
    assert_eq!(error_code(&bad_token), "InvalidNextToken");

    // The other region sees its own instances only.
    let eu = aws_sdk_ssm::Client::new(&sdk(&sim, "eu-west-1").await);
    let eu_list = eu
        .describe_instance_information()
        .max_results(50)
        .send()
        .await
        .expect("eu");
    assert!(!eu_list.instance_information_list().is_empty());
    assert!(eu_list.instance_information_list().iter().all(|i| {
        Fleet::demo()
            .find(i.instance_id().unwrap_or_default())
            .is_some_and(|f| f.region == "eu-west-1")
    }));
    // The pages, four filtered or refused calls, and the eu-west-1 call: all counted.
    assert_eq!(
        sim.request_counts()
            .get("ssm:DescribeInstanceInformation")
            .copied(),
        Some(pages as u64 + 6)
    );
}

#[tokio::test]
async fn describe_instances_includes_unmanaged_instances_pages_and_errors() {
    let sim = start_sim().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk(&sim, "us-east-1").await);
    let in_region: Vec<_> = Fleet::demo()
        .instances
        .into_iter()
        .filter(|i| i.region == "us-east-1")
        .collect();
    let mut ids = Vec::new();
    let mut paginator = ec2
        .describe_instances()
        .max_results(5)
        .into_paginator()
        .send();
    while let Some(page) = paginator.next().await {
        for reservation in page.expect("page").reservations() {
            for instance in reservation.instances() {
                ids.push(instance.instance_id().unwrap_or_default().to_owned());
            }
        }
    }
    assert_eq!(ids.len(), in_region.len());
    let orphan = demo_instance("orphaned-test-box");
    assert!(
        ids.contains(&orphan),
        "EC2 lists instances SSM does not manage"
    );

    let stopped = ec2
        .describe_instances()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-state-name")
                .values("stopped")
                .build(),
        )
        .send()
        .await
        .expect("filter");
    let stopped: Vec<_> = stopped
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    assert_eq!(stopped.len(), 1);
    assert_eq!(stopped[0].state().and_then(|s| s.code()), Some(80));

    let tagged = ec2
        .describe_instances()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:Team")
                .values("payments")
                .build(),
        )
        .send()
        .await
        .expect("tag filter");
    let tagged: Vec<_> = tagged
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    assert_eq!(tagged.len(), 6);
    let bastion = tagged
        .iter()
        .find(|i| {
            i.tags()
                .iter()
                .any(|t| t.value() == Some("payments-bastion"))
        })
        .expect("bastion");
    assert!(bastion.vpc_id().is_some_and(|v| v.starts_with("vpc-")));
    assert!(bastion.private_ip_address().is_some());
    assert!(
        bastion
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .is_some_and(|a| a.contains("instance-profile/"))
    );

    let missing = ec2
        .describe_instances()
        .instance_ids("i-0123456789abcdef9")
        .send()
        .await
        .expect_err("not found");
    assert_eq!(missing.code(), Some("InvalidInstanceID.NotFound"));
    let bad_filter = ec2
        .describe_instances()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("colour")
                .values("red")
                .build(),
        )
        .send()
        .await
        .expect_err("bad filter");
    assert_eq!(bad_filter.code(), Some("InvalidParameterValue"));

    let regions = ec2.describe_regions().send().await.expect("regions");
    assert_eq!(regions.regions().len(), 2);
    let endpoints = ec2
        .describe_vpc_endpoints()
        .send()
        .await
        .expect("endpoints");
    assert!(
        endpoints
            .vpc_endpoints()
            .iter()
            .any(|e| e.service_name() == Some("com.amazonaws.us-east-1.ssmmessages"))
    );
    let routes = ec2.describe_route_tables().send().await.expect("routes");
    assert!(!routes.route_tables().is_empty());
    let profiles = ec2
        .describe_iam_instance_profile_associations()
        .send()
        .await
        .expect("profiles");
    assert!(!profiles.iam_instance_profile_associations().is_empty());
    assert!(
        profiles
            .iam_instance_profile_associations()
            .iter()
            .all(|a| a.instance_id() != Some(orphan.as_str()))
    );
}

#[tokio::test]
async fn kms_data_keys_are_bound_to_their_context() {
    let sim = start_sim().await;
    let kms = aws_sdk_kms::Client::new(&sdk(&sim, "us-east-1").await);
    let key = kms
        .generate_data_key()
        .key_id("alias/demo")
        .number_of_bytes(64)
        .encryption_context("aws:ssm:SessionId", "s-1")
        .send()
        .await
        .expect("data key");
    let plaintext = key.plaintext().expect("plaintext").as_ref().to_vec();
    assert_eq!(plaintext.len(), 64);
    let blob = key.ciphertext_blob().expect("blob").clone();
    let decrypted = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("aws:ssm:SessionId", "s-1")
        .send()
        .await
        .expect("decrypt");
    assert_eq!(
        decrypted.plaintext().expect("plaintext").as_ref(),
        &plaintext[..]
    );
    let wrong = kms
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("aws:ssm:SessionId", "s-2")
        .send()
        .await
        .expect_err("wrong context");
    assert_eq!(wrong.code(), Some("InvalidCiphertextException"));
}

#[tokio::test]
async fn start_session_refuses_what_aws_refuses() {
    let sim = start_sim().await;
    let ssm = aws_sdk_ssm::Client::new(&sdk(&sim, "us-east-1").await);
    let lost = ssm
        .start_session()
        .target(demo_instance("payments-api-3"))
        .send()
        .await
        .expect_err("lost");
    assert_eq!(error_code(&lost), "TargetNotConnected");
    let stopped = ssm
        .start_session()
        .target(demo_instance("data-etl-2"))
        .send()
        .await
        .expect_err("stopped");
    assert_eq!(error_code(&stopped), "TargetNotConnected");
    let unknown = ssm
        .start_session()
        .target("i-0000000000000dead")
        .send()
        .await
        .expect_err("unknown");
    assert_eq!(error_code(&unknown), "TargetNotConnected");
    let document = ssm
        .start_session()
        .target(demo_instance("payments-api-1"))
        .document_name("Not-A-Document")
        .send()
        .await
        .expect_err("document");
    assert_eq!(error_code(&document), "InvalidDocument");
    let eu = aws_sdk_ssm::Client::new(&sdk(&sim, "eu-west-1").await);
    let denied = eu
        .start_session()
        .target(demo_instance("identity-admin"))
        .send()
        .await
        .expect_err("denied");
    assert_eq!(error_code(&denied), "AccessDeniedException");
    let status = ssm
        .get_connection_status()
        .target(demo_instance("payments-api-1"))
        .send()
        .await
        .expect("status");
    assert_eq!(status.status().map(|s| s.as_str()), Some("connected"));
    let status = ssm
        .get_connection_status()
        .target(demo_instance("payments-api-3"))
        .send()
        .await
        .expect("status");
    assert_eq!(status.status().map(|s| s.as_str()), Some("notconnected"));
}

/// A client session over bosun's transport against the simulator.
struct Shell {
    input: mpsc::Sender<Input>,
    events: mpsc::Receiver<DriverEvent>,
    driver: tokio::task::JoinHandle<Result<SessionEnd, TransportError>>,
    output: Vec<u8>,
    stderr: Vec<u8>,
    exit_code: Option<i32>,
    info: Option<bosun::protocol::SessionInfo>,
}

async fn open(
    config: &SdkConfig,
    target: &str,
    document: Option<&str>,
    parameters: &[(&str, &str)],
) -> (Shell, String) {
    let ssm = aws_sdk_ssm::Client::new(config);
    let mut request = ssm.start_session().target(target);
    if let Some(document) = document {
        request = request.document_name(document);
    }
    for (name, value) in parameters {
        request = request.parameters(*name, vec![(*value).to_owned()]);
    }
    let started = request.send().await.expect("StartSession");
    let started = bosun::services::session::Started::from_response(
        &started,
        target,
        document.unwrap_or("SSM-SessionManagerRunShell"),
    )
    .expect("a stream");
    let clients = bosun::services::sources::SessionClients::with_ssm(ssm, config);
    let driven = bosun::services::session::drive(started, &clients);
    let session_id = driven.session_id.clone();
    (
        Shell {
            input: driven.input,
            events: driven.events,
            driver: driven.driver,
            output: Vec::new(),
            stderr: Vec::new(),
            exit_code: None,
            info: None,
        },
        session_id,
    )
}

impl Shell {
    fn take_event(&mut self, event: DriverEvent) {
        match event {
            DriverEvent::Output(bytes) => self.output.extend_from_slice(&bytes),
            DriverEvent::StdErr(bytes) => self.stderr.extend_from_slice(&bytes),
            DriverEvent::ExitCode(code) => self.exit_code = Some(code),
            DriverEvent::Ready(info) => self.info = Some(info),
            _ => {}
        }
    }

    /// Waits until the output contains `needle`.
    async fn expect(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !String::from_utf8_lossy(&self.output).contains(needle) {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => self.take_event(event),
                _ => panic!(
                    "no {needle:?} in {:?}",
                    String::from_utf8_lossy(&self.output)
                ),
            }
        }
    }

    async fn send(&self, text: &str) {
        self.input
            .send(Input::Data(Bytes::copy_from_slice(text.as_bytes())))
            .await
            .expect("send");
    }

    /// Waits for the driver to end, collecting what is left.
    async fn finish(mut self) -> (Result<SessionEnd, TransportError>, Shell) {
        let result = tokio::time::timeout(Duration::from_secs(20), &mut self.driver)
            .await
            .expect("ended in time")
            .expect("joined");
        while let Ok(event) = self.events.try_recv() {
            self.take_event(event);
        }
        (result, self)
    }
}

#[tokio::test]
async fn a_shell_echoes_resizes_and_exits_with_channel_closed() {
    let sim = start_sim().await;
    let config = sdk(&sim, "us-east-1").await;
    let target = demo_instance("payments-api-1");
    let (mut shell, session_id) = open(&config, &target, None, &[]).await;
    shell.expect("payments-api-1").await; // the prompt names the instance
    shell.send("echo hello-$((6*7))\r").await;
    shell.expect("hello-42").await;
    shell
        .input
        .send(Input::Size(SizeData {
            cols: 123,
            rows: 45,
        }))
        .await
        .expect("size");
    shell
        .send("stty size; echo $TERM; echo $INSTANCE_ID\r")
        .await;
    shell.expect("45 123").await;
    shell.expect("xterm-256color").await;
    shell.expect(&target).await;

    let ssm = aws_sdk_ssm::Client::new(&config);
    let active = ssm
        .describe_sessions()
        .state(SessionState::Active)
        .send()
        .await
        .expect("active");
    assert!(
        active
            .sessions()
            .iter()
            .any(|s| s.session_id() == Some(session_id.as_str()))
    );

    shell.send("exit 3\r").await;
    let (result, _) = shell.finish().await;
    assert_eq!(
        result,
        Ok(SessionEnd::Closed(CloseReason::ChannelClosed {
            output: None
        }))
    );
    let history = ssm
        .describe_sessions()
        .state(SessionState::History)
        .send()
        .await
        .expect("history");
    let ended = history
        .sessions()
        .iter()
        .find(|s| s.session_id() == Some(session_id.as_str()))
        .expect("in history");
    assert_eq!(ended.status().map(|s| s.as_str()), Some("Terminated"));
    assert!(ended.end_date().is_some());
}

#[tokio::test]
async fn terminate_session_ends_a_live_shell_and_resume_then_has_no_token() {
    let sim = start_sim().await;
    let config = sdk(&sim, "us-east-1").await;
    let (mut shell, session_id) = open(&config, &demo_instance("web-frontend-1"), None, &[]).await;
    shell.expect("web-frontend-1").await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let resumed = ssm
        .resume_session()
        .session_id(&session_id)
        .send()
        .await
        .expect("resume");
    assert!(resumed.token_value().is_some_and(|t| !t.is_empty()));
    ssm.terminate_session()
        .session_id(&session_id)
        .send()
        .await
        .expect("terminate");
    let (result, _) = shell.finish().await;
    assert!(
        matches!(
            result,
            Ok(SessionEnd::Closed(CloseReason::ChannelClosed { .. }))
        ),
        "{result:?}"
    );
    let after = ssm
        .resume_session()
        .session_id(&session_id)
        .send()
        .await
        .expect("resume after end");
    assert_eq!(after.token_value(), None, "an ended session gets no token");
    let unknown = ssm
        .resume_session()
        .session_id("nobody-0")
        .send()
        .await
        .expect_err("unknown");
    assert_eq!(error_code(&unknown), "DoesNotExistException");
}

#[tokio::test]
async fn non_interactive_commands_report_stderr_and_exit_code() {
    let sim = start_sim().await;
    let config = sdk(&sim, "us-east-1").await;
    // Repeated: the exit code races the end of the command's application on the agent side,
    // and a single run once hid a bug there half the time.
    for _ in 0..8 {
        let (shell, _) = open(
            &config,
            &demo_instance("data-etl-1"),
            Some("AWS-StartNonInteractiveCommand"),
            &[
                ("command", "echo out-$INSTANCE_ID; echo oops >&2; exit 3"),
                ("separateOutputStream", "true"),
            ],
        )
        .await;
        let (result, shell) = shell.finish().await;
        assert!(matches!(result, Ok(SessionEnd::Closed(_))), "{result:?}");
        assert_eq!(
            String::from_utf8_lossy(&shell.output),
            format!("out-{}\n", demo_instance("data-etl-1"))
        );
        assert_eq!(shell.stderr, b"oops\n");
        assert_eq!(shell.exit_code, Some(3));
    }
}

#[tokio::test]
async fn a_kms_encrypted_shell_works_through_the_sdk_key_provider() {
    let sim = start_sim().await;
    let config = sdk(&sim, "us-east-1").await;
    let (mut shell, _) = open(&config, &demo_instance("platform-vault-1"), None, &[]).await;
    shell.expect("platform-vault-1").await;
    let info = shell.info.clone().expect("ready");
    assert!(info.encrypted);
    assert_eq!(
        info.customer_message.as_deref(),
        Some("This session is encrypted using AWS KMS.")
    );
    shell.send("echo sealed-$((2+3))\r").await;
    shell.expect("sealed-5").await;
    let counts = sim.request_counts();
    assert_eq!(counts.get("kms:GenerateDataKey").copied(), Some(1));
}

#[tokio::test]
async fn a_basic_mode_port_session_reaches_a_loopback_echo_server() {
    let sim = start_sim().await;
    let config = sdk(&sim, "us-east-1").await;
    let port = echo_server().await.to_string();
    // The old agent only does basic port forwarding: bytes go straight through.
    let (mut session, _) = open(
        &config,
        &demo_instance("platform-legacy-build"),
        Some("AWS-StartPortForwardingSession"),
        &[("portNumber", &port)],
    )
    .await;
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    session
        .input
        .send(Input::Data(Bytes::from(payload.clone())))
        .await
        .expect("send");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while session.output.len() < payload.len() {
        let event = tokio::time::timeout_at(deadline, session.events.recv())
            .await
            .expect("in time")
            .expect("alive");
        session.take_event(event);
    }
    assert_eq!(session.output, payload);
    let info = session.info.clone().expect("ready");
    assert_eq!(info.session_type, "Port");
    assert_eq!(info.agent_version.as_deref(), Some("2.3.1319.0"));
    session.input.send(Input::Close).await.expect("close");
}

#[tokio::test]
async fn a_mux_port_session_carries_streams_and_reports_closed_ports() {
    let sim = start_sim().await;
    let config = sdk(&sim, "us-east-1").await;
    let port = echo_server().await.to_string();
    let (connector, flags) = mux_session(&config, &port).await;
    let mut streams = Vec::new();
    for n in 0..4u8 {
        let mut stream = connector.connect().expect("stream");
        streams.push(tokio::spawn(async move {
            let payload = vec![n; 100_000];
            stream.write_all(&payload).await.expect("write");
            let mut echoed = vec![0u8; payload.len()];
            stream.read_exact(&mut echoed).await.expect("read");
            assert_eq!(echoed, payload);
        }));
    }
    for stream in streams {
        tokio::time::timeout(Duration::from_secs(20), stream)
            .await
            .expect("in time")
            .expect("stream ok");
    }
    assert!(
        flags.lock().expect("lock").is_empty(),
        "an open port: no flag"
    );

    // A port nobody listens on (bound here and held, so no one else takes it): the stream is
    // closed, and the agent says ConnectToPortError.
    let held = tokio::net::TcpSocket::new_v4().expect("socket");
    held.bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let closed = held.local_addr().expect("addr").port().to_string();
    let (connector, flags) = mux_session(&config, &closed).await;
    let mut stream = connector.connect().expect("stream");
    let _ = stream.write_all(b"hello").await;
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer))
        .await
        .expect("the stream ends in time");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "nothing comes back from a closed port: {read:?}"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !flags
        .lock()
        .expect("lock")
        .contains(&bosun::protocol::PortFlag::ConnectToPortError)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "ConnectToPortError for the closed port"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(held);
}

/// A multiplexed port session to `port` on payments-api-1, with an smux client over its byte
/// stream: where streams are opened, and the flags the agent sent.
async fn mux_session(
    config: &SdkConfig,
    port: &str,
) -> (
    async_smux::MuxConnector<tokio::io::DuplexStream>,
    Arc<std::sync::Mutex<Vec<bosun::protocol::PortFlag>>>,
) {
    let (mut session, _) = open(
        config,
        &demo_instance("payments-api-1"),
        Some("AWS-StartPortForwardingSession"),
        &[("portNumber", port)],
    )
    .await;
    // Wait for the handshake, then run an smux client over the session's byte stream.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while session.info.is_none() {
        let event = tokio::time::timeout_at(deadline, session.events.recv())
            .await
            .expect("ready")
            .expect("alive");
        session.take_event(event);
    }
    let (mux_side, pump_side) = tokio::io::duplex(256 * 1024);
    let (connector, _acceptor, worker) = async_smux::MuxBuilder::client()
        .with_connection(mux_side)
        .build();
    tokio::spawn(worker);
    let (mut pump_read, mut pump_write) = tokio::io::split(pump_side);
    let input = session.input.clone();
    tokio::spawn(async move {
        let mut buffer = vec![0u8; 16 * 1024];
        while let Ok(n) = pump_read.read(&mut buffer).await {
            if n == 0
                || input
                    .send(Input::Data(Bytes::copy_from_slice(&buffer[..n])))
                    .await
                    .is_err()
            {
                break;
            }
        }
    });
    let mut events = session.events;
    let flags = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen_flags = flags.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                DriverEvent::Output(bytes) if pump_write.write_all(&bytes).await.is_err() => {
                    break;
                }
                DriverEvent::Flag(flag) => seen_flags.lock().expect("lock").push(flag),
                _ => {}
            }
        }
    });
    (connector, flags)
}

#[tokio::test]
async fn bad_requests_get_aws_shaped_errors() {
    let sim = start_sim().await;
    let raw = |body: &'static str, headers: &'static str| {
        let addr = sim.addr;
        async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let request = format!(
                "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(request.as_bytes()).await.expect("write");
            let mut response = String::new();
            stream.read_to_string(&mut response).await.expect("read");
            response
        }
    };
    let missing_auth = raw(
        "{}",
        "X-Amz-Target: AmazonSSM.DescribeInstanceInformation\r\n",
    )
    .await;
    assert!(missing_auth.starts_with("HTTP/1.1 400"), "{missing_auth}");
    assert!(missing_auth.contains("MissingAuthenticationTokenException"));
    let bad_json = raw("{not json", "X-Amz-Target: AmazonSSM.DescribeInstanceInformation\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=00\r\n").await;
    assert!(bad_json.contains("SerializationException"), "{bad_json}");
    let unknown_op = raw("{}", "X-Amz-Target: AmazonSSM.LaunchRockets\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=00\r\n").await;
    assert!(
        unknown_op.contains("UnknownOperationException"),
        "{unknown_op}"
    );
    let unknown_param = raw("{\"Bogus\":1}", "X-Amz-Target: AmazonSSM.DescribeInstanceInformation\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=00\r\n").await;
    assert!(
        unknown_param.contains("SerializationException"),
        "{unknown_param}"
    );
    // A WebSocket with a wrong token is refused; the simulator keeps serving.
    let ssm = aws_sdk_ssm::Client::new(&sdk(&sim, "us-east-1").await);
    let started = ssm
        .start_session()
        .target(demo_instance("web-frontend-2"))
        .send()
        .await
        .expect("start");
    let (mut socket, _) = tokio_tungstenite::connect_async(started.stream_url().expect("url"))
        .await
        .expect("dial");
    use futures_util::{SinkExt, StreamExt};
    let open = r#"{"MessageSchemaVersion":"1.0","RequestId":"r","TokenValue":"wrong","ClientId":"c","ClientVersion":"1.2.677.0"}"#;
    socket
        .send(tokio_tungstenite::tungstenite::Message::Text(open.into()))
        .await
        .expect("open frame");
    let next = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("answered");
    assert!(
        matches!(
            next,
            None | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | Some(Err(_))
        ),
        "{next:?}"
    );
    assert!(
        ssm.describe_instance_information().send().await.is_ok(),
        "still serving"
    );
}

#[tokio::test]
async fn throttling_faults_surface_as_throttling_exceptions() {
    let sim = start_sim().await;
    sim.set_faults(bosun::sim::Faults::parse("throttle=1").expect("spec"));
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(sim.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let throttled = ssm
        .describe_instance_information()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(error_code(&throttled), "ThrottlingException");
    sim.set_faults(bosun::sim::Faults::default());
    assert!(ssm.describe_instance_information().send().await.is_ok());
    assert!(sim.request_counts().get("throttled").copied().unwrap_or(0) >= 1);
}

/// Every response shape is checked against botocore's service models (the README's test
/// command installs botocore from PyPI).
#[tokio::test]
async fn botocore_models_accept_every_response() {
    let sim = start_sim().await;
    common::check_shapes(&[sim.endpoint_url()]).await;
}

async fn wait_for_command(
    ssm: &aws_sdk_ssm::Client,
    command_id: &str,
) -> aws_sdk_ssm::types::Command {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = ssm
            .list_commands()
            .command_id(command_id)
            .send()
            .await
            .expect("ListCommands");
        let command = listed.commands().first().expect("the command").clone();
        let status = command
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        if ["Success", "Failed", "Cancelled", "TimedOut"].contains(&status.as_str()) {
            return command;
        }
        assert!(Instant::now() < deadline, "command still {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn all_invocations(
    ssm: &aws_sdk_ssm::Client,
    command_id: &str,
) -> Vec<aws_sdk_ssm::types::CommandInvocation> {
    let mut invocations = Vec::new();
    let mut pages = ssm
        .list_command_invocations()
        .command_id(command_id)
        .details(true)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        invocations.extend(page.expect("page").command_invocations().iter().cloned());
    }
    invocations
}

#[tokio::test]
async fn run_command_runs_real_scripts_with_mixed_outcomes() {
    let config = SimConfig {
        fleet: Fleet::generate(120, 3),
        ..SimConfig::default()
    };
    let fleet = config.fleet.clone();
    let sim = sim::start(config).await.expect("simulator");
    let ssm = aws_sdk_ssm::Client::new(&sdk(&sim, "us-east-1").await);
    let script = r#"case "$TAG_ENVIRONMENT" in
  production) echo "ok $INSTANCE_ID $TAG_TEAM" ;;
  staging) echo "broken on $INSTANCE_ID" >&2; exit 4 ;;
  dev) sleep 20 ;;
esac"#;
    let sent = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .targets(
            aws_sdk_ssm::types::Target::builder()
                .key("tag:Team")
                .values("payments")
                .build(),
        )
        .parameters("commands", vec![script.to_owned()])
        .parameters("executionTimeout", vec!["2".to_owned()])
        .max_errors("100%")
        .max_concurrency("10")
        .comment("mixed outcomes")
        .output_s3_bucket_name("ops-logs")
        .send()
        .await
        .expect("SendCommand");
    let command_id = sent
        .command()
        .and_then(|c| c.command_id())
        .expect("id")
        .to_owned();
    let targets: Vec<_> = fleet
        .instances
        .iter()
        .filter(|i| {
            i.region == "us-east-1"
                && i.is_managed()
                && i.tags.get("Team").map(String::as_str) == Some("payments")
        })
        .collect();
    assert_eq!(
        sent.command().map(|c| c.target_count()),
        Some(targets.len() as i32)
    );

    let command = wait_for_command(&ssm, &command_id).await;
    let invocations = all_invocations(&ssm, &command_id).await;
    assert_eq!(invocations.len(), targets.len());
    for instance in &targets {
        let invocation = invocations
            .iter()
            .find(|i| i.instance_id() == Some(instance.id.as_str()))
            .expect("an invocation per target");
        let status = invocation.status().map(|s| s.as_str()).unwrap_or_default();
        let details = invocation.status_details().unwrap_or_default();
        let plugin = &invocation.command_plugins()[0];
        let environment = instance.tags["Environment"].as_str();
        if !instance.is_online() || instance.platform == bosun::sim::Platform::Windows {
            assert_eq!(status, "Failed", "{}", instance.id);
            let expected = if instance.is_online() {
                "InvalidPlatform"
            } else {
                "Undeliverable"
            };
            assert_eq!(details, expected);
            continue;
        }
        match environment {
            "production" => {
                assert_eq!((status, plugin.response_code()), ("Success", 0));
                assert_eq!(
                    plugin.output(),
                    Some(format!("ok {} payments\n", instance.id).as_str())
                );
            }
            "staging" => {
                assert_eq!((status, plugin.response_code()), ("Failed", 4));
                let full = ssm
                    .get_command_invocation()
                    .command_id(&command_id)
                    .instance_id(&instance.id)
                    .send()
                    .await
                    .expect("GetCommandInvocation");
                assert_eq!(
                    full.standard_error_content(),
                    Some(format!("broken on {}\n", instance.id).as_str())
                );
                assert_eq!(full.response_code(), 4);
                assert!(
                    full.standard_error_url()
                        .is_some_and(|u| u.contains("ops-logs") && u.ends_with("/stderr"))
                );
            }
            _ => assert_eq!((status, details), ("TimedOut", "ExecutionTimedOut")),
        }
    }
    // Undeliverable invocations do not count as errors; failures and timeouts do.
    let expected_errors = invocations
        .iter()
        .filter(|i| {
            matches!(i.status().map(|s| s.as_str()), Some("TimedOut"))
                || i.status_details() == Some("InvalidPlatform")
                || (i.status().map(|s| s.as_str()) == Some("Failed")
                    && i.status_details() == Some("Failed"))
        })
        .count();
    assert_eq!(command.error_count(), expected_errors as i32);
    assert_eq!(
        command.status().map(|s| s.as_str()),
        Some("Success"),
        "MaxErrors 100% was not exceeded"
    );
}

#[tokio::test]
async fn run_command_honours_max_concurrency_max_errors_and_cancel() {
    let config = SimConfig {
        fleet: Fleet::generate(60, 5),
        ..SimConfig::default()
    };
    let sim = sim::start(config).await.expect("simulator");
    let ssm = aws_sdk_ssm::Client::new(&sdk(&sim, "us-east-1").await);
    let shared = tempfile::tempdir().expect("tempdir");
    let linux_online: Vec<String> = Fleet::generate(60, 5)
        .instances
        .iter()
        .filter(|i| {
            i.region == "us-east-1" && i.is_online() && i.platform == bosun::sim::Platform::Linux
        })
        .map(|i| i.id.clone())
        .take(12)
        .collect();
    assert_eq!(linux_online.len(), 12);

    // MaxConcurrency 3: never more than three scripts at once.
    let dir = shared.path().display().to_string();
    let script =
        format!("touch {dir}/$INSTANCE_ID; ls {dir} | wc -l; sleep 0.3; rm {dir}/$INSTANCE_ID");
    let sent = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .set_instance_ids(Some(linux_online.clone()))
        .parameters("commands", vec![script])
        .max_concurrency("3")
        .send()
        .await
        .expect("send");
    let id = sent
        .command()
        .and_then(|c| c.command_id())
        .expect("id")
        .to_owned();
    assert_eq!(
        wait_for_command(&ssm, &id)
            .await
            .status()
            .map(|s| s.as_str()),
        Some("Success")
    );
    let peak = all_invocations(&ssm, &id)
        .await
        .iter()
        .filter_map(|i| {
            i.command_plugins()[0]
                .output()
                .and_then(|o| o.trim().parse::<u32>().ok())
        })
        .max()
        .expect("outputs");
    assert!((1..=3).contains(&peak), "peak concurrency {peak}");

    // MaxErrors 2 with one at a time: the third failure stops the rest.
    let sent = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .set_instance_ids(Some(linux_online.clone()))
        .parameters("commands", vec!["exit 1".to_owned()])
        .max_concurrency("1")
        .max_errors("2")
        .send()
        .await
        .expect("send");
    let id = sent
        .command()
        .and_then(|c| c.command_id())
        .expect("id")
        .to_owned();
    let command = wait_for_command(&ssm, &id).await;
    assert_eq!(command.status().map(|s| s.as_str()), Some("Failed"));
    assert_eq!(command.error_count(), 3);
    let invocations = all_invocations(&ssm, &id).await;
    let terminated = invocations
        .iter()
        .filter(|i| i.status_details() == Some("Terminated"))
        .count();
    assert_eq!(terminated, 9);

    // Cancel mid-way: running scripts are killed, waiting ones never start.
    let sent = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .set_instance_ids(Some(linux_online.clone()))
        .parameters("commands", vec!["sleep 30".to_owned()])
        .max_concurrency("2")
        .send()
        .await
        .expect("send");
    let id = sent
        .command()
        .and_then(|c| c.command_id())
        .expect("id")
        .to_owned();
    // Cancelled while two scripts run (MaxConcurrency 2) and the rest wait.
    let mut running = 0;
    for _ in 0..100 {
        running = all_invocations(&ssm, &id)
            .await
            .iter()
            .filter(|i| i.status().map(|s| s.as_str()) == Some("InProgress"))
            .count();
        if running == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(running, 2, "two scripts running before the cancel");
    ssm.cancel_command()
        .command_id(&id)
        .send()
        .await
        .expect("cancel");
    let command = wait_for_command(&ssm, &id).await;
    assert_eq!(command.status().map(|s| s.as_str()), Some("Cancelled"));
    let invocations = all_invocations(&ssm, &id).await;
    assert!(!invocations.is_empty());
    assert!(
        invocations
            .iter()
            .all(|i| i.status().map(|s| s.as_str()) == Some("Cancelled"))
    );

    // Bad requests.
    let too_many: Vec<String> = (0..51).map(|n| format!("i-{n:017x}")).collect();
    let error = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .set_instance_ids(Some(too_many))
        .parameters("commands", vec!["true".to_owned()])
        .send()
        .await
        .expect_err("51 ids");
    assert_eq!(error_code(&error), "ValidationException");
    let error = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .instance_ids("i-0000000000000dead")
        .parameters("commands", vec!["true".to_owned()])
        .send()
        .await
        .expect_err("unknown id");
    assert_eq!(error_code(&error), "InvalidInstanceId");
    let error = ssm
        .get_command_invocation()
        .command_id(&id)
        .instance_id("i-0000000000000dead")
        .send()
        .await
        .expect_err("no invocation");
    assert_eq!(error_code(&error), "InvocationDoesNotExist");
}

#[tokio::test]
async fn data_survives_loss_duplication_reordering_and_cut_connections() {
    let sim = start_sim().await;
    sim.set_faults(
        bosun::sim::Faults::parse("loss=0.03,dup=0.03,reorder=0.05,drop_after_bytes=1500000")
            .expect("spec"),
    );
    let config = sdk(&sim, "us-east-1").await;
    let port = echo_server().await.to_string();
    let (mut session, _) = open(
        &config,
        &demo_instance("platform-legacy-build"),
        Some("AWS-StartPortForwardingSession"),
        &[("portNumber", &port)],
    )
    .await;
    let payload: Vec<u8> = (0..4_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let sender = session.input.clone();
    let upload = payload.clone();
    tokio::spawn(async move {
        for chunk in upload.chunks(32 * 1024) {
            if sender
                .send(Input::Data(Bytes::copy_from_slice(chunk)))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut reconnects = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while session.output.len() < payload.len() {
        let event = tokio::time::timeout_at(deadline, session.events.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {} bytes", session.output.len(), payload.len()))
            .expect("alive");
        if event == DriverEvent::Reconnected {
            reconnects += 1;
        }
        session.take_event(event);
    }
    assert!(session.output == payload, "byte-exact through every fault");
    assert!(
        reconnects >= 2,
        "the connection was cut and resumed ({reconnects} times)"
    );
    assert!(
        sim.request_counts()
            .get("ssm:ResumeSession")
            .copied()
            .unwrap_or(0)
            >= 2
    );
}

/// ResumeSession failing five times in a row (past the SDK's own three attempts) costs a
/// few retries of bosun's, never a byte.
#[tokio::test]
async fn a_resume_session_that_fails_is_tried_again_without_losing_data() {
    let sim = start_sim().await;
    sim.set_faults(
        bosun::sim::Faults::parse("drop_after_bytes=1500000,resume_fails=5").expect("spec"),
    );
    let config = sdk(&sim, "us-east-1").await;
    let port = echo_server().await.to_string();
    let (mut session, _) = open(
        &config,
        &demo_instance("platform-legacy-build"),
        Some("AWS-StartPortForwardingSession"),
        &[("portNumber", &port)],
    )
    .await;
    let payload: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    let sender = session.input.clone();
    let upload = payload.clone();
    tokio::spawn(async move {
        for chunk in upload.chunks(32 * 1024) {
            if sender
                .send(Input::Data(Bytes::copy_from_slice(chunk)))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while session.output.len() < payload.len() {
        let event = tokio::time::timeout_at(deadline, session.events.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {} bytes", session.output.len(), payload.len()))
            .expect("the session outlives the failed resumes");
        session.take_event(event);
    }
    assert!(
        session.output == payload,
        "byte-exact across the failed resumes"
    );
    let counts = sim.request_counts();
    assert_eq!(counts.get("resume_failed").copied(), Some(5));
    assert!(counts.get("ssm:ResumeSession").copied().unwrap_or(0) >= 6);
}

#[tokio::test]
async fn an_instance_can_lose_its_agent_at_run_time_and_acks_can_lag() {
    let sim = start_sim().await;
    let config = sdk(&sim, "us-east-1").await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let target = demo_instance("payments-api-2");
    sim.set_faults(bosun::sim::Faults::parse(&format!("offline={target}")).expect("spec"));
    let info = ssm
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("InstanceIds")
                .values(&target)
                .build()
                .expect("filter"),
        )
        .send()
        .await
        .expect("describe");
    assert_eq!(
        info.instance_information_list()[0]
            .ping_status()
            .map(|p| p.as_str()),
        Some("ConnectionLost")
    );
    let refused = ssm
        .start_session()
        .target(&target)
        .send()
        .await
        .expect_err("offline");
    assert_eq!(error_code(&refused), "TargetNotConnected");

    // Back online, but every acknowledgement from the agent lags beyond the initial RTO:
    // the client resends, the agent re-acks duplicates, and the shell still works.
    sim.set_faults(bosun::sim::Faults::parse("ack_delay=300ms").expect("spec"));
    let (mut shell, _) = open(&config, &target, None, &[]).await;
    shell.expect("payments-api-2").await;
    shell.send("echo lagging-$((40+2))\r").await;
    shell.expect("lagging-42").await;
    shell.send("exit\r").await;
    let (result, _) = shell.finish().await;
    assert!(matches!(result, Ok(SessionEnd::Closed(_))), "{result:?}");
}

/// The console's Run Command service against the simulator: every invocation's status, exit
/// code and output arrive, and each polling round costs one ListCommandInvocations per command
/// plus GetCommandInvocation only for the instance being viewed.
#[tokio::test]
async fn the_console_run_service_reports_every_invocation_with_bounded_calls() {
    use bosun::model::run::{RunGroup, RunRequest, RunTarget};
    use bosun::services::runs::{RunCommand, RunEvent, RunOptions};

    let sim = start_sim().await;
    let connect = sim_sources(&sim);
    let target = |name: &str, online: bool| RunTarget {
        id: demo_instance(name),
        name: name.to_owned(),
        environment: String::new(),
        team: String::new(),
        windows: false,
        online,
        ..RunTarget::default()
    };
    let request = RunRequest {
        groups: vec![RunGroup {
            profile: "demo".to_owned(),
            region: "us-east-1".to_owned(),
            targets: vec![
                target("payments-api-1", true),
                target("payments-api-2", true),
                target("payments-api-3", false),
            ],
        }],
        script: "echo out-$INSTANCE_ID; echo err >&2; exit 4".to_owned(),
        document: None,
        timeout_seconds: 60,
        max_concurrency: "50".to_owned(),
        max_errors: "100%".to_owned(),
        comment: "bosun test".to_owned(),
        output_s3: Some(("bosun-run-logs".to_owned(), "fleet/".to_owned())),
        cloudwatch: Some(None),
        parameters: Vec::new(),
        canary: Vec::new(),
    };
    let (inputs_tx, mut inputs) = mpsc::channel(64);
    let run = bosun::services::runs::spawn(request, connect, RunOptions::default(), 1, inputs_tx);
    let first = demo_instance("payments-api-1");
    assert!(run.send(RunCommand::Watch(first.clone())));
    let mut rounds = 0;
    let mut last = Vec::new();
    let mut output = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while output.is_none()
        || last
            .iter()
            .any(|i: &bosun::model::run::InvocationView| !i.finished())
        || last.len() < 3
    {
        let event = tokio::time::timeout_at(deadline, inputs.recv())
            .await
            .expect("in time")
            .expect("the service reports");
        assert_eq!(event.generation, 1, "events name their run");
        match event.value {
            RunEvent::Progress { invocations, .. } => {
                rounds += 1;
                last = invocations;
            }
            // The output fetched once this instance's own invocation had finished (the
            // service fetches again only when its status changes).
            RunEvent::Output(o)
                if o.instance_id == first
                    && last.iter().any(|i| i.instance_id == first && i.finished()) =>
            {
                output = Some(o)
            }
            RunEvent::PollFailed(error) | RunEvent::Failed(error) => panic!("{error}"),
            _ => {}
        }
    }
    let status_of = |name: &str| {
        let id = demo_instance(name);
        let found = last.iter().find(|i| i.instance_id == id).expect("listed");
        (found.status.clone(), found.exit_code)
    };
    assert_eq!(status_of("payments-api-1"), ("Failed".into(), Some(4)));
    assert_eq!(status_of("payments-api-2"), ("Failed".into(), Some(4)));
    assert_eq!(status_of("payments-api-3").0, "Undeliverable");
    let output = output.expect("output");
    assert_eq!(output.stdout.trim(), format!("out-{first}"));
    assert_eq!(output.stderr.trim(), "err");
    assert!(
        output
            .s3_location
            .as_deref()
            .is_some_and(|url| url.contains("bosun-run-logs") && url.contains("fleet/")),
        "{:?}",
        output.s3_location
    );
    let calls = |operation: &str| calls_to(&sim, operation);
    assert_eq!(calls("SendCommand"), 1);
    assert!(
        calls("ListCommandInvocations") <= rounds,
        "{} lists over {rounds} rounds",
        calls("ListCommandInvocations")
    );
    assert!(
        calls("GetCommandInvocation") <= rounds + 1,
        "{} gets over {rounds} rounds",
        calls("GetCommandInvocation")
    );
    run.abort();
}

/// Requests the simulator has served for operations ending in `operation`.
fn calls_to(sim: &SimHandle, operation: &str) -> u64 {
    sim.request_counts()
        .iter()
        .filter(|(op, _)| op.ends_with(operation))
        .map(|(_, n)| *n)
        .sum()
}

/// A `SourceFactory` for the simulator.
fn sim_sources(sim: &SimHandle) -> bosun::services::sources::SourceFactory {
    bosun::services::sources::simulator_sources(sim.endpoint_url())
}

/// Drives the run service until every expected invocation has finished; returns the last
/// invocations and how many polling rounds it took.
async fn watch_to_the_end(
    inputs: &mut mpsc::Receiver<bosun::services::Tagged<bosun::services::runs::RunEvent>>,
    expected: usize,
    on_progress: impl Fn(&[bosun::model::run::InvocationView]),
) -> (Vec<bosun::model::run::InvocationView>, u64, bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut rounds = 0;
    let mut throttled_seen = false;
    loop {
        let event = tokio::time::timeout_at(deadline, inputs.recv())
            .await
            .expect("in time")
            .expect("the service reports");
        match event.value {
            bosun::services::runs::RunEvent::Progress {
                invocations,
                throttled,
            } => {
                rounds += 1;
                throttled_seen |= throttled;
                on_progress(&invocations);
                if invocations.len() >= expected && invocations.iter().all(|i| i.finished()) {
                    return (invocations, rounds, throttled_seen);
                }
            }
            bosun::services::runs::RunEvent::PollFailed(error)
            | bosun::services::runs::RunEvent::Failed(error) => panic!("{error}"),
            _ => {}
        }
    }
}

/// The issue's 200 targets: success, non-zero exit, timeout and offline (Undeliverable),
/// each as the simulator ran it; ListCommandInvocations stays at one call per command and
/// round; a cancelled command ends Cancelled everywhere; throttling slows, fails nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_targets_with_mixed_outcomes_through_the_console_service() {
    use bosun::model::run::{RunGroup, RunRequest, RunTarget};
    use bosun::services::runs::{RunCommand, RunOptions};

    let fleet = Fleet::generate(480, 7);
    let linux_east: Vec<&sim::Instance> = fleet
        .instances
        .iter()
        .filter(|i| {
            i.region == "us-east-1" && i.platform == sim::Platform::Linux && i.ping.is_some()
        })
        .take(200)
        .collect();
    assert_eq!(linux_east.len(), 200);
    let targets: Vec<RunTarget> = linux_east
        .iter()
        .map(|i| RunTarget {
            id: i.id.clone(),
            name: i.name().to_owned(),
            environment: String::new(),
            team: String::new(),
            windows: false,
            online: i.is_online(),
            ..RunTarget::default()
        })
        .collect();
    let sim = sim::start(SimConfig {
        fleet: fleet.clone(),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let request =
        |script: &str, targets: Vec<RunTarget>, timeout: u64, concurrency: &str| RunRequest {
            groups: vec![RunGroup {
                profile: "sim".to_owned(),
                region: "us-east-1".to_owned(),
                targets,
            }],
            script: script.to_owned(),
            document: None,
            timeout_seconds: timeout,
            max_concurrency: concurrency.to_owned(),
            max_errors: "100%".to_owned(),
            comment: "bosun scale test".to_owned(),
            output_s3: None,
            cloudwatch: None,
            parameters: Vec::new(),
            canary: Vec::new(),
        };
    // The outcome each instance should have, from the next-to-last hex digit of its id (the
    // last one is even throughout us-east-1).
    let script = "case ${INSTANCE_ID%?} in \
        *[0246]) echo ok-$INSTANCE_ID ;; \
        *[1357]) echo bad-$INSTANCE_ID >&2; exit 7 ;; \
        *[ab]) sleep 30 ;; \
        *) echo fine ;; esac";
    let expected = |target: &RunTarget| -> (&str, Option<i32>) {
        if !target.online {
            return ("Undeliverable", None);
        }
        match target.id.chars().rev().nth(1).unwrap_or('x') {
            '0' | '2' | '4' | '6' => ("Success", Some(0)),
            '1' | '3' | '5' | '7' => ("Failed", Some(7)),
            'a' | 'b' => ("TimedOut", None),
            _ => ("Success", Some(0)),
        }
    };
    let (inputs_tx, mut inputs) = mpsc::channel(64);
    let run = bosun::services::runs::spawn(
        request(script, targets.clone(), 3, "50"),
        sim_sources(&sim),
        RunOptions::default(),
        1,
        inputs_tx,
    );
    let (invocations, rounds, _) = watch_to_the_end(&mut inputs, 200, |_| {}).await;
    run.abort();
    assert_eq!(invocations.len(), 200);
    let mut seen = std::collections::BTreeMap::new();
    for target in &targets {
        let invocation = invocations
            .iter()
            .find(|i| i.instance_id == target.id)
            .expect("every target listed");
        let (status, code) = expected(target);
        assert_eq!(invocation.status, status, "{}", target.id);
        if status != "TimedOut" {
            assert_eq!(invocation.exit_code, code, "{}", target.id);
        }
        *seen.entry(status).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 4, "every outcome occurs: {seen:?}");
    let calls = |operation: &str| calls_to(&sim, operation);
    // 200 ids go out as four commands of 50; each round lists each command once (one page).
    assert_eq!(calls("SendCommand"), 4);
    assert!(
        calls("ListCommandInvocations") <= rounds * 4,
        "{} lists in {rounds} rounds",
        calls("ListCommandInvocations")
    );
    assert_eq!(calls("GetCommandInvocation"), 0, "nothing was being viewed");

    // Cancel mid-way: everything ends Cancelled (or finished before the cancel arrived).
    let sleepers: Vec<RunTarget> = targets
        .iter()
        .filter(|t| t.online)
        .take(20)
        .cloned()
        .collect();
    let (inputs_tx, mut inputs) = mpsc::channel(64);
    let run = bosun::services::runs::spawn(
        request("sleep 20", sleepers.clone(), 60, "5"),
        sim_sources(&sim),
        RunOptions::default(),
        2,
        inputs_tx,
    );
    let cancelled = std::sync::atomic::AtomicBool::new(false);
    let (invocations, _, _) = watch_to_the_end(&mut inputs, 20, |progress| {
        if progress.iter().any(|i| i.status == "InProgress")
            && !cancelled.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            assert!(run.send(RunCommand::Cancel));
        }
    })
    .await;
    run.abort();
    assert!(!invocations.is_empty());
    assert!(
        invocations.iter().all(|i| i.status == "Cancelled"),
        "{:?}",
        invocations.iter().map(|i| &i.status).collect::<Vec<_>>()
    );

    // Throttling: once the command is sent, every call is refused for a while; the polling
    // says it is throttled and slows, fails nothing, and the results come whole after.
    let few: Vec<RunTarget> = targets
        .iter()
        .filter(|t| t.online)
        .take(10)
        .cloned()
        .collect();
    let (inputs_tx, mut inputs) = mpsc::channel(64);
    let run = bosun::services::runs::spawn(
        request("echo hi", few, 30, "50"),
        sim_sources(&sim),
        RunOptions::default(),
        3,
        inputs_tx,
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout_at(deadline, inputs.recv())
            .await
            .expect("sent in time")
            .expect("the service reports");
        if matches!(event.value, bosun::services::runs::RunEvent::Sent { .. }) {
            break;
        }
    }
    sim.set_faults(bosun::sim::Faults::parse("throttle=1").expect("faults"));
    let throttled_at = loop {
        let event = tokio::time::timeout_at(deadline, inputs.recv())
            .await
            .expect("a throttled round in time")
            .expect("the service reports");
        match event.value {
            bosun::services::runs::RunEvent::Progress {
                throttled: true, ..
            } => break tokio::time::Instant::now(),
            bosun::services::runs::RunEvent::Failed(error) => panic!("{error}"),
            _ => {}
        }
    };
    // The next round waits longer than an unthrottled one would.
    let next = loop {
        let event = tokio::time::timeout_at(deadline, inputs.recv())
            .await
            .expect("another round in time")
            .expect("the service reports");
        if matches!(
            event.value,
            bosun::services::runs::RunEvent::Progress { .. }
        ) {
            break tokio::time::Instant::now();
        }
    };
    assert!(
        next - throttled_at >= Duration::from_millis(1500),
        "polling slowed: {:?}",
        next - throttled_at
    );
    sim.set_faults(bosun::sim::Faults::default());
    let (invocations, _, _) = watch_to_the_end(&mut inputs, 10, |_| {}).await;
    run.abort();
    assert_eq!(invocations.len(), 10);
    assert!(invocations.iter().all(|i| i.status == "Success"));
}

/// The data channel's upgrade is signed with SigV4 for `ssmmessages` (as plugins since
/// 1.2.764.0 sign it) and the simulator checks it with its own implementation: the right
/// secret is verified, on the first dial and on each redial after a drop; a wrong secret is
/// refused and the session never opens; a presigned StreamUrl is dialled as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_channel_upgrade_is_signed_and_checked() {
    use bosun::sim::UpgradeAuth;

    let config = SimConfig {
        credentials: vec![("AKIDSIGNER".to_owned(), "right-secret".to_owned())],
        faults: bosun::sim::Faults::parse("drop_after_bytes=1500000").expect("faults"),
        ..SimConfig::default()
    };
    let sim = sim::start(config).await.expect("simulator");
    let signed_with = |secret: &str| {
        let endpoint = sim.endpoint_url();
        let secret = secret.to_owned();
        async move {
            aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(endpoint)
                .region(Region::new("us-east-1"))
                .credentials_provider(aws_sdk_ssm::config::Credentials::new(
                    "AKIDSIGNER",
                    secret,
                    None,
                    None,
                    "test",
                ))
                .load()
                .await
        }
    };
    let target = demo_instance("payments-api-1");
    let (mut shell, session_id) =
        open(&signed_with("right-secret").await, &target, None, &[]).await;
    // Enough output to pass the drop threshold: the session redials and resumes.
    shell
        .send("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo done-$((6*7))\n")
        .await;
    shell.expect("done-42").await;
    let records: Vec<UpgradeAuth> = sim
        .upgrades()
        .into_iter()
        .filter(|r| r.session_id == session_id)
        .map(|r| r.auth)
        .collect();
    assert!(records.len() >= 2, "a first dial and a redial: {records:?}");
    assert!(
        records.iter().all(|auth| *auth
            == UpgradeAuth::Verified {
                access_key: "AKIDSIGNER".to_owned()
            }),
        "{records:?}"
    );

    // The wrong secret: refused at the upgrade, and the session never opens.
    let (mut shell, session_id) =
        open(&signed_with("wrong-secret").await, &target, None, &[]).await;
    let end = tokio::time::timeout(Duration::from_secs(60), &mut shell.driver)
        .await
        .expect("the driver gives up in time")
        .expect("joined");
    assert!(end.is_err(), "{end:?}");
    assert!(
        sim.upgrades().iter().any(|r| r.session_id == session_id),
        "the refused dial was recorded"
    );
    assert!(
        sim.upgrades()
            .iter()
            .filter(|r| r.session_id == session_id)
            .all(|r| matches!(r.auth, UpgradeAuth::Refused(_))),
        "{:?}",
        sim.upgrades()
    );

    // A presigned StreamUrl: no signature of ours.
    let presigned = sim::start(SimConfig {
        presigned_stream_urls: true,
        credentials: vec![("AKIDSIGNER".to_owned(), "right-secret".to_owned())],
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(presigned.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            "AKIDSIGNER",
            "right-secret",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    let (mut shell, session_id) = open(&config, &target, None, &[]).await;
    shell.send("echo presigned-$((40+2))\n").await;
    shell.expect("presigned-42").await;
    let records = presigned.upgrades();
    assert!(records.iter().any(|r| r.session_id == session_id));
    assert!(
        records
            .iter()
            .filter(|r| r.session_id == session_id)
            .all(|r| r.auth == UpgradeAuth::Unsigned),
        "{records:?}"
    );
}

/// A connection that goes silent (open, but nothing read or written: a laptop that slept, a
/// proxy that forgot the flow) is noticed by the pings going unanswered and resumed like a
/// dropped one, within 20 s, losing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_noticed_and_resumed_within_twenty_seconds() {
    let config = SimConfig {
        faults: bosun::sim::Faults::parse("silent_after_secs=1").expect("faults"),
        ..SimConfig::default()
    };
    let sim = sim::start(config).await.expect("simulator");
    let target = demo_instance("payments-api-1");
    let (mut shell, _) = open(&sdk(&sim, "us-east-1").await, &target, None, &[]).await;
    shell.send("echo before-$((20+22))\n").await;
    shell.expect("before-42").await;
    // Once the channel has gone silent, what is typed waits for the resume.
    common::eventually(
        Duration::from_secs(10),
        "the connection goes silent",
        || {
            let silent = sim
                .request_counts()
                .get("went_silent")
                .copied()
                .unwrap_or(0)
                >= 1;
            async move { silent }
        },
    )
    .await;
    let typed = std::time::Instant::now();
    shell.send("echo after-$((20+22))\n").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut resumed = false;
    while !String::from_utf8_lossy(&shell.output).contains("after-42") {
        match tokio::time::timeout_at(deadline, shell.events.recv()).await {
            Ok(Some(DriverEvent::Reconnected)) => resumed = true,
            Ok(Some(event)) => shell.take_event(event),
            other => panic!(
                "no echo after the silence ({other:?}): {:?}",
                String::from_utf8_lossy(&shell.output)
            ),
        }
    }
    assert!(
        resumed,
        "the silent connection was replaced by a resumed one"
    );
    // By design at most 16 s (12 s unheard, checked at each 4 s ping); the margin is for a
    // busy machine, not a budget (the figure is in the issue notes).
    let waited = typed.elapsed();
    assert!(
        waited <= Duration::from_secs(28),
        "noticed after {waited:?}"
    );
    eprintln!("a silent connection was resumed {waited:?} after the input waiting on it");
}

/// Sends raw bytes to the simulator and returns what it answered (up to its close).
async fn raw_http(sim: &SimHandle, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(sim.addr)
        .await
        .expect("connect");
    let _ = stream.write_all(request).await;
    let _ = stream.shutdown().await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// Malformed, oversized and unauthenticated requests get 4xx answers in AWS's error shape,
/// and the simulator goes on serving.
#[tokio::test]
async fn hostile_requests_get_aws_errors_and_the_simulator_keeps_serving() {
    let sim = start_sim().await;
    let json = |target: &str, auth: bool, body: &str| {
        let authorization = if auth {
            "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=00\r\n"
        } else {
            ""
        };
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {target}\r\n{authorization}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let garbage = raw_http(&sim, b"\x16\x03\x01 not http at all\r\n\r\n").await;
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 4"),
        "{garbage}"
    );

    let unsigned = raw_http(
        &sim,
        json("AmazonSSM.DescribeSessions", false, "{}").as_bytes(),
    )
    .await;
    assert!(unsigned.starts_with("HTTP/1.1 400"), "{unsigned}");
    assert!(
        unsigned.contains("MissingAuthenticationTokenException"),
        "{unsigned}"
    );

    let malformed = raw_http(
        &sim,
        json("AmazonSSM.DescribeSessions", true, "{not json").as_bytes(),
    )
    .await;
    assert!(malformed.starts_with("HTTP/1.1 400"), "{malformed}");
    assert!(
        malformed.contains("\"__type\""),
        "AWS's error shape: {malformed}"
    );

    let unknown = raw_http(&sim, json("AmazonSSM.FormatDisk", true, "{}").as_bytes()).await;
    assert!(unknown.starts_with("HTTP/1.1 400"), "{unknown}");
    assert!(unknown.contains("UnknownOperationException"), "{unknown}");

    let huge = "x".repeat(12 * 1024 * 1024);
    let oversized = raw_http(
        &sim,
        json("AmazonSSM.DescribeSessions", true, &huge).as_bytes(),
    )
    .await;
    assert!(
        oversized.is_empty() || oversized.starts_with("HTTP/1.1 413"),
        "{}",
        &oversized[..oversized.len().min(200)]
    );

    let no_session = raw_http(
        &sim,
        b"GET /v1/data-channel/nope HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .await;
    assert!(no_session.starts_with("HTTP/1.1 403"), "{no_session}");

    // Still serving.
    let ssm = aws_sdk_ssm::Client::new(&sdk(&sim, "us-east-1").await);
    let listed = ssm
        .describe_instance_information()
        .send()
        .await
        .expect("still serving");
    assert!(!listed.instance_information_list().is_empty());
}

/// `resume_moves_cell`: each ResumeSession names the session's new cell in its StreamUrl,
/// and the data-channel endpoint refuses a dial to the old one (403) while the new one
/// answers; without the fault the address holds.
#[tokio::test]
async fn a_resume_may_move_the_session_to_another_cell() {
    let sim = start_sim().await;
    let ssm = aws_sdk_ssm::Client::new(&sdk(&sim, "us-east-1").await);
    let started = ssm
        .start_session()
        .target(demo_instance("payments-api-1"))
        .send()
        .await
        .expect("start");
    let id = started.session_id().expect("id");
    let first = started.stream_url().expect("url").to_owned();
    assert!(first.contains("&cell-number="), "{first}");
    let resume = || async {
        ssm.resume_session()
            .session_id(id)
            .send()
            .await
            .expect("resume")
            .stream_url()
            .expect("url")
            .to_owned()
    };
    assert_eq!(resume().await, first, "no fault: the address holds");
    sim.set_faults(sim::Faults::parse("resume_moves_cell=1").expect("spec"));
    let moved = resume().await;
    assert_ne!(moved, first);
    let refused = tokio_tungstenite::connect_async(first.as_str())
        .await
        .expect_err("the old cell refuses");
    assert!(
        matches!(&refused, tokio_tungstenite::tungstenite::Error::Http(response) if response.status() == 403),
        "{refused}"
    );
    assert_eq!(sim.request_counts().get("moved_cell_refused"), Some(&1));
    tokio_tungstenite::connect_async(moved.as_str())
        .await
        .expect("the new cell answers");
}
