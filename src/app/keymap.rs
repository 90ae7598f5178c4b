//! Keys to intents. Over the fleet, k9s-style: `/` filter, `s` shell, `?` help, `esc` back,
//! `q` quit, vim or arrow keys to move. Over the panes, tmux-style: typing goes to the focused
//! pane until the prefix chord, ctrl-], after which one key is a console key (split, focus,
//! zoom, close, tabs, broadcast, scroll, back to the fleet). The tables here serve key
//! handling, the help overlay and the status-bar hints alike.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, Input, Mode, PaneMode, State, View};
use crate::app::panes::PaneStatus;

/// The prefix chord, as the help and the status bar name it.
pub const PREFIX_LABEL: &str = "ctrl-]";

/// Fleet bindings, in the order the help overlay lists them: key label, then intent.
pub const BINDINGS: [(&str, Action); 17] = [
    ("↑ k", Action::Up),
    ("↓ j", Action::Down),
    ("PgUp ctrl-b", Action::PageUp),
    ("PgDn ctrl-f", Action::PageDown),
    ("g Home", Action::Top),
    ("G End", Action::Bottom),
    ("/", Action::Filter),
    ("space", Action::ToggleMark),
    ("s enter", Action::OpenShell),
    ("tab ctrl-]", Action::ShowPanes),
    ("d", Action::Detail),
    ("o", Action::SortNext),
    ("O", Action::SortReverse),
    ("r", Action::Refresh),
    ("esc", Action::Back),
    ("?", Action::Help),
    ("q ctrl-c", Action::Quit),
];

/// Pane bindings: the keys after the prefix chord.
pub const PANE_BINDINGS: [(&str, Action); 20] = [
    ("← h", Action::FocusLeft),
    ("→ l", Action::FocusRight),
    ("↑ k", Action::FocusUp),
    ("↓ j", Action::FocusDown),
    ("| %", Action::SplitRight),
    ("- \"", Action::SplitDown),
    ("z", Action::Zoom),
    ("x", Action::ClosePane),
    ("c", Action::NewTab),
    ("n", Action::NextTab),
    ("p", Action::PreviousTab),
    ("1-9", Action::SelectTab(1)),
    ("space", Action::Retile),
    ("b", Action::Broadcast),
    ("m", Action::MarkPane),
    ("[ PgUp", Action::ScrollMode),
    ("r", Action::Reconnect),
    ("ctrl-]", Action::SendPrefix),
    ("f esc tab", Action::ShowFleet),
    ("q", Action::Quit),
];

/// The hints the status bar shows over the fleet.
pub const HINTS: [(&str, &str); 8] = [
    ("/", "filter"),
    ("space", "mark"),
    ("s", "shell"),
    ("d", "details"),
    ("o", "sort"),
    ("r", "refresh"),
    ("?", "help"),
    ("q", "quit"),
];

/// The hints after the prefix chord.
pub const PANE_HINTS: [(&str, &str); 9] = [
    ("←↑↓→", "focus"),
    ("| -", "split"),
    ("z", "zoom"),
    ("x", "close"),
    ("c n p", "tabs"),
    ("b", "broadcast"),
    ("[", "scroll"),
    ("f", "fleet"),
    ("?", "help"),
];

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

/// What a key means in the console's current state, if anything.
pub fn route(key: KeyEvent, state: &State) -> Option<Routed> {
    let action = |a: Action| Some(Routed::App(Input::Action(a)));
    if state.view == View::Fleet || state.mode == Mode::Help || state.workspace.is_empty() {
        if is_prefix(key) {
            return action(Action::ShowPanes);
        }
        return input_for(key, state.mode).map(Routed::App);
    }
    match state.pane_mode {
        PaneMode::Typing => {
            if is_prefix(key) {
                return action(Action::Prefix);
            }
            let ended = state
                .workspace
                .focused()
                .is_some_and(|p| matches!(p.status, PaneStatus::Ended { .. }));
            if ended && !state.workspace.tab().is_some_and(|t| t.broadcast) {
                // An ended pane takes no typing; offer what it says it offers.
                return match key.code {
                    KeyCode::Char('r') | KeyCode::Enter => action(Action::Reconnect),
                    KeyCode::Char('x') => action(Action::ClosePane),
                    _ => None,
                };
            }
            Some(Routed::Pane)
        }
        PaneMode::Prefix => Some(Routed::App(
            pane_command(key).map_or(Input::PrefixCancelled, Input::Action),
        )),
        PaneMode::Scroll => scroll_key(key).map(|a| Routed::App(Input::Action(a))),
    }
}

/// The console key after the prefix chord.
fn pane_command(key: KeyEvent) -> Option<Action> {
    if is_prefix(key) {
        return Some(Action::SendPrefix);
    }
    Some(match key.code {
        KeyCode::Left | KeyCode::Char('h') => Action::FocusLeft,
        KeyCode::Right | KeyCode::Char('l') => Action::FocusRight,
        KeyCode::Up | KeyCode::Char('k') => Action::FocusUp,
        KeyCode::Down | KeyCode::Char('j') => Action::FocusDown,
        KeyCode::Char('|' | '%') => Action::SplitRight,
        KeyCode::Char('-' | '"') => Action::SplitDown,
        KeyCode::Char('z') => Action::Zoom,
        KeyCode::Char('x') => Action::ClosePane,
        KeyCode::Char('c') => Action::NewTab,
        KeyCode::Char('n') => Action::NextTab,
        KeyCode::Char('p') => Action::PreviousTab,
        KeyCode::Char(digit @ '1'..='9') => Action::SelectTab(digit as u8 - b'0'),
        KeyCode::Char(' ') => Action::Retile,
        KeyCode::Char('b') => Action::Broadcast,
        KeyCode::Char('m') => Action::MarkPane,
        KeyCode::Char('[') | KeyCode::PageUp => Action::ScrollMode,
        KeyCode::Char('r') => Action::Reconnect,
        KeyCode::Char('f') | KeyCode::Esc | KeyCode::Tab => Action::ShowFleet,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    })
}

/// Keys while scrolling back through a pane.
fn scroll_key(key: KeyEvent) -> Option<Action> {
    if is_prefix(key) {
        return Some(Action::Prefix);
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('b' | 'u') if ctrl => Action::PageUp,
        KeyCode::Char('f' | 'd') if ctrl => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => Action::Back,
        _ => return None,
    })
}

/// What a key means over the fleet in `mode`, if anything.
pub fn input_for(key: KeyEvent, mode: Mode) -> Option<Input> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Input::Action(Action::Quit));
    }
    if mode == Mode::Filter {
        return match key.code {
            KeyCode::Esc => Some(Input::Action(Action::Back)),
            KeyCode::Enter => Some(Input::FilterDone),
            KeyCode::Backspace => Some(Input::FilterBackspace),
            KeyCode::Char(c) if !ctrl => Some(Input::FilterChar(c)),
            _ => None,
        };
    }
    let action = match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('b') if ctrl => Action::PageUp,
        KeyCode::Char('f') if ctrl => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char(' ') => Action::ToggleMark,
        KeyCode::Enter | KeyCode::Char('s') => Action::OpenShell,
        KeyCode::Tab => Action::ShowPanes,
        KeyCode::Char('d') => Action::Detail,
        KeyCode::Char('o') => Action::SortNext,
        KeyCode::Char('O') => Action::SortReverse,
        KeyCode::Char('r') => Action::Refresh,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    };
    Some(Input::Action(action))
}
