//! How figures read on screen and in the CLI's tables: ages and byte counts.

/// Seconds as the table shows them: 42s, 5m, 3h, 2d.
pub fn age(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m", seconds / 60),
        3600..=86_399 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86_400),
    }
}
/// Bytes as people read them: 812 B, 4.2 KB, 1.3 MB, 2.0 GB.
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if count < 1000 {
        return format!("{count} B");
    }
    let mut value = count as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A copy's progress line: `12.3 MB of 104.9 MB  3.4 MB/s  0:27 left` (the total and time
/// left once the size is known).
pub fn transfer_progress(done: u64, total: u64, elapsed: std::time::Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    if total == 0 || done > total {
        return format!("{}  {}/s", bytes(done), bytes(rate as u64));
    }
    let left = if rate > 0.0 {
        ((total - done) as f64 / rate).round() as u64
    } else {
        0
    };
    format!(
        "{} of {} ({}%)  {}/s  {}:{:02} left",
        bytes(done),
        bytes(total),
        done * 100 / total,
        bytes(rate as u64),
        left / 60,
        left % 60
    )
}

/// `2026-09-22T08:00:00.000Z` from epoch seconds.
pub fn iso8601(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Text in the order a person expects: runs of digits compare as numbers, so `payments-api-6`
/// comes before `payments-api-36`; otherwise as text, and byte order breaks a tie (`06` and
/// `6`), so the order is total.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (m, n) = (run(x), run(y));
                let trim = |s: &[u8]| -> usize { s.iter().take_while(|&&c| c == b'0').count() };
                let (dx, dy) = (&x[trim(&x[..m]).min(m)..m], &y[trim(&y[..n]).min(n)..n]);
                let order = dx.len().cmp(&dy.len()).then_with(|| dx.cmp(dy));
                if order != Ordering::Equal {
                    return order;
                }
                (x, y) = (&x[m..], &y[n..]);
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

#[cfg(test)]
mod natural_tests {
    use super::natural_cmp;

    #[test]
    fn numbers_in_names_sort_as_numbers() {
        let mut names = vec![
            "payments-api-36",
            "payments-api-6",
            "payments-api-10",
            "db-2",
            "payments-api-06",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "db-2",
                "payments-api-06",
                "payments-api-6",
                "payments-api-10",
                "payments-api-36"
            ]
        );
        assert_eq!(natural_cmp("web", "web"), std::cmp::Ordering::Equal);
        assert!(natural_cmp("web-1a", "web-1b").is_lt());
        assert!(natural_cmp("i-0abc", "i-0abd").is_lt());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_says_how_far_it_is_and_how_long_is_left() {
        let second = std::time::Duration::from_secs(1);
        assert_eq!(
            transfer_progress(2_000_000, 10_000_000, second * 2),
            "2.0 MB of 10.0 MB (20%)  1.0 MB/s  0:08 left"
        );
        assert_eq!(transfer_progress(5_000, 0, second), "5.0 KB  5.0 KB/s");
    }
}
