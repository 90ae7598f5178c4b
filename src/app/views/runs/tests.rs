//! Run Command: compose, confirm, send, the canary, re-run.

use crate::app::test_support::*;

/// The compose form for every instance shown, with a command typed.
pub(super) fn compose_for_all(state: &mut State) {
    press(state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(state.mode(), Mode::RunCompose);
    for c in "uptime".chars() {
        press(state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    // Enter in the command field is a new line; ctrl-s goes on to the confirmation.
    press(state, KeyCode::Enter, KeyModifiers::NONE);
    for c in "df -h".chars() {
        press(state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(state, KeyCode::Char('s'), KeyModifiers::CONTROL);
}

#[test]
fn run_command_composes_confirms_and_sends() {
    let mut state = with_screen(loaded());
    compose_for_all(&mut state);
    assert_eq!(state.mode(), Mode::RunConfirm);
    let confirm = state.confirm().cloned().expect("confirmation");
    assert_eq!(confirm.request.script, "uptime\ndf -h");
    // db-3 is not managed: it is not a target.
    let ids: Vec<String> = confirm
        .request
        .targets()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, ["i-01", "i-02"]);
    // Two targets, none in production: y runs it.
    let effects = press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(effects, vec![Effect::SendRun(confirm.request.clone())]);
    assert_eq!(state.view, View::Run);

    let _ = update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["c-1".to_owned()],
        },
    );
    // Progress of another command (a replaced run) is not this view's.
    let stale = crate::model::run::InvocationView {
        command_id: "c-0".to_owned(),
        instance_id: "i-01".to_owned(),
        status: "Success".into(),
        ..crate::model::run::InvocationView::default()
    };
    assert!(
        update(
            &mut state,
            Input::RunProgress {
                invocations: vec![stale],
                throttled: false
            }
        )
        .is_empty()
    );
    assert!(
        state
            .runs
            .watch
            .as_ref()
            .is_some_and(|r| r.invocations.is_empty())
    );
    // Progress arrives; the first one asks for the selected instance's output.
    let invocation = |id: &str, status: &str| crate::model::run::InvocationView {
        command_id: "c-1".to_owned(),
        instance_id: id.to_owned(),
        status: status.into(),
        ..crate::model::run::InvocationView::default()
    };
    let effects = update(
        &mut state,
        Input::RunProgress {
            invocations: vec![
                invocation("i-01", "InProgress"),
                invocation("i-02", "Failed"),
            ],
            throttled: false,
        },
    );
    assert_eq!(effects, vec![Effect::WatchOutput("i-01".to_owned())]);
    assert_eq!(
        press(&mut state, KeyCode::Down, KeyModifiers::NONE),
        vec![Effect::WatchOutput("i-02".to_owned())]
    );
    assert_eq!(
        press(&mut state, KeyCode::Char('c'), KeyModifiers::NONE),
        vec![Effect::CancelRun]
    );
    // Re-run on the failed one goes through the confirmation again.
    press(&mut state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(state.mode(), Mode::RunConfirm);
    let again = state.confirm().cloned().expect("confirmation");
    let ids: Vec<String> = again.request.targets().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["i-02"]);
}

#[test]
fn production_or_many_targets_need_the_count_typed() {
    let mut state = with_screen(loaded());
    for row in &mut state.fleet.rows {
        row.tags
            .insert("Environment".to_owned(), "production".to_owned());
    }
    compose_for_all(&mut state);
    assert!(press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE).is_empty());
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("type 2")),
        "{:?}",
        state.frame.notice
    );
    // A wrong count is said, in the confirmation itself, with what was typed.
    press(&mut state, KeyCode::Char('3'), KeyModifiers::NONE);
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert_eq!(
        state.confirm().and_then(|c| c.mistyped.as_deref()),
        Some("you typed 3, not 2: nothing has run; type 2 again, or esc to cancel")
    );
    assert_eq!(state.mode(), Mode::RunConfirm, "the question stays");
    press(&mut state, KeyCode::Char('2'), KeyModifiers::NONE);
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(effects[..], [Effect::SendRun(_)]), "{effects:?}");
    // Esc at the confirmation runs nothing.
    let mut state = with_screen(loaded());
    compose_for_all(&mut state);
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::Table);
    assert!(state.runs.watch.is_none());
}

#[test]
fn read_only_refuses_run_command() {
    let mut state = with_screen(loaded());
    state.frame.read_only = true;
    press(&mut state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(state.mode(), Mode::Table);
    assert!(state.compose().is_none());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("read-only"))
    );
}

#[test]
fn instances_ssm_does_not_manage_are_left_out_of_a_run_and_said_so() {
    let mut state = with_screen(loaded());
    press(&mut state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    let compose = state.compose().expect("the compose form");
    assert!(
        compose
            .chosen_by
            .ends_with("; 1 left out: not managed by SSM"),
        "{}",
        compose.chosen_by
    );
}

/// The compose form's canary field: the confirmation names the canary, the watch shows its
/// stage, C refuses while it runs, and after it passed sends the rest once.
#[test]
fn a_canary_runs_first_and_c_goes_on_after_it_passed() {
    let mut state = with_screen(loaded());
    press(&mut state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    for c in "uptime".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    // Tab to the last field, the canary.
    for _ in 0..9 {
        press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Char('1'), KeyModifiers::NONE);
    press(&mut state, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let confirm = state.confirm().cloned().expect("confirmation");
    assert_eq!(confirm.request.canary.len(), 1);
    assert!(
        confirm
            .request
            .blast_radius()
            .iter()
            .any(|l| l.contains("canary first: 1") && l.contains("the other 1 only if")),
        "{:?}",
        confirm.request.blast_radius()
    );
    press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    let run = state.runs.watch.as_ref().expect("watching");
    assert_eq!(run.expected(), 1, "only the canary is expected at first");
    assert!(press(&mut state, KeyCode::Char('C'), KeyModifiers::SHIFT).is_empty());
    assert_eq!(
        state.frame.notice.as_deref(),
        Some("the canary is still running")
    );
    let _ = update(
        &mut state,
        Input::RunCanaryDone {
            passed: true,
            remaining: 1,
        },
    );
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("C runs it on the remaining 1"))
    );
    assert_eq!(
        press(&mut state, KeyCode::Char('C'), KeyModifiers::SHIFT),
        vec![Effect::ContinueRun]
    );
    assert_eq!(state.runs.watch.as_ref().map(RunWatch::expected), Some(2));
    assert!(
        press(&mut state, KeyCode::Char('C'), KeyModifiers::SHIFT).is_empty(),
        "once"
    );
    // Re-running the failed goes straight to them: the canary has had its say.
    if let Some(run) = state.runs.watch.as_mut() {
        run.invocations = vec![crate::model::run::InvocationView {
            instance_id: "i-01".to_owned(),
            status: "Failed".into(),
            ..crate::model::run::InvocationView::default()
        }];
    }
    assert!(
        state
            .runs
            .watch
            .as_ref()
            .and_then(RunWatch::failed_request)
            .is_some_and(|r| r.canary.is_empty())
    );
    // The rest's command ids join the canary's.
    let _ = update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["c-1".to_owned()],
        },
    );
    let _ = update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["c-1".to_owned(), "c-2".to_owned()],
        },
    );
    assert_eq!(
        state.runs.watch.as_ref().map(|r| r.command_ids.len()),
        Some(2)
    );
}

/// Cancelling while the canary runs: the rest will never be sent, and the watch says so even
/// when the canary's outcome arrives afterwards.
#[test]
fn a_cancel_during_the_canary_keeps_the_rest_from_ever_running() {
    use crate::app::views::runs::CanaryOutcome;
    let mut state = with_screen(loaded());
    press(&mut state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    for c in "uptime".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    for _ in 0..9 {
        press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Char('1'), KeyModifiers::NONE);
    press(&mut state, KeyCode::Char('s'), KeyModifiers::CONTROL);
    press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        press(&mut state, KeyCode::Char('c'), KeyModifiers::NONE),
        vec![Effect::CancelRun]
    );
    let outcome = |state: &State| {
        state
            .runs
            .watch
            .as_ref()
            .and_then(|r| r.canary.as_ref())
            .map(|c| c.outcome)
    };
    assert_eq!(outcome(&state), Some(CanaryOutcome::Cancelled));
    let _ = update(
        &mut state,
        Input::RunCanaryDone {
            passed: true,
            remaining: 1,
        },
    );
    assert_eq!(
        outcome(&state),
        Some(CanaryOutcome::Cancelled),
        "a late outcome changes nothing"
    );
    assert!(press(&mut state, KeyCode::Char('C'), KeyModifiers::SHIFT).is_empty());
}
