//! Keys to intents, k9s-style: `/` filter, `?` help, `esc` back, `q` quit, vim or arrow keys to
//! move. One table serves key handling, the help overlay and the status-bar hints.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, Input, Mode};

/// The bindings, in the order the help overlay lists them: key label, then keys.
pub const BINDINGS: [(&str, Action); 15] = [
    ("↑ k", Action::Up),
    ("↓ j", Action::Down),
    ("PgUp ctrl-b", Action::PageUp),
    ("PgDn ctrl-f", Action::PageDown),
    ("g Home", Action::Top),
    ("G End", Action::Bottom),
    ("/", Action::Filter),
    ("space", Action::ToggleMark),
    ("enter d", Action::Detail),
    ("o", Action::SortNext),
    ("O", Action::SortReverse),
    ("r", Action::Refresh),
    ("esc", Action::Back),
    ("?", Action::Help),
    ("q ctrl-c", Action::Quit),
];

/// The hints the status bar shows, from the same table.
pub const HINTS: [(&str, &str); 7] = [
    ("/", "filter"),
    ("space", "mark"),
    ("enter", "details"),
    ("o", "sort"),
    ("r", "refresh"),
    ("?", "help"),
    ("q", "quit"),
];

/// What a key means in the current mode, if anything.
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
        KeyCode::Enter | KeyCode::Char('d') => Action::Detail,
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
