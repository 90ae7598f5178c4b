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
            // Wrapped here, at spaces, so a command is never cut inside a flag or an id.
            let inner = usize::from(WIDTH.min(area.width).saturating_sub(2)).max(20);
            let mut labelled = |tag: &'static str, style: Style, text: &str| {
                for (n, row) in wrap_at_spaces(text, inner - TAG).into_iter().enumerate() {
                    let tag = if n == 0 { tag } else { "       " };
                    lines.push(Line::from(vec![Span::styled(tag, style), Span::raw(row)]));
                }
            };
            labelled(
                "cause  ",
                Style::default().fg(verdict).add_modifier(Modifier::BOLD),
                &report.cause,
            );
            labelled("fix    ", label.add_modifier(Modifier::BOLD), &report.fix);
            for fallback in &report.fallbacks {
                labelled("or     ", label, fallback);
            }
        }
    }
    let name = if view.name.is_empty() {
        view.instance_id.clone()
    } else {
        format!("{} ({})", view.name, view.instance_id)
    };
    let keys = if matches!(view.report, Some(Ok(_))) {
        "y copies the fix, any other key closes"
    } else {
        "any key closes"
    };
    overlay(
        frame,
        area,
        WIDTH,
        &format!("doctor: {name} — {keys}"),
        lines,
        theme,
    );
}

/// The overlay's width, and the width of a line's tag (`fix    `).
const WIDTH: u16 = 110;
const TAG: usize = 7;

/// `text` in rows of at most `width` characters, broken at spaces (a word longer than a row
/// has a row of its own, cut only then).
pub(crate) fn wrap_at_spaces(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split(' ') {
        let taken = row.chars().count();
        let wanted = word.chars().count();
        if taken > 0 && taken + 1 + wanted > width {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(word);
        while row.chars().count() > width {
            let cut: String = row.chars().take(width).collect();
            row = row.chars().skip(width).collect();
            rows.push(cut);
        }
    }
    rows.push(row);
    rows
}

#[cfg(test)]
mod tests {
    use super::wrap_at_spaces;

    #[test]
    fn commands_wrap_at_spaces_never_inside_a_flag() {
        let fix = "allow it: `aws ec2 authorize-security-group-egress --group-id sg-0ledgerlocked01 --protocol tcp --port 443 --cidr 0.0.0.0/0 --region us-east-1`";
        let rows = wrap_at_spaces(fix, 40);
        assert!(rows.iter().all(|r| r.chars().count() <= 40), "{rows:?}");
        assert_eq!(rows.join(" "), fix, "nothing lost, broken only at spaces");
        for flag in [
            "--group-id",
            "sg-0ledgerlocked01",
            "0.0.0.0/0",
            "us-east-1`",
        ] {
            assert!(
                rows.iter().any(|r| r.split(' ').any(|w| w == flag)),
                "{flag} whole: {rows:?}"
            );
        }
        assert_eq!(wrap_at_spaces("abcdefgh", 3), ["abc", "def", "gh"]);
    }
}
