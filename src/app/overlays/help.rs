//! The help overlay's text: the keys in effect (the user's own first) for the view it was
//! opened from, then every other view's and the forms', wrapped to the overlay's width so
//! that the reducer knows where scrolling ends and the drawing only styles the lines.

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::FORM_KEYS;
use crate::app::keymap::KeyTable;

/// The overlay is at most this wide; narrower on a narrower terminal.
pub const HELP_WIDTH: u16 = 84;
/// The key column, indent included: descriptions start here and wrap back to here.
const KEY_COLUMN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Heading(String),
    /// A key line: its keys (empty on a description's continuation) and its text.
    Key {
        keys: String,
        text: String,
    },
    Blank,
}

/// Every line of the help at the overlay's width on a screen `screen_width` wide.
pub fn lines(state: &State, screen_width: u16) -> Vec<HelpLine> {
    let width = usize::from(HELP_WIDTH.min(screen_width).saturating_sub(2)).max(20);
    let keys = &state.frame.keys;
    let front = crate::app::views::help_table(state);
    let mut order: Vec<&'static KeyTable> = vec![front];
    order.extend(crate::app::views::ALL_TABLES.iter().copied().filter(|t| {
        !std::ptr::eq(*t, front) && !std::ptr::eq(*t, &crate::app::overlays::help_table::HELP)
    }));
    let mut lines = Vec::new();
    for table in order {
        if !lines.is_empty() {
            lines.push(HelpLine::Blank);
        }
        let title = if std::ptr::eq(table, &crate::app::views::panes::keys::PANES) {
            format!(
                "Panes: typing goes to the pane; {} then",
                keys.prefix_label()
            )
        } else {
            table.title.to_owned()
        };
        lines.push(HelpLine::Heading(title));
        // One entry an action, with every key the table (and the user) gives it.
        let mut listed: Vec<Action> = Vec::new();
        for binding in table.all() {
            let kind = std::mem::discriminant(&binding.action);
            if listed.iter().any(|a| std::mem::discriminant(a) == kind) {
                continue;
            }
            listed.push(binding.action);
            let label = keys.labels_in(table, binding.action).join(" ");
            push_wrapped(&mut lines, label, table.describe(binding.action), width);
        }
    }
    lines.push(HelpLine::Blank);
    lines.push(HelpLine::Heading("Forms and the filter".to_owned()));
    for (label, text) in FORM_KEYS {
        push_wrapped(&mut lines, label.to_owned(), text, width);
    }
    lines
}

/// The widest key label that leaves a space before the text column (indent 2, space 1).
pub const KEY_LABEL_WIDTH: usize = KEY_COLUMN - 3;

/// A key line, its text wrapped at word boundaries under the text column. Keys too long for
/// their column get a line of their own, the text under them.
fn push_wrapped(lines: &mut Vec<HelpLine>, keys: String, text: &str, width: usize) {
    let room = width.saturating_sub(KEY_COLUMN).max(10);
    let mut current = String::new();
    let mut first = Some(keys);
    if first
        .as_ref()
        .is_some_and(|k| k.chars().count() > KEY_LABEL_WIDTH)
    {
        lines.push(HelpLine::Key {
            keys: first.take().unwrap_or_default(),
            text: String::new(),
        });
    }
    for word in text.split(' ') {
        let fits = current.is_empty() || current.chars().count() + 1 + word.chars().count() <= room;
        if !fits {
            lines.push(HelpLine::Key {
                keys: first.take().unwrap_or_default(),
                text: std::mem::take(&mut current),
            });
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(HelpLine::Key {
        keys: first.take().unwrap_or_default(),
        text: current,
    });
}

/// Rows of help the overlay shows at once on a screen `screen_height` tall (inside its
/// border).
pub fn rows_shown(screen_height: u16, total: usize) -> usize {
    total.min(usize::from(screen_height.saturating_sub(2)))
}

/// The furthest the help scrolls on a screen of this size: its last line at the bottom.
pub fn max_scroll(state: &State, screen_width: u16, screen_height: u16) -> usize {
    let total = lines(state, screen_width).len();
    total.saturating_sub(rows_shown(screen_height, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::editor::{EditorKind, TextInput};
    use crate::app::input::Input;
    use crate::app::route::editor_input;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn text_of(lines: &[HelpLine]) -> String {
        lines
            .iter()
            .map(|line| match line {
                HelpLine::Heading(title) => format!("{title}\n"),
                HelpLine::Key { keys, text } => format!("{keys} {text}\n"),
                HelpLine::Blank => "\n".to_owned(),
            })
            .collect()
    }

    /// Complete by construction: every table's title and every action's line is there, in
    /// whichever view the help is opened, at any width (wrapping joins back to the text).
    #[test]
    fn the_help_lists_every_view_and_every_action() {
        let state = State::new("test");
        for width in [80, 160] {
            let lines = lines(&state, width);
            let text = text_of(&lines).replace("\n                ", " ");
            let joined: String = lines
                .iter()
                .map(|line| match line {
                    HelpLine::Key { text, .. } => format!("{text} "),
                    _ => "\n".to_owned(),
                })
                .collect();
            for table in crate::app::views::ALL_TABLES
                .iter()
                .filter(|t| !std::ptr::eq(**t, &crate::app::overlays::help_table::HELP))
            {
                let title = table.title.split(';').next().unwrap_or_default();
                assert!(text.contains(title), "{width}: {title} missing");
                for binding in table.all() {
                    let describe = table.describe(binding.action);
                    assert!(
                        joined.contains(describe),
                        "{width}: {describe:?} of {} missing",
                        table.title
                    );
                }
            }
            for (_, describe) in FORM_KEYS {
                assert!(joined.contains(describe), "{width}: {describe:?}");
            }
            let widest = lines
                .iter()
                .map(|line| match line {
                    HelpLine::Key { keys, text } => 2 + keys.len().max(14) + text.chars().count(),
                    HelpLine::Heading(title) => title.chars().count(),
                    HelpLine::Blank => 0,
                })
                .max()
                .unwrap_or_default();
            assert!(
                widest <= usize::from(HELP_WIDTH.min(width) - 2),
                "{width}: a line of {widest} would be cut"
            );
        }
    }

    /// The forms' lines say what `editor_input` does.
    #[test]
    fn the_forms_keys_are_what_the_forms_do() {
        let key = |code, modifiers| KeyEvent::new(code, modifiers);
        let none = KeyModifiers::NONE;
        assert_eq!(
            editor_input(key(KeyCode::Enter, none), EditorKind::Line),
            Some(Input::Text(TextInput::Enter))
        );
        assert_eq!(
            editor_input(key(KeyCode::Enter, none), EditorKind::RunCompose),
            Some(Input::Text(TextInput::Enter))
        );
        assert_eq!(
            editor_input(key(KeyCode::Tab, none), EditorKind::RunCompose),
            Some(Input::Text(TextInput::Next))
        );
        assert_eq!(
            editor_input(key(KeyCode::BackTab, none), EditorKind::TunnelForm),
            Some(Input::Text(TextInput::Previous))
        );
        assert_eq!(
            editor_input(key(KeyCode::Down, none), EditorKind::TunnelForm),
            Some(Input::Text(TextInput::Next))
        );
        assert_eq!(
            editor_input(
                key(KeyCode::Char('s'), KeyModifiers::CONTROL),
                EditorKind::RunCompose
            ),
            Some(Input::Text(TextInput::Submit))
        );
        assert_eq!(
            editor_input(key(KeyCode::Backspace, none), EditorKind::Line),
            Some(Input::Text(TextInput::Backspace))
        );
        assert_eq!(
            editor_input(key(KeyCode::Esc, none), EditorKind::TunnelForm),
            Some(Input::Text(TextInput::Cancel))
        );
        assert_eq!(
            editor_input(
                key(KeyCode::Char('c'), KeyModifiers::CONTROL),
                EditorKind::Confirm
            ),
            Some(Input::Action(Action::Quit))
        );
    }

    /// Each view's section says what its keys do there: a container's shell, copy mode's esc;
    /// a label too long for its column has a line of its own, never touching its text.
    #[test]
    fn each_view_says_what_its_keys_do_there() {
        let state = State::new("test");
        let lines = lines(&state, 80);
        let text = text_of(&lines);
        assert!(
            text.contains("s enter shell into the container (ECS Exec"),
            "{text}"
        );
        assert!(
            text.contains("esc q leave copy mode: back to the live pane"),
            "{text}"
        );
        let long = lines
            .iter()
            .position(|l| matches!(l, HelpLine::Key { keys, .. } if keys == "PgUp ctrl-b ctrl-u"))
            .expect("copy mode's page up");
        assert_eq!(
            lines[long],
            HelpLine::Key {
                keys: "PgUp ctrl-b ctrl-u".to_owned(),
                text: String::new()
            }
        );
        assert_eq!(
            lines[long + 1],
            HelpLine::Key {
                keys: String::new(),
                text: "a page back".to_owned()
            }
        );
        for line in &lines {
            if let HelpLine::Key { keys, text } = line {
                assert!(
                    keys.chars().count() <= KEY_LABEL_WIDTH || text.is_empty(),
                    "{keys:?} would touch {text:?}"
                );
            }
        }
    }
}
