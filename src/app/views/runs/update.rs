//! Run Command's actions: the compose form, the confirmation, the watch grid and the
//! history of recent commands.

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::TextInput;
use crate::app::effect::Effect;
use crate::app::overlays::Overlay;
use crate::app::views::lists;
use crate::app::views::{Outcome, View};
use crate::model::run::RunGroup;
use crate::model::status::InvocationStatus;

use super::{CanaryOutcome, RunCompose, RunConfirm, RunWatch};

/// The compose form for these targets.
pub(crate) fn open_compose(
    state: &mut State,
    groups: Vec<RunGroup>,
    chosen_by: String,
    agents: bool,
) {
    let mut compose = RunCompose::new(groups, chosen_by);
    if agents {
        compose.for_agent_update();
    }
    state.overlay = Some(Overlay::RunCompose(compose));
}

/// A key in the compose form: text in the focused field, the fields in turn, Enter a new line
/// in the command (elsewhere, and ctrl-s anywhere, on to the confirmation), esc closes it.
pub(crate) fn compose_input(
    state: &mut State,
    mut compose: RunCompose,
    text: TextInput,
) -> Vec<Effect> {
    match text {
        TextInput::Cancel => return Vec::new(),
        TextInput::Enter if compose.focus == 0 => compose.fields[0].push('\n'),
        TextInput::Enter | TextInput::Submit => match compose.to_request() {
            Ok(request) => {
                let confirm = RunConfirm::new(request, state.runs.confirm_above);
                state.overlay = Some(Overlay::RunConfirm(confirm));
                return Vec::new();
            }
            Err(error) => compose.error = Some(error),
        },
        TextInput::Next => compose.focus = (compose.focus + 1) % compose.fields.len(),
        TextInput::Previous => {
            let count = compose.fields.len();
            compose.focus = (compose.focus + count - 1) % count;
        }
        TextInput::Recall => {}
        text @ (TextInput::Char(_)
        | TextInput::Backspace
        | TextInput::ClearLine
        | TextInput::DeleteWord) => {
            // The field is being fixed: its error goes.
            compose.error = None;
            compose.fields[compose.focus].edit(&text);
        }
    }
    state.overlay = Some(Overlay::RunCompose(compose));
    Vec::new()
}

/// A key in the confirmation: the typed count (many targets or production) or y/n, Enter, esc.
pub(crate) fn confirm_input(
    state: &mut State,
    mut confirm: RunConfirm,
    text: TextInput,
) -> Vec<Effect> {
    let targets = confirm.request.targets();
    let go = match (confirm.strict(), text) {
        (_, TextInput::Cancel) => return Vec::new(),
        (true, TextInput::Char(c)) if c.is_ascii_digit() => {
            confirm.typed.push(c);
            false
        }
        (true, TextInput::Backspace) => {
            confirm.typed.edit(&TextInput::Backspace);
            false
        }
        (true, TextInput::Enter) => {
            if confirm.typed.text() == targets.len().to_string() {
                true
            } else {
                let typed = confirm.typed.take();
                let n = targets.len();
                let said = if typed.is_empty() {
                    format!(
                        "nothing was typed: nothing has run; type {n} and enter, or esc to cancel"
                    )
                } else {
                    format!(
                        "you typed {typed}, not {n}: nothing has run; type {n} again, or esc to cancel"
                    )
                };
                confirm.mistyped = Some(said.clone());
                state.frame.notice = Some(said);
                false
            }
        }
        (false, TextInput::Char('y' | 'Y') | TextInput::Enter) => true,
        (false, TextInput::Char('n' | 'N')) => return Vec::new(),
        _ => false,
    };
    if !go {
        state.overlay = Some(Overlay::RunConfirm(confirm));
        return Vec::new();
    }
    state.view = View::Run;
    state.frame.notice = None;
    state.runs.watch = Some(RunWatch::new(confirm.request.clone()));
    vec![Effect::SendRun(confirm.request)]
}

pub(crate) fn act_on_run(state: &mut State, action: Action) -> Outcome {
    Outcome::Done(act_on_watch(state, action))
}

fn act_on_watch(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(run) = state.runs.watch.as_mut() else {
        state.view = View::Fleet;
        return Vec::new();
    };
    let before = run.selected;
    let page = state.frame.table_rows;
    let output_rows = crate::app::layout::run_output_rows(state.frame.screen.height);
    let output_page = output_rows.saturating_sub(1).max(1);
    match action {
        // In the grouped mode the keys move through the groups.
        _ if run.grouping.shown
            && let Some(to) = lists::moved(
                run.grouping.selected,
                run.grouping.groups().len(),
                page,
                action,
            ) =>
        {
            run.grouping.select(to);
            run.output_back = 0;
            return Vec::new();
        }
        _ if let Some(to) = lists::moved(run.selected, run.invocations.len(), page, action) => {
            run.selected = to;
        }
        Action::ToggleGroups => {
            run.grouping.shown = !run.grouping.shown;
            run.output_back = 0;
            return Vec::new();
        }
        Action::ToggleGroupBy => {
            run.grouping.toggle_by();
            run.grouping.shown = true;
            run.output_back = 0;
            state.frame.notice = Some(format!("grouped by {}", run.grouping.by.as_str()));
            return Vec::new();
        }
        Action::ContinueRun => {
            return match run.canary.as_mut() {
                Some(stage) if stage.outcome == CanaryOutcome::Passed => {
                    stage.outcome = CanaryOutcome::Continued;
                    state.frame.notice =
                        Some(format!("running on the remaining {}", stage.remaining));
                    vec![Effect::ContinueRun]
                }
                Some(stage) if stage.outcome == CanaryOutcome::Running => {
                    state.frame.notice = Some("the canary is still running".to_owned());
                    Vec::new()
                }
                Some(stage) if stage.outcome == CanaryOutcome::Failed => {
                    state.frame.notice = Some(
                        "the canary did not succeed everywhere: the rest stays unrun (R re-runs the failed)"
                            .to_owned(),
                    );
                    Vec::new()
                }
                _ => {
                    state.frame.notice =
                        Some("nothing waits: this run has no canary stage left".to_owned());
                    Vec::new()
                }
            };
        }
        // A group reads from its top: here `]` goes on down and `[` back up.
        Action::OutputPageDown if run.grouping.shown => {
            let furthest = run.output_line_count().saturating_sub(output_rows);
            run.output_back = (run.output_back + output_page).min(furthest);
            return Vec::new();
        }
        Action::OutputPageUp if run.grouping.shown => {
            run.output_back = run.output_back.saturating_sub(output_page);
            return Vec::new();
        }
        Action::OutputPageUp => {
            let furthest = run.output_line_count().saturating_sub(output_rows);
            run.output_back = (run.output_back + output_page).min(furthest);
            return Vec::new();
        }
        Action::OutputPageDown => {
            run.output_back = run.output_back.saturating_sub(output_page);
            return Vec::new();
        }
        Action::CancelRun if !run.cancelled && (!run.finished() || run.waits_for_continue()) => {
            run.cancelled = true;
            // Whatever waits for the canary is never sent after a cancel.
            if let Some(stage) = run.canary.as_mut()
                && matches!(
                    stage.outcome,
                    CanaryOutcome::Running | CanaryOutcome::Passed
                )
            {
                stage.outcome = CanaryOutcome::Cancelled;
            }
            return vec![Effect::CancelRun];
        }
        Action::RerunFailed => match run.failed_request() {
            Some(request) => {
                let confirm = RunConfirm::new(request, state.runs.confirm_above);
                state.overlay = Some(Overlay::RunConfirm(confirm));
            }
            None => state.frame.notice = Some("nothing to re-run: no invocation failed".to_owned()),
        },
        Action::ShowHistory => return show_history(state),
        _ => {
            if let Some(effects) = lists::shared(state, action) {
                return effects;
            }
        }
    }
    let Some(run) = state.runs.watch.as_mut() else {
        return Vec::new();
    };
    if run.selected == before {
        return Vec::new();
    }
    run.output = None;
    run.output_back = 0;
    run.selected_invocation()
        .map(|selected| vec![Effect::WatchOutput(selected.instance_id.clone())])
        .unwrap_or_default()
}

/// The history view, loading it afresh.
/// The watched run; with none run in this console yet, the newest command in the history,
/// watched again.
pub(crate) fn show_run(state: &mut State) -> Vec<Effect> {
    if state.runs.watch.is_some() {
        state.view = View::Run;
        state.close_overlay();
        return Vec::new();
    }
    state.runs.watch_newest = true;
    show_history(state)
}

pub(crate) fn show_history(state: &mut State) -> Vec<Effect> {
    state.view = View::History;
    state.close_overlay();
    state.runs.history = None;
    vec![Effect::LoadHistory]
}

pub(crate) fn act_on_history(state: &mut State, action: Action) -> Outcome {
    Outcome::Done(act_on_list(state, action))
}

fn act_on_list(state: &mut State, action: Action) -> Vec<Effect> {
    let count = state.runs.history.as_ref().map_or(0, Vec::len);
    match action {
        _ if let Some(to) = lists::moved(
            state.runs.history_selected,
            count,
            state.frame.table_rows,
            action,
        ) =>
        {
            state.runs.history_selected = to;
        }
        Action::Refresh => return show_history(state),
        Action::ShowFleet if state.runs.comparison.is_some() => state.runs.comparison = None,
        Action::CompareRuns => return compare_with_previous(state),
        Action::WatchAgain => {
            let entry = state
                .runs
                .history
                .as_ref()
                .and_then(|h| h.get(state.runs.history_selected))
                .cloned();
            if let Some(entry) = entry {
                state.runs.watch = Some(RunWatch::reopen(&entry));
                state.view = View::Run;
                return vec![Effect::ReopenRun(entry)];
            }
        }
        _ => return lists::shared(state, action).unwrap_or_default(),
    }
    Vec::new()
}

/// `=` in the history: the selected run beside the run before it of the same command (same
/// profile, region, document and script), both read again.
fn compare_with_previous(state: &mut State) -> Vec<Effect> {
    let Some(history) = state.runs.history.as_ref() else {
        return Vec::new();
    };
    let Some(newer) = history.get(state.runs.history_selected) else {
        return Vec::new();
    };
    let same = |entry: &&crate::model::run::HistoryEntry| {
        (
            &entry.profile,
            &entry.region,
            &entry.document,
            &entry.script,
        ) == (
            &newer.profile,
            &newer.region,
            &newer.document,
            &newer.script,
        )
    };
    // Newest first: the run before it is further down.
    match history[state.runs.history_selected + 1..].iter().find(same) {
        Some(older) => {
            state.frame.notice = Some(format!(
                "comparing {} with {}…",
                newer.command_id, older.command_id
            ));
            vec![Effect::CompareRuns(Box::new((
                older.clone(),
                newer.clone(),
            )))]
        }
        None => {
            state.frame.notice =
                Some("no earlier run of this command in the history to compare with".to_owned());
            Vec::new()
        }
    }
}

/// The doctor, asked by itself about the first few instances the watched run could not reach
/// (Undeliverable): its cause shows in their rows. The clients are those the instance's
/// fleet row was read with.
pub(crate) fn ask_why_not_reached(state: &mut State) -> Vec<Effect> {
    let Some(run) = state.runs.watch.as_mut() else {
        return Vec::new();
    };
    let mut effects = Vec::new();
    for invocation in &run.invocations {
        let asked = run.causes.len();
        if asked >= crate::model::doctor::DOCTOR_AT_MOST {
            break;
        }
        if invocation.status != InvocationStatus::Undeliverable
            || run.causes.contains_key(&invocation.instance_id)
        {
            continue;
        }
        let Some(row) = state
            .fleet
            .rows
            .iter()
            .find(|row| row.instance_id == invocation.instance_id)
        else {
            continue;
        };
        run.causes.insert(invocation.instance_id.clone(), None);
        effects.push(Effect::Diagnose {
            instance_id: row.instance_id.clone(),
            profile: row.profile.clone(),
            region: row.region.clone(),
        });
    }
    effects
}
