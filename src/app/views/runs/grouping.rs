//! The watch view's grouped mode, pure: the settled invocations' results grouped exactly or by
//! shape (`model::run_groups`), the selected group, and what the output panel says of it —
//! its members, its output once, and how the others of a shape group differ.

use crate::model::run_groups::{GroupBy, Grouper, ResultGroup, RunResult, members_line};
use crate::model::run_shape::line_diff;

/// Members named in a group's heading before "… (+N)".
const MEMBERS_SHOWN: usize = 12;
/// Variants of a shape group shown, and changed lines shown of each.
const VARIANTS_SHOWN: usize = 5;
const DIFF_LINES_SHOWN: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grouping {
    /// The grid shows groups instead of invocations.
    pub shown: bool,
    pub by: GroupBy,
    pub selected: usize,
    /// The person moved the selection: it follows their group from then on; until then it
    /// stays on the biggest.
    chosen: bool,
    /// Each settled invocation's result (its output as the listing gave it), in the order
    /// they settled.
    results: Vec<RunResult>,
    /// `results` grouped by `by` as they came.
    grouper: Grouper,
    /// The groups, biggest first: kept, not recomputed at every frame.
    groups: Vec<ResultGroup>,
}

/// One line of the output panel in grouped mode, by what it is (for its colour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupLine {
    Heading(String),
    Output(String),
    Note(String),
    Removed(String),
    Added(String),
}

impl Grouping {
    /// A result settled (again, for a re-sent instance: the newer one counts).
    pub fn settle(&mut self, result: RunResult) {
        match self
            .results
            .iter_mut()
            .find(|r| r.instance_id == result.instance_id)
        {
            // A re-sent instance: its newer result replaces the older, so all is regrouped.
            Some(known) => {
                *known = result;
                self.regroup();
            }
            None => {
                self.grouper.add(&result);
                self.results.push(result);
                self.reorder();
            }
        }
    }

    pub fn toggle_by(&mut self) {
        self.by = self.by.toggled();
        self.regroup();
    }

    fn regroup(&mut self) {
        self.grouper = Grouper::new(self.by);
        for result in &self.results {
            self.grouper.add(result);
        }
        self.reorder();
    }

    fn reorder(&mut self) {
        let selected = self.selected_group().map(|g| g.instances[0].clone());
        self.groups = self.grouper.groups();
        // The selection follows the group of the instance it was on, once chosen; before,
        // it is on the biggest group, whichever that becomes.
        self.selected = selected
            .filter(|_| self.chosen)
            .and_then(|id| self.groups.iter().position(|g| g.instances.contains(&id)))
            .unwrap_or(0);
    }

    /// The person moves the selection to group `to`.
    pub fn select(&mut self, to: usize) {
        self.selected = to;
        self.chosen = true;
    }

    pub fn groups(&self) -> &[ResultGroup] {
        &self.groups
    }

    pub fn settled(&self) -> usize {
        self.results.len()
    }

    pub fn selected_group(&self) -> Option<&ResultGroup> {
        self.groups.get(self.selected)
    }

    /// The output panel for the selected group; `why` is the doctor's cause for a group that
    /// was never delivered (said instead of "(no output)").
    pub fn lines(&self, why: impl Fn(&ResultGroup) -> Option<String>) -> Vec<GroupLine> {
        let Some(group) = self.selected_group() else {
            return vec![GroupLine::Note("no invocation has finished yet".to_owned())];
        };
        let code = group
            .exit_code
            .filter(|c| *c != -1)
            .map(|c| format!(" exit {c}"))
            .unwrap_or_default();
        let mut lines = vec![GroupLine::Heading(format!(
            "{} × {}{code}: {}",
            group.count,
            group.status,
            members_line(group, MEMBERS_SHOWN)
        ))];
        if group.output.is_empty() {
            lines.push(GroupLine::Note(match why(group) {
                Some(cause) => format!("why: {cause}"),
                None => "(no output)".to_owned(),
            }));
        }
        lines.extend(
            group
                .output
                .lines()
                .map(|l| GroupLine::Output(l.to_owned())),
        );
        if group.truncated {
            lines.push(GroupLine::Note(
                "grouped on the output AWS listed, which it cut at 2,500 characters".to_owned(),
            ));
        }
        if group.variants.is_empty() {
            return lines;
        }
        lines.push(GroupLine::Note(format!(
            "{} outputs of one shape; where the others differ from the one above:",
            group.variants.len() + 1
        )));
        for variant in group.variants.iter().take(VARIANTS_SHOWN) {
            let names: Vec<&str> = variant
                .names
                .iter()
                .zip(&variant.instances)
                .map(|(name, id)| {
                    if name.is_empty() {
                        id.as_str()
                    } else {
                        name.as_str()
                    }
                })
                .collect();
            lines.push(GroupLine::Heading(format!("~ {}", names.join(", "))));
            let changes = line_diff(&group.output, &variant.output);
            for change in changes.iter().take(DIFF_LINES_SHOWN) {
                lines.push(match change {
                    crate::model::run_shape::DiffLine::Removed(l) => GroupLine::Removed(l.clone()),
                    crate::model::run_shape::DiffLine::Added(l) => GroupLine::Added(l.clone()),
                });
            }
            if changes.len() > DIFF_LINES_SHOWN {
                lines.push(GroupLine::Note(format!(
                    "… {} more changed lines",
                    changes.len() - DIFF_LINES_SHOWN
                )));
            }
        }
        if group.variants.len() > VARIANTS_SHOWN {
            lines.push(GroupLine::Note(format!(
                "… {} more outputs of this shape",
                group.variants.len() - VARIANTS_SHOWN
            )));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, output: &str) -> RunResult {
        RunResult {
            instance_id: id.to_owned(),
            name: format!("web-{id}"),
            status: "Success".into(),
            exit_code: Some(0),
            output: output.to_owned(),
            identities: vec![format!("web-{id}")],
            ..RunResult::default()
        }
    }

    /// Until the person moves it, the selection is on the biggest group, even when the first
    /// answer to come was an odd one out.
    #[test]
    fn the_selection_starts_on_the_biggest_group() {
        let mut grouping = Grouping::default();
        grouping.settle(result("0", "disk full"));
        for n in 1..4 {
            grouping.settle(result(&n.to_string(), "ok"));
        }
        assert_eq!(grouping.selected_group().map(|g| g.count), Some(3));
        grouping.select(1);
        grouping.settle(result("4", "ok"));
        assert_eq!(
            grouping.selected_group().map(|g| g.output.as_str()),
            Some("disk full"),
            "once chosen, it follows its group"
        );
    }

    #[test]
    fn groups_follow_what_settles_and_the_selection_follows_its_instance() {
        let mut grouping = Grouping::default();
        for n in 0..5 {
            grouping.settle(result(&n.to_string(), &format!("web-{n} ok, load {n}")));
        }
        assert_eq!(grouping.groups().len(), 5, "exact: five outputs");
        grouping.select(3);
        let on = grouping.selected_group().expect("a group").instances[0].clone();
        grouping.toggle_by();
        assert_eq!(grouping.groups().len(), 1, "by shape: one");
        assert_eq!(grouping.selected, 0);
        assert!(grouping.groups()[0].instances.contains(&on));
        let lines = grouping.lines(|_| None);
        assert_eq!(
            lines[0],
            GroupLine::Heading("5 × Success exit 0: web-0, web-1, web-2, web-3, web-4".to_owned())
        );
        assert!(lines.contains(&GroupLine::Removed("<self> ok, load 0".to_owned())));
        assert!(lines.contains(&GroupLine::Added("<self> ok, load 1".to_owned())));
        // A re-sent instance's newer result replaces its older one.
        grouping.settle(result("4", "failed: disk full"));
        assert_eq!(grouping.groups().len(), 2);
        assert_eq!(grouping.settled(), 5);
    }
}
