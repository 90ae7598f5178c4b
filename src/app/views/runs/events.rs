//! What the reducer learns from a running command: its ids, progress, settled results (for the
//! grouped mode), the canary's outcome, the watched output, errors; and a comparison of two
//! runs from the history.

use super::RunWatch;
use super::update as runs;
use crate::app::State;
use crate::app::effect::Effect;
use crate::app::input::Input;
use crate::app::views::View;
use crate::app::views::runs::CanaryOutcome;
use crate::model::run::RunTarget;
use crate::model::run_shape::identities_of;
use crate::model::status::InvocationStatus;

pub(crate) fn on_run_event(state: &mut State, input: Input) -> Vec<Effect> {
    match input {
        Input::RunSent { command_ids } => {
            // Only the run just started takes ids (and, after its canary, the same ids and the
            // rest's): a late message from a replaced run does not.
            if let Some(run) = state.runs.watch.as_mut()
                && command_ids.starts_with(&run.command_ids)
            {
                run.command_ids = command_ids;
            }
            Vec::new()
        }
        Input::RunProgress {
            invocations,
            throttled,
        } => {
            let Some(run) = state.runs.watch.as_mut() else {
                return Vec::new();
            };
            // Progress of a command this view is not watching (a replaced run) is dropped.
            if invocations
                .iter()
                .any(|i| !run.command_ids.contains(&i.command_id))
            {
                return Vec::new();
            }
            let keep = run.selected_invocation().map(|i| i.instance_id.clone());
            let first = run.invocations.is_empty();
            let rows = &state.fleet.rows;
            let row_of = |id: &str| rows.iter().find(|r| r.instance_id == id);
            let mut invocations = invocations;
            for invocation in &mut invocations {
                if invocation.name.is_empty()
                    && let Some(row) = row_of(&invocation.instance_id)
                {
                    invocation.name = row.name.clone();
                }
                // A reopened command learns its targets from its invocations.
                if run.reopened
                    && let Some(group) = run.request.groups.first_mut()
                    && !group.targets.iter().any(|t| t.id == invocation.instance_id)
                {
                    group
                        .targets
                        .push(row_of(&invocation.instance_id).map_or_else(
                            || RunTarget {
                                id: invocation.instance_id.clone(),
                                name: invocation.name.clone(),
                                environment: String::new(),
                                team: String::new(),
                                windows: false,
                                online: true,
                                private_ip: String::new(),
                                az: String::new(),
                            },
                            RunTarget::from_row,
                        ));
                }
            }
            run.invocations = invocations;
            run.throttled = throttled;
            run.selected = keep
                .and_then(|id| run.invocations.iter().position(|i| i.instance_id == id))
                .unwrap_or(0);
            let mut effects = match run.selected_invocation() {
                Some(selected) if first => vec![Effect::WatchOutput(selected.instance_id.clone())],
                _ => Vec::new(),
            };
            effects.extend(runs::ask_why_not_reached(state));
            effects
        }
        Input::RunOutput(output) => {
            if let Some(run) = state.runs.watch.as_mut()
                && run
                    .selected_invocation()
                    .is_some_and(|i| i.instance_id == output.instance_id)
            {
                run.output = Some(output);
            }
            Vec::new()
        }
        Input::RunError(error) => {
            if let Some(run) = state.runs.watch.as_mut() {
                run.error = Some(error);
            }
            Vec::new()
        }
        Input::RunSettled(mut result) => {
            let Some(run) = state.runs.watch.as_mut() else {
                return Vec::new();
            };
            // What the instance calls itself, for grouping by shape: its id, name and address.
            let target = run
                .request
                .targets()
                .into_iter()
                .find(|t| t.id == result.instance_id);
            let ip = target.as_ref().map_or("", |t| t.private_ip.as_str());
            if result.name.is_empty()
                && let Some(target) = &target
            {
                result.name.clone_from(&target.name);
            }
            result.identities = identities_of(&result.instance_id, &result.name, ip);
            run.grouping.settle(result);
            Vec::new()
        }
        Input::RunCanaryDone { passed, remaining } => {
            let Some(run) = state.runs.watch.as_mut() else {
                return Vec::new();
            };
            // A cancel has already said what became of the rest.
            let Some(stage) = run
                .canary
                .as_mut()
                .filter(|stage| stage.outcome != CanaryOutcome::Cancelled)
            else {
                return Vec::new();
            };
            stage.outcome = if passed {
                CanaryOutcome::Passed
            } else {
                CanaryOutcome::Failed
            };
            state.frame.notice = Some(if passed {
                format!(
                    "the canary passed on {}: C runs it on the remaining {remaining}",
                    stage.count
                )
            } else {
                format!(
                    "the canary did not succeed everywhere: the remaining {remaining} were not run"
                )
            });
            Vec::new()
        }
        Input::RunsCompared(result) => {
            match result {
                Ok(comparison) => {
                    state.frame.notice = None;
                    state.runs.comparison = Some(comparison);
                }
                Err(error) => state.frame.notice = Some(error),
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Recent commands arrived; `w` with nothing run here yet watches the newest.
pub(crate) fn history_loaded(
    state: &mut State,
    entries: Vec<crate::model::run::HistoryEntry>,
    errors: Vec<String>,
) -> Vec<Effect> {
    state.frame.notice = (!errors.is_empty()).then(|| errors.join("; "));
    let runs = &mut state.runs;
    runs.history_selected = 0;
    let newest = entries.first().cloned();
    runs.history = Some(entries);
    if !std::mem::take(&mut runs.watch_newest) || state.view != View::History {
        return Vec::new();
    }
    match newest {
        Some(entry) => {
            state.runs.watch = Some(RunWatch::reopen(&entry));
            state.view = View::Run;
            vec![Effect::ReopenRun(entry)]
        }
        None => {
            state.frame.notice.get_or_insert_with(|| {
                "no command to watch: none in the history (R runs one)".to_owned()
            });
            Vec::new()
        }
    }
}

/// The doctor's cause for an instance the watched run did not reach stays in its row, whether
/// the doctor was asked by itself or with `D`.
pub(crate) fn doctor_said(state: &mut State, instance_id: &str, cause: &str) {
    if let Some(run) = state.runs.watch.as_mut()
        && run
            .invocations
            .iter()
            .any(|i| i.instance_id == instance_id && i.status == InvocationStatus::Undeliverable)
    {
        run.causes
            .insert(instance_id.to_owned(), Some(cause.to_owned()));
    }
}
