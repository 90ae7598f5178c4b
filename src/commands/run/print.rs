//! What `bosun run` prints: each instance as it settles (its output, or the whole of it when
//! the listing cut it, and where AWS cut it), then the fleet's answer at a glance, grouped.

use std::io::Write;

use serde_json::json;

use crate::model::run::{InvocationOutput, InvocationView};
use crate::model::run_groups::{ResultGroup, members_line};
use crate::model::run_shape::line_diff;

/// Prints one settled invocation: the output ListCommandInvocations showed, or, when that was
/// cut at 2,500 characters, the whole stdout and stderr (as much as AWS keeps: 24,000 and
/// 8,000 characters; beyond that only S3 or CloudWatch has the rest).
pub(super) fn report(
    invocation: &InvocationView,
    listed: String,
    full: Option<InvocationOutput>,
    json_output: bool,
) -> (String, bool) {
    let mut output = listed;
    let mut note = None;
    let mut full_output_url = None;
    if let Some(full) = full {
        output = if full.stderr.is_empty() {
            full.stdout
        } else {
            format!("{}\n--- stderr ---\n{}", full.stdout, full.stderr)
        };
        if full.truncated {
            full_output_url = full.s3_location.clone();
            note = Some(match full.s3_location {
                Some(url) => format!(
                    "output truncated by AWS at 24,000/8,000 characters; full output: {url}"
                ),
                None => "output truncated by AWS at 24,000/8,000 characters (set an S3 bucket or CloudWatch output for all of it)".to_owned(),
            });
        }
    }
    let seconds = invocation.duration_ms.map(|ms| ms as f64 / 1000.0);
    let exit_code = invocation.shown_exit_code();
    let (id, name) = (&invocation.instance_id, &invocation.name);
    if json_output {
        println!(
            "{}",
            json!({
                "instance_id": id,
                "name": name,
                "command_id": invocation.command_id,
                "status": invocation.aws_status,
                "status_details": invocation.summary_status(),
                "exit_code": exit_code,
                "seconds": seconds,
                "output": output,
                "truncated": note.is_some(),
                "full_output_url": full_output_url,
            })
        );
        return (output, note.is_some());
    }
    let title = if name.is_empty() {
        id.clone()
    } else {
        format!("{name} ({id})")
    };
    let shown = match &invocation.status_details {
        Some(details) if *details != invocation.aws_status => {
            format!("{} ({details})", invocation.aws_status)
        }
        _ => invocation.aws_status.to_string(),
    };
    // AWS's -1 means the script never ran (Undeliverable, Cancelled…): the status in brackets
    // says why, and an "exit -1" would only look like the script's own. `--json` keeps AWS's
    // value.
    let code = exit_code
        .filter(|c| *c != -1)
        .map(|c| format!(" exit {c}"))
        .unwrap_or_default();
    let time = seconds.map(|s| format!(" {s:.1}s")).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "== {title}: {shown}{code}{time}");
    for line in output.lines() {
        let _ = writeln!(stdout, "   {line}");
    }
    if let Some(note) = &note {
        let _ = writeln!(stdout, "   [{note}]");
    }
    (output, note.is_some())
}

/// The fleet's answer at a glance, after every instance's own: one group per distinct result
/// (status, exit code, output), biggest first, each output once. Said when there is more than
/// one instance; `--json` gives one `{"type":"group",…}` object per group.
pub(super) fn print_groups(groups: &[ResultGroup], json_output: bool) {
    let total: usize = groups.iter().map(|g| g.count).sum();
    if total < 2 {
        return;
    }
    if json_output {
        for group in groups {
            let mut object = json!({"type": "group"});
            if let (Some(map), Ok(serde_json::Value::Object(fields))) =
                (object.as_object_mut(), serde_json::to_value(group))
            {
                map.extend(fields);
            }
            println!("{object}");
        }
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let noun = if groups.len() == 1 {
        "one result".to_owned()
    } else {
        format!("{} different results", groups.len())
    };
    let _ = writeln!(stdout, "\n{total} instances, {noun}:");
    for group in groups {
        // AWS's -1 means the script never ran: the status says why, not a code.
        let code = group
            .exit_code
            .filter(|c| *c != -1)
            .map(|c| format!(" exit {c}"))
            .unwrap_or_default();
        let _ = writeln!(
            stdout,
            "-- {} × {}{code}: {}",
            group.count,
            group.status,
            members_line(group, 8)
        );
        let lines: Vec<&str> = group.output.lines().collect();
        for line in lines.iter().take(10) {
            let _ = writeln!(stdout, "   {line}");
        }
        if lines.len() > 10 {
            let _ = writeln!(stdout, "   … ({} more lines)", lines.len() - 10);
        }
        if group.truncated {
            let _ = writeln!(
                stdout,
                "   [grouped on the output AWS returned, which it cut]"
            );
        }
        print_variants(&mut stdout, group);
    }
}

/// Variants shown of a shape group, and changed lines shown of each.
const VARIANTS_SHOWN: usize = 3;
const DIFF_LINES_SHOWN: usize = 6;

/// In a group made by shape: how the members whose output is not the most common one differ
/// from it, as changed lines.
fn print_variants(stdout: &mut impl Write, group: &ResultGroup) {
    if group.variants.is_empty() {
        return;
    }
    let _ = writeln!(
        stdout,
        "   {} outputs of one shape; where the others differ from the one above:",
        group.variants.len() + 1
    );
    for variant in group.variants.iter().take(VARIANTS_SHOWN) {
        let mut names: Vec<&str> = variant
            .names
            .iter()
            .zip(&variant.instances)
            .map(|(name, id)| {
                if name.is_empty() {
                    id.as_str()
                } else {
                    name.as_str()
                }
            })
            .collect();
        let more = names.len().saturating_sub(4);
        names.truncate(4);
        let more = if more > 0 {
            format!(" … (+{more})")
        } else {
            String::new()
        };
        let _ = writeln!(stdout, "   ~ {}{more}:", names.join(", "));
        let changes = line_diff(&group.output, &variant.output);
        for change in changes.iter().take(DIFF_LINES_SHOWN) {
            let _ = writeln!(stdout, "     {}", change.display());
        }
        if changes.len() > DIFF_LINES_SHOWN {
            let _ = writeln!(
                stdout,
                "     … ({} more changed lines)",
                changes.len() - DIFF_LINES_SHOWN
            );
        }
    }
    if group.variants.len() > VARIANTS_SHOWN {
        let _ = writeln!(
            stdout,
            "   … ({} more outputs of this shape)",
            group.variants.len() - VARIANTS_SHOWN
        );
    }
}
