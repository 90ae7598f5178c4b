//! Golden frames and JSON from the official plugin's serializer, and codec properties.

use bosun::protocol::codec::{self, DecodeError};
use bosun::protocol::payload::{
    Acknowledge, ActionStatus, EncryptionChallenge, HandshakeResponse, KmsEncryptionResponse,
    OpenDataChannel, ProcessedClientAction,
};
use bosun::protocol::{Message, MessageType, PayloadType, SizeData};
use bytes::Bytes;
use proptest::prelude::*;
use uuid::Uuid;

const VECTORS: &str = include_str!("../fixtures/protocol-vectors.txt");

/// The hex dump under the `== input_stream_data` heading.
fn golden_frame() -> Vec<u8> {
    let mut hex = String::new();
    let mut in_dump = false;
    for line in VECTORS.lines() {
        if line.starts_with("== input_stream_data") {
            in_dump = true;
            continue;
        }
        if in_dump {
            match line.split_once(": ") {
                Some((offset, row)) if offset.len() == 4 => hex.push_str(row.trim()),
                _ => break,
            }
        }
    }
    hex::decode(hex).expect("golden dump is hex")
}

/// The JSON after `label:` in the vectors file.
fn golden_json(label: &str) -> String {
    VECTORS
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .map(|rest| rest.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label} in vectors"))
}

fn golden_message() -> Message {
    Message {
        message_type: MessageType::InputStreamData,
        schema_version: 1,
        created_date: 1_700_000_000_123,
        sequence_number: 5,
        flags: 0,
        message_id: Uuid::parse_str("00112233-4455-6677-8899-aabbccddeeff").expect("uuid"),
        payload_type: PayloadType::OUTPUT,
        payload: Bytes::from_static(b"ls\r"),
    }
}

#[test]
fn golden_frame_encodes_byte_exact() {
    let golden = golden_frame();
    assert_eq!(golden.len(), 123);
    let encoded = codec::encode(&golden_message()).expect("encodes");
    assert_eq!(hex::encode(&encoded), hex::encode(&golden));
}

#[test]
fn golden_frame_decodes_to_its_fields() {
    let decoded = codec::decode(&Bytes::from(golden_frame())).expect("decodes");
    assert_eq!(decoded, golden_message());
    assert_eq!(
        decoded.message_id.hyphenated().to_string(),
        "00112233-4455-6677-8899-aabbccddeeff"
    );
}

#[test]
fn ack_json_matches_key_for_key() {
    let ack = Acknowledge {
        message_type: "output_stream_data".into(),
        message_id: "00112233-4455-6677-8899-aabbccddeeff".into(),
        sequence_number: 7,
        is_sequential: true,
    };
    assert_eq!(
        serde_json::to_string(&ack).expect("json"),
        golden_json("ack json:")
    );
    let parsed: Acknowledge = serde_json::from_str(&golden_json("ack json:")).expect("parses");
    assert_eq!(parsed, ack);
}

#[test]
fn size_json_matches() {
    let size = SizeData { cols: 80, rows: 24 };
    assert_eq!(
        serde_json::to_string(&size).expect("json"),
        golden_json("size json:")
    );
}

#[test]
fn handshake_response_json_matches() {
    let plain = HandshakeResponse {
        client_version: "1.2.677.0".into(),
        processed_client_actions: vec![ProcessedClientAction {
            action_type: "SessionType".into(),
            action_status: ActionStatus::Success,
            action_result: serde_json::Value::Null,
            error: String::new(),
        }],
        errors: None,
    };
    assert_eq!(
        serde_json::to_string(&plain).expect("json"),
        golden_json("handshake response json (no errors):")
    );
    let kms = HandshakeResponse {
        processed_client_actions: vec![ProcessedClientAction {
            action_type: "KMSEncryption".into(),
            action_status: ActionStatus::Success,
            action_result: serde_json::to_value(KmsEncryptionResponse {
                kms_cipher_text_key: "AQID".into(),
                kms_cipher_text_hash: None,
                challenge_acknowledgement: false,
            })
            .expect("value"),
            error: String::new(),
        }],
        ..plain
    };
    assert_eq!(
        serde_json::to_string(&kms).expect("json"),
        golden_json("handshake response json (kms):")
    );
}

#[test]
fn open_data_channel_json_matches() {
    let open = OpenDataChannel {
        message_schema_version: "1.0".into(),
        request_id: "9f3b1c2e-0000-4000-8000-000000000001".into(),
        token_value: "TOKEN".into(),
        client_id: "6c0a7d2e-0000-4000-8000-000000000002".into(),
        client_version: Some("1.2.677.0".into()),
    };
    assert_eq!(
        serde_json::to_string(&open).expect("json"),
        golden_json("open data channel json:")
    );
    assert!(
        !open.to_string().contains("TOKEN"),
        "Display hides the token"
    );
}

#[test]
fn challenge_json_matches() {
    let challenge = EncryptionChallenge {
        challenge: "3q2+7w==".into(),
    };
    assert_eq!(
        serde_json::to_string(&challenge).expect("json"),
        golden_json("enc challenge response json:")
    );
}

#[test]
fn malformed_frames_are_rejected_with_their_reason() {
    let good = codec::encode(&golden_message()).expect("encodes");
    assert_eq!(
        codec::decode(&good.slice(..100)),
        Err(DecodeError::Short(100))
    );

    let mut low_header = good.to_vec();
    low_header[..4].copy_from_slice(&100u32.to_be_bytes());
    assert_eq!(
        codec::decode(&Bytes::from(low_header)),
        Err(DecodeError::BadHeaderLength(100))
    );

    let mut bad_digest = good.to_vec();
    bad_digest[80] ^= 0x55;
    assert_eq!(
        codec::decode(&Bytes::from(bad_digest)),
        Err(DecodeError::DigestMismatch)
    );

    let mut oversize = good.to_vec();
    oversize[116..120].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        codec::decode(&Bytes::from(oversize)),
        Err(DecodeError::PayloadOutOfBounds { .. })
    ));

    let mut zero_date = good.to_vec();
    zero_date[40..48].fill(0);
    assert_eq!(
        codec::decode(&Bytes::from(zero_date)),
        Err(DecodeError::ZeroCreatedDate)
    );

    let mut blank_type = good.to_vec();
    blank_type[4..36].fill(b' ');
    assert_eq!(
        codec::decode(&Bytes::from(blank_type)),
        Err(DecodeError::EmptyMessageType)
    );

    let mut unknown = golden_message();
    unknown.message_type = MessageType::Unknown("interactive_shell".into());
    let decoded = codec::decode(&codec::encode(&unknown).expect("encodes")).expect("decodes");
    assert_eq!(
        decoded.message_type,
        MessageType::Unknown("interactive_shell".into())
    );
}

fn arbitrary_message() -> impl Strategy<Value = Message> {
    let types = prop_oneof![
        Just(MessageType::InputStreamData),
        Just(MessageType::OutputStreamData),
        Just(MessageType::Acknowledge),
        Just(MessageType::ChannelClosed),
        Just(MessageType::StartPublication),
        Just(MessageType::PausePublication),
        "[a-z_]{1,32}".prop_map(|name| MessageType::parse(&name)),
    ];
    (
        types,
        any::<u32>(),
        1..u64::MAX,
        any::<i64>(),
        any::<u64>(),
        any::<u128>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 1..3000),
    )
        .prop_map(
            |(
                message_type,
                schema_version,
                created_date,
                sequence_number,
                flags,
                id,
                payload_type,
                payload,
            )| {
                Message {
                    message_type,
                    schema_version,
                    created_date,
                    sequence_number,
                    flags,
                    message_id: Uuid::from_u128(id),
                    payload_type: PayloadType(payload_type),
                    payload: Bytes::from(payload),
                }
            },
        )
}

proptest! {
    #![proptest_config(crate::harness::persisted(256, "codec"))]

    #[test]
    fn encode_then_decode_is_identity(message in arbitrary_message()) {
        let frame = codec::encode(&message).expect("encodes");
        prop_assert_eq!(frame.len(), 120 + message.payload.len());
        prop_assert_eq!(codec::decode(&frame).expect("decodes"), message);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = codec::decode(&Bytes::from(bytes));
    }

    #[test]
    fn corrupted_frames_never_panic_the_decoder(
        message in arbitrary_message(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut frame = codec::encode(&message).expect("encodes").to_vec();
        for (at, value) in flips {
            let index = at.index(frame.len());
            frame[index] = value;
        }
        frame.truncate(cut.index(frame.len() + 1).max(1));
        let _ = codec::decode(&Bytes::from(frame));
    }
}
