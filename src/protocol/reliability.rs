//! Reliable delivery for one direction of the data channel: the RTT/RTO estimator
//! (docs/protocol.md §4.5, RFC 6298 style), the buffer of sent-but-unacknowledged messages that
//! bounds the send window, and the out-of-order receive buffer.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::message::Message;

/// Estimator constants. The defaults are the official peers' (docs/protocol.md §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RttConfig {
    pub initial_rtt: Duration,
    pub initial_rto: Duration,
    pub max_rto: Duration,
    pub clock_granularity: Duration,
}

impl Default for RttConfig {
    fn default() -> Self {
        RttConfig {
            initial_rtt: Duration::from_millis(100),
            initial_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(1),
            clock_granularity: Duration::from_millis(10),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RttEstimator {
    config: RttConfig,
    smoothed: Duration,
    variance: Duration,
    rto: Duration,
}

impl RttEstimator {
    pub fn new(config: RttConfig) -> RttEstimator {
        RttEstimator {
            config,
            smoothed: config.initial_rtt,
            variance: Duration::ZERO,
            rto: config.initial_rto.min(config.max_rto),
        }
    }

    pub fn on_sample(&mut self, sample: Duration) {
        let deviation = self.smoothed.abs_diff(sample);
        self.variance = self.variance * 3 / 4 + deviation / 4;
        self.smoothed = self.smoothed * 7 / 8 + sample / 8;
        let rto = self.smoothed + self.config.clock_granularity.max(self.variance * 4);
        self.rto = rto.min(self.config.max_rto);
    }

    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// The delay before the `resends`+1-th transmission: RTO doubled per resend (RFC 6298
    /// §5.5), never above the configured maximum.
    pub fn backoff(&self, resends: u32) -> Duration {
        let factor = 1u32 << resends.min(6);
        (self.rto * factor).min(self.config.max_rto.max(self.rto))
    }
}

#[derive(Debug)]
pub(crate) struct SentMessage {
    pub frame: Bytes,
    /// Payload bytes counted against the send window.
    pub window_bytes: usize,
    pub first_sent: Instant,
    pub last_sent: Instant,
    pub resends: u32,
}

/// Sent, unacknowledged messages, indexed by sequence number. Acks may come in any order, so
/// acked slots become `None` until everything before them is acked too.
#[derive(Debug, Default)]
pub(crate) struct SendBuffer {
    /// Sequence number of `slots[0]`.
    base: i64,
    slots: VecDeque<Option<SentMessage>>,
    unacked_messages: usize,
    unacked_bytes: usize,
}

/// The outcome of a resend scan.
pub(crate) struct ResendScan {
    pub resend: Vec<Bytes>,
    /// When the next scan is due, if anything is still unacknowledged.
    pub next_deadline: Option<Instant>,
    /// How long the oldest unacknowledged message has waited.
    pub oldest_age: Duration,
}

impl SendBuffer {
    pub fn push(&mut self, sequence: i64, message: SentMessage) {
        if self.slots.is_empty() {
            self.base = sequence;
        }
        debug_assert_eq!(sequence, self.base + self.slots.len() as i64);
        self.unacked_messages += 1;
        self.unacked_bytes += message.window_bytes;
        self.slots.push_back(Some(message));
    }

    /// Removes the message with this sequence number; `None` for unknown or repeated acks.
    pub fn acknowledge(&mut self, sequence: i64) -> Option<SentMessage> {
        let index = usize::try_from(sequence.checked_sub(self.base)?).ok()?;
        let message = self.slots.get_mut(index)?.take()?;
        self.unacked_messages -= 1;
        self.unacked_bytes -= message.window_bytes;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(message)
    }

    pub fn unacked_messages(&self) -> usize {
        self.unacked_messages
    }

    pub fn unacked_bytes(&self) -> usize {
        self.unacked_bytes
    }

    pub fn is_empty(&self) -> bool {
        self.unacked_messages == 0
    }

    /// Sequence numbers between the oldest unacked message and the newest sent one. Bounding it
    /// keeps one lost message from letting the buffer grow without limit behind it.
    pub fn span(&self) -> usize {
        self.slots.len()
    }

    /// Marks every message whose backed-off RTO has passed as sent again now, in order.
    pub fn scan(&mut self, now: Instant, rtt: &RttEstimator) -> ResendScan {
        let mut resend = Vec::new();
        let mut next_deadline: Option<Instant> = None;
        let mut oldest_age = Duration::ZERO;
        for message in self.slots.iter_mut().flatten() {
            oldest_age = oldest_age.max(now.saturating_duration_since(message.first_sent));
            let due = message.last_sent + rtt.backoff(message.resends);
            let deadline = if due <= now {
                message.last_sent = now;
                message.resends += 1;
                resend.push(message.frame.clone());
                now + rtt.backoff(message.resends)
            } else {
                due
            };
            next_deadline = Some(next_deadline.map_or(deadline, |d| d.min(deadline)));
        }
        ResendScan {
            resend,
            next_deadline,
            oldest_age,
        }
    }

    /// After a reconnect: every unacknowledged frame, in order, to be sent again at once.
    pub fn resend_all(&mut self, now: Instant) -> Vec<Bytes> {
        self.slots
            .iter_mut()
            .flatten()
            .map(|message| {
                message.last_sent = now;
                message.frame.clone()
            })
            .collect()
    }
}

/// Messages that arrived ahead of the next expected sequence number.
#[derive(Debug)]
pub(crate) struct ReorderBuffer {
    capacity: usize,
    messages: BTreeMap<i64, Message>,
}

impl ReorderBuffer {
    pub fn new(capacity: usize) -> ReorderBuffer {
        ReorderBuffer {
            capacity,
            messages: BTreeMap::new(),
        }
    }

    pub fn contains(&self, sequence: i64) -> bool {
        self.messages.contains_key(&sequence)
    }

    /// Stores the message if there is room; the caller acks it only when this returns true.
    pub fn insert(&mut self, message: Message) -> bool {
        if self.messages.len() >= self.capacity {
            return false;
        }
        self.messages.insert(message.sequence_number, message);
        true
    }

    pub fn take(&mut self, sequence: i64) -> Option<Message> {
        self.messages.remove(&sequence)
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn payload_bytes(&self) -> usize {
        self.messages
            .values()
            .map(|message| message.payload.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimator_follows_the_reference_formula() {
        let mut rtt = RttEstimator::new(RttConfig::default());
        assert_eq!(rtt.rto(), Duration::from_millis(200));
        rtt.on_sample(Duration::from_millis(20));
        // RTTVAR = 1/4 * |100 - 20| = 20 ms; SRTT = 7/8*100 + 1/8*20 = 90 ms; RTO = 90 + 80.
        assert_eq!(rtt.rto(), Duration::from_millis(170));
        for _ in 0..50 {
            rtt.on_sample(Duration::from_millis(2));
        }
        // Settles near SRTT + the 10 ms clock granularity.
        assert!(rtt.rto() < Duration::from_millis(20), "{:?}", rtt.rto());
        rtt.on_sample(Duration::from_secs(30));
        assert_eq!(rtt.rto(), Duration::from_secs(1), "capped at max RTO");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let rtt = RttEstimator::new(RttConfig::default());
        assert_eq!(rtt.backoff(0), Duration::from_millis(200));
        assert_eq!(rtt.backoff(1), Duration::from_millis(400));
        assert_eq!(rtt.backoff(5), Duration::from_secs(1));
    }

    fn sent(at: Instant, bytes: usize) -> SentMessage {
        SentMessage {
            frame: Bytes::from(vec![0u8; bytes]),
            window_bytes: bytes,
            first_sent: at,
            last_sent: at,
            resends: 0,
        }
    }

    #[test]
    fn acks_in_any_order_release_the_window() {
        let now = Instant::now();
        let mut buffer = SendBuffer::default();
        for seq in 0..4 {
            buffer.push(seq, sent(now, 10));
        }
        assert!(buffer.acknowledge(2).is_some());
        assert!(buffer.acknowledge(2).is_none(), "a repeated ack is ignored");
        assert!(buffer.acknowledge(9).is_none(), "an unknown ack is ignored");
        assert_eq!((buffer.unacked_messages(), buffer.unacked_bytes()), (3, 30));
        assert_eq!(buffer.span(), 4);
        buffer.acknowledge(0);
        buffer.acknowledge(1);
        assert_eq!(buffer.span(), 1, "acked prefix is dropped");
        buffer.acknowledge(3);
        assert!(buffer.is_empty());
    }

    #[test]
    fn scan_resends_every_overdue_message_and_updates_its_timestamp() {
        let start = Instant::now();
        let rtt = RttEstimator::new(RttConfig::default());
        let mut buffer = SendBuffer::default();
        buffer.push(0, sent(start, 1));
        buffer.push(1, sent(start + Duration::from_millis(150), 1));
        buffer.push(2, sent(start, 1));
        let at = start + Duration::from_millis(250);
        let scan = buffer.scan(at, &rtt);
        assert_eq!(
            scan.resend.len(),
            2,
            "both overdue messages, not only the head"
        );
        // The resent ones now wait 400 ms (backoff); seq 1 is due at 350 ms.
        assert_eq!(scan.next_deadline, Some(start + Duration::from_millis(350)));
        let again = buffer.scan(at, &rtt);
        assert!(again.resend.is_empty(), "timestamps were updated");
    }
}
