//! The overlays over any view: the help, the details (drawn by the view beneath), the
//! doctor's report, the forms and the confirmation, the `:` line over views with no filter line of their own.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Clear;

use crate::app::overlays::Overlay;
use crate::app::overlays::help::{self, HelpLine};
use crate::app::{State, View};
use crate::config::theme::Theme;

use super::doctor;
use super::views::fleet::filter_line;
use super::views::{runs, tunnels};
use super::widgets::*;

/// The overlay over the view drawn beneath it (`under`): the forms and the confirmation, the
/// help, the doctor, the details of the fleet's or the containers' selected row, and the `:`
/// line over views that have no filter line of their own.
pub(crate) fn draw_over(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    under: View,
    now: SystemTime,
) {
    let Some(overlay) = &state.overlay else {
        return;
    };
    match overlay {
        Overlay::TunnelForm(form) => tunnels::draw_form(frame, area, form, theme),
        Overlay::RunCompose(compose) => runs::draw_compose(frame, area, compose, theme),
        Overlay::RunConfirm(confirm) => runs::draw_confirm(frame, area, confirm, theme),
        Overlay::Help { .. } => draw_help(frame, area, theme, state),
        Overlay::Doctor(view) => doctor::draw(frame, area, view, theme),
        Overlay::Detail => super::views::draw_detail(frame, area, state, theme, under, now),
        Overlay::CommandLine(_) if !matches!(under, View::Fleet | View::Panes) => {
            let line = Rect::new(area.x, area.bottom().saturating_sub(2), area.width, 1);
            frame.render_widget(Clear, line);
            frame.render_widget(filter_line(state, theme), line);
        }
        Overlay::CommandLine(_)
        | Overlay::Filter
        | Overlay::PaneSearch { .. }
        | Overlay::FilesPrompt(_) => {}
    }
}

/// Every key table, the view in front's first (with the user's own keys), scrolled.
pub(crate) fn draw_help(frame: &mut Frame, area: Rect, theme: &Theme, state: &State) {
    let key_style = Style::default()
        .fg(theme.accent)
        .add_modifier(Modifier::BOLD);
    let heading = Style::default()
        .fg(theme.header)
        .add_modifier(Modifier::BOLD);
    let all = help::lines(state, area.width);
    let total = all.len();
    let shown = help::rows_shown(area.height, total);
    let scroll = state
        .help_scroll()
        .min(help::max_scroll(state, area.width, area.height));
    let lines: Vec<Line> = all
        .into_iter()
        .skip(scroll)
        .take(shown)
        .map(|line| match line {
            HelpLine::Heading(title) => Line::from(Span::styled(title, heading)),
            HelpLine::Key { keys, text } => Line::from(vec![
                Span::styled(
                    format!("  {keys:<width$} ", width = help::KEY_LABEL_WIDTH),
                    key_style,
                ),
                Span::raw(text),
            ]),
            HelpLine::Blank => Line::from(""),
        })
        .collect();
    // The title says where the view is in the whole and which keys scroll and close it.
    let keys: Vec<String> = state
        .frame
        .keys
        .hints(&crate::app::overlays::help_table::HELP)
        .into_iter()
        .map(|(keys, what)| format!("{keys} {what}"))
        .collect();
    let position = if shown < total {
        format!(" {}–{} of {total} ·", scroll + 1, scroll + shown)
    } else {
        String::new()
    };
    overlay(
        frame,
        area,
        help::HELP_WIDTH,
        &format!("keys{position} {}", keys.join(" · ")),
        lines,
        theme,
    );
}
