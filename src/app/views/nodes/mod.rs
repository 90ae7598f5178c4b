//! The Nodes view, pure: the fleet's Kubernetes nodes grouped by cluster and node group (or
//! Karpenter pool) with how many are online and lost and which agents they run
//! (`model::node::groups`), the selection, and marked groups, whose nodes open one pane each.

use std::collections::BTreeSet;

use crate::model::instance::InstanceRow;
use crate::model::node::{NodeGroup, groups};

pub mod keys;
pub(crate) mod update;

#[cfg(test)]
mod tests;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodesView {
    pub groups: Vec<NodeGroup>,
    pub selected: usize,
    /// The first group on screen: it moves just enough to keep the selection shown.
    pub offset: usize,
    /// Marked groups, by (cluster, group).
    pub marks: BTreeSet<(String, String)>,
}

fn key(group: &NodeGroup) -> (String, String) {
    (group.cluster.clone(), group.group.clone())
}

impl NodesView {
    /// The groups read afresh from the fleet's rows: the selection stays on its group, marks
    /// on groups still there.
    pub fn regroup(&mut self, rows: &[InstanceRow]) {
        let kept = self.selected_group().map(key);
        self.groups = groups(rows);
        let present: BTreeSet<(String, String)> = self.groups.iter().map(key).collect();
        self.marks.retain(|mark| present.contains(mark));
        self.selected = kept
            .and_then(|kept| self.groups.iter().position(|g| key(g) == kept))
            .unwrap_or(self.selected)
            .min(self.groups.len().saturating_sub(1));
    }

    pub fn selected_group(&self) -> Option<&NodeGroup> {
        self.groups.get(self.selected)
    }

    /// The marked groups, or the selected one when none is marked.
    pub fn chosen(&self) -> Vec<&NodeGroup> {
        if self.marks.is_empty() {
            return self.selected_group().into_iter().collect();
        }
        self.groups
            .iter()
            .filter(|g| self.marks.contains(&key(g)))
            .collect()
    }

    pub fn toggle_mark(&mut self) {
        if let Some(mark) = self.selected_group().map(key)
            && !self.marks.remove(&mark)
        {
            self.marks.insert(mark);
        }
    }

    pub fn is_marked(&self, group: &NodeGroup) -> bool {
        self.marks.contains(&key(group))
    }

    /// Scrolls just enough that the selection is among the `rows` on screen.
    pub fn keep_in_view(&mut self, rows: usize) {
        self.offset = crate::app::layout::scrolled(self.selected, self.offset, rows);
    }
}
