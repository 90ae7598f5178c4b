//! Drawing the Tunnels view (each saved or started tunnel: local address → target → remote,
//! state, connections, bytes and rate each way, uptime, last error; groups above them) and
//! the shift-f tunnel form.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use crate::app::State;
use crate::app::views::tunnels::{FORM_LABELS, TunnelForm, TunnelRow};
use crate::config::theme::Theme;
use crate::model::format::{age, bytes};
use crate::ui::widgets::{fit, form_footer, overlay, selectable_table};

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
            crate::ui::widgets::brand(theme),
            Span::styled(
                format!("{} ", state.frame.source),
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
    crate::ui::widgets::notice_and_hints(
        frame,
        notice,
        status,
        state,
        &crate::app::views::tunnels::keys::TUNNELS,
        theme,
    );
}

/// Columns 6 and 7 (total bytes up and down) only show on wide terminals; the rate stays.
const TOTALS: [usize; 2] = [6, 7];

/// `host:port` in `width` characters: the host is shortened, the port always shows.
fn fit_remote(remote: &str, width: usize) -> String {
    match remote.rsplit_once(':') {
        Some((host, port)) if remote.chars().count() > width => {
            let room = width.saturating_sub(port.chars().count() + 1).max(2);
            format!("{}:{port}", fit(host, room))
        }
        _ => remote.to_owned(),
    }
}

/// The width a column's longest value needs, between `min` and `max`.
fn column_width<'a>(values: impl Iterator<Item = &'a str>, min: usize, max: usize) -> usize {
    values
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(min, max)
}

/// What to say of a tunnel's trouble: the doctor's cause once known, else the last error.
fn trouble(entry: &crate::app::views::tunnels::TunnelEntry) -> Option<String> {
    let error = entry
        .live
        .failed
        .clone()
        .or_else(|| entry.live.last_error.clone());
    match (&entry.cause, error) {
        (Some(cause), _) => Some(format!("why: {cause}")),
        (None, error) => error,
    }
}

fn draw_table(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    // The selected tunnel's trouble, in full, under the table: the row has only a column.
    let selected = match state.tunnels.rows().get(state.tunnels.selected) {
        Some(TunnelRow::Tunnel(entry)) => Some(*entry),
        _ => None,
    };
    let detail = selected.and_then(|entry| {
        let error = entry
            .live
            .failed
            .clone()
            .or_else(|| entry.live.last_error.clone())?;
        let mut text = format!("{}: {error}", entry.def.name);
        if let Some(cause) = &entry.cause {
            text.push_str(&format!(
                " · why: {cause} (D in the fleet for the full report)"
            ));
        }
        Some(text)
    });
    let area = match &detail {
        Some(text) if area.height > 8 => {
            let width = usize::from(area.width.max(1));
            let lines = u16::try_from(text.chars().count().div_ceil(width))
                .unwrap_or(3)
                .min(4);
            let [table, below] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(lines)]).areas(area);
            frame.render_widget(
                Paragraph::new(text.clone())
                    .wrap(ratatui::widgets::Wrap { trim: false })
                    .style(Style::default().fg(theme.error)),
                below,
            );
            table
        }
        _ => area,
    };
    let entries = &state.tunnels.entries;
    let name_width = column_width(entries.iter().map(|e| e.def.name.as_str()), 4, 40) + 2;
    let target_width = column_width(
        entries
            .iter()
            .map(|e| e.live.instance_id.as_deref().unwrap_or(&e.def.target)),
        6,
        24,
    );
    let remotes: Vec<String> = entries.iter().map(|e| e.def.remote()).collect();
    let remote_width = column_width(remotes.iter().map(String::as_str), 6, 48);
    let wide = area.width >= 170;
    // What the fixed columns (local, state, conn, [up, down,] rate, uptime) and the gaps leave
    // for name, target, remote and the last error; when it is not enough, the remote gives
    // first, then the name, then the target, each shortened with an ellipsis, never silently.
    let fixed = 16 + 10 + 6 + 18 + 6 + if wide { 16 } else { 0 };
    let gaps = if wide { 10 } else { 8 };
    let room = usize::from(area.width.saturating_sub(2)).saturating_sub(fixed + gaps);
    let error_min = 12;
    let mut widths = [remote_width, name_width, target_width];
    let floors = [12, 12, 10];
    let mut excess = (widths.iter().sum::<usize>() + error_min).saturating_sub(room);
    for (width, floor) in widths.iter_mut().zip(floors) {
        let give = excess.min(width.saturating_sub(floor));
        *width -= give;
        excess -= give;
    }
    let [remote_width, name_width, target_width] = widths;
    let error_width = room
        .saturating_sub(remote_width + name_width + target_width)
        .max(error_min);
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
    .style(crate::ui::widgets::header_style(theme));
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
                    Cell::from(fit(&members.join(" + "), remote_width)),
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
                let error = trouble(entry);
                let running = entry.running;
                let when = |value: String| if running { value } else { String::new() };
                let cells = vec![
                    Cell::from(format!(
                        "{}{}",
                        fit(&entry.def.name, name_width - 2),
                        if entry.saved { "" } else { " *" }
                    )),
                    Cell::from(local),
                    Cell::from(fit(&target, target_width)),
                    Cell::from(fit_remote(&entry.def.remote(), remote_width)),
                    Cell::from(state_text).style(Style::default().fg(state_colour)),
                    Cell::from(when(format!(
                        "{}/{}",
                        live.gauges.active, live.gauges.connections
                    ))),
                    Cell::from(when(bytes(live.gauges.bytes_up))),
                    Cell::from(when(bytes(live.gauges.bytes_down))),
                    Cell::from(when(format!(
                        "{}/s {}/s",
                        bytes(live.gauges.rate_up),
                        bytes(live.gauges.rate_down)
                    ))),
                    Cell::from(when(age(live.gauges.uptime_secs))),
                    Cell::from(fit(&error.unwrap_or_default(), error_width))
                        .style(Style::default().fg(theme.error)),
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
    // Name, target and remote as wide as their longest value (within bounds); the last error
    // takes what is left.
    let widths: Vec<Constraint> = [
        Constraint::Length(u16::try_from(name_width).unwrap_or(18)),
        Constraint::Length(16),
        Constraint::Length(u16::try_from(target_width).unwrap_or(19)),
        Constraint::Length(u16::try_from(remote_width).unwrap_or(24)),
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
            Span::raw(value.text()),
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
