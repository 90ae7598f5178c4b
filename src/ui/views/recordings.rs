//! The Recordings view: the recordings here, newest first — when, how long, which instance,
//! who was on it and how the session ended (AWS's session history), who else was on the box
//! meanwhile, the file — with its filter line and what could not be read.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, TableState};

use crate::app::State;
use crate::config::theme::Theme;
use crate::model::format::{bytes, iso8601};
use crate::term::player::clock;
use crate::ui::columns::{Claim, constraints, kept, share, widest};
use crate::ui::widgets::{fit, note};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = &state.recordings;
    let errors = u16::try_from(view.errors.len().min(3)).unwrap_or(3);
    let [title, body, failed, filter, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(errors),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        crate::ui::widgets::view_title(
            state,
            theme,
            format!(
                "recordings: {} (beside DescribeSessions history)",
                view.total()
            ),
        ),
        title,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(
            format!(" recordings ({} of {}) ", view.visible.len(), view.total()),
            Style::default().fg(theme.title),
        ));
    match &view.rows {
        None => note(
            frame,
            body,
            block,
            "loading… (the recordings, then DescribeSessions)",
            theme,
        ),
        Some(rows) if rows.is_empty() => note(
            frame,
            body,
            block,
            "No recordings yet: ctrl-] R records a pane; record_panes = true records every one.",
            theme,
        ),
        Some(_) => draw_table(frame, body, state, block, theme),
    }
    crate::ui::widgets::failures(frame, failed, &view.errors, theme);
    crate::ui::widgets::filter_line(
        frame,
        filter,
        state,
        crate::ui::widgets::ListFilter {
            text: view.filter.text(),
            before: view.filter_before.as_deref(),
            error: view.filter_error.as_deref(),
            language: "words, instance:, name:, owner:, status:, reason:, others:, !negates",
        },
        theme,
    );
    crate::ui::widgets::notice_and_hints(
        frame,
        notice,
        status,
        state,
        &crate::app::views::recordings::keys::RECORDINGS,
        theme,
    );
}

fn draw_table(frame: &mut Frame, body: Rect, state: &State, block: Block, theme: &Theme) {
    let view = &state.recordings;
    let dash = |text: &str| {
        if text.is_empty() {
            "-".to_owned()
        } else {
            text.to_owned()
        }
    };
    let texts: Vec<[String; 8]> = view
        .visible_rows()
        .map(|row| {
            [
                iso8601(row.start)
                    .get(..16)
                    .unwrap_or_default()
                    .replace('T', " "),
                clock(row.seconds),
                if row.name.is_empty() {
                    dash(&row.instance_id)
                } else {
                    format!("{} ({})", row.name, row.instance_id)
                },
                dash(row.who()),
                dash(&row.ended()),
                dash(&row.others_who().join(", ")),
                bytes(row.bytes),
                row.file_name().to_owned(),
            ]
        })
        .collect();
    let longest = |column: usize, min: u16| widest(&texts, column, min);
    // When and where first, then who and how it ended; the file's name gets what is left.
    let widths = share(
        &[
            Claim::fixed(longest(0, 7), 0),
            Claim::fixed(longest(1, 6), 1),
            Claim::new(12, longest(2, 12).min(44), 2),
            Claim::new(6, longest(3, 6).min(24), 3),
            Claim::new(8, longest(4, 8).min(36), 4),
            Claim::new(6, longest(5, 6).min(30), 5),
            Claim::fixed(longest(6, 4), 6),
            Claim::new(10, u16::MAX, 7),
        ],
        body.width.saturating_sub(2),
    );
    let width_of = |column: usize| usize::from(widths[column].unwrap_or(0));
    let header = Row::new(kept(
        &widths,
        [
            "STARTED", "LENGTH", "INSTANCE", "WHO", "STATUS", "OTHERS", "SIZE", "FILE",
        ]
        .map(Cell::from),
    ))
    .style(crate::ui::widgets::header_style(theme));
    let rows: Vec<Row> = texts
        .into_iter()
        .map(|text| {
            let others = text[5] != "-";
            let cells: Vec<Cell> = text
                .into_iter()
                .enumerate()
                .map(|(column, value)| {
                    let cell = Cell::from(fit(&value, width_of(column)));
                    match column {
                        5 if others => cell.style(Style::default().fg(theme.warning)),
                        _ => cell,
                    }
                })
                .collect();
            Row::new(kept(&widths, cells))
        })
        .collect();
    let table =
        crate::ui::widgets::selectable_table(rows, constraints(&widths), header, block, theme);
    let mut table_state = TableState::default()
        .with_selected(Some(view.selected))
        .with_offset(view.offset);
    frame.render_stateful_widget(table, body, &mut table_state);
}
