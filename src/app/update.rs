//! The pure reducer: one input in, the state changed, effects out. Facts go to what they are
//! about; a key's action goes to the overlay when one is open, then to the view in front; text
//! goes to the open field. Only this file and the registries cross views: a view that
//! wants another (open shells from the containers, the fleet filtered to a container's
//! instance) answers an `Outcome`, and this file carries it out.

use std::collections::BTreeSet;

use ratatui::layout::Rect;

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::TextInput;
use crate::app::effect::Effect;
use crate::app::input::Input;
use crate::app::layout::table_rows_for;
use crate::app::overlays::{Overlay, command, doctor, help_keys};
use crate::app::views::panes::PaneMode;
use crate::app::views::{self, Outcome, View};
use crate::app::views::{containers, files, fleet, panes, recordings, runs, tunnels};
use crate::model::pane::{EndReason, PaneStatus};

/// Applies one input; returns what the runtime must do.
#[must_use]
pub fn update(state: &mut State, input: Input) -> Vec<Effect> {
    match input {
        // What the last key said belongs to that moment: the next key clears it (a key that
        // has something to say sets it again).
        Input::Action(action) => {
            if action != Action::CopyFix {
                state.frame.notice = None;
            }
            act(state, action)
        }
        Input::Text(text) => text_input(state, text),
        Input::Mouse { kind, column, row } => {
            let outcome = panes::update::mouse(state, kind, column, row);
            settle(state, outcome)
        }
        Input::PrefixCancelled => {
            state.panes.mode = PaneMode::Typing;
            Vec::new()
        }
        Input::Resized { width, height } => {
            state.frame.screen = Rect::new(0, 0, width, height);
            state.frame.table_rows = table_rows_for(height);
            state.scroll_to_selection();
            Vec::new()
        }
        // Typing moves on: a cancelled quit question or any notice over the panes goes.
        Input::TypedIntoPane => {
            state.frame.quit_armed = false;
            state.frame.notice = None;
            Vec::new()
        }
        Input::ThemeSwitched { name, error } => {
            state.frame.notice = Some(match error {
                Some(error) => format!("theme: {error}"),
                None => format!("theme {name}"),
            });
            Vec::new()
        }
        Input::CredentialsExpiring(expiring) => {
            state.frame.expiring = expiring;
            Vec::new()
        }
        Input::SwitchRefused(text) => {
            state.frame.notice = Some(text);
            Vec::new()
        }
        Input::CopyReport(text) => {
            state.frame.notice = Some(text);
            Vec::new()
        }
        Input::SourcesChanged {
            label,
            profiles,
            regions,
        } => {
            state.frame.source = label;
            state.frame.profiles = profiles;
            state.frame.regions = regions;
            if state.frame.notice.as_deref() == Some(crate::app::overlays::command::SWITCHING) {
                state.frame.notice = None;
            }
            state.fleet.reset();
            Vec::new()
        }
        Input::InventoryLoaded {
            rows,
            pending,
            errors,
            at,
            throttled,
        } => {
            let fleet = &mut state.fleet;
            // The selection is an index into the old rows: remember which instance it was.
            let keep = fleet.selected_row().map(|r| r.instance_id.clone());
            if pending > 0 {
                // A part of the first read: its rows join those shown.
                fleet.rows.extend(rows);
            } else {
                fleet.rows = rows;
            }
            fleet.pending = pending;
            if pending == 0 {
                // The errors, the time and the marks are the whole read's, not a part's.
                fleet.errors = errors
                    .iter()
                    .map(|e| crate::app::overlays::command::in_console_terms(e))
                    .collect();
                fleet.loaded_at = Some(at);
                fleet.loading = false;
                fleet.throttled = throttled;
                let ids: BTreeSet<&str> =
                    fleet.rows.iter().map(|r| r.instance_id.as_str()).collect();
                fleet.marks.retain(|id| ids.contains(id.as_str()));
            }
            fleet.rows_changed();
            fleet.rebuild_keeping(keep);
            if state.view == View::Nodes {
                state.nodes.regroup(&state.fleet.rows);
            }
            Vec::new()
        }
        Input::PaneStatus { pane, status } => pane_status(state, pane, status),
        Input::Recording {
            pane,
            path,
            saved,
            error,
        } => {
            panes::update::recording(state, pane, path, saved, error);
            Vec::new()
        }
        Input::PaneSession { pane, session_id } => {
            if let Some(pane) = state.panes.workspace.panes.get_mut(&pane) {
                pane.session_id = Some(session_id);
            }
            Vec::new()
        }
        input @ (Input::RunSent { .. }
        | Input::RunProgress { .. }
        | Input::RunOutput(_)
        | Input::RunSettled(_)
        | Input::RunCanaryDone { .. }
        | Input::RunError(_)
        | Input::RunsCompared(_)) => runs::events::on_run_event(state, input),
        Input::HistoryLoaded { entries, errors } => {
            runs::events::history_loaded(state, entries, errors)
        }
        Input::TunnelFact { id, fact } => tunnels::update::fact(state, id, fact),
        Input::TunnelGauges { id, gauges } => tunnels::update::gauges(state, id, gauges),
        Input::BackgroundTunnels(listed) => {
            tunnels::background::listed(state, listed);
            Vec::new()
        }
        Input::BackgroundSaid(text) => {
            state.frame.notice = Some(text);
            Vec::new()
        }
        Input::FolderListed {
            instance_id,
            path,
            result,
        } => {
            files::update::listed(state, &instance_id, &path, result);
            Vec::new()
        }
        Input::FileCopy(said) => files::update::copy_said(state, said.text, said.reread),
        Input::ContainersLoaded { rows, errors } => {
            if state.frame.notice.as_deref() == Some("reading the containers…") {
                state.frame.notice = None;
            }
            state.containers.loaded(rows, errors);
            Vec::new()
        }
        Input::RecordingsLoaded { rows, errors } => {
            state.recordings.loaded(rows, errors);
            Vec::new()
        }
        Input::SessionsLoaded {
            entries,
            errors,
            recorded,
        } => {
            let sessions = &mut state.sessions;
            sessions.recorded = recorded;
            sessions.selected = sessions.selected.min(entries.len().saturating_sub(1));
            sessions.entries = Some(entries);
            if !errors.is_empty() {
                state.frame.notice = Some(errors.join("; "));
            }
            Vec::new()
        }
        Input::DoctorReport {
            instance_id,
            report,
        } => {
            if let Ok(report) = &report {
                state.panes.workspace.set_cause(&instance_id, &report.cause);
                tunnels::update::doctor_said(state, &instance_id, &report.cause);
                runs::events::doctor_said(state, &instance_id, &report.cause);
            }
            if let Some(Overlay::Doctor(view)) = state.overlay.as_mut()
                && view.instance_id == instance_id
            {
                view.report = Some(report);
            }
            Vec::new()
        }
    }
}

/// A pane's connection changed; a session that never began asks the doctor why.
fn pane_status(
    state: &mut State,
    pane: crate::model::pane::PaneId,
    status: PaneStatus,
) -> Vec<Effect> {
    let user_ended = matches!(
        &status,
        PaneStatus::Ended {
            reason: EndReason::ClosedHere
        }
    );
    if !state.panes.workspace.set_status(pane, status) || user_ended {
        return Vec::new();
    }
    // A session that never began: the doctor says why, in the pane's banner; a container's
    // why is the container's own (ECS Exec's), which needs no call.
    if let Some((target, row)) = state.panes.workspace.panes.get(&pane).and_then(|p| {
        let row = p.target.container.as_deref()?.clone();
        Some((p.target.instance_id.clone(), row))
    }) {
        let report = crate::model::doctor::container::container_report(&row);
        state.panes.workspace.set_cause(&target, &report.cause);
        return Vec::new();
    }
    state
        .panes
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

/// A key in the open text field.
fn text_input(state: &mut State, text: TextInput) -> Vec<Effect> {
    let Some(overlay) = state.overlay.take() else {
        return Vec::new();
    };
    match overlay {
        Overlay::Filter => {
            match state.view {
                View::Containers => containers::update::filter_input(state, &text),
                View::Recordings => recordings::update::filter_input(state, &text),
                _ => fleet::update::filter_input(state, &text),
            }
            if !matches!(text, TextInput::Enter | TextInput::Cancel) {
                state.overlay = Some(Overlay::Filter);
            }
            Vec::new()
        }
        Overlay::CommandLine(mut line) => match text {
            TextInput::Enter => {
                let said = command::run(state, &line.take());
                settle(state, said)
            }
            TextInput::Cancel => Vec::new(),
            text => {
                line.edit(&text);
                state.overlay = Some(Overlay::CommandLine(line));
                Vec::new()
            }
        },
        Overlay::TunnelForm(form) => {
            let outcome = tunnels::update::form_input(state, form, text);
            settle(state, outcome)
        }
        Overlay::RunCompose(compose) => runs::update::compose_input(state, compose, text),
        Overlay::RunConfirm(confirm) => runs::update::confirm_input(state, confirm, text),
        Overlay::PaneSearch { pattern, forward } => {
            panes::update::search_input(state, pattern, forward, text)
        }
        Overlay::FilesPrompt(prompt) => files::update::prompt_input(state, prompt, text),
        other => {
            state.overlay = Some(other);
            Vec::new()
        }
    }
}

pub(crate) fn act(state: &mut State, action: Action) -> Vec<Effect> {
    match &state.overlay {
        // Over the doctor's report, `y` copies the fix; any other key only closes it (`q`
        // must not quit, Enter must not open a shell).
        Some(Overlay::Doctor(view)) if action == Action::CopyFix => {
            return match &view.report {
                Some(Ok(report)) => vec![Effect::CopyText(report.fix_commands())],
                _ => Vec::new(),
            };
        }
        Some(Overlay::Doctor(_)) => {
            state.close_overlay();
            state.panes.mode = PaneMode::Typing;
            return Vec::new();
        }
        // Over the help, keys scroll it or close it, and nothing else.
        Some(Overlay::Help { .. }) => {
            let outcome = help_keys::act(state, action);
            return settle(state, outcome);
        }
        // Over an instance's details, `q` (and esc) close the overlay; bosun never quits from
        // under one. The moves go on to the view beneath (the details follow the selection).
        Some(Overlay::Detail) if matches!(action, Action::Quit | Action::Back) => {
            state.close_overlay();
            state.frame.notice = None;
            state.frame.quit_armed = false;
            return Vec::new();
        }
        Some(Overlay::Detail) if action == Action::Detail => {
            state.close_overlay();
            return Vec::new();
        }
        // A field's own esc, sent as an action.
        Some(overlay) if overlay.editor().is_some() && action == Action::Back => {
            return text_input(state, TextInput::Cancel);
        }
        // ctrl-c quits from any field: the field closes first.
        Some(overlay) if overlay.editor().is_some() && action == Action::Quit => {
            state.close_overlay();
        }
        _ => {}
    }
    // A container (its pane, or its row) gets the container's doctor, at once; an instance
    // the doctor that reads AWS.
    if action == Action::Doctor {
        let container = match state.view {
            View::Containers => state.containers.selected_row().cloned(),
            View::Panes => state
                .panes
                .workspace
                .focused()
                .and_then(|pane| pane.target.container.as_deref().cloned()),
            _ => None,
        };
        state.panes.mode = PaneMode::Typing;
        if let Some(row) = container {
            doctor::show(state, &row);
            return Vec::new();
        }
        if state.view != View::Containers {
            return doctor::open(state, views::examined(state));
        }
    }
    // The prefix chord leads to the second `q` in the panes view; it must not disarm.
    let armed = if action == Action::Prefix {
        state.frame.quit_armed
    } else {
        std::mem::take(&mut state.frame.quit_armed)
    };
    // Any other key cancels the question, and its notice goes with it.
    if armed && action != Action::Quit {
        state.frame.notice = None;
    }
    // Ended panes end nothing when bosun quits: only live sessions and tunnels ask first.
    let shells = state.panes.workspace.live_count();
    let running = state.tunnels.running_count();
    if action == Action::Quit && !armed && shells + running > 0 {
        state.frame.quit_armed = true;
        let open = match (shells, running) {
            (0, t) => count(t, "tunnel"),
            (s, 0) => count(s, "shell session"),
            (s, t) => format!("{} and {}", count(s, "shell session"), count(t, "tunnel")),
        };
        let them = if shells + running == 1 { "it" } else { "them" };
        state.frame.notice = Some(format!(
            "{open} open: press q again (ctrl-] q over the panes) to quit and end {them}"
        ));
        state.panes.mode = PaneMode::Typing;
        return Vec::new();
    }
    // The prefix over the fleet leads to the panes armed, as over them: the next key is a
    // pane command (`ctrl-] |` splits), and one that means nothing types nothing.
    let prefix_from_fleet = action == Action::Prefix && state.view == View::Fleet;
    // A view named on the `:` line (`:recordings` over the sessions) comes forward from any
    // view, as it does from the fleet.
    let outcome = match views::shown_by(action) {
        Some(view) => {
            state.panes.mode = PaneMode::Typing;
            Outcome::Show(view)
        }
        None => views::act(state, action),
    };
    let effects = settle(state, outcome);
    if prefix_from_fleet && state.view == View::Panes {
        state.panes.mode = PaneMode::Prefix;
    }
    state.scroll_to_selection();
    effects
}

/// Carries out what a view or an overlay answered.
fn settle(state: &mut State, outcome: Outcome) -> Vec<Effect> {
    match outcome {
        Outcome::Done(effects) => effects,
        Outcome::Act(action) => act(state, action),
        Outcome::OpenShells(targets) => panes::update::open_targets(state, targets),
        Outcome::Show(view) => views::show(state, view),
        Outcome::ComposeRun {
            groups,
            chosen_by,
            agents,
        } => {
            runs::update::open_compose(state, groups, chosen_by, agents);
            Vec::new()
        }
        Outcome::TunnelForm(to) => {
            state.overlay = Some(Overlay::TunnelForm(tunnels::TunnelForm::new(to)));
            Vec::new()
        }
        Outcome::Rdp(to) => tunnels::update::rdp_to(state, to),
        Outcome::Files(at) => files::update::open(state, at),
        Outcome::ShowInFleet(instance_id) => {
            state.view = View::Fleet;
            state.close_overlay();
            state.fleet.filter_to(instance_id);
            Vec::new()
        }
    }
}

/// "1 tunnel", "2 shell sessions".
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
