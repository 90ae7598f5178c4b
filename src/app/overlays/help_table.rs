//! The help overlay's keys.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code, Ctrl};
use crate::app::keymap::table::{KeyTable, bind, hint};

/// Over the help: it scrolls, and closes with the keys that close everything else.
pub static HELP: KeyTable = KeyTable {
    title: "This help",
    bindings: &[&[
        bind(&[Code(KeyCode::Up), C('k')], Action::Up),
        bind(&[Code(KeyCode::Down), C('j')], Action::Down),
        bind(
            &[Code(KeyCode::PageUp), Ctrl('b'), Ctrl('u')],
            Action::PageUp,
        ),
        bind(
            &[Code(KeyCode::PageDown), Ctrl('f'), Ctrl('d'), C(' ')],
            Action::PageDown,
        ),
        bind(&[Code(KeyCode::Home), C('g')], Action::Top),
        bind(&[Code(KeyCode::End), C('G')], Action::Bottom),
        bind(&[Code(KeyCode::Esc), C('q'), C('?')], Action::Back),
        bind(&[Ctrl('c')], Action::Quit),
    ]],
    hints: &[
        hint(
            &[Action::Up, Action::Down, Action::PageUp, Action::PageDown],
            "scroll",
        ),
        hint(&[Action::Back], "close"),
    ],
    ctrl_lenient: false,
    describe: &[],
};
