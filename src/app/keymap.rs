//! Keys to intents. Over the fleet, k9s-style: `/` filter, `s` shell, `?` help, `esc` back,
//! `q` quit, vim or arrow keys to move. Over the panes, tmux-style: typing goes to the focused
//! pane until the prefix chord, ctrl-], after which one key is a console key (split, focus,
//! zoom, close, tabs, broadcast, scroll, back to the fleet). The tables here serve key
//! handling, the help overlay and the status-bar hints alike.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, Input, Mode, PaneMode, State, View};
use crate::app::panes::PaneStatus;

/// Every action by the name the configuration's `[keys]` table uses.
pub const ACTION_NAMES: [(&str, Action); 45] = [
    ("up", Action::Up),
    ("down", Action::Down),
    ("page_up", Action::PageUp),
    ("page_down", Action::PageDown),
    ("top", Action::Top),
    ("bottom", Action::Bottom),
    ("filter", Action::Filter),
    ("mark", Action::ToggleMark),
    ("details", Action::Detail),
    ("back", Action::Back),
    ("help", Action::Help),
    ("sort", Action::SortNext),
    ("sort_reverse", Action::SortReverse),
    ("refresh", Action::Refresh),
    ("quit", Action::Quit),
    ("shell", Action::OpenShell),
    ("panes", Action::ShowPanes),
    ("command", Action::Command),
    ("fleet", Action::ShowFleet),
    ("send_prefix", Action::SendPrefix),
    ("focus_left", Action::FocusLeft),
    ("focus_right", Action::FocusRight),
    ("focus_up", Action::FocusUp),
    ("focus_down", Action::FocusDown),
    ("split_right", Action::SplitRight),
    ("split_down", Action::SplitDown),
    ("zoom", Action::Zoom),
    ("close_pane", Action::ClosePane),
    ("new_tab", Action::NewTab),
    ("next_tab", Action::NextTab),
    ("previous_tab", Action::PreviousTab),
    ("retile", Action::Retile),
    ("broadcast", Action::Broadcast),
    ("mark_pane", Action::MarkPane),
    ("scroll", Action::ScrollMode),
    ("reconnect", Action::Reconnect),
    ("tunnels", Action::ShowTunnels),
    ("tunnel_form", Action::OpenTunnelForm),
    ("toggle_tunnel", Action::ToggleTunnel),
    ("remove_tunnel", Action::RemoveTunnel),
    ("run", Action::OpenRun),
    ("watch", Action::ShowRun),
    ("cancel_run", Action::CancelRun),
    ("rerun_failed", Action::RerunFailed),
    ("history", Action::ShowHistory),
];

/// One key with its modifiers, as the configuration writes it: `s`, `G`, `ctrl-a`, `alt-x`,
/// `enter`, `f5`, `pageup`, `ctrl-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChord {
    code: KeyCode,
    ctrl: bool,
    alt: bool,
    label: String,
}

impl KeyChord {
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut rest = text;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(after) = rest.strip_prefix("ctrl-").filter(|a| !a.is_empty()) {
                ctrl = true;
                rest = after;
            } else if let Some(after) = rest.strip_prefix("alt-").filter(|a| !a.is_empty()) {
                alt = true;
                rest = after;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "insert" => KeyCode::Insert,
                "delete" => KeyCode::Delete,
                _ => match rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n @ 1..=12) => KeyCode::F(n),
                    _ => {
                        return Err(format!(
                            "{text:?} is not a key (e.g. \"s\", \"ctrl-a\", \"alt-x\", \"f5\", \"pageup\")"
                        ));
                    }
                },
            },
        };
        Ok(KeyChord {
            code,
            ctrl,
            alt,
            label: text.to_owned(),
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The key event this chord is, for sending it to a pane.
    pub fn to_event(&self) -> KeyEvent {
        let mut modifiers = KeyModifiers::NONE;
        if self.ctrl {
            modifiers |= KeyModifiers::CONTROL;
        }
        if self.alt {
            modifiers |= KeyModifiers::ALT;
        }
        KeyEvent::new(self.code, modifiers)
    }

    /// Whether a key event is this chord. Terminals send ctrl-\ ctrl-] ctrl-^ ctrl-_ as
    /// bytes crossterm reports as ctrl-4..7; shift is part of the character itself.
    pub fn matches(&self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let code = match key.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(match c {
                '4' => '\\',
                '5' => ']',
                '6' => '^',
                '7' => '_',
                other => other.to_ascii_lowercase(),
            }),
            other => other,
        };
        ctrl == self.ctrl && alt == self.alt && code == self.code
    }
}

/// The user's keys from the configuration: another prefix chord, and extra keys for actions
/// (they take precedence over the defaults, which stay).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyBindings {
    pub prefix: Option<KeyChord>,
    pub extra: Vec<(KeyChord, Action)>,
}

impl KeyBindings {
    /// Reads the `[keys]` table: `action = "key"` or `action = ["key", "key"]`, and
    /// `prefix = "ctrl-a"`.
    pub fn from_config(table: &BTreeMap<String, Vec<String>>) -> Result<KeyBindings, String> {
        let mut bindings = KeyBindings::default();
        for (name, keys) in table {
            if name == "prefix" {
                let [key] = keys.as_slice() else {
                    return Err("keys.prefix takes one key".to_owned());
                };
                bindings.prefix = Some(KeyChord::parse(key)?);
                continue;
            }
            let Some(&(_, action)) = ACTION_NAMES.iter().find(|(n, _)| n == name) else {
                let known: Vec<&str> = ACTION_NAMES.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "keys.{name}: no such action (known: prefix, {})",
                    known.join(", ")
                ));
            };
            for key in keys {
                let chord = KeyChord::parse(key).map_err(|e| format!("keys.{name}: {e}"))?;
                bindings.extra.push((chord, action));
            }
        }
        Ok(bindings)
    }

    fn is_prefix(&self, key: KeyEvent) -> bool {
        match &self.prefix {
            Some(chord) => chord.matches(key),
            None => is_prefix(key),
        }
    }

    pub fn prefix_label(&self) -> &str {
        self.prefix.as_ref().map_or(PREFIX_LABEL, KeyChord::label)
    }

    /// The user's key for `action` among `allowed`, if they bound one.
    fn extra_for(&self, key: KeyEvent, allowed: &[(&str, Action)]) -> Option<Action> {
        self.extra
            .iter()
            .find(|(chord, action)| chord.matches(key) && allowed.iter().any(|(_, a)| a == action))
            .map(|(_, action)| *action)
    }

    /// The user's keys for `action`, for the help overlay.
    pub fn labels_for(&self, action: Action) -> Vec<&str> {
        self.extra
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(chord, _)| chord.label())
            .collect()
    }
}

/// The prefix chord, as the help and the status bar name it.
pub const PREFIX_LABEL: &str = "ctrl-]";

/// Fleet bindings, in the order the help overlay lists them: key label, then intent.
pub const BINDINGS: [(&str, Action); 23] = [
    ("↑ k", Action::Up),
    ("↓ j", Action::Down),
    ("PgUp ctrl-b", Action::PageUp),
    ("PgDn ctrl-f", Action::PageDown),
    ("g Home", Action::Top),
    ("G End", Action::Bottom),
    ("/", Action::Filter),
    (":", Action::Command),
    ("space", Action::ToggleMark),
    ("s enter", Action::OpenShell),
    ("tab ctrl-]", Action::ShowPanes),
    ("t", Action::ShowTunnels),
    ("F (shift-f)", Action::OpenTunnelForm),
    ("R (shift-r)", Action::OpenRun),
    ("w", Action::ShowRun),
    ("H (shift-h)", Action::ShowHistory),
    ("d", Action::Detail),
    ("o", Action::SortNext),
    ("O", Action::SortReverse),
    ("r", Action::Refresh),
    ("esc", Action::Back),
    ("?", Action::Help),
    ("q ctrl-c", Action::Quit),
];

/// Pane bindings: the keys after the prefix chord.
pub const PANE_BINDINGS: [(&str, Action); 20] = [
    ("← h", Action::FocusLeft),
    ("→ l", Action::FocusRight),
    ("↑ k", Action::FocusUp),
    ("↓ j", Action::FocusDown),
    ("| %", Action::SplitRight),
    ("- \"", Action::SplitDown),
    ("z", Action::Zoom),
    ("x", Action::ClosePane),
    ("c", Action::NewTab),
    ("n", Action::NextTab),
    ("p", Action::PreviousTab),
    ("1-9", Action::SelectTab(1)),
    ("space", Action::Retile),
    ("b", Action::Broadcast),
    ("m", Action::MarkPane),
    ("[ PgUp", Action::ScrollMode),
    ("r", Action::Reconnect),
    ("ctrl-]", Action::SendPrefix),
    ("f esc tab", Action::ShowFleet),
    ("q", Action::Quit),
];

/// Tunnels view bindings.
pub const TUNNEL_BINDINGS: [(&str, Action); 6] = [
    ("↑ k ↓ j", Action::Down),
    ("enter space", Action::ToggleTunnel),
    ("x", Action::RemoveTunnel),
    ("esc f", Action::ShowFleet),
    ("tab", Action::ShowPanes),
    ("q", Action::Quit),
];

/// Run view bindings.
pub const RUN_BINDINGS: [(&str, Action); 6] = [
    ("c", Action::CancelRun),
    ("R", Action::RerunFailed),
    ("h", Action::ShowHistory),
    ("esc f", Action::ShowFleet),
    ("?", Action::Help),
    ("q", Action::Quit),
];

/// The hints the status bar shows over a watched command.
pub const RUN_HINTS: [(&str, &str); 6] = [
    ("↑↓", "instance"),
    ("c", "cancel"),
    ("R", "re-run failed"),
    ("h", "history"),
    ("esc", "fleet"),
    ("q", "quit"),
];

/// History view bindings and hints.
pub const HISTORY_BINDINGS: [(&str, Action); 2] =
    [("enter", Action::OpenShell), ("r", Action::Refresh)];
pub const HISTORY_HINTS: [(&str, &str); 4] = [
    ("enter", "watch"),
    ("r", "reload"),
    ("esc", "fleet"),
    ("q", "quit"),
];

/// The hints the status bar shows over the tunnels.
pub const TUNNEL_HINTS: [(&str, &str); 5] = [
    ("enter", "start/stop"),
    ("x", "remove"),
    ("esc", "fleet"),
    ("?", "help"),
    ("q", "quit"),
];

/// The hints the status bar shows over the fleet.
pub const HINTS: [(&str, &str); 11] = [
    ("/", "filter"),
    ("space", "mark"),
    ("s", "shell"),
    ("F", "tunnel"),
    ("t", "tunnels"),
    ("R", "run"),
    ("d", "details"),
    ("o", "sort"),
    ("r", "refresh"),
    ("?", "help"),
    ("q", "quit"),
];

/// The hints after the prefix chord.
pub const PANE_HINTS: [(&str, &str); 9] = [
    ("←↑↓→", "focus"),
    ("| -", "split"),
    ("z", "zoom"),
    ("x", "close"),
    ("c n p", "tabs"),
    ("b", "broadcast"),
    ("[", "scroll"),
    ("f", "fleet"),
    ("?", "help"),
];

/// Where a key goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    /// To the console.
    App(Input),
    /// Typed into the pane(s): the runtime encodes it for the terminal.
    Pane,
}

fn is_prefix(key: KeyEvent) -> bool {
    // Terminals send ctrl-] as 0x1d, which crossterm reports as ctrl-5.
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char(']') | KeyCode::Char('5'))
}

/// What a key means in the console's current state, if anything.
pub fn route(key: KeyEvent, state: &State) -> Option<Routed> {
    let action = |a: Action| Some(Routed::App(Input::Action(a)));
    let keys = &state.keys;
    let editing = matches!(
        state.mode,
        Mode::Filter | Mode::Command | Mode::TunnelForm | Mode::RunCompose | Mode::RunConfirm
    );
    if state.view == View::Tunnels && !editing && state.mode != Mode::Help {
        return tunnel_key(key, keys).map(|a| Routed::App(Input::Action(a)));
    }
    if state.view == View::Run && !editing && state.mode != Mode::Help {
        return run_key(key, keys).map(|a| Routed::App(Input::Action(a)));
    }
    if state.view == View::History && !editing && state.mode != Mode::Help {
        return list_key(key, keys, &HISTORY_BINDINGS, |code| match code {
            KeyCode::Enter => Some(Action::OpenShell),
            KeyCode::Char('r') => Some(Action::Refresh),
            _ => None,
        })
        .map(|a| Routed::App(Input::Action(a)));
    }
    if state.view != View::Panes || state.mode == Mode::Help || state.workspace.is_empty() {
        if keys.is_prefix(key) && !editing {
            return action(Action::ShowPanes);
        }
        return fleet_input(key, state.mode, keys).map(Routed::App);
    }
    match state.pane_mode {
        PaneMode::Typing => {
            if keys.is_prefix(key) {
                return action(Action::Prefix);
            }
            let ended = state
                .workspace
                .focused()
                .is_some_and(|p| matches!(p.status, PaneStatus::Ended { .. }));
            if ended && !state.workspace.tab().is_some_and(|t| t.broadcast) {
                // An ended pane takes no typing; offer what it says it offers.
                return match key.code {
                    KeyCode::Char('r') | KeyCode::Enter => action(Action::Reconnect),
                    KeyCode::Char('x') => action(Action::ClosePane),
                    _ => None,
                };
            }
            Some(Routed::Pane)
        }
        PaneMode::Prefix => Some(Routed::App(
            pane_command(key, keys).map_or(Input::PrefixCancelled, Input::Action),
        )),
        PaneMode::Scroll => scroll_key(key, keys).map(|a| Routed::App(Input::Action(a))),
    }
}

/// The console key after the prefix chord.
fn pane_command(key: KeyEvent, keys: &KeyBindings) -> Option<Action> {
    if keys.is_prefix(key) {
        return Some(Action::SendPrefix);
    }
    if let Some(action) = keys.extra_for(key, &PANE_BINDINGS) {
        return Some(action);
    }
    Some(match key.code {
        KeyCode::Left | KeyCode::Char('h') => Action::FocusLeft,
        KeyCode::Right | KeyCode::Char('l') => Action::FocusRight,
        KeyCode::Up | KeyCode::Char('k') => Action::FocusUp,
        KeyCode::Down | KeyCode::Char('j') => Action::FocusDown,
        KeyCode::Char('|' | '%') => Action::SplitRight,
        KeyCode::Char('-' | '"') => Action::SplitDown,
        KeyCode::Char('z') => Action::Zoom,
        KeyCode::Char('x') => Action::ClosePane,
        KeyCode::Char('c') => Action::NewTab,
        KeyCode::Char('n') => Action::NextTab,
        KeyCode::Char('p') => Action::PreviousTab,
        KeyCode::Char(digit @ '1'..='9') => Action::SelectTab(digit as u8 - b'0'),
        KeyCode::Char(' ') => Action::Retile,
        KeyCode::Char('b') => Action::Broadcast,
        KeyCode::Char('m') => Action::MarkPane,
        KeyCode::Char('[') | KeyCode::PageUp => Action::ScrollMode,
        KeyCode::Char('r') => Action::Reconnect,
        KeyCode::Char('f') | KeyCode::Esc | KeyCode::Tab => Action::ShowFleet,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    })
}

/// Keys over the list views (tunnels, a watched command): the view's own keys and the
/// user's first, then moving, leaving and quitting, shared by both.
fn list_key(
    key: KeyEvent,
    keys: &KeyBindings,
    bindings: &[(&str, Action)],
    own: impl Fn(KeyCode) -> Option<Action>,
) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if let Some(action) = keys.extra_for(key, bindings).or_else(|| own(key.code)) {
        return Some(action);
    }
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Esc | KeyCode::Char('f') => Action::ShowFleet,
        KeyCode::Char(':') => Action::Command,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    })
}

/// Keys over the Tunnels view.
fn tunnel_key(key: KeyEvent, keys: &KeyBindings) -> Option<Action> {
    list_key(key, keys, &TUNNEL_BINDINGS, |code| match code {
        KeyCode::Enter | KeyCode::Char(' ') => Some(Action::ToggleTunnel),
        KeyCode::Char('x') | KeyCode::Delete => Some(Action::RemoveTunnel),
        KeyCode::Tab => Some(Action::ShowPanes),
        _ => None,
    })
}

/// Keys over a watched command.
fn run_key(key: KeyEvent, keys: &KeyBindings) -> Option<Action> {
    list_key(key, keys, &RUN_BINDINGS, |code| match code {
        KeyCode::Char('c') => Some(Action::CancelRun),
        KeyCode::Char('R') => Some(Action::RerunFailed),
        KeyCode::Char('h') => Some(Action::ShowHistory),
        _ => None,
    })
}

/// Keys while scrolling back through a pane.
fn scroll_key(key: KeyEvent, keys: &KeyBindings) -> Option<Action> {
    if keys.is_prefix(key) {
        return Some(Action::Prefix);
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('b' | 'u') if ctrl => Action::PageUp,
        KeyCode::Char('f' | 'd') if ctrl => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => Action::Back,
        _ => return None,
    })
}

/// What a key means over the fleet in `mode` with the default keys, if anything.
pub fn input_for(key: KeyEvent, mode: Mode) -> Option<Input> {
    fleet_input(key, mode, &KeyBindings::default())
}

/// What a key means over the fleet in `mode`, the user's keys first.
fn fleet_input(key: KeyEvent, mode: Mode, keys: &KeyBindings) -> Option<Input> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Input::Action(Action::Quit));
    }
    if mode == Mode::RunCompose {
        return match key.code {
            KeyCode::Esc => Some(Input::Action(Action::Back)),
            // ctrl-s sends from any field; Enter adds a line to the command.
            KeyCode::Char('s') if ctrl => Some(Input::FilterDone),
            KeyCode::Enter => Some(Input::FormEnter),
            KeyCode::Backspace => Some(Input::FilterBackspace),
            KeyCode::Tab => Some(Input::FormNext),
            KeyCode::BackTab => Some(Input::FormPrevious),
            KeyCode::Char(c) if !ctrl => Some(Input::FilterChar(c)),
            _ => None,
        };
    }
    if mode == Mode::RunConfirm {
        return match key.code {
            KeyCode::Esc => Some(Input::Action(Action::Back)),
            KeyCode::Enter => Some(Input::FilterDone),
            KeyCode::Backspace => Some(Input::FilterBackspace),
            KeyCode::Char(c) if !ctrl => Some(Input::FilterChar(c)),
            _ => None,
        };
    }
    if mode == Mode::TunnelForm {
        return match key.code {
            KeyCode::Esc => Some(Input::Action(Action::Back)),
            KeyCode::Enter => Some(Input::FilterDone),
            KeyCode::Backspace => Some(Input::FilterBackspace),
            KeyCode::Tab | KeyCode::Down => Some(Input::FormNext),
            KeyCode::BackTab | KeyCode::Up => Some(Input::FormPrevious),
            KeyCode::Char(c) if !ctrl => Some(Input::FilterChar(c)),
            _ => None,
        };
    }
    if mode == Mode::Filter || mode == Mode::Command {
        // One line editor serves the filter and the `:` command line.
        return match key.code {
            KeyCode::Esc => Some(Input::Action(Action::Back)),
            KeyCode::Enter => Some(Input::FilterDone),
            KeyCode::Backspace => Some(Input::FilterBackspace),
            KeyCode::Char(c) if !ctrl => Some(Input::FilterChar(c)),
            _ => None,
        };
    }
    if let Some(action) = keys.extra_for(key, &BINDINGS) {
        return Some(Input::Action(action));
    }
    let action = match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('b') if ctrl => Action::PageUp,
        KeyCode::Char('f') if ctrl => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char(':') => Action::Command,
        KeyCode::Char(' ') => Action::ToggleMark,
        KeyCode::Enter | KeyCode::Char('s') => Action::OpenShell,
        KeyCode::Tab => Action::ShowPanes,
        KeyCode::Char('t') => Action::ShowTunnels,
        KeyCode::Char('F') => Action::OpenTunnelForm,
        KeyCode::Char('R') => Action::OpenRun,
        KeyCode::Char('w') => Action::ShowRun,
        KeyCode::Char('H') => Action::ShowHistory,
        KeyCode::Char('d') => Action::Detail,
        KeyCode::Char('o') => Action::SortNext,
        KeyCode::Char('O') => Action::SortReverse,
        KeyCode::Char('r') => Action::Refresh,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    };
    Some(Input::Action(action))
}
