//! Hostile input to both ends: well-framed messages of every type carrying arbitrary bytes
//! or mutated JSON (acknowledgements, channel_closed, handshakes, flags, sizes), fed to a
//! ready client and a ready agent. Whatever arrives, nothing panics, each refusal is an error
//! that says what was wrong, and a session that is not closed goes on carrying data both ways.

use std::time::Duration;

use bosun::protocol::codec;
use bosun::protocol::{Message, MessageType, PayloadType, SessionConfig};
use bytes::Bytes;
use proptest::prelude::*;
use uuid::Uuid;

use crate::harness::{LinkConfig, Pair, shell_params};

const TEMPLATES: [&str; 5] = [
    r#"{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"9f2a8c1e-0b1d-4a55-8f1e-2b7c3d4e5f60","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":true}"#,
    r#"{"MessageId":"m","CreatedDate":"2026-11-21T08:00:00Z","DestinationId":"i-0","SessionId":"s","MessageType":"channel_closed","SchemaVersion":1,"Output":"bye"}"#,
    r#"{"AgentVersion":"3.3.987.0","RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Standard_Stream","Properties":{}}}]}"#,
    r#"{"cols":80,"rows":24}"#,
    r#"{"HandshakeTimeToComplete":1000000,"CustomerMessage":"hi"}"#,
];

fn message_type() -> impl Strategy<Value = MessageType> {
    prop_oneof![
        Just(MessageType::InputStreamData),
        Just(MessageType::OutputStreamData),
        Just(MessageType::Acknowledge),
        Just(MessageType::ChannelClosed),
        Just(MessageType::StartPublication),
        Just(MessageType::PausePublication),
        Just(MessageType::AgentSessionState),
        "[a-z_]{1,20}".prop_map(MessageType::Unknown),
    ]
}

/// Arbitrary bytes, or a template with a few bytes overwritten (or cut short).
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..300),
        (
            0..TEMPLATES.len(),
            proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(template, flips, cut)| {
                let mut bytes = TEMPLATES[template].as_bytes().to_vec();
                for (at, byte) in flips {
                    let at = at.index(bytes.len());
                    bytes[at] = byte;
                }
                let keep = cut.index(bytes.len() + 1);
                if keep > bytes.len() / 2 {
                    bytes.truncate(keep);
                }
                bytes
            }),
    ]
}

fn hostile_frame() -> impl Strategy<Value = Bytes> {
    // Stream data far ahead of the real stream: a frame that takes a sequence number in use
    // is, to the protocol, the peer's data (the channel is the authentication), so a forged
    // one would rightly displace the real one; ahead, it waits in the reorder buffer.
    (
        message_type(),
        0u32..14,
        1_000i64..1_006,
        any::<u64>(),
        payload(),
    )
        .prop_map(
            |(message_type, payload_type, sequence_number, flags, payload)| {
                codec::encode(&Message {
                    message_type,
                    schema_version: 1,
                    created_date: 1,
                    sequence_number,
                    flags: flags % 4,
                    message_id: Uuid::new_v4(),
                    payload_type: PayloadType(payload_type),
                    payload: Bytes::from(payload),
                })
                .expect("encodes")
            },
        )
}

proptest! {
    #![proptest_config(crate::harness::persisted(96, "hostile"))]

    #[test]
    fn hostile_frames_never_panic_and_a_live_session_goes_on(
        frames in proptest::collection::vec(hostile_frame(), 1..8),
        to_client in any::<bool>(),
    ) {
        let mut pair = Pair::new(
            SessionConfig::default(),
            shell_params(),
            LinkConfig::clean(),
            LinkConfig::clean(),
            7,
        );
        pair.agent.send_output(pair.now, b"$ ");
        prop_assert!(pair.run_until(Duration::from_secs(5), |p| p.client.is_ready()));
        let now = pair.now;
        for frame in frames {
            let target = if to_client { &mut pair.client } else { &mut pair.agent };
            if let Err(error) = target.handle_frame(now, frame) {
                prop_assert!(!error.to_string().is_empty());
            }
        }
        // A forged pause_publication holds a sender until the service says start again, as
        // it should: say it, as the service would.
        let start = codec::encode(&Message {
            message_type: MessageType::StartPublication,
            schema_version: 1,
            created_date: 1,
            sequence_number: 0,
            flags: 3,
            message_id: Uuid::new_v4(),
            payload_type: PayloadType::NONE,
            payload: Bytes::from_static(b"{}"),
        })
        .expect("encodes");
        let _ = pair.client.handle_frame(now, start.clone());
        let _ = pair.agent.handle_frame(now, start);
        pair.run_for(Duration::from_secs(1));
        if pair.client.is_closed() || pair.agent.is_closed() {
            return Ok(());
        }
        pair.client_app.received.clear();
        pair.agent_app.received.clear();
        pair.agent_app.to_send = b"still-down".to_vec();
        pair.agent_app.sent = 0;
        pair.client_app.to_send = b"still-up".to_vec();
        pair.client_app.sent = 0;
        let carried = pair.run_until(Duration::from_secs(120), |p| {
            p.client_app.received.ends_with(b"still-down")
                && p.agent_app.received.ends_with(b"still-up")
        });
        // A forged channel_closed that was queued may still close a session while it runs.
        prop_assert!(
            carried || pair.client.is_closed() || pair.agent.is_closed(),
            "a live session stopped carrying data: down {:?} up {:?}",
            String::from_utf8_lossy(&pair.client_app.received),
            String::from_utf8_lossy(&pair.agent_app.received)
        );
    }
}
