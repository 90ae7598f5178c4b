//! The Containers view's actions: loading it afresh, moving, marking, the filter, shells in
//! panes through ECS Exec (one per marked container), why exec cannot reach one, and the jump
//! from an EC2-launched task to its instance in the fleet.

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::state::{Mode, State, View};
use crate::app::views::containers::pane_target;
use crate::app::views::lists;

/// The Containers view, loading it afresh (what was there stays until the new read lands).
pub(crate) fn show_containers(state: &mut State) -> Vec<Effect> {
    state.view = View::Containers;
    state.mode = Mode::Table;
    vec![Effect::LoadContainers]
}

pub(crate) fn act_on_containers(state: &mut State, action: Action) -> Vec<Effect> {
    let view = &mut state.containers;
    match action {
        _ if let Some(to) =
            lists::moved(view.selected, view.visible.len(), state.table_rows, action) =>
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
        Action::Filter => state.mode = Mode::Filter,
        Action::SortNext => view.sort_next(),
        Action::SortReverse => view.sort_reverse(),
        Action::Detail if view.selected_row().is_some() => state.mode = Mode::Detail,
        Action::Refresh => {
            state.notice = Some("reading the containers…".to_owned());
            return vec![Effect::LoadContainers];
        }
        Action::Doctor => {
            state.notice = Some(match view.selected_row() {
                None => "no container selected".to_owned(),
                Some(row) => match row.exec_problem() {
                    Some(problem) => format!(
                        "{}: {} · fix: {}",
                        row.container, problem.cause, problem.fix
                    ),
                    None => format!(
                        "{}: ECS Exec can reach it (should a shell fail, the task role needs the ssmmessages permissions)",
                        row.container
                    ),
                },
            });
        }
        Action::JumpToInstance => return jump_to_instance(state),
        Action::OpenTunnelForm => open_tunnel_form(state),
        Action::OpenShell => return open_container_shells(state),
        _ => return lists::shared(state, action).unwrap_or_default(),
    }
    state.containers.keep_in_view(state.table_rows);
    Vec::new()
}

/// A shell pane per chosen container (the marked ones, or the selected one); containers ECS
/// Exec cannot reach are left out and said why.
fn open_container_shells(state: &mut State) -> Vec<Effect> {
    if state.read_only {
        state.notice =
            Some("refused by --read-only: a shell can change anything in the container".to_owned());
        return Vec::new();
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
    let effects = crate::app::views::panes::update::open_targets(state, targets);
    if notice.is_some() {
        state.notice = notice;
    }
    effects
}

/// The tunnel form for the selected container: port forwarding into its task (StartSession
/// on its `ecs:` target), as shift-f does for an instance.
fn open_tunnel_form(state: &mut State) {
    if state.read_only {
        state.notice =
            Some("refused by --read-only: a tunnel starts port-forwarding sessions".to_owned());
        return;
    }
    let Some(row) = state.containers.selected_row() else {
        return;
    };
    if let Some(problem) = row.exec_problem() {
        state.notice = Some(format!(
            "no tunnel into {}: {}",
            row.container, problem.cause
        ));
        return;
    }
    let owner = if row.service.is_empty() {
        &row.task_id
    } else {
        &row.service
    };
    state.form = Some(crate::app::views::tunnels::TunnelForm::new(
        &row.label(),
        &format!("{owner}/{}", row.container),
        &row.profile,
        &row.region,
    ));
    state.mode = Mode::TunnelForm;
}

/// To the fleet, filtered to the EC2 instance the selected task runs on.
fn jump_to_instance(state: &mut State) -> Vec<Effect> {
    let Some(row) = state.containers.selected_row() else {
        return Vec::new();
    };
    let Some(instance) = row.ec2_instance.clone() else {
        state.notice = Some(format!(
            "{} runs on {}: there is no instance of yours to go to",
            row.container,
            if row.launch_type.is_empty() {
                "Fargate"
            } else {
                &row.launch_type
            }
        ));
        return Vec::new();
    };
    state.view = View::Fleet;
    state.mode = Mode::Table;
    state.filter_text = instance;
    state.set_filter();
    Vec::new()
}
