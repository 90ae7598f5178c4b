//! Typing into panes, never lost: each key (or paste) goes to the pane's session queue; while
//! that queue is full (a slow or resuming session, a paste arriving as thousands of plain
//! keys) the pane's typing is held here in order and handed over in one piece as soon as the
//! session has room; past [`HOLD_LIMIT`] the console stops reading the terminal altogether,
//! so the rest waits in the terminal's own buffer. One log line per burst of stalls (a paste
//! stalls many times over), never one per key.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc::OwnedPermit;
use tokio::sync::mpsc::error::TrySendError;

use super::Console;
use crate::model::pane::PaneId;
use crate::services::pane::PaneCommand;

/// Typing held for one pane before the console stops reading the terminal: more than any
/// paste a person makes, little memory.
pub(super) const HOLD_LIMIT: usize = 1024 * 1024;

/// A pane that stalls again within this long of its last stall is in the same burst (one
/// log line).
const BURST_GAP: Duration = Duration::from_secs(2);

/// What one pane's session has not taken yet, in order.
pub(super) struct Held {
    bytes: BytesMut,
}

/// Each held pane's typing, and when each pane's last stall ended.
#[derive(Default)]
pub(super) struct HeldTyping {
    panes: HashMap<PaneId, Held>,
    last_stall: HashMap<PaneId, Instant>,
}

/// Room in one held pane's session queue, and the pane; or the pane whose session went away.
pub(super) type Room = Result<(PaneId, OwnedPermit<PaneCommand>), PaneId>;

impl Console {
    /// Sends typed bytes to the focused pane, or to every pane broadcast reaches.
    pub(super) fn type_into_panes(&mut self, bytes: Vec<u8>) {
        let bytes = Bytes::from(bytes);
        for pane in self.state.panes.workspace.input_targets() {
            if let Some(screen) = self.screens.get_mut(&pane) {
                // Typing returns a scrolled-back pane to the live screen, as terminals do.
                screen.scroll_to_bottom();
            }
            self.deliver(pane, bytes.clone());
        }
    }

    fn deliver(&mut self, pane: PaneId, bytes: Bytes) {
        let Some(handle) = self.handles.get(&pane) else {
            return;
        };
        if let Some(held) = self.held.panes.get_mut(&pane) {
            // Behind what waits already: order is kept.
            held.bytes.extend_from_slice(&bytes);
            return;
        }
        match handle.try_send(PaneCommand::Data(bytes)) {
            Ok(()) => {}
            Err(TrySendError::Full(PaneCommand::Data(bytes))) => {
                let now = Instant::now();
                let new_burst = self
                    .held
                    .last_stall
                    .get(&pane)
                    .is_none_or(|last| now.duration_since(*last) > BURST_GAP);
                if new_burst {
                    tracing::info!(
                        pane,
                        "the pane's session is not taking typing as fast as it comes; holding keys in order until it does"
                    );
                }
                self.held.panes.insert(
                    pane,
                    Held {
                        bytes: BytesMut::from(bytes.as_ref()),
                    },
                );
            }
            // The session has ended: the pane shows it, and no key is typing any more.
            Err(_) => {}
        }
    }

    /// Whether the console should stop reading the terminal: a pane holds as much typing as
    /// it may.
    pub(super) fn typing_stalled(&self) -> bool {
        self.held
            .panes
            .values()
            .any(|held| held.bytes.len() >= HOLD_LIMIT)
    }

    /// Resolves when a pane that holds typing has room in its session queue; never when none
    /// holds any. Owns what it waits on, so the loop can go on using the console.
    pub(super) fn room_for_held(&self) -> impl Future<Output = Room> + use<> {
        let waiting: Vec<_> = self
            .held
            .panes
            .keys()
            .filter_map(|&pane| Some((pane, self.handles.get(&pane)?.commands())))
            .collect();
        async move {
            if waiting.is_empty() {
                return std::future::pending().await;
            }
            let reserves = waiting.into_iter().map(|(pane, commands)| {
                Box::pin(async move {
                    match commands.reserve_owned().await {
                        Ok(room) => Ok((pane, room)),
                        Err(_) => Err(pane),
                    }
                })
            });
            let (room, _, _) = futures_util::future::select_all(reserves).await;
            room
        }
    }

    /// Hands a pane everything it holds, in one piece; a pane whose session went away
    /// meanwhile drops what it held.
    pub(super) fn release_held(&mut self, room: Room) {
        let (pane, permit) = match room {
            Ok(room) => room,
            Err(pane) => return self.forget_held(pane),
        };
        let Some(held) = self.held.panes.remove(&pane) else {
            return;
        };
        permit.send(PaneCommand::Data(held.bytes.freeze()));
        self.held.last_stall.insert(pane, Instant::now());
    }

    /// Drops what `pane` held (its session ended, it closed or started afresh).
    pub(super) fn forget_held(&mut self, pane: PaneId) {
        self.held.last_stall.remove(&pane);
        if let Some(held) = self.held.panes.remove(&pane) {
            tracing::info!(
                pane,
                bytes = held.bytes.len(),
                "the pane's session ended with typing still held; dropped"
            );
        }
    }
}
