//! The panes: opening shells, the prefix, scrolling, quitting, ended panes, the mouse.

use crate::app::test_support::*;

#[test]
fn s_opens_a_shell_pane_and_typing_goes_to_it() {
    let mut state = with_screen(loaded());
    // The table is sorted by name: api-1, db-3, web-2. web-2 is Online.
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let effects = press(&mut state, KeyCode::Char('s'), KeyModifiers::NONE);
    let id = state.panes.workspace.focused().expect("a pane").id;
    assert_eq!(effects, vec![Effect::OpenPanes(vec![id])]);
    assert_eq!(state.view, View::Panes);
    assert_eq!(
        state
            .panes
            .workspace
            .focused()
            .map(|p| p.target.instance_id.as_str()),
        Some("i-02")
    );
    assert!(state.typing_to_pane());
    // Letters, ctrl-c and q are typing now, not console keys.
    for code in [KeyCode::Char('q'), KeyCode::Char('c'), KeyCode::Up] {
        assert_eq!(
            route::route(KeyEvent::new(code, KeyModifiers::CONTROL), &state),
            Some(route::Routed::Pane)
        );
    }
    assert_eq!(state.panes.workspace.input_targets(), vec![id]);
}

#[test]
fn unmanaged_instances_get_no_shell_and_say_why() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Down)); // db-3: not managed
    assert!(update(&mut state, Input::Action(Action::OpenShell)).is_empty());
    assert_eq!(state.view, View::Fleet);
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("not managed")),
        "{:?}",
        state.frame.notice
    );
}

#[test]
fn marked_rows_open_one_pane_each_in_a_new_tab() {
    let mut state = with_screen(loaded());
    online(&mut state, "api-1");
    let _ = update(&mut state, Input::Action(Action::ToggleMark)); // api-1
    let _ = update(&mut state, Input::Action(Action::ToggleMark)); // db-3, not managed
    let _ = update(&mut state, Input::Action(Action::ToggleMark)); // web-2
    let effects = update(&mut state, Input::Action(Action::OpenShell));
    let Effect::OpenPanes(ids) = &effects[0] else {
        panic!("{effects:?}");
    };
    assert_eq!(ids.len(), 2);
    assert_eq!(state.panes.workspace.tabs.len(), 1);
    assert!(state.fleet.marks.is_empty());
}

/// Of marked rows, those whose agent is not Online are left out and named, not opened to fail.
#[test]
fn marked_rows_that_cannot_take_a_session_are_left_out_and_said() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::ToggleMark)); // api-1, ConnectionLost
    let _ = update(&mut state, Input::Action(Action::ToggleMark)); // db-3, not managed
    let _ = update(&mut state, Input::Action(Action::ToggleMark)); // web-2
    let effects = update(&mut state, Input::Action(Action::OpenShell));
    let Effect::OpenPanes(ids) = &effects[0] else {
        panic!("{effects:?}");
    };
    assert_eq!(ids.len(), 1, "web-2 alone");
    let notice = state.frame.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("api-1 (ConnectionLost)")
            && notice.contains("db-3 (not managed)")
            && notice.contains("cannot take a session"),
        "{notice}"
    );
}

/// Makes the test fleet's row `name` Online.
fn online(state: &mut State, name: &str) {
    for row in state.fleet.rows.iter_mut().filter(|r| r.name == name) {
        row.ping = crate::model::instance::Ping::Online;
    }
    state.fleet.rebuild();
}

/// ctrl-] over the fleet leads to the panes with the prefix armed, so the next key is a pane
/// command: `ctrl-] f` types nothing into a pane.
#[test]
fn the_prefix_over_the_fleet_is_a_prefix_not_typing() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let _ = update(&mut state, Input::Action(Action::ShowFleet));
    assert_eq!(state.view, View::Fleet);
    press(&mut state, KeyCode::Char(']'), KeyModifiers::CONTROL);
    assert_eq!(state.view, View::Panes);
    assert_eq!(state.panes.mode, PaneMode::Prefix);
    let routed = route::route(
        KeyEvent::new(KeyCode::Char('f'), KeyModifiers::NONE),
        &state,
    );
    // After the prefix `f` is the fleet: over the fleet, ctrl-] f leaves you where you were,
    // and nothing reaches a pane.
    assert_eq!(
        routed,
        Some(route::Routed::App(Input::Action(Action::ShowFleet)))
    );
    let effects = press(&mut state, KeyCode::Char('f'), KeyModifiers::NONE);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(state.view, View::Fleet);
    assert_eq!(state.panes.mode, PaneMode::Typing);
}

#[test]
fn the_prefix_is_one_shot_and_drives_the_panes() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let first = state.panes.workspace.focused().expect("pane").id;
    let effects = prefix(&mut state, KeyCode::Char('|'));
    let second = state.panes.workspace.focused().expect("pane").id;
    assert_eq!(effects, vec![Effect::OpenPanes(vec![second])]);
    assert_eq!(
        state.panes.mode,
        PaneMode::Typing,
        "one key, then typing again"
    );
    prefix(&mut state, KeyCode::Left);
    assert_eq!(state.panes.workspace.focused().map(|p| p.id), Some(first));
    prefix(&mut state, KeyCode::Char('z'));
    assert!(state.panes.workspace.tab().is_some_and(|t| t.zoomed));
    // An unknown key cancels the prefix and is not typed.
    press(&mut state, KeyCode::Char(']'), KeyModifiers::CONTROL);
    let _ = update(&mut state, Input::PrefixCancelled);
    assert_eq!(state.panes.mode, PaneMode::Typing);
    // ctrl-] twice sends ctrl-] itself.
    assert_eq!(
        prefix(&mut state, KeyCode::Char(']')).len(),
        0,
        "plain ] after the prefix is not a binding"
    );
    press(&mut state, KeyCode::Char(']'), KeyModifiers::CONTROL);
    assert_eq!(
        press(&mut state, KeyCode::Char('5'), KeyModifiers::CONTROL),
        vec![Effect::SendPrefix]
    );
    let effects = prefix(&mut state, KeyCode::Char('x'));
    assert_eq!(effects, vec![Effect::ClosePanes(vec![first])]);
    assert_eq!(state.panes.workspace.panes.len(), 1);
    prefix(&mut state, KeyCode::Char('f'));
    assert_eq!(state.view, View::Fleet);
    assert_eq!(
        press(&mut state, KeyCode::Tab, KeyModifiers::NONE),
        Vec::new()
    );
    assert_eq!(state.view, View::Panes, "tab goes back to the panes");
}

/// Copy mode keeps its keys until it is left: `[` starts it at the bottom, PgUp after the
/// prefix a page up; the keys move, select, copy and search through the pane's emulator.
#[test]
fn copy_mode_keeps_its_keys_until_left() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let pane = state.panes.workspace.focused().expect("pane").id;
    let key = |key| vec![Effect::CopyKey { pane, key }];
    assert_eq!(
        prefix(&mut state, KeyCode::Char('[')),
        vec![Effect::EnterCopy(pane)]
    );
    assert_eq!(state.panes.mode, PaneMode::Scroll);
    assert_eq!(
        press(&mut state, KeyCode::Esc, KeyModifiers::NONE),
        vec![Effect::LeaveCopy(pane)]
    );
    assert_eq!(
        prefix(&mut state, KeyCode::PageUp),
        vec![
            Effect::EnterCopy(pane),
            Effect::CopyKey {
                pane,
                key: CopyKey::PageUp
            }
        ]
    );
    for (code, modifiers, expected) in [
        (KeyCode::Char('k'), KeyModifiers::NONE, CopyKey::Up),
        (KeyCode::Down, KeyModifiers::NONE, CopyKey::Down),
        (KeyCode::Char('h'), KeyModifiers::NONE, CopyKey::Left),
        (KeyCode::Right, KeyModifiers::NONE, CopyKey::Right),
        (KeyCode::Char('g'), KeyModifiers::NONE, CopyKey::Top),
        (KeyCode::Char('G'), KeyModifiers::SHIFT, CopyKey::Bottom),
        (KeyCode::Char('v'), KeyModifiers::NONE, CopyKey::Select),
        (
            KeyCode::Char('V'),
            KeyModifiers::SHIFT,
            CopyKey::SelectLines,
        ),
        (KeyCode::Char('n'), KeyModifiers::NONE, CopyKey::Next),
        (KeyCode::Char('N'), KeyModifiers::SHIFT, CopyKey::Previous),
    ] {
        assert_eq!(
            press(&mut state, code, modifiers),
            key(expected),
            "{code:?}"
        );
        assert_eq!(state.panes.mode, PaneMode::Scroll);
    }
    // `?` opens the search prompt upward; esc closes the prompt, not copy mode.
    press(&mut state, KeyCode::Char('?'), KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::PaneSearch);
    for c in "err".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::Table);
    assert_eq!(state.panes.mode, PaneMode::Scroll);
    press(&mut state, KeyCode::Char('/'), KeyModifiers::NONE);
    for c in "ERROR".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::SHIFT);
    }
    press(&mut state, KeyCode::Backspace, KeyModifiers::NONE);
    assert_eq!(
        press(&mut state, KeyCode::Enter, KeyModifiers::NONE),
        key(CopyKey::Search {
            pattern: "ERRO".to_owned(),
            forward: true
        })
    );
    // y copies and leaves.
    assert_eq!(
        press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE),
        vec![Effect::CopySelection(pane)]
    );
    assert_eq!(state.panes.mode, PaneMode::Typing);
    assert_eq!(state.view, View::Panes);
}

/// A mouse drag selects within the pane it began in, and copies when let go; a click is
/// only a click.
#[test]
fn a_mouse_drag_selects_within_one_pane_and_copies() {
    let mut state = with_screen(loaded());
    online(&mut state, "api-1");
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let ids = state.panes.workspace.tab().expect("tab").panes();
    let mouse =
        |state: &mut State, kind, column, row| update(state, Input::Mouse { kind, column, row });
    assert!(mouse(&mut state, MouseKind::Press, 10, 5).is_empty());
    assert!(
        mouse(&mut state, MouseKind::Release, 10, 5).is_empty(),
        "a click"
    );
    assert_eq!(state.panes.mode, PaneMode::Typing);
    mouse(&mut state, MouseKind::Press, 10, 5);
    let effects = mouse(&mut state, MouseKind::Drag, 20, 7);
    let pane = ids[0];
    assert_eq!(effects[0], Effect::EnterCopy(pane));
    let Effect::CopyKey {
        key: CopyKey::Drag { from, to },
        ..
    } = &effects[1]
    else {
        panic!("{effects:?}");
    };
    // Dragged across into the other pane: the selection stays in the first, at its edge.
    let effects = mouse(&mut state, MouseKind::Drag, 150, 7);
    let Effect::CopyKey {
        pane: still,
        key: CopyKey::Drag { to: edge, .. },
    } = &effects[0]
    else {
        panic!("{effects:?}");
    };
    assert_eq!(*still, pane);
    assert!(edge.1 > to.1 && from.0 < to.0, "{from:?} {to:?} {edge:?}");
    assert_eq!(
        mouse(&mut state, MouseKind::Release, 150, 7),
        vec![Effect::CopySelection(pane)]
    );
    assert_eq!(state.panes.mode, PaneMode::Typing);
}

#[test]
fn quitting_with_shells_open_asks_twice() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    assert!(prefix(&mut state, KeyCode::Char('q')).is_empty());
    assert!(state.frame.quit_armed);
    assert_eq!(prefix(&mut state, KeyCode::Char('q')), vec![Effect::Quit]);
    // Anything in between disarms it.
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    prefix(&mut state, KeyCode::Char('f'));
    let _ = update(&mut state, Input::Action(Action::Quit));
    let _ = update(&mut state, Input::Action(Action::Up));
    assert!(update(&mut state, Input::Action(Action::Quit)).is_empty());
}

#[test]
fn read_only_refuses_shells() {
    let mut state = with_screen(loaded());
    state.frame.read_only = true;
    let _ = update(&mut state, Input::Action(Action::Bottom));
    assert!(update(&mut state, Input::Action(Action::OpenShell)).is_empty());
    assert!(state.panes.workspace.is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("read-only"))
    );
}

#[test]
fn an_ended_pane_offers_reconnect_and_close() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let pane = state.panes.workspace.focused().expect("pane").id;
    let _ = update(
        &mut state,
        Input::PaneStatus {
            pane,
            status: PaneStatus::ended("the shell exited"),
        },
    );
    assert!(state.panes.workspace.input_targets().is_empty());
    assert_eq!(
        press(&mut state, KeyCode::Char('a'), KeyModifiers::NONE),
        Vec::new(),
        "typing into an ended session goes nowhere"
    );
    assert_eq!(
        press(&mut state, KeyCode::Char('r'), KeyModifiers::NONE),
        vec![Effect::Reconnect(pane)]
    );
    assert_eq!(
        state.panes.workspace.focused().map(|p| p.status.clone()),
        Some(PaneStatus::Connecting)
    );
}

/// An ended pane lets go: esc goes back to the fleet, q quits at once when nothing live is
/// left (the ended pane ends nothing), and asks, counting live sessions only, when one is.
#[test]
fn an_ended_pane_lets_go_with_esc_and_q() {
    let mut state = with_screen(loaded());
    online(&mut state, "api-1");
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let ids = state.panes.workspace.tab().expect("tab").panes();
    let end = |state: &mut State, pane| {
        let _ = update(
            state,
            Input::PaneStatus {
                pane,
                status: PaneStatus::Ended {
                    reason: EndReason::ClosedHere,
                },
            },
        );
    };
    end(&mut state, ids[0]);
    assert_eq!(state.panes.workspace.focused().map(|p| p.id), Some(ids[0]));
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.view, View::Fleet, "esc leaves the ended pane");
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(state.view, View::Panes);
    assert!(press(&mut state, KeyCode::Char('q'), KeyModifiers::NONE).is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.starts_with("1 shell session open: press q again")),
        "{:?}",
        state.frame.notice
    );
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    end(&mut state, ids[1]);
    assert_eq!(
        press(&mut state, KeyCode::Char('q'), KeyModifiers::NONE),
        vec![Effect::Quit],
        "nothing live: q quits at once"
    );
}

#[test]
fn mouse_focuses_and_scrolls_the_pane_under_it() {
    let mut state = with_screen(loaded());
    online(&mut state, "api-1");
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::ToggleMark));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let ids = state.panes.workspace.tab().expect("tab").panes();
    let _ = update(
        &mut state,
        Input::Mouse {
            kind: MouseKind::Press,
            column: 120,
            row: 10,
        },
    );
    assert_eq!(state.panes.workspace.focused().map(|p| p.id), Some(ids[1]));
    assert_eq!(
        update(
            &mut state,
            Input::Mouse {
                kind: MouseKind::WheelUp,
                column: 5,
                row: 10,
            },
        ),
        vec![Effect::ScrollPane {
            pane: ids[0],
            lines: 3
        }]
    );
}
