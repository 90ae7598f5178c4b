//! Drawing the fleet's answer at a glance: the watch view's grouped mode (one row per distinct
//! result, biggest first, small groups beside a big one marked as the odd ones out, a shape
//! group's count of differing outputs, each row's most telling line, and the selected group's
//! members and output), and two runs of one command compared.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, TableState, Wrap};

use crate::app::views::runs::RunWatch;
use crate::app::views::runs::grouping::GroupLine;
use crate::config::theme::Theme;
use crate::model::run_groups::{Comparison, members_line};
use crate::model::run_lines::telling_line;
use crate::ui::widgets::{fit, selectable_table};

/// The groups table in place of the invocations grid.
pub fn draw_groups(frame: &mut Frame, area: Rect, run: &RunWatch, theme: &Theme) {
    let groups = run.grouping.groups();
    let biggest = groups.first().map_or(0, |g| g.count);
    let header = Row::new(["", "COUNT", "STATUS", "EXIT", "OUTPUT", "INSTANCES"].map(Cell::from))
        .style(crate::ui::widgets::header_style(theme));
    let widths = vec![
        Constraint::Length(1),
        Constraint::Length(6),
        Constraint::Length(15),
        Constraint::Length(5),
        Constraint::Fill(2),
        Constraint::Fill(3),
    ];
    // What the fixed columns, the spaces between columns and the borders leave, shared 2:3.
    let flexible = usize::from(area.width).saturating_sub(1 + 6 + 15 + 5 + 5 + 2);
    let output_width = flexible * 2 / 5;
    let members_width = flexible - output_width;
    let rows: Vec<Row> = groups
        .iter()
        .map(|group| {
            let outlier = group.is_outlier(biggest);
            // A group never delivered shows why, once the doctor has said it.
            let cause = run.group_cause(group).map(|c| format!("why: {c}"));
            // The line that says most (an error, where the variants differ), and how many
            // outputs a shape group holds.
            let others: Vec<&str> = group.variants.iter().map(|v| v.output.as_str()).collect();
            let first = telling_line(&group.output, &others)
                .or(cause.as_deref())
                .unwrap_or("(no output)");
            let more = if group.output.lines().nth(1).is_some() || !group.variants.is_empty() {
                " …"
            } else {
                ""
            };
            let outputs = match group.variants.len() {
                0 => String::new(),
                n => format!("{} outputs ", n + 1),
            };
            let colour = super::status_colour(&group.status, theme);
            let mut row = Row::new(vec![
                Cell::from(if outlier { "◆" } else { " " })
                    .style(Style::default().fg(theme.warning)),
                Cell::from(group.count.to_string()),
                Cell::from(group.status.to_string()).style(Style::default().fg(colour)),
                Cell::from(
                    group
                        .exit_code
                        .filter(|c| *c != -1)
                        .map_or("-".to_owned(), |c| c.to_string()),
                ),
                Cell::from(Line::from(vec![
                    Span::styled(outputs.clone(), Style::default().fg(theme.warning)),
                    Span::raw(fit(
                        &format!("{first}{more}"),
                        output_width.saturating_sub(outputs.chars().count()),
                    )),
                ])),
                Cell::from(fit(&members_line(group, 40), members_width)),
            ]);
            // The odd ones out stand out: a small group beside a big one.
            if outlier {
                row = row.style(Style::default().add_modifier(Modifier::BOLD));
            }
            row
        })
        .collect();
    let running = run.invocations.len().saturating_sub(run.grouping.settled());
    let still = if running > 0 {
        format!(" · {running} still running")
    } else {
        String::new()
    };
    let odd = groups.iter().filter(|g| g.is_outlier(biggest)).count();
    let odd = match odd {
        0 => String::new(),
        n => format!(" · ◆ {n} odd one{} out", if n == 1 { "" } else { "s" }),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(
            format!(
                " {} result{} of {} by {} output{still}{odd} · v instances · V {} ",
                groups.len(),
                if groups.len() == 1 { "" } else { "s" },
                run.grouping.settled(),
                run.grouping.by.as_str(),
                run.grouping.by.toggled().as_str()
            ),
            Style::default().fg(theme.title),
        ));
    let table = selectable_table(rows, widths, header, block, theme);
    let selected = (!groups.is_empty()).then_some(run.grouping.selected);
    let mut table_state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// The selected group: its members, its output once, and how the others of its shape differ.
pub fn draw_group_output(frame: &mut Frame, area: Rect, run: &RunWatch, theme: &Theme) {
    let lines: Vec<Line> = run
        .grouping
        .lines(|group| run.group_cause(group))
        .into_iter()
        .map(|line| match line {
            GroupLine::Heading(text) => Line::from(Span::styled(
                text,
                Style::default().add_modifier(Modifier::BOLD),
            )),
            GroupLine::Output(text) => Line::from(text),
            GroupLine::Note(text) => {
                Line::from(Span::styled(text, Style::default().fg(theme.muted)))
            }
            GroupLine::Removed(text) => Line::from(Span::styled(
                format!("- {text}"),
                Style::default().fg(theme.error),
            )),
            GroupLine::Added(text) => Line::from(Span::styled(
                format!("+ {text}"),
                Style::default().fg(theme.online),
            )),
        })
        .collect();
    let inner = usize::from(area.height.saturating_sub(2));
    let total = lines.len();
    // A group reads from its top; `]` pages on through a long one, `[` back (in this mode
    // the reducer counts `output_back` from the top).
    let skip = run.output_back.min(total.saturating_sub(inner));
    let title = if total > inner {
        format!(
            " group · lines {}–{} of {total} ",
            skip + 1,
            (skip + inner).min(total)
        )
    } else {
        " group ".to_owned()
    };
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>())
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(Style::default().fg(theme.border))
                    .title(Span::styled(
                        fit(&title, usize::from(area.width.saturating_sub(2))),
                        Style::default().fg(theme.title),
                    )),
            ),
        area,
    );
}

/// Two runs of one command compared, over the history's lower half.
pub fn draw_comparison(frame: &mut Frame, area: Rect, comparison: &Comparison, theme: &Theme) {
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{} changed, {} the same · esc closes",
            comparison.changes.len(),
            comparison.unchanged
        ),
        Style::default().fg(theme.muted),
    ))];
    if comparison.shares_no_instance() {
        lines.push(Line::from(Span::styled(
            "these two runs share no instance (a canary and the rest of one run, or other targets): pick another pair",
            Style::default().fg(theme.warning),
        )));
    }
    for change in &comparison.changes {
        let name = if change.name.is_empty() {
            change.instance_id.clone()
        } else {
            format!("{} {}", change.name, change.instance_id)
        };
        lines.push(Line::from(Span::styled(
            name,
            Style::default().add_modifier(Modifier::BOLD),
        )));
        let said = |result: &Option<String>| {
            result
                .clone()
                .unwrap_or_else(|| "(not a target of this run)".to_owned())
        };
        lines.push(Line::from(Span::styled(
            format!("  before: {}", said(&change.before)),
            Style::default().fg(theme.error),
        )));
        lines.push(Line::from(Span::styled(
            format!("  after:  {}", said(&change.after)),
            Style::default().fg(theme.online),
        )));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(Style::default().fg(theme.border))
                .title(Span::styled(
                    fit(
                        &format!(" {} → {} ", comparison.older, comparison.newer),
                        usize::from(area.width.saturating_sub(2)),
                    ),
                    Style::default().fg(theme.title),
                )),
        ),
        area,
    );
}
