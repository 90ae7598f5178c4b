//! What every view shares (`Frame`: the screen, the status line, the sources, the user's
//! settings), and what has the keys now (`Mode`, read off the overlay).

use ratatui::layout::Rect;

use super::editor::EditorKind;
use super::keymap;

/// What every view shares: the screen, the status line, where the data comes from, and the
/// user's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The whole terminal, for pane geometry.
    pub screen: Rect,
    /// Rows a table shows (a page).
    pub table_rows: usize,
    /// Where the data comes from, for the title: "demo fleet", "prod/us-east-1"…
    pub source: String,
    /// The profiles and regions being read (empty: the defaults), for `:profile`/`:region`.
    pub profiles: Vec<String>,
    pub regions: Vec<String>,
    /// A sentence worth showing once (a refusal, a result, a broken theme file).
    pub notice: Option<String>,
    /// Credentials that expire soon (or have), with the command that renews them.
    pub expiring: Vec<String>,
    /// `q` was pressed with shells open; a second `q` quits.
    pub quit_armed: bool,
    /// `--read-only`: no shells, tunnels, commands or terminations.
    pub read_only: bool,
    /// The user's keys from the configuration.
    pub keys: keymap::KeyBindings,
}

/// What has the keys now, read off the overlay (so the two can never disagree): the view
/// beneath (`Table`), or the overlay over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Filter,
    Detail,
    Help,
    /// The `:` command line is open.
    Command,
    /// The shift-f tunnel form is open.
    TunnelForm,
    /// The Run Command form is open.
    RunCompose,
    /// The blast radius waits for confirmation.
    RunConfirm,
    /// The doctor's report on an instance is open.
    Doctor,
    /// Copy mode's search prompt (`/` or `?`) is open.
    PaneSearch,
    /// The Files view's prompt for a local path is open.
    FilesPrompt,
}

impl Mode {
    /// The kind of text field that has the keys, if one does.
    pub fn editor(self) -> Option<EditorKind> {
        match self {
            Mode::Filter | Mode::Command | Mode::PaneSearch | Mode::FilesPrompt => {
                Some(EditorKind::Line)
            }
            Mode::TunnelForm => Some(EditorKind::TunnelForm),
            Mode::RunCompose => Some(EditorKind::RunCompose),
            Mode::RunConfirm => Some(EditorKind::Confirm),
            Mode::Table | Mode::Detail | Mode::Help | Mode::Doctor => None,
        }
    }
}
