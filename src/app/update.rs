//! The pure reducer: one input in, the state changed, effects out. Each view's actions live
//! in a child module; this one routes inputs and actions to them.

use std::collections::BTreeSet;

use ratatui::layout::Rect;

use super::overlays::{doctor, help_keys as help};
use super::views::fleet::update::act_on;
use super::views::panes::update::{self as panes, act_on_panes};
use super::views::runs::RunWatch;
use super::views::runs::events as run_events;
use super::views::runs::update::{act_on_history, act_on_run, confirm_key, submit_run};
use super::views::tunnels::update::{act_on_tunnels, submit_tunnel_form, tunnel_update};
use super::views::{containers::update as containers, sessions::update as sessions};
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::input::{Input, MouseKind};
use crate::app::layout::{pane_area, table_rows_for};
use crate::app::state::{Mode, PaneMode, State, View};
use crate::model::pane::{EndReason, PaneStatus};

/// Applies one input; returns what the runtime must do.
pub fn update(state: &mut State, input: Input) -> Vec<Effect> {
    if state.mode == Mode::PaneSearch {
        return panes::search_prompt(state, input);
    }
    match input {
        Input::InventoryLoaded {
            rows,
            errors,
            at,
            throttled,
        } => {
            // The selection is an index into the old rows: remember which instance it was.
            let keep = state.selected_row().map(|r| r.instance_id.clone());
            state.rows = rows;
            state.errors = errors;
            state.loaded_at = Some(at);
            state.loading = false;
            state.throttled = throttled;
            let ids: BTreeSet<&str> = state.rows.iter().map(|r| r.instance_id.as_str()).collect();
            state.marks.retain(|id| ids.contains(id.as_str()));
            state.rebuild_keeping(keep);
            Vec::new()
        }
        Input::Resized { width, height } => {
            state.screen = Rect::new(0, 0, width, height);
            state.table_rows = table_rows_for(height);
            state.scroll_to_selection();
            Vec::new()
        }
        Input::PaneStatus { pane, status } => {
            let user_ended = matches!(
                &status,
                PaneStatus::Ended {
                    reason: EndReason::ClosedHere
                }
            );
            if !state.workspace.set_status(pane, status) || user_ended {
                return Vec::new();
            }
            // A session that never began: the doctor says why, in the pane's banner.
            state
                .workspace
                .panes
                .get(&pane)
                .map(|p| Effect::Diagnose {
                    instance_id: p.target.instance_id.clone(),
                    profile: p.target.profile.clone(),
                    region: p.target.region.clone(),
                })
                .into_iter()
                .collect()
        }
        Input::Recording {
            pane,
            path,
            saved,
            error,
        } => {
            let name = state
                .workspace
                .panes
                .get(&pane)
                .map(|p| p.target.name.clone())
                .unwrap_or_default();
            state.notice = Some(match (&path, &saved, &error) {
                (_, _, Some(error)) => format!("recording {name} failed: {error}"),
                (Some(path), _, None) => {
                    format!("recording {name} to {path} (ctrl-] R again to stop)")
                }
                (None, Some(saved), None) => format!("recording of {name} saved: {saved}"),
                (None, None, None) => format!("recording of {name} stopped"),
            });
            if let Some(pane) = state.workspace.panes.get_mut(&pane) {
                pane.recording = path;
            }
            Vec::new()
        }
        Input::CopyReport(text) => {
            state.notice = Some(text);
            Vec::new()
        }
        Input::PaneSession { pane, session_id } => {
            if let Some(pane) = state.workspace.panes.get_mut(&pane) {
                pane.session_id = Some(session_id);
            }
            Vec::new()
        }
        Input::Mouse { kind, column, row } => mouse(state, kind, column, row),
        Input::PrefixCancelled => {
            state.pane_mode = PaneMode::Typing;
            Vec::new()
        }
        Input::FilterChar(c) if matches!(state.mode, Mode::RunCompose | Mode::TunnelForm) => {
            if let Some(field) = state.focused_field() {
                field.push(c);
            }
            Vec::new()
        }
        Input::FilterBackspace if matches!(state.mode, Mode::RunCompose | Mode::TunnelForm) => {
            if let Some(field) = state.focused_field() {
                field.pop();
            }
            Vec::new()
        }
        Input::FormEnter => match state.compose.as_mut() {
            Some(compose) if compose.focus == 0 => {
                compose.fields[0].push('\n');
                Vec::new()
            }
            _ => submit_run(state),
        },
        Input::FilterDone if state.mode == Mode::RunCompose => submit_run(state),
        Input::FilterChar(c) if state.mode == Mode::RunConfirm => confirm_key(state, Some(c)),
        Input::FilterBackspace if state.mode == Mode::RunConfirm => {
            if let Some(confirm) = state.confirm.as_mut() {
                confirm.typed.pop();
            }
            Vec::new()
        }
        Input::FilterDone if state.mode == Mode::RunConfirm => confirm_key(state, None),
        input @ (Input::RunSent { .. }
        | Input::RunProgress { .. }
        | Input::RunOutput(_)
        | Input::RunSettled(_)
        | Input::RunCanaryDone { .. }
        | Input::RunError(_)
        | Input::RunsCompared(_)) => run_events::on_run_event(state, input),
        Input::HistoryLoaded { entries, errors } => {
            state.notice = (!errors.is_empty()).then(|| errors.join("; "));
            state.history_selected = 0;
            let newest = entries.first().cloned();
            state.history = Some(entries);
            if !std::mem::take(&mut state.watch_newest) || state.view != View::History {
                return Vec::new();
            }
            match newest {
                Some(entry) => {
                    state.run = Some(RunWatch::reopen(&entry));
                    state.view = View::Run;
                    vec![Effect::ReopenRun(entry)]
                }
                None => {
                    state.notice.get_or_insert_with(|| {
                        "no command to watch: none in the history (R runs one)".to_owned()
                    });
                    Vec::new()
                }
            }
        }
        Input::FormNext | Input::FormPrevious => {
            let next = input == Input::FormNext;
            let step = |focus: usize, count: usize| {
                if next {
                    (focus + 1) % count
                } else {
                    (focus + count - 1) % count
                }
            };
            if let Some(form) = state.form.as_mut() {
                form.focus = step(form.focus, form.fields.len());
            }
            if let Some(compose) = state.compose.as_mut() {
                compose.focus = step(compose.focus, compose.fields.len());
            }
            Vec::new()
        }
        Input::FilterDone if state.mode == Mode::TunnelForm => submit_tunnel_form(state),
        Input::TunnelUpdate { id, running, live } => tunnel_update(state, id, running, *live),
        Input::FilterChar(c) if state.mode == Mode::Command => {
            state.command_text.push(c);
            Vec::new()
        }
        Input::FilterBackspace if state.mode == Mode::Command => {
            state.command_text.pop();
            Vec::new()
        }
        Input::FilterDone if state.mode == Mode::Command => {
            state.mode = Mode::Table;
            let line = std::mem::take(&mut state.command_text);
            run_command(state, &line)
        }
        Input::FilterChar(c) if state.view == View::Containers => {
            let mut filter = state.containers.filter.clone();
            filter.push(c);
            state.containers.set_filter(filter);
            Vec::new()
        }
        Input::FilterBackspace if state.view == View::Containers => {
            let mut filter = state.containers.filter.clone();
            filter.pop();
            state.containers.set_filter(filter);
            Vec::new()
        }
        Input::FilterChar(c) => {
            state.filter_text.push(c);
            state.set_filter();
            Vec::new()
        }
        Input::FilterBackspace => {
            state.filter_text.pop();
            state.set_filter();
            Vec::new()
        }
        Input::FilterDone => {
            state.mode = Mode::Table;
            Vec::new()
        }
        Input::SourcesChanged {
            label,
            profiles,
            regions,
        } => {
            state.source = label;
            state.profiles = profiles;
            state.regions = regions;
            state.rows.clear();
            state.visible.clear();
            state.marks.clear();
            state.errors.clear();
            state.selected = 0;
            state.offset = 0;
            state.loaded_at = None;
            state.loading = true;
            state.notice = None;
            Vec::new()
        }
        // Typing moves on: a cancelled quit question or any notice over the panes goes.
        Input::TypedIntoPane => {
            state.quit_armed = false;
            state.notice = None;
            Vec::new()
        }
        Input::ThemeSwitched { name, error } => {
            state.notice = Some(match error {
                Some(error) => format!("theme: {error}"),
                None => format!("theme {name}"),
            });
            Vec::new()
        }
        Input::CredentialsExpiring(expiring) => {
            state.expiring = expiring;
            Vec::new()
        }
        Input::ContainersLoaded { rows, errors } => {
            if state.notice.as_deref() == Some("reading the containers…") {
                state.notice = None;
            }
            state.containers.loaded(rows, errors);
            Vec::new()
        }
        Input::SessionsLoaded { entries, errors } => {
            state.sessions_selected = state.sessions_selected.min(entries.len().saturating_sub(1));
            state.sessions = Some(entries);
            if !errors.is_empty() {
                state.notice = Some(errors.join("; "));
            }
            Vec::new()
        }
        Input::DoctorReport {
            instance_id,
            report,
        } => {
            if let Ok(report) = &report {
                state.workspace.set_cause(&instance_id, &report.cause);
                for entry in &mut state.tunnels.entries {
                    if entry.asked_doctor
                        && entry.live.instance_id.as_deref() == Some(instance_id.as_str())
                    {
                        entry.cause = Some(report.cause.clone());
                    }
                }
            }
            // An instance the watched run did not reach keeps the cause in its row, whether
            // the doctor was asked by itself or with `D`.
            if let Ok(report) = &report
                && let Some(run) = state.run.as_mut()
                && run
                    .invocations
                    .iter()
                    .any(|i| i.instance_id == instance_id && i.status == "Undeliverable")
            {
                run.causes
                    .insert(instance_id.clone(), Some(report.cause.clone()));
            }
            if let Some(view) = state.doctor.as_mut()
                && view.instance_id == instance_id
            {
                view.report = Some(report);
            }
            Vec::new()
        }
        Input::Action(action) => act(state, action),
    }
}

pub(crate) fn act(state: &mut State, action: Action) -> Vec<Effect> {
    // Over the doctor's report, a key only closes it (`q` must not quit, Enter must not open
    // a shell); the prefix chord waits for its second key.
    if state.mode == Mode::Doctor && action != Action::Prefix {
        state.mode = Mode::Table;
        state.doctor = None;
        state.pane_mode = PaneMode::Typing;
        return Vec::new();
    }
    // Over the help, keys scroll it or close it, and nothing else.
    if state.mode == Mode::Help {
        return help::act(state, action);
    }
    // Over an instance's details, `q` (and esc) close the overlay; bosun never quits from
    // under one.
    if state.mode == Mode::Detail && matches!(action, Action::Quit | Action::Back) {
        state.mode = Mode::Table;
        state.notice = None;
        state.quit_armed = false;
        return Vec::new();
    }
    // Containers say why not in their own view; the doctor examines instances.
    if action == Action::Doctor && state.view != View::Containers {
        return doctor::open(state);
    }
    // The prefix chord leads to the second `q` in the panes view; it must not disarm.
    let armed = if action == Action::Prefix {
        state.quit_armed
    } else {
        std::mem::take(&mut state.quit_armed)
    };
    // Any other key cancels the question, and its notice goes with it.
    if armed && action != Action::Quit {
        state.notice = None;
    }
    // Ended panes end nothing when bosun quits: only live sessions and tunnels ask first.
    let shells = state.workspace.live_count();
    let tunnels = state.tunnels.running_count();
    if action == Action::Quit && !armed && shells + tunnels > 0 {
        state.quit_armed = true;
        state.notice = Some(format!(
            "{shells} shell session(s) and {tunnels} tunnel(s) open: press q again (ctrl-] q over the panes) to quit and end them"
        ));
        state.pane_mode = PaneMode::Typing;
        return Vec::new();
    }
    let effects = match state.view {
        _ if state.mode == Mode::Help => act_on(state, action),
        View::Panes => act_on_panes(state, action),
        View::Tunnels => act_on_tunnels(state, action),
        View::Run if state.mode == Mode::Table => act_on_run(state, action),
        View::History if state.mode == Mode::Table => act_on_history(state, action),
        View::Sessions if state.mode == Mode::Table => sessions::act_on_sessions(state, action),
        View::Containers if state.mode == Mode::Table => {
            containers::act_on_containers(state, action)
        }
        View::Run | View::History | View::Sessions | View::Containers | View::Fleet => {
            act_on(state, action)
        }
    };
    state.scroll_to_selection();
    effects
}

pub(crate) fn mouse(state: &mut State, kind: MouseKind, column: u16, row: u16) -> Vec<Effect> {
    if state.view != View::Panes {
        return Vec::new();
    }
    let area = pane_area(state.screen);
    match kind {
        MouseKind::Press => {
            state.workspace.focus_at(column, row, area);
            state.drag = panes::content_point(state, column, row, None)
                .map(|(pane, point)| (pane, point, false));
            Vec::new()
        }
        MouseKind::Drag => panes::drag(state, column, row),
        MouseKind::Release => panes::release(state),
        MouseKind::WheelUp | MouseKind::WheelDown => {
            let Some(pane) = state.workspace.pane_at(column, row, area) else {
                return Vec::new();
            };
            let lines = if kind == MouseKind::WheelUp { 3 } else { -3 };
            vec![Effect::ScrollPane { pane, lines }]
        }
    }
}

/// Runs a `:` command line: k9s-style, a verb and its arguments.
pub(crate) fn run_command(state: &mut State, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    let list: Vec<String> = words
        .flat_map(|w| w.split(','))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    match verb {
        "" => Vec::new(),
        "q" | "quit" => act(state, Action::Quit),
        "profile" | "profiles" | "ctx" if !list.is_empty() => {
            state.notice = Some("switching…".to_owned());
            vec![Effect::SwitchSources {
                profiles: Some(list),
                regions: None,
            }]
        }
        "region" | "regions"
            if let Some(bad) = list
                .iter()
                .find(|r| !crate::model::region::is_region_name(r)) =>
        {
            state.notice = Some(format!(
                "{bad} is not a region name (like us-east-1); the regions stay as they were"
            ));
            Vec::new()
        }
        "region" | "regions" if !list.is_empty() => {
            state.notice = Some("switching…".to_owned());
            vec![Effect::SwitchSources {
                profiles: None,
                regions: Some(list),
            }]
        }
        "theme" if list.len() == 1 => vec![Effect::SwitchTheme(list[0].clone())],
        "panes" => act(state, Action::ShowPanes),
        "tunnels" | "tunnel" | "pf" => act(state, Action::ShowTunnels),
        "sessions" | "session" => act(state, Action::ShowSessions),
        "containers" | "container" | "ecs" => act(state, Action::ShowContainers),
        "run" => act(state, Action::OpenRun),
        "watch" => act(state, Action::ShowRun),
        "history" => act(state, Action::ShowHistory),
        "profile" | "profiles" | "ctx" | "region" | "regions" | "theme" => {
            state.notice = Some(format!(
                ":{verb} needs a value, e.g. :{verb} {}",
                match verb {
                    "theme" => "nord",
                    "region" | "regions" => "us-east-1,eu-west-1",
                    _ => "prod,staging",
                }
            ));
            Vec::new()
        }
        other => {
            state.notice = Some(format!(
                "unknown command :{other} (try :profile, :region, :theme, :quit)"
            ));
            Vec::new()
        }
    }
}
