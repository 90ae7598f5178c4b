//! The recent commands of the profiles and regions in use (ListCommands), for the console's
//! history view and its "watch again"; and a past command's results, to compare two runs.

use super::{PLUGIN_OUTPUT_KEPT, SourceFactory, view_of};
use crate::aws::sdk::short_error;
use crate::model::run::HistoryEntry;
use crate::model::run_groups::RunResult;
use crate::model::status::InvocationStatus;

/// Recent commands (ListCommands, 20 per profile and region), newest first.
pub async fn load_history(
    connect: SourceFactory,
    profiles: Vec<String>,
    regions: Vec<String>,
) -> History {
    let sources = connect(profiles, regions).await;
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for source in &sources.sources {
        let region = source
            .config
            .region()
            .map(ToString::to_string)
            .unwrap_or_default();
        let ssm = aws_sdk_ssm::Client::new(&source.config);
        match ssm.list_commands().max_results(20).send().await {
            Ok(output) => {
                for command in output.commands() {
                    let parameter = |name: &str| {
                        command
                            .parameters()
                            .and_then(|p| p.get(name))
                            .map(|values| values.join("\n"))
                            .unwrap_or_default()
                    };
                    entries.push(HistoryEntry {
                        command_id: command.command_id().unwrap_or_default().to_owned(),
                        profile: source.profile.clone(),
                        region: region.clone(),
                        document: command.document_name().unwrap_or_default().to_owned(),
                        script: parameter("commands"),
                        comment: command.comment().unwrap_or_default().to_owned(),
                        status: command
                            .status()
                            .map(|s| InvocationStatus::parse(s.as_str()))
                            .unwrap_or_default(),
                        requested_at: command.requested_date_time().map(|t| t.secs()),
                        target_count: command.target_count(),
                        timeout_seconds: parameter("executionTimeout").parse().unwrap_or(3600),
                        max_concurrency: command.max_concurrency().unwrap_or("50").to_owned(),
                        max_errors: command.max_errors().unwrap_or("0").to_owned(),
                    });
                }
            }
            Err(error) => errors.push(format!(
                "{}/{region}: ListCommands failed: {}",
                source.profile,
                short_error(&error)
            )),
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.requested_at));
    History { entries, errors }
}

/// Recent commands, newest first, and the sources that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub entries: Vec<HistoryEntry>,
    pub errors: Vec<String>,
}

/// The results of a command from the history: each invocation with its output as the listing
/// gives it (cut at 2,500 characters, and then marked so), for comparing two runs.
pub async fn results_of(
    connect: SourceFactory,
    entry: &HistoryEntry,
) -> Result<Vec<RunResult>, String> {
    let sources = connect(vec![entry.profile.clone()], vec![entry.region.clone()]).await;
    let source = sources
        .sources
        .first()
        .ok_or_else(|| format!("no credentials for {}/{}", entry.profile, entry.region))?;
    let ssm = aws_sdk_ssm::Client::new(&source.config);
    let mut pages = ssm
        .list_command_invocations()
        .command_id(&entry.command_id)
        .details(true)
        .max_results(50)
        .into_paginator()
        .send();
    let mut results = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| {
            format!(
                "{}/{}: ListCommandInvocations failed: {}",
                entry.profile,
                entry.region,
                short_error(&error)
            )
        })?;
        for invocation in page.command_invocations() {
            let name = invocation.instance_name().unwrap_or_default();
            let view = view_of(&entry.command_id, invocation, name);
            let output = invocation
                .command_plugins()
                .first()
                .and_then(|p| p.output())
                .unwrap_or_default()
                .to_owned();
            let truncated = output.chars().count() >= PLUGIN_OUTPUT_KEPT;
            results.push(RunResult::settled(&view, output, truncated));
        }
    }
    Ok(results)
}
