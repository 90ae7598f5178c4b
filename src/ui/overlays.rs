//! The overlays over any view: the help, an instance's details, the doctor's report, the
//! forms and the confirmation, the `:` line over views with no filter line of their own.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Clear;

use crate::app::overlays::Overlay;
use crate::app::overlays::help::{self, HelpLine};
use crate::app::{Mode, State, View};
use crate::config::theme::Theme;
use crate::model::format::age;
use crate::model::instance::InstanceRow;

use super::doctor;
use super::views::fleet::filter_line;
use super::views::{containers, runs, tunnels};
use super::widgets::*;

pub(crate) fn draw_doctor(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if let Some(Overlay::Doctor(view)) = &state.overlay {
        doctor::draw(frame, area, view, theme);
    }
}

/// The forms and the confirmation, over whichever view is showing; the help and the command
/// line in views that have no filter line of their own.
pub(crate) fn draw_overlay(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
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

/// The keys of the view in front, read from its key table (with the user's own keys first);
/// on tall screens the fleet's and the panes' tables too.
pub(crate) fn draw_help(frame: &mut Frame, area: Rect, theme: &Theme, state: &State) {
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
