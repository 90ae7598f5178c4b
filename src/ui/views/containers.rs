//! The Containers view: every ECS container of the profiles and regions in use — cluster,
//! service, task, container, launch type, status, health, whether ECS Exec reaches it (and why
//! not), image, CPU/memory, the EC2 instance of an EC2-launched task — with its filter line,
//! marks, and the reads that failed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, TableState};

use crate::app::State;
use crate::config::theme::Theme;
use crate::model::container::ContainerRow;
use crate::ui::widgets::note;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = &state.containers;
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
    let running = view
        .rows
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|r| r.task_status == "RUNNING")
        .count();
    let reachable = view
        .rows
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|r| r.exec_problem().is_none())
        .count();
    frame.render_widget(
        crate::ui::widgets::view_title(
            state,
            theme,
            format!(
                "containers: {} ({running} running, {reachable} reachable by ECS Exec)",
                view.total()
            ),
        ),
        title,
    );
    let marked = if view.marks.is_empty() {
        String::new()
    } else {
        format!(" · {} marked", view.marks.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border))
        .title(Span::styled(
            format!(
                " containers ({} of {}) · sorted by {}{}{marked} ",
                view.visible.len(),
                view.total(),
                view.sort.label(),
                if view.descending { " ↓" } else { "" }
            ),
            Style::default().fg(theme.title),
        ));
    match &view.rows {
        None => note(
            frame,
            body,
            block,
            "loading… (ListClusters, ListTasks, DescribeTasks)",
            theme,
        ),
        Some(rows) if rows.is_empty() => note(
            frame,
            body,
            block,
            "No ECS tasks in these profiles and regions.",
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
            language: "words, cluster:C, service:S, status:S, exec:on|off, !negates",
        },
        theme,
    );
    crate::ui::widgets::notice_and_hints(
        frame,
        notice,
        status,
        state,
        &crate::app::views::containers::keys::CONTAINERS,
        theme,
    );
}

fn draw_table(frame: &mut Frame, area: Rect, state: &State, block: Block, theme: &Theme) {
    let view = &state.containers;
    // The EC2 column only when some task runs on an instance of the account's.
    let with_ec2 = view.visible_rows().any(|r| r.ec2_instance.is_some());
    let mut titles = vec![
        " ",
        "CLUSTER",
        "SERVICE",
        "TASK",
        "CONTAINER",
        "LAUNCH",
        "STATUS",
        "HEALTH",
        "EXEC",
        "IMAGE",
        "CPU/MEM",
    ];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(10),
        Constraint::Length(14),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(17),
        Constraint::Fill(1),
        Constraint::Length(9),
    ];
    if with_ec2 {
        titles.push("EC2");
        widths.push(Constraint::Length(19));
    }
    titles.push("REGION");
    widths.push(Constraint::Length(10));
    let header =
        Row::new(titles.into_iter().map(Cell::from)).style(crate::ui::widgets::header_style(theme));
    // Only the rows that fit are built: thousands of containers cost a frame nothing more.
    let height = usize::from(area.height.saturating_sub(3)).max(1);
    // Where the reducer scrolled to, or further when the screen is smaller than it knew.
    let first = view
        .offset
        .max(view.selected.saturating_sub(height - 1))
        .min(view.selected);
    let rows: Vec<Row> = view
        .visible_rows()
        .skip(first)
        .take(height)
        .map(|row| {
            let mark = if view.marks.contains(&row.ssm_target()) {
                "●"
            } else {
                " "
            };
            let (exec, colour) = match row.exec_problem() {
                None => ("ok".to_owned(), theme.online),
                Some(problem) => (format!("no: {}", problem.short), theme.error),
            };
            let status_colour = if row.task_status == "RUNNING" {
                theme.online
            } else {
                theme.warning
            };
            let health_colour = match row.health.as_str() {
                "HEALTHY" => theme.online,
                "UNHEALTHY" => theme.error,
                _ => theme.muted,
            };
            // The image's repository host is the same for most; its last part tells them apart.
            let image = row
                .image
                .rsplit('/')
                .next()
                .unwrap_or(&row.image)
                .to_owned();
            let mut cells = vec![
                Cell::from(mark).style(Style::default().fg(theme.accent)),
                Cell::from(row.cluster.clone()),
                Cell::from(if row.service.is_empty() {
                    "-".to_owned()
                } else {
                    row.service.clone()
                }),
                Cell::from(row.task_id.chars().take(8).collect::<String>()),
                Cell::from(row.container.clone()),
                Cell::from(row.launch_type.clone()),
                Cell::from(row.task_status.clone()).style(Style::default().fg(status_colour)),
                Cell::from(row.health.clone()).style(Style::default().fg(health_colour)),
                Cell::from(exec).style(Style::default().fg(colour)),
                Cell::from(image),
                Cell::from(format!("{}/{}", row.cpu, row.memory)),
            ];
            if with_ec2 {
                cells.push(Cell::from(
                    row.ec2_instance.clone().unwrap_or_else(|| "-".to_owned()),
                ));
            }
            cells.push(Cell::from(row.region.clone()));
            Row::new(cells)
        })
        .collect();
    let table = crate::ui::widgets::selectable_table(rows, widths, header, block, theme);
    let selected = (!view.visible.is_empty()).then_some(view.selected - first);
    let mut table_state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// Everything about one container, over the view: where it runs, its SSM target, and whether
/// ECS Exec reaches it (the cause and fix in full when not).
pub fn draw_detail(frame: &mut Frame, area: Rect, row: &ContainerRow, theme: &Theme) {
    let label = Style::default().fg(theme.header);
    let field = |name: &'static str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<16}"), label),
            Span::raw(value),
        ])
    };
    let opt = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    let mut lines = vec![
        field("Container", row.container.clone()),
        field("Task", row.task_id.clone()),
        field(
            "Service",
            if row.service.is_empty() {
                "-".to_owned()
            } else {
                row.service.clone()
            },
        ),
        field("Cluster", row.cluster.clone()),
        field("Region", format!("{} ({})", row.region, row.profile)),
        field("Launch type", row.launch_type.clone()),
        field("Platform", opt(&row.platform_version)),
        field("EC2 instance", opt(&row.ec2_instance)),
        field(
            "Status",
            format!(
                "task {} · container {} · {}",
                row.task_status, row.container_status, row.health
            ),
        ),
        field("Image", row.image.clone()),
        field("CPU / memory", format!("{} / {}", row.cpu, row.memory)),
        field("Runtime id", row.runtime_id.clone()),
        field("SSM target", row.ssm_target()),
        field("As a TARGET", row.label()),
        field("Exec agent", opt(&row.exec_agent)),
    ];
    match row.exec_problem() {
        None => lines.push(Line::from(Span::styled(
            "ECS Exec reaches it: s opens a shell",
            Style::default().fg(theme.online),
        ))),
        Some(problem) => {
            lines.push(Line::from(Span::styled(
                format!("ECS Exec cannot: {}", problem.cause),
                Style::default().fg(theme.error),
            )));
            lines.push(Line::from(format!("fix: {}", problem.fix)));
        }
    }
    crate::ui::widgets::overlay(frame, area, 100, " container ", lines, theme);
}
