//! What the list views (tunnels, a watched command, the history, sessions, containers) do
//! with the keys they share (the `LIST` part of their key tables): move the selection, leave, quit, help, the
//! `:` line, the panes.

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::{LineEditor, TextInput};
use crate::app::effect::Effect;
use crate::app::overlays::Overlay;
use crate::app::views::View;

/// The selection after a move among `len` rows, a page being `page` rows; `None` when
/// `action` is no move.
pub(crate) fn moved(selected: usize, len: usize, page: usize, action: Action) -> Option<usize> {
    let last = len.saturating_sub(1);
    let page = page.max(1);
    Some(match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => (selected + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    })
}

/// The shared keys that are not moves; `None` when `action` is none of them.
pub(crate) fn shared(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    match action {
        Action::ShowFleet | Action::Back => state.view = View::Fleet,
        Action::Quit => return Some(vec![Effect::Quit]),
        Action::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Command => state.overlay = Some(Overlay::CommandLine(LineEditor::default())),
        Action::ShowPanes => return Some(super::panes::update::show_panes(state)),
        _ => return None,
    }
    Some(Vec::new())
}

/// What a key in a list's `/` line makes of its filter: the text to filter by now, when it
/// changes. Esc goes back to the filter in force before the prompt, ↑ recalls it, Enter keeps
/// what was typed.
pub(crate) fn filter_edit(
    filter: &LineEditor,
    before: &mut Option<String>,
    text: &TextInput,
) -> Option<String> {
    match text {
        TextInput::Cancel => Some(before.take().unwrap_or_default()),
        TextInput::Enter => {
            *before = None;
            None
        }
        TextInput::Recall => before.clone(),
        _ => {
            let mut edited = filter.clone();
            edited.edit(text);
            Some(edited.text().to_owned())
        }
    }
}
