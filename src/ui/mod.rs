//! Drawing the console from its state, draw only: the view in front (`views`), then the
//! overlay over it (`overlays`), with the pieces they share (`widgets`).

pub mod doctor;
pub mod overlays;
pub mod views;
pub mod widgets;

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::widgets::Block;

use crate::app::{Mode, State, View};
use crate::config::theme::Theme;
use crate::term::Screens;

use self::overlays::{draw_detail, draw_doctor, draw_help, draw_overlay};
use self::views::fleet::{draw_table, filter_line, since_load, status_line, title_line};
use self::views::{containers, panes, runs, sessions, tunnels};

/// Draws the whole console: the fleet or the panes, then any overlay.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, now: SystemTime, screens: &Screens) {
    let area = frame.area();
    frame.render_widget(
        Block::default().style(Style::default().bg(theme.background).fg(theme.text)),
        area,
    );
    if state.view == View::Panes && !state.panes.workspace.is_empty() {
        panes::draw(frame, state, theme, screens);
        if state.mode() == Mode::Help {
            draw_help(frame, area, theme, state);
        }
        draw_doctor(frame, area, state, theme);
        return;
    }
    let seconds = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    if state.view == View::History {
        runs::draw_history(frame, area, state, theme, seconds);
        draw_overlay(frame, area, state, theme);
        return;
    }
    if state.view == View::Sessions {
        sessions::draw(frame, area, state, theme, seconds);
        draw_overlay(frame, area, state, theme);
        return;
    }
    if state.view == View::Containers {
        containers::draw(frame, area, state, theme);
        draw_overlay(frame, area, state, theme);
        return;
    }
    if state.view == View::Run && state.runs.watch.is_some() {
        runs::draw(frame, area, state, theme);
        draw_overlay(frame, area, state, theme);
        return;
    }
    if state.view == View::Tunnels {
        tunnels::draw(frame, area, state, theme);
        draw_overlay(frame, area, state, theme);
        return;
    }
    let [title, body, filter, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(title_line(state, theme, now, title.width), title);
    draw_table(frame, body, state, theme, now);
    frame.render_widget(filter_line(state, theme), filter);
    frame.render_widget(status_line(state, theme, status.width), status);
    match state.mode() {
        Mode::Detail => {
            if let Some(row) = state.fleet.selected_row() {
                draw_detail(frame, area, row, since_load(state, now), theme);
            }
        }
        Mode::Help => draw_help(frame, area, theme, state),
        Mode::TunnelForm | Mode::RunCompose | Mode::RunConfirm => {
            draw_overlay(frame, area, state, theme);
        }
        Mode::Doctor => draw_doctor(frame, area, state, theme),
        Mode::Table | Mode::Filter | Mode::Command | Mode::PaneSearch => {}
    }
}
