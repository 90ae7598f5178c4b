//! What the reducer tests share (each view's tests sit with the view): the helpers that
//! build states and press keys. Actions and inventory loads in, state and effects out, no
//! terminal.

pub(crate) use std::collections::BTreeMap;
pub(crate) use std::time::SystemTime;

pub(crate) use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(crate) use crate::app::MouseKind;
pub(crate) use crate::app::editor::TextInput;
pub(crate) use crate::app::keymap;
pub(crate) use crate::app::overlays::Overlay;
pub(crate) use crate::app::route::{self, input_for};
pub(crate) use crate::app::update::update;
pub(crate) use crate::app::views::fleet::FleetView;
pub(crate) use crate::app::views::runs::RunWatch;
pub(crate) use crate::app::{Action, Effect, Input, Mode, PaneMode, State, View};
pub(crate) use crate::model::column as columns;
pub(crate) use crate::model::instance::{InstanceRow, Ping};
pub(crate) use crate::model::pane::EndReason;
pub(crate) use crate::model::pane::PaneStatus;
pub(crate) use crate::term::copy::CopyKey;

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
        private_dns: None,
        ec2_state: Some("running".to_owned()),
        instance_type: Some("t3.micro".to_owned()),
        availability_zone: Some(format!("{region}a")),
        region: region.to_owned(),
        profile: "default".to_owned(),
        account: None,
        account_name: None,
        vpc_id: None,
        subnet_id: None,
        iam_instance_profile: None,
        tags,
    }
}

pub(crate) fn loaded() -> State {
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
    load(&mut state, rows);
    state
}

/// A whole inventory read of `rows`, as the refresher reports it.
pub(crate) fn load(state: &mut State, rows: Vec<InstanceRow>) {
    let _ = update(
        state,
        Input::InventoryLoaded {
            rows,
            pending: 0,
            errors: Vec::new(),
            at: SystemTime::UNIX_EPOCH,
            throttled: false,
        },
    );
}

pub(crate) fn names(state: &State) -> Vec<&str> {
    state
        .fleet
        .visible
        .iter()
        .map(|&i| state.fleet.rows[i].name.as_str())
        .collect()
}

pub(crate) fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub(crate) fn press(state: &mut State, code: KeyCode, modifiers: KeyModifiers) -> Vec<Effect> {
    match route::route(KeyEvent::new(code, modifiers), state) {
        Some(route::Routed::App(input)) => update(state, input),
        Some(route::Routed::Pane) | None => Vec::new(),
    }
}

pub(crate) fn prefix(state: &mut State, code: KeyCode) -> Vec<Effect> {
    assert_eq!(
        route::route(
            KeyEvent::new(KeyCode::Char(']'), KeyModifiers::CONTROL),
            state
        ),
        Some(route::Routed::App(Input::Action(Action::Prefix)))
    );
    press(state, KeyCode::Char(']'), KeyModifiers::CONTROL);
    assert_eq!(state.panes.mode, PaneMode::Prefix);
    press(state, code, KeyModifiers::NONE)
}

pub(crate) fn with_screen(mut state: State) -> State {
    let _ = update(
        &mut state,
        Input::Resized {
            width: 160,
            height: 48,
        },
    );
    state
}

/// A `:` line typed and entered.
pub(crate) fn run_command(state: &mut State, line: &str) -> Vec<Effect> {
    state.overlay = Some(Overlay::CommandLine(crate::app::editor::LineEditor::new(
        line,
    )));
    update(state, Input::Text(TextInput::Enter))
}
