//! The Containers view's actions: loading it afresh, moving, marking, the filter, shells in
//! panes through ECS Exec (one per marked container), why exec cannot reach one, and the jump
//! from an EC2-launched task to its instance in the fleet.

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::TextInput;
use crate::app::effect::Effect;
use crate::app::overlays::Overlay;
use crate::app::views::lists;
use crate::app::views::{Outcome, TunnelTo, View};

use super::pane_target;

/// The Containers view, loading it afresh (what was there stays until the new read lands).
pub(crate) fn show_containers(state: &mut State) -> Vec<Effect> {
    state.view = View::Containers;
    state.close_overlay();
    vec![Effect::LoadContainers]
}

/// A key in the containers' filter line (Enter keeps the filter, esc clears it).
pub(crate) fn filter_input(state: &mut State, text: &TextInput) {
    let view = &mut state.containers;
    if let Some(filter) = lists::filter_edit(&view.filter, &mut view.filter_before, text) {
        view.set_filter(&filter);
    }
}

pub(crate) fn act_on_containers(state: &mut State, action: Action) -> Outcome {
    let view = &mut state.containers;
    match action {
        _ if let Some(to) = lists::moved(
            view.selected,
            view.visible.len(),
            state.frame.table_rows,
            action,
        ) =>
        {
            view.selected = to;
        }
        Action::ToggleMark => {
            view.toggle_mark();
            if let Some(next) = view
                .selected
                .checked_add(1)
                .filter(|n| *n < view.visible.len())
            {
                view.selected = next;
            }
        }
        // The prompt starts empty; the filter in force is kept to go back to (esc) or recall (↑).
        Action::Filter => {
            view.filter_before = Some(view.filter.text().to_owned());
            view.set_filter("");
            state.overlay = Some(Overlay::Filter);
        }
        Action::SortNext => view.sort_next(),
        Action::SortReverse => view.sort_reverse(),
        Action::Detail if view.selected_row().is_some() => state.overlay = Some(Overlay::Detail),
        Action::Refresh => {
            state.frame.notice = Some("reading the containers…".to_owned());
            return Outcome::Done(vec![Effect::LoadContainers]);
        }
        Action::JumpToInstance => return jump_to_instance(state),
        Action::OpenTunnelForm => return tunnel_form(state),
        Action::OpenShell => return open_container_shells(state),
        _ => return Outcome::Done(lists::shared(state, action).unwrap_or_default()),
    }
    state.containers.keep_in_view(state.frame.table_rows);
    Outcome::nothing()
}

/// A shell pane per chosen container (the marked ones, or the selected one); containers ECS
/// Exec cannot reach are left out and said why.
fn open_container_shells(state: &mut State) -> Outcome {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: a shell can change anything in the container".to_owned());
        return Outcome::nothing();
    }
    let chosen = state.containers.chosen();
    let (reachable, refused): (Vec<_>, Vec<_>) = chosen
        .into_iter()
        .partition(|row| row.exec_problem().is_none());
    let notice = refused.first().map(|row| {
        let problem = row.exec_problem().map(|p| p.cause).unwrap_or_default();
        let more = match refused.len() {
            1 => String::new(),
            n => format!(" (and {} more; D on each says why)", n - 1),
        };
        format!("no shell in {}: {problem}{more}", row.container)
    });
    let targets: Vec<_> = reachable.into_iter().map(pane_target).collect();
    // Marks go once they have opened something; all refused, they stay for another try.
    if !targets.is_empty() {
        state.containers.marks.clear();
    }
    if notice.is_some() {
        state.frame.notice = notice;
    }
    Outcome::OpenShells(targets)
}

/// The tunnel form for the selected container: port forwarding into its task (StartSession
/// on its `ecs:` target), as shift-f does for an instance.
fn tunnel_form(state: &mut State) -> Outcome {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: a tunnel starts port-forwarding sessions".to_owned());
        return Outcome::nothing();
    }
    let Some(row) = state.containers.selected_row() else {
        return Outcome::nothing();
    };
    if let Some(problem) = row.exec_problem() {
        state.frame.notice = Some(format!(
            "no tunnel into {}: {}",
            row.container, problem.cause
        ));
        return Outcome::nothing();
    }
    let owner = if row.service.is_empty() {
        &row.task_id
    } else {
        &row.service
    };
    Outcome::TunnelForm(TunnelTo {
        target: row.label(),
        name: format!("{owner}/{}", row.container),
        profile: row.profile.clone(),
        region: row.region.clone(),
        // A task's agent reports no version.
        agent_version: None,
    })
}

/// To the fleet, filtered to the EC2 instance the selected task runs on.
fn jump_to_instance(state: &mut State) -> Outcome {
    let Some(row) = state.containers.selected_row() else {
        return Outcome::nothing();
    };
    let Some(instance) = row.ec2_instance.clone() else {
        state.frame.notice = Some(format!(
            "{} runs on {}: there is no instance of yours to go to",
            row.container,
            if row.launch_type.is_empty() {
                "Fargate"
            } else {
                &row.launch_type
            }
        ));
        return Outcome::nothing();
    };
    Outcome::ShowInFleet(instance)
}
