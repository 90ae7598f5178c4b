//! The Tunnels view's keys.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code};
use crate::app::keymap::table::LIST;
use crate::app::keymap::table::{KeyTable, bind, hint};

/// The Tunnels view.
pub static TUNNELS: KeyTable = KeyTable {
    title: "Tunnels",
    bindings: &[
        &[
            bind(&[Code(KeyCode::Enter), C(' ')], Action::ToggleTunnel),
            bind(&[C('x'), Code(KeyCode::Delete)], Action::RemoveTunnel),
            bind(&[C('b')], Action::BackgroundTunnel),
            bind(&[Code(KeyCode::Tab)], Action::ShowPanes),
        ],
        &LIST,
    ],
    hints: &[
        hint(&[Action::ToggleTunnel], "start/stop"),
        hint(&[Action::RemoveTunnel], "remove"),
        hint(&[Action::BackgroundTunnel], "background"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Help], "help"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
    describe: &[],
};
