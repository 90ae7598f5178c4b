//! The fleet table's keys, k9s-style.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code, Ctrl};
use crate::app::keymap::table::{Key, KeyTable, bind, hint};

/// The fleet table, k9s-style.
pub static FLEET: KeyTable = KeyTable {
    title: "Fleet",
    bindings: &[&[
        bind(&[Code(KeyCode::Up), C('k')], Action::Up),
        bind(&[Code(KeyCode::Down), C('j')], Action::Down),
        bind(&[Code(KeyCode::PageUp), Ctrl('b')], Action::PageUp),
        bind(&[Code(KeyCode::PageDown), Ctrl('f')], Action::PageDown),
        bind(&[C('g'), Code(KeyCode::Home)], Action::Top),
        bind(&[C('G'), Code(KeyCode::End)], Action::Bottom),
        bind(&[C('/')], Action::Filter),
        bind(&[C(':')], Action::Command),
        bind(&[C(' ')], Action::ToggleMark),
        bind(&[C('s'), Code(KeyCode::Enter)], Action::OpenShell),
        bind(&[Code(KeyCode::Tab)], Action::ShowPanes),
        // The prefix is the prefix here too: it leads to the panes armed (`ctrl-] |` splits,
        // a key that means nothing there types nothing).
        bind(&[Key::Prefix], Action::Prefix),
        bind(&[C('t')], Action::ShowTunnels),
        bind(&[C('F')], Action::OpenTunnelForm),
        bind(&[C('W')], Action::OpenRdp),
        bind(&[C('R')], Action::OpenRun),
        bind(&[C('w')], Action::ShowRun),
        bind(&[C('H')], Action::ShowHistory),
        bind(&[C('S')], Action::ShowSessions),
        bind(&[C('E')], Action::ShowContainers),
        bind(&[C('b')], Action::ShowFiles),
        bind(&[C('K')], Action::ShowNodes),
        bind(&[C('U')], Action::UpdateAgents),
        bind(&[C('d')], Action::Detail),
        bind(&[C('D')], Action::Doctor),
        bind(&[C('o')], Action::SortNext),
        bind(&[C('O')], Action::SortReverse),
        bind(&[C('r')], Action::Refresh),
        bind(&[Code(KeyCode::Esc)], Action::Back),
        bind(&[C('?')], Action::Help),
        bind(&[C('q'), Ctrl('c')], Action::Quit),
    ]],
    hints: &[
        hint(&[Action::Filter], "filter"),
        hint(&[Action::ToggleMark], "mark"),
        hint(&[Action::OpenShell], "shell"),
        hint(&[Action::OpenTunnelForm], "tunnel"),
        hint(&[Action::ShowTunnels], "tunnels"),
        hint(&[Action::OpenRun], "run"),
        hint(&[Action::Detail], "details"),
        hint(&[Action::Doctor], "doctor"),
        hint(&[Action::SortNext], "sort"),
        hint(&[Action::Refresh], "refresh"),
        hint(&[Action::ShowFiles], "files"),
        hint(&[Action::Help], "help"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
    describe: &[],
};
