//! Run Command's actions: the compose form, the confirmation, the watch grid and the
//! history of recent commands.

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::state::{Mode, State, View};
use crate::app::views::lists;
use crate::app::views::runs::{CanaryOutcome, RunCompose, RunConfirm, RunWatch};
use crate::model::instance::{InstanceRow, Ping};
use crate::model::run::groups_of;

/// The compose form's submit: on to the confirmation, or say what is wrong.
pub(crate) fn submit_run(state: &mut State) -> Vec<Effect> {
    let Some(compose) = state.compose.as_mut() else {
        return Vec::new();
    };
    match compose.to_request() {
        Ok(request) => {
            state.compose = None;
            state.confirm = Some(RunConfirm::new(request, state.confirm_above));
            state.mode = Mode::RunConfirm;
        }
        Err(error) => compose.error = Some(error),
    }
    Vec::new()
}

/// A key in the confirmation: the typed count (many targets or production) or y/n; `None`
/// is Enter.
pub(crate) fn confirm_key(state: &mut State, key: Option<char>) -> Vec<Effect> {
    let Some(confirm) = state.confirm.as_mut() else {
        return Vec::new();
    };
    let targets = confirm.request.targets();
    let go = if confirm.strict() {
        match key {
            Some(c) if c.is_ascii_digit() => {
                confirm.typed.push(c);
                return Vec::new();
            }
            Some(_) => return Vec::new(),
            None => confirm.typed == targets.len().to_string(),
        }
    } else {
        match key {
            Some('y' | 'Y') | None => true,
            Some('n' | 'N') => {
                state.confirm = None;
                state.mode = Mode::Table;
                return Vec::new();
            }
            Some(_) => return Vec::new(),
        }
    };
    if !go {
        let typed = std::mem::take(&mut confirm.typed);
        let n = targets.len();
        let said = if typed.is_empty() {
            format!("nothing was typed: nothing has run; type {n} and enter, or esc to cancel")
        } else {
            format!("you typed {typed}, not {n}: nothing has run; type {n} again, or esc to cancel")
        };
        confirm.mistyped = Some(said.clone());
        state.notice = Some(said);
        return Vec::new();
    }
    let Some(confirm) = state.confirm.take() else {
        return Vec::new();
    };
    state.mode = Mode::Table;
    state.view = View::Run;
    state.notice = None;
    state.run = Some(RunWatch::new(confirm.request.clone()));
    vec![Effect::SendRun(confirm.request)]
}

pub(crate) fn act_on_run(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(run) = state.run.as_mut() else {
        state.view = View::Fleet;
        return Vec::new();
    };
    let before = run.selected;
    let page = state.table_rows;
    let output_rows = crate::app::layout::run_output_rows(state.screen.height);
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
            run.grouping.selected = to;
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
            state.notice = Some(format!("grouped by {}", run.grouping.by.as_str()));
            return Vec::new();
        }
        Action::ContinueRun => {
            return match run.canary.as_mut() {
                Some(stage) if stage.outcome == CanaryOutcome::Passed => {
                    stage.outcome = CanaryOutcome::Continued;
                    state.notice = Some(format!("running on the remaining {}", stage.remaining));
                    vec![Effect::ContinueRun]
                }
                Some(stage) if stage.outcome == CanaryOutcome::Running => {
                    state.notice = Some("the canary is still running".to_owned());
                    Vec::new()
                }
                Some(stage) if stage.outcome == CanaryOutcome::Failed => {
                    state.notice = Some(
                        "the canary did not succeed everywhere: the rest stays unrun (R re-runs the failed)"
                            .to_owned(),
                    );
                    Vec::new()
                }
                _ => {
                    state.notice =
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
                state.confirm = Some(RunConfirm::new(request, state.confirm_above));
                state.mode = Mode::RunConfirm;
            }
            None => state.notice = Some("nothing to re-run: no invocation failed".to_owned()),
        },
        Action::ShowHistory => return show_history(state),
        _ => {
            if let Some(effects) = lists::shared(state, action) {
                return effects;
            }
        }
    }
    let Some(run) = state.run.as_mut() else {
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
pub(crate) fn show_history(state: &mut State) -> Vec<Effect> {
    state.view = View::History;
    state.mode = Mode::Table;
    state.history = None;
    vec![Effect::LoadHistory]
}

pub(crate) fn act_on_history(state: &mut State, action: Action) -> Vec<Effect> {
    let count = state.history.as_ref().map_or(0, Vec::len);
    match action {
        _ if let Some(to) =
            lists::moved(state.history_selected, count, state.table_rows, action) =>
        {
            state.history_selected = to;
        }
        Action::Refresh => return show_history(state),
        Action::ShowFleet if state.comparison.is_some() => state.comparison = None,
        Action::CompareRuns => return compare_with_previous(state),
        Action::WatchAgain => {
            let entry = state
                .history
                .as_ref()
                .and_then(|h| h.get(state.history_selected))
                .cloned();
            if let Some(entry) = entry {
                state.run = Some(RunWatch::reopen(&entry));
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
    let Some(history) = state.history.as_ref() else {
        return Vec::new();
    };
    let Some(newer) = history.get(state.history_selected) else {
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
    match history[state.history_selected + 1..].iter().find(same) {
        Some(older) => {
            state.notice = Some(format!(
                "comparing {} with {}…",
                newer.command_id, older.command_id
            ));
            vec![Effect::CompareRuns(Box::new((
                older.clone(),
                newer.clone(),
            )))]
        }
        None => {
            state.notice =
                Some("no earlier run of this command in the history to compare with".to_owned());
            Vec::new()
        }
    }
}

/// The compose form for the marked rows, or every row the filter shows; `--read-only`
/// refuses, and instances SSM does not manage are left out (they cannot run anything).
pub(crate) fn open_run(state: &mut State) {
    if state.read_only {
        state.notice = Some("refused by --read-only: Run Command changes instances".to_owned());
        return;
    }
    let (rows, chosen_by): (Vec<&InstanceRow>, String) = if state.marks.is_empty() {
        let rows: Vec<&InstanceRow> = state.visible.iter().map(|&i| &state.rows[i]).collect();
        let how = if state.filter_text.is_empty() {
            "every instance shown (no marks, no filter)".to_owned()
        } else {
            format!("matching /{}", state.filter_text)
        };
        (rows, how)
    } else {
        let rows = state
            .rows
            .iter()
            .filter(|r| state.marks.contains(&r.instance_id))
            .collect();
        (rows, "marked".to_owned())
    };
    if rows.is_empty() {
        state.notice =
            Some("nothing to run on: no instance is shown (esc clears the filter)".to_owned());
        return;
    }
    let (managed, unmanaged): (Vec<&InstanceRow>, Vec<&InstanceRow>) =
        rows.into_iter().partition(|r| r.ping != Ping::NotManaged);
    if managed.is_empty() {
        state.notice = Some(
            "no managed instance to run on: SSM manages none of these (D asks the doctor why)"
                .to_owned(),
        );
        return;
    }
    // Said, not silently dropped: how many were left out, and why.
    let left_out = match unmanaged.len() {
        0 => String::new(),
        1 => "; 1 left out: not managed by SSM".to_owned(),
        n => format!("; {n} left out: not managed by SSM"),
    };
    let groups = groups_of(&managed);
    state.compose = Some(RunCompose::new(
        groups,
        format!("{} {chosen_by}{left_out}", managed.len()),
    ));
    state.mode = Mode::RunCompose;
}

/// The doctor, asked by itself about the first few instances the watched run could not reach
/// (Undeliverable): its cause shows in their rows. The clients are those the instance's
/// fleet row was read with.
pub(crate) fn ask_why_not_reached(state: &mut State) -> Vec<Effect> {
    let Some(run) = state.run.as_mut() else {
        return Vec::new();
    };
    let mut effects = Vec::new();
    for invocation in &run.invocations {
        let asked = run.causes.len();
        if asked >= crate::model::doctor::DOCTOR_AT_MOST {
            break;
        }
        if invocation.status != "Undeliverable" || run.causes.contains_key(&invocation.instance_id)
        {
            continue;
        }
        let Some(row) = state
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
