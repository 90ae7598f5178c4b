//! The Nodes view's keys.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code};
use crate::app::keymap::table::LIST;
use crate::app::keymap::table::{KeyTable, bind, hint};

/// The Nodes view.
pub static NODES: KeyTable = KeyTable {
    title: "Nodes",
    bindings: &[
        &[
            bind(&[C('s')], Action::OpenShell),
            bind(&[Code(KeyCode::Enter)], Action::OpenEntry),
            bind(&[C(' ')], Action::ToggleMark),
            bind(&[C('r')], Action::Refresh),
        ],
        &LIST,
    ],
    hints: &[
        hint(&[Action::ToggleMark], "mark"),
        hint(&[Action::OpenShell], "shells"),
        hint(&[Action::OpenEntry], "its nodes"),
        hint(&[Action::Refresh], "refresh"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
    describe: &[
        (
            Action::OpenShell,
            "a shell pane on every online node of the marked groups (or the selected one)",
        ),
        (Action::OpenEntry, "the group's nodes in the fleet"),
        (Action::ToggleMark, "mark the node group"),
        (Action::Refresh, "refresh the inventory now"),
    ],
};
