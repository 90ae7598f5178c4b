//! The fleet table's actions: move, filter, mark, sort, details, help, and the ways into the
//! other views (as outcomes: shells on the chosen rows, Run Command on them, a tunnel).

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::{LineEditor, TextInput};
use crate::app::effect::Effect;
use crate::app::overlays::Overlay;
use crate::app::views::{self, Outcome, TunnelTo, View};
use crate::model::instance::{InstanceRow, Ping};
use crate::model::run::groups_of;

use super::FleetView;

pub(crate) fn act_on(state: &mut State, action: Action) -> Outcome {
    let fleet = &mut state.fleet;
    let last = fleet.visible.len().saturating_sub(1);
    let page = state.frame.table_rows;
    match action {
        Action::OpenRun => return compose_run(state, false),
        Action::UpdateAgents => return compose_run(state, true),
        _ if let Some(view) = views::shown_by(action) => return Outcome::Show(view),
        Action::OpenTunnelForm => return tunnel_form(state),
        Action::OpenRdp => return rdp(state),
        Action::Command => state.overlay = Some(Overlay::CommandLine(LineEditor::default())),
        Action::Quit => return Outcome::Done(vec![Effect::Quit]),
        Action::OpenShell => return open_shells(state),
        Action::ShowFiles => return files(state),
        // The prefix over the fleet leads to the panes, as over them.
        Action::Prefix => return Outcome::Show(View::Panes),
        Action::Refresh => {
            fleet.loading = true;
            return Outcome::Done(vec![Effect::Refresh]);
        }
        Action::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Back if !fleet.filter.is_empty() => fleet.filter_to(""),
        Action::Back => fleet.marks.clear(),
        // The prompt starts empty; the filter in force is kept to go back to (esc) or recall (↑).
        Action::Filter => {
            fleet.filter_before = Some(fleet.filter.take());
            fleet.apply_filter();
            state.overlay = Some(Overlay::Filter);
        }
        Action::Detail if fleet.selected_row().is_some() => {
            state.overlay = Some(Overlay::Detail);
        }
        Action::Up => fleet.selected = fleet.selected.saturating_sub(1),
        Action::Down => fleet.selected = (fleet.selected + 1).min(last),
        Action::PageUp => fleet.selected = fleet.selected.saturating_sub(page),
        Action::PageDown => fleet.selected = (fleet.selected + page).min(last),
        Action::Top => fleet.selected = 0,
        Action::Bottom => fleet.selected = last,
        Action::ToggleMark => {
            if let Some(id) = fleet.selected_row().map(|r| r.instance_id.clone()) {
                if !fleet.marks.remove(&id) {
                    fleet.marks.insert(id);
                }
                fleet.selected = (fleet.selected + 1).min(last);
            }
        }
        Action::SortNext => {
            // Only the columns on screen sort, in the order shown: a narrow terminal hides
            // some, and sorting by one you cannot see would look like no order at all.
            let shown = fleet.shown_columns(state.frame.screen.width.saturating_sub(2));
            let position = shown.iter().position(|&i| fleet.columns[i] == fleet.sort);
            let next = position.map_or(0, |p| (p + 1) % shown.len().max(1));
            if let Some(column) = shown.get(next).and_then(|&i| fleet.columns.get(i)) {
                fleet.sort = column.clone();
            }
            fleet.rebuild();
        }
        Action::SortReverse => {
            fleet.descending = !fleet.descending;
            fleet.rebuild();
        }
        // Pane actions mean nothing over the fleet table.
        _ => {}
    }
    Outcome::nothing()
}

/// A key in the fleet's filter line (Enter keeps the filter, esc clears it).
pub(crate) fn filter_input(state: &mut State, text: &TextInput) {
    let fleet = &mut state.fleet;
    match text {
        TextInput::Cancel => {
            let before = fleet.filter_before.take().unwrap_or_default();
            fleet.filter_to(before);
        }
        TextInput::Enter => fleet.filter_before = None,
        TextInput::Recall => {
            if let Some(before) = fleet.filter_before.clone() {
                fleet.filter_to(before);
            }
        }
        _ => {
            fleet.filter.edit(text);
            fleet.apply_filter();
        }
    }
}

/// Shells on the marked rows, or the selected one; instances SSM does not manage are left out
/// and said; `--read-only` refuses.
fn open_shells(state: &mut State) -> Outcome {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: a shell can change anything on the instance".to_owned());
        return Outcome::nothing();
    }
    let fleet = &mut state.fleet;
    let marked = !fleet.marks.is_empty();
    let chosen: Vec<&InstanceRow> = if marked {
        fleet
            .rows
            .iter()
            .filter(|r| fleet.marks.contains(&r.instance_id))
            .collect()
    } else {
        fleet.selected_row().into_iter().collect()
    };
    // One instance opens whatever its state, so its pane says why it cannot start; of marked
    // rows, those whose agent is not Online are left out and said, not opened to fail.
    let (open, left): (Vec<&InstanceRow>, Vec<&InstanceRow>) = chosen
        .into_iter()
        .partition(|r| r.ping == Ping::Online || (!marked && r.ping != Ping::NotManaged));
    let notice = (!left.is_empty()).then(|| {
        let names: Vec<String> = left
            .iter()
            .map(|r| {
                let name = if r.name.is_empty() {
                    &r.instance_id
                } else {
                    &r.name
                };
                format!("{name} ({})", r.ping.label())
            })
            .collect();
        let why = if left.iter().all(|r| r.ping == Ping::NotManaged) {
            "not managed by SSM (no agent registered)"
        } else {
            "they cannot take a session now"
        };
        format!(
            "no shell on {}: {why}; D asks the doctor why",
            names.join(", ")
        )
    });
    let targets: Vec<_> = open.into_iter().map(FleetView::pane_target).collect();
    if !targets.is_empty() {
        fleet.marks.clear();
    }
    state.frame.notice = notice;
    Outcome::OpenShells(targets)
}

/// Run Command's form for the marked rows, or every row the filter shows; `--read-only`
/// refuses, and instances SSM does not manage are left out (they cannot run anything).
fn compose_run(state: &mut State, agents: bool) -> Outcome {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: Run Command changes instances".to_owned());
        return Outcome::nothing();
    }
    let fleet = &state.fleet;
    let (rows, chosen_by): (Vec<&InstanceRow>, String) = if fleet.marks.is_empty() {
        let rows: Vec<&InstanceRow> = fleet.visible.iter().map(|&i| &fleet.rows[i]).collect();
        let how = if fleet.filter.is_empty() {
            "every instance shown (no marks, no filter)".to_owned()
        } else {
            format!("matching /{}", fleet.filter)
        };
        (rows, how)
    } else {
        let rows = fleet
            .rows
            .iter()
            .filter(|r| fleet.marks.contains(&r.instance_id))
            .collect();
        (rows, "marked".to_owned())
    };
    if rows.is_empty() {
        state.frame.notice =
            Some("nothing to run on: no instance is shown (esc clears the filter)".to_owned());
        return Outcome::nothing();
    }
    let (managed, unmanaged): (Vec<&InstanceRow>, Vec<&InstanceRow>) =
        rows.into_iter().partition(|r| r.ping != Ping::NotManaged);
    if managed.is_empty() {
        state.frame.notice = Some(
            "no managed instance to run on: SSM manages none of these (D asks the doctor why)"
                .to_owned(),
        );
        return Outcome::nothing();
    }
    // Said, not silently dropped: how many were left out, and why.
    let left_out = match unmanaged.len() {
        0 => String::new(),
        1 => "; 1 left out: not managed by SSM".to_owned(),
        n => format!("; {n} left out: not managed by SSM"),
    };
    Outcome::ComposeRun {
        groups: groups_of(&managed),
        chosen_by: format!("{} {chosen_by}{left_out}", managed.len()),
        agents,
    }
}

/// The tunnel form for the selected instance (shift-f).
fn tunnel_form(state: &mut State) -> Outcome {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: a tunnel starts port-forwarding sessions".to_owned());
        return Outcome::nothing();
    }
    let Some(row) = state.fleet.selected_row() else {
        return Outcome::nothing();
    };
    if row.ping == Ping::NotManaged {
        state.frame.notice = Some(format!(
            "no tunnel to {}: not managed by SSM (no agent registered); D asks the doctor why",
            row.instance_id
        ));
        return Outcome::nothing();
    }
    Outcome::TunnelForm(TunnelTo {
        target: row.instance_id.clone(),
        name: row.name.clone(),
        profile: row.profile.clone(),
        region: row.region.clone(),
        agent_version: row.agent_version.clone(),
    })
}

/// `W`: Remote Desktop to the selected instance, when it is Windows.
fn rdp(state: &mut State) -> Outcome {
    let Some(row) = state.fleet.selected_row() else {
        return Outcome::nothing();
    };
    if !row.platform.eq_ignore_ascii_case("windows") {
        state.frame.notice = Some(format!(
            "{} is not a Windows instance: RDP is for Windows (s opens a shell)",
            if row.name.is_empty() {
                &row.instance_id
            } else {
                &row.name
            }
        ));
        return Outcome::nothing();
    }
    Outcome::Rdp(TunnelTo {
        target: row.instance_id.clone(),
        name: row.name.clone(),
        profile: row.profile.clone(),
        region: row.region.clone(),
        agent_version: row.agent_version.clone(),
    })
}

/// The Files view on the selected instance: a managed Linux or macOS one (the listing is a
/// POSIX shell script).
fn files(state: &mut State) -> Outcome {
    let Some(row) = state.fleet.selected_row() else {
        return Outcome::nothing();
    };
    let name = if row.name.is_empty() {
        row.instance_id.clone()
    } else {
        row.name.clone()
    };
    if row.ping == Ping::NotManaged {
        state.frame.notice = Some(format!(
            "no files on {name}: not managed by SSM (no agent registered)"
        ));
        return Outcome::nothing();
    }
    if row.platform.eq_ignore_ascii_case("windows") {
        state.frame.notice = Some(format!(
            "no file view on {name} yet: it reads Linux and macOS instances; `bosun cp` copies \
             files with Windows instances"
        ));
        return Outcome::nothing();
    }
    Outcome::Files(views::files::FilesAt {
        instance_id: row.instance_id.clone(),
        name,
        profile: row.profile.clone(),
        region: row.region.clone(),
    })
}
