//! In-memory client ↔ agent throughput and per-message cost of the protocol core, through the
//! product's own paths: digests checked where the product checks them (the client verifies
//! every frame from the agent; the agent side, like the real agent, does not), output taken
//! joined as the drivers take it, and every byte received compared with what was sent.
//! Prints figures; asserts nothing about speed, but a transfer that loses or changes a byte
//! stops the bench.
//!
//! cargo bench --bench protocol

use std::time::{Duration, Instant};

use bosun::protocol::{AgentParams, CLIENT_VERSION, ClientParams, Event, Session, SessionConfig};
use bosun::transport::connection::JOINED_OUTPUT_BYTES;

const TOTAL: usize = 256 * 1024 * 1024;

fn pair(config: &SessionConfig) -> (Session, Session) {
    let now = Instant::now();
    let client = Session::client(
        config.clone(),
        ClientParams {
            session_id: "bench".into(),
            target: "i-0bench".into(),
            client_version: CLIENT_VERSION.into(),
        },
        now,
        1_700_000_000_000,
    );
    let agent = Session::agent(
        config.clone(),
        AgentParams {
            session_id: "bench".into(),
            target: "i-0bench".into(),
            session_type: "Standard_Stream".into(),
            properties: serde_json::Value::Null,
            agent_version: "3.3.987.0".into(),
            kms_key_id: None,
        },
        now,
        1_700_000_000_000,
    );
    (client, agent)
}

/// Pushes `TOTAL` bytes from `sender` to `receiver` and returns (elapsed, messages). `chunk`
/// repeats end to end, so the byte at offset `n` must be `chunk[n % chunk.len()]`.
fn transfer(sender: &mut Session, receiver: &mut Session, chunk: &[u8]) -> (Duration, u64) {
    let start = Instant::now();
    let mut sent = 0usize;
    let mut received = 0usize;
    let mut messages = 0u64;
    let mut now = start;
    while received < TOTAL {
        while sent < TOTAL {
            let from = sent % chunk.len();
            let until = chunk.len().min(from + TOTAL - sent);
            let taken = sender.send_output(now, &chunk[from..until]);
            if taken == 0 {
                break;
            }
            sent += taken;
        }
        // As a driver does: each frame in, then whatever the consumer can take out, joined.
        while let Some(frame) = sender.poll_transmit() {
            messages += 1;
            receiver.handle_frame(now, frame).expect("valid frame");
            while let Some(event) = receiver.poll_event_joined(JOINED_OUTPUT_BYTES) {
                if let Event::Output(bytes) = event {
                    verify(chunk, received, &bytes);
                    received += bytes.len();
                }
            }
        }
        while let Some(frame) = receiver.poll_transmit() {
            sender.handle_frame(now, frame).expect("valid ack");
        }
        now = Instant::now();
    }
    (start.elapsed(), messages)
}

/// Panics unless `bytes`, received at stream offset `offset`, are what was sent there.
fn verify(chunk: &[u8], offset: usize, bytes: &[u8]) {
    let mut at = offset;
    let mut rest = bytes;
    while !rest.is_empty() {
        let from = at % chunk.len();
        let take = rest.len().min(chunk.len() - from);
        assert!(
            rest[..take] == chunk[from..from + take],
            "bytes at offset {at} differ from what was sent"
        );
        at += take;
        rest = &rest[take..];
    }
}

fn report(label: &str, elapsed: Duration, messages: u64) {
    let mb_per_s = TOTAL as f64 / elapsed.as_secs_f64() / 1e6;
    let per_message = elapsed.as_nanos() as f64 / messages as f64 / 1000.0;
    println!(
        "{label:<44} {mb_per_s:>8.0} MB/s   {per_message:>6.2} µs per message (both sides, incl. ack)   {messages} messages"
    );
}

fn main() {
    // Not a multiple of any message size, so a misplaced message shows as a mismatch.
    let chunk: Vec<u8> = (0..65_521u32).map(|i| (i * 31 % 251) as u8).collect();
    println!(
        "protocol core, in memory, 256 MiB per run, every byte verified; \
         the client checks the SHA-256 of every frame it receives"
    );
    for (label, max_payload) in [
        ("1 KiB messages (what the real peers use)", 1024),
        ("16 KiB messages", 16 * 1024),
    ] {
        let config = SessionConfig {
            max_payload,
            ..SessionConfig::default()
        };
        // The agent speaks first in a plain shell; that makes both sides ready.
        let (mut client, mut agent) = pair(&config);
        let now = Instant::now();
        agent.send_output(now, b"$ ");
        while let Some(frame) = agent.poll_transmit() {
            client.handle_frame(now, frame).expect("first output");
        }
        while client.poll_event().is_some() {}
        while let Some(frame) = client.poll_transmit() {
            agent.handle_frame(now, frame).expect("ack");
        }
        while agent.poll_event().is_some() {}

        let (elapsed, messages) = transfer(&mut client, &mut agent, &chunk);
        report(&format!("client → agent, {label}"), elapsed, messages);
        // The client checks digests: this direction pays for SHA-256 on receipt.
        let (elapsed, messages) = transfer(&mut agent, &mut client, &chunk);
        report(&format!("agent → client, {label}"), elapsed, messages);
    }
}
