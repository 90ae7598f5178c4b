//! The Recordings view: `:recordings` loads it, the filter narrows it with the list's own
//! language (and says why it is not understood), Enter replays the selected recording in a
//! pane on its instance, --read-only lets a replay through.

use crate::app::test_support::*;
use crate::model::recording::RecordingRow;
use crate::model::session::SessionRow;

fn recording(file: &str, instance_id: &str, name: &str, owner: &str) -> RecordingRow {
    RecordingRow {
        file: format!("/state/bosun/recordings/{file}"),
        title: format!("bosun: {name} ({instance_id})"),
        instance_id: instance_id.to_owned(),
        name: name.to_owned(),
        session_id: Some(format!("{owner}-1")),
        start: 1_790_000_000,
        seconds: 75.0,
        bytes: 2048,
        session: Some(SessionRow {
            session_id: format!("{owner}-1"),
            target: instance_id.to_owned(),
            name: name.to_owned(),
            owner: format!("arn:aws:iam::1:user/{owner}"),
            document: "SSM-SessionManagerRunShell".to_owned(),
            start: Some(1_790_000_000),
            end: Some(1_790_000_075),
            status: "Terminated".to_owned(),
            reason: String::new(),
            account: None,
        }),
        others: Vec::new(),
    }
}

fn with_recordings(read_only: bool) -> State {
    let mut state = with_screen(loaded());
    state.frame.read_only = read_only;
    assert_eq!(
        run_command(&mut state, "recordings"),
        vec![Effect::LoadRecordings]
    );
    assert_eq!(state.view, View::Recordings);
    let _ = update(
        &mut state,
        Input::RecordingsLoaded {
            rows: vec![
                recording("web.cast", "i-0web", "web-1", "alice"),
                recording("db.cast", "i-0db", "db-1", "bob"),
            ],
            errors: vec!["broken.cast: line 1: not an asciicast header".to_owned()],
        },
    );
    state
}

#[test]
fn the_filter_narrows_the_list_in_its_own_language() {
    let mut state = with_recordings(false);
    assert_eq!(state.recordings.visible.len(), 2);
    assert_eq!(
        state.recordings.errors.len(),
        1,
        "the unreadable file is said"
    );
    press(&mut state, KeyCode::Char('/'), KeyModifiers::NONE);
    for c in "owner:bob".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    let shown: Vec<&str> = state
        .recordings
        .visible_rows()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(shown, ["db-1"]);
    press(&mut state, KeyCode::Char('/'), KeyModifiers::NONE);
    for c in "colour:red".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    assert!(
        state
            .recordings
            .filter_error
            .as_deref()
            .is_some_and(|e| e.contains("unknown field \"colour\"")),
        "{:?}",
        state.recordings.filter_error
    );
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(
        state.recordings.filter.text(),
        "owner:bob",
        "esc goes back to the filter before"
    );
    assert_eq!(state.recordings.visible.len(), 1);
}

#[test]
fn enter_replays_the_selected_recording_in_a_pane_even_read_only() {
    let mut state = with_recordings(true);
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(effects.as_slice(), [Effect::OpenPanes(_)]),
        "{effects:?}"
    );
    assert_eq!(state.view, View::Panes);
    let pane = state.panes.workspace.focused().expect("a pane");
    assert_eq!(
        pane.target.replay.as_deref(),
        Some(std::path::Path::new("/state/bosun/recordings/db.cast"))
    );
    assert_eq!(pane.target.instance_id, "i-0db");
    assert_eq!(pane.target.name, "replay db-1");
}

/// A view named on the `:` line comes forward from any view, not only from the fleet.
#[test]
fn the_command_line_reaches_recordings_from_another_view() {
    let mut state = with_screen(loaded());
    press(&mut state, KeyCode::Char('S'), KeyModifiers::SHIFT);
    assert_eq!(state.view, View::Sessions);
    assert_eq!(
        run_command(&mut state, "recordings"),
        vec![Effect::LoadRecordings]
    );
    assert_eq!(state.view, View::Recordings);
    assert_eq!(run_command(&mut state, "nodes"), Vec::new());
    assert_eq!(state.view, View::Nodes);
}
