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
use super::editor::{EditorKind, text_input};
use super::{Action, Input, Mode, PaneMode, State, View};
pub use crate::config::keys::KeyChord;

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

/// The table whose keys count in the console's current state (`views::table_for`).
pub fn table_for(state: &State) -> Option<&'static KeyTable> {
    crate::app::views::table_for(state)
}

/// What a key means in the console's current state, if anything.
pub fn route(key: KeyEvent, state: &State) -> Option<Routed> {
    let keys = &state.frame.keys;
    let app = |action: Action| Some(Routed::App(Input::Action(action)));
    // Over the doctor's report every key closes it, in every view (never typing, never `q`).
    if state.mode() == Mode::Doctor {
        return app(Action::Back);
    }
    let typing = state.view == View::Panes
        && state.mode() != Mode::Help
        && !state.panes.workspace.is_empty()
        && state.panes.mode == PaneMode::Typing;
    if typing && keys.is_prefix(key) {
        return app(Action::Prefix);
    }
    let Some(table) = table_for(state) else {
        if typing {
            return Some(Routed::Pane);
        }
        return state
            .mode()
            .editor()
            .and_then(|kind| editor_input(key, kind))
            .map(Routed::App);
    };
    match (keys.action_in(table, key), state.panes.mode) {
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
    if let Some(kind) = mode.editor() {
        return editor_input(key, kind);
    }
    KeyBindings::default()
        .action_in(&crate::app::views::fleet::keys::FLEET, key)
        .map(Input::Action)
}

/// The forms' keys (the filter, the `:` line, the tunnel form, the Run Command form), for the
/// help: `editor::EDITOR_KEYS` is what they say, and a test holds each line to it.
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

/// A key in an open text field: ctrl-c quits from any field; the rest is the editor's table
/// (`editor::text_input`).
pub(crate) fn editor_input(key: KeyEvent, kind: EditorKind) -> Option<Input> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Input::Action(Action::Quit));
    }
    text_input(key, kind).map(Input::Text)
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
    use crate::model::pane::PaneStatus;
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
        state.panes.workspace.open_tab(vec![PaneTarget {
            instance_id: "i-0a".to_owned(),
            name: "a".to_owned(),
            profile: "default".to_owned(),
            region: "us-east-1".to_owned(),
            ping: Ping::Online,
            container: None,
        }]);
        state.view = View::Panes;
        state.panes.mode = pane_mode;
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
        run.runs.watch = Some(RunWatch::reopen(&HistoryEntry::default()));
        let mut history = State::new("test");
        history.view = View::History;
        let mut ended = with_pane(PaneMode::Typing);
        let pane = ended
            .panes
            .workspace
            .focused()
            .map(|p| p.id)
            .expect("a pane");
        ended
            .panes
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
