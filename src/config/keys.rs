//! Keys as the configuration file writes them: one chord (`s`, `G`, `ctrl-a`, `alt-x`,
//! `enter`, `f5`, `pageup`, `ctrl-]`), parsed and matched against the terminal's key events.
//! Which action a chord is bound to is the console's business (`app::keymap`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
