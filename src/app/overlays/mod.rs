//! What opens over a view and takes the keys while it is open, owning its data: the help, an
//! instance's details, the doctor's report, the filter line, the `:` line, the forms, copy
//! mode's search. One at a time: `State::overlay`.

pub(crate) mod command;
pub(crate) mod doctor;
pub mod help;
pub(crate) mod help_keys;
pub mod help_table;

pub use doctor::DoctorView;

use crate::app::editor::{EditorKind, LineEditor};
use crate::app::views::runs::{RunCompose, RunConfirm};
use crate::app::views::tunnels::TunnelForm;

#[cfg(test)]
pub(crate) mod doctor_tests;

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// The keys of the view beneath, and its first line on screen.
    Help {
        scroll: usize,
    },
    /// Everything about the selected instance (or container).
    Detail,
    Doctor(DoctorView),
    /// The view's filter line is open; its text stays with the view (the fleet's, the
    /// containers') when the line closes.
    Filter,
    /// The `:` line, k9s-style.
    CommandLine(LineEditor),
    TunnelForm(TunnelForm),
    RunCompose(RunCompose),
    /// The blast radius, waiting for the typed count or y/n.
    RunConfirm(RunConfirm),
    /// Copy mode's search prompt (`/` down, `?` up).
    PaneSearch {
        pattern: LineEditor,
        forward: bool,
    },
    /// The Files view asks for a download's local path or an upload's local file.
    FilesPrompt(crate::app::views::files::FilesPrompt),
}

impl Overlay {
    /// The kind of text field it is, when keys are text while it is open.
    pub fn editor(&self) -> Option<EditorKind> {
        match self {
            Overlay::Filter
            | Overlay::CommandLine(_)
            | Overlay::PaneSearch { .. }
            | Overlay::FilesPrompt(_) => Some(EditorKind::Line),
            Overlay::TunnelForm(_) => Some(EditorKind::TunnelForm),
            Overlay::RunCompose(_) => Some(EditorKind::RunCompose),
            Overlay::RunConfirm(_) => Some(EditorKind::Confirm),
            Overlay::Help { .. } | Overlay::Detail | Overlay::Doctor(_) => None,
        }
    }
}
