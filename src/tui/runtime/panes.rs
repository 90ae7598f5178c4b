//! The console's panes at runtime: each pane's session started, resized and fed typing; the
//! panes' output ingested into their emulators in turn, within a time budget; mouse capture
//! on exactly while panes show.

use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;

use super::Console;
use crate::app::{Input, View, pane_area, pane_content};
use crate::model::pane::PaneId;
use crate::services::pane::{self, PaneCommand};
use crate::term::copy::CopyKey;
use crate::term::copy::{self, CopyOutcome};
use crate::term::{Emulator, keys};

impl Console {
    /// The key modes of the focused pane's terminal (cursor keys, bracketed paste).
    pub(super) fn focused_modes(&self) -> keys::KeyModes {
        self.state
            .panes
            .workspace
            .focused()
            .and_then(|pane| self.screens.get(&pane.id))
            .map(Emulator::key_modes)
            .unwrap_or_default()
    }

    /// Starts (or restarts) the session behind pane `id`; a restarted pane keeps its screen.
    pub(super) fn start_pane(&mut self, id: PaneId) {
        let Some(pane) = self.state.panes.workspace.panes.get(&id) else {
            return;
        };
        if self.state.frame.read_only {
            // The reducer refuses first; this is the runtime's own guard.
            return;
        }
        let (rows, cols) = self.pane_size(id).unwrap_or((24, 80));
        let history = self.scrollback.for_profile(&pane.target.profile);
        let screen = self
            .screens
            .entry(id)
            .or_insert_with(|| Emulator::with_scrollback(rows, cols, history));
        self.sizes.insert(id, screen.size());
        // A replay is a recording already.
        let record =
            self.record_panes && pane.target.replay.is_none() && !self.recordings.contains_key(&id);
        let handle = pane::spawn(id, pane.target.clone(), self.context.clone());
        if let Some(old) = self.handles.insert(id, handle) {
            old.abort();
        }
        // Typing held for a session that is gone is not for the new one.
        self.forget_held(id);
        if record {
            self.toggle_recording(id);
        }
    }

    /// Where pane `id` sits on screen now, as (rows, cols) of its terminal.
    pub(super) fn pane_size(&self, id: PaneId) -> Option<(u16, u16)> {
        let tab = self.state.panes.workspace.tab()?;
        let (_, rect) = tab
            .layout(pane_area(self.state.frame.screen))
            .into_iter()
            .find(|(pane, _)| *pane == id)?;
        let content = pane_content(rect);
        Some((content.height.max(1), content.width.max(1)))
    }

    /// Feeds the panes' waiting output to their emulators, a slice of each pane's in turn, up
    /// to a time budget: bursts cost one redraw, every pane with output moves on each round
    /// (a quiet pane's echo is never behind a flood), and the loop gets back to the keys
    /// within a few milliseconds however hard panes flood.
    pub(super) fn ingest(&mut self) {
        const BUDGET: Duration = Duration::from_millis(4);
        const SLICE: usize = 16 * 1024;
        let started = Instant::now();
        while started.elapsed() < BUDGET {
            let Some((pane, chunks)) = self.outputs.take_turn(SLICE) else {
                break;
            };
            self.feed(pane, &chunks);
        }
    }

    /// Output into the pane's emulator, and its recording when it has one.
    fn feed(&mut self, pane: PaneId, chunks: &[bytes::Bytes]) {
        if let Some(screen) = self.screens.get_mut(&pane) {
            for chunk in chunks {
                screen.process(chunk);
            }
        }
        if !self.recordings.is_empty() {
            for chunk in chunks {
                self.record_output(pane, chunk);
            }
        }
    }

    /// Everything `pane` has waiting, at once (before a change of its status).
    pub(super) fn ingest_all_of(&mut self, pane: PaneId) {
        let chunks = self.outputs.drain(pane);
        self.feed(pane, &chunks);
    }

    /// Tells a pane's session its terminal size.
    pub(super) fn send_size(&self, pane: PaneId) {
        if let (Some(handle), Some(&(rows, cols))) =
            (self.handles.get(&pane), self.sizes.get(&pane))
        {
            let _ = handle.send(PaneCommand::Size(rows, cols));
        }
    }

    /// Keeps every visible pane's terminal the size of its place on screen (telling the
    /// remote side at once), and mouse capture on exactly while panes are shown.
    pub(super) fn sync_panes(&mut self) {
        let showing = self.state.view == View::Panes && !self.state.panes.workspace.is_empty();
        if showing != self.mouse_captured {
            let result = if showing {
                execute!(std::io::stdout(), EnableMouseCapture)
            } else {
                execute!(std::io::stdout(), DisableMouseCapture)
            };
            if let Err(error) = result {
                tracing::warn!(%error, "switching mouse capture failed");
            }
            self.mouse_captured = showing;
        }
        let Some(tab) = self.state.panes.workspace.tab() else {
            return;
        };
        for (id, rect) in tab.layout(pane_area(self.state.frame.screen)) {
            let content = pane_content(rect);
            let size = (content.height.max(1), content.width.max(1));
            if self.sizes.get(&id) == Some(&size) {
                continue;
            }
            self.sizes.insert(id, size);
            if let Some(screen) = self.screens.get_mut(&id) {
                screen.resize(size.0, size.1);
            }
            self.record_resize(id, size.0, size.1);
            if let Some(handle) = self.handles.get(&id) {
                let _ = handle.send(PaneCommand::Size(size.0, size.1));
            }
        }
    }

    /// A copy-mode key in `pane`: a page is the pane's height less a line.
    pub(super) fn copy_key(&mut self, pane: PaneId, key: &CopyKey) {
        let page = self
            .sizes
            .get(&pane)
            .map_or(10, |&(rows, _)| usize::from(rows.max(2) - 1));
        let Some(screen) = self.screens.get_mut(&pane) else {
            return;
        };
        let report = match screen.copy_key(key, page) {
            CopyOutcome::NotFound(pattern) => Some(format!("no match for {pattern:?}")),
            CopyOutcome::Found => Some(String::new()),
            CopyOutcome::Moved => None,
        };
        match report {
            Some(text) if text.is_empty() => self.state.frame.notice = None,
            Some(text) => {
                self.reduce(Input::CopyReport(text));
            }
            None => {}
        }
    }

    /// `text` to the clipboard through OSC 52, said in the status line.
    pub(super) fn copy_text(&mut self, text: &str) {
        let written = std::io::stdout()
            .write_all(copy::osc52(text).as_bytes())
            .and_then(|()| std::io::stdout().flush());
        let report = match written {
            Ok(()) => format!(
                "copied the fix, {} line(s), to the clipboard (OSC 52; the terminal must allow it)",
                text.lines().count().max(1)
            ),
            Err(error) => format!("copying failed: {error}"),
        };
        self.reduce(Input::CopyReport(report));
    }

    /// The selection to the clipboard through OSC 52 (the user's terminal sets it, over SSH
    /// too), and back to the live screen.
    pub(super) fn copy_selection(&mut self, pane: PaneId) {
        let Some(screen) = self.screens.get_mut(&pane) else {
            return;
        };
        let text = screen.selected_text();
        screen.leave_copy();
        let report = match text {
            Some(text) if !text.is_empty() => {
                let written = std::io::stdout()
                    .write_all(copy::osc52(&text).as_bytes())
                    .and_then(|()| std::io::stdout().flush());
                match written {
                    Ok(()) => format!(
                        "copied {} characters, {} line(s), to the clipboard (OSC 52; the terminal must allow it)",
                        text.chars().count(),
                        text.lines().count().max(1)
                    ),
                    Err(error) => format!("copying failed: {error}"),
                }
            }
            _ => "nothing was selected (v or V selects, then y copies)".to_owned(),
        };
        self.reduce(Input::CopyReport(report));
    }
}
