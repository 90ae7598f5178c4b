//! The fleet as its reads arrive: a refresh keeps the selection, rows show as sources
//! answer, and the whole read settles the errors and the marks.

use crate::app::test_support::*;

#[test]
fn a_refresh_keeps_the_selection_and_drops_marks_of_vanished_instances() {
    let mut state = loaded();
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    let _ = update(&mut state, Input::Action(Action::Top));
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    assert_eq!(state.fleet.marks.len(), 2);
    let _ = update(&mut state, Input::Action(Action::Top));
    let rows = vec![
        row("api-1", "i-01", Ping::Online, "us-east-1", "payments"),
        row("aaa-0", "i-00", Ping::Online, "us-east-1", "web"),
    ];
    let _ = update(
        &mut state,
        Input::InventoryLoaded {
            rows,
            pending: 0,
            errors: vec!["prod/eu-west-1: denied".into()],
            at: SystemTime::UNIX_EPOCH,
            throttled: true,
        },
    );
    assert_eq!(state.fleet.marks.iter().collect::<Vec<_>>(), ["i-01"]);
    assert_eq!(
        state.fleet.selected_row().map(|r| r.instance_id.as_str()),
        Some("i-01")
    );
    assert_eq!(state.fleet.errors.len(), 1);
    assert!(state.fleet.throttled);
}

#[test]
fn rows_show_as_sources_answer_and_the_whole_read_settles_errors_and_marks() {
    let mut state = loaded();
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    let marked: Vec<String> = state.fleet.marks.iter().cloned().collect();
    let _ = update(&mut state, Input::Action(Action::Refresh));
    let before = state.fleet.rows.len();
    // A part of the read: one more row, the marked instance's source not answered again yet.
    let _ = update(
        &mut state,
        Input::InventoryLoaded {
            rows: vec![row("zzz-1", "i-09", Ping::Online, "eu-west-1", "web")],
            pending: 7,
            errors: Vec::new(),
            at: SystemTime::UNIX_EPOCH,
            throttled: false,
        },
    );
    assert_eq!(state.fleet.rows.len(), before + 1, "a part adds its rows");
    assert!(state.fleet.loading, "still reading");
    assert_eq!(state.fleet.pending, 7);
    assert_eq!(
        state.fleet.marks.iter().cloned().collect::<Vec<_>>(),
        marked,
        "a mark survives a part of the read"
    );
    let _ = update(
        &mut state,
        Input::InventoryLoaded {
            rows: vec![row("zzz-1", "i-09", Ping::Online, "eu-west-1", "web")],
            pending: 0,
            errors: vec!["prod/eu-west-1: denied".into()],
            at: SystemTime::UNIX_EPOCH,
            throttled: false,
        },
    );
    assert!(!state.fleet.loading);
    assert!(
        state.fleet.marks.is_empty(),
        "gone once the whole read says so"
    );
    assert_eq!(state.fleet.errors.len(), 1);
}
