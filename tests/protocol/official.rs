//! Frames of every kind the official plugin and agent serialize, and KMS encryption as each
//! of them computes it (`tests/fixtures/official-frames.txt`, `kms-vectors.txt`: produced with
//! session-manager-plugin 1.2.677.0 and amazon-ssm-agent 3.3.1142.0, their provenance at the
//! top of each file). bosun reads each frame to the fields the official deserializer reads,
//! writes it back byte for byte, and understands its payload.

use bosun::protocol::Role;
use bosun::protocol::codec::{self, DigestCheck};
use bosun::protocol::crypto::{
    CONTEXT_RANDOM_CHALLENGE, CONTEXT_SESSION_ID, CONTEXT_TARGET_ID, SessionCipher,
};
use bosun::protocol::payload::{
    Acknowledge, ChannelClosed, HandshakeRequest, HandshakeResponse, SessionTypeRequest,
};
use bosun::protocol::{MessageType, PayloadType, PortFlag};
use bytes::Bytes;
use sha2::{Digest, Sha256};

const FRAMES: &str = include_str!("../fixtures/official-frames.txt");
const KMS: &str = include_str!("../fixtures/kms-vectors.txt");

/// One frame of the fixture: its title, bytes, and what the plugin's deserializer read.
struct Golden {
    title: String,
    bytes: Vec<u8>,
    parsed: String,
}

fn frames() -> Vec<Golden> {
    let mut frames: Vec<Golden> = Vec::new();
    for line in FRAMES.lines() {
        if let Some(title) = line.strip_prefix("== ") {
            frames.push(Golden {
                title: title.to_owned(),
                bytes: Vec::new(),
                parsed: String::new(),
            });
        } else if let Some(frame) = frames.last_mut() {
            match line.split_once(": ") {
                Some((offset, row))
                    if offset.len() == 4
                        && offset.chars().all(|c| c.is_ascii_hexdigit())
                        && frame.parsed.is_empty() =>
                {
                    frame
                        .bytes
                        .extend(hex::decode(row.trim()).expect("hex row"));
                }
                _ => {
                    if let Some(parsed) =
                        line.strip_prefix("parsed by plugin DeserializeClientMessage: ")
                    {
                        frame.parsed = parsed.to_owned();
                    }
                }
            }
        }
    }
    frames
}

/// `Name=value` from a `parsed by …` line.
fn field<'a>(parsed: &'a str, name: &str) -> &'a str {
    parsed
        .split(' ')
        .find_map(|part| part.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {parsed}"))
        .trim_matches('"')
}

fn frame(title_starts: &str) -> Golden {
    frames()
        .into_iter()
        .find(|f| f.title.starts_with(title_starts))
        .unwrap_or_else(|| panic!("no frame {title_starts:?}"))
}

fn kms(label: &str) -> Vec<u8> {
    let value = KMS
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no {label} in kms-vectors.txt"));
    hex::decode(value.trim()).expect("hex")
}

#[test]
fn every_official_frame_reads_as_the_official_deserializer_reads_it_and_writes_back_byte_exact() {
    let frames = frames();
    assert_eq!(
        frames.len(),
        7,
        "acknowledge, two channel_closed, handshake request and response, flag, encrypted"
    );
    for golden in frames {
        let bytes = Bytes::from(golden.bytes.clone());
        let message = codec::decode_checked(&bytes, DigestCheck::Verify)
            .unwrap_or_else(|e| panic!("{}: {e}", golden.title));
        let parsed = &golden.parsed;
        assert_eq!(field(parsed, "HeaderLength"), "116", "{}", golden.title);
        assert_eq!(message.message_type.as_str(), field(parsed, "MessageType"));
        assert_eq!(
            message.schema_version.to_string(),
            field(parsed, "SchemaVersion")
        );
        assert_eq!(
            message.created_date.to_string(),
            field(parsed, "CreatedDate")
        );
        assert_eq!(
            message.sequence_number.to_string(),
            field(parsed, "SequenceNumber")
        );
        assert_eq!(message.flags.to_string(), field(parsed, "Flags"));
        assert_eq!(
            message.message_id.hyphenated().to_string(),
            field(parsed, "MessageId")
        );
        assert_eq!(
            message.payload_type.0.to_string(),
            field(parsed, "PayloadType")
        );
        assert_eq!(
            message.payload.len().to_string(),
            field(parsed, "PayloadLength")
        );
        assert_eq!(
            hex::encode(Sha256::digest(&message.payload)),
            field(parsed, "PayloadDigest"),
            "{}",
            golden.title
        );
        let again = codec::encode(&message).expect("encodes");
        assert_eq!(
            hex::encode(&again),
            hex::encode(&golden.bytes),
            "{}",
            golden.title
        );
    }
}

#[test]
fn the_payloads_mean_what_the_official_code_meant() {
    // An acknowledgement, as the plugin writes it.
    let ack = codec::decode(&Bytes::from(frame("acknowledge").bytes)).expect("frame");
    assert_eq!(ack.message_type, MessageType::Acknowledge);
    let content: Acknowledge = serde_json::from_slice(&ack.payload).expect("ack json");
    assert_eq!(
        (
            content.message_type.as_str(),
            content.sequence_number,
            content.is_sequential
        ),
        ("output_stream_data", 7, true)
    );
    assert_eq!(Acknowledge::sequence_of(&ack.payload).expect("sequence"), 7);

    // channel_closed in both the agent's and the plugin's shapes, the service's words kept.
    for (title, output) in [
        ("channel_closed (agent struct", ""),
        ("channel_closed (plugin struct", "bye"),
    ] {
        let closed = codec::decode(&Bytes::from(frame(title).bytes)).expect("frame");
        assert_eq!(closed.message_type, MessageType::ChannelClosed);
        let body: ChannelClosed = serde_json::from_slice(&closed.payload).expect("json");
        assert_eq!(
            (body.session_id.as_str(), body.output.as_str()),
            ("s-1", output)
        );
    }

    // The agent's handshake request and the plugin's response.
    let request = codec::decode(&Bytes::from(
        frame("output_stream_data seq=0 HandshakeRequest").bytes,
    ))
    .expect("frame");
    assert_eq!(request.payload_type, PayloadType::HANDSHAKE_REQUEST);
    let body: HandshakeRequest = serde_json::from_slice(&request.payload).expect("json");
    assert_eq!(body.agent_version, "3.3.987.0");
    let session: SessionTypeRequest =
        serde_json::from_value(body.requested_client_actions[0].action_parameters.clone())
            .expect("session type");
    assert_eq!(session.session_type, "Standard_Stream");
    let response = codec::decode(&Bytes::from(
        frame("input_stream_data seq=0 HandshakeResponse").bytes,
    ))
    .expect("frame");
    let body: HandshakeResponse = serde_json::from_slice(&response.payload).expect("json");
    assert_eq!(body.processed_client_actions.len(), 1);

    // A flag: TerminateSession, four bytes big-endian.
    let flag =
        codec::decode(&Bytes::from(frame("input_stream_data seq=3 Flag").bytes)).expect("frame");
    assert_eq!(flag.payload_type, PayloadType::FLAG);
    let code = u32::from_be_bytes(flag.payload[..4].try_into().expect("four bytes"));
    assert_eq!(PortFlag::from_code(code), Some(PortFlag::TerminateSession));

    // An encrypted keystroke: the agent's half of the vectors' key opens it.
    let encrypted = codec::decode(&Bytes::from(
        frame("input_stream_data seq=4 Output encrypted").bytes,
    ))
    .expect("frame");
    let agent = SessionCipher::new(&kms("key"), Role::Agent).expect("cipher");
    assert_eq!(agent.decrypt(&encrypted.payload).expect("opens"), b"ls\r");
}

#[test]
fn kms_vectors_open_on_the_other_side_and_name_the_context_bosun_sends() {
    let key = kms("key");
    let client = SessionCipher::new(&key, Role::Client).expect("client");
    let agent = SessionCipher::new(&key, Role::Agent).expect("agent");
    // What the plugin sealed, the agent side opens; what the agent sealed, the client opens.
    for (label, plain) in [
        ("client_to_agent \"ls\\r\"", &b"ls\r"[..]),
        (
            "client_to_agent \"0123456789abcdefghij\"",
            b"0123456789abcdefghij",
        ),
    ] {
        assert_eq!(agent.decrypt(&kms(label)).expect(label), plain);
        assert!(
            client.decrypt(&kms(label)).is_err(),
            "{label}: not with its own half"
        );
    }
    for (label, plain) in [
        ("agent_to_client \"ls\\r\"", &b"ls\r"[..]),
        (
            "agent_to_client \"0123456789abcdefghij\"",
            b"0123456789abcdefghij",
        ),
        ("agent_to_client_second \"ls\\r\"", b"ls\r"),
    ] {
        assert_eq!(client.decrypt(&kms(label)).expect(label), plain);
        assert!(
            agent.decrypt(&kms(label)).is_err(),
            "{label}: not with its own half"
        );
    }
    // The context keys bosun puts in GenerateDataKey, spelled as the official code spells them.
    for key in [
        CONTEXT_SESSION_ID,
        CONTEXT_TARGET_ID,
        CONTEXT_RANDOM_CHALLENGE,
    ] {
        assert!(
            KMS.contains(&format!("\"{key}\"")),
            "{key} in kms-vectors.txt"
        );
    }
}
