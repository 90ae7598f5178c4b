//! Drawing Run Command: the compose form, the blast-radius confirmation, and the watch view
//! (a grid of invocations, a summary bar with progress, and the selected instance's output).

pub mod groups;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, TableState, Wrap};

use crate::app::State;
use crate::app::views::runs::{COMPOSE_LABELS, CanaryOutcome, RunCompose, RunConfirm, RunWatch};
use crate::config::theme::Theme;
use crate::model::format::age;
use crate::model::run as runs;
use crate::model::run::InvocationView;
use crate::model::status::{InvocationStatus, Tone};
use crate::ui::widgets::{
    FormLines, fit, form_footer, form_overlay, hint_spans, note, overlay, selectable_table,
};

pub(super) fn status_colour(status: &InvocationStatus, theme: &Theme) -> Color {
    match status.tone() {
        Tone::Good => theme.online,
        Tone::Bad => theme.error,
        Tone::Quiet => theme.muted,
        Tone::Waiting => theme.warning,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(run) = &state.runs.watch else {
        return;
    };
    let [title, summary, grid, output, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Percentage(45),
        Constraint::Min(4),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    // What runs, then its command ids and regions: whatever does not fit ends in "…".
    let brand = crate::ui::widgets::brand(theme);
    let room = usize::from(title.width).saturating_sub(brand.width());
    let what = fit(&format!("run: {}", run.request.what()), room);
    let ids = if run.command_ids.is_empty() {
        "sending…".to_owned()
    } else {
        run.command_ids.join(", ")
    };
    let rest = room.saturating_sub(what.chars().count());
    let place = fit(&format!("   {ids} in {}", run.request.regions()), rest);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            brand,
            Span::raw(what),
            Span::styled(place, Style::default().fg(theme.muted)),
        ])),
        title,
    );
    frame.render_widget(summary_line(run, theme), summary);
    if run.grouping.shown {
        groups::draw_groups(frame, grid, run, theme);
        groups::draw_group_output(frame, output, run, theme);
    } else {
        draw_grid(frame, grid, run, theme);
        draw_output(frame, output, run, theme);
    }
    let message = run
        .error
        .as_deref()
        .map(|e| (e.to_owned(), theme.error))
        .or_else(|| state.frame.notice.clone().map(|n| (n, theme.warning)));
    if let Some((text, colour)) = message {
        frame.render_widget(
            Paragraph::new(Span::styled(text, Style::default().fg(colour))),
            notice,
        );
    }
    frame.render_widget(
        Paragraph::new(Line::from(hint_spans(
            &state
                .frame
                .keys
                .hints_for(&crate::app::views::runs::keys::RUN, state.frame.read_only),
            usize::from(status.width),
            theme,
        )))
        .style(Style::default().bg(theme.status_bar)),
        status,
    );
}

/// Counts per status and progress: "12/30 done · 10 Success · 2 Failed · 18 InProgress".
fn summary_line<'a>(run: &RunWatch, theme: &Theme) -> Paragraph<'a> {
    let expected = run.expected();
    let done = run.invocations.iter().filter(|i| i.finished()).count();
    let mut spans = vec![Span::styled(
        format!(" {done}/{expected} done "),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    for (status, count) in run.summary() {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("{count} {status}"),
            Style::default().fg(status_colour(&status, theme)),
        ));
    }
    // Once every invocation has settled, the cancel has done what it could: the counts say.
    if run.cancelled && !run.finished() {
        spans.push(Span::styled(
            "   cancel requested",
            Style::default().fg(theme.warning),
        ));
    }
    if run.throttled {
        spans.push(Span::styled(
            "   throttled: polling less often",
            Style::default().fg(theme.warning),
        ));
    }
    if let Some(stage) = &run.canary {
        let (text, colour) = match stage.outcome {
            CanaryOutcome::Running => (
                format!(
                    "   canary: {} first, {} waiting",
                    stage.count, stage.remaining
                ),
                theme.warning,
            ),
            CanaryOutcome::Passed => (
                format!(
                    "   canary passed · C runs on the remaining {}",
                    stage.remaining
                ),
                theme.online,
            ),
            CanaryOutcome::Failed => (
                format!(
                    "   canary failed · the remaining {} were not run",
                    stage.remaining
                ),
                theme.error,
            ),
            CanaryOutcome::Cancelled => (
                format!(
                    "   canary cancelled · the remaining {} will not run",
                    stage.remaining
                ),
                theme.warning,
            ),
            CanaryOutcome::Continued => (
                format!("   canary passed · then {} more", stage.remaining),
                theme.muted,
            ),
        };
        spans.push(Span::styled(
            text,
            Style::default().fg(colour).add_modifier(Modifier::BOLD),
        ));
    }
    Paragraph::new(Line::from(spans))
}

fn draw_grid(frame: &mut Frame, area: Rect, run: &RunWatch, theme: &Theme) {
    // The name column takes what the longest name needs, up to a limit (longer ones end in
    // an ellipsis); the region column shows only when the run spans regions.
    let name_width = run
        .invocations
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, NAME_WIDTH_MAX);
    let region_of = |id: &str| {
        run.request
            .groups
            .iter()
            .find(|g| g.targets.iter().any(|t| t.id == id))
            .map_or("-", |g| g.region.as_str())
    };
    let regions: std::collections::BTreeSet<&str> = run
        .request
        .groups
        .iter()
        .map(|g| g.region.as_str())
        .collect();
    let region_width = if regions.len() > 1 {
        regions.iter().map(|r| r.len()).max().unwrap_or(0).max(6)
    } else {
        0
    };
    let mut titles = vec!["NAME", "INSTANCE"];
    let mut widths = vec![
        Constraint::Length(name_width as u16),
        Constraint::Length(19),
    ];
    if region_width > 0 {
        titles.push("REGION");
        widths.push(Constraint::Length(region_width as u16));
    }
    titles.extend(["STATUS", "EXIT", "DURATION", "WHY"]);
    widths.extend([
        Constraint::Length(15),
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Fill(1),
    ]);
    let header =
        Row::new(titles.into_iter().map(Cell::from)).style(crate::ui::widgets::header_style(theme));
    // What the fixed columns, the spaces between columns and the borders leave.
    let fixed = name_width + 19 + region_width + 15 + 5 + 9;
    let spaces = widths.len() - 1;
    let why_width = usize::from(area.width).saturating_sub(fixed + spaces + 2);
    let rows: Vec<Row> = run
        .invocations
        .iter()
        .map(|i| {
            let mut cells = vec![
                Cell::from(if i.name.is_empty() {
                    "-".to_owned()
                } else {
                    fit(&i.name, name_width)
                }),
                Cell::from(i.instance_id.as_str()),
            ];
            if region_width > 0 {
                cells.push(Cell::from(region_of(&i.instance_id)));
            }
            cells.extend([
                Cell::from(i.status.as_str())
                    .style(Style::default().fg(status_colour(&i.status, theme))),
                Cell::from(i.exit_code.map_or("-".to_owned(), |c| c.to_string())),
                Cell::from(i.duration_ms.map_or("-".to_owned(), |ms| age(ms / 1000))),
                why_not_reached(run, i, why_width, theme),
            ]);
            Row::new(cells)
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(
            format!(" invocations ({}) ", run.invocations.len()),
            Style::default().fg(theme.title),
        ));
    let table = selectable_table(rows, widths, header, block, theme);
    let mut table_state = TableState::default().with_selected(Some(run.selected));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// Names longer than this end in an ellipsis.
const NAME_WIDTH_MAX: usize = 30;

/// For an invocation the command did not reach: the doctor's cause, "asking the doctor…"
/// while it looks, or the key that asks it.
fn why_not_reached<'a>(
    run: &RunWatch,
    invocation: &InvocationView,
    width: usize,
    theme: &Theme,
) -> Cell<'a> {
    if invocation.status != InvocationStatus::Undeliverable {
        return Cell::from("");
    }
    match run.causes.get(&invocation.instance_id) {
        Some(Some(cause)) => Cell::from(fit(cause, width)).style(Style::default().fg(theme.error)),
        Some(None) => Cell::from("asking the doctor…").style(Style::default().fg(theme.muted)),
        None => Cell::from("D asks the doctor").style(Style::default().fg(theme.muted)),
    }
}

fn draw_output(frame: &mut Frame, area: Rect, run: &RunWatch, theme: &Theme) {
    let title = run
        .selected_invocation()
        .map_or(" output ".to_owned(), |i| {
            format!(" output of {} {} ", i.name, i.instance_id)
        });
    let mut lines: Vec<Line> = Vec::new();
    // Not reached: the cause in full (the grid's column cuts it), and where the rest is.
    if let Some(cause) = run.selected_cause() {
        lines.push(Line::from(Span::styled(
            format!("not reached: {cause} (D: the doctor's full report)"),
            Style::default().fg(theme.error),
        )));
    }
    match &run.output {
        None => lines.push(Line::from(Span::styled(
            "waiting for output…",
            Style::default().fg(theme.muted),
        ))),
        Some(output) if output.stdout.is_empty() && output.stderr.is_empty() => {
            lines.push(Line::from(Span::styled(
                "(no output)",
                Style::default().fg(theme.muted),
            )));
        }
        Some(output) => {
            lines.extend(output.stdout.lines().map(|l| Line::from(l.to_owned())));
            if !output.stderr.is_empty() {
                lines.push(Line::from(Span::styled(
                    "stderr:",
                    Style::default()
                        .fg(theme.error)
                        .add_modifier(Modifier::BOLD),
                )));
                lines.extend(output.stderr.lines().map(|l| {
                    Line::from(Span::styled(l.to_owned(), Style::default().fg(theme.error)))
                }));
            }
            if output.truncated {
                let rest = match &output.s3_location {
                    Some(url) => format!("the full output is in {url}"),
                    None => "set an S3 bucket or CloudWatch output to keep all of it".to_owned(),
                };
                lines.push(Line::from(Span::styled(
                    format!("output cut by AWS (24,000 stdout / 8,000 stderr characters): {rest}"),
                    Style::default().fg(theme.warning),
                )));
            }
        }
    }
    // Show the end (the latest lines matter most while a command runs), or as far back as
    // the output keys went.
    let inner = usize::from(area.height.saturating_sub(2));
    let total = lines.len();
    let end = total.saturating_sub(inner);
    let skip = end.saturating_sub(run.output_back);
    let title = match run.selected_invocation() {
        Some(i) if total > inner => format!(
            " {} {} · lines {}–{} of {total}{} ",
            i.name,
            i.instance_id,
            skip + 1,
            (skip + inner).min(total),
            if skip < end { " · ] on" } else { "" }
        ),
        _ => title,
    };
    let title = fit(&title, usize::from(area.width.saturating_sub(2)));
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>())
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(Style::default().fg(theme.border))
                    .title(Span::styled(title, Style::default().fg(theme.title))),
            ),
        area,
    );
}

/// The compose form over the fleet.
pub fn draw_compose(frame: &mut Frame, area: Rect, compose: &RunCompose, theme: &Theme) {
    let label = Style::default().fg(theme.header);
    let targets: Vec<runs::RunTarget> = compose
        .groups
        .iter()
        .flat_map(|g| g.targets.iter().cloned())
        .collect();
    let regions: Vec<&str> = compose.groups.iter().map(|g| g.region.as_str()).collect();
    let mut lines = vec![
        Line::from(vec![
            Span::styled("targets ", label),
            Span::raw(format!("{} in {}", compose.chosen_by, regions.join(", "))),
        ]),
        Line::from(Span::styled(
            format!(
                "  environments: {}",
                runs::count_by(&targets, |t| &t.environment)
            ),
            Style::default().fg(theme.muted),
        )),
        Line::from(""),
    ];
    let mut focus = 0..0;
    for (index, (name, value)) in COMPOSE_LABELS.iter().zip(&compose.fields).enumerate() {
        let focused = index == compose.focus;
        if focused {
            focus.start = lines.len();
        }
        let marker = if focused { "▸ " } else { "  " };
        let style = if focused {
            label.add_modifier(Modifier::BOLD)
        } else {
            label
        };
        lines.push(Line::from(Span::styled(format!("{marker}{name}"), style)));
        let mut value_lines: Vec<&str> = value.split('\n').collect();
        if value_lines.is_empty() {
            value_lines.push("");
        }
        let count = value_lines.len();
        for (n, text) in value_lines.into_iter().enumerate() {
            let cursor = if focused && n + 1 == count { "▏" } else { "" };
            lines.push(Line::from(vec![
                Span::raw(format!("    {text}")),
                Span::styled(cursor, Style::default().fg(theme.accent)),
            ]));
        }
        if focused {
            focus.end = lines.len();
        }
    }
    let body = lines.len();
    form_footer(
        &mut lines,
        "tab next field · enter: new line in the command, else next step · ctrl-s next step · esc cancel",
        compose.error.as_deref(),
        theme,
    );
    // On a short terminal the fields scroll to the focused one; the keys and the error stay.
    let footer = lines.len() - body;
    let form = FormLines {
        lines,
        footer,
        focus,
    };
    form_overlay(frame, area, (100, "Run Command"), form, theme);
}

/// The blast radius, and what to type to go ahead.
pub fn draw_confirm(frame: &mut Frame, area: Rect, confirm: &RunConfirm, theme: &Theme) {
    let targets = confirm.request.targets();
    let request = &confirm.request;
    let mut lines: Vec<Line> = request.blast_radius().into_iter().map(Line::from).collect();
    let production = targets.iter().filter(|t| t.is_production()).count();
    if production > 0 {
        lines.push(Line::from(Span::styled(
            format!("  {production} tagged as production"),
            Style::default()
                .fg(theme.error)
                .add_modifier(Modifier::BOLD),
        )));
    }
    lines.push(Line::from(""));
    let noun = if targets.len() == 1 {
        "instance"
    } else {
        "instances"
    };
    let prompt = if confirm.strict() {
        format!(
            "Type {} and enter to run on {} {noun}: {}▏",
            targets.len(),
            targets.len(),
            confirm.typed
        )
    } else {
        "Run it? y / enter runs, n / esc cancels".to_owned()
    };
    lines.push(Line::from(Span::styled(
        prompt,
        Style::default()
            .fg(theme.warning)
            .add_modifier(Modifier::BOLD),
    )));
    if let Some(mistyped) = &confirm.mistyped {
        lines.push(Line::from(Span::styled(
            mistyped.clone(),
            Style::default().fg(theme.error),
        )));
    }
    overlay(
        frame,
        area,
        100,
        "blast radius — nothing has run yet",
        lines,
        theme,
    );
}

/// Recent commands, newest first: enter watches one again.
pub fn draw_history(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: i64) {
    let [title, body, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            crate::ui::widgets::brand(theme),
            Span::raw("recent commands (ListCommands)"),
        ])),
        title,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border));
    match &state.runs.history {
        None => note(frame, body, block, "loading…", theme),
        Some(entries) if entries.is_empty() => note(
            frame,
            body,
            block,
            "No commands in these profiles and regions.",
            theme,
        ),
        Some(entries) => {
            let header = Row::new(
                [
                    "REQUESTED",
                    "STATUS",
                    "TARGETS",
                    "DOCUMENT",
                    "COMMAND",
                    "REGION",
                    "ID",
                ]
                .map(Cell::from),
            )
            .style(crate::ui::widgets::header_style(theme));
            let rows: Vec<Row> = entries
                .iter()
                .map(|e| {
                    let when = e.requested_at.map_or("-".to_owned(), |at| {
                        format!("{} ago", age(u64::try_from(now - at).unwrap_or(0)))
                    });
                    Row::new(vec![
                        Cell::from(when),
                        Cell::from(e.status.to_string())
                            .style(Style::default().fg(status_colour(&e.status, theme))),
                        Cell::from(e.target_count.to_string()),
                        Cell::from(e.document.clone()),
                        Cell::from(e.script.lines().next().unwrap_or_default().to_owned()),
                        Cell::from(e.region.clone()),
                        Cell::from(e.command_id.clone()),
                    ])
                })
                .collect();
            let widths = vec![
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Length(7),
                Constraint::Length(24),
                Constraint::Fill(1),
                Constraint::Length(10),
                Constraint::Length(36),
            ];
            let table = selectable_table(rows, widths, header, block, theme);
            let mut table_state =
                TableState::default().with_selected(Some(state.runs.history_selected));
            frame.render_stateful_widget(table, body, &mut table_state);
        }
    }
    if let Some(comparison) = &state.runs.comparison {
        let [_, lower] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Fill(1)]).areas(body);
        groups::draw_comparison(frame, lower, comparison, theme);
    }
    crate::ui::widgets::notice_and_hints(
        frame,
        notice,
        status,
        state,
        &crate::app::views::runs::keys::HISTORY,
        theme,
    );
}
