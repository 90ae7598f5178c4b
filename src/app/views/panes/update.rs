//! The panes view's actions: open shells beside the focused pane or in tabs, split, focus,
//! zoom, close, tabs, broadcast, copy mode and its search, reconnect; the mouse (focus, a drag
//! that selects within one pane, the wheel); what a recording says.

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::{LineEditor, TextInput};
use crate::app::effect::Effect;
use crate::app::input::MouseKind;
use crate::app::layout::{MIN_PANE, pane_area, pane_content};
use crate::app::overlays::Overlay;
use crate::app::views::{Outcome, View};
use crate::model::pane::{PaneId, PaneStatus, PaneTarget};
use crate::term::copy::CopyKey;

use super::{Direction, PaneMode, SplitDirection};

/// Splitting the focused pane this way leaves both halves usable.
pub(crate) fn split_fits(state: &State, direction: SplitDirection) -> bool {
    let Some(tab) = state.panes.workspace.tab() else {
        return true;
    };
    let area = pane_area(state.frame.screen);
    let Some((_, rect)) = tab
        .layout(area)
        .into_iter()
        .find(|(id, _)| *id == tab.focus)
    else {
        return true;
    };
    let content = pane_content(rect);
    match direction {
        SplitDirection::Right => content.width.saturating_sub(1) / 2 >= MIN_PANE.0,
        SplitDirection::Down => rect.height / 2 > MIN_PANE.1,
    }
}

/// Opens a pane on `target` next to the focused one, or in a new tab when it would not fit.
pub(crate) fn open_beside(
    state: &mut State,
    target: PaneTarget,
    direction: Option<SplitDirection>,
) -> PaneId {
    let direction = direction.unwrap_or_else(|| {
        // Character cells are about twice as tall as wide: split the longer side.
        let tab = state.panes.workspace.tab();
        let rect = tab.and_then(|tab| {
            tab.layout(pane_area(state.frame.screen))
                .into_iter()
                .find(|(id, _)| *id == tab.focus)
        });
        match rect {
            Some((_, rect)) if rect.width < rect.height * 2 => SplitDirection::Down,
            _ => SplitDirection::Right,
        }
    });
    if state.panes.workspace.is_empty() || split_fits(state, direction) {
        state.panes.workspace.split(target, direction)
    } else {
        state.panes.workspace.open_tab(vec![target])[0]
    }
}

/// The panes in front, typing into the focused one (a notice when there are none).
pub(crate) fn show_panes(state: &mut State) -> Vec<Effect> {
    if state.panes.workspace.is_empty() {
        state.frame.notice = Some("no shell panes open".to_owned());
        return Vec::new();
    }
    state.view = View::Panes;
    state.frame.notice = None;
    state.panes.mode = PaneMode::Typing;
    state.close_overlay();
    Vec::new()
}

/// Panes for `targets`: one beside the focused pane, or a new tab of several.
pub(crate) fn open_targets(state: &mut State, targets: Vec<PaneTarget>) -> Vec<Effect> {
    if targets.is_empty() {
        return Vec::new();
    }
    let ids = if targets.len() == 1 {
        let target = targets
            .into_iter()
            .next()
            .map(|t| open_beside(state, t, None));
        target.into_iter().collect()
    } else {
        state.panes.workspace.open_tab(targets)
    };
    state.view = View::Panes;
    state.panes.mode = PaneMode::Typing;
    state.close_overlay();
    vec![Effect::OpenPanes(ids)]
}

pub(crate) fn act_on_panes(state: &mut State, action: Action) -> Outcome {
    Outcome::Done(act(state, action))
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let area = pane_area(state.frame.screen);
    let focus = state.panes.workspace.tab().map(|tab| tab.focus);
    let focused_target = state.panes.workspace.focused().map(|p| p.target.clone());
    // Scroll mode keeps its keys until it is left; everything else is one-shot, like tmux.
    let next_mode = if state.panes.mode == PaneMode::Scroll {
        PaneMode::Scroll
    } else {
        PaneMode::Typing
    };
    state.panes.mode = next_mode;
    let copy = |key: CopyKey| {
        focus
            .map(|pane| vec![Effect::CopyKey { pane, key }])
            .unwrap_or_default()
    };
    let copying = next_mode == PaneMode::Scroll;
    match action {
        Action::Prefix => state.panes.mode = PaneMode::Prefix,
        Action::SendPrefix => return vec![Effect::SendPrefix],
        Action::Quit => return vec![Effect::Quit],
        Action::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::ShowFleet | Action::Back if !copying => {
            state.view = View::Fleet;
        }
        Action::Back => {
            state.panes.mode = PaneMode::Typing;
            return focus
                .map(|pane| vec![Effect::LeaveCopy(pane)])
                .unwrap_or_default();
        }
        // As in tmux: `[` starts copy mode at the bottom, PgUp starts it a page up.
        Action::ScrollMode if !copying => {
            state.panes.mode = PaneMode::Scroll;
            return focus
                .map(|pane| vec![Effect::EnterCopy(pane)])
                .unwrap_or_default();
        }
        Action::PageUp if !copying => {
            state.panes.mode = PaneMode::Scroll;
            return focus
                .map(|pane| {
                    vec![
                        Effect::EnterCopy(pane),
                        Effect::CopyKey {
                            pane,
                            key: CopyKey::PageUp,
                        },
                    ]
                })
                .unwrap_or_default();
        }
        Action::Up if copying => return copy(CopyKey::Up),
        Action::Down if copying => return copy(CopyKey::Down),
        Action::CursorLeft => return copy(CopyKey::Left),
        Action::CursorRight => return copy(CopyKey::Right),
        Action::PageUp => return copy(CopyKey::PageUp),
        Action::PageDown if copying => return copy(CopyKey::PageDown),
        Action::Top if copying => return copy(CopyKey::Top),
        Action::Bottom if copying => return copy(CopyKey::Bottom),
        Action::Select => return copy(CopyKey::Select),
        Action::SelectLines => return copy(CopyKey::SelectLines),
        Action::SearchNext => return copy(CopyKey::Next),
        Action::SearchPrevious => return copy(CopyKey::Previous),
        Action::SearchForward | Action::SearchBackward => {
            state.overlay = Some(Overlay::PaneSearch {
                pattern: LineEditor::default(),
                forward: action == Action::SearchForward,
            });
        }
        Action::CopySelection => {
            state.panes.mode = PaneMode::Typing;
            return focus
                .map(|pane| vec![Effect::CopySelection(pane)])
                .unwrap_or_default();
        }
        Action::FocusLeft => state.panes.workspace.focus_toward(Direction::Left, area),
        Action::FocusRight => state.panes.workspace.focus_toward(Direction::Right, area),
        Action::FocusUp => state.panes.workspace.focus_toward(Direction::Up, area),
        Action::FocusDown => state.panes.workspace.focus_toward(Direction::Down, area),
        Action::SplitRight | Action::SplitDown => {
            let direction = if action == Action::SplitRight {
                SplitDirection::Right
            } else {
                SplitDirection::Down
            };
            if let Some(target) = focused_target {
                let id = open_beside(state, target, Some(direction));
                return vec![Effect::OpenPanes(vec![id])];
            }
        }
        Action::NewTab => {
            if let Some(target) = focused_target {
                return vec![Effect::OpenPanes(
                    state.panes.workspace.open_tab(vec![target]),
                )];
            }
        }
        Action::ClosePane => {
            if let Some(pane) = focus {
                state.panes.workspace.close(pane);
                if state.panes.workspace.is_empty() {
                    state.view = View::Fleet;
                }
                return vec![Effect::ClosePanes(vec![pane])];
            }
        }
        Action::Reconnect => {
            if let Some(pane) = state.panes.workspace.focused()
                && pane.status.is_ended()
            {
                let id = pane.id;
                state.panes.workspace.set_status(id, PaneStatus::Connecting);
                return vec![Effect::Reconnect(id)];
            }
        }
        Action::RecordPane => {
            if let Some(pane) = focus {
                return vec![Effect::ToggleRecording(pane)];
            }
        }
        Action::Zoom => state.panes.workspace.toggle_zoom(),
        Action::NextTab => state.panes.workspace.next_tab(),
        Action::PreviousTab => state.panes.workspace.previous_tab(),
        Action::SelectTab(number) => state.panes.workspace.select_tab(usize::from(number)),
        Action::Retile => state.panes.workspace.retile(),
        Action::Broadcast => state.panes.workspace.toggle_broadcast(),
        Action::MarkPane => state.panes.workspace.toggle_mark(),
        _ => {}
    }
    Vec::new()
}

/// A key in copy mode's search prompt: text, backspace, Enter searches, esc closes the prompt
/// (copy mode stays).
pub(crate) fn search_input(
    state: &mut State,
    mut pattern: LineEditor,
    forward: bool,
    text: TextInput,
) -> Vec<Effect> {
    match text {
        TextInput::Enter => {
            let pattern = pattern.take();
            if let Some(pane) = state.panes.workspace.tab().map(|tab| tab.focus)
                && !pattern.is_empty()
            {
                return vec![Effect::CopyKey {
                    pane,
                    key: CopyKey::Search { pattern, forward },
                }];
            }
        }
        TextInput::Cancel => {}
        text => {
            pattern.edit(&text);
            state.overlay = Some(Overlay::PaneSearch { pattern, forward });
        }
    }
    Vec::new()
}

/// The mouse over the panes: a press focuses (and may start a drag), a drag selects within
/// the pane it began in, a release copies what a drag selected, the wheel scrolls.
pub(crate) fn mouse(state: &mut State, kind: MouseKind, column: u16, row: u16) -> Outcome {
    if state.view != View::Panes {
        return Outcome::nothing();
    }
    let area = pane_area(state.frame.screen);
    Outcome::Done(match kind {
        MouseKind::Press => {
            state.panes.workspace.focus_at(column, row, area);
            state.panes.drag =
                content_point(state, column, row, None).map(|(pane, point)| (pane, point, false));
            Vec::new()
        }
        MouseKind::Drag => drag(state, column, row),
        MouseKind::Release => release(state),
        MouseKind::WheelUp | MouseKind::WheelDown => {
            let Some(pane) = state.panes.workspace.pane_at(column, row, area) else {
                return Outcome::nothing();
            };
            let lines = if kind == MouseKind::WheelUp { 3 } else { -3 };
            vec![Effect::ScrollPane { pane, lines }]
        }
    })
}

/// What a pane's recording says: started, stopped (and where it is), or failed.
pub(crate) fn recording(
    state: &mut State,
    pane: PaneId,
    path: Option<String>,
    saved: Option<String>,
    error: Option<String>,
) {
    let name = state
        .panes
        .workspace
        .panes
        .get(&pane)
        .map(|p| p.target.name.clone())
        .unwrap_or_default();
    state.frame.notice = Some(match (&path, &saved, &error) {
        (_, _, Some(error)) => format!("recording {name} failed: {error}"),
        (Some(path), _, None) => format!("recording {name} to {path} (ctrl-] R again to stop)"),
        (None, Some(saved), None) => format!("recording of {name} saved: {saved}"),
        (None, None, None) => format!("recording of {name} stopped"),
    });
    if let Some(pane) = state.panes.workspace.panes.get_mut(&pane) {
        pane.recording = path;
    }
}

/// The pane under (`column`, `row`) of the screen, or `within` pane when given (the point
/// clamped to it), and the point in its content's own rows and columns.
fn content_point(
    state: &State,
    column: u16,
    row: u16,
    within: Option<PaneId>,
) -> Option<(PaneId, (u16, u16))> {
    let layout = state
        .panes
        .workspace
        .tab()?
        .layout(pane_area(state.frame.screen));
    let (pane, rect) = match within {
        Some(pane) => layout.into_iter().find(|(id, _)| *id == pane)?,
        None => layout
            .into_iter()
            .find(|(_, rect)| rect.contains(ratatui::layout::Position::new(column, row)))?,
    };
    let content = pane_content(rect);
    if content.width == 0 || content.height == 0 {
        return None;
    }
    let at_row = row.clamp(content.y, content.bottom() - 1) - content.y;
    let at_col = column.clamp(content.x, content.right() - 1) - content.x;
    Some((pane, (at_row, at_col)))
}

/// The button moved while held: copy mode in the pane it was pressed in, selecting from the
/// press to here (clamped to that pane: a selection never spans panes).
fn drag(state: &mut State, column: u16, row: u16) -> Vec<Effect> {
    let Some((pane, from, moved)) = state.panes.drag else {
        return Vec::new();
    };
    let Some((_, to)) = content_point(state, column, row, Some(pane)) else {
        return Vec::new();
    };
    state.panes.drag = Some((pane, from, true));
    let mut effects = Vec::new();
    if !moved {
        state.panes.mode = PaneMode::Scroll;
        effects.push(Effect::EnterCopy(pane));
    }
    effects.push(Effect::CopyKey {
        pane,
        key: CopyKey::Drag { from, to },
    });
    effects
}

/// The button let go: a drag copies what it selected, as in tmux; a click was only a click.
fn release(state: &mut State) -> Vec<Effect> {
    match state.panes.drag.take() {
        Some((pane, _, true)) => {
            state.panes.mode = PaneMode::Typing;
            vec![Effect::CopySelection(pane)]
        }
        _ => Vec::new(),
    }
}
