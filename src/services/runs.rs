//! The one Run Command pipeline, for `bosun run` and the console alike: sends a request (per
//! region, per platform's document, in batches of 50 ids, with the document's parameters and
//! the S3 and CloudWatch output settings), then polls its invocations — one paginated
//! ListCommandInvocations with Details per command and round, GetCommandInvocation only for
//! the instance being viewed or, when asked, for an invocation whose output was cut — backing
//! off while AWS throttles, and cancels on request. It reports typed events; each names the
//! generation it was started with, so a replaced watch's late events are dropped.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::CommandInvocation;
use tokio::sync::mpsc;

use super::sources::SourceFactory;
use super::{Handle, Tagged};
use crate::aws::sdk::{Cause, explain, short_error};
use crate::model::run::{HistoryEntry, InvocationOutput, InvocationView, RunRequest, RunTarget};

/// SendCommand takes at most 50 instance ids.
const BATCH: usize = 50;
const POLL_START: Duration = Duration::from_secs(1);
const POLL_MAX: Duration = Duration::from_secs(16);
/// AWS keeps this much of stdout and stderr in GetCommandInvocation.
const STDOUT_KEPT: usize = 24_000;
const STDERR_KEPT: usize = 8_000;

/// The plugin output ListCommandInvocations shows is cut at this many characters.
const PLUGIN_OUTPUT_KEPT: usize = 2_500;

/// What a running command can be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunCommand {
    /// Follow this instance's output (GetCommandInvocation while it changes).
    Watch(String),
    /// CancelCommand for everything sent.
    Cancel,
}

/// What a running command reports.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// SendCommand accepted every batch: the command ids.
    Sent { command_ids: Vec<String> },
    /// The latest invocations, sorted by name then id.
    Progress {
        invocations: Vec<InvocationView>,
        throttled: bool,
    },
    /// An invocation reached its final status, reported once: its plugin output as the list
    /// showed it, and the full output when that was cut and `RunOptions::full_output` asks.
    Settled {
        invocation: InvocationView,
        output: String,
        full: Option<InvocationOutput>,
    },
    /// The watched instance's output.
    Output(InvocationOutput),
    /// Polling failed this round (the next round tries again).
    PollFailed(RunError),
    /// Nothing runs: sending failed (whatever was sent is cancelled) or there were no
    /// credentials.
    Failed(RunError),
    /// Every expected invocation has finished.
    Done,
}

/// Why a run could not send or follow its command.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RunError {
    #[error("no credentials for {profile}/{region}")]
    NoCredentials { profile: String, region: String },
    /// A call failed: AWS's code and message (or the cause when AWS did not answer).
    #[error("{api} failed: {message}")]
    Api {
        api: &'static str,
        message: String,
        #[source]
        source: Cause,
    },
}

impl RunError {
    fn api<E, R>(api: &'static str, error: aws_sdk_ssm::error::SdkError<E, R>) -> RunError
    where
        E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let (message, source) = explain(error);
        RunError::Api {
            api,
            message,
            source,
        }
    }
}

/// How a run reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Fetch the whole output of an invocation whose listed output was cut, when it settles
    /// (`bosun run` prints every instance's output; the console fetches the viewed one only).
    pub full_output: bool,
}

/// Where a run's events go.
pub type RunEvents = mpsc::Sender<Tagged<RunEvent>>;

/// Sends the events of one run, tagged with its generation.
#[derive(Clone)]
struct Reporter {
    generation: u64,
    events: RunEvents,
}

impl Reporter {
    /// False once nobody listens any more.
    async fn say(&self, event: RunEvent) -> bool {
        let tagged = Tagged {
            generation: self.generation,
            value: event,
        };
        self.events.send(tagged).await.is_ok()
    }
}

/// Sends `request` and follows it; events go to `events` tagged with `generation`. The
/// service ends once the command is over and nobody holds its handle.
pub fn spawn(
    request: RunRequest,
    connect: SourceFactory,
    options: RunOptions,
    generation: u64,
    events: RunEvents,
) -> Handle<RunCommand> {
    let (commands, commands_rx) = mpsc::channel(16);
    let reporter = Reporter { generation, events };
    let task = tokio::spawn(run(request, connect, options, reporter, commands_rx));
    Handle::new(commands, task)
}

/// Follows a command sent earlier (from the history): no SendCommand.
pub fn spawn_existing(
    entry: HistoryEntry,
    connect: SourceFactory,
    generation: u64,
    events: RunEvents,
) -> Handle<RunCommand> {
    let (commands, commands_rx) = mpsc::channel(16);
    let reporter = Reporter { generation, events };
    let task = tokio::spawn(async move {
        let sources = connect(vec![entry.profile.clone()], vec![entry.region.clone()]).await;
        let Some(source) = sources.sources.first() else {
            let error = RunError::NoCredentials {
                profile: entry.profile.clone(),
                region: entry.region.clone(),
            };
            reporter.say(RunEvent::Failed(error)).await;
            return;
        };
        let sent = vec![Sent {
            ssm: aws_sdk_ssm::Client::new(&source.config),
            command_id: entry.command_id.clone(),
        }];
        let expected = usize::try_from(entry.target_count).unwrap_or(0);
        let watch = Watch {
            sent: &sent,
            names: &HashMap::new(),
            expected,
            options: RunOptions::default(),
        };
        follow(watch, &reporter, commands_rx).await;
    });
    Handle::new(commands, task)
}

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
                            .map(|s| s.as_str().to_owned())
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

/// One sent command: the client of its region, and its id.
struct Sent {
    ssm: aws_sdk_ssm::Client,
    command_id: String,
}

async fn send(
    request: &RunRequest,
    connect: &SourceFactory,
) -> Result<Vec<Sent>, (RunError, Vec<Sent>)> {
    let mut sent: Vec<Sent> = Vec::new();
    for group in &request.groups {
        let sources = connect(vec![group.profile.clone()], vec![group.region.clone()]).await;
        let Some(source) = sources.sources.first() else {
            return Err((
                RunError::NoCredentials {
                    profile: group.profile.clone(),
                    region: group.region.clone(),
                },
                sent,
            ));
        };
        let ssm = aws_sdk_ssm::Client::new(&source.config);
        let (windows, linux): (Vec<&RunTarget>, Vec<&RunTarget>) =
            group.targets.iter().partition(|t| t.windows);
        for (targets, default_document) in [
            (linux, "AWS-RunShellScript"),
            (windows, "AWS-RunPowerShellScript"),
        ] {
            let document = request
                .document
                .clone()
                .unwrap_or_else(|| default_document.to_owned());
            for batch in targets.chunks(BATCH) {
                let mut send = ssm.send_command();
                if let Some((bucket, prefix)) = &request.output_s3 {
                    send = send
                        .output_s3_bucket_name(bucket)
                        .output_s3_key_prefix(prefix);
                }
                if let Some(group) = &request.cloudwatch {
                    send = send.cloud_watch_output_config(
                        aws_sdk_ssm::types::CloudWatchOutputConfig::builder()
                            .cloud_watch_output_enabled(true)
                            .set_cloud_watch_log_group_name(group.clone())
                            .build(),
                    );
                }
                if request.takes_script() {
                    send = send
                        .parameters("commands", vec![request.script.clone()])
                        .parameters(
                            "executionTimeout",
                            vec![request.timeout_seconds.to_string()],
                        );
                } else {
                    // Another document takes its own parameters (perhaps none), not a script.
                    for (name, values) in &request.parameters {
                        send = send.parameters(name, values.clone());
                    }
                }
                let result = send
                    .document_name(&document)
                    .set_instance_ids(Some(batch.iter().map(|t| t.id.clone()).collect()))
                    .max_concurrency(&request.max_concurrency)
                    .max_errors(&request.max_errors)
                    .comment(&request.comment)
                    .send()
                    .await;
                match result {
                    Ok(output) => {
                        if let Some(id) = output.command().and_then(|c| c.command_id()) {
                            sent.push(Sent {
                                ssm: ssm.clone(),
                                command_id: id.to_owned(),
                            });
                        }
                    }
                    Err(error) => {
                        return Err((RunError::api("SendCommand", error), sent));
                    }
                }
            }
        }
    }
    Ok(sent)
}

async fn cancel_all(sent: &[Sent]) {
    for command in sent {
        let _ = command
            .ssm
            .cancel_command()
            .command_id(&command.command_id)
            .send()
            .await;
    }
}

/// The grid's view of one invocation: AWS's status, or StatusDetails where they say more.
pub fn view_of(command_id: &str, invocation: &CommandInvocation, name: &str) -> InvocationView {
    let status = invocation.status().map(|s| s.as_str()).unwrap_or("Pending");
    let details = invocation.status_details().unwrap_or(status);
    let shown = match details {
        "Undeliverable" | "Terminated" | "InvalidPlatform" => details,
        _ => status,
    };
    let plugin = invocation.command_plugins().first();
    let response_code = plugin.map(|p| p.response_code());
    let exit_code = response_code.filter(|code| *code != -1);
    let duration_ms = plugin.and_then(|p| {
        let start = p.response_start_date_time()?.to_millis().ok()?;
        let end = p.response_finish_date_time()?.to_millis().ok()?;
        u64::try_from(end - start).ok()
    });
    InvocationView {
        command_id: command_id.to_owned(),
        instance_id: invocation.instance_id().unwrap_or_default().to_owned(),
        name: name.to_owned(),
        status: shown.to_owned(),
        aws_status: status.to_owned(),
        status_details: details.to_owned(),
        exit_code,
        response_code,
        duration_ms,
    }
}

/// What one watch follows.
struct Watch<'a> {
    sent: &'a [Sent],
    names: &'a HashMap<String, String>,
    expected: usize,
    options: RunOptions,
}

async fn run(
    request: RunRequest,
    connect: SourceFactory,
    options: RunOptions,
    reporter: Reporter,
    commands: mpsc::Receiver<RunCommand>,
) {
    let sent = match send(&request, &connect).await {
        Ok(sent) => sent,
        Err((error, sent)) => {
            // Nothing half-sent keeps running.
            cancel_all(&sent).await;
            reporter.say(RunEvent::Failed(error)).await;
            return;
        }
    };
    let command_ids = sent.iter().map(|s| s.command_id.clone()).collect();
    if !reporter.say(RunEvent::Sent { command_ids }).await {
        return;
    }
    let names: HashMap<String, String> = request
        .targets()
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let watch = Watch {
        sent: &sent,
        names: &names,
        expected: names.len(),
        options,
    };
    follow(watch, &reporter, commands).await;
}

/// Polls the sent commands' invocations until all expected have finished, reports each as it
/// settles, follows the watched instance's output, and cancels on request. Ends when the
/// handle is dropped (or nobody listens).
async fn follow(watch: Watch<'_>, reporter: &Reporter, mut commands: mpsc::Receiver<RunCommand>) {
    let Watch {
        sent,
        names,
        expected,
        options,
    } = watch;
    let mut delay = POLL_START;
    let mut finished = false;
    let mut where_is: HashMap<String, usize> = HashMap::new();
    let mut settled: HashSet<(String, String)> = HashSet::new();
    let mut watched: Option<String> = None;
    let mut fetched: Option<(String, String)> = None;
    let mut invocations: Vec<InvocationView> = Vec::new();
    // Choosing another instance fetches its output at once, but the list is polled only on
    // its own schedule: holding ↓ must not become a storm of calls.
    let mut next_poll = tokio::time::Instant::now();
    loop {
        if !finished && tokio::time::Instant::now() >= next_poll {
            let mut throttled = false;
            let mut fresh = Vec::new();
            let mut newly_settled = Vec::new();
            for (index, command) in sent.iter().enumerate() {
                let mut pages = command
                    .ssm
                    .list_command_invocations()
                    .command_id(&command.command_id)
                    .details(true)
                    .max_results(50)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    match page {
                        Ok(page) => {
                            for invocation in page.command_invocations() {
                                let id = invocation.instance_id().unwrap_or_default();
                                let name = names.get(id).map_or("", String::as_str);
                                where_is.insert(id.to_owned(), index);
                                let view = view_of(&command.command_id, invocation, name);
                                if view.finished()
                                    && settled.insert((view.command_id.clone(), id.to_owned()))
                                {
                                    let output = invocation
                                        .command_plugins()
                                        .first()
                                        .and_then(|p| p.output())
                                        .unwrap_or_default()
                                        .to_owned();
                                    newly_settled.push((index, view.clone(), output));
                                }
                                fresh.push(view);
                            }
                        }
                        Err(error) if error.code() == Some("ThrottlingException") => {
                            throttled = true;
                            break;
                        }
                        Err(error) => {
                            let error = RunError::api("ListCommandInvocations", error);
                            if !reporter.say(RunEvent::PollFailed(error)).await {
                                return;
                            }
                            throttled = true;
                            break;
                        }
                    }
                }
            }
            if !throttled || invocations.is_empty() {
                fresh.sort_by(|a, b| (&a.name, &a.instance_id).cmp(&(&b.name, &b.instance_id)));
                invocations = fresh;
            }
            for (index, invocation, output) in newly_settled {
                // The list cuts the output: the whole of it (as much as AWS keeps) on request.
                let full = if options.full_output && output.chars().count() >= PLUGIN_OUTPUT_KEPT {
                    fetch_output(&sent[index], &invocation.instance_id).await
                } else {
                    None
                };
                let event = RunEvent::Settled {
                    invocation,
                    output,
                    full,
                };
                if !reporter.say(event).await {
                    return;
                }
            }
            finished = !throttled
                && invocations.len() >= expected
                && invocations.iter().all(InvocationView::finished);
            delay = if throttled {
                (delay * 2).min(POLL_MAX)
            } else {
                POLL_START
            };
            next_poll = tokio::time::Instant::now() + delay;
            let progress = RunEvent::Progress {
                invocations: invocations.clone(),
                throttled,
            };
            if !reporter.say(progress).await {
                return;
            }
            if finished && !reporter.say(RunEvent::Done).await {
                return;
            }
        }
        // The watched instance's output: when it is chosen, and while it changes.
        if let Some(instance) = watched.clone() {
            let status = invocations
                .iter()
                .find(|i| i.instance_id == instance)
                .map(|i| i.status.clone())
                .unwrap_or_default();
            let key = (instance.clone(), status.clone());
            let running = matches!(status.as_str(), "InProgress" | "Pending" | "Delayed");
            if (fetched.as_ref() != Some(&key) || running)
                && let Some(command) = where_is.get(&instance).and_then(|&i| sent.get(i))
            {
                if let Some(output) = fetch_output(command, &instance).await
                    && !reporter.say(RunEvent::Output(output)).await
                {
                    return;
                }
                fetched = Some(key);
            }
        }
        tokio::select! {
            () = tokio::time::sleep_until(next_poll), if !finished => {}
            command = commands.recv() => {
                let Some(command) = command else { return };
                // Whatever else is already queued counts too, but only the newest Watch: a
                // held ↓ is one fetch, not one per row passed.
                let mut cancel = false;
                let mut next = Some(command);
                while let Some(command) = next {
                    match command {
                        RunCommand::Watch(instance) => watched = Some(instance),
                        RunCommand::Cancel => cancel = true,
                    }
                    next = commands.try_recv().ok();
                }
                if cancel {
                    cancel_all(sent).await;
                }
            }
        }
    }
}

async fn fetch_output(command: &Sent, instance: &str) -> Option<InvocationOutput> {
    let full = command
        .ssm
        .get_command_invocation()
        .command_id(&command.command_id)
        .instance_id(instance)
        .send()
        .await
        .ok()?;
    let stdout = full
        .standard_output_content()
        .unwrap_or_default()
        .to_owned();
    let stderr = full.standard_error_content().unwrap_or_default().to_owned();
    let truncated = stdout.chars().count() >= STDOUT_KEPT || stderr.chars().count() >= STDERR_KEPT;
    Some(InvocationOutput {
        instance_id: instance.to_owned(),
        stdout,
        stderr,
        truncated,
        s3_location: full
            .standard_output_url()
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
    })
}
