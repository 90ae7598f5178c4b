//! `bosun run`: Run Command across a fleet from the terminal. It resolves the targets and shows
//! the blast radius first (count, environments, teams, offline targets, root/SYSTEM), asks for
//! confirmation (typing the count when production or many instances are hit), sends the
//! command in batches of at most 50 ids per platform, then prints each instance's result as it
//! finishes and a summary. Exit status 0 only when every invocation succeeded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{CommandInvocation, InstanceInformationStringFilter};
use serde_json::json;

use super::sdk_config;
use crate::cli::{GlobalArgs, RunArgs};
use crate::model::run::{CONFIRM_BY_COUNT_ABOVE, RunTarget, blast_radius, needs_typed_count};

/// bosun itself failed (not a remote command).
const FAILURE: i32 = 255;
/// SendCommand takes at most 50 instance ids.
const BATCH: usize = 50;
const POLL_START: Duration = Duration::from_millis(500);
const POLL_MAX: Duration = Duration::from_secs(8);

type Target = RunTarget;

pub async fn run(global: &GlobalArgs, args: &RunArgs) -> i32 {
    if global.read_only {
        eprintln!("bosun run: refused by --read-only (Run Command changes instances)");
        return 2;
    }
    if args.instance.is_empty() && args.tag.is_empty() {
        eprintln!("bosun run: choose targets with --instance ID or --tag KEY=VALUE");
        return 2;
    }
    let config = sdk_config(global).await;
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let targets = match resolve_targets(&ssm, &ec2, args).await {
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
    let script = args.command.join(" ");
    for line in blast_radius(&targets, &region, &script) {
        eprintln!("{line}");
    }
    // The configuration may lower or raise the count above which it must be typed.
    let above = super::load_config(global)
        .map(|c| c.run_confirm_above)
        .unwrap_or(CONFIRM_BY_COUNT_ABOVE);
    if !args.yes && !confirm(&targets, above) {
        eprintln!("bosun run: not run");
        return 2;
    }

    let mut command_ids = Vec::new();
    let (windows, linux): (Vec<&Target>, Vec<&Target>) = targets.iter().partition(|t| t.windows);
    for (group, default_document) in [
        (linux, "AWS-RunShellScript"),
        (windows, "AWS-RunPowerShellScript"),
    ] {
        let document = args
            .document
            .clone()
            .unwrap_or_else(|| default_document.to_owned());
        for batch in group.chunks(BATCH) {
            let request = ssm
                .send_command()
                .document_name(&document)
                .set_instance_ids(Some(batch.iter().map(|t| t.id.clone()).collect()))
                .parameters("commands", vec![script.clone()])
                .parameters("executionTimeout", vec![args.timeout.to_string()])
                .max_concurrency(&args.max_concurrency)
                .max_errors(&args.max_errors)
                .comment(
                    args.comment
                        .clone()
                        .unwrap_or_else(|| truncate_comment(&script)),
                );
            match request.send().await {
                Ok(sent) => {
                    if let Some(id) = sent.command().and_then(|c| c.command_id()) {
                        command_ids.push(id.to_owned());
                    }
                }
                Err(error) => {
                    eprintln!(
                        "bosun run: SendCommand failed: {}",
                        aws_sdk_ssm::error::DisplayErrorContext(error)
                    );
                    cancel_all(&ssm, &command_ids).await;
                    return FAILURE;
                }
            }
        }
    }
    if !args.json {
        eprintln!("Sent as {} (Ctrl-C cancels)\n", command_ids.join(", "));
    }
    watch(&ssm, &command_ids, &targets, args.json).await
}

fn truncate_comment(script: &str) -> String {
    let mut comment: String = format!("bosun run: {script}").chars().take(100).collect();
    if comment.len() < script.len() + 11 {
        comment = comment.chars().take(99).collect::<String>() + "…";
    }
    comment
}

/// Targets from EC2 (names, tags, platform) joined with SSM (managed, ping status).
async fn resolve_targets(
    ssm: &aws_sdk_ssm::Client,
    ec2: &aws_sdk_ec2::Client,
    args: &RunArgs,
) -> Result<Vec<Target>, String> {
    let mut ping: HashMap<String, (bool, bool)> = HashMap::new();
    let mut filters: Vec<InstanceInformationStringFilter> = Vec::new();
    for (key, value) in &args.tag {
        filters.push(
            InstanceInformationStringFilter::builder()
                .key(format!("tag:{key}"))
                .values(value)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    // The InstanceIds filter takes at most 50 values per call.
    let id_groups: Vec<Vec<String>> = if args.instance.is_empty() {
        vec![Vec::new()]
    } else {
        args.instance
            .chunks(BATCH)
            .map(<[String]>::to_vec)
            .collect()
    };
    for ids in id_groups {
        let mut request = ssm
            .describe_instance_information()
            .set_filters(Some(filters.clone()))
            .max_results(50);
        if !ids.is_empty() {
            request = request.filters(
                InstanceInformationStringFilter::builder()
                    .key("InstanceIds")
                    .set_values(Some(ids))
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        let mut pages = request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                format!(
                    "DescribeInstanceInformation failed: {}",
                    aws_sdk_ssm::error::DisplayErrorContext(e)
                )
            })?;
            for info in page.instance_information_list() {
                if let Some(id) = info.instance_id() {
                    let online = info.ping_status().map(|p| p.as_str()) == Some("Online");
                    let windows = info.platform_type().map(|p| p.as_str()) == Some("Windows");
                    ping.insert(id.to_owned(), (online, windows));
                }
            }
        }
    }
    let unknown: Vec<&String> = args
        .instance
        .iter()
        .filter(|id| !ping.contains_key(*id))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "not managed by SSM in this region: {}",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // Names and tags from EC2, where there are any (hybrid mi- nodes have none).
    let mut tags: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let ec2_ids: Vec<String> = ping
        .keys()
        .filter(|id| id.starts_with("i-"))
        .cloned()
        .collect();
    for ids in ec2_ids.chunks(200) {
        let mut pages = ec2
            .describe_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                format!(
                    "DescribeInstances failed: {}",
                    aws_sdk_ec2::error::DisplayErrorContext(e)
                )
            })?;
            for instance in page.reservations().iter().flat_map(|r| r.instances()) {
                let Some(id) = instance.instance_id() else {
                    continue;
                };
                let map = instance
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                    .collect();
                tags.insert(id.to_owned(), map);
            }
        }
    }
    let mut targets: Vec<Target> = ping
        .into_iter()
        .map(|(id, (online, windows))| {
            let tags = tags.remove(&id).unwrap_or_default();
            let tag = |key: &str| tags.get(key).cloned().unwrap_or_default();
            Target {
                name: tag("Name"),
                environment: tag("Environment"),
                team: tag("Team"),
                id,
                windows,
                online,
            }
        })
        .collect();
    targets.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Ok(targets)
}

/// Asks on the terminal: typing the count for production or more than ten targets, y/N
/// otherwise. Without a terminal the answer is no (`--yes` skips the question).
fn confirm(targets: &[Target], above: usize) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!("bosun run: stdin is not a terminal; pass --yes to run without confirmation");
        return false;
    }
    let strict = needs_typed_count(targets, above);
    if strict {
        eprint!(
            "Type {} to run on {} instances: ",
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
        answer == targets.len().to_string()
    } else {
        matches!(answer, "y" | "Y" | "yes")
    }
}

async fn cancel_all(ssm: &aws_sdk_ssm::Client, command_ids: &[String]) {
    for id in command_ids {
        let _ = ssm.cancel_command().command_id(id).send().await;
    }
}

/// Polls the invocations (one paginated ListCommandInvocations per command and round, backing
/// off when throttled) and prints each instance as it finishes.
async fn watch(
    ssm: &aws_sdk_ssm::Client,
    command_ids: &[String],
    targets: &[Target],
    json_output: bool,
) -> i32 {
    let names: HashMap<&str, &str> = targets
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut summary: BTreeMap<String, usize> = BTreeMap::new();
    let mut all_ok = true;
    let mut delay = POLL_START;
    let mut cancelled = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let mut pending = false;
        let mut throttled = false;
        for command_id in command_ids {
            let mut pages = ssm
                .list_command_invocations()
                .command_id(command_id)
                .details(true)
                .max_results(50)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(page) => page,
                    Err(error) if error.code() == Some("ThrottlingException") => {
                        throttled = true;
                        pending = true;
                        break;
                    }
                    Err(error) => {
                        eprintln!(
                            "bosun run: ListCommandInvocations failed: {}",
                            aws_sdk_ssm::error::DisplayErrorContext(error)
                        );
                        return FAILURE;
                    }
                };
                for invocation in page.command_invocations() {
                    let status = invocation.status().map(|s| s.as_str()).unwrap_or("Pending");
                    let id = invocation.instance_id().unwrap_or_default().to_owned();
                    if matches!(status, "Pending" | "InProgress" | "Delayed" | "Cancelling") {
                        pending = true;
                        continue;
                    }
                    if !reported.insert(format!("{command_id}/{id}")) {
                        continue;
                    }
                    let details = invocation.status_details().unwrap_or(status).to_owned();
                    let shown = if details == status {
                        status.to_owned()
                    } else {
                        details.clone()
                    };
                    *summary.entry(shown).or_default() += 1;
                    all_ok &= status == "Success";
                    let name = names.get(id.as_str()).copied().unwrap_or_default();
                    report(ssm, command_id, invocation, name, json_output).await;
                }
            }
        }
        if !pending && reported.len() >= targets.len() {
            break;
        }
        delay = if throttled {
            (delay * 2).min(POLL_MAX)
        } else {
            POLL_START
        };
        let interrupted = tokio::select! {
            () = tokio::time::sleep(delay) => false,
            _ = &mut ctrl_c => true,
        };
        if interrupted {
            if cancelled {
                return 130;
            }
            cancelled = true;
            eprintln!("\nbosun run: cancelling (Ctrl-C again to stop watching)");
            cancel_all(ssm, command_ids).await;
            ctrl_c.set(tokio::signal::ctrl_c());
        }
    }
    let total: usize = summary.values().sum();
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
        println!("\n{total} instances: {}", parts.join(", "));
    }
    if all_ok { 0 } else { 1 }
}

/// Prints one finished invocation. The plugin output in the list is cut at 2,500 characters;
/// when it was, the full stdout and stderr come from GetCommandInvocation (AWS keeps 24,000 and
/// 8,000 characters of them; beyond that only S3 or CloudWatch has the rest).
async fn report(
    ssm: &aws_sdk_ssm::Client,
    command_id: &str,
    invocation: &CommandInvocation,
    name: &str,
    json_output: bool,
) {
    let id = invocation.instance_id().unwrap_or_default();
    let status = invocation.status().map(|s| s.as_str()).unwrap_or_default();
    let details = invocation.status_details().unwrap_or(status);
    let plugin = invocation.command_plugins().first();
    let exit_code = plugin
        .map(|p| p.response_code())
        .filter(|code| *code != -1 || status != "Success");
    let seconds = plugin.and_then(|p| {
        let start = p.response_start_date_time()?.as_secs_f64();
        let end = p.response_finish_date_time()?.as_secs_f64();
        Some(end - start)
    });
    let mut output = plugin
        .and_then(|p| p.output())
        .unwrap_or_default()
        .to_owned();
    let mut note = None;
    if output.chars().count() >= 2_500
        && let Ok(full) = ssm
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(id)
            .send()
            .await
    {
        let stdout = full.standard_output_content().unwrap_or_default();
        let stderr = full.standard_error_content().unwrap_or_default();
        output = if stderr.is_empty() {
            stdout.to_owned()
        } else {
            format!("{stdout}\n--- stderr ---\n{stderr}")
        };
        if stdout.chars().count() >= 24_000 || stderr.chars().count() >= 8_000 {
            let url = full.standard_output_url().filter(|u| !u.is_empty());
            note = Some(match url {
                    Some(url) => format!("output truncated by AWS at 24,000/8,000 characters; full output: {url}"),
                    None => "output truncated by AWS at 24,000/8,000 characters (set an S3 bucket or CloudWatch output for all of it)".to_owned(),
                });
        }
    }
    if json_output {
        println!(
            "{}",
            json!({
                "instance_id": id,
                "name": name,
                "command_id": command_id,
                "status": status,
                "status_details": details,
                "exit_code": exit_code,
                "seconds": seconds,
                "output": output,
                "truncated": note.is_some(),
            })
        );
        return;
    }
    let title = if name.is_empty() {
        id.to_owned()
    } else {
        format!("{name} ({id})")
    };
    let shown = if details == status {
        status.to_owned()
    } else {
        format!("{status} ({details})")
    };
    let code = exit_code.map(|c| format!(" exit {c}")).unwrap_or_default();
    let time = seconds.map(|s| format!(" {s:.1}s")).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "== {title}: {shown}{code}{time}");
    for line in output.lines() {
        let _ = writeln!(stdout, "   {line}");
    }
    if let Some(note) = note {
        let _ = writeln!(stdout, "   [{note}]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, environment: &str, online: bool) -> Target {
        Target {
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

    #[test]
    fn comments_fit_the_api_limit() {
        assert_eq!(truncate_comment("uptime"), "bosun run: uptime");
        assert!(truncate_comment(&"x".repeat(300)).chars().count() <= 100);
    }
}
