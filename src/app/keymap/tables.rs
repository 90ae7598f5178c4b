//! The key tables, one per view: which keys trigger which action, and which of them the
//! status bar offers as hints. Routing, the `?` help and the hints all read these tables, so
//! what the help says is what a key does. The user's own keys (`[keys]` in the
//! configuration) are entries placed before the table's own.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::action::Action;

/// A key as the tables write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character as typed (shift is part of the character: `G`, `?`).
    Char(char),
    /// Control and a letter or sign.
    Ctrl(char),
    /// A named key: arrows, Enter, Esc, Tab, PageUp…
    Code(KeyCode),
    /// Any of 1–9 (tabs).
    Digit,
    /// The prefix chord, ctrl-] unless the configuration names another.
    Prefix,
}

impl Key {
    /// Whether `event` is this key. The prefix is matched by the caller, who knows the
    /// configured chord.
    pub fn matches(self, event: KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        match (self, event.code) {
            (Key::Char(want), KeyCode::Char(got)) => !ctrl && want == got,
            (Key::Ctrl(want), KeyCode::Char(got)) => ctrl && want == got.to_ascii_lowercase(),
            (Key::Code(want), got) => want == got,
            (Key::Digit, KeyCode::Char('1'..='9')) => !ctrl,
            _ => false,
        }
    }

    /// How the help and the hints write it.
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "space".to_owned(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("ctrl-{c}"),
            Key::Digit => "1-9".to_owned(),
            Key::Prefix => "prefix".to_owned(),
            Key::Code(code) => match code {
                KeyCode::Up => "↑",
                KeyCode::Down => "↓",
                KeyCode::Left => "←",
                KeyCode::Right => "→",
                KeyCode::Enter => "enter",
                KeyCode::Esc => "esc",
                KeyCode::Tab => "tab",
                KeyCode::PageUp => "PgUp",
                KeyCode::PageDown => "PgDn",
                KeyCode::Home => "Home",
                KeyCode::End => "End",
                KeyCode::Delete => "Del",
                _ => "?",
            }
            .to_owned(),
        }
    }
}

/// Keys that trigger one action.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
}

/// A status-bar hint: the first key of each action, and what they do together.
#[derive(Debug, Clone, Copy)]
pub struct Hint {
    pub actions: &'static [Action],
    pub text: &'static str,
}

/// One view's keys: its bindings (in the order the help lists them; the first match wins)
/// and its hints.
#[derive(Debug, Clone, Copy)]
pub struct KeyTable {
    pub title: &'static str,
    pub bindings: &'static [&'static [Binding]],
    pub hints: &'static [Hint],
    /// A letter held with ctrl counts as the letter when nothing binds the chord (after the
    /// prefix, fingers often still hold ctrl: ctrl-] ctrl-n is the next tab).
    pub ctrl_lenient: bool,
}

impl KeyTable {
    /// Every binding, in order.
    pub fn all(&self) -> impl Iterator<Item = &'static Binding> {
        self.bindings.iter().flat_map(|part| part.iter())
    }

    /// Whether the table binds `action` (any tab for `SelectTab`).
    pub fn binds(&self, action: Action) -> bool {
        let kind = std::mem::discriminant(&action);
        self.all()
            .any(|b| std::mem::discriminant(&b.action) == kind)
    }

    /// The action the table's own keys give `event`; `is_prefix` says whether it is the
    /// configured prefix chord.
    pub fn action_for(&self, event: KeyEvent, is_prefix: bool) -> Option<Action> {
        let exact = self.exact_action_for(event, is_prefix);
        if exact.is_some() || !self.ctrl_lenient || is_prefix {
            return exact;
        }
        let mut plain = event;
        plain.modifiers.remove(KeyModifiers::CONTROL);
        (plain != event)
            .then(|| self.exact_action_for(plain, false))
            .flatten()
    }

    fn exact_action_for(&self, event: KeyEvent, is_prefix: bool) -> Option<Action> {
        self.all().find_map(|binding| {
            let hit = binding.keys.iter().any(|&key| match key {
                Key::Prefix => is_prefix,
                _ => !is_prefix && key.matches(event),
            });
            hit.then(|| match (binding.action, event.code) {
                (Action::SelectTab(_), KeyCode::Char(digit @ '1'..='9')) => {
                    Action::SelectTab(digit as u8 - b'0')
                }
                (action, _) => action,
            })
        })
    }

    /// The keys the table binds to `action`, as the help writes them.
    pub fn labels(&self, action: Action, prefix_label: &str) -> Vec<String> {
        let kind = std::mem::discriminant(&action);
        self.all()
            .filter(|b| std::mem::discriminant(&b.action) == kind)
            .flat_map(|b| b.keys.iter())
            .map(|&key| match key {
                Key::Prefix => prefix_label.to_owned(),
                other => other.label(),
            })
            .collect()
    }

    /// The hints, as (keys, what) pairs for the status bar.
    pub fn hint_pairs(&self, prefix_label: &str) -> Vec<(String, &'static str)> {
        self.hints
            .iter()
            .map(|hint| {
                let firsts: Vec<String> = hint
                    .actions
                    .iter()
                    .filter_map(|&action| self.labels(action, prefix_label).into_iter().next())
                    .collect();
                // Arrows read as one glyph group; other keys are spaced.
                let arrows = firsts
                    .iter()
                    .all(|l| matches!(l.as_str(), "←" | "↑" | "↓" | "→"));
                (firsts.join(if arrows { "" } else { " " }), hint.text)
            })
            .collect()
    }
}

const fn bind(keys: &'static [Key], action: Action) -> Binding {
    Binding { keys, action }
}

const fn hint(actions: &'static [Action], text: &'static str) -> Hint {
    Hint { actions, text }
}

use Key::{Char as C, Code, Ctrl};

/// Moving through a list, leaving it, the command line, help and quitting: shared by the
/// list views (tunnels, a watched command, the history).
const LIST: [Binding; 11] = [
    bind(&[Code(KeyCode::Up), C('k')], Action::Up),
    bind(&[Code(KeyCode::Down), C('j')], Action::Down),
    bind(&[Code(KeyCode::PageUp)], Action::PageUp),
    bind(&[Code(KeyCode::PageDown)], Action::PageDown),
    bind(&[Code(KeyCode::Home), C('g')], Action::Top),
    bind(&[Code(KeyCode::End), C('G')], Action::Bottom),
    bind(&[Code(KeyCode::Esc), C('f')], Action::ShowFleet),
    bind(&[C(':')], Action::Command),
    bind(&[C('?')], Action::Help),
    bind(&[C('q'), Ctrl('c')], Action::Quit),
    bind(&[Key::Prefix], Action::ShowPanes),
];

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
        bind(&[Code(KeyCode::Tab), Key::Prefix], Action::ShowPanes),
        bind(&[C('t')], Action::ShowTunnels),
        bind(&[C('F')], Action::OpenTunnelForm),
        bind(&[C('R')], Action::OpenRun),
        bind(&[C('w')], Action::ShowRun),
        bind(&[C('H')], Action::ShowHistory),
        bind(&[C('S')], Action::ShowSessions),
        bind(&[C('E')], Action::ShowContainers),
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
        hint(&[Action::Help], "help"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
};

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
};

/// The Tunnels view.
pub static TUNNELS: KeyTable = KeyTable {
    title: "Tunnels",
    bindings: &[
        &[
            bind(&[Code(KeyCode::Enter), C(' ')], Action::ToggleTunnel),
            bind(&[C('x'), Code(KeyCode::Delete)], Action::RemoveTunnel),
            bind(&[Code(KeyCode::Tab)], Action::ShowPanes),
        ],
        &LIST,
    ],
    hints: &[
        hint(&[Action::ToggleTunnel], "start/stop"),
        hint(&[Action::RemoveTunnel], "remove"),
        hint(&[Action::ShowFleet], "fleet"),
        hint(&[Action::Help], "help"),
        hint(&[Action::Quit], "quit"),
    ],
    ctrl_lenient: false,
};

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
};

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
};

/// Over the help: it scrolls, and closes with the keys that close everything else.
pub static HELP: KeyTable = KeyTable {
    title: "This help",
    bindings: &[&[
        bind(&[Code(KeyCode::Up), C('k')], Action::Up),
        bind(&[Code(KeyCode::Down), C('j')], Action::Down),
        bind(
            &[Code(KeyCode::PageUp), Ctrl('b'), Ctrl('u')],
            Action::PageUp,
        ),
        bind(
            &[Code(KeyCode::PageDown), Ctrl('f'), Ctrl('d'), C(' ')],
            Action::PageDown,
        ),
        bind(&[Code(KeyCode::Home), C('g')], Action::Top),
        bind(&[Code(KeyCode::End), C('G')], Action::Bottom),
        bind(&[Code(KeyCode::Esc), C('q'), C('?')], Action::Back),
        bind(&[Ctrl('c')], Action::Quit),
    ]],
    hints: &[
        hint(
            &[Action::Up, Action::Down, Action::PageUp, Action::PageDown],
            "scroll",
        ),
        hint(&[Action::Back], "close"),
    ],
    ctrl_lenient: false,
};

/// Every table, for the tests that hold them to their promises.
pub static ALL: [&KeyTable; 10] = [
    &FLEET,
    &PANES,
    &SCROLL,
    &ENDED_PANE,
    &TUNNELS,
    &RUN,
    &HISTORY,
    &SESSIONS,
    &CONTAINERS,
    &HELP,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hint_names_keys_its_table_binds() {
        for table in ALL {
            for hint in table.hints {
                for &action in hint.actions {
                    assert!(
                        table.binds(action),
                        "{}: the hint {:?} names {action:?}, which the table does not bind",
                        table.title,
                        hint.text
                    );
                }
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_table() {
        for table in ALL {
            let mut seen: Vec<(Key, Action)> = Vec::new();
            for binding in table.all() {
                for &key in binding.keys {
                    if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                        panic!(
                            "{}: {} is bound to {first:?} and to {:?}",
                            table.title,
                            key.label(),
                            binding.action
                        );
                    }
                    seen.push((key, binding.action));
                }
            }
        }
    }

    #[test]
    fn hints_read_their_keys_from_the_table() {
        let pairs = FLEET.hint_pairs("ctrl-]");
        assert_eq!(pairs[0], ("/".to_owned(), "filter"));
        assert_eq!(pairs[2], ("s".to_owned(), "shell"));
        let panes = PANES.hint_pairs("ctrl-]");
        assert_eq!(panes[0], ("←↑↓→".to_owned(), "focus"));
        assert_eq!(panes[1], ("| -".to_owned(), "split"));
        assert_eq!(RUN.hint_pairs("ctrl-]")[0], ("↑↓".to_owned(), "instance"));
    }

    #[test]
    fn after_the_prefix_a_held_ctrl_still_picks_the_letter() {
        let ctrl_n = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL);
        assert_eq!(PANES.action_for(ctrl_n, false), Some(Action::NextTab));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            RUN.action_for(ctrl_c, false),
            Some(Action::Quit),
            "not cancel"
        );
    }

    #[test]
    fn digits_select_tabs() {
        let event = KeyEvent::new(KeyCode::Char('4'), KeyModifiers::NONE);
        assert_eq!(PANES.action_for(event, false), Some(Action::SelectTab(4)));
        assert_eq!(FLEET.action_for(event, false), None);
    }
}
