//! The Sessions view: the fleet's active sessions, newest first — who (the owner), on which
//! instance (its Name), which document, since when; this console's own panes show as
//! "here: pane N" and its tunnels "here: tunnel NAME" in the owner column; a session with a
//! local recording has a ● before its target (`:recordings` replays it).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Cell, Row, TableState};

use crate::app::State;
use crate::config::theme::Theme;
use crate::model::format::age;
use crate::ui::columns::{Claim, constraints, kept, share, widest};
use crate::ui::widgets::{fit, note};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: i64) {
    let [title, body, notice, status] = crate::ui::widgets::list_areas(area);
    let count = state.sessions.entries.as_ref().map_or(0, Vec::len);
    frame.render_widget(
        crate::ui::widgets::view_title(
            state,
            theme,
            format!("sessions: {count} active (DescribeSessions)"),
        ),
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
            let now_text = |start: Option<i64>| {
                start.map_or("-".to_owned(), |at| {
                    format!("{} ago", age(u64::try_from(now - at).unwrap_or(0)))
                })
            };
            let texts: Vec<[String; 7]> = entries
                .iter()
                .map(|entry| {
                    let row = &entry.row;
                    let on = if row.name.is_empty() {
                        row.target.clone()
                    } else {
                        format!("{} ({})", row.name, row.target)
                    };
                    [
                        if state.sessions.recorded.contains(&row.session_id) {
                            format!("● {on}")
                        } else {
                            on
                        },
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
                        row.document.clone(),
                        now_text(row.start),
                        row.status.clone(),
                        entry.region.clone(),
                        row.session_id.clone(),
                    ]
                })
                .collect();
            let longest = |column: usize, min: u16| widest(&texts, column, min);
            // Who and where first; the document and status keep their whole words before the
            // start time, the region and the session id (the view's x ends it) get room.
            let widths = share(
                &[
                    Claim::new(12, longest(0, 12).min(44), 0),
                    Claim::new(8, longest(1, 8).min(32), 1),
                    Claim::new(16, longest(2, 12).min(40), 2),
                    Claim::fixed(longest(3, 7), 4),
                    Claim::fixed(longest(4, 6), 2),
                    Claim::fixed(longest(5, 6), 5),
                    Claim::new(12, u16::MAX, 6),
                ],
                body.width.saturating_sub(2),
            );
            let width_of = |column: usize| usize::from(widths[column].unwrap_or(0));
            let header = Row::new(kept(
                &widths,
                [
                    "TARGET", "OWNER", "DOCUMENT", "STARTED", "STATUS", "REGION", "SESSION",
                ]
                .map(Cell::from),
            ))
            .style(crate::ui::widgets::header_style(theme));
            let rows: Vec<Row> = texts
                .into_iter()
                .map(|text| {
                    let connected = text[4] == "Connected";
                    let cells: Vec<Cell> = text
                        .into_iter()
                        .enumerate()
                        .map(|(column, value)| Cell::from(fit(&value, width_of(column))))
                        .enumerate()
                        .map(|(column, cell)| match column {
                            4 => cell.style(Style::default().fg(if connected {
                                theme.online
                            } else {
                                theme.warning
                            })),
                            _ => cell,
                        })
                        .collect();
                    Row::new(kept(&widths, cells))
                })
                .collect();
            let widths = constraints(&widths);
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
