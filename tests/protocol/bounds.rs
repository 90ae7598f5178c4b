//! Memory bounds against a hostile or broken peer: one that never acknowledges, one that floods
//! duplicates or acknowledgements while not reading its socket, one that sends far ahead of the
//! stream. Whatever the peer does, the bytes a session holds (`buffered_bytes`) stay under a
//! figure set by the configuration, and stop growing.

use std::time::{Duration, Instant};

use bosun::protocol::codec;
use bosun::protocol::{Message, MessageType, PayloadType, Session, SessionConfig};
use bytes::Bytes;
use uuid::Uuid;

use crate::harness::{LinkConfig, Pair, shell_params};

const MIB: usize = 1024 * 1024;

/// A client and an agent past the handshake, nothing in flight.
fn ready_pair() -> Pair {
    let mut pair = Pair::new(
        SessionConfig::default(),
        shell_params(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        11,
    );
    pair.agent.send_output(pair.now, b"$ ");
    assert!(
        pair.run_until(Duration::from_secs(5), |p| p.client.is_ready()
            && p.client_app.received.ends_with(b"$ "))
    );
    pair
}

fn output_frame(sequence_number: i64, payload: &[u8]) -> Bytes {
    codec::encode(&Message {
        message_type: MessageType::OutputStreamData,
        schema_version: 1,
        created_date: 1,
        sequence_number,
        flags: 0,
        message_id: Uuid::new_v4(),
        payload_type: PayloadType::OUTPUT,
        payload: Bytes::copy_from_slice(payload),
    })
    .expect("encodes")
}

fn ack_frame(sequence: i64) -> Bytes {
    let json = format!(
        r#"{{"AcknowledgedMessageType":"input_stream_data","AcknowledgedMessageId":"{}","AcknowledgedMessageSequenceNumber":{sequence},"IsSequentialMessage":true}}"#,
        Uuid::new_v4()
    );
    codec::encode(&Message {
        message_type: MessageType::Acknowledge,
        schema_version: 1,
        created_date: 1,
        sequence_number: 0,
        flags: 3,
        message_id: Uuid::new_v4(),
        payload_type: PayloadType::NONE,
        payload: Bytes::from(json),
    })
    .expect("encodes")
}

/// Sends as much as the window takes, then lets `duration` pass in 100 ms steps without an
/// ack, draining the socket or not. Returns the most the session held at any step.
fn hold_without_acks(session: &mut Session, start: Instant, drain: bool) -> usize {
    let chunk = vec![b'x'; 64 * 1024];
    let mut most = 0;
    for step in 0..6_000u32 {
        let now = start + Duration::from_millis(100) * step;
        while session.send_output(now, &chunk) > 0 {}
        session.handle_timeout(now);
        if drain {
            while session.poll_transmit().is_some() {}
        }
        most = most.max(session.buffered_bytes());
        if session.is_closed() {
            break;
        }
    }
    most
}

#[test]
fn a_peer_that_never_acknowledges_holds_the_sender_to_its_window() {
    for drain in [false, true] {
        let mut pair = ready_pair();
        let most = hold_without_acks(&mut pair.client, pair.now, drain);
        // The window (1 MiB of payload), its frames once in the send buffer and at most twice
        // in the write queue (a resend round queued behind the first send).
        assert!(
            most < 4 * MIB,
            "held {most} bytes with the socket {}",
            if drain { "drained" } else { "stuck" }
        );
        assert!(
            pair.client.is_closed(),
            "ten minutes without an ack ends the session"
        );
    }
}

#[test]
fn duplicates_and_acks_flooding_a_stuck_socket_stay_bounded() {
    let mut pair = ready_pair();
    let now = pair.now;
    // The agent's first output message again and again, and acks for everything and nothing,
    // while nothing the client queues is written.
    let duplicate = output_frame(0, b"$ ");
    let mut after_first_flood = 0;
    for round in 0..2 {
        for sequence in 0..50_000 {
            let _ = pair.client.handle_frame(now, duplicate.clone());
            let _ = pair.client.handle_frame(now, ack_frame(sequence));
        }
        if round == 0 {
            after_first_flood = pair.client.buffered_bytes();
        }
    }
    let held = pair.client.buffered_bytes();
    assert!(held < 2 * MIB, "held {held} bytes after 200,000 frames");
    assert_eq!(
        held, after_first_flood,
        "the second flood grew what is held"
    );
    assert!(!pair.client.is_closed());
}

#[test]
fn data_far_ahead_of_the_stream_or_past_a_stalled_consumer_stays_bounded() {
    let mut pair = ready_pair();
    let now = pair.now;
    let kib = vec![b'y'; 1024];
    pair.client_app.paused_consumer = true;
    // Far ahead: waits in the reorder buffer until it is full, then is refused unacked.
    for offset in 0..20_000 {
        let _ = pair
            .client
            .handle_frame(now, output_frame(1_000 + offset, &kib));
    }
    // In order, to a consumer that takes nothing: held until the receive queue is full (the
    // first few are duplicates of the handshake and the prompt).
    for sequence in 0..20_000 {
        let _ = pair.client.handle_frame(now, output_frame(sequence, &kib));
    }
    let held = pair.client.buffered_bytes();
    // 4,096 messages of reorder buffer and 256 of receive queue, at 1 KiB each, plus acks.
    assert!(held < 6 * MIB, "held {held} bytes");
    assert!(!pair.client.is_closed());
}

/// An agent that never joins its side of the channel (it cannot reach ssmmessages) ends the
/// client's session after the first-contact wait, with a reason a person can act on; an agent
/// that answers, even only just in time, is never cut off, and resumes start no new wait.
#[test]
fn a_silent_agent_ends_the_session_after_the_first_contact_wait() {
    use bosun::protocol::CloseReason;
    let config = SessionConfig::default();
    let wait = config.first_contact_timeout;
    let start = Instant::now();
    let mut silent = Session::client(config.clone(), crate::harness::client_params(), start, 1);
    // Before the channel opens nothing is timed: a slow dial is not the agent's fault.
    silent.handle_timeout(start + wait * 3);
    assert!(!silent.is_closed());
    let opened = start + wait * 3;
    silent.await_first_contact(opened);
    silent.handle_timeout(opened + wait - Duration::from_millis(1));
    assert!(!silent.is_closed());
    silent.handle_timeout(opened + wait);
    assert!(matches!(
        silent.close_reason(),
        Some(CloseReason::NoAnswer { .. })
    ));
    assert!(
        silent
            .close_reason()
            .is_some_and(|r| r.to_string().contains("agent never answered"))
    );

    let mut answered = Session::client(config, crate::harness::client_params(), start, 1);
    answered.await_first_contact(start);
    answered
        .handle_frame(start + wait / 2, output_frame(0, b"$ "))
        .expect("output is taken");
    answered.await_first_contact(start + wait);
    answered.handle_timeout(start + wait * 4);
    assert!(!answered.is_closed(), "{:?}", answered.close_reason());
}
