//! The Sessions view: the fleet's active sessions, newest first — who (the owner), on which
//! instance (its Name), which document, since when; this console's own panes show as
//! "here: pane N" and its tunnels "here: tunnel NAME" in the owner column.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use crate::app::State;
use crate::config::theme::Theme;
use crate::model::format::age;
use crate::ui::widgets::note;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: i64) {
    let [title, body, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let count = state.sessions.entries.as_ref().map_or(0, Vec::len);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            crate::ui::widgets::brand(theme),
            Span::styled(
                format!("{} ", state.frame.source),
                Style::default().fg(theme.muted),
            ),
            Span::raw(format!("sessions: {count} active (DescribeSessions)")),
        ])),
        title,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border));
    match &state.sessions.entries {
        None => note(frame, body, block, "loading…", theme),
        Some(entries) if entries.is_empty() => note(
            frame,
            body,
            block,
            "No active sessions in these profiles and regions.",
            theme,
        ),
        Some(entries) => {
            let header = Row::new(
                [
                    "TARGET", "OWNER", "DOCUMENT", "STARTED", "STATUS", "REGION", "SESSION",
                ]
                .map(Cell::from),
            )
            .style(crate::ui::widgets::header_style(theme));
            let rows: Vec<Row> = entries
                .iter()
                .map(|entry| {
                    let row = &entry.row;
                    let started = row.start.map_or("-".to_owned(), |at| {
                        format!("{} ago", age(u64::try_from(now - at).unwrap_or(0)))
                    });
                    Row::new(vec![
                        Cell::from(if row.name.is_empty() {
                            row.target.clone()
                        } else {
                            format!("{} ({})", row.name, row.target)
                        }),
                        Cell::from(
                            match (
                                state.panes.workspace.pane_of_session(&row.session_id),
                                state.tunnels.tunnel_of_session(&row.session_id),
                            ) {
                                (Some(pane), _) => format!("here: pane {pane}"),
                                (None, Some(tunnel)) => format!("here: tunnel {tunnel}"),
                                (None, None) => row
                                    .owner
                                    .rsplit('/')
                                    .next()
                                    .unwrap_or(&row.owner)
                                    .to_owned(),
                            },
                        ),
                        Cell::from(row.document.clone()),
                        Cell::from(started),
                        Cell::from(row.status.clone()).style(Style::default().fg(
                            if row.status == "Connected" {
                                theme.online
                            } else {
                                theme.warning
                            },
                        )),
                        Cell::from(entry.region.clone()),
                        Cell::from(row.session_id.clone()),
                    ])
                })
                .collect();
            // The session id (for `bosun terminate`) takes what is left; at 160 columns it fits.
            let widths = vec![
                Constraint::Length(36),
                Constraint::Length(12),
                Constraint::Length(26),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Fill(1),
            ];
            let table = crate::ui::widgets::selectable_table(rows, widths, header, block, theme);
            let mut table_state =
                TableState::default().with_selected(Some(state.sessions.selected));
            frame.render_stateful_widget(table, body, &mut table_state);
        }
    }
    crate::ui::widgets::notice_and_hints(
        frame,
        notice,
        status,
        state,
        &crate::app::views::sessions::keys::SESSIONS,
        theme,
    );
}
