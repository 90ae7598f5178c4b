//! In-memory client ↔ agent throughput and per-message cost of the protocol core, through the
//! product's own paths: digests checked where the product checks them (the client verifies
//! every frame from the agent; the agent side, like the real agent, does not), output taken
//! joined as the drivers take it, and every byte received compared with what was sent.
//! Prints figures; a transfer that loses or changes a byte stops the bench. With `-- --check`
//! it holds the 1 KiB runs to their budgets (at least 300 MB/s each way, at most 4 µs per
//! message for both sides together: 2 µs of protocol CPU per KiB a side);
//! `BOSUN_BENCH_CHECK=counts` moves 16 MiB instead of 256 and checks only the bytes.
//!
//! cargo bench --bench protocol [-- --check]

mod common;

use std::time::{Duration, Instant};

use bosun::protocol::{AgentParams, CLIENT_VERSION, ClientParams, Event, Session, SessionConfig};
use bosun::transport::connection::JOINED_OUTPUT_BYTES;

const TOTAL: usize = 256 * 1024 * 1024;
/// What a run checking correctness alone moves (a debug build hashes slowly).
const TOTAL_COUNTS_ONLY: usize = 16 * 1024 * 1024;

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

/// Pushes `total` bytes from `sender` to `receiver` and returns (elapsed, messages). `chunk`
/// repeats end to end, so the byte at offset `n` must be `chunk[n % chunk.len()]`.
fn transfer(
    sender: &mut Session,
    receiver: &mut Session,
    chunk: &[u8],
    total: usize,
) -> (Duration, u64) {
    let start = Instant::now();
    let mut sent = 0usize;
    let mut received = 0usize;
    let mut messages = 0u64;
    let mut now = start;
    while received < total {
        while sent < total {
            let from = sent % chunk.len();
            let until = chunk.len().min(from + total - sent);
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

/// Prints a run's figures; returns (MB/s, µs per message).
fn report(label: &str, total: usize, elapsed: Duration, messages: u64) -> (f64, f64) {
    let mb_per_s = total as f64 / elapsed.as_secs_f64() / 1e6;
    let per_message = elapsed.as_nanos() as f64 / messages as f64 / 1000.0;
    println!(
        "{label:<44} {mb_per_s:>8.0} MB/s   {per_message:>6.2} µs per message (both sides, incl. ack)   {messages} messages"
    );
    (mb_per_s, per_message)
}

fn main() {
    let mut verdicts = common::Verdicts::new();
    let total = if verdicts.check == common::Check::Counts {
        TOTAL_COUNTS_ONLY
    } else {
        TOTAL
    };
    // Not a multiple of any message size, so a misplaced message shows as a mismatch.
    let chunk: Vec<u8> = (0..65_521u32).map(|i| (i * 31 % 251) as u8).collect();
    println!(
        "protocol core, in memory, {} MiB per run, every byte verified; \
         the client checks the SHA-256 of every frame it receives",
        total >> 20
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

        for to_client in [false, true] {
            // The client checks digests: that direction pays for SHA-256 on receipt.
            let (direction, sender, receiver) = if to_client {
                ("agent → client", &mut agent, &mut client)
            } else {
                ("client → agent", &mut client, &mut agent)
            };
            let (elapsed, messages) = transfer(sender, receiver, &chunk, total);
            let name = format!("{direction}, {label}");
            let (mb_per_s, per_message) = report(&name, total, elapsed, messages);
            // The payload bound holds: no frame carried more than a message's worth.
            verdicts.count(
                &format!("{name}: messages"),
                messages as usize >= total.div_ceil(max_payload),
                format!("{messages} for {total} bytes"),
            );
            if max_payload == 1024 {
                verdicts.at_least(&name, mb_per_s, 300.0, "MB/s");
                verdicts.at_most(&format!("{name}, per message"), per_message, 4.0, "µs");
            }
        }
    }
    verdicts.finish();
}
