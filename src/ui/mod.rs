//! Drawing the console from its state: the title line, the fleet table, the filter line, the
//! status bar with hints, and the detail and help overlays; the panes view is in [`panes`].
//! Draw only: no state changes here.

pub mod containers;
pub mod doctor;
pub mod panes;
pub mod run_groups;
pub mod runs;
pub mod sessions;
pub mod tunnels;

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use crate::app::keymap::KeyTable;
use crate::app::overlays::Overlay;
use crate::app::overlays::help::{self, HelpLine};
use crate::app::{Mode, State, View};
use crate::config::theme::Theme;
use crate::model::column::{Column, visible_columns};
use crate::model::format::age;
use crate::model::instance::{InstanceRow, Ping};
use crate::term::Screens;

/// Draws the whole console: the fleet or the panes, then any overlay.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme, now: SystemTime, screens: &Screens) {
    let area = frame.area();
    frame.render_widget(
        Block::default().style(Style::default().bg(theme.background).fg(theme.text)),
        area,
    );
    if state.view == View::Panes && !state.panes.workspace.is_empty() {
        panes::draw(frame, state, theme, screens);
        if state.mode() == Mode::Help {
            draw_help(frame, area, theme, state);
        }
        draw_doctor(frame, area, state, theme);
        return;
    }
    let seconds = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    if state.view == View::History {
        runs::draw_history(frame, area, state, theme, seconds);
        draw_overlay(frame, area, state, theme);
        return;
    }
    if state.view == View::Sessions {
        sessions::draw(frame, area, state, theme, seconds);
        draw_overlay(frame, area, state, theme);
        return;
    }
    if state.view == View::Containers {
        containers::draw(frame, area, state, theme);
        draw_overlay(frame, area, state, theme);
        return;
    }
    if state.view == View::Run && state.runs.watch.is_some() {
        runs::draw(frame, area, state, theme);
        draw_overlay(frame, area, state, theme);
        return;
    }
    if state.view == View::Tunnels {
        tunnels::draw(frame, area, state, theme);
        draw_overlay(frame, area, state, theme);
        return;
    }
    let [title, body, filter, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(title_line(state, theme, now, title.width), title);
    draw_table(frame, body, state, theme, now);
    frame.render_widget(filter_line(state, theme), filter);
    frame.render_widget(status_line(state, theme, status.width), status);
    match state.mode() {
        Mode::Detail => {
            if let Some(row) = state.fleet.selected_row() {
                draw_detail(frame, area, row, since_load(state, now), theme);
            }
        }
        Mode::Help => draw_help(frame, area, theme, state),
        Mode::TunnelForm | Mode::RunCompose | Mode::RunConfirm => {
            draw_overlay(frame, area, state, theme);
        }
        Mode::Doctor => draw_doctor(frame, area, state, theme),
        Mode::Table | Mode::Filter | Mode::Command | Mode::PaneSearch => {}
    }
}

fn draw_doctor(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if let Some(Overlay::Doctor(view)) = &state.overlay {
        doctor::draw(frame, area, view, theme);
    }
}

pub(crate) fn ping_colour(ping: Ping, theme: &Theme) -> ratatui::style::Color {
    match ping {
        Ping::Online => theme.online,
        Ping::ConnectionLost => theme.connection_lost,
        Ping::Inactive => theme.inactive,
        Ping::NotManaged => theme.not_managed,
    }
}

/// The header: the brand, where the data comes from, the counts by ping status, and the data's
/// age. On a narrow terminal the source gives way (shortened with an ellipsis, or left out)
/// so that the counts and the age always show.
fn title_line<'a>(state: &'a State, theme: &Theme, now: SystemTime, width: u16) -> Paragraph<'a> {
    let long = status_spans(state, theme, now, false);
    let brand = brand(theme);
    let length = |spans: &[Span]| -> usize {
        spans
            .iter()
            .chain(std::iter::once(&brand))
            .map(|s| s.content.chars().count())
            .sum()
    };
    // Too narrow for the words: the short ones ("25 on  5 lost  7s ago").
    let spans = if length(&long) > usize::from(width) {
        status_spans(state, theme, now, true)
    } else {
        long
    };
    let room = usize::from(width).saturating_sub(length(&spans));
    let source = if state.frame.source.chars().count() < room {
        format!("{} ", state.frame.source)
    } else if room > 4 {
        let kept: String = state.frame.source.chars().take(room - 2).collect();
        format!("{kept}… ")
    } else {
        String::new()
    };
    let mut line = vec![
        brand,
        Span::styled(source, Style::default().fg(theme.muted)),
    ];
    line.extend(spans);
    Paragraph::new(Line::from(line))
}

/// The counts by ping status and the data's age, in words or (`short`) in as few characters
/// as still read plainly.
fn status_spans(state: &State, theme: &Theme, now: SystemTime, short: bool) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    // Never dropped for room: under --read-only every key that would change something says
    // no, and the header says why before anyone presses one.
    if state.frame.read_only {
        spans.push(Span::styled(
            "READ-ONLY ",
            Style::default()
                .fg(theme.warning)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(if short {
        format!("{} inst", state.fleet.rows.len())
    } else {
        format!("{} instances", state.fleet.rows.len())
    }));
    for (ping, count) in state.fleet.counts() {
        if count > 0 {
            let label = match (short, ping) {
                (false, _) => ping.label(),
                (true, Ping::Online) => "on",
                (true, Ping::ConnectionLost) => "lost",
                (true, Ping::Inactive) => "inactive",
                (true, Ping::NotManaged) => "unmanaged",
            };
            spans.push(Span::raw(if short { " " } else { "  " }));
            spans.push(Span::styled(
                format!("{count} {label}"),
                Style::default().fg(ping_colour(ping, theme)),
            ));
        }
    }
    let seconds = |at: SystemTime| age(now.duration_since(at).map_or(0, |d| d.as_secs()));
    let freshness = match (state.fleet.loading, state.fleet.loaded_at) {
        (true, None) => "loading…".to_owned(),
        (true, Some(_)) => "refreshing…".to_owned(),
        // One wording at every width: the source's name gives way first.
        (false, Some(at)) => format!("refreshed {} ago", seconds(at)),
        (false, None) => String::new(),
    };
    spans.push(Span::styled(
        format!("{}{freshness}", if short { "  " } else { "   " }),
        Style::default().fg(theme.muted),
    ));
    if state.fleet.throttled {
        spans.push(Span::styled(
            if short {
                " throttled"
            } else {
                "  throttled: refreshing less often"
            },
            Style::default().fg(theme.warning),
        ));
    }
    spans
}

/// The mark cell, then one cell per shown column, coloured where colour carries meaning.
/// `since_load`: seconds since the rows were read, so that last-ping ages go on ticking
/// between refreshes instead of freezing at the fetch.
fn cells<'a>(
    row: &'a InstanceRow,
    marked: bool,
    shown: &[&Column],
    since_load: u64,
    theme: &Theme,
) -> Vec<Cell<'a>> {
    let mut cells = Vec::with_capacity(shown.len() + 1);
    cells.push(Cell::from(if marked { "●" } else { " " }).style(Style::default().fg(theme.marked)));
    for column in shown {
        let cell = match (column, row.last_ping_age) {
            (Column::LastPing, Some(seconds)) => Cell::from(age(seconds + since_load)),
            _ => Cell::from(column.text(row)),
        };
        cells.push(match column {
            Column::Ping => cell.style(Style::default().fg(ping_colour(row.ping, theme))),
            Column::Agent if row.agent_outdated => cell.style(Style::default().fg(theme.warning)),
            _ => cell,
        });
    }
    cells
}

/// Seconds since the inventory was read, at `now`.
fn since_load(state: &State, now: SystemTime) -> u64 {
    state
        .fleet
        .loaded_at
        .and_then(|at| now.duration_since(at).ok())
        .map_or(0, |d| d.as_secs())
}

fn draw_table(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: SystemTime) {
    let since_load = since_load(state, now);
    let shown: Vec<&Column> = visible_columns(&state.fleet.columns, area.width.saturating_sub(2))
        .into_iter()
        .map(|i| &state.fleet.columns[i])
        .collect();
    let header = Row::new(
        std::iter::once(Cell::from(" ")).chain(shown.iter().map(|c| Cell::from(c.header()))),
    )
    .style(header_style(theme));
    // Only the rows on screen are built: at fleet scale the others would cost milliseconds
    // per frame.
    let window = usize::from(area.height.saturating_sub(3)).max(1);
    let rows: Vec<Row> = state
        .fleet
        .visible
        .iter()
        .skip(state.fleet.offset)
        .take(window)
        .map(|&i| {
            let row = &state.fleet.rows[i];
            Row::new(cells(
                row,
                state.fleet.marks.contains(&row.instance_id),
                &shown,
                since_load,
                theme,
            ))
        })
        .collect();
    let widths: Vec<Constraint> = std::iter::once(Constraint::Length(1))
        .chain(shown.iter().map(|column| {
            if **column == Column::Name {
                Constraint::Min(column.width())
            } else {
                Constraint::Length(column.width())
            }
        }))
        .collect();
    let title = format!(
        " instances ({} of {}) · sorted by {}{} ",
        state.fleet.visible.len(),
        state.fleet.rows.len(),
        state.fleet.sort.label(),
        if state.fleet.descending { " ↓" } else { "" }
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(title, Style::default().fg(theme.title)));
    let empty = state.fleet.visible.is_empty() && !state.fleet.loading;
    if empty {
        let message = if state.fleet.rows.is_empty() && !state.fleet.errors.is_empty() {
            "No instances could be read: see the errors below."
        } else if state.fleet.rows.is_empty() {
            "No instances in these profiles and regions."
        } else {
            "No instance matches the filter (esc clears it)."
        };
        frame.render_widget(
            Paragraph::new(message)
                .style(Style::default().fg(theme.muted))
                .block(block),
            area,
        );
        return;
    }
    let table = selectable_table(rows, widths, header, block, theme);
    let mut table_state = TableState::default().with_selected(Some(
        state.fleet.selected.saturating_sub(state.fleet.offset),
    ));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn filter_line<'a>(state: &'a State, theme: &Theme) -> Paragraph<'a> {
    if let Some(Overlay::CommandLine(line)) = &state.overlay {
        return Paragraph::new(Line::from(vec![
            Span::styled(
                ":",
                Style::default()
                    .fg(theme.accent)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(line.text()),
            Span::styled("▏", Style::default().fg(theme.accent)),
            Span::styled(
                "   profile P,Q · region R,S · theme NAME · quit",
                Style::default().fg(theme.muted),
            ),
        ]));
    }
    if state.mode() == Mode::Filter || !state.fleet.filter.is_empty() {
        let mut spans = vec![
            Span::styled(
                "/",
                Style::default()
                    .fg(theme.accent)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(state.fleet.filter.text()),
        ];
        if state.mode() == Mode::Filter {
            spans.push(Span::styled("▏", Style::default().fg(theme.accent)));
        }
        if let Some(error) = &state.fleet.filter_error {
            spans.push(Span::styled(
                format!("   {error}"),
                Style::default().fg(theme.warning),
            ));
        } else if state.mode() != Mode::Filter
            && let Some(notice) = &state.frame.notice
        {
            // A filter in force must not hide what a key just said (why nothing opened).
            spans.push(Span::styled(
                format!("   {notice}"),
                Style::default().fg(theme.warning),
            ));
        }
        return Paragraph::new(Line::from(spans));
    }
    if let Some(error) = state.fleet.errors.first() {
        let more = if state.fleet.errors.len() > 1 {
            format!(" (+{} more)", state.fleet.errors.len() - 1)
        } else {
            String::new()
        };
        return Paragraph::new(Span::styled(
            format!("{error}{more}"),
            Style::default().fg(theme.error),
        ));
    }
    match (&state.frame.notice, state.frame.expiring.first()) {
        (Some(notice), _) => Paragraph::new(Span::styled(
            notice.as_str(),
            Style::default().fg(theme.warning),
        )),
        // Until renewed: the sessions resume, but nothing new starts after the end.
        (None, Some(expiring)) => Paragraph::new(Span::styled(
            expiring.as_str(),
            Style::default().fg(theme.warning),
        )),
        (None, None) => Paragraph::new(""),
    }
}

/// A table whose selected row stands out in the theme's selection colours.
/// `text` in at most `width` characters, the cut shown by an ellipsis (never cut silently).
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

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

/// The status line that asks for the second `q` while shells or tunnels are open.
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

fn status_line<'a>(state: &'a State, theme: &Theme, width: u16) -> Paragraph<'a> {
    let key = Style::default()
        .fg(theme.status_text)
        .add_modifier(Modifier::BOLD);
    let text = Style::default().fg(theme.status_text);
    let mut spans = Vec::new();
    if let Some(question) = quit_question(state, theme) {
        return question;
    }
    if !state.fleet.marks.is_empty() {
        spans.push(Span::styled(
            format!(" {} marked ", state.fleet.marks.len()),
            Style::default().fg(theme.marked),
        ));
    }
    if !state.panes.workspace.is_empty() {
        spans.push(Span::styled(
            format!(" {} shell(s):", state.panes.workspace.live_count()),
            Style::default().fg(theme.accent),
        ));
        spans.push(Span::styled(" tab", key));
        spans.push(Span::styled(" panes ", text));
    }
    let used: usize = spans.iter().map(Span::width).sum();
    spans.extend(hint_spans(
        &state
            .frame
            .keys
            .hints(&crate::app::views::fleet::keys::FLEET),
        usize::from(width).saturating_sub(used),
        theme,
    ));
    Paragraph::new(Line::from(spans)).style(Style::default().bg(theme.status_bar))
}

/// The forms and the confirmation, over whichever view is showing; the help and the command
/// line in views that have no filter line of their own.
fn draw_overlay(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if let Some(Overlay::TunnelForm(form)) = &state.overlay {
        return tunnels::draw_form(frame, area, form, theme);
    }
    if let Some(Overlay::RunCompose(compose)) = &state.overlay {
        return runs::draw_compose(frame, area, compose, theme);
    }
    if let Some(Overlay::RunConfirm(confirm)) = &state.overlay {
        return runs::draw_confirm(frame, area, confirm, theme);
    }
    match state.mode() {
        Mode::Help if state.view != View::Fleet => draw_help(frame, area, theme, state),
        Mode::Doctor => draw_doctor(frame, area, state, theme),
        Mode::Detail if state.view == View::Containers => {
            if let Some(row) = state.containers.selected_row() {
                containers::draw_detail(frame, area, row, theme);
            }
        }
        Mode::Command if state.view != View::Fleet => {
            let line = Rect::new(area.x, area.bottom().saturating_sub(2), area.width, 1);
            frame.render_widget(Clear, line);
            frame.render_widget(filter_line(state, theme), line);
        }
        _ => {}
    }
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
    let hints = state.frame.keys.hints(table);
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

/// Status-bar spans for `(keys, what)` hints.
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

fn draw_detail(frame: &mut Frame, area: Rect, row: &InstanceRow, since_load: u64, theme: &Theme) {
    let label = Style::default().fg(theme.header);
    let field = |name: &'static str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<18}"), label),
            Span::raw(value),
        ])
    };
    let opt = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    let mut lines = vec![
        field("Name", row.name.clone()),
        field("Instance", row.instance_id.clone()),
        Line::from(vec![
            Span::styled(format!("{:<18}", "Ping"), label),
            Span::styled(
                row.ping.label(),
                Style::default().fg(ping_colour(row.ping, theme)),
            ),
            Span::raw(
                row.last_ping_age
                    .map(|a| format!("  (last ping {} ago)", age(a + since_load)))
                    .unwrap_or_default(),
            ),
        ]),
        field(
            "Agent",
            match (&row.agent_version, row.agent_outdated) {
                (Some(v), true) => format!("{v} (a newer version exists)"),
                (Some(v), false) => v.clone(),
                (None, _) => "none: SSM does not manage this instance".to_owned(),
            },
        ),
        field(
            "Platform",
            format!("{} {}", row.platform, opt(&row.platform_name)),
        ),
        field("EC2 state", opt(&row.ec2_state)),
        field("Type", opt(&row.instance_type)),
        field("Private IP", opt(&row.private_ip)),
        field(
            "VPC / subnet",
            format!("{} / {}", opt(&row.vpc_id), opt(&row.subnet_id)),
        ),
        field(
            "AZ / region",
            format!("{} / {}", opt(&row.availability_zone), row.region),
        ),
        field("IAM profile", opt(&row.iam_instance_profile)),
        field(
            "Account / profile",
            format!("{} / {}", opt(&row.account), row.profile),
        ),
        Line::from(""),
        Line::from(Span::styled("Tags", label.add_modifier(Modifier::BOLD))),
    ];
    for (key, value) in &row.tags {
        lines.push(Line::from(vec![
            Span::styled(format!("  {key:<16}"), Style::default().fg(theme.muted)),
            Span::raw(value.clone()),
        ]));
    }
    let name = if row.name.is_empty() {
        &row.instance_id
    } else {
        &row.name
    };
    overlay(
        frame,
        area,
        76,
        &format!("{name} — esc closes"),
        lines,
        theme,
    );
}

/// The keys of the view in front, read from its key table (with the user's own keys first);
/// on tall screens the fleet's and the panes' tables too.
fn draw_help(frame: &mut Frame, area: Rect, theme: &Theme, state: &State) {
    let key_style = Style::default()
        .fg(theme.accent)
        .add_modifier(Modifier::BOLD);
    let heading = Style::default()
        .fg(theme.header)
        .add_modifier(Modifier::BOLD);
    let all = help::lines(state, area.width);
    let total = all.len();
    let shown = help::rows_shown(area.height, total);
    let scroll = match state.overlay {
        Some(Overlay::Help { scroll }) => scroll,
        _ => 0,
    }
    .min(help::max_scroll(state, area.width, area.height));
    let lines: Vec<Line> = all
        .into_iter()
        .skip(scroll)
        .take(shown)
        .map(|line| match line {
            HelpLine::Heading(title) => Line::from(Span::styled(title, heading)),
            HelpLine::Key { keys, text } => Line::from(vec![
                Span::styled(format!("  {keys:<14}"), key_style),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::column::DEFAULT_COLUMNS;

    #[test]
    fn narrow_terminals_drop_the_least_important_columns_first() {
        let headers = |width| {
            visible_columns(&DEFAULT_COLUMNS, width)
                .iter()
                .map(|&i| DEFAULT_COLUMNS[i].header().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(headers(300).len(), 12);
        let medium = headers(130);
        assert!(
            medium.contains(&"INSTANCE".to_owned()) && medium.contains(&"REGION".to_owned()),
            "{medium:?}"
        );
        assert!(!medium.contains(&"AZ".to_owned()), "{medium:?}");
        let narrow = headers(60);
        assert_eq!(narrow, ["NAME", "INSTANCE", "PING"]);
    }
}
