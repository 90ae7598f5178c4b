//! The Files view: one folder of one instance — name (folders first, `/` after a folder, `@`
//! after a link), size, when it was modified (UTC), owner — what went wrong in its place, and
//! the prompt for a copy's local path.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use crate::app::State;
use crate::app::overlays::Overlay;
use crate::config::theme::Theme;
use crate::model::format::{bytes, iso8601};
use crate::model::transfer::browse::{EntryKind, RemoteEntry};
use crate::model::transfer::shown_bytes;
use crate::ui::columns::{Claim, constraints, kept, share, widest};
use crate::ui::widgets::{fit, note, typing_end};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = &state.files;
    let [title, body, notice, status] = crate::ui::widgets::list_areas(area);
    let count = match &view.listing {
        Some(listing) if listing.cut => format!(
            " ({} entries shown; the folder holds more)",
            listing.entries.len()
        ),
        Some(listing) => format!(" ({} entries)", listing.entries.len()),
        None => String::new(),
    };
    frame.render_widget(
        crate::ui::widgets::view_title(
            state,
            theme,
            format!("files: {}{count}", view.where_shown()),
        ),
        title,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border));
    match (&view.listing, &view.error) {
        (_, Some(error)) => frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(
                    error.clone(),
                    Style::default().fg(theme.error),
                )),
                Line::from(""),
                Line::from(Span::styled(
                    "- goes up, r reads it again, esc back to the fleet",
                    Style::default().fg(theme.muted),
                )),
            ])
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block),
            body,
        ),
        (None, None) => note(
            frame,
            body,
            block,
            &format!("reading {}…", view.where_shown()),
            theme,
        ),
        (Some(listing), None) if listing.entries.is_empty() => {
            note(frame, body, block, "This folder is empty.", theme);
        }
        (Some(listing), None) => {
            let texts: Vec<[String; 4]> = listing.entries.iter().map(columns).collect();
            let longest = |column: usize, min: u16| widest(&texts, column, min);
            let widths = share(
                &[
                    Claim::new(12, longest(0, 12).min(80), 0),
                    Claim::fixed(longest(1, 4), 1),
                    Claim::fixed(16, 2),
                    Claim::new(5, longest(3, 5).min(16), 3),
                ],
                body.width.saturating_sub(2),
            );
            let width_of = |column: usize| usize::from(widths[column].unwrap_or(0));
            let header = Row::new(kept(
                &widths,
                ["NAME", "SIZE", "MODIFIED (UTC)", "OWNER"].map(Cell::from),
            ))
            .style(crate::ui::widgets::header_style(theme));
            let rows: Vec<Row> = texts
                .into_iter()
                .zip(&listing.entries)
                .map(|(text, entry)| {
                    let cells: Vec<Cell> = text
                        .into_iter()
                        .enumerate()
                        .map(|(column, value)| {
                            let cell = Cell::from(fit(&value, width_of(column)));
                            match (column, entry.is_folder()) {
                                (0, true) => cell.style(Style::default().fg(theme.accent)),
                                _ => cell,
                            }
                        })
                        .collect();
                    Row::new(kept(&widths, cells))
                })
                .collect();
            let table = crate::ui::widgets::selectable_table(
                rows,
                constraints(&widths),
                header,
                block,
                theme,
            );
            let mut table_state = TableState::default()
                .with_offset(view.offset)
                .with_selected(Some(view.selected));
            frame.render_stateful_widget(table, body, &mut table_state);
        }
    }
    if let Some(Overlay::FilesPrompt(prompt)) = &state.overlay {
        let label = prompt.label(view.at.as_ref().map_or("", |at| at.name.as_str()));
        let room = usize::from(notice.width).saturating_sub(label.chars().count() + 1);
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(label, Style::default().fg(theme.accent)),
                Span::raw(typing_end(prompt.line.text(), room)),
                Span::styled("█", Style::default().fg(theme.accent)),
            ])),
            notice,
        );
        frame.render_widget(
            Paragraph::new(Span::styled(
                " enter copy   esc cancel   (SHA-256 checked; nothing partial is kept)",
                Style::default().fg(theme.status_text),
            ))
            .style(Style::default().bg(theme.status_bar)),
            status,
        );
        return;
    }
    crate::ui::widgets::notice_and_hints(
        frame,
        notice,
        status,
        state,
        &crate::app::views::files::keys::FILES,
        theme,
    );
}

/// An entry's cells: name (marked by kind), size, modified, owner.
fn columns(entry: &RemoteEntry) -> [String; 4] {
    let name = shown_bytes(&entry.name);
    let (name, size) = match entry.kind {
        EntryKind::Folder => (format!("{name}/"), "-".to_owned()),
        EntryKind::Link { to_folder: true } => (format!("{name}@"), "-".to_owned()),
        EntryKind::Link { to_folder: false } => (format!("{name}@"), bytes(entry.size)),
        EntryKind::File => (name, bytes(entry.size)),
        EntryKind::Other => (format!("{name}="), "-".to_owned()),
    };
    // 2026-09-22T08:00:00.000Z → 2026-09-22 08:00
    let stamp = iso8601(entry.modified);
    let modified = format!(
        "{} {}",
        stamp.get(..10).unwrap_or(""),
        stamp.get(11..16).unwrap_or("")
    );
    [name, size, modified, entry.owner.clone()]
}
