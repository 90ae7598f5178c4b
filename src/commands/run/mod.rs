//! `bosun run`: Run Command across a fleet from the terminal, through the same pipeline as the
//! console (services::runs). It resolves the targets and shows the blast radius first (count,
//! environments, teams, offline targets, root/SYSTEM, where the output goes), asks for
//! confirmation (typing the count when production or many instances are hit), sends the
//! command, then prints each instance's result as it finishes and a summary. Exit status 0
//! only when every invocation succeeded.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use serde_json::json;
use tokio::sync::mpsc;

use crate::aws::run_targets::{self, RunTargetError};
use crate::cli::{GlobalArgs, RunArgs};
use crate::model::canary::{canary_count, pick_canary};
use crate::model::doctor::DOCTOR_AT_MOST;
use crate::model::run::{
    CONFIRM_BY_COUNT_ABOVE, RunGroup, RunRequest, RunTarget, default_comment, needs_typed_count,
};
use crate::model::run_groups::{GroupBy, RunResult, group_results};
use crate::model::run_shape::identities_of;
use crate::model::status::InvocationStatus;
use crate::services::runs::{self, RunCommand, RunEvent, RunOptions};
use crate::services::sources::{Source, SourceFactory, Sources};

mod org;
mod print;

use print::{print_groups, report};

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
    // What can be checked without AWS is checked before any call.
    let checked =
        crate::model::run::check_pace(args.timeout, &args.max_concurrency, &args.max_errors)
            .and_then(|()| {
                canary_count(args.canary.as_deref().unwrap_or(""), usize::MAX).map(|_| ())
            });
    if let Err(error) = checked {
        eprintln!("bosun run: {error}");
        return 2;
    }
    if super::org::wanted(global) {
        return org::run(global, args).await;
    }
    let config = match super::regional_config(global, "run").await {
        Ok(config) => config,
        Err(code) => return code,
    };
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    // A Name, a Kubernetes node's name or k8s:CLUSTER/NODE becomes its instance id first.
    let mut instances = Vec::with_capacity(args.instance.len());
    for wanted in &args.instance {
        if crate::aws::target::is_instance_id(wanted) {
            instances.push(wanted.clone());
            continue;
        }
        match crate::aws::target::resolve(&ssm, &ec2, wanted).await {
            Ok(id) => instances.push(id),
            Err(error) => {
                eprintln!("bosun run: {error}");
                return 2;
            }
        }
    }
    let targets = match run_targets::resolve(&ssm, &ec2, &instances, &args.tag).await {
        // Nothing to run on is how it was asked, whether an id or a tag found nothing.
        Ok(targets) if targets.is_empty() => {
            eprintln!("bosun run: no managed instance matches those targets in {region}");
            return 2;
        }
        Ok(targets) => targets,
        Err(error @ RunTargetError::NotManaged(_)) => {
            eprintln!("bosun run: {error}");
            return 2;
        }
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
    go(global, args, request, one_source(config.clone()), config).await
}

/// Shows the blast radius, asks, runs and watches `request` through `connect`; `config` is
/// where the doctor looks at instances the command did not reach.
async fn go(
    global: &GlobalArgs,
    args: &RunArgs,
    request: RunRequest,
    connect: SourceFactory,
    config: aws_config::SdkConfig,
) -> i32 {
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
    let show = Show {
        json: args.json,
        group_by: GroupBy::parse(&args.group_by).unwrap_or_default(),
        identities: request
            .targets()
            .iter()
            .map(|t| (t.id.clone(), identities_of(&t.id, &t.name, &t.private_ip)))
            .collect(),
        canary: request.canary.len(),
        go_on_after_canary: args.yes,
    };
    let code = watch(request, connect, show).await;
    code.finish(&config).await
}

/// How `bosun run` shows a run.
struct Show {
    json: bool,
    group_by: GroupBy,
    /// What each instance calls itself, for grouping by shape.
    identities: HashMap<String, Vec<String>>,
    /// Targets that run first; 0 without a canary.
    canary: usize,
    /// After a canary that passed, go on without asking (`--yes`).
    go_on_after_canary: bool,
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
    if crate::model::run::lacks_script(&script, args.document.as_deref(), &parameters) {
        return Err("give the command after `--` (or --document and its --parameter)".to_owned());
    }
    let cloudwatch = match (&args.cloudwatch_log_group, args.cloudwatch_output) {
        (Some(group), _) => Some(Some(group.clone())),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let total = targets.len();
    let mut request = RunRequest {
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
        canary: Vec::new(),
    };
    if let Some(count) = canary_count(args.canary.as_deref().unwrap_or(""), total)? {
        request.canary = pick_canary(&request, count);
    }
    Ok(request)
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
/// the groups and the summary. Ctrl-C cancels (CancelCommand) and keeps watching; a second
/// Ctrl-C leaves. With a canary: when it has finished, a failure stops there (its groups, then
/// status 1); a success goes on to the rest, after asking on a terminal unless `--yes`.
async fn watch(request: RunRequest, connect: SourceFactory, show: Show) -> Watched {
    let (events_tx, mut events) = mpsc::channel(64);
    let options = RunOptions {
        full_output: true,
        continue_after_canary: show.go_on_after_canary,
    };
    let run = runs::spawn(request, connect, options, 1, events_tx);
    let mut command_ids = Vec::new();
    let mut summary: BTreeMap<String, usize> = BTreeMap::new();
    let mut all_ok = true;
    let mut cancelled = false;
    let mut undelivered = Vec::new();
    let mut results: Vec<RunResult> = Vec::new();
    let mut canary_failed = false;
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
                if !show.json {
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
                    .entry(invocation.summary_status().to_string())
                    .or_default() += 1;
                all_ok &= invocation.aws_status == InvocationStatus::Success;
                if invocation
                    .status_details
                    .as_ref()
                    .is_some_and(InvocationStatus::never_delivered)
                {
                    undelivered.push(invocation.instance_id.clone());
                }
                let (output, truncated) = report(&invocation, output, full, show.json);
                let mut result = RunResult::settled(&invocation, output, truncated);
                result.identities = show
                    .identities
                    .get(&invocation.instance_id)
                    .cloned()
                    .unwrap_or_default();
                results.push(result);
            }
            RunEvent::CanaryDone { passed, remaining } => {
                if show.json {
                    println!(
                        "{}",
                        json!({"type": "canary", "passed": passed, "instances": show.canary, "remaining": remaining})
                    );
                }
                if !passed {
                    canary_failed = true;
                    eprintln!(
                        "\nbosun run: the canary did not succeed on every instance: the remaining {remaining} were not run"
                    );
                } else if show.go_on_after_canary {
                    eprintln!(
                        "\nCanary passed on {}: going on with the remaining {remaining}",
                        show.canary
                    );
                } else if tokio::select! {
                    answer = ask_to_go_on(show.canary, remaining) => answer,
                    _ = &mut ctrl_c => {
                        // The question's blocking read cannot be called off: leave at once,
                        // as an interrupted terminal program does (nothing more was sent).
                        eprintln!("\nbosun run: the remaining {remaining} were not run");
                        std::process::exit(130);
                    }
                } {
                    run.send_later(RunCommand::Continue);
                } else {
                    eprintln!("bosun run: the remaining {remaining} were not run");
                    print_groups(&group_results(&results, show.group_by), show.json);
                    return Watched::status(2);
                }
            }
            RunEvent::Failed(error) => {
                eprintln!("bosun run: {error}");
                run.abort();
                return Watched::status(FAILURE);
            }
            // What was sent goes on at AWS: say so, and where to follow it.
            RunEvent::PollFailed(error) => {
                eprintln!("bosun run: {error}");
                for id in &command_ids {
                    eprintln!(
                        "bosun run: stopped watching; command {id} goes on at AWS \
                         (`aws ssm list-command-invocations --command-id {id} --details`)"
                    );
                }
                run.abort();
                return Watched::status(FAILURE);
            }
            RunEvent::Done => break,
            RunEvent::Progress { .. } | RunEvent::Output(_) => {}
        }
    }
    let total: usize = summary.values().sum();
    print_groups(&group_results(&results, show.group_by), show.json);
    if show.json {
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
        let stage = if canary_failed { " (the canary)" } else { "" };
        println!("\n{total} {noun}{stage}: {}", parts.join(", "));
    }
    Watched {
        code: if all_ok && !canary_failed { 0 } else { 1 },
        undelivered,
    }
}

/// After a canary that passed, on the terminal: go on with the rest? No terminal, no.
async fn ask_to_go_on(canary: usize, remaining: usize) -> bool {
    tokio::task::spawn_blocking(move || {
        if !std::io::stdin().is_terminal() {
            return false;
        }
        eprint!("\nCanary passed on {canary}. Go on with the remaining {remaining}? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).is_ok()
            && matches!(answer.trim(), "y" | "Y" | "yes")
    })
    .await
    .unwrap_or(false)
}

/// The StatusDetails of an invocation that never reached its instance.
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
            ..RunTarget::default()
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
            canary: Vec::new(),
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
