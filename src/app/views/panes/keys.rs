//! The panes' keys: after the prefix (tmux-style), in copy mode, and over an ended pane.

use crossterm::event::KeyCode;

use crate::app::action::Action;
use crate::app::keymap::table::Key::{Char as C, Code, Ctrl};
use crate::app::keymap::table::{Key, KeyTable, bind, hint};

/// The panes, tmux-style: the key after the prefix chord.
pub static PANES: KeyTable = KeyTable {
    title: "Panes: typing goes to the pane; after the prefix",
    bindings: &[&[
        bind(&[Code(KeyCode::Left), C('h')], Action::FocusLeft),
        bind(&[Code(KeyCode::Right), C('l')], Action::FocusRight),
        bind(&[Code(KeyCode::Up), C('k')], Action::FocusUp),
        bind(&[Code(KeyCode::Down), C('j')], Action::FocusDown),
        bind(&[C('|'), C('%')], Action::SplitRight),
        bind(&[C('-'), C('"')], Action::SplitDown),
        bind(&[C('z')], Action::Zoom),
        bind(&[C('x')], Action::ClosePane),
        bind(&[C('c')], Action::NewTab),
        bind(&[C('n')], Action::NextTab),
        bind(&[C('p')], Action::PreviousTab),
        bind(&[Key::Digit], Action::SelectTab(1)),
        bind(&[C(' ')], Action::Retile),
        bind(&[C('b')], Action::Broadcast),
        bind(&[C('m')], Action::MarkPane),
        bind(&[C('[')], Action::ScrollMode),
        bind(&[Code(KeyCode::PageUp)], Action::PageUp),
        bind(&[C('r')], Action::Reconnect),
        bind(&[C('R')], Action::RecordPane),
        bind(&[C('D')], Action::Doctor),
        bind(&[Key::Prefix], Action::SendPrefix),
        bind(
            &[C('f'), Code(KeyCode::Esc), Code(KeyCode::Tab)],
            Action::ShowFleet,
        ),
        bind(&[C('?')], Action::Help),
        bind(&[C('q')], Action::Quit),
    ]],
    hints: &[
        hint(
            &[
                Action::FocusLeft,
                Action::FocusUp,
                Action::FocusDown,
                Action::FocusRight,
            ],
            "focus",
        ),
        hint(&[Action::SplitRight, Action::SplitDown], "split"),
        hint(&[Action::Zoom], "zoom"),
        hint(&[Action::ClosePane], "close"),
        hint(
            &[Action::NewTab, Action::NextTab, Action::PreviousTab],
            "tabs",
        ),
        hint(&[Action::Broadcast], "broadcast"),
        hint(&[Action::ScrollMode], "scroll"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Help], "help"),
    ],
    ctrl_lenient: true,
    describe: &[],
};
/// Copy mode (`ctrl-] [`): a cursor through the pane's screen and history, tmux-like.
pub static SCROLL: KeyTable = KeyTable {
    title: "Copy mode (scrolling back)",
    bindings: &[&[
        bind(&[Key::Prefix], Action::Prefix),
        bind(&[Code(KeyCode::Up), C('k')], Action::Up),
        bind(&[Code(KeyCode::Down), C('j')], Action::Down),
        bind(&[Code(KeyCode::Left), C('h')], Action::CursorLeft),
        bind(&[Code(KeyCode::Right), C('l')], Action::CursorRight),
        bind(
            &[Code(KeyCode::PageUp), Ctrl('b'), Ctrl('u')],
            Action::PageUp,
        ),
        bind(
            &[Code(KeyCode::PageDown), Ctrl('f'), Ctrl('d')],
            Action::PageDown,
        ),
        bind(&[Code(KeyCode::Home), C('g')], Action::Top),
        bind(&[Code(KeyCode::End), C('G')], Action::Bottom),
        bind(&[C('v'), C(' ')], Action::Select),
        bind(&[C('V')], Action::SelectLines),
        bind(&[C('y'), Code(KeyCode::Enter)], Action::CopySelection),
        bind(&[C('/')], Action::SearchForward),
        bind(&[C('?')], Action::SearchBackward),
        bind(&[C('n')], Action::SearchNext),
        bind(&[C('N')], Action::SearchPrevious),
        bind(&[Code(KeyCode::Esc), C('q')], Action::Back),
    ]],
    hints: &[
        hint(
            &[
                Action::Up,
                Action::Down,
                Action::CursorLeft,
                Action::CursorRight,
            ],
            "move",
        ),
        hint(&[Action::Select, Action::SelectLines], "select"),
        hint(&[Action::CopySelection], "copy"),
        hint(&[Action::SearchForward, Action::SearchBackward], "search"),
        hint(&[Action::SearchNext, Action::SearchPrevious], "next"),
        hint(&[Action::Back], "live"),
    ],
    ctrl_lenient: false,
    describe: &[
        (Action::Back, "leave copy mode: back to the live pane"),
        (Action::Up, "cursor up (scrolls back at the top)"),
        (Action::Down, "cursor down"),
        (Action::PageUp, "a page back"),
        (Action::PageDown, "a page on"),
        (Action::Top, "the oldest line kept"),
        (Action::Bottom, "the newest line"),
    ],
};
/// An ended pane takes no typing; it offers these.
pub static ENDED_PANE: KeyTable = KeyTable {
    title: "An ended pane",
    bindings: &[&[
        bind(&[C('r'), Code(KeyCode::Enter)], Action::Reconnect),
        bind(&[C('D')], Action::Doctor),
        bind(&[C('x')], Action::ClosePane),
        bind(&[Code(KeyCode::Esc), C('f')], Action::ShowFleet),
        bind(&[C('?')], Action::Help),
        bind(&[C('q'), Ctrl('c')], Action::Quit),
    ]],
    hints: &[
        hint(&[Action::Reconnect], "reconnect"),
        hint(&[Action::Doctor], "doctor"),
        hint(&[Action::ClosePane], "close"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Help], "help"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: true,
    describe: &[],
};
