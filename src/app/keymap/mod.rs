//! Keys to intents. Over the fleet, k9s-style: `/` filter, `s` shell, `?` help, `esc` back,
//! `q` quit, vim or arrow keys to move. Over the panes, tmux-style: typing goes to the focused
//! pane until the prefix chord, ctrl-], after which one key is a console key (split, focus,
//! zoom, close, tabs, broadcast, scroll, back to the fleet). Which key does what is data, in
//! `tables`: routing here, the help and the status-bar hints all read it. The line editors
//! (filter, `:`, the forms) take text, not actions, and are routed here directly.

pub mod table;

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use self::table::KeyTable;
use super::{Action, Input, Mode, PaneMode, State, View};
pub use crate::config::keys::KeyChord;
use crate::model::pane::PaneStatus;

/// The user's keys from the configuration: another prefix chord, and extra keys for actions
/// (they take precedence over the defaults, which stay).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyBindings {
    pub prefix: Option<KeyChord>,
    pub extra: Vec<(KeyChord, Action)>,
}

impl KeyBindings {
    /// Reads the `[keys]` table: `action = "key"` or `action = ["key", "key"]`, and
    /// `prefix = "ctrl-a"`.
    pub fn from_config(table: &BTreeMap<String, Vec<String>>) -> Result<KeyBindings, String> {
        let mut bindings = KeyBindings::default();
        for (name, keys) in table {
            if name == "prefix" {
                let [key] = keys.as_slice() else {
                    return Err("keys.prefix takes one key".to_owned());
                };
                bindings.prefix = Some(KeyChord::parse(key)?);
                continue;
            }
            let Some(action) = Action::named(name) else {
                let known: Vec<&str> = Action::names().collect();
                return Err(format!(
                    "keys.{name}: no such action (known: prefix, {})",
                    known.join(", ")
                ));
            };
            for key in keys {
                let chord = KeyChord::parse(key).map_err(|e| format!("keys.{name}: {e}"))?;
                bindings.extra.push((chord, action));
            }
        }
        Ok(bindings)
    }

    pub fn is_prefix(&self, key: KeyEvent) -> bool {
        match &self.prefix {
            Some(chord) => chord.matches(key),
            None => is_prefix(key),
        }
    }

    pub fn prefix_label(&self) -> &str {
        self.prefix.as_ref().map_or(PREFIX_LABEL, KeyChord::label)
    }

    /// What `key` means in `table`: the user's keys for the table's actions first (they are
    /// entries of the table, placed before its own), then the table's.
    pub fn action_in(&self, table: &KeyTable, key: KeyEvent) -> Option<Action> {
        self.extra
            .iter()
            .find(|(chord, action)| chord.matches(key) && table.binds(*action))
            .map(|(_, action)| *action)
            .or_else(|| table.action_for(key, self.is_prefix(key)))
    }

    /// Every key for `action` in `table`, the user's first, as the help lists them.
    pub fn labels_in(&self, table: &KeyTable, action: Action) -> Vec<String> {
        let mut labels: Vec<String> = self
            .labels_for(action)
            .into_iter()
            .map(str::to_owned)
            .collect();
        labels.extend(table.labels(action, self.prefix_label()));
        labels
    }

    /// The table's hints with the configured prefix's name.
    pub fn hints(&self, table: &KeyTable) -> Vec<(String, &'static str)> {
        table.hint_pairs(self.prefix_label())
    }

    /// The user's keys for `action`, for the help overlay.
    pub fn labels_for(&self, action: Action) -> Vec<&str> {
        self.extra
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(chord, _)| chord.label())
            .collect()
    }
}

/// The prefix chord, as the help and the status bar name it.
pub const PREFIX_LABEL: &str = "ctrl-]";

/// Where a key goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    /// To the console.
    App(Input),
    /// Typed into the pane(s): the runtime encodes it for the terminal.
    Pane,
}

fn is_prefix(key: KeyEvent) -> bool {
    // Terminals send ctrl-] as 0x1d, which crossterm reports as ctrl-5.
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char(']') | KeyCode::Char('5'))
}

/// A text editor is open (the filter, the `:` line, a form): keys are text.
fn editing(mode: Mode) -> bool {
    matches!(
        mode,
        Mode::Filter
            | Mode::Command
            | Mode::TunnelForm
            | Mode::RunCompose
            | Mode::RunConfirm
            | Mode::PaneSearch
    )
}

/// The table whose keys count in the console's current state, if a table decides; `None`
/// while a text editor is open, or while keys go to a pane.
pub fn table_for(state: &State) -> Option<&'static KeyTable> {
    if editing(state.mode) {
        return None;
    }
    if state.mode == Mode::Help {
        return Some(&crate::app::overlays::help_table::HELP);
    }
    match state.view {
        View::Tunnels => Some(&crate::app::views::tunnels::keys::TUNNELS),
        View::Run => Some(&crate::app::views::runs::keys::RUN),
        View::History => Some(&crate::app::views::runs::keys::HISTORY),
        View::Sessions => Some(&crate::app::views::sessions::keys::SESSIONS),
        View::Containers => Some(&crate::app::views::containers::keys::CONTAINERS),
        View::Panes if !state.workspace.is_empty() => match state.pane_mode {
            PaneMode::Typing => {
                let ended = state
                    .workspace
                    .focused()
                    .is_some_and(|p| matches!(p.status, PaneStatus::Ended { .. }));
                let broadcast = state.workspace.tab().is_some_and(|t| t.broadcast);
                (ended && !broadcast).then_some(&crate::app::views::panes::keys::ENDED_PANE)
            }
            PaneMode::Prefix => Some(&crate::app::views::panes::keys::PANES),
            PaneMode::Scroll => Some(&crate::app::views::panes::keys::SCROLL),
        },
        View::Panes | View::Fleet => Some(&crate::app::views::fleet::keys::FLEET),
    }
}

/// What a key means in the console's current state, if anything.
pub fn route(key: KeyEvent, state: &State) -> Option<Routed> {
    let keys = &state.keys;
    let app = |action: Action| Some(Routed::App(Input::Action(action)));
    // Over the doctor's report every key closes it, in every view (never typing, never `q`).
    if state.mode == Mode::Doctor {
        return app(Action::Back);
    }
    let typing = state.view == View::Panes
        && state.mode != Mode::Help
        && !state.workspace.is_empty()
        && state.pane_mode == PaneMode::Typing;
    if typing && keys.is_prefix(key) {
        return app(Action::Prefix);
    }
    let Some(table) = table_for(state) else {
        if typing {
            return Some(Routed::Pane);
        }
        return editor_input(key, state.mode).map(Routed::App);
    };
    match (keys.action_in(table, key), state.pane_mode) {
        (Some(action), _) => app(action),
        // After the prefix, a key that means nothing goes back to typing.
        (None, PaneMode::Prefix) if std::ptr::eq(table, &crate::app::views::panes::keys::PANES) => {
            Some(Routed::App(Input::PrefixCancelled))
        }
        (None, _) => None,
    }
}

/// What a key means over the fleet in `mode` with the default keys, if anything.
pub fn input_for(key: KeyEvent, mode: Mode) -> Option<Input> {
    if editing(mode) {
        return editor_input(key, mode);
    }
    KeyBindings::default()
        .action_in(&crate::app::views::fleet::keys::FLEET, key)
        .map(Input::Action)
}

/// Keys in the line editors: the filter, the `:` line, the tunnel form, Run Command's form
/// and its confirmation.
/// The forms' keys (the filter, the `:` line, the tunnel form, the Run Command form), for the
/// help: `editor_input` below is what they say, and a test holds each line to it.
pub const FORM_KEYS: [(&str, &str); 6] = [
    (
        "enter",
        "apply the filter or the : command; start the tunnel; a new line in a command",
    ),
    (
        "tab shift-tab",
        "next / previous field of a form (↑↓ too in the tunnel form)",
    ),
    (
        "ctrl-s",
        "Run Command form: go on to the blast radius and the confirmation",
    ),
    ("backspace", "delete the character before the cursor"),
    ("esc", "cancel: close the form or clear the filter"),
    ("ctrl-c", "quit, from any form"),
];

pub(crate) fn editor_input(key: KeyEvent, mode: Mode) -> Option<Input> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Input::Action(Action::Quit));
    }
    let text = |c: char| (!ctrl).then_some(Input::FilterChar(c));
    match (mode, key.code) {
        (_, KeyCode::Esc) => Some(Input::Action(Action::Back)),
        (_, KeyCode::Backspace) => Some(Input::FilterBackspace),
        // ctrl-s sends from any field; Enter adds a line to the command.
        (Mode::RunCompose, KeyCode::Char('s')) if ctrl => Some(Input::FilterDone),
        (Mode::RunCompose, KeyCode::Enter) => Some(Input::FormEnter),
        (Mode::RunCompose, KeyCode::Tab) => Some(Input::FormNext),
        (Mode::RunCompose, KeyCode::BackTab) => Some(Input::FormPrevious),
        (Mode::TunnelForm, KeyCode::Tab | KeyCode::Down) => Some(Input::FormNext),
        (Mode::TunnelForm, KeyCode::BackTab | KeyCode::Up) => Some(Input::FormPrevious),
        (_, KeyCode::Enter) => Some(Input::FilterDone),
        (_, KeyCode::Char(c)) => text(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::table::Key;
    use super::*;
    use crate::app::views::fleet::keys::FLEET;
    use crate::app::views::panes::keys::{ENDED_PANE, PANES, SCROLL};
    use crate::app::views::runs::RunWatch;
    use crate::app::views::runs::keys::{HISTORY, RUN};
    use crate::app::views::tunnels::keys::TUNNELS;
    use crate::model::instance::Ping;
    use crate::model::pane::PaneTarget;
    use crate::model::run::HistoryEntry;

    /// A key event for a table's key (the prefix is ctrl-], as terminals report it).
    fn event(key: Key) -> KeyEvent {
        match key {
            Key::Char(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
            Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
            Key::Code(code) => KeyEvent::new(code, KeyModifiers::NONE),
            Key::Digit => KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE),
            Key::Prefix => KeyEvent::new(KeyCode::Char('5'), KeyModifiers::CONTROL),
        }
    }

    fn with_pane(pane_mode: PaneMode) -> State {
        let mut state = State::new("test");
        state.workspace.open_tab(vec![PaneTarget {
            instance_id: "i-0a".to_owned(),
            name: "a".to_owned(),
            profile: "default".to_owned(),
            region: "us-east-1".to_owned(),
            ping: Ping::Online,
            container: None,
        }]);
        state.view = View::Panes;
        state.pane_mode = pane_mode;
        state
    }

    /// What the help and the hints say a key does is what routing does with it, in every
    /// view: both read the same table.
    #[test]
    fn every_key_in_every_table_routes_to_its_action() {
        let fleet = State::new("test");
        let mut tunnels = State::new("test");
        tunnels.view = View::Tunnels;
        let mut run = State::new("test");
        run.view = View::Run;
        run.run = Some(RunWatch::reopen(&HistoryEntry::default()));
        let mut history = State::new("test");
        history.view = View::History;
        let mut ended = with_pane(PaneMode::Typing);
        let pane = ended.workspace.focused().map(|p| p.id).expect("a pane");
        ended
            .workspace
            .set_status(pane, PaneStatus::ended("the shell exited"));
        let cases = [
            (&FLEET, fleet),
            (&TUNNELS, tunnels),
            (&RUN, run),
            (&HISTORY, history),
            (&PANES, with_pane(PaneMode::Prefix)),
            (&SCROLL, with_pane(PaneMode::Scroll)),
            (&ENDED_PANE, ended),
        ];
        for (table, state) in cases {
            assert!(std::ptr::eq(table_for(&state).expect("a table"), table));
            for binding in table.all() {
                for &key in binding.keys {
                    let expected = match binding.action {
                        Action::SelectTab(_) => Action::SelectTab(3),
                        action => action,
                    };
                    assert_eq!(
                        route(event(key), &state),
                        Some(Routed::App(Input::Action(expected))),
                        "{}: {}",
                        table.title,
                        key.label()
                    );
                }
            }
        }
    }

    #[test]
    fn the_users_keys_are_entries_of_the_table() {
        let mut table = BTreeMap::new();
        table.insert("details".to_owned(), vec!["i".to_owned()]);
        table.insert("cancel_run".to_owned(), vec!["ctrl-x".to_owned()]);
        let keys = KeyBindings::from_config(&table).expect("valid");
        let i = KeyEvent::new(KeyCode::Char('i'), KeyModifiers::NONE);
        assert_eq!(keys.action_in(&FLEET, i), Some(Action::Detail));
        assert_eq!(
            keys.action_in(&RUN, i),
            None,
            "details is no key of the run view"
        );
        assert_eq!(keys.labels_in(&FLEET, Action::Detail), ["i", "d"]);
        let ctrl_x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL);
        assert_eq!(keys.action_in(&RUN, ctrl_x), Some(Action::CancelRun));
    }
}
