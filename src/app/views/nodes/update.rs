//! The Nodes view's actions: moving, marking groups, a shell pane per online node of the
//! chosen groups, and the fleet filtered to a group's nodes.

use crate::app::State;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::views::{Outcome, lists};
use crate::model::instance::Ping;
use crate::model::pane::PaneTarget;

pub(crate) fn act_on_nodes(state: &mut State, action: Action) -> Outcome {
    let view = &mut state.nodes;
    match action {
        _ if let Some(to) = lists::moved(
            view.selected,
            view.groups.len(),
            state.frame.table_rows,
            action,
        ) =>
        {
            view.selected = to;
        }
        Action::ToggleMark => {
            view.toggle_mark();
            view.selected = (view.selected + 1).min(view.groups.len().saturating_sub(1));
        }
        Action::OpenShell => return open_shells(state),
        Action::OpenEntry => {
            let Some(group) = view.selected_group() else {
                return Outcome::nothing();
            };
            let mut filter = format!("cluster:{}", group.cluster);
            if !group.group.is_empty() {
                filter.push_str(&format!(" nodegroup:{}", group.group));
            }
            return Outcome::ShowInFleet(filter);
        }
        Action::Refresh => {
            state.frame.notice = Some("refreshing the inventory…".to_owned());
            return Outcome::Done(vec![Effect::Refresh]);
        }
        _ => return Outcome::Done(lists::shared(state, action).unwrap_or_default()),
    }
    state.nodes.keep_in_view(state.frame.table_rows);
    Outcome::nothing()
}

/// One pane per online node of the chosen groups, in a new tab; nodes that cannot take a
/// session are left out and counted.
fn open_shells(state: &mut State) -> Outcome {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: a shell can change anything on the node".to_owned());
        return Outcome::nothing();
    }
    let chosen = state.nodes.chosen();
    let (online, left): (Vec<_>, Vec<_>) = chosen
        .iter()
        .flat_map(|group| group.nodes.iter())
        .partition(|node| node.ping == Ping::Online);
    let targets: Vec<PaneTarget> = online
        .into_iter()
        .map(|node| PaneTarget {
            instance_id: node.instance_id.clone(),
            name: node
                .node_name()
                .map_or_else(|| node.instance_id.clone(), str::to_owned),
            profile: node.profile.clone(),
            region: node.region.clone(),
            ping: node.ping,
            container: None,
            command: None,
            replay: None,
        })
        .collect();
    if !left.is_empty() {
        state.frame.notice = Some(format!(
            "{} node{} left out: not online (D on the fleet row asks the doctor why)",
            left.len(),
            if left.len() == 1 { "" } else { "s" }
        ));
    }
    if targets.is_empty() {
        return Outcome::nothing();
    }
    state.nodes.marks.clear();
    Outcome::OpenShells(targets)
}
