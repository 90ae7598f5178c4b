//! `bosun run`: Run Command across a fleet from the terminal, through the same pipeline as the
//! console (services::runs). It resolves the targets and shows the blast radius first (count,
//! environments, teams, offline targets, root/SYSTEM, where the output goes), asks for
//! confirmation (typing the count when production or many instances are hit), sends the
//! command, then prints each instance's result as it finishes and a summary. Exit status 0
//! only when every invocation succeeded.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use serde_json::json;
use tokio::sync::mpsc;

use crate::aws::run_targets;
use crate::cli::{GlobalArgs, RunArgs};
use crate::model::doctor::DOCTOR_AT_MOST;
use crate::model::run::{
    CONFIRM_BY_COUNT_ABOVE, InvocationOutput, InvocationView, RunGroup, RunRequest, RunTarget,
    default_comment, needs_typed_count,
};
use crate::model::run_groups::{ResultGroup, RunResult, group_exact, members_line};
use crate::services::runs::{self, RunCommand, RunEvent, RunOptions};
use crate::services::sources::{Source, SourceFactory, Sources};

/// bosun itself failed (not a remote command).
const FAILURE: i32 = 255;

pub async fn run(global: &GlobalArgs, args: &RunArgs) -> i32 {
    if global.read_only {
        eprintln!("bosun run: refused by --read-only (Run Command changes instances)");
        return 2;
    }
    if args.instance.is_empty() && args.tag.is_empty() {
        eprintln!("bosun run: choose targets with --instance ID or --tag KEY=VALUE");
        return 2;
    }
    let config = match super::regional_config(global, "run").await {
        Ok(config) => config,
        Err(code) => return code,
    };
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let targets = match run_targets::resolve(&ssm, &ec2, &args.instance, &args.tag).await {
        Ok(targets) if targets.is_empty() => {
            eprintln!("bosun run: no managed instance matches those targets in {region}");
            return 2;
        }
        Ok(targets) => targets,
        Err(error) => {
            eprintln!("bosun run: {error}");
            return FAILURE;
        }
    };
    let request = match request_of(args, &region, targets) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("bosun run: {error}");
            return 2;
        }
    };
    for line in request.blast_radius() {
        eprintln!("{line}");
    }
    // The configuration may lower or raise the count above which it must be typed.
    let above = super::load_config(global)
        .map(|c| c.run_confirm_above)
        .unwrap_or(CONFIRM_BY_COUNT_ABOVE);
    let targets = request.targets();
    if !args.yes && !confirm(&targets, above) {
        eprintln!("bosun run: not run");
        return 2;
    }
    let code = watch(request, one_source(config.clone()), args.json).await;
    code.finish(&config).await
}

/// The request the arguments describe, checked as the console's form checks it.
fn request_of(args: &RunArgs, region: &str, targets: Vec<RunTarget>) -> Result<RunRequest, String> {
    let script = args.command.join(" ");
    let mut parameters = Vec::new();
    for parameter in &args.parameters {
        // One --parameter is one name: a `;` in its value stays in the value.
        let (name, values) = parameter
            .split_once('=')
            .filter(|(name, _)| !name.trim().is_empty())
            .ok_or_else(|| format!("--parameter {parameter:?}: write NAME=VALUE"))?;
        let values = values.split(',').map(|v| v.trim().to_owned()).collect();
        parameters.push((name.trim().to_owned(), values));
    }
    if !parameters.is_empty() && args.document.is_none() {
        return Err("--parameter is for another document: name it with --document".to_owned());
    }
    if !parameters.is_empty() && !script.trim().is_empty() {
        return Err(
            "a document with --parameter takes no command after `--` (put it in a parameter)"
                .to_owned(),
        );
    }
    crate::model::run::check_pace(args.timeout, &args.max_concurrency, &args.max_errors)?;
    if crate::model::run::lacks_script(&script, args.document.as_deref(), &parameters) {
        return Err("give the command after `--` (or --document and its --parameter)".to_owned());
    }
    let cloudwatch = match (&args.cloudwatch_log_group, args.cloudwatch_output) {
        (Some(group), _) => Some(Some(group.clone())),
        (None, true) => Some(None),
        (None, false) => None,
    };
    Ok(RunRequest {
        groups: vec![RunGroup {
            profile: String::new(),
            region: region.to_owned(),
            targets,
        }],
        comment: args
            .comment
            .clone()
            .unwrap_or_else(|| default_comment(&script, args.document.as_deref())),
        script,
        document: args.document.clone(),
        timeout_seconds: args.timeout,
        max_concurrency: args.max_concurrency.clone(),
        max_errors: args.max_errors.clone(),
        output_s3: args.output_s3_bucket_name.clone().map(|bucket| {
            let prefix = args.output_s3_key_prefix.clone().unwrap_or_default();
            (bucket, prefix)
        }),
        cloudwatch,
        parameters,
    })
}

/// The run service's sources: this command's one configuration, whatever it is asked for.
fn one_source(config: aws_config::SdkConfig) -> SourceFactory {
    Arc::new(move |_profiles, _regions| {
        let config = config.clone();
        Box::pin(async move {
            Sources {
                sources: vec![Source {
                    profile: String::new(),
                    config,
                }],
                label: String::new(),
            }
        })
    })
}

/// Asks on the terminal: typing the count for production or more than ten targets, y/N
/// otherwise. Without a terminal the answer is no (`--yes` skips the question).
fn confirm(targets: &[RunTarget], above: usize) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!("bosun run: stdin is not a terminal; pass --yes to run without confirmation");
        return false;
    }
    let strict = needs_typed_count(targets, above);
    let noun = if targets.len() == 1 {
        "instance"
    } else {
        "instances"
    };
    if strict {
        eprint!(
            "Type {} to run on {} {noun}: ",
            targets.len(),
            targets.len()
        );
    } else {
        eprint!("Run it? [y/N] ");
    }
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    let answer = answer.trim();
    if strict {
        let right = answer == targets.len().to_string();
        if !right {
            eprintln!(
                "bosun run: {}, not {}: nothing has run",
                if answer.is_empty() {
                    "nothing was typed".to_owned()
                } else {
                    format!("you typed {answer}")
                },
                targets.len()
            );
        }
        right
    } else {
        matches!(answer, "y" | "Y" | "yes")
    }
}

/// Sends the command through the run service and prints each instance as it settles, then
/// the summary. Ctrl-C cancels (CancelCommand) and keeps watching; a second Ctrl-C leaves.
async fn watch(request: RunRequest, connect: SourceFactory, json_output: bool) -> Watched {
    let (events_tx, mut events) = mpsc::channel(64);
    let options = RunOptions { full_output: true };
    let run = runs::spawn(request, connect, options, 1, events_tx);
    let mut command_ids = Vec::new();
    let mut summary: BTreeMap<String, usize> = BTreeMap::new();
    let mut all_ok = true;
    let mut cancelled = false;
    let mut undelivered = Vec::new();
    let mut results: Vec<RunResult> = Vec::new();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = &mut ctrl_c => {
                if cancelled {
                    run.abort();
                    return Watched::status(130);
                }
                cancelled = true;
                eprintln!("\nbosun run: cancelling (Ctrl-C again to stop watching)");
                run.send_later(RunCommand::Cancel);
                ctrl_c.set(tokio::signal::ctrl_c());
                continue;
            }
        };
        let Some(event) = event else {
            eprintln!("bosun run: the run service stopped");
            return Watched::status(FAILURE);
        };
        match event.value {
            RunEvent::Sent { command_ids: ids } => {
                if !json_output {
                    eprintln!("Sent as {} (Ctrl-C cancels)\n", ids.join(", "));
                }
                command_ids = ids;
            }
            RunEvent::Settled {
                invocation,
                output,
                full,
            } => {
                *summary
                    .entry(invocation.summary_status().to_owned())
                    .or_default() += 1;
                all_ok &= invocation.aws_status == "Success";
                if NOT_DELIVERED.contains(&invocation.status_details.as_str()) {
                    undelivered.push(invocation.instance_id.clone());
                }
                let (output, truncated) = report(&invocation, output, full, json_output);
                results.push(RunResult {
                    instance_id: invocation.instance_id.clone(),
                    name: invocation.name.clone(),
                    status: invocation.summary_status().to_owned(),
                    exit_code: shown_exit_code(&invocation),
                    output,
                    truncated,
                });
            }
            RunEvent::Failed(error) | RunEvent::PollFailed(error) => {
                eprintln!("bosun run: {error}");
                run.abort();
                return Watched::status(FAILURE);
            }
            RunEvent::Done => break,
            RunEvent::Progress { .. } | RunEvent::Output(_) => {}
        }
    }
    let total: usize = summary.values().sum();
    print_groups(&group_exact(&results), json_output);
    if json_output {
        println!(
            "{}",
            json!({"summary": summary, "total": total, "command_ids": command_ids})
        );
    } else {
        let parts: Vec<String> = summary
            .iter()
            .map(|(status, n)| format!("{n} {status}"))
            .collect();
        let noun = if total == 1 { "instance" } else { "instances" };
        println!("\n{total} {noun}: {}", parts.join(", "));
    }
    Watched {
        code: if all_ok { 0 } else { 1 },
        undelivered,
    }
}

/// The StatusDetails of an invocation that never reached its instance.
const NOT_DELIVERED: [&str; 3] = ["Undeliverable", "DeliveryTimedOut", "Terminated"];

/// How a watched run ended: its exit status and the instances it never reached.
struct Watched {
    code: i32,
    undelivered: Vec<String>,
}

impl Watched {
    fn status(code: i32) -> Watched {
        Watched {
            code,
            undelivered: Vec::new(),
        }
    }

    /// For the instances the command never reached, the doctor's cause and the command for
    /// its full report, on stderr (stdout keeps to the results, and `--json` to its objects).
    async fn finish(self, config: &aws_config::SdkConfig) -> i32 {
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        for instance_id in self.undelivered.iter().take(DOCTOR_AT_MOST) {
            let report = crate::services::doctor::examine(
                &crate::services::sources::SessionClients::new(config),
                instance_id,
                &region,
            )
            .await;
            eprintln!(
                "bosun run: {instance_id} was not reached: {}\n  fix:   {}\n  full report: bosun doctor {instance_id} --region {region}",
                report.cause, report.fix
            );
        }
        if self.undelivered.len() > DOCTOR_AT_MOST {
            eprintln!(
                "bosun run: {} more not reached: `bosun doctor ID --region {region}` on each says why",
                self.undelivered.len() - DOCTOR_AT_MOST
            );
        }
        self.code
    }
}

/// Prints one settled invocation: the output ListCommandInvocations showed, or, when that was
/// cut at 2,500 characters, the whole stdout and stderr (as much as AWS keeps: 24,000 and
/// 8,000 characters; beyond that only S3 or CloudWatch has the rest).
fn report(
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
    let exit_code = shown_exit_code(invocation);
    let (id, name) = (&invocation.instance_id, &invocation.name);
    if json_output {
        println!(
            "{}",
            json!({
                "instance_id": id,
                "name": name,
                "command_id": invocation.command_id,
                "status": invocation.aws_status,
                "status_details": invocation.status_details,
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
    let shown = if invocation.status_details == invocation.aws_status {
        invocation.aws_status.clone()
    } else {
        format!("{} ({})", invocation.aws_status, invocation.status_details)
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

/// AWS's -1 (no code) is shown for what did not succeed, as the console's grid does not.
fn shown_exit_code(invocation: &InvocationView) -> Option<i32> {
    invocation
        .response_code
        .filter(|&code| code != -1 || invocation.aws_status != "Success")
}

/// The fleet's answer at a glance, after every instance's own: one group per distinct result
/// (status, exit code, output), biggest first, each output once. Said when there is more than
/// one instance; `--json` gives one `{"type":"group",…}` object per group.
fn print_groups(groups: &[ResultGroup], json_output: bool) {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::run::blast_radius;

    fn target(name: &str, environment: &str, online: bool) -> RunTarget {
        RunTarget {
            id: format!("i-0{name}"),
            name: name.to_owned(),
            environment: environment.to_owned(),
            team: "payments".to_owned(),
            windows: false,
            online,
        }
    }

    #[test]
    fn the_blast_radius_names_environments_teams_and_offline_targets() {
        let targets = vec![
            target("a", "production", true),
            target("b", "staging", false),
            target("c", "", true),
        ];
        let text = blast_radius(&targets, "us-east-1", "systemctl restart app").join("\n");
        assert!(
            text.starts_with("Runs as root on 3 instances in us-east-1:"),
            "{text}"
        );
        assert!(
            text.contains("environments: (untagged) 1, production 1, staging 1"),
            "{text}"
        );
        assert!(text.contains("teams: payments 3"));
        assert!(text.contains("offline, will be Undeliverable: 1 (b i-0b)"));
        assert!(text.contains("command: systemctl restart app"));
        assert!(needs_typed_count(&targets, 10), "production is among them");
        assert!(!needs_typed_count(&targets[1..], 10));
        assert!(
            needs_typed_count(&targets[1..], 1),
            "more than the configured count"
        );
    }

    /// The request's blast radius adds how fast it spreads, when it stops, how long each
    /// may run, and a warning when Linux and Windows would run the same text.
    #[test]
    fn the_blast_radius_says_the_pace_and_warns_of_mixed_platforms() {
        let mut windows = target("w", "production", true);
        windows.windows = true;
        let mut request = RunRequest {
            groups: vec![RunGroup {
                profile: String::new(),
                region: "us-east-1".to_owned(),
                targets: vec![target("a", "production", true), windows],
            }],
            script: "uptime".to_owned(),
            document: None,
            timeout_seconds: 600,
            max_concurrency: "10%".to_owned(),
            max_errors: "0".to_owned(),
            comment: String::new(),
            output_s3: None,
            cloudwatch: None,
            parameters: Vec::new(),
        };
        let text = request.blast_radius().join("\n");
        assert!(
            text.contains(
                "at most 10% at once; none started after the first error; each runs at most 10m"
            ),
            "{text}"
        );
        assert!(
            text.contains("the same text runs in sh on 1 Linux and in PowerShell on 1 Windows"),
            "{text}"
        );
        request.document = Some("AWS-RunShellScript".to_owned());
        request.max_errors = "2".to_owned();
        request.timeout_seconds = 90;
        let text = request.blast_radius().join("\n");
        assert!(text.contains("none started once more than 2 fail; each runs at most 90s"));
        assert!(
            text.contains(
                "AWS-RunShellScript runs on one of them only; the other 1 will be InvalidPlatform"
            ),
            "{text}"
        );
        // Another document's parameters: no script timeout, no sh/PowerShell warning.
        request.document = Some("AWS-UpdateSSMAgent".to_owned());
        request.script.clear();
        let text = request.blast_radius().join("\n");
        assert!(
            text.ends_with("at most 10% at once; none started once more than 2 fail"),
            "{text}"
        );
    }

    #[test]
    fn comments_fit_the_api_limit() {
        assert_eq!(default_comment("uptime", None), "bosun: uptime");
        assert_eq!(
            default_comment("", Some("AWS-UpdateSSMAgent")),
            "bosun: AWS-UpdateSSMAgent"
        );
        assert!(default_comment(&"x".repeat(300), None).chars().count() <= 100);
    }
}
