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
use crate::aws::sdk::{Cause, explain};
use crate::model::run::{HistoryEntry, InvocationOutput, InvocationView, RunRequest};
use crate::model::status::InvocationStatus;

mod history;
mod send;

pub use history::{History, load_history, results_of};
use send::{Sent, cancel_all, send};

/// SendCommand takes at most 50 instance ids.
const BATCH: usize = 50;
const POLL_START: Duration = Duration::from_secs(1);
const POLL_MAX: Duration = Duration::from_secs(16);
/// AWS keeps this much of stdout and stderr in GetCommandInvocation.
const STDOUT_KEPT: usize = 24_000;
const STDERR_KEPT: usize = 8_000;

/// The plugin output ListCommandInvocations shows is cut at this many characters.
pub const PLUGIN_OUTPUT_KEPT: usize = 2_500;

/// What a running command can be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunCommand {
    /// Follow this instance's output (GetCommandInvocation while it changes).
    Watch(String),
    /// CancelCommand for everything sent.
    Cancel,
    /// The canary succeeded: send the command to the remaining targets.
    Continue,
}

/// What a running command reports.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// SendCommand accepted every batch: the command ids (all of them so far: after a canary,
    /// its own and the rest's).
    Sent { command_ids: Vec<String> },
    /// Every canary invocation has finished: whether all succeeded, and how many targets wait.
    /// The rest is sent on `RunCommand::Continue` (or at once with
    /// `RunOptions::continue_after_canary`) when it passed, never when it failed.
    CanaryDone { passed: bool, remaining: usize },
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
    /// After a canary that passed, send to the rest without being asked (`bosun run --yes`).
    pub continue_after_canary: bool,
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
            sent,
            names: HashMap::new(),
            expected,
            options: RunOptions::default(),
            rest: None,
        };
        follow(watch, &reporter, commands_rx).await;
    });
    Handle::new(commands, task)
}

/// The grid's view of one invocation: AWS's status, or StatusDetails where they say more.
pub fn view_of(command_id: &str, invocation: &CommandInvocation, name: &str) -> InvocationView {
    let status = invocation.status().map_or(InvocationStatus::Pending, |s| {
        InvocationStatus::parse(s.as_str())
    });
    let details = invocation.status_details().map(InvocationStatus::parse);
    let shown = match &details {
        Some(details) if details.says_more() => details.clone(),
        _ => status.clone(),
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
        status: shown,
        aws_status: status,
        status_details: details,
        exit_code,
        response_code,
        duration_ms,
    }
}

/// What one watch follows.
struct Watch {
    sent: Vec<Sent>,
    names: HashMap<String, String>,
    /// Invocations expected from what has been sent so far.
    expected: usize,
    options: RunOptions,
    /// After a canary: the targets that wait for it, and how to reach them.
    rest: Option<(RunRequest, SourceFactory)>,
}

async fn run(
    request: RunRequest,
    connect: SourceFactory,
    options: RunOptions,
    reporter: Reporter,
    commands: mpsc::Receiver<RunCommand>,
) {
    let (first, rest) = crate::model::canary::split(&request);
    let sent = match send(&first, &connect).await {
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
        sent,
        names,
        expected: first.targets().len(),
        options,
        rest: rest.map(|rest| (rest, connect)),
    };
    follow(watch, &reporter, commands).await;
}

/// Sends the rest after a canary that passed: its command ids join the canary's, and the watch
/// expects its invocations too. False when sending failed (said, and whatever went cancelled).
async fn send_rest(watch: &mut Watch, reporter: &Reporter) -> bool {
    let Some((rest, connect)) = watch.rest.take() else {
        return true;
    };
    match send(&rest, &connect).await {
        Ok(more) => {
            watch.sent.extend(more);
            watch.expected += rest.targets().len();
            let command_ids = watch.sent.iter().map(|s| s.command_id.clone()).collect();
            reporter.say(RunEvent::Sent { command_ids }).await
        }
        Err((error, sent)) => {
            cancel_all(&sent).await;
            reporter.say(RunEvent::Failed(error)).await;
            false
        }
    }
}

/// Polls the sent commands' invocations until all expected have finished, reports each as it
/// settles, follows the watched instance's output, and cancels on request. Ends when the
/// handle is dropped (or nobody listens).
async fn follow(mut watch: Watch, reporter: &Reporter, mut commands: mpsc::Receiver<RunCommand>) {
    let mut delay = POLL_START;
    let mut finished = false;
    // The canary's outcome has been said; the rest is sent once `go_on`.
    let mut canary_said = false;
    let mut go_on = false;
    let mut where_is: HashMap<String, usize> = HashMap::new();
    let mut settled: HashSet<(String, String)> = HashSet::new();
    let mut watched: Option<String> = None;
    let mut fetched: Option<(String, Option<InvocationStatus>)> = None;
    let mut invocations: Vec<InvocationView> = Vec::new();
    // Choosing another instance fetches its output at once, but the list is polled only on
    // its own schedule: holding ↓ must not become a storm of calls.
    let mut next_poll = tokio::time::Instant::now();
    loop {
        if !finished && tokio::time::Instant::now() >= next_poll {
            let mut throttled = false;
            let mut fresh = Vec::new();
            let mut newly_settled = Vec::new();
            for (index, command) in watch.sent.iter().enumerate() {
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
                                let name = watch.names.get(id).map_or("", String::as_str);
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
                let full =
                    if watch.options.full_output && output.chars().count() >= PLUGIN_OUTPUT_KEPT {
                        fetch_output(&watch.sent[index], &invocation.instance_id).await
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
                && invocations.len() >= watch.expected
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
            if finished {
                match (watch.rest.is_some(), canary_said) {
                    // The canary has finished: passed when every invocation succeeded. One
                    // that failed takes the rest with it.
                    (true, false) => {
                        canary_said = true;
                        let passed = invocations
                            .iter()
                            .all(|i| i.aws_status == InvocationStatus::Success);
                        let remaining = watch.rest.as_ref().map_or(0, |(r, _)| r.targets().len());
                        if !reporter
                            .say(RunEvent::CanaryDone { passed, remaining })
                            .await
                        {
                            return;
                        }
                        if !passed {
                            watch.rest = None;
                            if !reporter.say(RunEvent::Done).await {
                                return;
                            }
                        }
                        go_on = passed && watch.options.continue_after_canary;
                    }
                    // Waiting for Continue.
                    (true, true) => {}
                    (false, _) => {
                        if !reporter.say(RunEvent::Done).await {
                            return;
                        }
                    }
                }
            }
        }
        if go_on {
            go_on = false;
            if !send_rest(&mut watch, reporter).await {
                return;
            }
            finished = false;
            next_poll = tokio::time::Instant::now();
            continue;
        }
        // The watched instance's output: when it is chosen, and while it changes.
        if let Some(instance) = watched.clone() {
            let status = invocations
                .iter()
                .find(|i| i.instance_id == instance)
                .map(|i| i.status.clone());
            // Fetched again while it runs (Cancelling aside: its output is what it was).
            let running = status
                .as_ref()
                .is_some_and(|s| s.is_running() && *s != InvocationStatus::Cancelling);
            let key = (instance.clone(), status);
            if (fetched.as_ref() != Some(&key) || running)
                && let Some(command) = where_is.get(&instance).and_then(|&i| watch.sent.get(i))
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
                        RunCommand::Continue => go_on = canary_said && watch.rest.is_some(),
                    }
                    next = commands.try_recv().ok();
                }
                if cancel {
                    cancel_all(&watch.sent).await;
                    // Nothing waiting for the canary is sent after a cancel.
                    go_on = false;
                    if watch.rest.take().is_some()
                        && canary_said
                        && !reporter.say(RunEvent::Done).await
                    {
                        return;
                    }
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
