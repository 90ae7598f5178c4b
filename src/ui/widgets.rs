//! The pieces every view draws with: the brand, header style, a selectable table, the
//! notice and the hints of the status bar, a bordered overlay box, fitting text to a width.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, Wrap};

use crate::app::State;
use crate::app::keymap::KeyTable;
use crate::config::theme::Theme;
use crate::model::instance::Ping;

pub(crate) fn ping_colour(ping: Ping, theme: &Theme) -> ratatui::style::Color {
    match ping {
        Ping::Online => theme.online,
        Ping::ConnectionLost => theme.connection_lost,
        Ping::Inactive => theme.inactive,
        Ping::NotManaged => theme.not_managed,
    }
}

/// `text` in at most `width` characters, the cut shown by an ellipsis (never cut silently).
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// A table whose selected row stands out in the theme's selection colours.
pub(crate) fn selectable_table<'a>(
    rows: Vec<Row<'a>>,
    widths: Vec<Constraint>,
    header: Row<'a>,
    block: Block<'a>,
    theme: &Theme,
) -> Table<'a> {
    Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(
            Style::default()
                .bg(theme.selection)
                .fg(theme.selection_text)
                .add_modifier(Modifier::BOLD),
        )
}

/// The status line that asks for the second `q` while shells or tunnels are open. It is the
/// one place the question shows: notice lines leave it out (`notice_shown`).
pub(crate) fn quit_question<'a>(state: &'a State, theme: &Theme) -> Option<Paragraph<'a>> {
    let notice = state
        .frame
        .notice
        .as_deref()
        .filter(|_| state.frame.quit_armed)?;
    Some(
        Paragraph::new(Span::styled(
            format!(" {notice}"),
            Style::default().fg(theme.warning),
        ))
        .style(Style::default().bg(theme.status_bar)),
    )
}

/// The notice a notice line shows: not the quit question, which the status line asks.
pub(crate) fn notice_shown(state: &State) -> Option<&str> {
    state
        .frame
        .notice
        .as_deref()
        .filter(|_| !state.frame.quit_armed)
}

/// A bordered box of `lines` centred over `area`, at most `width` wide: the detail view, the
/// help, the tunnel form.
pub(crate) fn overlay(
    frame: &mut Frame,
    area: Rect,
    width: u16,
    title: &str,
    lines: Vec<Line>,
    theme: &Theme,
) {
    // Long lines wrap: count the rows they take, so the last line (often the question) shows.
    let inner = usize::from(width.min(area.width).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let rect = centred(area, width, u16::try_from(rows + 2).unwrap_or(u16::MAX));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .style(Style::default().bg(theme.background).fg(theme.text))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(Style::default().fg(theme.accent))
                    .title(Span::styled(
                        format!(" {title} "),
                        Style::default().fg(theme.title),
                    )),
            ),
        rect,
    );
}

/// A form's lines: the last `footer` of them stay in view, `focus` is the focused field's.
pub(crate) struct FormLines<'a> {
    pub lines: Vec<Line<'a>>,
    pub footer: usize,
    pub focus: std::ops::Range<usize>,
}

/// A form as an overlay that may be taller than the terminal: the footer (`footer` lines:
/// the keys, the error) always shows, and the body scrolls so its lines `focus` (the focused
/// field's label through its value) are on screen; the title says when there is more.
pub(crate) fn form_overlay(
    frame: &mut Frame,
    area: Rect,
    (width, title): (u16, &str),
    form: FormLines,
    theme: &Theme,
) {
    let FormLines {
        mut lines,
        footer,
        focus,
    } = form;
    let inner = usize::from(width.min(area.width).saturating_sub(2)).max(1);
    let rows_of = |line: &Line| line.width().div_ceil(inner).max(1);
    let body_lines = lines.len().saturating_sub(footer);
    let foot: Vec<Line> = lines.split_off(body_lines);
    let body_rows: Vec<usize> = lines.iter().map(rows_of).collect();
    let foot_rows: usize = foot.iter().map(rows_of).sum();
    let total = body_rows.iter().sum::<usize>() + foot_rows;
    let room = usize::from(area.height.saturating_sub(2));
    if total <= room {
        lines.extend(foot);
        return overlay(frame, area, width, title, lines, theme);
    }
    let body_room = room.saturating_sub(foot_rows).max(1);
    // Scroll as little as keeps the focused field whole: its end at the bottom at most.
    let row_at = |line: usize| body_rows[..line.min(body_rows.len())].iter().sum::<usize>();
    let focus_end = row_at(focus.end);
    let focus_start = row_at(focus.start);
    let skip = focus_end
        .saturating_sub(body_room)
        .min(focus_start)
        .min(body_rows.iter().sum::<usize>().saturating_sub(body_room));
    let more_below = body_rows.iter().sum::<usize>() > skip + body_room;
    let marks = match (skip > 0, more_below) {
        (true, true) => " (more ↑↓)",
        (true, false) => " (more ↑)",
        (false, _) => " (more ↓)",
    };
    let rect = centred(area, width, area.height);
    let [body_rect, foot_rect] = Layout::vertical([
        Constraint::Length(u16::try_from(body_room).unwrap_or(u16::MAX)),
        Constraint::Min(0),
    ])
    .areas(rect.inner(ratatui::layout::Margin::new(1, 1)));
    frame.render_widget(Clear, rect);
    let style = Style::default().bg(theme.background).fg(theme.text);
    frame.render_widget(
        Block::default()
            .borders(Borders::ALL)
            .border_style(Style::default().fg(theme.accent))
            .style(style)
            .title(Span::styled(
                format!(" {title}{marks} "),
                Style::default().fg(theme.title),
            )),
        rect,
    );
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .style(style)
            .scroll((u16::try_from(skip).unwrap_or(u16::MAX), 0)),
        body_rect,
    );
    frame.render_widget(
        Paragraph::new(foot).wrap(Wrap { trim: false }).style(style),
        foot_rect,
    );
}

/// The style of a table's header row.
pub(crate) fn header_style(theme: &Theme) -> Style {
    Style::default()
        .fg(theme.header)
        .add_modifier(Modifier::BOLD)
}

/// The product name that starts every view's title line.
pub(crate) fn brand(theme: &Theme) -> Span<'static> {
    Span::styled(
        " bosun ",
        Style::default()
            .fg(theme.title)
            .add_modifier(Modifier::BOLD),
    )
}

/// The last two lines of the list views: a notice, if any, then the view's key hints.
pub(crate) fn notice_and_hints(
    frame: &mut Frame,
    notice: Rect,
    status: Rect,
    state: &State,
    table: &KeyTable,
    theme: &Theme,
) {
    let hints = state.frame.keys.hints_for(table, state.frame.read_only);
    if let Some(question) = quit_question(state, theme) {
        frame.render_widget(question, status);
        return;
    }
    if let Some(text) = &state.frame.notice {
        frame.render_widget(
            Paragraph::new(Span::styled(
                text.as_str(),
                Style::default().fg(theme.warning),
            )),
            notice,
        );
    }
    frame.render_widget(
        Paragraph::new(Line::from(hint_spans(
            &hints,
            usize::from(status.width),
            theme,
        )))
        .style(Style::default().bg(theme.status_bar)),
        status,
    );
}

/// A form's last lines: how to use it, and what is wrong with it, if anything.
pub(crate) fn form_footer(lines: &mut Vec<Line>, hint: &str, error: Option<&str>, theme: &Theme) {
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        hint.to_owned(),
        Style::default().fg(theme.muted),
    )));
    if let Some(error) = error {
        lines.push(Line::from(Span::styled(
            error.to_owned(),
            Style::default().fg(theme.error),
        )));
    }
}

/// The key hints that fit in `room` columns. The last two (help and quit, or their likes in
/// each table) always stay; when the line is too long, the ones just before them go first.
pub(crate) fn hint_spans(
    hints: &[(String, &str)],
    room: usize,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let key = Style::default()
        .fg(theme.status_text)
        .add_modifier(Modifier::BOLD);
    let text = Style::default().fg(theme.status_text);
    let width = |(keys, what): &(String, &str)| keys.chars().count() + what.chars().count() + 3;
    let mut kept: Vec<&(String, &str)> = hints.iter().collect();
    while kept.len() > 2 && kept.iter().map(|h| width(h)).sum::<usize>() > room {
        kept.remove(kept.len() - 3);
    }
    kept.into_iter()
        .flat_map(|(keys, what)| {
            [
                Span::styled(format!(" {keys}"), key),
                Span::styled(format!(" {what} "), text),
            ]
        })
        .collect()
}

/// A centred rectangle of at most `width` × `height`.
pub(crate) fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// A list's stand-in while it loads or when it is empty: one muted line in its frame.
pub(crate) fn note(frame: &mut Frame, area: Rect, block: Block, text: &str, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(text.to_owned())
            .style(Style::default().fg(theme.muted))
            .block(block),
        area,
    );
}

/// The end of `text` that fits in `room` columns, `…` first when some is cut.
pub(crate) fn typing_end(text: &str, room: usize) -> String {
    let count = text.chars().count();
    if count <= room || room < 2 {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(count - (room - 1)).collect();
    format!("…{tail}")
}

/// A list view's rows: its title, the table, a notice line, and the key hints.
pub(crate) fn list_areas(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// A list view's title line: the brand, where the data comes from, then what the view shows.
pub(crate) fn view_title(state: &State, theme: &Theme, text: String) -> Paragraph<'static> {
    Paragraph::new(Line::from(vec![
        brand(theme),
        Span::styled(
            format!("{} ", state.frame.source),
            Style::default().fg(theme.muted),
        ),
        Span::raw(text),
    ]))
}

/// What a list could not read (sources, files), a line each in the error colour, as many as
/// `area` holds.
pub fn failures(frame: &mut Frame, area: Rect, errors: &[String], theme: &Theme) {
    let lines: Vec<Line> = errors
        .iter()
        .take(usize::from(area.height))
        .map(|e| {
            Line::from(Span::styled(
                fit(e, usize::from(area.width)),
                Style::default().fg(theme.error),
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// A list view's `/` line as it stands.
pub struct ListFilter<'a> {
    pub text: &'a str,
    /// The filter in force before the prompt opened, while it is open.
    pub before: Option<&'a str>,
    /// Why the line is not understood.
    pub error: Option<&'a str>,
    /// The filter language in a few words, said while nothing else is.
    pub language: &'a str,
}

/// A list view's filter line, while it is typed or holds a filter: what was typed, then why it
/// is not understood, or the filter it replaces (just opened), or the language.
pub fn filter_line(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    filter: ListFilter,
    theme: &Theme,
) {
    let typing = state.mode() == crate::app::state::Mode::Filter;
    if !typing && filter.text.is_empty() {
        return;
    }
    let said = match (filter.error, filter.before) {
        (Some(error), _) => Span::styled(format!("   {error}"), Style::default().fg(theme.warning)),
        (None, Some(before)) if typing && filter.text.is_empty() && !before.is_empty() => {
            Span::styled(
                format!("   was: {before}   (↑ recalls it, esc keeps it, enter clears it)"),
                Style::default().fg(theme.muted),
            )
        }
        (None, _) => Span::styled(
            format!("   {}", filter.language),
            Style::default().fg(theme.muted),
        ),
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("/", Style::default().fg(theme.accent)),
            Span::raw(typing_end(
                filter.text,
                usize::from(area.width).saturating_sub(4),
            )),
            said,
        ])),
        area,
    );
}
