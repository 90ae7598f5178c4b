//! The help overlay's keys: the line and page keys scroll it, esc, `q` and `?` close it, and
//! no other action reaches the view beneath (Enter must not open a shell from under it).

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::overlays::help::{lines, max_scroll, rows_shown};
use crate::app::state::{Mode, State};

pub(crate) fn act(state: &mut State, action: Action) -> Vec<Effect> {
    // The reducer's screen is the terminal's: the drawing sees the same size.
    let (width, height) = (state.screen.width, state.screen.height);
    let last = max_scroll(state, width, height);
    let page = rows_shown(height, lines(state, width).len())
        .saturating_sub(1)
        .max(1);
    let scroll = state.help_scroll.min(last);
    state.help_scroll = match action {
        Action::Up => scroll.saturating_sub(1),
        Action::Down => (scroll + 1).min(last),
        Action::PageUp => scroll.saturating_sub(page),
        Action::PageDown => (scroll + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        // ctrl-c quits from anywhere, as it does in every other view.
        Action::Quit => {
            close(state);
            return crate::app::update::act(state, Action::Quit);
        }
        _ => {
            close(state);
            return Vec::new();
        }
    };
    Vec::new()
}

fn close(state: &mut State) {
    state.mode = Mode::Table;
    state.help_scroll = 0;
    state.notice = None;
    state.quit_armed = false;
}
