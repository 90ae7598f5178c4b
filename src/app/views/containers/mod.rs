//! The Containers view, pure: the ECS containers of the profiles and regions in use, filtered
//! with their own language (`model::container`), the selection, marks, and the pane a
//! container's shell opens in.

use std::collections::BTreeSet;

use crate::app::editor::LineEditor;
use crate::model::container::ContainerRow;
use crate::model::instance::Ping;
use crate::model::pane::PaneTarget;

pub mod keys;
pub(crate) mod update;

#[cfg(test)]
mod update_tests;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainersView {
    /// `None` while loading.
    pub rows: Option<Vec<ContainerRow>>,
    /// The profile/region reads that failed, as sentences.
    pub errors: Vec<String>,
    pub filter: LineEditor,
    /// Indexes of the rows the filter lets through, in order.
    pub visible: Vec<usize>,
    pub selected: usize,
    /// Marked containers, by SSM target.
    pub marks: BTreeSet<String>,
    /// The first visible row on screen: it moves just enough to keep the selection shown.
    pub offset: usize,
    pub sort: ContainerSort,
    pub descending: bool,
    /// Why the filter line is not understood; the last filter that was keeps applying.
    pub filter_error: Option<String>,
    /// The last filter line that was understood: the one in force.
    applied: String,
    /// While the `/` prompt is open: the filter in force before it (esc goes back to it, ↑
    /// recalls it).
    pub filter_before: Option<String>,
}

/// What the Containers view is sorted by (`o` cycles, `O` reverses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContainerSort {
    /// Cluster, service, task, container.
    #[default]
    Name,
    Status,
    /// Those ECS Exec cannot reach first.
    Exec,
    Launch,
    Image,
    Region,
}

impl ContainerSort {
    pub fn label(self) -> &'static str {
        match self {
            ContainerSort::Name => "name",
            ContainerSort::Status => "status",
            ContainerSort::Exec => "exec",
            ContainerSort::Launch => "launch type",
            ContainerSort::Image => "image",
            ContainerSort::Region => "region",
        }
    }

    fn next(self) -> ContainerSort {
        match self {
            ContainerSort::Name => ContainerSort::Status,
            ContainerSort::Status => ContainerSort::Exec,
            ContainerSort::Exec => ContainerSort::Launch,
            ContainerSort::Launch => ContainerSort::Image,
            ContainerSort::Image => ContainerSort::Region,
            ContainerSort::Region => ContainerSort::Name,
        }
    }
}

impl ContainersView {
    /// A fresh read: the selection stays on the same container when it is still there.
    pub fn loaded(&mut self, rows: Vec<ContainerRow>, errors: Vec<String>) {
        let kept = self.selected_row().map(ContainerRow::ssm_target);
        self.marks
            .retain(|mark| rows.iter().any(|r| &r.ssm_target() == mark));
        self.rows = Some(rows);
        self.errors = errors;
        self.rebuild();
        let at = kept.and_then(|kept| self.visible_rows().position(|r| r.ssm_target() == kept));
        if let Some(at) = at {
            self.selected = at;
        }
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter.set(filter);
        self.rebuild();
    }

    /// `o`: the next sort; `O`: the other way round.
    pub fn sort_next(&mut self) {
        self.sort = self.sort.next();
        self.descending = false;
        self.rebuild();
    }

    pub fn sort_reverse(&mut self) {
        self.descending = !self.descending;
        self.rebuild();
    }

    fn rebuild(&mut self) {
        let text = self.filter.text();
        match crate::model::container::check_filter(text) {
            Ok(()) => {
                self.filter_error = None;
                self.applied = text.to_owned();
            }
            Err(error) => self.filter_error = Some(error),
        }
        let rows = self.rows.as_deref().unwrap_or_default();
        self.visible = rows
            .iter()
            .enumerate()
            .filter(|(_, row)| row.matches(&self.applied))
            .map(|(i, _)| i)
            .collect();
        // Rows arrive in name order: a stable sort keeps it within equal keys.
        let key = |row: &ContainerRow| -> String {
            match self.sort {
                ContainerSort::Name => String::new(),
                ContainerSort::Status => row.task_status.clone(),
                ContainerSort::Exec => u8::from(row.exec_problem().is_none()).to_string(),
                ContainerSort::Launch => row.launch_type.clone(),
                ContainerSort::Image => row.image.clone(),
                ContainerSort::Region => row.region.clone(),
            }
        };
        if self.sort != ContainerSort::Name {
            let keys: std::collections::HashMap<usize, String> =
                self.visible.iter().map(|&i| (i, key(&rows[i]))).collect();
            self.visible.sort_by(|a, b| keys[a].cmp(&keys[b]));
        }
        if self.descending {
            self.visible.reverse();
        }
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        self.offset = self.offset.min(self.selected);
    }

    pub fn visible_rows(&self) -> impl Iterator<Item = &ContainerRow> {
        let rows = self.rows.as_deref().unwrap_or_default();
        self.visible.iter().map(move |&i| &rows[i])
    }

    pub fn selected_row(&self) -> Option<&ContainerRow> {
        let rows = self.rows.as_deref()?;
        self.visible.get(self.selected).map(|&i| &rows[i])
    }

    /// Scrolls just enough that the selection is among the `rows` on screen.
    pub fn keep_in_view(&mut self, rows: usize) {
        self.offset = crate::app::layout::scrolled(self.selected, self.offset, rows)
            .min(self.visible.len().saturating_sub(1));
    }

    pub fn total(&self) -> usize {
        self.rows.as_ref().map_or(0, Vec::len)
    }

    /// The marked containers, or the selected one when none is marked.
    pub fn chosen(&self) -> Vec<&ContainerRow> {
        if self.marks.is_empty() {
            return self.selected_row().into_iter().collect();
        }
        self.rows
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter(|r| self.marks.contains(&r.ssm_target()))
            .collect()
    }

    pub fn toggle_mark(&mut self) {
        if let Some(target) = self.selected_row().map(ContainerRow::ssm_target)
            && !self.marks.remove(&target)
        {
            self.marks.insert(target);
        }
    }
}

/// The pane a container's shell opens in: named service/container, reached through ECS Exec.
pub fn pane_target(row: &ContainerRow) -> PaneTarget {
    let owner = if row.service.is_empty() {
        &row.task_id
    } else {
        &row.service
    };
    PaneTarget {
        instance_id: row.ssm_target(),
        name: format!("{owner}/{}", row.container),
        profile: row.profile.clone(),
        region: row.region.clone(),
        ping: if row.exec_problem().is_none() {
            Ping::Online
        } else {
            Ping::ConnectionLost
        },
        container: Some(Box::new(row.clone())),
        command: None,
        replay: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(service: &str, container: &str) -> ContainerRow {
        ContainerRow {
            cluster: "shop".to_owned(),
            service: service.to_owned(),
            task_id: format!("{service}-task"),
            container: container.to_owned(),
            runtime_id: format!("{service}-{container}"),
            task_status: "RUNNING".to_owned(),
            ..ContainerRow::default()
        }
    }

    #[test]
    fn the_filter_marks_and_selection_follow_the_rows() {
        let mut view = ContainersView::default();
        view.loaded(
            vec![row("web", "app"), row("web", "envoy"), row("jobs", "app")],
            Vec::new(),
        );
        assert_eq!(view.visible.len(), 3);
        view.selected = 2;
        view.toggle_mark();
        view.set_filter("service:web");
        assert_eq!(view.visible.len(), 2);
        assert_eq!(view.selected, 1, "clamped to what shows");
        assert_eq!(view.chosen().len(), 1, "the mark outlives the filter");
        view.marks.clear();
        assert_eq!(
            view.chosen().first().map(|r| r.container.as_str()),
            Some("envoy")
        );
        let target = pane_target(view.chosen()[0]);
        assert_eq!(target.name, "web/envoy");
        view.set_filter("");
        view.sort_next();
        view.sort_reverse();
        assert_eq!(view.sort.label(), "status");
        assert_eq!(view.visible, [2, 1, 0], "reversed within equal statuses");
        assert_eq!(target.instance_id, "ecs:shop_web-task_web-envoy");
        assert!(target.container.is_some());
    }
}
