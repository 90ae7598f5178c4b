//! Fault knobs of the simulator (`--faults SPEC` and `/_sim/faults`): API throttling, denials
//! and latency, and data-channel connection drops. Faults are settings on one simulator, never
//! separate code paths.

use std::time::Duration;

/// Parsed from `key=value` pairs separated by commas, e.g.
/// `throttle=0.2,throttle_only=ListCommandInvocations,deny=StartSession,slow=150ms,drop_after_secs=30,silent_after_secs=5,loss=0.05,dup=0.01,reorder=0.1,
/// ack_delay=50ms,offline=i-0abc+i-0def,resume_fails=1,
/// clock_skew=600,expired_keys=AKID1+AKID2,data_channel_down=1,resume_moves_cell=1,
/// corrupt_command_output=1000`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Probability that an API call fails with ThrottlingException.
    pub throttle: f64,
    /// The operations `throttle` applies to (AWS limits each API's rate on its own); every
    /// operation when empty.
    pub throttle_only: Vec<String>,
    /// Operations (e.g. `StartSession`, `ssm:*`) answered with AccessDeniedException.
    pub deny: Vec<String>,
    /// Latency added to every API call.
    pub slow: Duration,
    /// Data channels are cut after this many seconds (the hourly recycle, time-scaled).
    pub drop_after_secs: Option<f64>,
    /// Each session's first data channel goes silent after this many seconds: open, but
    /// nothing read or written, as a slept laptop's or a forgetful proxy's flow.
    pub silent_after_secs: Option<f64>,
    /// A session's data channel is cut each time another this many bytes went to the client
    /// (keep it above the 1 MiB window; see `ChannelFaults`).
    pub drop_after_bytes: Option<u64>,
    /// Probability that a data-channel frame is lost (both directions).
    pub loss: f64,
    /// Probability that a frame to the client is sent twice.
    pub duplicate: f64,
    /// Probability that a frame to the client is held back behind the next one.
    pub reorder: f64,
    /// How long the agent holds each acknowledgement before sending it.
    pub ack_delay: Duration,
    /// Instances whose agent has lost its connection (ConnectionLost, TargetNotConnected).
    pub offline: Vec<String>,
    /// The first this many ResumeSession calls of each session fail (InternalServerError).
    pub resume_fails: u32,
    /// Seconds the simulator's clock runs ahead of the machine's (behind when negative): a
    /// client whose clock is off by as much, as AWS sees it.
    pub clock_skew_secs: f64,
    /// Access keys whose credentials have expired (ExpiredTokenException, RequestExpired).
    pub expired_keys: Vec<String>,
    /// The data-channel endpoint is unreachable (every upgrade answered 503) while the API
    /// answers: DNS or a route gone for `ssmmessages` alone.
    pub data_channel_down: bool,
    /// Every ResumeSession moves the session to another cell: its answer names a StreamUrl
    /// with a new `cell-number`, and a dial to an older cell is refused (403), as the service
    /// does when it rebalances.
    pub resume_moves_cell: bool,
    /// The byte at this offset of every non-interactive command's stdout is altered on its
    /// way to the client, as a bad cable or a faulty proxy would alter it (`bosun cp` must
    /// notice by its SHA-256 and keep nothing).
    pub corrupt_command_output: Option<u64>,
}

impl Faults {
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("fault {pair:?} is not key=value"))?;
            let number = || -> Result<f64, String> {
                value
                    .parse::<f64>()
                    .map_err(|_| format!("fault {key}: {value:?} is not a number"))
            };
            match key {
                "throttle" => faults.throttle = number()?.clamp(0.0, 1.0),
                "deny" => faults.deny.extend(value.split('+').map(str::to_owned)),
                "throttle_only" => faults
                    .throttle_only
                    .extend(value.split('+').map(str::to_owned)),
                "slow" => faults.slow = parse_duration(value)?,
                "drop_after_secs" => faults.drop_after_secs = Some(number()?),
                "silent_after_secs" => faults.silent_after_secs = Some(number()?),
                "drop_after_bytes" => faults.drop_after_bytes = Some(number()? as u64),
                "loss" => faults.loss = number()?.clamp(0.0, 1.0),
                "dup" | "duplicate" => faults.duplicate = number()?.clamp(0.0, 1.0),
                "reorder" => faults.reorder = number()?.clamp(0.0, 1.0),
                "ack_delay" => faults.ack_delay = parse_duration(value)?,
                "offline" => faults.offline.extend(value.split('+').map(str::to_owned)),
                "resume_fails" => faults.resume_fails = number()? as u32,
                "clock_skew" => faults.clock_skew_secs = number()?,
                "data_channel_down" => faults.data_channel_down = number()? != 0.0,
                "resume_moves_cell" => faults.resume_moves_cell = number()? != 0.0,
                "corrupt_command_output" => {
                    faults.corrupt_command_output = Some(number()? as u64);
                }
                "expired_keys" => faults
                    .expired_keys
                    .extend(value.split('+').map(str::to_owned)),
                other => {
                    return Err(format!(
                        "unknown fault {other:?} (known: throttle, throttle_only, deny, slow, drop_after_secs, silent_after_secs, drop_after_bytes, loss, dup, reorder, ack_delay, offline, resume_fails, clock_skew, expired_keys, data_channel_down, resume_moves_cell, corrupt_command_output)"
                    ));
                }
            }
        }
        Ok(faults)
    }

    pub fn denies(&self, operation: &str) -> bool {
        self.deny.iter().any(|d| d == operation || d == "*")
    }

    /// Whether `throttle` applies to `operation`.
    pub fn throttles(&self, operation: &str) -> bool {
        self.throttle > 0.0
            && (self.throttle_only.is_empty() || self.throttle_only.iter().any(|o| o == operation))
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 0.001)
    };
    number
        .parse::<f64>()
        .map(|n| Duration::from_secs_f64((n * scale).max(0.0)))
        .map_err(|_| format!("{text:?} is not a duration (e.g. 150ms, 2s)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_spec() {
        let faults = Faults::parse(
            "throttle=0.25, deny=StartSession+SendCommand, slow=150ms, drop_after_secs=2",
        )
        .expect("valid");
        assert_eq!(faults.throttle, 0.25);
        assert!(
            faults.throttles("DescribeSessions"),
            "every operation by default"
        );
        let some =
            Faults::parse("throttle=1,throttle_only=ListCommandInvocations+GetCommandInvocation")
                .expect("valid");
        assert!(some.throttles("ListCommandInvocations") && some.throttles("GetCommandInvocation"));
        assert!(!some.throttles("CancelCommand"));
        assert!(faults.denies("SendCommand"));
        assert!(!faults.denies("ListCommands"));
        assert_eq!(faults.slow, Duration::from_millis(150));
        assert_eq!(faults.drop_after_secs, Some(2.0));
        let more =
            Faults::parse("ack_delay=40ms,offline=i-1+i-2,resume_fails=1,resume_moves_cell=1")
                .expect("valid");
        assert_eq!(more.resume_fails, 1);
        assert!(more.resume_moves_cell);
        let skewed = Faults::parse("clock_skew=-600,expired_keys=K1+K2").expect("valid");
        assert_eq!(skewed.expired_keys, vec!["K1", "K2"]);
        assert!(
            Faults::parse("data_channel_down=1")
                .expect("valid")
                .data_channel_down
        );
        assert_eq!(skewed.clock_skew_secs, -600.0);
        assert_eq!(more.ack_delay, Duration::from_millis(40));
        assert_eq!(more.offline, vec!["i-1", "i-2"]);
        assert!(Faults::parse("bogus=1").is_err());
        assert!(Faults::parse("throttle").is_err());
    }
}
