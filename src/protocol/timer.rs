//! The session's one timer table: every deadline the state machine waits for, so that
//! `poll_timeout` is a minimum over a fixed array and `handle_timeout` fires what is due.

use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The earliest moment an unacknowledged message may need resending.
    Resend = 0,
    /// The agent waits at most this long for each handshake reply.
    Handshake = 1,
    /// A closing agent stops waiting for acks of its last output.
    CloseDrain = 2,
}

const TIMER_COUNT: usize = 3;
const ALL_TIMERS: [Timer; TIMER_COUNT] = [Timer::Resend, Timer::Handshake, Timer::CloseDrain];

#[derive(Debug, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; TIMER_COUNT],
}

impl TimerTable {
    pub fn set(&mut self, timer: Timer, deadline: Instant) {
        self.deadlines[timer as usize] = Some(deadline);
    }

    /// Keeps the earlier of the current and the proposed deadline.
    pub fn set_if_earlier(&mut self, timer: Timer, deadline: Instant) {
        let slot = &mut self.deadlines[timer as usize];
        if slot.is_none_or(|current| deadline < current) {
            *slot = Some(deadline);
        }
    }

    pub fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Clears and returns the first timer whose deadline has passed.
    pub fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        ALL_TIMERS.into_iter().find(|&timer| {
            let slot = &mut self.deadlines[timer as usize];
            if slot.is_some_and(|deadline| deadline <= now) {
                *slot = None;
                true
            } else {
                false
            }
        })
    }

    pub fn clear(&mut self) {
        self.deadlines = [None; TIMER_COUNT];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn fires_only_what_is_due() {
        let start = Instant::now();
        let mut table = TimerTable::default();
        table.set(Timer::Resend, start + Duration::from_millis(200));
        table.set(Timer::Handshake, start + Duration::from_secs(15));
        assert_eq!(
            table.next_deadline(),
            Some(start + Duration::from_millis(200))
        );
        assert_eq!(table.take_expired(start), None);
        assert_eq!(
            table.take_expired(start + Duration::from_secs(1)),
            Some(Timer::Resend)
        );
        assert_eq!(table.take_expired(start + Duration::from_secs(1)), None);
        table.set_if_earlier(Timer::Handshake, start + Duration::from_secs(20));
        assert_eq!(table.next_deadline(), Some(start + Duration::from_secs(15)));
    }
}
