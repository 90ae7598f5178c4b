//! The Sessions view: `S` loads it, the terminate key asks once, --read-only refuses, and `D`
//! opens the doctor on the session's target.

use crate::app::test_support::*;
use crate::app::views::sessions::SessionEntry;
use crate::model::session::SessionRow;

fn entry(id: &str, target: &str, name: &str) -> SessionEntry {
    SessionEntry {
        row: SessionRow {
            session_id: id.to_owned(),
            target: target.to_owned(),
            name: name.to_owned(),
            owner: "arn:aws:iam::1:user/alice".to_owned(),
            document: "SSM-SessionManagerRunShell".to_owned(),
            start: Some(1),
            end: None,
            status: "Connected".to_owned(),
            reason: String::new(),
            account: None,
        },
        profile: "default".to_owned(),
        region: "us-east-1".to_owned(),
    }
}

fn with_sessions() -> State {
    let mut state = with_screen(loaded());
    assert_eq!(
        press(&mut state, KeyCode::Char('S'), KeyModifiers::SHIFT),
        vec![Effect::LoadSessions]
    );
    assert_eq!(state.view, View::Sessions);
    let _ = update(
        &mut state,
        Input::SessionsLoaded {
            entries: vec![
                entry("alice-1", "i-01", "api-1"),
                entry("bob-2", "i-02", "web-2"),
            ],
            errors: Vec::new(),
            recorded: ["bob-2".to_owned()].into(),
        },
    );
    assert!(state.sessions.recorded.contains("bob-2"));
    state
}

#[test]
fn terminating_asks_once_then_ends_the_selected_session() {
    let mut state = with_sessions();
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(
        press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE),
        Vec::new(),
        "the first press only asks"
    );
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("press x again") && n.contains("web-2")),
        "{:?}",
        state.frame.notice
    );
    assert_eq!(
        press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE),
        vec![Effect::TerminateSession {
            session_id: "bob-2".to_owned(),
            profile: "default".to_owned(),
            region: "us-east-1".to_owned(),
        }]
    );
    // Moving away disarms.
    press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE);
    press(&mut state, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(
        press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE),
        Vec::new()
    );
}

#[test]
fn read_only_refuses_and_d_opens_the_doctor_on_the_target() {
    let mut state = with_sessions();
    state.frame.read_only = true;
    press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE);
    assert_eq!(
        press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE),
        Vec::new()
    );
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("--read-only"))
    );
    let effects = press(&mut state, KeyCode::Char('D'), KeyModifiers::SHIFT);
    assert!(
        matches!(effects.as_slice(), [Effect::Diagnose { instance_id, .. }] if instance_id == "i-01"),
        "{effects:?}"
    );
    // Esc closes the doctor, another esc goes back to the fleet.
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.view, View::Fleet);
}

#[test]
fn this_consoles_own_pane_sessions_are_told_apart_and_not_ended_from_here() {
    let mut state = with_sessions();
    // A pane of this console holds alice-1.
    let pane = state
        .panes
        .workspace
        .open_tab(vec![FleetView::pane_target(&state.fleet.rows[0])])[0];
    let _ = update(
        &mut state,
        Input::PaneSession {
            pane,
            session_id: "alice-1".to_owned(),
        },
    );
    assert_eq!(state.panes.workspace.pane_of_session("alice-1"), Some(pane));
    for _ in 0..2 {
        assert!(press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE).is_empty());
    }
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("this console's pane") && n.contains("ctrl-] x")),
        "{:?}",
        state.frame.notice
    );
    // Once the pane's session has ended, it is a leftover like any other.
    let _ = update(
        &mut state,
        Input::PaneStatus {
            pane,
            status: PaneStatus::ended("the shell exited"),
        },
    );
    assert_eq!(state.panes.workspace.pane_of_session("alice-1"), None);
}

/// A session that carries one of this console's running tunnels is told apart too, and not
/// ended from the Sessions view (stopping the tunnel does that); once the tunnel stops, it
/// is a leftover like any other.
#[test]
fn this_consoles_own_tunnel_sessions_are_told_apart_and_not_ended_from_here() {
    let mut state = with_sessions();
    let id = state.tunnels.add(
        crate::model::tunnel::TunnelDef {
            name: "payments-db".to_owned(),
            target: "web-2".to_owned(),
            remote_host: None,
            remote_port: 5432,
            local_port: 0,
            bind: std::net::IpAddr::from([127, 0, 0, 1]),
            profile: None,
            region: None,
            sessions: 1,
            account: None,
            lazy: false,
            idle_after: None,
        },
        true,
    );
    // Started here (the Tunnels view's enter), and its session ready.
    state.tunnels.get_mut(id).expect("added").running = true;
    let _ = update(
        &mut state,
        Input::TunnelFact {
            id,
            fact: crate::app::views::tunnels::TunnelFact::SessionReady("alice-1".to_owned()),
        },
    );
    assert_eq!(
        state.tunnels.tunnel_of_session("alice-1"),
        Some("payments-db")
    );
    for _ in 0..2 {
        assert!(press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE).is_empty());
    }
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("this console's tunnel payments-db")),
        "{:?}",
        state.frame.notice
    );
    let _ = update(
        &mut state,
        Input::TunnelFact {
            id,
            fact: crate::app::views::tunnels::TunnelFact::Stopped { failed: None },
        },
    );
    assert_eq!(state.tunnels.tunnel_of_session("alice-1"), None);
}
