//! The Recordings view's keys.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code};
use crate::app::keymap::table::LIST;
use crate::app::keymap::table::{KeyTable, bind, hint};

/// The Recordings view.
pub static RECORDINGS: KeyTable = KeyTable {
    title: "Recordings",
    bindings: &[
        &[
            bind(&[Code(KeyCode::Enter)], Action::OpenEntry),
            bind(&[C('/')], Action::Filter),
            bind(&[C('r')], Action::Refresh),
        ],
        &LIST,
    ],
    hints: &[
        hint(&[Action::OpenEntry], "replay"),
        hint(&[Action::Filter], "filter"),
        hint(&[Action::Refresh], "reload"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
    describe: &[
        (
            Action::OpenEntry,
            "replay the recording in a pane (space pause, +/- speed, ←/→ 5 s, [ ] a minute, / search, q)",
        ),
        (
            Action::Filter,
            "filter: words, instance:, name:, owner:, status:, reason:, others:, !negate",
        ),
        (
            Action::Refresh,
            "read the recordings and the session history again",
        ),
    ],
};
