//! Each view's drawing, one file a view (the fleet, the panes, Run Command's watch and its
//! groups, the tunnels, the sessions, the containers, an instance's files, the Kubernetes nodes,
//! the recordings).

pub mod containers;
pub mod files;
pub mod fleet;
pub mod nodes;
pub mod panes;
pub mod recordings;
pub mod runs;
pub mod sessions;
pub mod tunnels;

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::{State, View};
use crate::config::theme::Theme;
use crate::term::Screens;

/// Draws the view in front and says which it drew: the fleet stands in for a view with
/// nothing to show yet (no panes, no command watched).
pub(crate) fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    now: SystemTime,
    screens: &Screens,
) -> View {
    let seconds = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    match state.view {
        View::Panes if !state.panes.workspace.is_empty() => {
            panes::draw(frame, state, theme, screens);
        }
        View::History => runs::draw_history(frame, area, state, theme, seconds),
        View::Sessions => sessions::draw(frame, area, state, theme, seconds),
        View::Containers => containers::draw(frame, area, state, theme),
        View::Files => files::draw(frame, area, state, theme),
        View::Nodes => nodes::draw(frame, area, state, theme),
        View::Recordings => recordings::draw(frame, area, state, theme),
        View::Run if state.runs.watch.is_some() => runs::draw(frame, area, state, theme),
        View::Tunnels => tunnels::draw(frame, area, state, theme),
        View::Panes | View::Run | View::Fleet => {
            fleet::draw(frame, area, state, theme, now);
            return View::Fleet;
        }
    }
    state.view
}

/// The details of the selected row of the view drawn (`under`), where it has some.
pub(crate) fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    under: View,
    now: SystemTime,
) {
    match under {
        View::Fleet => {
            if let Some(row) = state.fleet.selected_row() {
                fleet::draw_detail(frame, area, row, fleet::since_load(state, now), theme);
            }
        }
        View::Containers => {
            if let Some(row) = state.containers.selected_row() {
                containers::draw_detail(frame, area, row, theme);
            }
        }
        _ => {}
    }
}
