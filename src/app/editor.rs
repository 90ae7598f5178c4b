//! One line editor for every text field of the console (the filters, the `:` line, the forms'
//! fields, the typed count of a confirmation, copy mode's search), and what a key in a text
//! field asks for. Which key asks for what is a table (`EDITOR_KEYS`), as the views' keys are;
//! a key no row binds is text.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The text typed into one field. It reads as the `&str` it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: String,
}

impl LineEditor {
    pub fn new(text: impl Into<String>) -> LineEditor {
        LineEditor { text: text.into() }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Applies one editing key: a character typed, or the one before the cursor deleted.
    /// Other inputs are the field's owner's to act on; they change nothing here.
    pub fn edit(&mut self, input: &TextInput) {
        match input {
            TextInput::Char(c) => self.text.push(*c),
            TextInput::Backspace => {
                self.text.pop();
            }
            TextInput::ClearLine => self.text.clear(),
            TextInput::DeleteWord => {
                // The word before the cursor and the spaces after it, as a shell's ctrl-w.
                let kept = self.text.trim_end().len();
                let start = self.text[..kept].rfind(' ').map_or(0, |space| space + 1);
                self.text.truncate(start);
            }
            _ => {}
        }
    }

    pub fn push(&mut self, c: char) {
        self.text.push(c);
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }

    pub fn set(&mut self, text: impl Into<String>) {
        self.text = text.into();
    }

    /// The text, leaving the field empty.
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }
}

impl std::ops::Deref for LineEditor {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for LineEditor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<&str> for LineEditor {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<str> for LineEditor {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl From<&str> for LineEditor {
    fn from(text: &str) -> LineEditor {
        LineEditor::new(text)
    }
}

/// The forms' keys (the filter, the `:` line, the tunnel form, the Run Command form), for the
/// help: `EDITOR_KEYS` is what they say, and a test holds each line to it.
pub const FORM_KEYS: [(&str, &str); 8] = [
    (
        "enter",
        "apply the filter or the : command; start the tunnel; a new line in a command",
    ),
    (
        "tab shift-tab",
        "next / previous field of a form (↑↓ too in the tunnel form)",
    ),
    (
        "ctrl-s",
        "Run Command form: go on to the blast radius and the confirmation",
    ),
    ("backspace", "delete the character before the cursor"),
    (
        "ctrl-u ctrl-w",
        "delete the whole line / the word before the cursor",
    ),
    ("↑", "the filter line: back to the filter in force before /"),
    ("esc", "cancel: close the form or clear the filter"),
    ("ctrl-c", "quit, from any form"),
];

/// What a key in a text field asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextInput {
    Char(char),
    Backspace,
    /// ctrl-u: the whole line.
    ClearLine,
    /// ctrl-w: the word before the cursor.
    DeleteWord,
    /// ↑ on the filter line: the filter in force before `/`.
    Recall,
    /// Enter: apply the filter or the `:` line, start the tunnel, a new line in a command.
    Enter,
    /// ctrl-s: go on from the Run Command form, whichever field has the cursor.
    Submit,
    /// The next or previous field of a form.
    Next,
    Previous,
    /// esc: close the form or the line (the filter is cleared).
    Cancel,
}

/// Which open field a row of `EDITOR_KEYS` counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorKind {
    /// The filter line, the `:` line, copy mode's search.
    Line,
    TunnelForm,
    RunCompose,
    /// The typed count (or y/n) of a Run Command confirmation.
    Confirm,
}

/// Where a row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Every,
    Forms,
    Only(EditorKind),
}

impl Scope {
    fn covers(self, kind: EditorKind) -> bool {
        match self {
            Scope::Every => true,
            Scope::Forms => matches!(kind, EditorKind::TunnelForm | EditorKind::RunCompose),
            Scope::Only(only) => only == kind,
        }
    }
}

/// One row: a key, where it counts, what it asks for (the first row that matches wins).
struct EditorKey {
    code: KeyCode,
    ctrl: bool,
    scope: Scope,
    does: TextInput,
}

const fn row(code: KeyCode, ctrl: bool, scope: Scope, does: TextInput) -> EditorKey {
    EditorKey {
        code,
        ctrl,
        scope,
        does,
    }
}

/// The editing keys, in every text field; any other key without ctrl is text.
const EDITOR_KEYS: [EditorKey; 11] = [
    row(KeyCode::Esc, false, Scope::Every, TextInput::Cancel),
    row(KeyCode::Char('u'), true, Scope::Every, TextInput::ClearLine),
    row(
        KeyCode::Char('w'),
        true,
        Scope::Every,
        TextInput::DeleteWord,
    ),
    row(
        KeyCode::Up,
        false,
        Scope::Only(EditorKind::Line),
        TextInput::Recall,
    ),
    row(
        KeyCode::Backspace,
        false,
        Scope::Every,
        TextInput::Backspace,
    ),
    row(
        KeyCode::Char('s'),
        true,
        Scope::Only(EditorKind::RunCompose),
        TextInput::Submit,
    ),
    row(KeyCode::Enter, false, Scope::Every, TextInput::Enter),
    row(KeyCode::Tab, false, Scope::Forms, TextInput::Next),
    row(KeyCode::BackTab, false, Scope::Forms, TextInput::Previous),
    row(
        KeyCode::Down,
        false,
        Scope::Only(EditorKind::TunnelForm),
        TextInput::Next,
    ),
    row(
        KeyCode::Up,
        false,
        Scope::Only(EditorKind::TunnelForm),
        TextInput::Previous,
    ),
];

/// What `key` asks of the open field of `kind`: a row of `EDITOR_KEYS`, or text; `None` for
/// a key that means nothing there (a ctrl chord no row binds, a function key).
pub fn text_input(key: KeyEvent, kind: EditorKind) -> Option<TextInput> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let bound = EDITOR_KEYS
        .iter()
        .find(|row| row.code == key.code && row.ctrl == ctrl && row.scope.covers(kind));
    match (bound, key.code) {
        (Some(row), _) => Some(row.does.clone()),
        (None, KeyCode::Char(c)) if !ctrl => Some(TextInput::Char(c)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn ctrl_u_clears_the_line_and_ctrl_w_the_word_before_the_cursor() {
        let ctrl = |c| {
            text_input(
                key(KeyCode::Char(c), KeyModifiers::CONTROL),
                EditorKind::Line,
            )
        };
        assert_eq!(ctrl('u'), Some(TextInput::ClearLine));
        assert_eq!(ctrl('w'), Some(TextInput::DeleteWord));
        let mut line = LineEditor::new("status:online tag:Team=web  ");
        line.edit(&TextInput::DeleteWord);
        assert_eq!(line.text(), "status:online ");
        line.edit(&TextInput::DeleteWord);
        assert_eq!(line.text(), "");
        line.set("payments");
        line.edit(&TextInput::ClearLine);
        assert_eq!(line.text(), "");
        assert_eq!(
            text_input(key(KeyCode::Up, KeyModifiers::NONE), EditorKind::Line),
            Some(TextInput::Recall)
        );
    }

    #[test]
    fn unbound_keys_are_text_and_rows_say_the_rest() {
        let plain = KeyModifiers::NONE;
        let kinds = [
            EditorKind::Line,
            EditorKind::TunnelForm,
            EditorKind::RunCompose,
            EditorKind::Confirm,
        ];
        for kind in kinds {
            assert_eq!(
                text_input(key(KeyCode::Char('x'), plain), kind),
                Some(TextInput::Char('x'))
            );
            assert_eq!(
                text_input(key(KeyCode::Esc, plain), kind),
                Some(TextInput::Cancel)
            );
            assert_eq!(
                text_input(key(KeyCode::Enter, plain), kind),
                Some(TextInput::Enter)
            );
            assert_eq!(
                text_input(key(KeyCode::Backspace, plain), kind),
                Some(TextInput::Backspace)
            );
        }
        let ctrl_s = key(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(
            text_input(ctrl_s, EditorKind::RunCompose),
            Some(TextInput::Submit)
        );
        assert_eq!(text_input(ctrl_s, EditorKind::Line), None);
        let down = key(KeyCode::Down, plain);
        assert_eq!(
            text_input(down, EditorKind::TunnelForm),
            Some(TextInput::Next)
        );
        assert_eq!(text_input(down, EditorKind::RunCompose), None);
        assert_eq!(
            text_input(key(KeyCode::Tab, plain), EditorKind::RunCompose),
            Some(TextInput::Next)
        );
        assert_eq!(text_input(key(KeyCode::Tab, plain), EditorKind::Line), None);
    }

    #[test]
    fn the_editor_reads_as_its_text() {
        let mut editor = LineEditor::default();
        for input in [
            TextInput::Char('a'),
            TextInput::Char('b'),
            TextInput::Backspace,
            TextInput::Char('c'),
            TextInput::Enter,
        ] {
            editor.edit(&input);
        }
        assert_eq!(&*editor, "ac");
        assert_eq!(editor.to_string(), "ac");
        assert_eq!(editor.take(), "ac");
        assert!(editor.is_empty());
    }
}
