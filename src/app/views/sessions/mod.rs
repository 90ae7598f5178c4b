//! The Sessions view: who is on which instance now (DescribeSessions across the sources), and
//! ending one, asked twice.

pub mod keys;
pub(crate) mod update;

#[cfg(test)]
mod tests;

/// A session in the Sessions view, with the source it was read from (to end it there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEntry {
    pub row: crate::model::session::SessionRow,
    pub profile: String,
    pub region: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionsView {
    /// The rows, once loaded.
    pub entries: Option<Vec<SessionEntry>>,
    pub selected: usize,
    /// The session the next terminate key ends (the first press only asks).
    pub terminate_armed: Option<String>,
    /// Sessions a local recording carries (`:recordings` replays them).
    pub recorded: std::collections::BTreeSet<String>,
}

impl SessionsView {
    pub fn selected_entry(&self) -> Option<&SessionEntry> {
        self.entries.as_ref()?.get(self.selected)
    }
}
