//! The fleet view: the title line with the counts and the data's age, the table of
//! instances (only the rows on screen are built), the filter (or `:`) line, the status bar.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState};

use crate::app::overlays::Overlay;
use crate::app::{Mode, State};
use crate::config::theme::Theme;
use crate::model::column::Column;
use crate::model::format::age;
use crate::model::instance::{InstanceRow, Ping};
use std::time::SystemTime;

use crate::ui::widgets::*;

/// The fleet: its title, the table, the filter line and the status line.
pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: SystemTime) {
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
}

/// The header: the brand, where the data comes from, the counts by ping status, and the data's
/// age. On a narrow terminal the source gives way (shortened with an ellipsis, or left out)
/// so that the counts and the age always show.
pub(crate) fn title_line<'a>(
    state: &'a State,
    theme: &Theme,
    now: SystemTime,
    width: u16,
) -> Paragraph<'a> {
    let brand = brand(theme);
    let length = |spans: &[Span]| -> usize {
        spans
            .iter()
            .chain(std::iter::once(&brand))
            .map(|s| s.content.chars().count())
            .sum()
    };
    // The agents behind are said only where the whole source still fits beside them; too
    // narrow for the words, the short ones ("25 on  5 lost  7s ago").
    let fits =
        |spans: &[Span]| length(spans) + state.frame.source.chars().count() < usize::from(width);
    let with_agents = status_spans(state, theme, now, false, true);
    let spans = if fits(&with_agents) {
        with_agents
    } else {
        let long = status_spans(state, theme, now, false, false);
        if length(&long) > usize::from(width) {
            status_spans(state, theme, now, true, false)
        } else {
            long
        }
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
pub(crate) fn status_spans(
    state: &State,
    theme: &Theme,
    now: SystemTime,
    short: bool,
    agents: bool,
) -> Vec<Span<'static>> {
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
    // How far behind the fleet's agents are: those SSM knows a newer one for, or that lack
    // something (`bosun agent status` lists them; U updates the marked ones).
    let behind = state.fleet.agents_behind;
    if behind > 0 && agents {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            format!(
                "{behind} agent{} behind",
                if behind == 1 { "" } else { "s" }
            ),
            Style::default().fg(theme.warning),
        ));
    }
    let seconds = |at: SystemTime| age(now.duration_since(at).map_or(0, |d| d.as_secs()));
    let freshness = match (state.fleet.loading, state.fleet.loaded_at) {
        (true, _) if state.fleet.pending > 0 => {
            format!("reading {} more sources…", state.fleet.pending)
        }
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
pub(crate) fn cells<'a>(
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
pub(crate) fn since_load(state: &State, now: SystemTime) -> u64 {
    state
        .fleet
        .loaded_at
        .and_then(|at| now.duration_since(at).ok())
        .map_or(0, |d| d.as_secs())
}

pub(crate) fn draw_table(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    now: SystemTime,
) {
    let since_load = since_load(state, now);
    let shown: Vec<&Column> = state
        .fleet
        .shown_columns(area.width.saturating_sub(2))
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

pub(crate) fn filter_line<'a>(state: &'a State, theme: &Theme) -> Paragraph<'a> {
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
        // A line longer than the screen shows its end, where the typing is.
        let room = usize::from(state.frame.screen.width).saturating_sub(4);
        let mut spans = vec![
            Span::styled(
                "/",
                Style::default()
                    .fg(theme.accent)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(crate::ui::widgets::typing_end(
                state.fleet.filter.text(),
                room,
            )),
        ];
        if state.mode() == Mode::Filter {
            spans.push(Span::styled("▏", Style::default().fg(theme.accent)));
        }
        let before = state.fleet.filter_before.as_deref().unwrap_or_default();
        if state.mode() == Mode::Filter && state.fleet.filter.is_empty() && !before.is_empty() {
            spans.push(Span::styled(
                format!("   was: {before}   (↑ recalls it, esc keeps it, enter clears it)"),
                Style::default().fg(theme.muted),
            ));
        } else if let Some(error) = &state.fleet.filter_error {
            spans.push(Span::styled(
                format!("   {error}"),
                Style::default().fg(theme.warning),
            ));
        } else if state.mode() != Mode::Filter
            && let Some(notice) = crate::ui::widgets::notice_shown(state)
        {
            // A filter in force must not hide what a key just said (why nothing opened).
            spans.push(Span::styled(
                format!("   {notice}"),
                Style::default().fg(theme.warning),
            ));
        }
        return Paragraph::new(Line::from(spans));
    }
    // What a key just said comes before the standing errors (they show again after it).
    if let Some(notice) = crate::ui::widgets::notice_shown(state) {
        return Paragraph::new(Span::styled(notice, Style::default().fg(theme.warning)));
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
    match state.frame.expiring.first() {
        // Until renewed: the sessions resume, but nothing new starts after the end.
        Some(expiring) => Paragraph::new(Span::styled(
            expiring.as_str(),
            Style::default().fg(theme.warning),
        )),
        None => Paragraph::new(""),
    }
}

pub(crate) fn status_line<'a>(state: &'a State, theme: &Theme, width: u16) -> Paragraph<'a> {
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

/// Everything about one instance, over the fleet.
pub(crate) fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    row: &InstanceRow,
    since_load: u64,
    theme: &Theme,
) {
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

#[cfg(test)]
mod tests {
    use crate::app::views::fleet::FleetView;
    use crate::model::column::DEFAULT_COLUMNS;
    use crate::model::instance::{InstanceRow, Ping};

    #[test]
    fn narrow_terminals_drop_the_least_important_columns_first() {
        let mut fleet = FleetView::default();
        fleet.columns = DEFAULT_COLUMNS.to_vec();
        fleet.rows = vec![InstanceRow::bare(
            "i-1",
            Ping::Online,
            "default",
            "us-east-1",
        )];
        fleet.rows_changed();
        let shown = |fleet: &FleetView, width| {
            fleet
                .shown_columns(width)
                .iter()
                .map(|&i| DEFAULT_COLUMNS[i].header().into_owned())
                .collect::<Vec<_>>()
        };
        let headers = |width| shown(&fleet, width);
        // A fleet without Kubernetes nodes shows no CLUSTER or NODEGROUP column.
        assert_eq!(headers(300).len(), 12);
        let medium = headers(130);
        assert!(
            medium.contains(&"INSTANCE".to_owned()) && medium.contains(&"REGION".to_owned()),
            "{medium:?}"
        );
        assert!(!medium.contains(&"AZ".to_owned()), "{medium:?}");
        let narrow = headers(60);
        assert_eq!(narrow, ["NAME", "INSTANCE", "PING"]);
        // With nodes, the cluster comes before the region; the node group on wide screens.
        fleet.rows[0]
            .tags
            .insert("eks:cluster-name".into(), "shop".into());
        fleet.rows_changed();
        assert!(shown(&fleet, 130).contains(&"CLUSTER".to_owned()));
        assert!(!shown(&fleet, 130).contains(&"NODEGROUP".to_owned()));
        assert_eq!(shown(&fleet, 300).len(), 14);
    }
}
