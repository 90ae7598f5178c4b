//! Key tables, the engine: keys as rows (which keys trigger which action, and which of them the
//! status bar offers as hints), matched against key events. Each view keeps its own table in
//! its `keys.rs`; routing, the `?` help and the hints all read those tables, so what the help
//! says is what a key does. The user's own keys (`[keys]` in the configuration) are entries
//! placed before the table's own. `LIST` holds the rows every list view shares.

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
    /// What an action does in this view where it differs from its general description (a
    /// shell here is into a container; esc in copy mode goes back to the live pane).
    pub describe: &'static [(Action, &'static str)],
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

    /// What `action` does here, as the help says it.
    pub fn describe(&self, action: Action) -> &'static str {
        let kind = std::mem::discriminant(&action);
        self.describe
            .iter()
            .find(|(a, _)| std::mem::discriminant(a) == kind)
            .map_or_else(|| action.describe(), |(_, text)| *text)
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
    pub fn hint_pairs(&self, prefix_label: &str, read_only: bool) -> Vec<(String, &'static str)> {
        self.hints
            .iter()
            .filter(|hint| !(read_only && hint.actions.iter().all(|a| a.changes_something())))
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

pub const fn bind(keys: &'static [Key], action: Action) -> Binding {
    Binding { keys, action }
}

pub const fn hint(actions: &'static [Action], text: &'static str) -> Hint {
    Hint { actions, text }
}

use Key::{Char as C, Code, Ctrl};

/// Moving through a list, leaving it, the command line, help and quitting: shared by the
/// list views (tunnels, a watched command, the history).
pub const LIST: [Binding; 11] = [
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
