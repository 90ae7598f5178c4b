//! Drawing the panes view: the tab bar, each pane's title line (name, id, ping, connection
//! indicator, marks) over its terminal screen, separators between side-by-side panes, a
//! banner on ended sessions, and the status line for typing, prefix and scroll modes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::Action;
use crate::app::views::panes::Pane;
use crate::app::{PaneMode, State, pane_area, pane_content};
use crate::config::theme::Theme;
use crate::model::pane::PaneStatus;
use crate::term::{Emulator, Screens};
use crate::ui::widgets::ping_colour;

pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, screens: &Screens) {
    let area = frame.area();
    let [tabs, _, status] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Min(1),
        ratatui::layout::Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(tab_bar(state, theme), tabs);
    frame.render_widget(status_line(state, theme, status.width), status);
    let Some(tab) = state.panes.workspace.tab() else {
        return;
    };
    let body = pane_area(area);
    // The background of the pane area is the separator: the gaps between side-by-side panes
    // stay as vertical lines.
    let separator = Style::default().fg(theme.border).bg(theme.background);
    for y in body.top()..body.bottom() {
        for x in body.left()..body.right() {
            if let Some(cell) = frame.buffer_mut().cell_mut((x, y)) {
                cell.set_symbol("│").set_style(separator);
            }
        }
    }
    let typing = state.panes.mode == PaneMode::Typing;
    let targets = state.panes.workspace.input_targets();
    for (id, rect) in tab.layout(body) {
        let Some(pane) = state.panes.workspace.panes.get(&id) else {
            continue;
        };
        let focused = id == tab.focus;
        let screen = screens.get(&id);
        let (title, scrolled, full) = screen.map_or((None, 0, None), |s| {
            (
                s.title().map(str::to_owned),
                s.scrolled_back(),
                s.history_full(),
            )
        });
        frame.render_widget(ratatui::widgets::Clear, rect);
        let header = Rect::new(rect.x, rect.y, rect.width, 1.min(rect.height));
        let receives = tab.broadcast && targets.contains(&id);
        let (line, base) = pane_title(
            pane,
            focused,
            receives,
            title.as_deref(),
            (scrolled, full),
            theme,
        );
        // A title wider than its pane ends in an ellipsis, never cut silently.
        let cut = line.width() > usize::from(header.width);
        frame.render_widget(Paragraph::new(line).style(base), header);
        if cut
            && header.width > 0
            && let Some(cell) = frame.buffer_mut().cell_mut((header.right() - 1, header.y))
        {
            cell.set_symbol("…");
        }
        let content = pane_content(rect);
        let default = Style::default().fg(theme.text).bg(theme.background);
        match screen {
            Some(screen) => {
                let cursor = screen.render(content, frame.buffer_mut(), default);
                draw_copy_mode(frame, content, screen, theme);
                let live = !pane.status.is_ended();
                if let Some(cursor) = cursor
                    && focused
                    && typing
                    && live
                {
                    frame.set_cursor_position(cursor);
                }
            }
            None => frame.render_widget(Block::default().style(default), content),
        }
        match &pane.status {
            PaneStatus::Ended { reason } => match &pane.cause {
                Some(cause) => draw_banner(
                    frame,
                    content,
                    &format!(" session ended: {reason} · why: {cause} "),
                    Some(" r reconnect · D full report and fix · x close · esc fleet "),
                    theme.error,
                    theme,
                ),
                None => draw_banner(
                    frame,
                    content,
                    &format!(" session ended: {reason} "),
                    Some(" r reconnect · D doctor · x close · esc fleet "),
                    theme.error,
                    theme,
                ),
            },
            // A resume that keeps failing says why (expired credentials, a network that is
            // gone) while it goes on trying; the first try is the normal hourly recycle.
            PaneStatus::Resuming { attempt, reason } if *attempt > 1 && !reason.is_empty() => {
                draw_banner(
                    frame,
                    content,
                    &format!(" resuming (try {attempt}): {reason} "),
                    None,
                    theme.warning,
                    theme,
                );
            }
            _ => {}
        }
    }
}

/// A notice across the bottom of the pane: what happened, and the keys that help, if any.
fn draw_banner(
    frame: &mut Frame,
    content: Rect,
    text: &str,
    keys: Option<&str>,
    colour: ratatui::style::Color,
    theme: &Theme,
) {
    let width = usize::from(content.width.max(1));
    let text_lines = u16::try_from(text.chars().count().div_ceil(width)).unwrap_or(1);
    let height = (text_lines + u16::from(keys.is_some())).min(content.height);
    if height == 0 {
        return;
    }
    let banner = Rect::new(content.x, content.bottom() - height, content.width, height);
    let style = Style::default().fg(theme.background).bg(colour);
    let mut lines = vec![Line::from(text.to_owned())];
    if let Some(keys) = keys {
        lines.push(Line::from(Span::styled(
            keys.to_owned(),
            Style::default().add_modifier(Modifier::BOLD),
        )));
    }
    frame.render_widget(ratatui::widgets::Clear, banner);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .style(style),
        banner,
    );
}

/// The connection indicator: a glyph and a word, coloured by health.
fn indicator(status: &PaneStatus, theme: &Theme) -> Span<'static> {
    match status {
        PaneStatus::Connecting => Span::styled("◌ connecting", Style::default().fg(theme.warning)),
        PaneStatus::Connected => Span::styled("●", Style::default().fg(theme.online)),
        PaneStatus::Resuming { attempt, .. } => Span::styled(
            format!("◐ resuming (try {attempt})"),
            Style::default().fg(theme.warning),
        ),
        PaneStatus::Ended { .. } => Span::styled("✕ ended", Style::default().fg(theme.error)),
    }
}

fn pane_title<'a>(
    pane: &'a Pane,
    focused: bool,
    receives_broadcast: bool,
    program_title: Option<&str>,
    (scrolled, history_full): (usize, Option<usize>),
    theme: &Theme,
) -> (Line<'a>, Style) {
    // The focused pane's title is the accent colour, bold and marked ▶; the others are
    // quiet. Over the accent, every part takes the title's own colour, so that a status
    // colour never sits unreadable on it (the theme test checks the contrast in every theme).
    let base = if focused {
        Style::default()
            .bg(theme.accent)
            .fg(theme.background)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().bg(theme.status_bar).fg(theme.status_text)
    };
    let name = if pane.target.name.is_empty() {
        "-"
    } else {
        pane.target.name.as_str()
    };
    let mut spans = vec![
        indicator(&pane.status, theme),
        Span::styled(
            format!(" {name} "),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("{} ", pane.target.instance_id)),
        // A replay says what it plays; the instance's ping now is beside the point.
        match &pane.target.replay {
            Some(file) => Span::styled(
                file.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                Style::default().fg(theme.muted),
            ),
            None => Span::styled(
                pane.target.ping.label(),
                Style::default().fg(ping_colour(pane.target.ping, theme)),
            ),
        },
    ];
    if pane.recording.is_some() {
        spans.push(Span::styled(
            " ● REC",
            Style::default()
                .fg(theme.error)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if pane.marked {
        spans.push(Span::styled(" ● marked", Style::default().fg(theme.marked)));
    }
    if receives_broadcast {
        spans.push(Span::styled(
            " ⇶ broadcast",
            Style::default().fg(theme.warning),
        ));
    }
    if scrolled > 0 {
        spans.push(Span::styled(
            format!(" ⇡ {scrolled} lines back"),
            Style::default().fg(theme.accent),
        ));
    }
    // The oldest lines now go as new ones come (`scrollback_lines` sets how many are kept).
    if let Some(lines) = history_full {
        spans.push(Span::styled(
            format!(" · history full ({lines})"),
            Style::default().fg(theme.muted),
        ));
    }
    if let Some(title) = program_title {
        spans.push(Span::raw(format!(" · {title}")));
    }
    if focused {
        spans.insert(0, Span::raw("▶"));
        for span in &mut spans {
            span.style = span.style.fg(theme.background);
        }
    }
    (Line::from(spans), base)
}

fn tab_bar<'a>(state: &'a State, theme: &Theme) -> Paragraph<'a> {
    let mut spans = vec![
        crate::ui::widgets::brand(theme),
        Span::styled(" fleet ", Style::default().fg(theme.muted)),
    ];
    for (index, tab) in state.panes.workspace.tabs.iter().enumerate() {
        let panes = tab.panes();
        let first = panes
            .first()
            .and_then(|id| state.panes.workspace.panes.get(id))
            .map_or("-", |p| {
                if p.target.name.is_empty() {
                    p.target.instance_id.as_str()
                } else {
                    p.target.name.as_str()
                }
            });
        let more = if panes.len() > 1 {
            format!(" +{}", panes.len() - 1)
        } else {
            String::new()
        };
        let label = format!(
            " {}:{first}{more}{} ",
            index + 1,
            if tab.zoomed { " Z" } else { "" }
        );
        let style = if index == state.panes.workspace.current {
            Style::default()
                .bg(theme.selection)
                .fg(theme.selection_text)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.text)
        };
        spans.push(Span::raw("│"));
        spans.push(Span::styled(label, style));
    }
    if state.panes.workspace.tab().is_some_and(|t| t.broadcast) {
        spans.push(Span::styled(
            "  BROADCAST",
            Style::default()
                .fg(theme.warning)
                .add_modifier(Modifier::BOLD),
        ));
    }
    Paragraph::new(Line::from(spans)).style(Style::default().bg(theme.background))
}

fn status_line<'a>(state: &'a State, theme: &Theme, width: u16) -> Paragraph<'a> {
    let key = Style::default()
        .fg(theme.status_text)
        .add_modifier(Modifier::BOLD);
    let text = Style::default().fg(theme.status_text);
    if let Some(question) = crate::ui::widgets::quit_question(state, theme) {
        return question;
    }
    let mut spans = Vec::new();
    match state.panes.mode {
        // A notice (a recording saved, a refusal) shows until the next keystroke.
        PaneMode::Typing if state.frame.notice.is_some() => {
            spans.push(Span::styled(
                format!(" {}", state.frame.notice.as_deref().unwrap_or_default()),
                Style::default().fg(theme.warning),
            ));
        }
        PaneMode::Typing => {
            let targets = state.panes.workspace.input_targets();
            let to = match (state.panes.workspace.focused(), targets.len()) {
                (_, n) if n > 1 => format!(" typing to {n} panes"),
                (Some(pane), 1) if pane.target.replay.is_some() => {
                    " replaying: space pause  +- speed  ←→ 5s  [ ] 1m  g G  / search  q stop"
                        .to_owned()
                }
                (Some(pane), 1) => format!(" typing to {}", pane.target.instance_id),
                _ => " no live session here".to_owned(),
            };
            spans.push(Span::styled(to, text));
            spans.push(Span::styled(
                format!("   {}", state.frame.keys.prefix_label()),
                key,
            ));
            spans.push(Span::styled(" then a key:", text));
            // The keys after the prefix that a newcomer needs first, from the panes' table.
            let first = |action| {
                state
                    .frame
                    .keys
                    .labels_in(&crate::app::views::panes::keys::PANES, action)
                    .into_iter()
                    .next()
                    .unwrap_or_default()
            };
            for (action, what) in [
                (Action::Help, "keys"),
                (Action::ShowFleet, "fleet"),
                (Action::ClosePane, "close"),
            ] {
                spans.push(Span::styled(format!(" {}", first(action)), key));
                spans.push(Span::styled(format!(" {what}"), text));
            }
        }
        PaneMode::Prefix => {
            spans.push(Span::styled(
                " PREFIX ",
                Style::default()
                    .bg(theme.accent)
                    .fg(theme.background)
                    .add_modifier(Modifier::BOLD),
            ));
            let used: usize = spans.iter().map(Span::width).sum();
            spans.extend(crate::ui::widgets::hint_spans(
                &state
                    .frame
                    .keys
                    .hints(&crate::app::views::panes::keys::PANES),
                usize::from(width).saturating_sub(used),
                theme,
            ));
        }
        PaneMode::Scroll => {
            spans.push(Span::styled(
                " COPY ",
                Style::default()
                    .bg(theme.accent)
                    .fg(theme.background)
                    .add_modifier(Modifier::BOLD),
            ));
            // The search prompt while it is open; else what the last key came to.
            if let Some(crate::app::overlays::Overlay::PaneSearch { pattern, forward }) =
                &state.overlay
            {
                spans.push(Span::styled(
                    format!(" {}{pattern}▏", if *forward { '/' } else { '?' }),
                    Style::default().fg(theme.status_text),
                ));
                return Paragraph::new(Line::from(spans))
                    .style(Style::default().bg(theme.status_bar));
            }
            if let Some(notice) = &state.frame.notice {
                spans.push(Span::styled(
                    format!(" {notice} "),
                    Style::default().fg(theme.warning),
                ));
            }
            let used: usize = spans.iter().map(Span::width).sum();
            spans.extend(crate::ui::widgets::hint_spans(
                &state
                    .frame
                    .keys
                    .hints(&crate::app::views::panes::keys::SCROLL),
                usize::from(width).saturating_sub(used),
                theme,
            ));
        }
    }
    Paragraph::new(Line::from(spans)).style(Style::default().bg(theme.status_bar))
}

/// Copy mode over a pane's screen: the matches of the last search, the selection, and the
/// cursor, each in its own colour.
fn draw_copy_mode(frame: &mut Frame, content: Rect, screen: &Emulator, theme: &Theme) {
    let Some(mode) = screen.copy_mode() else {
        return;
    };
    let buffer = frame.buffer_mut();
    let mut paint = |row: u16, col: u16, style: Style| {
        if row < content.height && col < content.width {
            let position = ratatui::layout::Position::new(content.x + col, content.y + row);
            if let Some(cell) = buffer.cell_mut(position) {
                cell.set_style(style);
            }
        }
    };
    for (row, start, end) in screen.visible_matches() {
        for col in start..=end {
            paint(
                row,
                col,
                Style::default().bg(theme.warning).fg(theme.background),
            );
        }
    }
    let top = screen.top_line();
    let view_row = |line: usize| {
        line.checked_sub(top)
            .and_then(|row| u16::try_from(row).ok())
            .filter(|row| *row < content.height)
    };
    if let Some(anchor) = mode.anchor {
        let (start, end) = if anchor <= mode.cursor {
            (anchor, mode.cursor)
        } else {
            (mode.cursor, anchor)
        };
        for line in start.0..=end.0 {
            let Some(row) = view_row(line) else {
                continue;
            };
            let from = if mode.lines || line != start.0 {
                0
            } else {
                start.1
            };
            let to = if mode.lines || line != end.0 {
                content.width.saturating_sub(1)
            } else {
                end.1
            };
            for col in from..=to {
                paint(
                    row,
                    col,
                    Style::default()
                        .bg(theme.selection)
                        .fg(theme.selection_text),
                );
            }
        }
    }
    if let Some(row) = view_row(mode.cursor.0) {
        paint(
            row,
            mode.cursor.1,
            Style::default()
                .bg(theme.accent)
                .fg(theme.background)
                .add_modifier(Modifier::BOLD),
        );
    }
}
