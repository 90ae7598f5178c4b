//! The Tunnels view and the shift-f form.

use crate::app::test_support::*;

fn with_saved_tunnels() -> State {
    let mut state = with_screen(loaded());
    let def = |name: &str, port: u16| crate::model::tunnel::TunnelDef {
        name: name.to_owned(),
        target: "payments-bastion".to_owned(),
        remote_host: Some(format!("{name}.internal")),
        remote_port: port,
        local_port: 0,
        bind: std::net::IpAddr::from([127, 0, 0, 1]),
        profile: None,
        region: None,
        sessions: 1,
        account: None,
        lazy: false,
        idle_after: None,
    };
    state.tunnels.add(def("db", 5432), true);
    state.tunnels.add(def("cache", 6379), true);
    state.tunnels.groups.insert(
        "payments".to_owned(),
        vec!["db".to_owned(), "cache".to_owned()],
    );
    state
}

#[test]
fn one_key_starts_and_stops_a_saved_tunnel_group() {
    let mut state = with_saved_tunnels();
    press(&mut state, KeyCode::Char('t'), KeyModifiers::NONE);
    assert_eq!(state.view, View::Tunnels);
    // The group row is first: enter starts both members.
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::StartTunnel(1), Effect::StartTunnel(2)]
    );
    assert_eq!(state.tunnels.running_count(), 2);
    // Enter again stops them.
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(effects, vec![Effect::StopTunnel(1), Effect::StopTunnel(2)]);
    // One member on its own.
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(
        press(&mut state, KeyCode::Char(' '), KeyModifiers::NONE),
        vec![Effect::StartTunnel(1)]
    );
    // Saved tunnels are not removed; esc goes back to the fleet.
    assert!(press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE).is_empty());
    assert_eq!(state.tunnels.entries.len(), 2);
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.view, View::Fleet);
    // Quitting with a tunnel running asks first; another key cancels the question, and its
    // notice goes (in the Tunnels view too, where notices stay until replaced).
    assert!(press(&mut state, KeyCode::Char('q'), KeyModifiers::NONE).is_empty());
    assert!(state.frame.quit_armed);
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("press q again"))
    );
    press(&mut state, KeyCode::Char('t'), KeyModifiers::NONE);
    press(&mut state, KeyCode::Char('q'), KeyModifiers::NONE);
    assert!(state.frame.quit_armed, "asked again in the Tunnels view");
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    assert!(!state.frame.quit_armed);
    assert_eq!(state.frame.notice, None, "the question's notice is gone");
}

#[test]
fn shift_f_opens_a_form_that_starts_a_tunnel() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom)); // web-2
    press(&mut state, KeyCode::Char('F'), KeyModifiers::SHIFT);
    assert_eq!(state.mode(), Mode::TunnelForm);
    // Enter without a remote port: the form says why and stays.
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(state.tunnel_form().is_some_and(|f| f.error.is_some()));
    for c in "8080".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    for c in "grafana.internal".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    let [Effect::StartTunnel(id)] = effects[..] else {
        panic!("{effects:?}");
    };
    let entry = state.tunnels.get(id).expect("added");
    assert_eq!(entry.def.name, "web-2:8080");
    assert_eq!(entry.def.target, "i-02");
    assert_eq!(entry.def.remote(), "grafana.internal:8080");
    assert!(!entry.saved && entry.running);
    assert_eq!(state.view, View::Tunnels);
    // A tunnel started here can be removed (and is stopped).
    assert_eq!(
        press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE),
        vec![Effect::StopTunnel(id)]
    );
    assert!(state.tunnels.entries.is_empty());
}

#[test]
fn read_only_refuses_tunnels() {
    let mut state = with_saved_tunnels();
    state.frame.read_only = true;
    press(&mut state, KeyCode::Char('F'), KeyModifiers::SHIFT);
    assert_eq!(state.mode(), Mode::Table, "no form");
    press(&mut state, KeyCode::Char('t'), KeyModifiers::NONE);
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("read-only"))
    );
    assert_eq!(state.tunnels.running_count(), 0);
}

/// Every key the list views share (their key tables' common part, which the help lists)
/// does something in each of them: moves, leaves, quits, opens the help or the `:` line, or
/// says why not.
#[test]
fn every_shared_list_key_acts_in_every_list_view() {
    use crate::app::views::runs::RunWatch;
    use crate::app::views::runs::keys::{HISTORY, RUN};
    use crate::app::views::tunnels::keys::TUNNELS;
    use crate::model::run::{HistoryEntry, InvocationView};

    let invocation = |id: &str| InvocationView {
        command_id: "c-1".to_owned(),
        instance_id: id.to_owned(),
        status: "Success".into(),
        ..InvocationView::default()
    };
    let mut tunnels = with_saved_tunnels();
    tunnels.view = View::Tunnels;
    let mut run = with_screen(loaded());
    let mut watch = RunWatch::reopen(&HistoryEntry::default());
    watch.invocations = (0..5).map(|i| invocation(&format!("i-{i}"))).collect();
    run.runs.watch = Some(watch);
    run.view = View::Run;
    let mut history = with_screen(loaded());
    history.runs.history = Some(vec![HistoryEntry::default(); 5]);
    history.view = View::History;
    for (table, mut state) in [(&TUNNELS, tunnels), (&RUN, run), (&HISTORY, history)] {
        // From the middle of the list, so that every move moves.
        state.tunnels.selected = 1;
        state.runs.history_selected = 2;
        if let Some(run) = state.runs.watch.as_mut() {
            run.selected = 2;
        }
        for binding in table.bindings[1] {
            let mut after = state.clone();
            let effects = update(&mut after, Input::Action(binding.action));
            assert!(
                after != state || !effects.is_empty(),
                "{}: {:?} does nothing",
                table.title,
                binding.action
            );
        }
    }
}

/// A background tunnel as the process lists it.
fn listed(name: &str, state: crate::model::tunnel_api::State) -> crate::model::tunnel_api::Status {
    crate::model::tunnel_api::Status {
        name: name.to_owned(),
        target: "payments-bastion".to_owned(),
        instance_id: Some("i-0abc".to_owned()),
        destination: "db.internal:5432".to_owned(),
        address: Some("127.0.0.2:5432".to_owned()),
        state,
        lazy: true,
        idle_minutes: None,
        sessions: 1,
        sessions_wanted: 1,
        active: 0,
        connections: 3,
        bytes_up: 100,
        bytes_down: 2000,
        uptime_seconds: 60,
        last_error: None,
        hint: None,
    }
}

#[test]
fn b_hands_a_group_to_the_background_and_its_rows_follow_the_process() {
    use crate::model::tunnel_api::State as Bg;
    let mut state = with_saved_tunnels();
    press(&mut state, KeyCode::Char('t'), KeyModifiers::NONE);
    let effects = press(&mut state, KeyCode::Char('b'), KeyModifiers::NONE);
    let [Effect::BackgroundUp(defs)] = &effects[..] else {
        panic!("{effects:?}");
    };
    assert_eq!(
        defs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["db", "cache"]
    );
    // The process lists one of them, and one the console has no row for.
    let _ = crate::app::update::update(
        &mut state,
        Input::BackgroundTunnels(Some(vec![listed("db", Bg::Up), listed("adhoc", Bg::Idle)])),
    );
    let db = state.tunnels.get(1).expect("db");
    assert_eq!(db.state(), "bg up");
    assert_eq!(db.live.local.as_deref(), Some("127.0.0.2:5432"));
    assert_eq!(state.tunnels.background_count(), 2);
    assert_eq!(
        state.tunnels.running_count(),
        0,
        "quitting ends none of them"
    );
    let adhoc = state
        .tunnels
        .entries
        .iter()
        .find(|e| e.def.name == "adhoc")
        .expect("a row of its own");
    assert_eq!((adhoc.def.remote_port, adhoc.saved), (5432, false));
    // Enter over the group stops what runs in the background, by name.
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(effects, vec![Effect::BackgroundDown(vec!["db".to_owned()])]);
    // Once the process no longer has them, the saved row stays (stopped), the other goes.
    let _ = crate::app::update::update(&mut state, Input::BackgroundTunnels(None));
    assert_eq!(state.tunnels.get(1).expect("db").state(), "stopped");
    assert!(state.tunnels.entries.iter().all(|e| e.def.name != "adhoc"));
}

#[test]
fn w_tunnels_to_a_windows_instances_desktop_and_opens_the_client_when_ready() {
    use crate::app::views::tunnels::TunnelFact;
    let mut state = with_screen(loaded());
    // A Linux row is refused with why.
    assert!(press(&mut state, KeyCode::Char('W'), KeyModifiers::NONE).is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("not a Windows instance")),
        "{:?}",
        state.frame.notice
    );
    let selected = state.fleet.visible[state.fleet.selected];
    state.fleet.rows[selected].platform = "Windows".to_owned();
    let effects = press(&mut state, KeyCode::Char('W'), KeyModifiers::NONE);
    let [Effect::StartTunnel(id)] = effects[..] else {
        panic!("{effects:?}");
    };
    let entry = state.tunnels.get(id).expect("a tunnel");
    assert_eq!(entry.def.remote_port, 3389);
    assert!(entry.def.bind.is_loopback());
    let tell =
        |state: &mut State, fact| crate::app::update::update(state, Input::TunnelFact { id, fact });
    assert!(
        tell(
            &mut state,
            TunnelFact::Listening {
                local: "127.0.0.1:53389".to_owned(),
                instance_id: "i-02".to_owned(),
            }
        )
        .is_empty()
    );
    assert_eq!(
        tell(&mut state, TunnelFact::SessionReady("s-1".to_owned())),
        vec![Effect::LaunchRdp("127.0.0.1:53389".to_owned())]
    );
    // Once: a replaced session does not open a second client.
    assert!(tell(&mut state, TunnelFact::SessionReady("s-2".to_owned())).is_empty());
}
