//! `bosun replay FILE`: a recording played back. In a terminal, the player
//! (`services::replay`: pause, speeds, seeks, search, a timeline) on the alternate screen;
//! with output that is not a terminal, the output written at its own pace (idle gaps over 2 s
//! shortened, `--speed` times as fast); with `--dump` the screen at one moment printed as
//! text, for scripts and tests. The reading is `term::replay`.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;

use crate::cli::ReplayArgs;
use crate::services::replay::{PlayerInput, Shown, drive, open};
use crate::term::player::Key;
use crate::term::replay::{Event, Recording, screen_text};

/// Idle gaps longer than this are shortened to it when playing.
const LONGEST_GAP: f64 = 2.0;

pub async fn run(args: &ReplayArgs) -> i32 {
    if args.speed.is_nan() || args.speed <= 0.0 {
        eprintln!("bosun replay: --speed must be above 0");
        return 2;
    }
    if args.at.is_some_and(|at| at.is_nan() || at < 0.0) {
        eprintln!("bosun replay: --at: a moment is seconds from the start (0 or more)");
        return 2;
    }
    if !args.dump && std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return interactive(args).await;
    }
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
        if recording.cut_short {
            eprintln!(
                "bosun replay: {}: its last line was cut short (the recording was not finished); the rest is shown",
                args.file.display()
            );
        }
        let at = args.at.unwrap_or_else(|| recording.length());
        print!("{}", screen_text(&recording.screen_at(at)));
        return 0;
    }
    play(&recording, args.speed).await
}

/// The player on this terminal's alternate screen, its keys and size from crossterm, until
/// `q` or ctrl-c.
async fn interactive(args: &ReplayArgs) -> i32 {
    let mut player = match open(&args.file).await {
        Ok(player) => player,
        Err(error) => {
            eprintln!("bosun replay: {error}");
            return 2;
        }
    };
    player.set_speed(args.speed);
    if let Some(at) = args.at {
        player.start_at(at);
    }
    let guard = match crate::tui::terminal::TerminalGuard::enter() {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("bosun replay: cannot take the terminal: {error}");
            return 2;
        }
    };
    let (cols, rows) = crossterm::terminal::size().unwrap_or((80, 24));
    let (to_player, from_terminal) = mpsc::channel(64);
    let keys = tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            let input = match event {
                TermEvent::Key(key) if key.kind != KeyEventKind::Release => {
                    let Some(key) = player_key(key.code, key.modifiers) else {
                        continue;
                    };
                    PlayerInput::Keys(vec![key])
                }
                TermEvent::Resize(cols, rows) => PlayerInput::Size { rows, cols },
                _ => continue,
            };
            if to_player.send(input).await.is_err() {
                return;
            }
        }
    });
    let mut stdout = std::io::stdout();
    drive(&mut player, (rows, cols), from_terminal, |frame| {
        if stdout.write_all(&frame).is_ok() && stdout.flush().is_ok() {
            Shown::Yes
        } else {
            Shown::Gone
        }
    })
    .await;
    keys.abort();
    drop(guard);
    0
}

/// The player's key for a terminal key, if it has one.
fn player_key(code: KeyCode, modifiers: KeyModifiers) -> Option<Key> {
    Some(match code {
        KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Enter => Key::Enter,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Esc => Key::Escape,
        _ => return None,
    })
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
