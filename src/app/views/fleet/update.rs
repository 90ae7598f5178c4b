//! The fleet table's actions: move, filter, mark, sort, details, help, and the way into the
//! other views.

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::state::{Mode, PaneMode, State, View};
use crate::app::views::tunnels::TunnelForm;
use crate::model::instance::Ping;

use crate::app::views::panes::update::open_shells;
use crate::app::views::runs::update::{open_run, show_history};

pub(crate) fn act_on(state: &mut State, action: Action) -> Vec<Effect> {
    let last = state.visible.len().saturating_sub(1);
    // Over the help, any key but these only closes it: Enter or `s` must not open a shell.
    if state.mode == Mode::Help
        && !matches!(
            action,
            Action::Quit | Action::Refresh | Action::Help | Action::Back
        )
    {
        state.mode = Mode::Table;
        return Vec::new();
    }
    match action {
        Action::ShowTunnels => {
            state.view = View::Tunnels;
            state.mode = Mode::Table;
        }
        Action::ShowRun if state.run.is_some() => {
            state.view = View::Run;
            state.mode = Mode::Table;
        }
        // Nothing run in this console yet: the newest command in the history, watched again.
        Action::ShowRun => {
            state.watch_newest = true;
            return show_history(state);
        }
        Action::OpenRun => open_run(state),
        Action::ShowHistory => return show_history(state),
        Action::ShowSessions => return crate::app::views::sessions::update::show_sessions(state),
        Action::ShowContainers => {
            return crate::app::views::containers::update::show_containers(state);
        }
        Action::OpenTunnelForm => {
            if state.read_only {
                state.notice = Some(
                    "refused by --read-only: a tunnel starts port-forwarding sessions".to_owned(),
                );
            } else if let Some(row) = state.selected_row() {
                if row.ping == Ping::NotManaged {
                    state.notice = Some(format!(
                        "no tunnel to {}: not managed by SSM (no agent registered); D asks the doctor why",
                        row.instance_id
                    ));
                } else {
                    state.form = Some(TunnelForm::new(
                        &row.instance_id,
                        &row.name,
                        &row.profile,
                        &row.region,
                    ));
                    state.mode = Mode::TunnelForm;
                }
            }
        }
        Action::Command => {
            state.command_text.clear();
            state.mode = Mode::Command;
        }
        Action::Quit => return vec![Effect::Quit],
        Action::OpenShell => return open_shells(state),
        Action::ShowPanes | Action::Prefix if !state.workspace.is_empty() => {
            state.view = View::Panes;
            state.notice = None;
            state.pane_mode = PaneMode::Typing;
            state.mode = Mode::Table;
        }
        Action::Refresh => {
            state.loading = true;
            return vec![Effect::Refresh];
        }
        Action::Help => {
            state.mode = if state.mode == Mode::Help {
                Mode::Table
            } else {
                Mode::Help
            }
        }
        Action::Back => match state.mode {
            Mode::Detail | Mode::Help | Mode::Doctor | Mode::PaneSearch => {
                state.mode = Mode::Table;
            }
            Mode::Command => {
                state.command_text.clear();
                state.mode = Mode::Table;
            }
            Mode::TunnelForm => {
                state.form = None;
                state.mode = Mode::Table;
            }
            Mode::RunCompose | Mode::RunConfirm => {
                state.compose = None;
                state.confirm = None;
                state.mode = Mode::Table;
            }
            Mode::Filter => {
                state.filter_text.clear();
                state.set_filter();
                state.mode = Mode::Table;
            }
            Mode::Table if !state.filter_text.is_empty() => {
                state.filter_text.clear();
                state.set_filter();
            }
            Mode::Table => state.marks.clear(),
        },
        _ if state.mode == Mode::Help => state.mode = Mode::Table,
        Action::Filter => state.mode = Mode::Filter,
        Action::Detail if state.selected_row().is_some() => {
            state.mode = if state.mode == Mode::Detail {
                Mode::Table
            } else {
                Mode::Detail
            };
        }
        Action::Up => state.selected = state.selected.saturating_sub(1),
        Action::Down => state.selected = (state.selected + 1).min(last),
        Action::PageUp => state.selected = state.selected.saturating_sub(state.table_rows),
        Action::PageDown => state.selected = (state.selected + state.table_rows).min(last),
        Action::Top => state.selected = 0,
        Action::Bottom => state.selected = last,
        Action::ToggleMark => {
            if let Some(id) = state.selected_row().map(|r| r.instance_id.clone()) {
                if !state.marks.remove(&id) {
                    state.marks.insert(id);
                }
                state.selected = (state.selected + 1).min(last);
            }
        }
        Action::SortNext => {
            // Only the columns on screen sort, in the order shown: a narrow terminal hides
            // some, and sorting by one you cannot see would look like no order at all.
            let shown = crate::model::column::visible_columns(
                &state.columns,
                state.screen.width.saturating_sub(2),
            );
            let position = shown.iter().position(|&i| state.columns[i] == state.sort);
            let next = position.map_or(0, |p| (p + 1) % shown.len().max(1));
            if let Some(column) = shown.get(next).and_then(|&i| state.columns.get(i)) {
                state.sort = column.clone();
            }
            state.rebuild();
        }
        Action::SortReverse => {
            state.descending = !state.descending;
            state.rebuild();
        }
        // Pane actions mean nothing over the fleet table.
        _ => {}
    }
    Vec::new()
}
