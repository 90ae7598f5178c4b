//! Client ↔ agent sessions through the in-memory link: delivery under loss, duplication and
//! reordering; acks, resends, publication pauses, the window; handshakes with and without KMS;
//! malformed input.

use std::time::Duration;

use bosun::protocol::codec;
use bosun::protocol::payload::Acknowledge;
use bosun::protocol::{
    CloseReason, Event, Message, MessageType, PayloadType, PortFlag, Session, SessionConfig,
    SizeData,
};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::harness::{LinkConfig, Pair, Rng, port_params, shell_params};

fn ready(pair: &Pair) -> bool {
    pair.client_app
        .events
        .iter()
        .any(|e| matches!(e, Event::Ready(_)))
        && pair
            .agent_app
            .events
            .iter()
            .any(|e| matches!(e, Event::Ready(_)))
}

/// A plain shell has no handshake: the agent speaks first.
fn open_shell(pair: &mut Pair) {
    pair.agent.send_output(pair.now, b"$ ");
    assert!(
        pair.run_until(Duration::from_secs(5), ready),
        "session did not become ready"
    );
}

/// A shell session over a clean link, handshake done.
fn open_clean_shell() -> Pair {
    let mut pair = Pair::new(
        SessionConfig::default(),
        shell_params(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    open_shell(&mut pair);
    pair
}

fn control_frame(message_type: MessageType) -> Bytes {
    codec::encode(&Message {
        message_type,
        schema_version: 1,
        created_date: 1,
        sequence_number: 0,
        flags: 3,
        message_id: Uuid::new_v4(),
        payload_type: PayloadType::NONE,
        payload: Bytes::from_static(b"{}"),
    })
    .expect("encodes")
}

fn acks_in(frames: &[Bytes]) -> Vec<i64> {
    frames
        .iter()
        .filter_map(|frame| {
            let message = codec::decode(frame).ok()?;
            (message.message_type == MessageType::Acknowledge).then(|| {
                serde_json::from_slice::<Acknowledge>(&message.payload)
                    .expect("ack json")
                    .sequence_number
            })
        })
        .collect()
}

fn drain(session: &mut Session) -> Vec<Bytes> {
    std::iter::from_fn(|| session.poll_transmit()).collect()
}

#[test]
fn sixty_four_mebibytes_each_way_survive_loss_duplication_and_reordering() {
    let faults = LinkConfig {
        delay: Duration::from_millis(5),
        loss: 0.05,
        duplicate: 0.02,
        reorder: 0.10,
        reorder_by: Duration::from_millis(20),
    };
    let mut pair = Pair::new(SessionConfig::default(), shell_params(), faults, faults, 42);
    open_shell(&mut pair);
    pair.client_app.received.clear();
    pair.agent_app.received.clear();

    let size = 64 * 1024 * 1024;
    let upload = Rng::new(1).bytes(size);
    let download = Rng::new(2).bytes(size);
    pair.client_app.to_send = upload.clone();
    pair.agent_app.to_send = download.clone();
    let done = pair.run_until(Duration::from_secs(3600), |p| {
        p.agent_app.received.len() >= size && p.client_app.received.len() >= size
    });
    assert!(
        done,
        "stalled after {:?}: up {} down {}",
        pair.elapsed(),
        pair.agent_app.received.len(),
        pair.client_app.received.len()
    );
    assert_eq!(pair.agent_app.received.len(), size);
    assert_eq!(pair.client_app.received.len(), size);
    assert_eq!(
        Sha256::digest(&pair.agent_app.received),
        Sha256::digest(&upload)
    );
    assert_eq!(
        Sha256::digest(&pair.client_app.received),
        Sha256::digest(&download)
    );
    assert!(!pair.client.is_closed() && !pair.agent.is_closed());
    // Every message was acked in the end.
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.client.unacked_messages(), 0);
    assert_eq!(pair.agent.unacked_messages(), 0);
}

#[test]
fn duplicates_are_acked_again() {
    let mut pair = open_clean_shell();
    pair.client.send_output(pair.now, b"ls\r");
    let frames = drain(&mut pair.client);
    let data = frames
        .iter()
        .find(|f| codec::decode(f).is_ok_and(|m| m.message_type == MessageType::InputStreamData))
        .expect("a data frame")
        .clone();
    let now = pair.now;
    pair.agent
        .handle_frame(now, data.clone())
        .expect("accepted");
    while pair.agent.poll_event().is_some() {}
    let first = acks_in(&drain(&mut pair.agent));
    pair.agent
        .handle_frame(now, data)
        .expect("duplicate accepted");
    let second = acks_in(&drain(&mut pair.agent));
    assert_eq!(first, vec![0]);
    assert_eq!(second, vec![0], "the duplicate is re-acked");
    assert!(pair.agent.poll_event().is_none(), "but not delivered twice");
}

#[test]
fn a_lost_message_is_resent_after_its_rto_and_not_before() {
    let mut pair = open_clean_shell();
    let rto = pair.client.rto();
    pair.client.send_output(pair.now, b"echo hi\r");
    let sent_at = pair.now;
    let first = drain(&mut pair.client);
    assert_eq!(first.len(), 1, "lost on the wire");

    pair.client
        .handle_timeout(sent_at + rto - Duration::from_millis(1));
    assert!(
        pair.client.poll_transmit().is_none(),
        "no resend before the RTO"
    );
    assert_eq!(pair.client.poll_timeout(), Some(sent_at + rto));
    pair.client.handle_timeout(sent_at + rto);
    let resent = drain(&mut pair.client);
    assert_eq!(resent, first, "the same frame is resent");

    pair.now = sent_at + rto;
    assert!(pair.run_until(Duration::from_secs(2), |p| {
        p.agent_app.received.ends_with(b"echo hi\r") && p.client.unacked_messages() == 0
    }));
}

#[test]
fn every_overdue_message_is_resent_not_only_the_head() {
    let mut pair = open_clean_shell();
    for _ in 0..5 {
        pair.client.send_output(pair.now, b"x");
    }
    let first = drain(&mut pair.client);
    assert_eq!(first.len(), 5);
    let at = pair.now + pair.client.rto();
    pair.client.handle_timeout(at);
    assert_eq!(drain(&mut pair.client).len(), 5);
}

#[test]
fn pause_publication_holds_the_sender_until_start() {
    let mut pair = open_clean_shell();
    let now = pair.now;
    pair.client
        .handle_frame(now, control_frame(MessageType::PausePublication))
        .expect("pause");
    assert_eq!(pair.client.poll_event(), Some(Event::PublicationPaused));
    pair.client.send_output(pair.now, b"held\r");
    assert!(
        pair.client.poll_transmit().is_none(),
        "nothing sent while paused"
    );
    pair.client.handle_timeout(now + Duration::from_secs(10));
    assert!(
        pair.client.poll_transmit().is_none(),
        "no resends while paused either"
    );

    pair.client
        .handle_frame(now, control_frame(MessageType::StartPublication))
        .expect("start");
    assert_eq!(pair.client.poll_event(), Some(Event::PublicationResumed));
    let frames = drain(&mut pair.client);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        codec::decode(&frames[0]).expect("frame").payload,
        Bytes::from_static(b"held\r")
    );
}

#[test]
fn the_window_bounds_data_in_flight() {
    let config = SessionConfig {
        window_bytes: 64 * 1024,
        window_messages: 32,
        ..SessionConfig::default()
    };
    let mut pair = Pair::new(
        config,
        shell_params(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    open_shell(&mut pair);
    // The agent's acks stop arriving: the client may fill its window and no more.
    pair.to_client.up = false;
    pair.client_app.to_send = vec![7u8; 10 * 1024 * 1024];
    pair.run_for(Duration::from_millis(500));
    assert!(pair.client_app.sent <= 64 * 1024);
    assert!(pair.client.unacked_messages() <= 32);
    assert_eq!(pair.client.send_capacity(), 0);
    // Acks flow again: the window reopens and everything arrives.
    pair.to_client.up = true;
    assert!(
        pair.run_until(Duration::from_secs(60), |p| p.agent_app.received.len()
            >= 10 * 1024 * 1024)
    );
}

#[test]
fn a_stalled_consumer_is_not_acked_and_slows_the_peer() {
    let config = SessionConfig {
        receive_queue_messages: 8,
        ..SessionConfig::default()
    };
    let mut pair = Pair::new(
        config,
        shell_params(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    open_shell(&mut pair);
    pair.agent_app.paused_consumer = true;
    pair.client_app.to_send = vec![1u8; 100 * 1024];
    pair.run_for(Duration::from_secs(2));
    assert!(
        pair.client.unacked_messages() > 0,
        "unconsumed data stays unacked"
    );
    pair.agent_app.paused_consumer = false;
    assert!(
        pair.run_until(Duration::from_secs(30), |p| p.agent_app.received.len()
            == 100 * 1024)
    );
}

#[test]
fn the_session_gives_up_when_nothing_is_acked() {
    let config = SessionConfig {
        give_up_after: Duration::from_secs(30),
        ..SessionConfig::default()
    };
    let mut pair = Pair::new(
        config,
        shell_params(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    open_shell(&mut pair);
    pair.to_agent.up = false;
    pair.client.send_output(pair.now, b"into the void");
    pair.run_for(Duration::from_secs(40));
    let closed = pair.client_app.events.iter().find_map(|e| match e {
        Event::Closed(reason) => Some(reason.clone()),
        _ => None,
    });
    assert!(
        matches!(closed, Some(CloseReason::ResendTimeout { .. })),
        "{closed:?}"
    );
    assert!(
        closed
            .expect("closed")
            .to_string()
            .contains("stopped acknowledging")
    );
}

#[test]
fn a_plain_shell_client_sends_nothing_before_the_first_output() {
    let mut pair = Pair::new(
        SessionConfig::default(),
        shell_params(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    pair.client
        .send_size(pair.now, SizeData { cols: 80, rows: 24 })
        .expect("queued");
    pair.client.send_output(pair.now, b"typed ahead");
    assert!(pair.client.poll_transmit().is_none());
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.to_agent.sent_frames, 0);
    // The first output makes the session ready; the queued input follows in order.
    open_shell(&mut pair);
    assert!(
        pair.run_until(Duration::from_secs(1), |p| p.agent_app.received
            == b"typed ahead")
    );
    let sizes: Vec<_> = pair
        .agent_app
        .events
        .iter()
        .filter(|e| matches!(e, Event::Size(_)))
        .collect();
    assert_eq!(sizes, vec![&Event::Size(SizeData { cols: 80, rows: 24 })]);
    let info = pair.client.info();
    assert_eq!(info.session_type, "Standard_Stream");
    assert!(!info.handshake);
}

#[test]
fn a_port_handshake_completes_before_any_data() {
    let mut pair = Pair::new(
        SessionConfig::default(),
        port_params(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    pair.client.send_output(pair.now, b"early");
    assert!(pair.run_until(Duration::from_secs(5), ready));
    let info = pair.client.info().clone();
    assert_eq!(info.session_type, "Port");
    assert_eq!(info.properties["portNumber"], "5432");
    assert_eq!(info.agent_version.as_deref(), Some("3.3.987.0"));
    assert!(!info.encrypted);
    assert_eq!(
        pair.agent.info().client_version.as_deref(),
        Some(bosun::protocol::CLIENT_VERSION)
    );
    assert!(pair.run_until(Duration::from_secs(1), |p| p.agent_app.received == b"early"));
    assert_eq!(
        pair.refused_frames, 0,
        "the agent saw no data mid-handshake"
    );

    pair.agent
        .send_flag(pair.now, PortFlag::ConnectToPortError)
        .expect("flag");
    pair.client
        .send_flag(pair.now, PortFlag::TerminateSession)
        .expect("flag");
    pair.run_for(Duration::from_millis(100));
    assert!(
        pair.client_app
            .events
            .contains(&Event::Flag(PortFlag::ConnectToPortError))
    );
    assert!(
        pair.agent_app
            .events
            .contains(&Event::Flag(PortFlag::TerminateSession))
    );
}

#[test]
fn a_kms_handshake_encrypts_both_directions() {
    let mut params = shell_params();
    params.kms_key_id = Some("arn:aws:kms:us-east-1:111122223333:key/demo".into());
    let mut pair = Pair::new(
        SessionConfig::default(),
        params,
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    assert!(pair.run_until(Duration::from_secs(5), ready));
    let info = pair.client.info();
    assert!(info.encrypted);
    assert_eq!(
        info.customer_message.as_deref(),
        Some("This session is encrypted using AWS KMS.")
    );
    // The key request carried the session, the target and the agent's challenge, under the
    // keys the official code uses (kms-vectors.txt).
    let contexts = pair.kms.contexts();
    assert_eq!(contexts.len(), 1, "{contexts:?}");
    let context = &contexts[0];
    let keys: Vec<&str> = context.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "aws:ssm:RandomChallenge",
            "aws:ssm:SessionId",
            "aws:ssm:TargetId"
        ]
    );
    assert_eq!(context["aws:ssm:SessionId"], "user-0123456789abcdef0");
    assert_eq!(context["aws:ssm:TargetId"], "i-0123456789abcdef0");
    let challenge = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &context["aws:ssm:RandomChallenge"],
    )
    .expect("base64");
    assert_eq!(challenge.len(), 16, "the agent's 16 random bytes");
    let data = b"secret keystrokes";
    pair.client.send_output(pair.now, data);
    let frames = drain(&mut pair.client);
    let on_wire = codec::decode(&frames[0]).expect("frame");
    assert_ne!(&on_wire.payload[..], data, "ciphertext on the wire");
    assert_eq!(
        on_wire.payload.len(),
        data.len() + 28,
        "nonce and tag around it"
    );
    let now = pair.now;
    pair.agent
        .handle_frame(now, frames[0].clone())
        .expect("accepted");
    pair.agent_app.received.clear();
    pair.agent.send_output(pair.now, b"secret output");
    pair.run_for(Duration::from_millis(100));
    assert!(pair.agent_app.received.ends_with(data));
    assert!(pair.client_app.received.ends_with(b"secret output"));
}

#[test]
fn a_kms_handshake_with_the_wrong_key_fails_clearly() {
    let mut params = shell_params();
    params.kms_key_id = Some("alias/demo".into());
    let mut pair = Pair::new(
        SessionConfig::default(),
        params,
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    pair.kms.tamper = true;
    pair.run_for(Duration::from_secs(20));
    let reason = pair.client_app.events.iter().find_map(|e| match e {
        Event::Closed(reason) => Some(reason.clone()),
        _ => None,
    });
    match reason {
        Some(CloseReason::Encryption(why)) => {
            assert!(why.contains("did not decrypt with our data key"), "{why}")
        }
        other => panic!("expected an encryption failure, got {other:?}"),
    }
    assert!(
        !pair
            .client_app
            .events
            .iter()
            .any(|e| matches!(e, Event::Ready(_)))
    );
    // The agent gives up on its own after the handshake timeout.
    assert!(pair.agent.is_closed());
}

#[test]
fn malformed_frames_are_refused_and_the_session_goes_on() {
    let mut pair = open_clean_shell();
    pair.agent.send_output(pair.now, b"hello");
    let good = drain(&mut pair.agent).pop().expect("a frame");
    let now = pair.now;

    let mut bad_digest = good.to_vec();
    bad_digest[90] ^= 1;
    let mut low_header = good.to_vec();
    low_header[..4].copy_from_slice(&12u32.to_be_bytes());
    let mut oversize = good.to_vec();
    oversize[116..120].copy_from_slice(&(1u32 << 30).to_be_bytes());
    let mut unknown = codec::decode(&good).expect("frame");
    unknown.message_type = MessageType::Unknown("agent_job".into());
    let unknown = codec::encode(&unknown).expect("encodes");
    let mut bad_ack = codec::decode(&control_frame(MessageType::Acknowledge)).expect("frame");
    bad_ack.payload = Bytes::from_static(b"{not json");
    let bad_ack = codec::encode(&bad_ack).expect("encodes");

    for frame in [
        Bytes::from(bad_digest),
        good.slice(..60),
        Bytes::from(low_header),
        Bytes::from(oversize),
        unknown,
        bad_ack,
    ] {
        let result = pair.client.handle_frame(now, frame);
        assert!(result.is_err(), "refused");
        assert!(!result.expect_err("error").to_string().is_empty());
    }
    assert!(!pair.client.is_closed());
    pair.client
        .handle_frame(now, good)
        .expect("the good frame still works");
    pair.client_app.received.clear();
    pair.run_for(Duration::from_millis(50));
    assert_eq!(pair.client_app.received, b"hello");
}

#[test]
fn consecutive_output_is_joined_up_to_the_limit_and_every_message_is_acked() {
    let mut pair = open_clean_shell();
    let now = pair.now;
    let bulk: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    pair.agent.send_output(now, &bulk);
    pair.agent.send_stderr(now, b"err");
    pair.agent.send_output(now, b"tail");
    for frame in drain(&mut pair.agent) {
        pair.client.handle_frame(now, frame).expect("taken");
    }
    drain(&mut pair.client);

    // 1024 + 1024 fit in 2048; the third message (952 bytes) does not, and stderr never joins.
    let taken: Vec<Event> = std::iter::from_fn(|| pair.client.poll_event_joined(2048)).collect();
    assert_eq!(
        taken,
        vec![
            Event::Output(Bytes::copy_from_slice(&bulk[..2048])),
            Event::Output(Bytes::copy_from_slice(&bulk[2048..])),
            Event::StdErr(Bytes::from_static(b"err")),
            Event::Output(Bytes::from_static(b"tail")),
        ]
    );
    let mut acked = acks_in(&drain(&mut pair.client));
    acked.sort_unstable();
    acked.dedup();
    assert_eq!(acked.len(), 5, "one ack per message taken: {acked:?}");
}

#[test]
fn the_agent_side_does_not_check_digests_like_the_real_agent() {
    let mut pair = open_clean_shell();
    pair.client.send_output(pair.now, b"typed");
    let good = drain(&mut pair.client).pop().expect("a frame");
    let mut bad_digest = good.to_vec();
    bad_digest[90] ^= 1;
    let now = pair.now;
    // The plugin's Validate would refuse this frame; the agent's never looks at the digest.
    pair.agent
        .handle_frame(now, Bytes::from(bad_digest))
        .expect("the agent takes it");
    pair.run_for(Duration::from_millis(50));
    assert_eq!(pair.agent_app.received, b"typed");
}

#[test]
fn the_agent_closes_after_its_output_is_acked() {
    let mut pair = open_clean_shell();
    pair.agent.send_output(pair.now, b"logout\r\n");
    let now = pair.now;
    pair.agent.close(
        now,
        Some("Your session timed out due to inactivity.".into()),
    );
    assert!(pair.run_until(Duration::from_secs(3), |p| p.client.is_closed()));
    assert!(
        pair.client_app.received.ends_with(b"logout\r\n"),
        "output before the close"
    );
    assert!(
        pair.client_app
            .events
            .contains(&Event::Closed(CloseReason::ChannelClosed {
                output: Some("Your session timed out due to inactivity.".into())
            }))
    );
}

#[test]
fn non_interactive_commands_carry_stderr_and_the_exit_code() {
    let mut params = shell_params();
    params.session_type = "NonInteractiveCommands".into();
    let mut pair = Pair::new(
        SessionConfig::default(),
        params,
        LinkConfig::clean(),
        LinkConfig::clean(),
        1,
    );
    assert!(pair.run_until(Duration::from_secs(5), ready));
    pair.agent.send_output(pair.now, b"out");
    pair.agent.send_stderr(pair.now, b"err");
    pair.agent.send_exit_code(pair.now, 3).expect("exit code");
    pair.run_for(Duration::from_millis(100));
    assert_eq!(pair.client_app.received, b"out");
    assert!(
        pair.client_app
            .events
            .contains(&Event::StdErr(Bytes::from_static(b"err")))
    );
    assert!(pair.client_app.events.contains(&Event::ExitCode(3)));
}

#[test]
fn sequence_state_survives_a_reconnect() {
    let mut pair = open_clean_shell();
    pair.to_agent.up = false;
    pair.to_client.up = false;
    pair.client_app.to_send = b"typed while the socket was down".to_vec();
    pair.agent
        .send_output(pair.now, b"printed while the socket was down");
    pair.run_for(Duration::from_millis(50));
    pair.to_agent.up = true;
    pair.to_client.up = true;
    let now = pair.now;
    pair.client.handle_reconnected(now);
    pair.agent.handle_reconnected(now);
    pair.run_for(Duration::from_millis(20));
    assert!(
        pair.agent_app
            .received
            .ends_with(b"typed while the socket was down")
    );
    assert!(
        pair.client_app
            .received
            .ends_with(b"printed while the socket was down")
    );
}
