//! Run Command's views: the compose form and its confirmation, the watch grid (with its
//! grouped mode) and the history of recent commands.

pub(crate) mod events;
pub mod grouping;
pub mod keys;
pub(crate) mod update;
pub mod watch;

pub use watch::*;

use crate::model::run::{CONFIRM_BY_COUNT_ABOVE, HistoryEntry};
use crate::model::run_groups::Comparison;

/// Run Command in the console: the command watched, and the history of recent ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsView {
    /// The command being (or last) watched.
    pub watch: Option<RunWatch>,
    /// Recent commands, once loaded.
    pub history: Option<Vec<HistoryEntry>>,
    pub history_selected: usize,
    /// Two runs of one command compared (`=` in the history), shown over the history.
    pub comparison: Option<Comparison>,
    /// `w` with nothing run here yet: watch the newest command once the history loads.
    pub watch_newest: bool,
    /// Above this many targets, Run Command wants the count typed (`run_confirm_above`).
    pub confirm_above: usize,
}

impl Default for RunsView {
    fn default() -> RunsView {
        RunsView {
            watch: None,
            history: None,
            history_selected: 0,
            comparison: None,
            watch_newest: false,
            confirm_above: CONFIRM_BY_COUNT_ABOVE,
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod watch_tests;
