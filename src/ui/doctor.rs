//! The doctor's overlay: each check with ✓ / ✗ / ? and its evidence, then the cause and the
//! fix, over whichever view asked for it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::widgets::overlay;
use crate::app::overlays::DoctorView;
use crate::config::theme::Theme;
use crate::model::doctor::Verdict;

pub fn draw(frame: &mut Frame, area: Rect, view: &DoctorView, theme: &Theme) {
    let label = Style::default().fg(theme.header);
    let mut lines = Vec::new();
    match &view.report {
        None => lines.push(Line::from(Span::styled(
            "checking EC2, SSM, the instance profile and the network…",
            Style::default().fg(theme.muted),
        ))),
        Some(Err(error)) => lines.push(Line::from(Span::styled(
            format!("the doctor could not run: {error}"),
            Style::default().fg(theme.error),
        ))),
        Some(Ok(report)) => {
            for check in &report.checks {
                let colour = match check.verdict {
                    Verdict::Pass => theme.online,
                    Verdict::Fail => theme.error,
                    Verdict::Unknown => theme.warning,
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{} ", check.verdict.mark()),
                        Style::default().fg(colour),
                    ),
                    Span::styled(
                        format!("{:<28}", format!("{} {}", check.area, check.name)),
                        label,
                    ),
                    Span::raw(check.evidence.clone()),
                ]));
            }
            lines.push(Line::from(""));
            let verdict = if report.would_start {
                theme.online
            } else {
                theme.error
            };
            lines.push(Line::from(vec![
                Span::styled(
                    "cause  ",
                    Style::default().fg(verdict).add_modifier(Modifier::BOLD),
                ),
                Span::raw(report.cause.clone()),
            ]));
            lines.push(Line::from(vec![
                Span::styled("fix    ", label.add_modifier(Modifier::BOLD)),
                Span::raw(report.fix.clone()),
            ]));
            for fallback in &report.fallbacks {
                lines.push(Line::from(vec![
                    Span::styled("or     ", label),
                    Span::raw(fallback.clone()),
                ]));
            }
        }
    }
    let name = if view.name.is_empty() {
        view.instance_id.clone()
    } else {
        format!("{} ({})", view.name, view.instance_id)
    };
    overlay(
        frame,
        area,
        110,
        &format!("doctor: {name} — any key closes"),
        lines,
        theme,
    );
}
