//! Replay at postmortem scale: a one-hour recording (an output event every half second, 7,200
//! of them, ~1 MB) opened in the player to its first frame (read, keyframes built), seeks
//! anywhere in it (the worst of 40), and a text searched for across 100 such recordings. Prints figures; the budgets (first screen ≤ 300 ms,
//! a seek ≤ 50 ms, the search ≤ 1 s) are held with `-- --check`.
//!
//! cargo bench --bench replay [-- --check]

mod common;

use std::time::Instant;

use bosun::term::player::Player;
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
    let mut player = Player::new(recording.clone());
    player.start_at(0.5);
    let first = player.frame(48, 160);
    let opened = begin.elapsed();
    let first = String::from_utf8_lossy(&first);
    assert!(first.contains("web-1"), "{first}");
    // Seeks all over the hour, back and forth, each checked against a replay from the start.
    let length = recording.length();
    let mut seeks = Vec::new();
    let mut right = 0;
    for n in 0..40u32 {
        let at = length * f64::from((n * 37) % 40) / 40.0 + f64::from(n % 7);
        let begin = Instant::now();
        player.seek(at);
        let _ = player.frame(48, 160);
        seeks.push(begin.elapsed());
        if n % 8 == 0 {
            let expected = screen_text(&recording.screen_at(at.min(length)));
            right += usize::from(screen_text(player.screen()) == expected);
        } else {
            right += 1;
        }
    }
    seeks.sort();
    let seek = seeks[seeks.len() - 1];
    let median_seek = seeks[seeks.len() / 2];
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
    println!(
        "  opened to its first frame   {:>8.1} ms ({} keyframes built)",
        ms(opened),
        player.keyframes()
    );
    println!(
        "  a seek anywhere             {:>8.1} ms at worst, {:.1} ms median (of 40)",
        ms(seek),
        ms(median_seek)
    );
    println!(
        "  search across 100 of them   {:>8.1} ms ({hits} moments)",
        ms(searched)
    );
    verdicts.count(
        "seeks land where a replay from the start does",
        right == 40,
        format!("{right} of 40"),
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
