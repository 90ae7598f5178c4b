//! The help overlay's keys: the line and page keys scroll it, esc, `q` and `?` close it, and
//! no other action reaches the view beneath (Enter must not open a shell from under it).

use crate::app::State;
use crate::app::action::Action;
use crate::app::overlays::Overlay;
use crate::app::overlays::help::{lines, max_scroll, rows_shown};
use crate::app::views::Outcome;

pub(crate) fn act(state: &mut State, action: Action) -> Outcome {
    // The reducer's screen is the terminal's: the drawing sees the same size.
    let (width, height) = (state.frame.screen.width, state.frame.screen.height);
    let last = max_scroll(state, width, height);
    // A page is what shows: the next one starts after its last line, no line twice.
    let page = rows_shown(height, lines(state, width).len()).max(1);
    let Some(Overlay::Help { scroll }) = state.overlay.as_mut() else {
        return Outcome::nothing();
    };
    let at = (*scroll).min(last);
    *scroll = match action {
        Action::Up => at.saturating_sub(1),
        Action::Down => (at + 1).min(last),
        Action::PageUp => at.saturating_sub(page),
        Action::PageDown => (at + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        // ctrl-c quits from anywhere, as it does in every other view.
        Action::Quit => {
            close(state);
            return Outcome::Act(Action::Quit);
        }
        _ => {
            close(state);
            return Outcome::nothing();
        }
    };
    Outcome::nothing()
}

fn close(state: &mut State) {
    state.close_overlay();
    state.frame.notice = None;
    state.frame.quit_armed = false;
}
