//! What a session on this terminal says while its dropped connection is resumed. On a
//! terminal, one line at the bottom is rewritten each second with the latest reason and how
//! long until bosun gives up, and how to leave at once (`~.`); elsewhere (a log, a pipe) each
//! new reason is said once.

use std::time::{Duration, Instant};

pub(super) struct ResumeNotice {
    /// The status line is rewritten in place (stderr is a terminal).
    live: bool,
    /// How long resumes are tried for.
    window: Duration,
    /// The escape that leaves now, when escapes are on.
    leave_key: Option<String>,
    /// Since when the current drop has been resumed.
    since: Option<Instant>,
    attempt: u32,
    reason: String,
    /// The reason said last (said-once mode).
    said: Option<String>,
}

impl ResumeNotice {
    pub(super) fn new(live: bool, window: Duration, leave_key: Option<String>) -> ResumeNotice {
        ResumeNotice {
            live,
            window,
            leave_key,
            since: None,
            attempt: 0,
            reason: String::new(),
            said: None,
        }
    }

    pub(super) fn resuming(&self) -> bool {
        self.since.is_some()
    }

    /// A resume attempt begins; what to write now, if anything.
    pub(super) fn reconnecting(
        &mut self,
        attempt: u32,
        reason: String,
        now: Instant,
    ) -> Option<String> {
        let first = self.since.is_none();
        let since = *self.since.get_or_insert(now);
        self.attempt = attempt;
        self.reason = reason;
        if self.live {
            let line = self.line(now.saturating_duration_since(since));
            return Some(if first { format!("\r\n{line}") } else { line });
        }
        if self.said.as_ref() == Some(&self.reason) {
            return None;
        }
        self.said = Some(self.reason.clone());
        Some(if attempt == 1 {
            format!(
                "\r\n[bosun] connection dropped ({}); resuming…\r\n",
                self.reason
            )
        } else {
            format!(
                "[bosun] still resuming (try {attempt}): {}\r\n",
                self.reason
            )
        })
    }

    /// The countdown, once a second while resuming on a terminal.
    pub(super) fn tick(&self, now: Instant) -> Option<String> {
        let since = self.since?;
        self.live
            .then(|| self.line(now.saturating_duration_since(since)))
    }

    /// The connection is back.
    pub(super) fn reconnected(&mut self) -> String {
        self.since = None;
        self.said = None;
        if self.live {
            "\r\x1b[K[bosun] resumed\r\n".to_owned()
        } else {
            "[bosun] resumed\r\n".to_owned()
        }
    }

    fn line(&self, elapsed: Duration) -> String {
        let left = self.window.saturating_sub(elapsed);
        let leave = self
            .leave_key
            .as_ref()
            .map(|key| format!("; {key} leaves now"))
            .unwrap_or_default();
        let first = if self.attempt <= 1 {
            format!("connection dropped ({})", self.reason)
        } else {
            format!("still resuming (try {}: {})", self.attempt, self.reason)
        };
        format!(
            "\r\x1b[K[bosun] {first}; giving up in {}{leave}",
            minutes_seconds(left)
        )
    }
}

/// `2m10s`, `45s`.
fn minutes_seconds(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds / 60 {
        0 => format!("{seconds}s"),
        minutes => format!("{minutes}m{:02}s", seconds % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_a_terminal_the_line_counts_down_and_says_how_to_leave() {
        let start = Instant::now();
        let mut notice = ResumeNotice::new(true, Duration::from_secs(180), Some("~.".to_owned()));
        let first = notice
            .reconnecting(1, "connection reset".to_owned(), start)
            .expect("said");
        assert!(first.starts_with("\r\n\r\x1b[K[bosun] connection dropped (connection reset); giving up in 3m00s; ~. leaves now"), "{first:?}");
        let later = start + Duration::from_secs(50);
        let again = notice
            .reconnecting(4, "dial refused".to_owned(), later)
            .expect("rewritten");
        assert!(
            again.contains("still resuming (try 4: dial refused); giving up in 2m10s"),
            "{again:?}"
        );
        let tick = notice
            .tick(later + Duration::from_secs(125))
            .expect("ticks");
        assert!(tick.contains("giving up in 5s"), "{tick:?}");
        assert_eq!(notice.reconnected(), "\r\x1b[K[bosun] resumed\r\n");
        assert!(notice.tick(later).is_none(), "no countdown once resumed");
    }

    #[test]
    fn elsewhere_each_reason_is_said_once() {
        let start = Instant::now();
        let mut notice = ResumeNotice::new(false, Duration::from_secs(180), None);
        assert!(notice.reconnecting(1, "reset".to_owned(), start).is_some());
        assert!(
            notice
                .reconnecting(2, "refused".to_owned(), start)
                .is_some()
        );
        assert!(
            notice
                .reconnecting(3, "refused".to_owned(), start)
                .is_none()
        );
        assert!(notice.tick(start).is_none());
    }
}
