//! The Containers view's keys.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code};
use crate::app::keymap::table::LIST;
use crate::app::keymap::table::{KeyTable, bind, hint};

/// The Containers view.
pub static CONTAINERS: KeyTable = KeyTable {
    title: "Containers",
    bindings: &[
        &[
            bind(&[C('s'), Code(KeyCode::Enter)], Action::OpenShell),
            bind(&[C(' ')], Action::ToggleMark),
            bind(&[C('/')], Action::Filter),
            bind(&[C('r')], Action::Refresh),
            bind(&[C('D')], Action::Doctor),
            bind(&[C('e')], Action::JumpToInstance),
            bind(&[C('d')], Action::Detail),
            bind(&[C('F')], Action::OpenTunnelForm),
            bind(&[C('o')], Action::SortNext),
            bind(&[C('O')], Action::SortReverse),
        ],
        &LIST,
    ],
    hints: &[
        hint(&[Action::Filter], "filter"),
        hint(&[Action::ToggleMark], "mark"),
        hint(&[Action::OpenShell], "shell"),
        hint(&[Action::OpenTunnelForm], "tunnel"),
        hint(&[Action::Doctor], "why not"),
        hint(&[Action::JumpToInstance], "its instance"),
        hint(&[Action::Detail], "details"),
        hint(&[Action::SortNext], "sort"),
        hint(&[Action::Refresh], "reload"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
};
