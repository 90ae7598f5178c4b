//! `bosun replay FILE`: a recording played back in this terminal at its own pace (idle gaps
//! over 2 s shortened to 2 s, `--speed` times as fast), or with `--dump` the screen at one
//! moment printed as text, for scripts and tests. The reading is `term::replay`.

use std::io::Write as _;
use std::time::Duration;

use crate::cli::ReplayArgs;
use crate::term::replay::{Event, Recording, screen_text};

/// Idle gaps longer than this are shortened to it when playing.
const LONGEST_GAP: f64 = 2.0;

pub async fn run(args: &ReplayArgs) -> i32 {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("bosun replay: {}: {error}", args.file.display());
            return 2;
        }
    };
    let recording = match Recording::parse(&text) {
        Ok(recording) => recording,
        Err(error) => {
            eprintln!(
                "bosun replay: {}: {error} (an asciicast v2 recording is expected)",
                args.file.display()
            );
            return 2;
        }
    };
    if args.dump {
        let at = args.at.unwrap_or_else(|| recording.length());
        if at < 0.0 {
            eprintln!("bosun replay: --at {at}: a moment is seconds from the start (0 or more)");
            return 2;
        }
        print!("{}", screen_text(&recording.screen_at(at)));
        return 0;
    }
    if args.speed.is_nan() || args.speed <= 0.0 {
        eprintln!("bosun replay: --speed must be above 0");
        return 2;
    }
    play(&recording, args.speed).await
}

/// Writes the output events to stdout at their pace; ctrl-c stops it, resetting the
/// terminal's attributes and leaving an alternate screen the recording may have entered.
async fn play(recording: &Recording, speed: f64) -> i32 {
    let mut stdout = std::io::stdout();
    let mut last = 0.0f64;
    let playing = async {
        for (at, event) in &recording.events {
            let gap = (at - last).clamp(0.0, LONGEST_GAP) / speed;
            last = *at;
            if gap > 0.0 {
                tokio::time::sleep(Duration::from_secs_f64(gap)).await;
            }
            if let Event::Output(text) = event
                && (stdout.write_all(text.as_bytes()).is_err() || stdout.flush().is_err())
            {
                return;
            }
        }
    };
    let stopped = tokio::select! {
        () = playing => false,
        _ = tokio::signal::ctrl_c() => true,
    };
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(b"\x1b[0m\x1b[?1049l\r\n");
    let _ = stdout.flush();
    if stopped { 130 } else { 0 }
}
