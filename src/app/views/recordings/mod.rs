//! The Recordings view, pure: the recordings in the state directory beside the session
//! history AWS keeps (`model::recording`), filtered as `bosun recordings --filter` filters,
//! the selection, and the pane a recording replays in.

use crate::app::editor::LineEditor;
use crate::model::instance::Ping;
use crate::model::pane::PaneTarget;
use crate::model::recording::RecordingRow;

pub mod keys;
pub(crate) mod update;

#[cfg(test)]
mod tests;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordingsView {
    /// `None` while loading.
    pub rows: Option<Vec<RecordingRow>>,
    /// Files that could not be read and history that could not be had, as sentences.
    pub errors: Vec<String>,
    pub filter: LineEditor,
    /// Indexes of the rows the filter lets through, newest first.
    pub visible: Vec<usize>,
    pub selected: usize,
    /// The first visible row on screen: it moves just enough to keep the selection shown.
    pub offset: usize,
    /// Why the filter line is not understood; the last filter that was keeps applying.
    pub filter_error: Option<String>,
    applied: String,
    /// While the `/` prompt is open: the filter in force before it.
    pub filter_before: Option<String>,
}

impl RecordingsView {
    /// A fresh read: the selection stays on the same file when it is still there.
    pub fn loaded(&mut self, rows: Vec<RecordingRow>, errors: Vec<String>) {
        let kept = self.selected_row().map(|r| r.file.clone());
        self.rows = Some(rows);
        self.errors = errors;
        self.rebuild();
        let at = kept.and_then(|kept| self.visible_rows().position(|r| r.file == kept));
        if let Some(at) = at {
            self.selected = at;
        }
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter.set(filter);
        self.rebuild();
    }

    fn rebuild(&mut self) {
        let text = self.filter.text().to_owned();
        let rows = self.rows.as_deref().unwrap_or_default();
        // A filter that is not understood says why; the last one that was keeps applying.
        match rows.first().map(|row| row.matches(&text)) {
            Some(Err(error)) => self.filter_error = Some(error),
            _ => {
                self.filter_error = None;
                self.applied = text;
            }
        }
        self.visible = rows
            .iter()
            .enumerate()
            .filter(|(_, row)| row.matches(&self.applied).unwrap_or(true))
            .map(|(i, _)| i)
            .collect();
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        self.offset = self.offset.min(self.selected);
    }

    pub fn visible_rows(&self) -> impl Iterator<Item = &RecordingRow> {
        let rows = self.rows.as_deref().unwrap_or_default();
        self.visible.iter().map(move |&i| &rows[i])
    }

    pub fn selected_row(&self) -> Option<&RecordingRow> {
        let rows = self.rows.as_deref()?;
        self.visible.get(self.selected).map(|&i| &rows[i])
    }

    pub fn total(&self) -> usize {
        self.rows.as_ref().map_or(0, Vec::len)
    }

    /// Scrolls just enough that the selection is among the `rows` on screen.
    pub fn keep_in_view(&mut self, rows: usize) {
        self.offset = crate::app::layout::scrolled(self.selected, self.offset, rows)
            .min(self.visible.len().saturating_sub(1));
    }
}

/// The pane `row` replays in: named after what it recorded, on its instance (so the doctor
/// and the fleet still know where it was), played by the pane service instead of a session.
pub fn pane_target(row: &RecordingRow, profile: &str, region: &str) -> PaneTarget {
    let on = if row.name.is_empty() {
        &row.instance_id
    } else {
        &row.name
    };
    PaneTarget {
        instance_id: row.instance_id.clone(),
        name: format!("replay {on}"),
        profile: profile.to_owned(),
        region: region.to_owned(),
        ping: Ping::Online,
        container: None,
        command: None,
        replay: Some(std::path::PathBuf::from(&row.file)),
    }
}
