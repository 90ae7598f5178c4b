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

/// What became of a frame handed to the viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Yes,
    /// No room for it now: it is offered again on the next tick.
    Dropped,
    /// Nobody is watching any more.
    Gone,
}

/// Why the player stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// `q` or ctrl-c.
    Quit,
    /// Close, or the input went away.
    Closed,
    /// The viewer went away.
    Gone,
}

/// Plays until `q`, Close or the viewer going, handing `show` a frame whenever the screen
/// changed. A frame is whole, so one that was dropped is simply drawn again later.
pub async fn drive(
    player: &mut Player,
    (mut rows, mut cols): (u16, u16),
    mut input: mpsc::Receiver<PlayerInput>,
    mut show: impl FnMut(Vec<u8>) -> Shown,
) -> Stopped {
    let mut ticker = tokio::time::interval(FRAME);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_tick = Instant::now();
    let mut last_frame: Vec<u8> = Vec::new();
    loop {
        let frame = player.frame(rows, cols);
        let mut unshown = false;
        if frame != last_frame {
            match show(frame.clone()) {
                Shown::Yes => last_frame = frame,
                Shown::Dropped => unshown = true,
                Shown::Gone => return Stopped::Gone,
            }
        }
        tokio::select! {
            _ = ticker.tick(), if player.playing() || unshown => {
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
                    None | Some(PlayerInput::Close) => return Stopped::Closed,
                    Some(PlayerInput::Size { rows: r, cols: c }) => (rows, cols) = (r, c),
                    Some(PlayerInput::Keys(keys)) => {
                        for key in keys {
                            if player.key(key) == Outcome::Quit {
                                return Stopped::Quit;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Paused, a frame the viewer had no room for is offered again on the next tick, not
    /// left stale until a key; `q` stops the player and says so.
    #[tokio::test]
    async fn a_dropped_frame_is_offered_again_and_q_stops() {
        let recording = Recording::parse(concat!(
            "{\"version\": 2, \"width\": 20, \"height\": 3}\n",
            "[0.1, \"o\", \"hello\"]\n",
        ))
        .expect("parses");
        let mut player = Player::new(recording);
        player.start_at(1.0);
        let (keys, input) = mpsc::channel(4);
        let mut offered = Vec::new();
        let typing = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = keys.send(PlayerInput::Keys(vec![Key::Char('q')])).await;
        });
        let stopped = drive(&mut player, (4, 30), input, |frame| {
            offered.push(frame);
            if offered.len() == 1 {
                Shown::Dropped
            } else {
                Shown::Yes
            }
        })
        .await;
        typing.await.expect("typed");
        assert_eq!(stopped, Stopped::Quit);
        assert_eq!(
            offered.len(),
            2,
            "dropped once, shown once, then nothing changed"
        );
        assert_eq!(offered[0], offered[1]);
        assert!(String::from_utf8_lossy(&offered[1]).contains("hello"));
    }
}
