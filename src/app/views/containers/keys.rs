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
    describe: &[
        (
            Action::OpenShell,
            "shell into the container (ECS Exec; one per marked container)",
        ),
        (
            Action::Filter,
            "filter: words, exec:on|off, status:S, !negate",
        ),
        (
            Action::Doctor,
            "doctor: why ECS Exec would not start here, and the fix",
        ),
        (
            Action::JumpToInstance,
            "the container's instance in the fleet",
        ),
        (Action::Detail, "details of the container and its task"),
        (
            Action::OpenTunnelForm,
            "tunnel to a port of the container's task",
        ),
        (Action::Refresh, "reload the containers now"),
    ],
};
