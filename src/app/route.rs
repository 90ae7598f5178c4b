//! A key to an input, in the state now: the prefix chord over the panes, the open text field's
//! keys (`editor`), the table of the view in front (`views::table_for`) with the user's own
//! keys first, or typing for the focused pane.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::editor::{EditorKind, text_input};
use super::keymap::KeyBindings;
use super::{Action, Input, Mode, PaneMode, State};
use crate::app::keymap::KeyTable;

/// Where a key goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    /// To the console.
    App(Input),
    /// Typed into the pane(s): the runtime encodes it for the terminal.
    Pane,
}

/// The table whose keys count in the console's current state.
pub fn table_for(state: &State) -> Option<&'static KeyTable> {
    crate::app::views::table_for(state)
}

/// What a key means in the console's current state, if anything.
pub fn route(key: KeyEvent, state: &State) -> Option<Routed> {
    let keys = &state.frame.keys;
    let app = |action: Action| Some(Routed::App(Input::Action(action)));
    // Over the doctor's report `y` copies the fix and every other key closes it, in every
    // view (never typing, never `q`).
    if state.mode() == Mode::Doctor {
        let y = key.code == KeyCode::Char('y')
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        return app(if y { Action::CopyFix } else { Action::Back });
    }
    let typing = state.typing_to_pane();
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
    use super::*;
    use crate::app::View;
    use crate::app::keymap::table::Key;
    use crate::app::views::fleet::keys::FLEET;
    use crate::app::views::panes::keys::{ENDED_PANE, PANES, SCROLL};
    use crate::app::views::runs::RunWatch;
    use crate::app::views::runs::keys::{HISTORY, RUN};
    use crate::app::views::tunnels::keys::TUNNELS;
    use crate::model::instance::Ping;
    use crate::model::pane::{PaneStatus, PaneTarget};
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
            command: None,
            replay: None,
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
        let mut files = State::new("test");
        files.view = View::Files;
        let mut nodes = State::new("test");
        nodes.view = View::Nodes;
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
            (&crate::app::views::files::keys::FILES, files),
            (&crate::app::views::nodes::keys::NODES, nodes),
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
}
