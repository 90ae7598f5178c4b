//! AWS's time as bosun should sign with it: the local clock moved by the skew learned from an
//! answer's `Date` header. The SDK corrects its own calls this way; the data channel's
//! upgrade, which bosun signs itself, needs the same correction, or a laptop whose clock is
//! ten minutes off gets every dial refused.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

/// AWS's clock minus ours, in milliseconds.
static SKEW_MS: AtomicI64 = AtomicI64::new(0);

/// Below this, a refusal is not blamed on the clock (SigV4 allows five minutes).
const TRUSTED_SKEW: Duration = Duration::from_secs(60);

/// Now, by AWS's clock as far as bosun knows it.
pub fn aws_now() -> SystemTime {
    shifted(SystemTime::now(), SKEW_MS.load(Ordering::Relaxed))
}

/// The skew learned so far: AWS's clock minus ours, in seconds.
pub fn skew_secs() -> i64 {
    SKEW_MS.load(Ordering::Relaxed) / 1000
}

fn shifted(time: SystemTime, skew_ms: i64) -> SystemTime {
    let by = Duration::from_millis(skew_ms.unsigned_abs());
    if skew_ms >= 0 {
        time.checked_add(by).unwrap_or(time)
    } else {
        time.checked_sub(by).unwrap_or(time)
    }
}

/// Learns the skew from a refused dial's `Date` header. Returns the new skew in seconds when
/// it changed by more than a minute (the dial is then worth signing again).
pub(crate) fn learn_from_date(date_header: &str) -> Option<i64> {
    let theirs = parse_http_date(date_header)?;
    let ours = SystemTime::now();
    let skew_ms = match theirs.duration_since(ours) {
        Ok(ahead) => ahead.as_millis() as i64,
        Err(behind) => -(behind.duration().as_millis() as i64),
    };
    let known = SKEW_MS.load(Ordering::Relaxed);
    if (skew_ms - known).unsigned_abs() < TRUSTED_SKEW.as_millis() as u64 {
        return None;
    }
    SKEW_MS.store(skew_ms, Ordering::Relaxed);
    tracing::warn!(
        skew_secs = skew_ms / 1000,
        "this machine's clock is off AWS's; signing with AWS's time"
    );
    Some(skew_ms / 1000)
}

/// `Sun, 29 Nov 2026 17:20:55 GMT` (RFC 9110's IMF-fixdate, what AWS sends).
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = text.split_whitespace().skip(1);
    let day: i64 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(seconds)
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse() {
        let parsed = parse_http_date("Sun, 29 Nov 2026 17:20:55 GMT").expect("parses");
        let seconds = parsed
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        assert_eq!(seconds, 1_795_972_855);
        assert_eq!(parse_http_date("Sun, 29 Nov 2026 17:20 GMT"), None);
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn shifting_goes_both_ways() {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(shifted(base, 600_000), base + Duration::from_secs(600));
        assert_eq!(shifted(base, -600_000), base - Duration::from_secs(600));
    }
}
