//! The Files view, pure: one folder on one instance at a time (its listing read over a
//! session, `model::transfer::browse`), the selection, and the prompts for a download's local
//! path and an upload's local file. Shell panes take every key for typing, so the file view is
//! a view of its own rather than a tile among them; what it opens (`t`: a file followed with
//! `tail -F`) opens as a pane.

use crate::app::editor::LineEditor;
pub use crate::app::effect::FilesAt;
use crate::model::transfer::browse::{RemoteEntry, RemoteListing, join};
use crate::model::transfer::shown_bytes;

pub mod keys;
pub(crate) mod update;

#[cfg(test)]
mod tests;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilesView {
    /// `None` until a fleet row is browsed.
    pub at: Option<FilesAt>,
    /// The folder shown, or being read.
    pub path: Vec<u8>,
    /// `None` while the folder is read.
    pub listing: Option<RemoteListing>,
    /// Why the last read failed, as a sentence: shown in place of the listing.
    pub error: Option<String>,
    pub selected: usize,
    /// The first entry on screen: it moves just enough to keep the selection shown.
    pub offset: usize,
    /// The folder left by `-`, to land on it again in its parent.
    came_from: Option<Vec<u8>>,
}

/// What a files prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilesPromptKind {
    /// Where to put this remote file here.
    Download { remote: Vec<u8> },
    /// Which local file to put into this remote folder.
    Upload { folder: Vec<u8> },
}

/// The prompt line for a download's local path or an upload's local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesPrompt {
    pub kind: FilesPromptKind,
    pub line: LineEditor,
}

impl FilesPrompt {
    /// What the prompt says before the line.
    pub fn label(&self, at: &str) -> String {
        match &self.kind {
            FilesPromptKind::Download { remote } => {
                format!("download {at}:{} to: ", shown_bytes(remote))
            }
            FilesPromptKind::Upload { folder } => {
                format!("upload into {at}:{} the local file: ", shown_bytes(folder))
            }
        }
    }
}

impl FilesView {
    /// A folder asked for: the listing goes until it is read.
    pub fn reading(&mut self, path: Vec<u8>) {
        self.path = path;
        self.listing = None;
        self.error = None;
    }

    /// The folder's listing arrived: the selection lands on the folder just left, if any.
    pub fn listed(&mut self, listing: RemoteListing) {
        let landing = self.came_from.take().and_then(|left| {
            listing
                .entries
                .iter()
                .position(|entry| join(&listing.path, &entry.name) == left)
        });
        self.path = listing.path.clone();
        self.selected = landing.unwrap_or(0);
        self.offset = 0;
        self.listing = Some(listing);
        self.error = None;
    }

    /// The folder could not be read: why, in its place.
    pub fn failed(&mut self, error: String) {
        self.listing = None;
        self.error = Some(error);
        self.came_from = None;
    }

    /// `-`: the parent folder, landing on this one.
    pub fn going_up(&mut self) -> Vec<u8> {
        self.came_from = Some(self.path.clone());
        crate::model::transfer::browse::parent(&self.path)
    }

    pub fn entries(&self) -> &[RemoteEntry] {
        self.listing.as_ref().map_or(&[], |l| l.entries.as_slice())
    }

    pub fn selected_entry(&self) -> Option<&RemoteEntry> {
        self.entries().get(self.selected)
    }

    /// The selected entry's full path on the instance.
    pub fn selected_path(&self) -> Option<Vec<u8>> {
        self.selected_entry()
            .map(|entry| join(&self.path, &entry.name))
    }

    /// Scrolls just enough that the selection is among the `rows` on screen.
    pub fn keep_in_view(&mut self, rows: usize) {
        self.offset = crate::app::layout::scrolled(self.selected, self.offset, rows);
    }

    /// `web-1:/var/log`, for titles and messages.
    pub fn where_shown(&self) -> String {
        let name = self.at.as_ref().map_or("", |at| at.name.as_str());
        format!("{name}:{}", shown_bytes(&self.path))
    }
}
