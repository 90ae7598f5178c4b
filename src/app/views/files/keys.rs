//! The Files view's keys. `g` downloads here (as the users asked), so the list's
//! `g`-to-the-top is Home alone in this view.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code, Ctrl, Prefix};
use crate::app::keymap::table::{KeyTable, bind, hint};

/// The Files view.
pub static FILES: KeyTable = KeyTable {
    title: "Files",
    bindings: &[&[
        bind(&[Code(KeyCode::Up), C('k')], Action::Up),
        bind(&[Code(KeyCode::Down), C('j')], Action::Down),
        bind(&[Code(KeyCode::PageUp)], Action::PageUp),
        bind(&[Code(KeyCode::PageDown)], Action::PageDown),
        bind(&[Code(KeyCode::Home)], Action::Top),
        bind(&[Code(KeyCode::End), C('G')], Action::Bottom),
        bind(
            &[Code(KeyCode::Enter), Code(KeyCode::Right), C('l')],
            Action::OpenEntry,
        ),
        bind(
            &[
                C('-'),
                Code(KeyCode::Backspace),
                Code(KeyCode::Left),
                C('h'),
            ],
            Action::GoUp,
        ),
        bind(&[C('t')], Action::FollowFile),
        bind(&[C('g')], Action::DownloadFile),
        bind(&[C('p')], Action::UploadFile),
        bind(&[C('r')], Action::Refresh),
        bind(&[Code(KeyCode::Esc), C('f')], Action::ShowFleet),
        bind(&[C(':')], Action::Command),
        bind(&[C('?')], Action::Help),
        bind(&[C('q'), Ctrl('c')], Action::Quit),
        bind(&[Prefix], Action::ShowPanes),
    ]],
    hints: &[
        hint(&[Action::OpenEntry], "open"),
        hint(&[Action::GoUp], "up"),
        hint(&[Action::FollowFile], "tail -F"),
        hint(&[Action::DownloadFile], "download"),
        hint(&[Action::UploadFile], "upload"),
        hint(&[Action::Refresh], "reload"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
    describe: &[
        (Action::Refresh, "read the folder again"),
        (Action::Top, "first entry"),
        (Action::Bottom, "last entry"),
    ],
};
