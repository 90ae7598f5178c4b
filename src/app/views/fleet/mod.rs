//! The fleet view: every instance of the sources read (SSM's and EC2's inventories joined),
//! filtered, sorted and marked, with how fresh the data is and what could not be read.

pub mod keys;
pub(crate) mod update;

use std::collections::BTreeSet;
use std::time::SystemTime;

use crate::app::editor::LineEditor;
use crate::model::column::{Column, DEFAULT_COLUMNS};
use crate::model::filter::Filter;
use crate::model::instance::{InstanceRow, Ping};
use crate::model::pane::PaneTarget;

#[cfg(test)]
mod refresh_tests;
#[cfg(test)]
mod tests;

#[derive(Debug, Clone, PartialEq)]
pub struct FleetView {
    pub rows: Vec<InstanceRow>,
    /// Indices into `rows`, filtered and sorted: what the table shows.
    pub visible: Vec<usize>,
    /// Position in `visible`.
    pub selected: usize,
    /// The first row of `visible` on screen: the table draws only the rows that fit.
    pub offset: usize,
    /// What the filter line holds, and why it does not parse (the last valid filter stays).
    pub filter: LineEditor,
    pub filter_error: Option<String>,
    /// While the `/` prompt is open: the filter in force before it (esc goes back to it, ↑
    /// recalls it).
    pub filter_before: Option<String>,
    parsed: Filter,
    pub marks: BTreeSet<String>,
    /// The table's columns, in order (from the configuration, or the defaults).
    pub columns: Vec<Column>,
    pub sort: Column,
    pub descending: bool,
    pub loaded_at: Option<SystemTime>,
    pub loading: bool,
    /// Sources still being read while the rows so far show (an organisation's first read).
    pub pending: usize,
    pub throttled: bool,
    /// The profile/region reads that failed, as sentences.
    pub errors: Vec<String>,
    /// Whether any row is a Kubernetes node (its columns show only then); counted when the
    /// rows change, not each frame.
    pub has_nodes: bool,
    /// Rows whose agent is behind (`InstanceRow::agent_behind`), for the header.
    pub agents_behind: usize,
}

impl Default for FleetView {
    fn default() -> FleetView {
        FleetView {
            rows: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            offset: 0,
            filter: LineEditor::default(),
            filter_error: None,
            filter_before: None,
            parsed: Filter::default(),
            marks: BTreeSet::new(),
            columns: DEFAULT_COLUMNS.to_vec(),
            sort: Column::Name,
            descending: false,
            loaded_at: None,
            loading: true,
            pending: 0,
            throttled: false,
            errors: Vec::new(),
            has_nodes: false,
            agents_behind: 0,
        }
    }
}

impl FleetView {
    /// Which columns show in `width` (indexes into `columns`): the Kubernetes ones only when
    /// the fleet holds nodes, so a fleet without any loses no room to a column of dashes.
    pub fn shown_columns(&self, width: u16) -> Vec<usize> {
        let nodes = self.has_nodes;
        let kept: Vec<usize> = (0..self.columns.len())
            .filter(|&i| {
                nodes
                    || !matches!(
                        self.columns[i],
                        crate::model::column::Column::Cluster
                            | crate::model::column::Column::NodeGroup
                    )
            })
            .collect();
        let candidates: Vec<crate::model::column::Column> =
            kept.iter().map(|&i| self.columns[i].clone()).collect();
        crate::model::column::visible_columns(&candidates, width)
            .into_iter()
            .map(|j| kept[j])
            .collect()
    }

    pub fn selected_row(&self) -> Option<&InstanceRow> {
        self.visible.get(self.selected).map(|&i| &self.rows[i])
    }

    /// The pane a shell on `row` opens in.
    pub fn pane_target(row: &InstanceRow) -> PaneTarget {
        PaneTarget {
            instance_id: row.instance_id.clone(),
            name: row.name.clone(),
            profile: row.profile.clone(),
            region: row.region.clone(),
            ping: row.ping,
            container: None,
            command: None,
            replay: None,
        }
    }

    /// The row of an instance, whatever the filter shows.
    pub fn row_of(&self, instance_id: &str) -> Option<&InstanceRow> {
        self.rows.iter().find(|row| row.instance_id == instance_id)
    }

    /// Rebuilds `visible` after the filter or sort changed, keeping the selection.
    pub fn rebuild(&mut self) {
        let keep = self.selected_row().map(|r| r.instance_id.clone());
        self.rebuild_keeping(keep);
    }

    /// Rebuilds `visible`, selecting `keep` (an instance id) when it is still shown.
    pub fn rebuild_keeping(&mut self, keep: Option<String>) {
        let mut visible: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.parsed.matches(&self.rows[i]))
            .collect();
        let rows = &self.rows;
        visible.sort_by(|&a, &b| {
            let (a, b) = (&rows[a], &rows[b]);
            let order = self
                .sort
                .compare(a, b)
                .then_with(|| crate::model::format::natural_cmp(&a.name, &b.name))
                .then_with(|| a.instance_id.cmp(&b.instance_id));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        self.visible = visible;
        self.selected = keep
            .and_then(|id| {
                self.visible
                    .iter()
                    .position(|&i| self.rows[i].instance_id == id)
            })
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
    }

    /// Reads the filter line again (after it changed).
    pub fn apply_filter(&mut self) {
        match Filter::parse(&self.filter) {
            Ok(filter) => {
                self.parsed = filter;
                self.filter_error = None;
                self.rebuild();
            }
            // Keep showing the last valid result while the user is still typing.
            Err(error) => self.filter_error = Some(error.to_string()),
        }
    }

    /// Filters to `text` (replacing what the line held).
    pub fn filter_to(&mut self, text: impl Into<String>) {
        self.filter.set(text);
        self.apply_filter();
    }

    /// Scrolls just enough to keep the selection on screen, `page` rows at a time.
    pub fn scroll_to_selection(&mut self, page: usize) {
        let page = page.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(self.visible.len().saturating_sub(page));
    }

    /// Counts per ping status among all rows, for the title.
    pub fn counts(&self) -> [(Ping, usize); 4] {
        let count = |p: Ping| self.rows.iter().filter(|r| r.ping == p).count();
        [
            (Ping::Online, count(Ping::Online)),
            (Ping::ConnectionLost, count(Ping::ConnectionLost)),
            (Ping::Inactive, count(Ping::Inactive)),
            (Ping::NotManaged, count(Ping::NotManaged)),
        ]
    }

    /// What is counted of the rows once per read: whether there are nodes, how many agents
    /// are behind.
    pub fn rows_changed(&mut self) {
        self.has_nodes = self.rows.iter().any(|row| row.eks_cluster().is_some());
        self.agents_behind = self.rows.iter().filter(|row| row.agent_behind()).count();
    }

    /// New sources: nothing read yet.
    pub fn reset(&mut self) {
        self.rows.clear();
        self.visible.clear();
        self.marks.clear();
        self.errors.clear();
        self.selected = 0;
        self.offset = 0;
        self.loaded_at = None;
        self.loading = true;
        self.rows_changed();
    }
}
