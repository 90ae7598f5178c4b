//! A recording played for a person: the player (`term::player`) driven by the clock, the keys
//! and the viewport's size, its frames handed to whoever shows them — this terminal
//! (`bosun replay FILE`) or a console pane (a pane whose target is a recording).

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::term::player::{Key, Outcome, Player};
use crate::term::replay::Recording;

/// Frames a second while playing: smooth enough for a terminal being watched, cheap enough
/// to draw whole every time.
const FRAME: Duration = Duration::from_millis(33);

/// What reaches the player.
#[derive(Debug)]
pub enum PlayerInput {
    Keys(Vec<Key>),
    /// The viewport became `rows`×`cols`.
    Size {
        rows: u16,
        cols: u16,
    },
    Close,
}

/// Reads and parses `path`, building the keyframes off the async threads (an hour of
/// recording is one pass through the emulator). The error is a sentence naming the file.
pub async fn open(path: &Path) -> Result<Player, String> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let recording = Recording::parse(&text).map_err(|e| {
            format!(
                "{}: {e} (an asciicast v2 recording is expected)",
                path.display()
            )
        })?;
        Ok(Player::new(recording))
    })
    .await
    .map_err(|e| format!("reading the recording failed: {e}"))?
}

/// Plays until `q` (or Close, or `show` saying the viewer is gone), drawing a frame whenever
/// something changed. `show` returns false when nobody is watching any more.
pub async fn drive(
    player: &mut Player,
    (mut rows, mut cols): (u16, u16),
    mut input: mpsc::Receiver<PlayerInput>,
    mut show: impl FnMut(Vec<u8>) -> bool,
) {
    let mut ticker = tokio::time::interval(FRAME);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_tick = Instant::now();
    let mut last_frame: Vec<u8> = Vec::new();
    loop {
        let frame = player.frame(rows, cols);
        if frame != last_frame {
            if !show(frame.clone()) {
                return;
            }
            last_frame = frame;
        }
        tokio::select! {
            _ = ticker.tick(), if player.playing() => {
                let now = Instant::now();
                player.advance(now.duration_since(last_tick).as_secs_f64());
                last_tick = now;
            }
            message = input.recv() => {
                // Time played so far counts before a key changes what plays.
                let now = Instant::now();
                player.advance(now.duration_since(last_tick).as_secs_f64());
                last_tick = now;
                match message {
                    None | Some(PlayerInput::Close) => return,
                    Some(PlayerInput::Size { rows: r, cols: c }) => (rows, cols) = (r, c),
                    Some(PlayerInput::Keys(keys)) => {
                        for key in keys {
                            if player.key(key) == Outcome::Quit {
                                return;
                            }
                        }
                        // Frames to come start from the moment the keys landed.
                        last_tick = Instant::now();
                    }
                }
            }
        }
    }
}
