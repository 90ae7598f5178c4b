//! The panes view: shells in tiles and tabs (the workspace), how keys reach them (typing,
//! after the prefix, copy mode), and a mouse drag selecting within one pane.

pub mod keys;
pub mod tiles;
pub(crate) mod update;
pub mod workspace;

pub use tiles::{Direction, Node, SplitDirection, Tab};
pub use workspace::*;

use crate::model::pane::PaneId;

#[cfg(test)]
mod tests;

/// How keys reach the panes view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneMode {
    /// Keys go to the focused pane (or the broadcast set).
    Typing,
    /// The prefix chord was pressed: the next key is a console key.
    Prefix,
    /// Keys scroll the focused pane's history.
    Scroll,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanesView {
    pub workspace: Workspace,
    pub mode: PaneMode,
    /// Where a mouse press landed in a pane (pane, row, column of its content), and whether
    /// the pointer has moved since: a drag selects within that pane.
    pub drag: Option<(PaneId, (u16, u16), bool)>,
}

impl Default for PanesView {
    fn default() -> PanesView {
        PanesView {
            workspace: Workspace::default(),
            mode: PaneMode::Typing,
            drag: None,
        }
    }
}
