//! Randomised fault schedules: for seeds proptest draws, each direction gets its own delay,
//! loss, duplication and reordering, and the link is cut (every frame lost, both ways) for a
//! random stretch at a random moment. Whatever the schedule, both directions arrive byte-exact
//! and the resends stay bounded. A failing schedule is printed whole by proptest (and kept in
//! `proptest-regressions/`), so it can be replayed as it is.

use std::time::Duration;

use bosun::protocol::SessionConfig;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::harness::{LinkConfig, Pair, Rng, shell_params};

/// Bytes each way in one schedule: enough for hundreds of messages and several windows.
const SIZE: usize = 192 * 1024;

fn link() -> impl Strategy<Value = LinkConfig> {
    (1u64..40, 0.0f64..0.15, 0.0f64..0.08, 0.0f64..0.25, 0u64..60).prop_map(
        |(delay, loss, duplicate, reorder, reorder_by)| LinkConfig {
            delay: Duration::from_millis(delay),
            loss,
            duplicate,
            reorder,
            reorder_by: Duration::from_millis(reorder_by),
        },
    )
}

/// A schedule: both directions' faults, a seed, and a cut (when, how long).
#[derive(Debug, Clone)]
struct Schedule {
    to_agent: LinkConfig,
    to_client: LinkConfig,
    seed: u64,
    cut_at_ms: u64,
    cut_for_ms: u64,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (link(), link(), any::<u64>(), 0u64..3_000, 0u64..4_000).prop_map(
        |(to_agent, to_client, seed, cut_at_ms, cut_for_ms)| Schedule {
            to_agent,
            to_client,
            seed,
            cut_at_ms,
            cut_for_ms,
        },
    )
}

proptest! {
    #![proptest_config(crate::harness::persisted(24, "schedules"))]

    #[test]
    fn any_fault_schedule_delivers_byte_exact_with_bounded_resends(schedule in schedule()) {
        let mut pair = Pair::new(
            SessionConfig::default(),
            shell_params(),
            schedule.to_agent,
            schedule.to_client,
            schedule.seed,
        );
        pair.agent.send_output(pair.now, b"$ ");
        prop_assert!(pair.run_until(Duration::from_secs(60), |p| p.client.is_ready()));
        pair.client_app.received.clear();
        pair.agent_app.received.clear();
        let upload = Rng::new(schedule.seed ^ 1).bytes(SIZE);
        let download = Rng::new(schedule.seed ^ 2).bytes(SIZE);
        pair.client_app.to_send = upload.clone();
        pair.agent_app.to_send = download.clone();

        // Run to the cut, cut both ways, run through it, restore.
        pair.run_for(Duration::from_millis(schedule.cut_at_ms));
        pair.to_agent.up = false;
        pair.to_client.up = false;
        pair.run_for(Duration::from_millis(schedule.cut_for_ms));
        pair.to_agent.up = true;
        pair.to_client.up = true;
        let done = pair.run_until(Duration::from_secs(600), |p| {
            p.agent_app.received.len() >= SIZE && p.client_app.received.len() >= SIZE
        });
        prop_assert!(
            done,
            "stalled at {:?}: up {} down {}",
            pair.elapsed(),
            pair.agent_app.received.len(),
            pair.client_app.received.len()
        );
        prop_assert_eq!(Sha256::digest(&pair.agent_app.received), Sha256::digest(&upload));
        prop_assert_eq!(Sha256::digest(&pair.client_app.received), Sha256::digest(&download));
        prop_assert!(!pair.client.is_closed() && !pair.agent.is_closed());

        // Frames put on each link: the data's messages (1 KiB each), as many acks, and their
        // resends. Loss under 15% must not take more than four times the lossless count; and
        // while the link is cut every unacknowledged message is resent at each of its timeouts
        // (RTO doubling to its 1 s cap, as the official peers do), so a cut of c seconds may
        // add about c + 2 resends of the whole window.
        let messages = (SIZE / 1024) as u64;
        let cut_resends = messages * (schedule.cut_for_ms / 1000 + 2);
        for (direction, sent) in [
            ("to the agent", pair.to_agent.sent_frames),
            ("to the client", pair.to_client.sent_frames),
        ] {
            prop_assert!(
                sent <= 4 * 2 * messages + cut_resends + 200,
                "{} frames {} for {} messages each way",
                sent,
                direction,
                messages
            );
        }
    }
}
