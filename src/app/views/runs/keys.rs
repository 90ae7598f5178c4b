//! The keys of Run Command's watch view and of the history.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code, Ctrl};
use crate::app::keymap::table::LIST;
use crate::app::keymap::table::{KeyTable, bind, hint};

/// A watched command.
pub static RUN: KeyTable = KeyTable {
    title: "Run Command",
    bindings: &[
        &[
            bind(&[C('c')], Action::CancelRun),
            bind(&[C('['), Ctrl('u')], Action::OutputPageUp),
            bind(&[C(']'), Ctrl('d')], Action::OutputPageDown),
            bind(&[C('R')], Action::RerunFailed),
            bind(&[C('v')], Action::ToggleGroups),
            bind(&[C('V')], Action::ToggleGroupBy),
            bind(&[C('C')], Action::ContinueRun),
            bind(&[C('h')], Action::ShowHistory),
            bind(&[C('D')], Action::Doctor),
        ],
        &LIST,
    ],
    hints: &[
        hint(&[Action::Up, Action::Down], "instance"),
        hint(&[Action::OutputPageUp, Action::OutputPageDown], "output"),
        hint(&[Action::ToggleGroups], "groups"),
        hint(&[Action::CancelRun], "cancel"),
        hint(&[Action::RerunFailed], "re-run failed"),
        hint(&[Action::ShowHistory], "history"),
        hint(&[Action::Doctor], "why not reached"),
        hint(&[Action::ToggleGroupBy], "by shape"),
        hint(&[Action::ContinueRun], "go on after canary"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
    describe: &[],
};
/// Recent commands.
pub static HISTORY: KeyTable = KeyTable {
    title: "Recent commands",
    bindings: &[
        &[
            bind(&[Code(KeyCode::Enter)], Action::WatchAgain),
            bind(&[C('=')], Action::CompareRuns),
            bind(&[C('r')], Action::Refresh),
        ],
        &LIST,
    ],
    hints: &[
        hint(&[Action::WatchAgain], "watch"),
        hint(&[Action::CompareRuns], "compare with the run before"),
        hint(&[Action::Refresh], "reload"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
    describe: &[],
};
