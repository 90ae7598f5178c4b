//! Drawing the console from its state, draw only: the view in front (`views`), then the
//! overlay over it (`overlays`), with the pieces they share (`widgets`).

pub mod columns;
pub mod doctor;
pub mod overlays;
pub mod views;
pub mod widgets;

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::style::Style;
use ratatui::widgets::Block;

use crate::app::State;
use crate::config::theme::Theme;
use crate::term::Screens;

/// Draws the whole console: the view in front, then any overlay over it.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, now: SystemTime, screens: &Screens) {
    let area = frame.area();
    frame.render_widget(
        Block::default().style(Style::default().bg(theme.background).fg(theme.text)),
        area,
    );
    let under = views::draw(frame, area, state, theme, now, screens);
    overlays::draw_over(frame, area, state, theme, under, now);
}
