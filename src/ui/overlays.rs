//! The overlays over any view: the help, an instance's details, the doctor's report, the
//! forms and the confirmation, the `:` line over views with no filter line of their own.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Clear;

use crate::app::overlays::Overlay;
use crate::app::overlays::help::{self, HelpLine};
use crate::app::{State, View};
use crate::config::theme::Theme;
use crate::model::format::age;
use crate::model::instance::InstanceRow;

use super::doctor;
use super::views::fleet::{filter_line, since_load};
use super::views::{containers, runs, tunnels};
use super::widgets::*;

/// The overlay over the view drawn beneath it (`under`): the forms and the confirmation, the
/// help, the doctor, the details of the fleet's or the containers' selected row, and the `:`
/// line over views that have no filter line of their own.
pub(crate) fn draw_over(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    under: View,
    now: SystemTime,
) {
    let Some(overlay) = &state.overlay else {
        return;
    };
    match overlay {
        Overlay::TunnelForm(form) => tunnels::draw_form(frame, area, form, theme),
        Overlay::RunCompose(compose) => runs::draw_compose(frame, area, compose, theme),
        Overlay::RunConfirm(confirm) => runs::draw_confirm(frame, area, confirm, theme),
        Overlay::Help { .. } => draw_help(frame, area, theme, state),
        Overlay::Doctor(view) => doctor::draw(frame, area, view, theme),
        Overlay::Detail => match under {
            View::Fleet => {
                if let Some(row) = state.fleet.selected_row() {
                    draw_detail(frame, area, row, since_load(state, now), theme);
                }
            }
            View::Containers => {
                if let Some(row) = state.containers.selected_row() {
                    containers::draw_detail(frame, area, row, theme);
                }
            }
            _ => {}
        },
        Overlay::CommandLine(_) if !matches!(under, View::Fleet | View::Panes) => {
            let line = Rect::new(area.x, area.bottom().saturating_sub(2), area.width, 1);
            frame.render_widget(Clear, line);
            frame.render_widget(filter_line(state, theme), line);
        }
        Overlay::CommandLine(_) | Overlay::Filter | Overlay::PaneSearch { .. } => {}
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
