//! Drawing the Tunnels view (each saved or started tunnel: local address → target → remote,
//! state, connections, bytes and rate each way, uptime, last error; groups above them) and
//! the shift-f tunnel form.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use super::{form_footer, overlay, selectable_table};
use crate::app::State;
use crate::app::keymap::tables;
use crate::app::tunnels::{FORM_LABELS, TunnelForm, TunnelRow};
use crate::config::theme::Theme;
use crate::model::format::{age, bytes};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [title, body, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let serving = state.tunnels.serving_count();
    let waiting = state.tunnels.running_count() - serving;
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            super::brand(theme),
            Span::styled(
                format!("{} ", state.source),
                Style::default().fg(theme.muted),
            ),
            Span::raw(format!(
                "tunnels: {serving} running of {}{}",
                state.tunnels.entries.len(),
                if waiting > 0 {
                    format!(", {waiting} starting or retrying")
                } else {
                    String::new()
                }
            )),
        ])),
        title,
    );
    draw_table(frame, body, state, theme);
    super::notice_and_hints(frame, notice, status, state, &tables::TUNNELS, theme);
}

/// Columns 6 and 7 (total bytes up and down) only show on wide terminals; the rate stays.
const TOTALS: [usize; 2] = [6, 7];

fn draw_table(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let wide = area.width >= 170;
    let keep = |index: &usize| wide || !TOTALS.contains(index);
    let header = Row::new(
        [
            "NAME",
            "LOCAL",
            "TARGET",
            "REMOTE",
            "STATE",
            "CONN",
            "UP",
            "DOWN",
            "RATE ↑/↓",
            "UPTIME",
            "LAST ERROR",
        ]
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep(i))
        .map(|(_, h)| Cell::from(h)),
    )
    .style(super::header_style(theme));
    let rows: Vec<Row> = state
        .tunnels
        .rows()
        .into_iter()
        .map(|row| match row {
            TunnelRow::Group(name, members) => {
                let running = state
                    .tunnels
                    .entries
                    .iter()
                    .filter(|e| members.contains(&e.def.name) && e.running)
                    .count();
                Row::new(vec![
                    Cell::from(format!("▸ {name}")).style(
                        Style::default()
                            .fg(theme.accent)
                            .add_modifier(Modifier::BOLD),
                    ),
                    Cell::from(""),
                    Cell::from("group"),
                    Cell::from(members.join(" + ")),
                    Cell::from(format!("{running}/{} on", members.len())),
                ])
            }
            TunnelRow::Tunnel(entry) => {
                let live = &entry.live;
                let state_text = entry.state();
                let state_colour = match state_text.as_str() {
                    s if s.starts_with("ready") => theme.online,
                    "failed" => theme.error,
                    "stopped" => theme.muted,
                    _ => theme.warning,
                };
                let local = live
                    .local
                    .clone()
                    .unwrap_or_else(|| format!("{}:{}", entry.def.bind, entry.def.local_port));
                let target = live
                    .instance_id
                    .clone()
                    .unwrap_or_else(|| entry.def.target.clone());
                let error = live.failed.clone().or_else(|| live.last_error.clone());
                let running = entry.running;
                let when = |value: String| if running { value } else { String::new() };
                let cells = vec![
                    Cell::from(format!(
                        "{}{}",
                        entry.def.name,
                        if entry.saved { "" } else { " *" }
                    )),
                    Cell::from(local),
                    Cell::from(target),
                    Cell::from(entry.def.remote()),
                    Cell::from(state_text).style(Style::default().fg(state_colour)),
                    Cell::from(when(format!("{}/{}", live.active, live.connections))),
                    Cell::from(when(bytes(live.bytes_up))),
                    Cell::from(when(bytes(live.bytes_down))),
                    Cell::from(when(format!(
                        "{}/s {}/s",
                        bytes(live.rate_up),
                        bytes(live.rate_down)
                    ))),
                    Cell::from(when(age(live.uptime_secs))),
                    Cell::from(error.unwrap_or_default()).style(Style::default().fg(theme.error)),
                ];
                Row::new(
                    cells
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| keep(i))
                        .map(|(_, c)| c),
                )
            }
        })
        .collect();
    // The remote host (RDS endpoints are long) and the last error take what is left.
    let widths: Vec<Constraint> = [
        Constraint::Length(18),
        Constraint::Length(16),
        Constraint::Length(19),
        Constraint::Fill(2),
        Constraint::Length(10),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(18),
        Constraint::Length(6),
        Constraint::Fill(1),
    ]
    .into_iter()
    .enumerate()
    .filter(|(i, _)| keep(i))
    .map(|(_, w)| w)
    .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(
            " tunnels (* started here; saved ones come from the configuration file) ",
            Style::default().fg(theme.title),
        ));
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(
                "No tunnels yet: shift-f on an instance in the fleet starts one; [[tunnel]] entries in the configuration file appear here.",
            )
            .style(Style::default().fg(theme.muted))
            .block(block),
            area,
        );
        return;
    }
    let table = selectable_table(rows, widths, header, block, theme);
    let mut table_state = TableState::default().with_selected(Some(state.tunnels.selected));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// The shift-f form over the fleet.
pub fn draw_form(frame: &mut Frame, area: Rect, form: &TunnelForm, theme: &Theme) {
    let label = Style::default().fg(theme.header);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("to ", label),
            Span::raw(format!("{} ({})", form.name, form.instance_id)),
        ]),
        Line::from(""),
    ];
    for (index, (name, value)) in FORM_LABELS.iter().zip(&form.fields).enumerate() {
        let focused = index == form.focus;
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {name:<42}", if focused { "▸" } else { " " }),
                if focused {
                    label.add_modifier(Modifier::BOLD)
                } else {
                    label
                },
            ),
            Span::raw(value.clone()),
            Span::styled(
                if focused { "▏" } else { "" },
                Style::default().fg(theme.accent),
            ),
        ]));
    }
    form_footer(
        &mut lines,
        "listens on 127.0.0.1 · tab next field · enter start · esc cancel",
        form.error.as_deref(),
        theme,
    );
    overlay(frame, area, 80, "new tunnel", lines, theme);
}
