//! Reducer tests: actions and inventory loads in, state and effects out, no terminal.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::columns;
use crate::app::keymap::{self, input_for};
use crate::app::panes::PaneStatus;
use crate::model::instance::{InstanceRow, Ping};

pub(crate) fn row(name: &str, id: &str, ping: Ping, region: &str, team: &str) -> InstanceRow {
    let mut tags = BTreeMap::new();
    tags.insert("Name".to_owned(), name.to_owned());
    tags.insert("Team".to_owned(), team.to_owned());
    InstanceRow {
        name: name.to_owned(),
        instance_id: id.to_owned(),
        ping,
        last_ping_age: Some(30),
        agent_version: Some("3.3.987.0".to_owned()),
        agent_outdated: false,
        platform: "Linux".to_owned(),
        platform_name: None,
        private_ip: Some("10.0.0.1".to_owned()),
        ec2_state: Some("running".to_owned()),
        instance_type: Some("t3.micro".to_owned()),
        availability_zone: Some(format!("{region}a")),
        region: region.to_owned(),
        profile: "default".to_owned(),
        account: None,
        vpc_id: None,
        subnet_id: None,
        iam_instance_profile: None,
        tags,
    }
}

fn loaded() -> State {
    let mut state = State::new("test");
    let rows = vec![
        row("web-2", "i-02", Ping::Online, "us-east-1", "web"),
        row(
            "api-1",
            "i-01",
            Ping::ConnectionLost,
            "us-east-1",
            "payments",
        ),
        row("db-3", "i-03", Ping::NotManaged, "eu-west-1", "payments"),
    ];
    update(
        &mut state,
        Input::InventoryLoaded {
            rows,
            errors: Vec::new(),
            at: SystemTime::UNIX_EPOCH,
            throttled: false,
        },
    );
    state
}

fn names(state: &State) -> Vec<&str> {
    state
        .visible
        .iter()
        .map(|&i| state.rows[i].name.as_str())
        .collect()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn rows_arrive_sorted_by_name_and_can_be_resorted() {
    let mut state = loaded();
    assert_eq!(names(&state), ["api-1", "db-3", "web-2"]);
    assert!(!state.loading);
    update(&mut state, Input::Action(Action::SortNext));
    assert_eq!(state.sort, columns::Column::Instance);
    assert_eq!(names(&state), ["api-1", "web-2", "db-3"]);
    update(&mut state, Input::Action(Action::SortNext));
    assert_eq!(state.sort, columns::Column::Ping);
    assert_eq!(names(&state), ["web-2", "api-1", "db-3"]);
    update(&mut state, Input::Action(Action::SortReverse));
    assert_eq!(names(&state), ["db-3", "api-1", "web-2"]);
}

#[test]
fn typing_a_filter_narrows_the_table_and_esc_clears_it() {
    let mut state = loaded();
    update(&mut state, Input::Action(Action::Filter));
    assert_eq!(state.mode, Mode::Filter);
    for c in "tag:Team=payments !status:unmanaged".chars() {
        update(&mut state, Input::FilterChar(c));
    }
    assert_eq!(names(&state), ["api-1"]);
    update(&mut state, Input::FilterDone);
    assert_eq!(state.mode, Mode::Table);
    update(&mut state, Input::Action(Action::Back));
    assert_eq!(names(&state).len(), 3, "esc clears the filter");
}

#[test]
fn an_unfinished_filter_keeps_the_last_result_and_says_why() {
    let mut state = loaded();
    update(&mut state, Input::Action(Action::Filter));
    for c in "tag:Team=payments status:".chars() {
        update(&mut state, Input::FilterChar(c));
    }
    assert!(state.filter_error.is_some());
    // "status:" alone is not a filter yet: the last valid one ("... status", a word) holds.
    assert_eq!(names(&state).len(), 0);
    update(&mut state, Input::FilterBackspace);
    update(&mut state, Input::FilterBackspace);
    update(&mut state, Input::FilterBackspace);
    update(&mut state, Input::FilterBackspace);
    update(&mut state, Input::FilterBackspace);
    update(&mut state, Input::FilterBackspace);
    update(&mut state, Input::FilterBackspace);
    assert_eq!(names(&state), ["api-1", "db-3"]);
    for c in " status:".chars() {
        update(&mut state, Input::FilterChar(c));
    }
    for c in "lost".chars() {
        update(&mut state, Input::FilterChar(c));
    }
    assert_eq!(state.filter_error, None);
    assert_eq!(names(&state), ["api-1"]);
}

#[test]
fn moving_marking_and_details() {
    let mut state = loaded();
    update(&mut state, Input::Action(Action::Down));
    assert_eq!(state.selected_row().map(|r| r.name.as_str()), Some("db-3"));
    update(&mut state, Input::Action(Action::ToggleMark));
    assert!(state.marks.contains("i-03"));
    assert_eq!(state.selected, 2, "marking moves down, as in k9s");
    update(&mut state, Input::Action(Action::Down));
    assert_eq!(state.selected, 2, "the last row stays selected");
    update(&mut state, Input::Action(Action::Top));
    update(&mut state, Input::Action(Action::Detail));
    assert_eq!(state.mode, Mode::Detail);
    update(&mut state, Input::Action(Action::Back));
    assert_eq!(state.mode, Mode::Table);
    update(&mut state, Input::Action(Action::Back));
    assert!(state.marks.is_empty(), "esc in the table clears the marks");
}

#[test]
fn a_refresh_keeps_the_selection_and_drops_marks_of_vanished_instances() {
    let mut state = loaded();
    update(&mut state, Input::Action(Action::Bottom));
    update(&mut state, Input::Action(Action::ToggleMark));
    update(&mut state, Input::Action(Action::Top));
    update(&mut state, Input::Action(Action::ToggleMark));
    assert_eq!(state.marks.len(), 2);
    update(&mut state, Input::Action(Action::Top));
    let rows = vec![
        row("api-1", "i-01", Ping::Online, "us-east-1", "payments"),
        row("aaa-0", "i-00", Ping::Online, "us-east-1", "web"),
    ];
    update(
        &mut state,
        Input::InventoryLoaded {
            rows,
            errors: vec!["prod/eu-west-1: denied".into()],
            at: SystemTime::UNIX_EPOCH,
            throttled: true,
        },
    );
    assert_eq!(state.marks.iter().collect::<Vec<_>>(), ["i-01"]);
    assert_eq!(
        state.selected_row().map(|r| r.instance_id.as_str()),
        Some("i-01")
    );
    assert_eq!(state.errors.len(), 1);
    assert!(state.throttled);
}

#[test]
fn keys_map_to_intents_and_quit_and_refresh_are_effects() {
    let mut state = loaded();
    assert_eq!(
        input_for(key(KeyCode::Char('/')), Mode::Table),
        Some(Input::Action(Action::Filter))
    );
    assert_eq!(
        input_for(key(KeyCode::Char('q')), Mode::Filter),
        Some(Input::FilterChar('q')),
        "q types in the filter"
    );
    assert_eq!(
        input_for(
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Mode::Filter
        ),
        Some(Input::Action(Action::Quit))
    );
    assert_eq!(
        update(&mut state, Input::Action(Action::Refresh)),
        vec![Effect::Refresh]
    );
    assert!(state.loading);
    assert_eq!(
        update(&mut state, Input::Action(Action::Quit)),
        vec![Effect::Quit]
    );
    update(&mut state, Input::Action(Action::Help));
    assert_eq!(state.mode, Mode::Help);
    update(&mut state, Input::Action(Action::Down));
    assert_eq!(state.mode, Mode::Table, "any key closes the help");
}

#[test]
fn the_table_scrolls_just_enough_to_keep_the_selection_visible() {
    let mut state = State::new("test");
    let rows = (0..100)
        .map(|n| {
            row(
                &format!("host-{n:03}"),
                &format!("i-{n:03}"),
                Ping::Online,
                "us-east-1",
                "web",
            )
        })
        .collect();
    update(
        &mut state,
        Input::InventoryLoaded {
            rows,
            errors: Vec::new(),
            at: SystemTime::UNIX_EPOCH,
            throttled: false,
        },
    );
    update(
        &mut state,
        Input::Resized {
            width: 120,
            height: 16,
        },
    );
    for _ in 0..12 {
        update(&mut state, Input::Action(Action::Down));
    }
    assert_eq!((state.selected, state.offset), (12, 3));
    update(&mut state, Input::Action(Action::Up));
    assert_eq!(
        (state.selected, state.offset),
        (11, 3),
        "moving up inside the page does not scroll"
    );
    update(&mut state, Input::Action(Action::Bottom));
    assert_eq!((state.selected, state.offset), (99, 90));
    update(&mut state, Input::Action(Action::Top));
    assert_eq!(state.offset, 0);
}

fn press(state: &mut State, code: KeyCode, modifiers: KeyModifiers) -> Vec<Effect> {
    match keymap::route(KeyEvent::new(code, modifiers), state) {
        Some(keymap::Routed::App(input)) => update(state, input),
        Some(keymap::Routed::Pane) | None => Vec::new(),
    }
}

fn prefix(state: &mut State, code: KeyCode) -> Vec<Effect> {
    assert_eq!(
        keymap::route(
            KeyEvent::new(KeyCode::Char(']'), KeyModifiers::CONTROL),
            state
        ),
        Some(keymap::Routed::App(Input::Action(Action::Prefix)))
    );
    press(state, KeyCode::Char(']'), KeyModifiers::CONTROL);
    assert_eq!(state.pane_mode, PaneMode::Prefix);
    press(state, code, KeyModifiers::NONE)
}

fn with_screen(mut state: State) -> State {
    update(
        &mut state,
        Input::Resized {
            width: 160,
            height: 48,
        },
    );
    state
}

#[test]
fn s_opens_a_shell_pane_and_typing_goes_to_it() {
    let mut state = with_screen(loaded());
    // The table is sorted by name: api-1, db-3, web-2. web-2 is Online.
    update(&mut state, Input::Action(Action::Bottom));
    let effects = press(&mut state, KeyCode::Char('s'), KeyModifiers::NONE);
    let id = state.workspace.focused().expect("a pane").id;
    assert_eq!(effects, vec![Effect::OpenPanes(vec![id])]);
    assert_eq!(state.view, View::Panes);
    assert_eq!(
        state
            .workspace
            .focused()
            .map(|p| p.target.instance_id.as_str()),
        Some("i-02")
    );
    assert!(state.typing_to_pane());
    // Letters, ctrl-c and q are typing now, not console keys.
    for code in [KeyCode::Char('q'), KeyCode::Char('c'), KeyCode::Up] {
        assert_eq!(
            keymap::route(KeyEvent::new(code, KeyModifiers::CONTROL), &state),
            Some(keymap::Routed::Pane)
        );
    }
    assert_eq!(state.workspace.input_targets(), vec![id]);
}

#[test]
fn unmanaged_instances_get_no_shell_and_say_why() {
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::Down)); // db-3: not managed
    assert!(update(&mut state, Input::Action(Action::OpenShell)).is_empty());
    assert_eq!(state.view, View::Fleet);
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("not managed")),
        "{:?}",
        state.notice
    );
}

#[test]
fn marked_rows_open_one_pane_each_in_a_new_tab() {
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::ToggleMark)); // api-1
    update(&mut state, Input::Action(Action::ToggleMark)); // db-3, not managed
    update(&mut state, Input::Action(Action::ToggleMark)); // web-2
    let effects = update(&mut state, Input::Action(Action::OpenShell));
    let Effect::OpenPanes(ids) = &effects[0] else {
        panic!("{effects:?}");
    };
    assert_eq!(ids.len(), 2);
    assert_eq!(state.workspace.tabs.len(), 1);
    assert!(state.marks.is_empty());
}

#[test]
fn the_prefix_is_one_shot_and_drives_the_panes() {
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::Bottom));
    update(&mut state, Input::Action(Action::OpenShell));
    let first = state.workspace.focused().expect("pane").id;
    let effects = prefix(&mut state, KeyCode::Char('|'));
    let second = state.workspace.focused().expect("pane").id;
    assert_eq!(effects, vec![Effect::OpenPanes(vec![second])]);
    assert_eq!(
        state.pane_mode,
        PaneMode::Typing,
        "one key, then typing again"
    );
    prefix(&mut state, KeyCode::Left);
    assert_eq!(state.workspace.focused().map(|p| p.id), Some(first));
    prefix(&mut state, KeyCode::Char('z'));
    assert!(state.workspace.tab().is_some_and(|t| t.zoomed));
    // An unknown key cancels the prefix and is not typed.
    press(&mut state, KeyCode::Char(']'), KeyModifiers::CONTROL);
    update(&mut state, Input::PrefixCancelled);
    assert_eq!(state.pane_mode, PaneMode::Typing);
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
    assert_eq!(state.workspace.panes.len(), 1);
    prefix(&mut state, KeyCode::Char('f'));
    assert_eq!(state.view, View::Fleet);
    assert_eq!(
        press(&mut state, KeyCode::Tab, KeyModifiers::NONE),
        Vec::new()
    );
    assert_eq!(state.view, View::Panes, "tab goes back to the panes");
}

#[test]
fn scroll_mode_keeps_its_keys_until_left() {
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::Bottom));
    update(&mut state, Input::Action(Action::OpenShell));
    let pane = state.workspace.focused().expect("pane").id;
    let effects = prefix(&mut state, KeyCode::Char('['));
    assert_eq!(state.pane_mode, PaneMode::Scroll);
    assert!(matches!(effects[..], [Effect::ScrollPane { lines, .. }] if lines > 1));
    assert_eq!(
        press(&mut state, KeyCode::Char('k'), KeyModifiers::NONE),
        vec![Effect::ScrollPane { pane, lines: 1 }]
    );
    assert_eq!(
        press(&mut state, KeyCode::Down, KeyModifiers::NONE),
        vec![Effect::ScrollPane { pane, lines: -1 }]
    );
    assert_eq!(state.pane_mode, PaneMode::Scroll);
    assert_eq!(
        press(&mut state, KeyCode::Esc, KeyModifiers::NONE),
        vec![Effect::ScrollPaneToBottom(pane)]
    );
    assert_eq!(state.pane_mode, PaneMode::Typing);
    assert_eq!(state.view, View::Panes);
}

#[test]
fn quitting_with_shells_open_asks_twice() {
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::Bottom));
    update(&mut state, Input::Action(Action::OpenShell));
    assert!(prefix(&mut state, KeyCode::Char('q')).is_empty());
    assert!(state.quit_armed);
    assert_eq!(prefix(&mut state, KeyCode::Char('q')), vec![Effect::Quit]);
    // Anything in between disarms it.
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::Bottom));
    update(&mut state, Input::Action(Action::OpenShell));
    prefix(&mut state, KeyCode::Char('f'));
    update(&mut state, Input::Action(Action::Quit));
    update(&mut state, Input::Action(Action::Up));
    assert!(update(&mut state, Input::Action(Action::Quit)).is_empty());
}

#[test]
fn read_only_refuses_shells() {
    let mut state = with_screen(loaded());
    state.read_only = true;
    update(&mut state, Input::Action(Action::Bottom));
    assert!(update(&mut state, Input::Action(Action::OpenShell)).is_empty());
    assert!(state.workspace.is_empty());
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("read-only"))
    );
}

#[test]
fn an_ended_pane_offers_reconnect_and_close() {
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::Bottom));
    update(&mut state, Input::Action(Action::OpenShell));
    let pane = state.workspace.focused().expect("pane").id;
    update(
        &mut state,
        Input::PaneStatus {
            pane,
            status: PaneStatus::Ended {
                reason: "the shell exited".to_owned(),
            },
        },
    );
    assert!(state.workspace.input_targets().is_empty());
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
        state.workspace.focused().map(|p| p.status.clone()),
        Some(PaneStatus::Connecting)
    );
}

#[test]
fn mouse_focuses_and_scrolls_the_pane_under_it() {
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::ToggleMark));
    update(&mut state, Input::Action(Action::Bottom));
    update(&mut state, Input::Action(Action::ToggleMark));
    update(&mut state, Input::Action(Action::OpenShell));
    let ids = state.workspace.tab().expect("tab").panes();
    update(
        &mut state,
        Input::Mouse {
            kind: MouseKind::Press,
            column: 120,
            row: 10,
        },
    );
    assert_eq!(state.workspace.focused().map(|p| p.id), Some(ids[1]));
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

#[test]
fn the_command_line_switches_regions_and_profiles() {
    let mut state = loaded();
    press(&mut state, KeyCode::Char(':'), KeyModifiers::NONE);
    assert_eq!(state.mode, Mode::Command);
    let mut effects = Vec::new();
    for c in "region eu-west-1,us-west-2".chars() {
        effects = press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    assert!(effects.is_empty());
    assert_eq!(state.filter_text, "", "the command line is not the filter");
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        effects,
        vec![Effect::SwitchSources {
            profiles: None,
            regions: Some(vec!["eu-west-1".to_owned(), "us-west-2".to_owned()])
        }]
    );
    assert_eq!(state.mode, Mode::Table);
    update(
        &mut state,
        Input::SourcesChanged {
            label: "prod/eu-west-1".to_owned(),
            profiles: Vec::new(),
            regions: vec!["eu-west-1".to_owned()],
        },
    );
    assert!(state.rows.is_empty() && state.loading);
    assert_eq!(state.source, "prod/eu-west-1");

    assert_eq!(
        run_command(&mut state, "ctx prod staging"),
        vec![Effect::SwitchSources {
            profiles: Some(vec!["prod".to_owned(), "staging".to_owned()]),
            regions: None
        }]
    );
    assert_eq!(
        run_command(&mut state, "theme nord"),
        vec![Effect::SwitchTheme("nord".to_owned())]
    );
    assert!(run_command(&mut state, "frobnicate").is_empty());
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("unknown command"))
    );
    assert_eq!(run_command(&mut state, "q"), vec![Effect::Quit]);
}

#[test]
fn configured_keys_add_bindings_and_may_move_the_prefix() {
    let table: BTreeMap<String, Vec<String>> = [
        ("prefix".to_owned(), vec!["ctrl-a".to_owned()]),
        ("shell".to_owned(), vec!["S".to_owned(), "f5".to_owned()]),
        ("zoom".to_owned(), vec!["Z".to_owned()]),
    ]
    .into_iter()
    .collect();
    let mut state = with_screen(loaded());
    state.keys = keymap::KeyBindings::from_config(&table).expect("valid");
    update(&mut state, Input::Action(Action::Bottom));
    let effects = press(&mut state, KeyCode::F(5), KeyModifiers::NONE);
    assert!(matches!(effects[..], [Effect::OpenPanes(_)]), "{effects:?}");
    // ctrl-] is typing now; ctrl-a is the prefix.
    assert_eq!(
        keymap::route(
            KeyEvent::new(KeyCode::Char('5'), KeyModifiers::CONTROL),
            &state
        ),
        Some(keymap::Routed::Pane)
    );
    press(&mut state, KeyCode::Char('a'), KeyModifiers::CONTROL);
    assert_eq!(state.pane_mode, PaneMode::Prefix);
    press(&mut state, KeyCode::Char('Z'), KeyModifiers::SHIFT);
    assert!(state.workspace.tab().is_some_and(|t| t.zoomed));

    for (bad, message) in [
        (("teleport", "x"), "no such action"),
        (("shell", "hyper-x"), "is not a key"),
    ] {
        let table: BTreeMap<String, Vec<String>> = [(bad.0.to_owned(), vec![bad.1.to_owned()])]
            .into_iter()
            .collect();
        let error = keymap::KeyBindings::from_config(&table).expect_err("invalid");
        assert!(error.contains(message), "{error}");
    }
}

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
    // Quitting with a tunnel running asks first.
    assert!(press(&mut state, KeyCode::Char('q'), KeyModifiers::NONE).is_empty());
    assert!(state.quit_armed);
}

#[test]
fn shift_f_opens_a_form_that_starts_a_tunnel() {
    let mut state = with_screen(loaded());
    update(&mut state, Input::Action(Action::Bottom)); // web-2
    press(&mut state, KeyCode::Char('F'), KeyModifiers::SHIFT);
    assert_eq!(state.mode, Mode::TunnelForm);
    // Enter without a remote port: the form says why and stays.
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(state.form.as_ref().is_some_and(|f| f.error.is_some()));
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
    state.read_only = true;
    press(&mut state, KeyCode::Char('F'), KeyModifiers::SHIFT);
    assert_eq!(state.mode, Mode::Table, "no form");
    press(&mut state, KeyCode::Char('t'), KeyModifiers::NONE);
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("read-only"))
    );
    assert_eq!(state.tunnels.running_count(), 0);
}

fn compose_for_all(state: &mut State) {
    press(state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(state.mode, Mode::RunCompose);
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
    assert_eq!(state.mode, Mode::RunConfirm);
    let confirm = state.confirm.clone().expect("confirmation");
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

    update(
        &mut state,
        Input::RunSent {
            command_ids: vec!["c-1".to_owned()],
        },
    );
    // Progress of another command (a replaced run) is not this view's.
    let stale = crate::model::run::InvocationView {
        command_id: "c-0".to_owned(),
        instance_id: "i-01".to_owned(),
        status: "Success".to_owned(),
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
    assert!(state.run.as_ref().is_some_and(|r| r.invocations.is_empty()));
    // Progress arrives; the first one asks for the selected instance's output.
    let invocation = |id: &str, status: &str| crate::model::run::InvocationView {
        command_id: "c-1".to_owned(),
        instance_id: id.to_owned(),
        status: status.to_owned(),
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
    assert_eq!(state.mode, Mode::RunConfirm);
    let again = state.confirm.clone().expect("confirmation");
    let ids: Vec<String> = again.request.targets().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["i-02"]);
}

#[test]
fn production_or_many_targets_need_the_count_typed() {
    let mut state = with_screen(loaded());
    for row in &mut state.rows {
        row.tags
            .insert("Environment".to_owned(), "production".to_owned());
    }
    compose_for_all(&mut state);
    assert!(press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE).is_empty());
    assert!(press(&mut state, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("type 2")),
        "{:?}",
        state.notice
    );
    press(&mut state, KeyCode::Char('2'), KeyModifiers::NONE);
    let effects = press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(effects[..], [Effect::SendRun(_)]), "{effects:?}");
    // Esc at the confirmation runs nothing.
    let mut state = with_screen(loaded());
    compose_for_all(&mut state);
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.mode, Mode::Table);
    assert!(state.run.is_none());
}

#[test]
fn read_only_refuses_run_command() {
    let mut state = with_screen(loaded());
    state.read_only = true;
    press(&mut state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(state.mode, Mode::Table);
    assert!(state.compose.is_none());
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("read-only"))
    );
}

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
        status: "Success".to_owned(),
        target_count: 2,
        ..crate::model::run::HistoryEntry::default()
    };
    update(
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
    update(
        &mut state,
        Input::RunProgress {
            invocations: vec![crate::model::run::InvocationView {
                command_id: "c-9".to_owned(),
                instance_id: "i-02".to_owned(),
                status: "Failed".to_owned(),
                ..crate::model::run::InvocationView::default()
            }],
            throttled: false,
        },
    );
    let run = state.run.as_ref().expect("watching");
    assert_eq!(run.invocations[0].name, "web-2");
    assert_eq!(run.request.targets().len(), 1);
    press(&mut state, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(
        state.mode,
        Mode::RunConfirm,
        "a reopened command can be re-run"
    );
}

/// Facts the runtime learns reach the state through the reducer: typing disarms a quit, a
/// theme that would not load is said, a switch says it is switching and the new sources
/// clear that.
#[test]
fn runtime_facts_go_through_the_reducer() {
    let mut state = State::new("test");
    state.quit_armed = true;
    update(&mut state, Input::TypedIntoPane);
    assert!(!state.quit_armed);
    update(
        &mut state,
        Input::ThemeSwitched {
            name: "nope".to_owned(),
            error: Some("no theme named nope".to_owned()),
        },
    );
    assert_eq!(state.notice.as_deref(), Some("theme: no theme named nope"));
    assert_eq!(
        run_command(&mut state, "region eu-west-1"),
        vec![Effect::SwitchSources {
            profiles: None,
            regions: Some(vec!["eu-west-1".to_owned()]),
        }]
    );
    assert_eq!(state.notice.as_deref(), Some("switching…"));
    update(
        &mut state,
        Input::SourcesChanged {
            label: "default/eu-west-1".to_owned(),
            profiles: Vec::new(),
            regions: vec!["eu-west-1".to_owned()],
        },
    );
    assert_eq!(state.notice, None);
}
