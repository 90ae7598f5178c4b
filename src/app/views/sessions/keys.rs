//! The Sessions view's keys.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code};
use crate::app::keymap::table::LIST;
use crate::app::keymap::table::{KeyTable, bind, hint};

/// The Sessions view.
pub static SESSIONS: KeyTable = KeyTable {
    title: "Sessions",
    bindings: &[
        &[
            bind(&[C('x'), Code(KeyCode::Delete)], Action::TerminateSession),
            bind(&[C('D')], Action::Doctor),
            bind(&[C('r')], Action::Refresh),
        ],
        &LIST,
    ],
    hints: &[
        hint(&[Action::TerminateSession], "terminate"),
        hint(&[Action::Doctor], "doctor"),
        hint(&[Action::Refresh], "reload"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
    describe: &[],
};
