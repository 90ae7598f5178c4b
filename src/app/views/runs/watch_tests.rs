//! The watch view and the history: reopening a command, the doctor asked about the
//! instances a run did not reach, the output paged, `w` with nothing run here, comparing runs.

use super::tests::compose_for_all;
use crate::app::test_support::*;

#[test]
fn the_history_lists_recent_commands_and_reopens_one() {
    let mut state = with_screen(loaded());
    compose_for_all(&mut state);
    press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(state.view, View::Run);
    assert_eq!(
        press(&mut state, KeyCode::Char('h'), KeyModifiers::NONE),
        vec![Effect::LoadHistory]
    );
    assert_eq!(state.view, View::History);
    let entry = crate::model::run::HistoryEntry {
        command_id: "c-9".to_owned(),
        profile: "default".to_owned(),
        region: "us-east-1".to_owned(),
        document: "AWS-RunShellScript".to_owned(),
        script: "uptime".to_owned(),
        status: "Success".into(),
        target_count: 2,
        ..crate::model::run::HistoryEntry::default()
    };
    let _ = update(
        &mut state,
        Input::HistoryLoaded {
            entries: vec![entry.clone()],
            errors: Vec::new(),
        },
    );
    assert_eq!(
        press(&mut state, KeyCode::Enter, KeyModifiers::NONE),
        vec![Effect::ReopenRun(entry)]
    );
    assert_eq!(state.view, View::Run);
    // The reopened command learns its targets (and their names) from its invocations.
    let _ = update(
        &mut state,
        Input::RunProgress {
            invocations: vec![crate::model::run::InvocationView {
                command_id: "c-9".to_owned(),
                instance_id: "i-02".to_owned(),
                status: "Failed".into(),
                ..crate::model::run::InvocationView::default()
            }],
            throttled: false,
        },
    );
    let run = state.runs.watch.as_ref().expect("watching");
    assert_eq!(run.invocations[0].name, "web-2");
    assert_eq!(run.request.targets().len(), 1);
    press(&mut state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(
        state.mode(),
        Mode::RunConfirm,
        "a reopened command can be re-run"
    );
}

#[test]
fn d_over_an_invocation_not_reached_asks_the_doctor_about_its_instance() {
    let mut state = with_screen(loaded());
    compose_for_all(&mut state);
    press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    let _ = update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["c-1".to_owned()],
        },
    );
    let undelivered = crate::model::run::InvocationView {
        command_id: "c-1".to_owned(),
        instance_id: "i-02".to_owned(),
        status: "Undeliverable".into(),
        aws_status: "Failed".into(),
        status_details: Some("Undeliverable".into()),
        ..crate::model::run::InvocationView::default()
    };
    let _ = update(
        &mut state,
        Input::RunProgress {
            invocations: vec![undelivered],
            throttled: false,
        },
    );
    let effects = press(&mut state, KeyCode::Char('D'), KeyModifiers::SHIFT);
    assert!(
        matches!(effects.as_slice(), [Effect::Diagnose { instance_id, .. }] if instance_id == "i-02"),
        "{effects:?}"
    );
    assert_eq!(state.mode(), Mode::Doctor);
}

#[test]
fn invocations_not_reached_ask_the_doctor_once_and_keep_its_cause() {
    let mut state = with_screen(loaded());
    compose_for_all(&mut state);
    press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    let _ = update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["c-1".to_owned()],
        },
    );
    let invocation = |id: &str, status: &str| crate::model::run::InvocationView {
        command_id: "c-1".to_owned(),
        instance_id: id.to_owned(),
        status: status.into(),
        ..crate::model::run::InvocationView::default()
    };
    let progress = |state: &mut State| {
        update(
            state,
            Input::RunProgress {
                invocations: vec![
                    invocation("i-01", "Undeliverable"),
                    invocation("i-02", "Success"),
                ],
                throttled: false,
            },
        )
    };
    let effects = progress(&mut state);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Diagnose { instance_id, .. } if instance_id == "i-01")),
        "{effects:?}"
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Diagnose { instance_id, .. } if instance_id == "i-02")),
        "a success needs no doctor: {effects:?}"
    );
    let again = progress(&mut state);
    assert!(
        !again.iter().any(|e| matches!(e, Effect::Diagnose { .. })),
        "asked once: {again:?}"
    );
    assert_eq!(
        state
            .runs
            .watch
            .as_ref()
            .map(|r| r.causes.get("i-01").cloned()),
        Some(Some(None)),
        "asking"
    );
    let _ = update(
        &mut state,
        Input::DoctorReport {
            instance_id: "i-01".to_owned(),
            report: Ok(crate::app::overlays::doctor_tests::report("i-01")),
        },
    );
    assert_eq!(
        state
            .runs
            .watch
            .as_ref()
            .and_then(|r| r.causes.get("i-01").cloned().flatten())
            .as_deref(),
        Some("the agent stopped reporting")
    );
    // Grouped, the never-delivered group says why instead of "(no output)".
    let run = state.runs.watch.as_mut().expect("a run");
    run.grouping.settle(crate::model::run_groups::RunResult {
        instance_id: "i-01".to_owned(),
        status: "Undeliverable".into(),
        ..Default::default()
    });
    let run = state.runs.watch.as_ref().expect("a run");
    let lines = run.grouping.lines(|group| run.group_cause(group));
    assert!(
        lines.contains(&crate::app::views::runs::grouping::GroupLine::Note(
            "why: the agent stopped reporting".to_owned()
        )),
        "{lines:?}"
    );
}

#[test]
fn the_doctor_is_asked_by_itself_about_three_unreached_instances_at_most() {
    let mut state = with_screen(loaded());
    let rows: Vec<_> = (4..10)
        .map(|n| {
            let mut row = state.fleet.rows[0].clone();
            row.instance_id = format!("i-{n:02}");
            row
        })
        .collect();
    state.fleet.rows.extend(rows);
    state.runs.watch = Some(crate::app::views::runs::RunWatch::new(
        crate::model::run::RunRequest {
            groups: Vec::new(),
            script: "uptime".to_owned(),
            document: None,
            timeout_seconds: 60,
            max_concurrency: "50".to_owned(),
            max_errors: "0".to_owned(),
            comment: String::new(),
            output_s3: None,
            cloudwatch: None,
            parameters: Vec::new(),
            canary: Vec::new(),
        },
    ));
    if let Some(run) = state.runs.watch.as_mut() {
        run.command_ids = vec!["c-1".to_owned()];
    }
    let effects = update(
        &mut state,
        Input::RunProgress {
            invocations: (4..10)
                .map(|n| crate::model::run::InvocationView {
                    command_id: "c-1".to_owned(),
                    instance_id: format!("i-{n:02}"),
                    status: "Undeliverable".into(),
                    ..crate::model::run::InvocationView::default()
                })
                .collect(),
            throttled: false,
        },
    );
    let asked = effects
        .iter()
        .filter(|e| matches!(e, Effect::Diagnose { .. }))
        .count();
    assert_eq!(asked, crate::model::doctor::DOCTOR_AT_MOST);
}

/// `w` with nothing run in this console watches the newest command of the history, as its
/// label says; with an empty history it says there is none.
#[test]
fn w_watches_the_newest_command_when_nothing_ran_here() {
    let mut state = with_screen(loaded());
    assert!(state.runs.watch.is_none());
    let effects = press(&mut state, KeyCode::Char('w'), KeyModifiers::NONE);
    assert_eq!(effects, vec![Effect::LoadHistory]);
    let newest = crate::model::run::HistoryEntry {
        command_id: "c-new".to_owned(),
        region: "us-east-1".to_owned(),
        script: "uptime".to_owned(),
        ..crate::model::run::HistoryEntry::default()
    };
    let older = crate::model::run::HistoryEntry {
        command_id: "c-old".to_owned(),
        ..newest.clone()
    };
    let effects = update(
        &mut state,
        Input::HistoryLoaded {
            entries: vec![newest.clone(), older],
            errors: Vec::new(),
        },
    );
    assert_eq!(effects, vec![Effect::ReopenRun(newest)]);
    assert_eq!(state.view, View::Run);
    assert_eq!(
        state.runs.watch.as_ref().map(|r| r.command_ids.clone()),
        Some(vec!["c-new".to_owned()])
    );
    // The history view asked for by `H` stays a list.
    press(&mut state, KeyCode::Char('h'), KeyModifiers::NONE);
    let effects = update(
        &mut state,
        Input::HistoryLoaded {
            entries: Vec::new(),
            errors: Vec::new(),
        },
    );
    assert!(effects.is_empty());
    assert_eq!(state.view, View::History);

    let mut state = with_screen(loaded());
    press(&mut state, KeyCode::Char('w'), KeyModifiers::NONE);
    let _ = update(
        &mut state,
        Input::HistoryLoaded {
            entries: Vec::new(),
            errors: Vec::new(),
        },
    );
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.starts_with("no command to watch")),
        "{:?}",
        state.frame.notice
    );
}

/// `[` and `]` page through a long output, no further back than its first line; `]` at
/// the end follows new lines again, and another instance starts at its end.
#[test]
fn the_output_pages_back_and_follows_again() {
    let mut state = with_screen(loaded());
    compose_for_all(&mut state);
    press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    let _ = update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["c-1".to_owned()],
        },
    );
    let invocation = |id: &str| crate::model::run::InvocationView {
        command_id: "c-1".to_owned(),
        instance_id: id.to_owned(),
        status: "Success".into(),
        ..crate::model::run::InvocationView::default()
    };
    let _ = update(
        &mut state,
        Input::RunProgress {
            invocations: vec![invocation("i-01"), invocation("i-02")],
            throttled: false,
        },
    );
    let stdout: String = (1..=200).map(|n| format!("line {n}\n")).collect();
    let _ = update(
        &mut state,
        Input::RunOutput(crate::model::run::InvocationOutput {
            instance_id: "i-01".to_owned(),
            stdout,
            ..crate::model::run::InvocationOutput::default()
        }),
    );
    let rows = crate::app::layout::run_output_rows(48);
    let back = |state: &State| state.runs.watch.as_ref().map_or(0, |r| r.output_back);
    press(&mut state, KeyCode::Char('['), KeyModifiers::NONE);
    assert_eq!(back(&state), rows - 1);
    for _ in 0..20 {
        press(&mut state, KeyCode::Char('['), KeyModifiers::NONE);
    }
    assert_eq!(
        back(&state),
        200 - rows,
        "no further back than the first line"
    );
    press(&mut state, KeyCode::Char(']'), KeyModifiers::NONE);
    assert_eq!(back(&state), 200 - rows - (rows - 1));
    for _ in 0..20 {
        press(&mut state, KeyCode::Char(']'), KeyModifiers::NONE);
    }
    assert_eq!(back(&state), 0, "following the end again");
    press(&mut state, KeyCode::Char('['), KeyModifiers::NONE);
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(
        back(&state),
        0,
        "another instance's output starts at its end"
    );
}

/// `=` in the history compares the selected run with the one before it of the same command;
/// the comparison shows until esc.
#[test]
fn equals_in_the_history_compares_with_the_previous_run_of_the_command() {
    use crate::model::run::HistoryEntry;
    let mut state = with_screen(loaded());
    compose_for_all(&mut state);
    press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    press(&mut state, KeyCode::Char('h'), KeyModifiers::NONE);
    let entry = |id: &str, script: &str| HistoryEntry {
        command_id: id.to_owned(),
        profile: "default".to_owned(),
        region: "us-east-1".to_owned(),
        document: "AWS-RunShellScript".to_owned(),
        script: script.to_owned(),
        ..HistoryEntry::default()
    };
    let entries = vec![
        entry("c-3", "cat /etc/app/version"),
        entry("c-2", "uptime"),
        entry("c-1", "cat /etc/app/version"),
    ];
    let _ = update(
        &mut state,
        Input::HistoryLoaded {
            entries: entries.clone(),
            errors: Vec::new(),
        },
    );
    assert_eq!(
        press(&mut state, KeyCode::Char('='), KeyModifiers::NONE),
        vec![Effect::CompareRuns(Box::new((
            entries[2].clone(),
            entries[0].clone()
        )))]
    );
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    assert!(press(&mut state, KeyCode::Char('='), KeyModifiers::NONE).is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("no earlier run"))
    );
    let comparison = crate::model::run_groups::Comparison {
        older: "c-1".to_owned(),
        newer: "c-3".to_owned(),
        changes: Vec::new(),
        unchanged: 2,
    };
    let _ = update(&mut state, Input::RunsCompared(Ok(comparison.clone())));
    assert_eq!(state.runs.comparison, Some(comparison));
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.runs.comparison, None);
    assert_eq!(state.view, View::History, "esc closed the comparison only");
}
