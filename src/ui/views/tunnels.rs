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
use crate::ui::columns::{Claim, constraints, kept, share};
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
    let background = state.tunnels.background_count();
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
                },
            )),
            Span::raw(if background > 0 {
                format!(", {background} in the background (they stay after quit)")
            } else {
                String::new()
            }),
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

/// The columns, in order, and each one's claim: the name, the whole local address and the
/// state always; then the rate, the target, the remote, the last error, connections and
/// uptime as the width allows; the byte totals only when everything else has its room. What a narrow terminal drops
/// of the selected tunnel is said under the table.
const HEADERS: [&str; 11] = [
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
];
const TARGET: usize = 2;
const REMOTE: usize = 3;
const LAST_ERROR: usize = 10;

/// A started tunnel's target as the user named it (`bastion@search-prod` with its account); a
/// tag's pick with the instance it found.
fn target_text(entry: &crate::app::views::tunnels::TunnelEntry) -> String {
    // The account a saved tunnel names is part of where it goes (`bastion` is in many).
    let target = match &entry.def.account {
        Some(account) => format!("{}@{account}", entry.def.target),
        None => entry.def.target.clone(),
    };
    match &entry.live.instance_id {
        Some(id) if entry.def.target.starts_with("tag:") => format!("{target} ({id})"),
        _ => target,
    }
}

fn local_text(entry: &crate::app::views::tunnels::TunnelEntry) -> String {
    entry
        .live
        .local
        .clone()
        .unwrap_or_else(|| format!("{}:{}", entry.def.bind, entry.def.local_port))
}

fn rate_text(entry: &crate::app::views::tunnels::TunnelEntry) -> String {
    let gauges = &entry.live.gauges;
    format!("{}/s {}/s", bytes(gauges.rate_up), bytes(gauges.rate_down))
}

fn draw_table(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let entries = &state.tunnels.entries;
    let longest = |values: &mut dyn Iterator<Item = String>, min: usize| {
        u16::try_from(
            values
                .map(|v| v.chars().count())
                .max()
                .unwrap_or(0)
                .max(min),
        )
        .unwrap_or(u16::MAX)
    };
    let name_want = longest(&mut entries.iter().map(|e| e.def.name.clone()), 4) + 2;
    let claims = [
        Claim::new(10.min(name_want), name_want.min(42), 0),
        Claim::fixed(longest(&mut entries.iter().map(local_text), 15), 0),
        Claim::new(
            10,
            longest(&mut entries.iter().map(target_text), 6).min(40),
            3,
        ),
        Claim::new(
            12,
            longest(&mut entries.iter().map(|e| e.def.remote()), 6).min(60),
            4,
        ),
        Claim::fixed(longest(&mut entries.iter().map(|e| e.state()), 8), 1),
        Claim::fixed(6, 6),
        Claim::luxury(8),
        Claim::luxury(8),
        Claim::fixed(longest(&mut entries.iter().map(rate_text), 17), 2),
        Claim::fixed(6, 7),
        Claim::new(12, u16::MAX, 5),
    ];
    // The selected tunnel's trouble in full, and what the narrow table left out of its route.
    let selected = match state.tunnels.rows().get(state.tunnels.selected) {
        Some(TunnelRow::Tunnel(entry)) => Some(*entry),
        _ => None,
    };
    // The detail line below takes height, never width: the columns are shared once.
    let widths = share(&claims, area.width.saturating_sub(2));
    let dropped = |column: usize| widths[column].is_none();
    let detail = selected.and_then(|entry| {
        let mut parts = Vec::new();
        if dropped(TARGET) || dropped(REMOTE) {
            parts.push(format!(
                "{} → {} → {}",
                local_text(entry),
                target_text(entry),
                entry.def.remote()
            ));
        }
        // The doctor's cause before the raw error: it says what to do.
        if let Some(cause) = &entry.cause {
            parts.push(format!("why: {cause} (D in the fleet for the full report)"));
        }
        let error = entry
            .live
            .failed
            .clone()
            .or_else(|| entry.live.last_error.clone());
        if let Some(error) = error {
            parts.push(error);
        }
        let trouble = parts.len() > usize::from(dropped(TARGET) || dropped(REMOTE));
        (!parts.is_empty()).then(|| {
            (
                format!("{}: {}", entry.def.name, parts.join(" · ")),
                trouble,
            )
        })
    });
    let area = match &detail {
        Some((text, trouble)) if area.height > 8 => {
            let width = usize::from(area.width.max(1));
            let lines = u16::try_from(text.chars().count().div_ceil(width))
                .unwrap_or(3)
                .min(area.height / 3);
            let [table, below] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(lines)]).areas(area);
            frame.render_widget(
                Paragraph::new(text.clone())
                    .wrap(ratatui::widgets::Wrap { trim: false })
                    .style(Style::default().fg(if *trouble { theme.error } else { theme.muted })),
                below,
            );
            table
        }
        _ => area,
    };
    let width_of = |column: usize| usize::from(widths[column].unwrap_or(0));
    let header = Row::new(kept(&widths, HEADERS.map(Cell::from)))
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
                // Cell::default() spans no column; an empty cell keeps its place.
                let mut cells: [Cell; 11] = std::array::from_fn(|_| Cell::from(""));
                cells[0] = Cell::from(fit(&format!("▸ {name}"), width_of(0))).style(
                    Style::default()
                        .fg(theme.accent)
                        .add_modifier(Modifier::BOLD),
                );
                cells[TARGET] = Cell::from("group");
                cells[REMOTE] = Cell::from(fit(&members.join(" + "), width_of(REMOTE)));
                cells[4] = Cell::from(format!("{running}/{} on", members.len()));
                Row::new(kept(&widths, cells))
            }
            TunnelRow::Tunnel(entry) => {
                let live = &entry.live;
                let state_text = entry.state();
                let state_colour = match state_text.as_str() {
                    s if s.starts_with("ready") || s == "bg up" => theme.online,
                    "bg idle" => theme.muted,
                    "failed" => theme.error,
                    "stopped" => theme.muted,
                    _ => theme.warning,
                };
                let running = entry.running || entry.background.is_some();
                let when = |value: String| if running { value } else { String::new() };
                let mark = if entry.saved { "" } else { " *" };
                let cells = [
                    Cell::from(format!(
                        "{}{mark}",
                        fit(&entry.def.name, width_of(0).saturating_sub(mark.len()))
                    )),
                    Cell::from(local_text(entry)),
                    Cell::from(fit(&target_text(entry), width_of(TARGET))),
                    Cell::from(fit_remote(&entry.def.remote(), width_of(REMOTE))),
                    Cell::from(state_text).style(Style::default().fg(state_colour)),
                    Cell::from(when(format!(
                        "{}/{}",
                        live.gauges.active, live.gauges.connections
                    ))),
                    Cell::from(when(bytes(live.gauges.bytes_up))),
                    Cell::from(when(bytes(live.gauges.bytes_down))),
                    Cell::from(when(rate_text(entry))),
                    Cell::from(when(age(live.gauges.uptime_secs))),
                    Cell::from(fit(
                        &trouble(entry).unwrap_or_default(),
                        width_of(LAST_ERROR),
                    ))
                    .style(Style::default().fg(theme.error)),
                ];
                Row::new(kept(&widths, cells))
            }
        })
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
    let table = selectable_table(rows, constraints(&widths), header, block, theme);
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
