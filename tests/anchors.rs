//! Independent anchors: a session-protocol client bosun's developers did not write (the npm
//! package `ssm-session`, pinned in tests/fixtures/ssm-session) opens a shell on the simulator,
//! decodes every frame bosun's sessions build, and builds frames bosun decodes. Every field
//! where the two encode differently is listed below with its reason; the official plugin's
//! golden frame stays the reference and both decoders must read it alike.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::SessionState;
use bosun::protocol::codec::{self, DecodeError, DigestCheck};
use bosun::protocol::payload::{Acknowledge, OpenDataChannel};
use bosun::protocol::{
    AgentParams, ClientParams, Message, MessageType, PayloadType, PortFlag, Session, SessionConfig,
    SizeData,
};
use bytes::Bytes;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Where the pinned package lives; scripts/test installs it with `npm ci`.
fn anchor_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ssm-session");
    assert!(
        dir.join("node_modules/ssm-session").is_dir() && dir.join("node_modules/ws").is_dir(),
        "the npm package ssm-session is not installed: run `npm ci --prefix {}` \
         (scripts/test does), with node and npm on PATH",
        dir.display()
    );
    dir
}

/// `node client.js MODE ARGS…` with `stdin` given, in a clean environment; its JSON lines.
async fn node(mode: &str, args: &[&str], stdin: &str) -> (bool, Vec<Value>) {
    let dir = anchor_dir();
    let mut command = Command::new("node");
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(&dir)
        .arg("client.js")
        .arg(mode)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .expect("node runs (install nodejs: scripts/test does)");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("write");
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("node finishes within a minute")
        .expect("node runs");
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect();
    if !output.status.success() {
        eprintln!("node stderr: {}", String::from_utf8_lossy(&output.stderr));
    }
    (output.status.success(), lines)
}

// ---------------------------------------------------------------------------------------------
// A shell through the outside client

#[tokio::test]
async fn the_outside_client_opens_a_shell_on_the_simulator_and_exits_it() {
    let sim = common::start_sim().await;
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let started = ssm
        .start_session()
        .target(common::demo_id("payments-api-1"))
        .send()
        .await
        .expect("StartSession");
    let (ok, lines) = node(
        "shell",
        &[
            started.stream_url().expect("url"),
            started.token_value().expect("token"),
        ],
        "",
    )
    .await;
    let report = &lines[0];
    assert!(ok, "the outside client's shell failed: {report}");
    let output = report["output"].as_str().expect("output");
    // The size frame the package sends first (seq 0, 97×31) reached the shell's terminal.
    assert!(
        output.contains("anchor-42 31 97"),
        "no answer to the typed command in {output:?}"
    );
    assert_eq!(report["closedByAgent"], true, "{report}");
    // The agent's stream, as the package saw it: consecutive from 0, ended by channel_closed.
    let sequences: Vec<i64> = report["received"]
        .as_array()
        .expect("received")
        .iter()
        .filter(|m| m["messageType"] == "output_stream_data")
        .map(|m| m["sequenceNumber"].as_i64().expect("number"))
        .collect();
    assert!(!sequences.is_empty(), "no output messages: {report}");
    assert_eq!(sequences, (0..sequences.len() as i64).collect::<Vec<_>>());
    // The simulator ended the session when the shell exited.
    let session_id = started.session_id().expect("id").to_owned();
    let mut ended = false;
    for _ in 0..50 {
        let history = ssm
            .describe_sessions()
            .state(SessionState::History)
            .send()
            .await
            .expect("DescribeSessions");
        if history
            .sessions()
            .iter()
            .any(|s| s.session_id() == Some(session_id.as_str()))
        {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ended, "the session never moved to the history");
}

// ---------------------------------------------------------------------------------------------
// The outside decoder reads what bosun's sessions build

/// A client and an agent session of `session_type` wired back to back; every frame either side
/// emits is recorded as it passes.
struct Wire {
    now: Instant,
    client: Session,
    agent: Session,
    frames: Vec<Bytes>,
}

impl Wire {
    fn new(session_type: &str, properties: Value) -> Wire {
        let now = Instant::now();
        let wall = 1_700_000_000_123;
        let client = Session::client(
            SessionConfig::default(),
            ClientParams {
                session_id: "user-0123456789abcdef0".into(),
                target: "i-0123456789abcdef0".into(),
                client_version: bosun::protocol::CLIENT_VERSION.into(),
            },
            now,
            wall,
        );
        let agent = Session::agent(
            SessionConfig::default(),
            AgentParams {
                session_id: "user-0123456789abcdef0".into(),
                target: "i-0123456789abcdef0".into(),
                session_type: session_type.into(),
                properties,
                agent_version: "3.3.987.0".into(),
                kms_key_id: None,
            },
            now,
            wall,
        );
        Wire {
            now,
            client,
            agent,
            frames: Vec::new(),
        }
    }

    /// Passes frames both ways until neither side has anything to send.
    fn settle(&mut self) {
        loop {
            let mut moved = false;
            while let Some(frame) = self.client.poll_transmit() {
                self.frames.push(frame.clone());
                let _ = self.agent.handle_frame(self.now, frame);
                moved = true;
            }
            while let Some(frame) = self.agent.poll_transmit() {
                self.frames.push(frame.clone());
                let _ = self.client.handle_frame(self.now, frame);
                moved = true;
            }
            while self.client.poll_event().is_some() || self.agent.poll_event().is_some() {
                moved = true;
            }
            if !moved {
                return;
            }
        }
    }
}

/// Every frame of a shell, a non-interactive command (handshake, stderr, exit code) and a port
/// session, as bosun's client and the simulator's agent build them.
fn frames_bosun_builds() -> Vec<Bytes> {
    let mut frames = Vec::new();

    let mut shell = Wire::new("Standard_Stream", Value::Null);
    shell.agent.send_output(shell.now, b"$ ");
    shell.settle();
    shell
        .client
        .send_size(
            shell.now,
            SizeData {
                cols: 132,
                rows: 43,
            },
        )
        .expect("size");
    shell.client.send_output(shell.now, "ls -l é\r".as_bytes());
    shell.settle();
    shell.agent.send_output(shell.now, b"total 0\r\n$ ");
    shell.settle();
    shell.agent.close(shell.now, Some("Exiting session".into()));
    shell.settle();
    frames.append(&mut shell.frames);

    let mut command = Wire::new(
        "NonInteractiveCommands",
        serde_json::json!({"commands": "false"}),
    );
    command.settle();
    command.agent.send_stderr(command.now, b"no such file\n");
    command.agent.send_exit_code(command.now, 1).expect("exit");
    command.settle();
    frames.append(&mut command.frames);

    let mut port = Wire::new(
        "Port",
        serde_json::json!({"portNumber": "5432", "type": "LocalPortForwarding"}),
    );
    port.settle();
    port.client.send_output(port.now, &[0, 1, 2, 255, 254]);
    port.client
        .send_flag(port.now, PortFlag::TerminateSession)
        .expect("flag");
    port.settle();
    frames.append(&mut port.frames);
    frames
}

/// The fields the package decodes, as bosun's decoder reads them (the digest as the frame
/// carries it), and the package's side of the frame found sound: its digest the SHA-256 of
/// its payload and its length the payload's, by node's own hash.
fn expected_fields(frame: &[u8], message: &Message) -> Value {
    serde_json::json!({
        "headerLength": 116,
        "messageType": message.message_type.as_str(),
        "schemaVersion": message.schema_version,
        "createdDate": message.created_date,
        "sequenceNumber": message.sequence_number,
        "flags": message.flags,
        "messageId": message.message_id.to_string(),
        "payloadDigest": hex(&frame[80..112]),
        "payloadType": message.payload_type.0,
        "payloadLength": message.payload.len(),
        "payload": hex(&message.payload),
        "digestIsSha256OfPayload": true,
        "lengthIsPayloadLength": true,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Bytes {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect::<Vec<u8>>()
        .into()
}

#[tokio::test]
async fn the_outside_decoder_reads_every_frame_bosuns_sessions_build() {
    let frames = frames_bosun_builds();
    let kinds = |wanted: &dyn Fn(&Message) -> bool| {
        frames
            .iter()
            .filter(|f| wanted(&codec::decode(f).expect("bosun decodes its own")))
            .count()
    };
    // The sample covers what the protocol carries, so a difference cannot hide in a kind that
    // never appeared.
    for (what, count) in [
        (
            "acks",
            kinds(&|m| m.message_type == MessageType::Acknowledge),
        ),
        (
            "handshake requests",
            kinds(&|m| m.payload_type == PayloadType::HANDSHAKE_REQUEST),
        ),
        (
            "handshake responses",
            kinds(&|m| m.payload_type == PayloadType::HANDSHAKE_RESPONSE),
        ),
        (
            "handshake completes",
            kinds(&|m| m.payload_type == PayloadType::HANDSHAKE_COMPLETE),
        ),
        ("sizes", kinds(&|m| m.payload_type == PayloadType::SIZE)),
        ("stderr", kinds(&|m| m.payload_type == PayloadType::STDERR)),
        (
            "exit codes",
            kinds(&|m| m.payload_type == PayloadType::EXIT_CODE),
        ),
        ("flags", kinds(&|m| m.payload_type == PayloadType::FLAG)),
        (
            "client input",
            kinds(&|m| {
                m.message_type == MessageType::InputStreamData
                    && m.payload_type == PayloadType::OUTPUT
            }),
        ),
        (
            "agent output",
            kinds(&|m| {
                m.message_type == MessageType::OutputStreamData
                    && m.payload_type == PayloadType::OUTPUT
            }),
        ),
        (
            "channel_closed",
            kinds(&|m| m.message_type == MessageType::ChannelClosed),
        ),
    ] {
        assert!(count > 0, "the sample has no {what}");
    }

    let input: String = frames.iter().map(|f| hex(f) + "\n").collect();
    let (ok, decoded) = node("decode", &[], &input).await;
    assert!(ok, "the package's decoder failed");
    assert_eq!(decoded.len(), frames.len(), "one answer per frame");
    for (frame, theirs) in frames.iter().zip(&decoded) {
        let ours = expected_fields(frame, &codec::decode(frame).expect("decodes"));
        assert_eq!(
            &ours, theirs,
            "the package reads this frame differently from bosun"
        );
    }
}

#[tokio::test]
async fn both_decoders_read_the_official_plugins_golden_frame_alike() {
    let vectors = include_str!("fixtures/protocol-vectors.txt");
    let dump: String = vectors
        .split("== input_stream_data seq=5")
        .nth(1)
        .expect("the golden frame")
        .lines()
        .skip(1)
        .take_while(|line| line.len() > 6 && line.as_bytes()[4] == b':')
        .map(|line| line[6..].trim())
        .collect();
    let frame = unhex(&dump);
    let ours = codec::decode(&frame).expect("bosun decodes the golden frame");
    assert_eq!(ours.sequence_number, 5);
    assert_eq!(&ours.payload[..], b"ls\r");
    let (ok, decoded) = node("decode", &[], &format!("{dump}\n")).await;
    assert!(ok);
    assert_eq!(decoded[0], expected_fields(&frame, &ours));
    assert_eq!(
        decoded[0]["messageId"], "00112233-4455-6677-8899-aabbccddeeff",
        "both read the swapped UUID halves as the plugin wrote them"
    );
}

/// Every frame the official plugin and agent serialized (`fixtures/official-frames.txt`) read
/// by the package and by bosun alike, digests and lengths checked on the package's side.
#[tokio::test]
async fn both_decoders_read_every_official_frame_alike() {
    let mut frames: Vec<(String, Vec<u8>)> = Vec::new();
    for line in include_str!("fixtures/official-frames.txt").lines() {
        if let Some(title) = line.strip_prefix("== ") {
            frames.push((title.to_owned(), Vec::new()));
        } else if let (Some((_, bytes)), Some((offset, row))) =
            (frames.last_mut(), line.split_once(": "))
            && offset.len() == 4
            && offset.chars().all(|c| c.is_ascii_hexdigit())
            && row.len() % 2 == 0
            && row.chars().all(|c| c.is_ascii_hexdigit())
        {
            bytes.extend_from_slice(&unhex(row));
        }
    }
    frames.retain(|(_, bytes)| !bytes.is_empty());
    assert_eq!(frames.len(), 7, "the fixture's seven frames were found");
    let input: String = frames.iter().map(|(_, f)| hex(f) + "\n").collect();
    let (ok, decoded) = node("decode", &[], &input).await;
    assert!(ok, "the package's decoder failed");
    assert_eq!(decoded.len(), frames.len(), "one answer per frame");
    for ((title, frame), theirs) in frames.iter().zip(&decoded) {
        let bytes = Bytes::copy_from_slice(frame);
        let ours = codec::decode(&bytes).unwrap_or_else(|e| panic!("{title}: {e}"));
        assert_eq!(
            &expected_fields(frame, &ours),
            theirs,
            "{title}: the package reads it differently from bosun"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// bosun reads what the outside client builds

#[tokio::test]
async fn bosun_reads_every_frame_the_outside_client_builds() {
    let (ok, built) = node("encode", &[], "").await;
    assert!(ok, "the package's encoder failed");
    let frame_of = |line: &Value| unhex(line["hex"].as_str().expect("hex"));
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;

    let frames: Vec<(&str, Bytes)> = built
        .iter()
        .filter(|line| line.get("hex").is_some())
        .map(|line| (line["kind"].as_str().expect("kind"), frame_of(line)))
        .collect();
    assert_eq!(frames.len(), 4, "size, two inputs and an ack");
    for (kind, frame) in &frames {
        // Difference 1, the digest: the package writes the first 32 hex characters of the
        // SHA-256 as ASCII where the plugin writes the 32 raw bytes. The agent never checks the
        // digest (docs/protocol.md §3.2), so its frames work against AWS and against the
        // simulator's agent, which reads them as the agent does; bosun's client does check, as
        // the plugin does, and would drop such a frame from an agent.
        assert!(
            matches!(codec::decode(frame), Err(DecodeError::DigestMismatch)),
            "{kind}: the package's digest is not the SHA-256"
        );
        let message =
            codec::decode_checked(frame, DigestCheck::Skip).expect("bosun's agent side reads it");
        assert_eq!(message.message_type.as_str().len(), kind_type(kind).len());
        assert_eq!(message.message_type.as_str(), kind_type(kind), "{kind}");
        // Difference 2, padding: the package pads MessageType with NULs on the left where the
        // plugin pads with spaces on the right; readers strip both, bosun's included (checked
        // by the type just read).
        assert_eq!(
            frame[4], 0,
            "{kind}: the package pads on the left with NULs"
        );
        assert_eq!(message.schema_version, 1);
        assert!(
            message.created_date.abs_diff(now_ms) < 600_000,
            "{kind}: CreatedDate is epoch milliseconds"
        );
        match *kind {
            "size" => {
                assert_eq!(message.sequence_number, 0);
                assert_eq!(message.payload_type, PayloadType::SIZE);
                let size: SizeData = serde_json::from_slice(&message.payload).expect("size json");
                assert_eq!(
                    size,
                    SizeData {
                        cols: 132,
                        rows: 43
                    }
                );
                assert_eq!(message.flags, 1);
            }
            "input" => {
                assert_eq!(message.payload_type, PayloadType::OUTPUT);
                // Difference 3, flags: the package sets SYN on every input but its seq 1 (the
                // plugin: SYN on none but seq 0). Receivers go by sequence number and ignore the
                // flags of stream data.
                let expected_flags = if message.sequence_number == 1 { 0 } else { 1 };
                assert_eq!(message.flags, expected_flags);
                let text = if message.sequence_number == 1 {
                    "ls -l\r"
                } else {
                    "é\u{3}"
                };
                assert_eq!(&message.payload[..], text.as_bytes());
            }
            "ack" => {
                let ack: Acknowledge = serde_json::from_slice(&message.payload).expect("ack json");
                assert_eq!(
                    Acknowledge::sequence_of(&message.payload).expect("sequence"),
                    5
                );
                assert_eq!(ack.message_id, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
                assert_eq!(ack.message_type, "output_stream_data");
                assert!(ack.is_sequential);
                // Difference 4, the ack's own header: the package gives it PayloadType 3 and the
                // acknowledged sequence number, where the plugin writes 0 and 0 with SYN|FIN.
                // Receivers read acks from the JSON alone.
                assert_eq!(message.payload_type, PayloadType::SIZE);
                assert_eq!(message.sequence_number, 5);
            }
            other => panic!("unexpected frame kind {other}"),
        }
    }

    // Difference 5, the open-data-channel text: no ClientId or ClientVersion. The service took
    // it without (the package worked against AWS), and so does the simulator (the shell test
    // above); without a ClientVersion the agent treats the client as one that predates smux.
    let token = built
        .iter()
        .find(|line| line["kind"] == "token")
        .expect("token message");
    let open: OpenDataChannel =
        serde_json::from_str(token["text"].as_str().expect("text")).expect("bosun reads it");
    assert_eq!(open.token_value, "the-token");
    assert_eq!(open.message_schema_version, "1.0");
    assert!(open.client_id.is_empty() && open.client_version.is_none());
}

fn kind_type(kind: &str) -> &'static str {
    match kind {
        "ack" => "acknowledge",
        _ => "input_stream_data",
    }
}
