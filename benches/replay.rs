//! Replay at postmortem scale: a one-hour recording (an output event every half second, 7,200
//! of them, ~1 MB) opened to its first screen, a moment in its middle drawn, and a text
//! searched for across 100 such recordings. Prints figures; the budgets (first screen ≤ 300 ms,
//! a seek ≤ 50 ms, the search ≤ 1 s) are held with `-- --check`.
//!
//! cargo bench --bench replay [-- --check]

mod common;

use std::time::Instant;

use bosun::term::replay::{Recording, moments_of, screen_text};

/// An hour of a busy shell: prompts, commands and their output, coloured.
fn hour_of_shell(seed: usize) -> String {
    let mut text = String::from(
        "{\"version\": 2, \"width\": 160, \"height\": 48, \"timestamp\": 1790000000}\n",
    );
    for n in 0..7_200 {
        let at = n as f64 * 0.5;
        let line = match n % 3 {
            0 => format!(
                "\\u001b[32m[ec2-user@web-{seed} ~]$\\u001b[0m tail -n 3 /var/log/app-{n}.log\\r\\n"
            ),
            1 => format!(
                "2026-12-06T03:{:02}:00Z INFO request {n} served in {} ms\\r\\n",
                n % 60,
                n % 97
            ),
            _ => format!(
                "2026-12-06T03:{:02}:01Z WARN slow query {} on shard {}\\r\\n",
                n % 60,
                n * 7,
                n % 16
            ),
        };
        text.push_str(&format!("[{at}, \"o\", \"{line}\"]\n"));
    }
    text
}

fn main() {
    let mut verdicts = common::Verdicts::new();
    let text = hour_of_shell(1);
    let begin = Instant::now();
    let recording = Recording::parse(&text).expect("parses");
    let first = screen_text(&recording.screen_at(0.0));
    let opened = begin.elapsed();
    assert!(first.contains("web-1"), "{first}");
    let begin = Instant::now();
    let middle = screen_text(&recording.screen_at(recording.length() / 2.0));
    let seek = begin.elapsed();
    assert!(middle.contains("request"), "{middle}");
    let files: Vec<String> = (0..100).map(hour_of_shell).collect();
    let begin = Instant::now();
    let mut hits = 0;
    for file in &files {
        let recording = Recording::parse(file).expect("parses");
        hits += moments_of(&recording, "slow query 7007 on shard").len();
    }
    let searched = begin.elapsed();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "replay: one hour, {} events, {:.1} MB",
        recording.events.len(),
        text.len() as f64 / 1e6
    );
    println!("  opened to its first screen  {:>8.1} ms", ms(opened));
    println!(
        "  a moment in the middle      {:>8.1} ms (replayed from the start: no keyframes yet)",
        ms(seek)
    );
    println!(
        "  search across 100 of them   {:>8.1} ms ({hits} moments)",
        ms(searched)
    );
    verdicts.count(
        "search finds each",
        hits == 100,
        format!("{hits}, must be 100"),
    );
    verdicts.at_most("first screen", ms(opened), 300.0, "ms");
    verdicts.at_most("seek", ms(seek), 50.0, "ms");
    verdicts.at_most("search of 100 hours", ms(searched), 1000.0, "ms");
    verdicts.finish();
}
