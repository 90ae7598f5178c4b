//! The panes view's actions: open shells beside the focused pane or in tabs, split, focus,
//! zoom, close, tabs, broadcast, scroll back, reconnect.

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::input::Input;
use crate::app::layout::{MIN_PANE, pane_area, pane_content};
use crate::app::state::{Mode, PaneMode, State, View};
use crate::app::views::panes::{Direction, SplitDirection};
use crate::model::instance::{InstanceRow, Ping};
use crate::model::pane::{PaneId, PaneStatus, PaneTarget};
use crate::term::copy::CopyKey;

/// Splitting the focused pane this way leaves both halves usable.
pub(crate) fn split_fits(state: &State, direction: SplitDirection) -> bool {
    let Some(tab) = state.workspace.tab() else {
        return true;
    };
    let area = pane_area(state.screen);
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
        let tab = state.workspace.tab();
        let rect = tab.and_then(|tab| {
            tab.layout(pane_area(state.screen))
                .into_iter()
                .find(|(id, _)| *id == tab.focus)
        });
        match rect {
            Some((_, rect)) if rect.width < rect.height * 2 => SplitDirection::Down,
            _ => SplitDirection::Right,
        }
    });
    if state.workspace.is_empty() || split_fits(state, direction) {
        state.workspace.split(target, direction)
    } else {
        state.workspace.open_tab(vec![target])[0]
    }
}

pub(crate) fn open_shells(state: &mut State) -> Vec<Effect> {
    if state.read_only {
        state.notice =
            Some("refused by --read-only: a shell can change anything on the instance".to_owned());
        return Vec::new();
    }
    let chosen: Vec<&InstanceRow> = if state.marks.is_empty() {
        state.selected_row().into_iter().collect()
    } else {
        state
            .rows
            .iter()
            .filter(|r| state.marks.contains(&r.instance_id))
            .collect()
    };
    let (managed, unmanaged): (Vec<&InstanceRow>, Vec<&InstanceRow>) =
        chosen.into_iter().partition(|r| r.ping != Ping::NotManaged);
    let notice = (!unmanaged.is_empty()).then(|| {
        let names: Vec<&str> = unmanaged.iter().map(|r| r.instance_id.as_str()).collect();
        format!(
            "no shell on {}: not managed by SSM (no agent registered); D asks the doctor why",
            names.join(", ")
        )
    });
    let targets: Vec<PaneTarget> = managed.into_iter().map(State::pane_target).collect();
    state.notice = notice;
    if !targets.is_empty() {
        state.marks.clear();
    }
    open_targets(state, targets)
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
        state.workspace.open_tab(targets)
    };
    state.view = View::Panes;
    state.pane_mode = PaneMode::Typing;
    state.mode = Mode::Table;
    vec![Effect::OpenPanes(ids)]
}

pub(crate) fn act_on_panes(state: &mut State, action: Action) -> Vec<Effect> {
    let area = pane_area(state.screen);
    let focus = state.workspace.tab().map(|tab| tab.focus);
    let focused_target = state.workspace.focused().map(|p| p.target.clone());
    // Scroll mode keeps its keys until it is left; everything else is one-shot, like tmux.
    let next_mode = if state.pane_mode == PaneMode::Scroll {
        PaneMode::Scroll
    } else {
        PaneMode::Typing
    };
    state.pane_mode = next_mode;
    let copy = |key: CopyKey| {
        focus
            .map(|pane| vec![Effect::CopyKey { pane, key }])
            .unwrap_or_default()
    };
    let copying = next_mode == PaneMode::Scroll;
    match action {
        Action::Prefix => state.pane_mode = PaneMode::Prefix,
        Action::SendPrefix => return vec![Effect::SendPrefix],
        Action::Quit => return vec![Effect::Quit],
        Action::Help => state.mode = Mode::Help,
        Action::ShowFleet | Action::Back if !copying => {
            state.view = View::Fleet;
        }
        Action::Back => {
            state.pane_mode = PaneMode::Typing;
            return focus
                .map(|pane| vec![Effect::LeaveCopy(pane)])
                .unwrap_or_default();
        }
        // As in tmux: `[` starts copy mode at the bottom, PgUp starts it a page up.
        Action::ScrollMode if !copying => {
            state.pane_mode = PaneMode::Scroll;
            return focus
                .map(|pane| vec![Effect::EnterCopy(pane)])
                .unwrap_or_default();
        }
        Action::PageUp if !copying => {
            state.pane_mode = PaneMode::Scroll;
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
            state.pane_search = (String::new(), action == Action::SearchForward);
            state.mode = Mode::PaneSearch;
        }
        Action::CopySelection => {
            state.pane_mode = PaneMode::Typing;
            return focus
                .map(|pane| vec![Effect::CopySelection(pane)])
                .unwrap_or_default();
        }
        Action::FocusLeft => state.workspace.focus_toward(Direction::Left, area),
        Action::FocusRight => state.workspace.focus_toward(Direction::Right, area),
        Action::FocusUp => state.workspace.focus_toward(Direction::Up, area),
        Action::FocusDown => state.workspace.focus_toward(Direction::Down, area),
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
                return vec![Effect::OpenPanes(state.workspace.open_tab(vec![target]))];
            }
        }
        Action::ClosePane => {
            if let Some(pane) = focus {
                state.workspace.close(pane);
                if state.workspace.is_empty() {
                    state.view = View::Fleet;
                }
                return vec![Effect::ClosePanes(vec![pane])];
            }
        }
        Action::Reconnect => {
            if let Some(pane) = state.workspace.focused()
                && matches!(pane.status, PaneStatus::Ended { .. })
            {
                let id = pane.id;
                state.workspace.set_status(id, PaneStatus::Connecting);
                return vec![Effect::Reconnect(id)];
            }
        }
        Action::RecordPane => {
            if let Some(pane) = focus {
                return vec![Effect::ToggleRecording(pane)];
            }
        }
        Action::Zoom => state.workspace.toggle_zoom(),
        Action::NextTab => state.workspace.next_tab(),
        Action::PreviousTab => state.workspace.previous_tab(),
        Action::SelectTab(number) => state.workspace.select_tab(usize::from(number)),
        Action::Retile => state.workspace.retile(),
        Action::Broadcast => state.workspace.toggle_broadcast(),
        Action::MarkPane => state.workspace.toggle_mark(),
        _ => {}
    }
    Vec::new()
}

/// Keys while copy mode's search prompt is open: text, backspace, Enter searches, esc closes
/// the prompt (copy mode stays).
pub(crate) fn search_prompt(state: &mut State, input: Input) -> Vec<Effect> {
    match input {
        Input::FilterChar(c) => state.pane_search.0.push(c),
        Input::FilterBackspace => {
            state.pane_search.0.pop();
        }
        Input::FilterDone => {
            state.mode = Mode::Table;
            let (pattern, forward) = std::mem::take(&mut state.pane_search);
            if let Some(pane) = state.workspace.tab().map(|tab| tab.focus)
                && !pattern.is_empty()
            {
                return vec![Effect::CopyKey {
                    pane,
                    key: CopyKey::Search { pattern, forward },
                }];
            }
        }
        Input::Action(Action::Back) => state.mode = Mode::Table,
        Input::Action(Action::Quit) => {
            state.mode = Mode::Table;
            return crate::app::update::update(state, input);
        }
        // Everything else (output, statuses, resizes) goes on as usual.
        other => {
            state.mode = Mode::Table;
            let effects = crate::app::update::update(state, other);
            if state.mode == Mode::Table {
                state.mode = Mode::PaneSearch;
            }
            return effects;
        }
    }
    Vec::new()
}

/// The pane under (`column`, `row`) of the screen, or `within` pane when given (the point
/// clamped to it), and the point in its content's own rows and columns.
pub(crate) fn content_point(
    state: &State,
    column: u16,
    row: u16,
    within: Option<PaneId>,
) -> Option<(PaneId, (u16, u16))> {
    let layout = state.workspace.tab()?.layout(pane_area(state.screen));
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
pub(crate) fn drag(state: &mut State, column: u16, row: u16) -> Vec<Effect> {
    let Some((pane, from, moved)) = state.drag else {
        return Vec::new();
    };
    let Some((_, to)) = content_point(state, column, row, Some(pane)) else {
        return Vec::new();
    };
    state.drag = Some((pane, from, true));
    let mut effects = Vec::new();
    if !moved {
        state.pane_mode = PaneMode::Scroll;
        effects.push(Effect::EnterCopy(pane));
    }
    effects.push(Effect::CopyKey {
        pane,
        key: CopyKey::Drag { from, to },
    });
    effects
}

/// The button let go: a drag copies what it selected, as in tmux; a click was only a click.
pub(crate) fn release(state: &mut State) -> Vec<Effect> {
    match state.drag.take() {
        Some((pane, _, true)) => {
            state.pane_mode = PaneMode::Typing;
            vec![Effect::CopySelection(pane)]
        }
        _ => Vec::new(),
    }
}
