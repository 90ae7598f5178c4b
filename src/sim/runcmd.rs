//! Run Command in the simulator: SendCommand resolves its targets, then a coordinator runs one
//! real process per invocation (the script in `sh -c`, INSTANCE_ID and the instance's tags in
//! the environment) under MaxConcurrency and MaxErrors and a global process limit, through
//! AWS's life cycle: Pending, Delayed, InProgress, then Success, Failed, TimedOut or Cancelled,
//! with Undeliverable (offline targets) and Terminated (stopped by MaxErrors) as status details.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::sync::{Semaphore, watch};

use super::SimState;
use super::api::{ApiError, ApiResult, Params, epoch_seconds, parse_next_token};
use super::ec2_api::iso8601;
use super::fleet::{Instance, Platform};
use super::shell::env_name;
use super::sigv4::Credential;

/// Processes the simulator runs at once across all commands.
pub(crate) const PROCESS_LIMIT: usize = 16;
/// Output kept per stream and invocation; the APIs truncate further.
const OUTPUT_CAP: usize = 1024 * 1024;
const PLUGIN_OUTPUT_LIMIT: usize = 2_500;
const STDOUT_LIMIT: usize = 24_000;
const STDERR_LIMIT: usize = 8_000;
const DOCUMENTS: [(&str, &str, Platform); 2] = [
    ("AWS-RunShellScript", "aws:runShellScript", Platform::Linux),
    (
        "AWS-RunPowerShellScript",
        "aws:runPowerShellScript",
        Platform::Windows,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InvocationState {
    Pending,
    Delayed,
    InProgress,
    Success,
    Failed,
    TimedOut,
    Cancelled,
    /// The target was not reachable: Status Failed, StatusDetails Undeliverable.
    Undeliverable,
    /// Never started because MaxErrors was exceeded: Status Cancelled, details Terminated.
    Terminated,
    /// The document does not run on the target's platform.
    InvalidPlatform,
}

impl InvocationState {
    fn status(self) -> &'static str {
        match self {
            InvocationState::Pending => "Pending",
            InvocationState::Delayed => "Delayed",
            InvocationState::InProgress => "InProgress",
            InvocationState::Success => "Success",
            InvocationState::Failed
            | InvocationState::Undeliverable
            | InvocationState::InvalidPlatform => "Failed",
            InvocationState::TimedOut => "TimedOut",
            InvocationState::Cancelled | InvocationState::Terminated => "Cancelled",
        }
    }

    fn details(self) -> &'static str {
        match self {
            InvocationState::TimedOut => "ExecutionTimedOut",
            InvocationState::Undeliverable => "Undeliverable",
            InvocationState::Terminated => "Terminated",
            InvocationState::InvalidPlatform => "InvalidPlatform",
            other => other.status(),
        }
    }

    fn is_terminal(self) -> bool {
        !matches!(
            self,
            InvocationState::Pending | InvocationState::Delayed | InvocationState::InProgress
        )
    }

    /// What counts against MaxErrors (AWS leaves Undeliverable out).
    fn is_error(self) -> bool {
        matches!(
            self,
            InvocationState::Failed | InvocationState::TimedOut | InvocationState::InvalidPlatform
        )
    }
}

struct Invocation {
    instance: Instance,
    state: InvocationState,
    response_code: i64,
    started: Option<SystemTime>,
    finished: Option<SystemTime>,
    stdout: String,
    stderr: String,
}

struct CommandRecord {
    id: String,
    region: String,
    document: String,
    plugin: &'static str,
    comment: String,
    parameters: Value,
    instance_ids: Vec<String>,
    targets: Value,
    requested: SystemTime,
    timeout_seconds: i64,
    max_concurrency: String,
    max_errors: String,
    output_s3: Option<(String, String, String)>,
    cloudwatch: Value,
    cancelling: bool,
    finished: Option<&'static str>,
    script: String,
    execution_timeout: Duration,
    invocations: Vec<Invocation>,
    cancel: watch::Sender<bool>,
}

impl CommandRecord {
    fn counts(&self) -> (usize, usize, usize) {
        let completed = self
            .invocations
            .iter()
            .filter(|i| i.state.is_terminal())
            .count();
        let errors = self
            .invocations
            .iter()
            .filter(|i| i.state.is_error())
            .count();
        let undeliverable = self
            .invocations
            .iter()
            .filter(|i| i.state == InvocationState::Undeliverable)
            .count();
        (completed, errors, undeliverable)
    }

    fn status(&self) -> (&'static str, &'static str) {
        if let Some(status) = self.finished {
            let (_, _, undeliverable) = self.counts();
            let details = match status {
                "Success" if undeliverable > 0 => "Incomplete",
                other => other,
            };
            return (status, details);
        }
        if self.cancelling {
            return ("Cancelling", "Cancelling");
        }
        let started = self
            .invocations
            .iter()
            .any(|i| i.state != InvocationState::Pending);
        if started {
            ("InProgress", "InProgress")
        } else {
            ("Pending", "Pending")
        }
    }

    fn to_json(&self) -> Value {
        let (status, details) = self.status();
        let (completed, errors, _) = self.counts();
        let mut command = json!({
            "CommandId": self.id,
            "DocumentName": self.document,
            "DocumentVersion": "$DEFAULT",
            "Comment": self.comment,
            "ExpiresAfter": epoch_seconds(self.requested + Duration::from_secs(self.timeout_seconds.max(0) as u64)),
            "Parameters": self.parameters,
            "InstanceIds": self.instance_ids,
            "Targets": self.targets,
            "RequestedDateTime": epoch_seconds(self.requested),
            "Status": status,
            "StatusDetails": details,
            "OutputS3Region": self.output_s3.as_ref().map_or(self.region.as_str(), |(r, _, _)| r.as_str()),
            "OutputS3BucketName": self.output_s3.as_ref().map_or("", |(_, b, _)| b.as_str()),
            "OutputS3KeyPrefix": self.output_s3.as_ref().map_or("", |(_, _, p)| p.as_str()),
            "MaxConcurrency": self.max_concurrency,
            "MaxErrors": self.max_errors,
            "TargetCount": self.invocations.len(),
            "CompletedCount": completed,
            "ErrorCount": errors,
            "DeliveryTimedOutCount": 0,
            "ServiceRole": "",
            "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
            "CloudWatchOutputConfig": self.cloudwatch,
            "TimeoutSeconds": self.timeout_seconds,
        });
        if self.comment.is_empty() {
            command["Comment"] = json!("");
        }
        command
    }

    fn output_url(&self, instance_id: &str, stream: &str) -> String {
        match &self.output_s3 {
            Some((region, bucket, prefix)) => {
                let plugin = self.plugin.replace(':', "");
                let prefix = if prefix.is_empty() {
                    String::new()
                } else {
                    format!("{prefix}/")
                };
                format!(
                    "https://s3.{region}.amazonaws.com/{bucket}/{prefix}{}/{instance_id}/{plugin}/0.{plugin}/{stream}",
                    self.id
                )
            }
            None => String::new(),
        }
    }
}

/// All commands, newest last.
#[derive(Default)]
pub(crate) struct CommandStore {
    commands: Vec<CommandRecord>,
}

impl CommandStore {
    fn find(&self, id: &str) -> Option<&CommandRecord> {
        self.commands.iter().find(|c| c.id == id)
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut CommandRecord> {
        self.commands.iter_mut().find(|c| c.id == id)
    }
}

fn lock_error() -> ApiError {
    ApiError::new(500, "InternalServerError", "command store unavailable")
}

/// "10", "10%" → a count out of `total` (percentages round up, at least 1 for concurrency).
fn resolve_limit(text: &str, total: usize, at_least_one: bool) -> usize {
    let value = match text.strip_suffix('%') {
        Some(percent) => {
            let percent: usize = percent.parse().unwrap_or(100);
            if at_least_one {
                (total * percent).div_ceil(100)
            } else {
                total * percent / 100
            }
        }
        None => text.parse().unwrap_or(if at_least_one { 50 } else { 0 }),
    };
    if at_least_one { value.max(1) } else { value }
}

fn valid_limit(text: &str, allow_zero: bool) -> bool {
    let digits = text.strip_suffix('%').unwrap_or(text);
    let percent = text.ends_with('%');
    !digits.is_empty()
        && text.len() <= 7
        && digits.chars().all(|c| c.is_ascii_digit())
        && (digits == "0" && allow_zero || !digits.starts_with('0'))
        && (!percent || digits.parse::<u32>().is_ok_and(|p| p <= 100))
}

pub(crate) fn send_command(
    state: &Arc<SimState>,
    credential: &Credential,
    input: &Value,
) -> ApiResult {
    let params = Params::new(
        input,
        &[
            "InstanceIds",
            "Targets",
            "DocumentName",
            "DocumentVersion",
            "DocumentHash",
            "DocumentHashType",
            "TimeoutSeconds",
            "Comment",
            "Parameters",
            "OutputS3Region",
            "OutputS3BucketName",
            "OutputS3KeyPrefix",
            "MaxConcurrency",
            "MaxErrors",
            "ServiceRoleArn",
            "NotificationConfig",
            "CloudWatchOutputConfig",
            "AlarmConfiguration",
        ],
    )?;
    let document = params.required_str("DocumentName")?;
    let (_, plugin, platform) = DOCUMENTS
        .iter()
        .find(|(name, _, _)| *name == document)
        .copied()
        .ok_or_else(|| {
            ApiError::new(
                400,
                "InvalidDocument",
                format!("Document {document} does not exist."),
            )
        })?;
    let timeout_seconds = params
        .bounded("TimeoutSeconds", 30, 2_592_000)?
        .unwrap_or(3600);
    let comment = params.str("Comment")?.unwrap_or_default();
    if comment.chars().count() > 100 {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'comment' failed to satisfy constraint: Member must have length less than or equal to 100",
        ));
    }
    let max_concurrency = params.str("MaxConcurrency")?.unwrap_or("50").to_owned();
    let max_errors = params.str("MaxErrors")?.unwrap_or("0").to_owned();
    if !valid_limit(&max_concurrency, false) || !valid_limit(&max_errors, true) {
        return Err(ApiError::validation(
            "MaxConcurrency and MaxErrors take a number or a percentage, e.g. 10 or 10%",
        ));
    }

    // Parameters: commands (required), executionTimeout, workingDirectory.
    let parameters = params
        .get("Parameters")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let parameter_map = parameters
        .as_object()
        .ok_or_else(|| ApiError::serialization("Parameters must be a map"))?;
    for name in parameter_map.keys() {
        if !["commands", "executionTimeout", "workingDirectory"].contains(&name.as_str()) {
            return Err(ApiError::new(
                400,
                "InvalidParameters",
                format!("Parameter \"{name}\" is not defined in the document."),
            ));
        }
    }
    let commands = parameter_map
        .get("commands")
        .map(super::api::strings)
        .unwrap_or_default();
    if commands.is_empty() {
        return Err(ApiError::new(
            400,
            "InvalidParameters",
            "Parameter \"commands\" is required.",
        ));
    }
    let execution_timeout = parameter_map
        .get("executionTimeout")
        .and_then(|v| v.as_array()?.first()?.as_str()?.parse::<u64>().ok())
        .unwrap_or(3600)
        .clamp(1, 172_800);

    let targets = resolve_targets(state, credential, &params)?;
    let output_s3 = params
        .str("OutputS3BucketName")?
        .filter(|b| !b.is_empty())
        .map(|bucket| {
            (
                params
                    .str("OutputS3Region")
                    .ok()
                    .flatten()
                    .unwrap_or(&credential.region)
                    .to_owned(),
                bucket.to_owned(),
                params
                    .str("OutputS3KeyPrefix")
                    .ok()
                    .flatten()
                    .unwrap_or_default()
                    .to_owned(),
            )
        });
    let cloudwatch = params
        .get("CloudWatchOutputConfig")
        .cloned()
        .unwrap_or_else(|| json!({"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": false}));
    let (cancel, cancelled) = watch::channel(false);
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let offline = state.offline();
    let record = CommandRecord {
        id: id.clone(),
        region: credential.region.clone(),
        document: document.to_owned(),
        plugin,
        comment: comment.to_owned(),
        parameters,
        instance_ids: params
            .get("InstanceIds")
            .map(|_| targets.iter().map(|i| i.id.clone()).collect())
            .unwrap_or_default(),
        targets: params.get("Targets").cloned().unwrap_or_else(|| json!([])),
        requested: SystemTime::now(),
        timeout_seconds,
        max_concurrency,
        max_errors,
        output_s3,
        cloudwatch,
        cancelling: false,
        finished: None,
        script: commands.join("\n"),
        execution_timeout: Duration::from_secs(execution_timeout),
        invocations: targets
            .into_iter()
            .map(|instance| {
                let state = if instance.platform != platform {
                    InvocationState::InvalidPlatform
                } else if !offline.is_online(&instance) {
                    InvocationState::Undeliverable
                } else {
                    InvocationState::Pending
                };
                let finished = state.is_terminal().then(SystemTime::now);
                Invocation {
                    instance,
                    state,
                    response_code: -1,
                    started: None,
                    finished,
                    stdout: String::new(),
                    stderr: String::new(),
                }
            })
            .collect(),
        cancel,
    };
    let json = record.to_json();
    state
        .commands
        .lock()
        .map_err(|_| lock_error())?
        .commands
        .push(record);
    tokio::spawn(coordinate(state.clone(), id, cancelled));
    Ok(json!({ "Command": json }))
}

/// InstanceIds (at most 50, each a managed instance of the region) or Targets (tag queries
/// and id lists, ANDed across keys).
fn resolve_targets(
    state: &SimState,
    credential: &Credential,
    params: &Params,
) -> Result<Vec<Instance>, ApiError> {
    let managed = |id: &str| {
        state
            .fleet
            .instances
            .iter()
            .find(|i| i.id == id && i.region == credential.region && i.is_managed())
            .cloned()
    };
    match (params.get("InstanceIds"), params.get("Targets")) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "Specify either InstanceIds or Targets, not both.",
        )),
        (Some(ids), None) => {
            let ids: Vec<&str> = ids
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if ids.len() > 50 {
                return Err(ApiError::validation(
                    "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50",
                ));
            }
            let mut seen = std::collections::HashSet::new();
            let mut instances = Vec::new();
            for id in ids {
                if !seen.insert(id) {
                    return Err(ApiError::new(
                        400,
                        "DuplicateInstanceId",
                        format!("Instance {id} appears more than once."),
                    ));
                }
                instances.push(managed(id).ok_or_else(|| {
                    ApiError::new(
                        400,
                        "InvalidInstanceId",
                        format!(
                            "Instances [[{id}]] not in a valid state for account {}",
                            super::fleet::DEFAULT_ACCOUNT
                        ),
                    )
                })?);
            }
            Ok(instances)
        }
        (None, Some(targets)) => {
            let mut filters: Vec<(String, Vec<String>)> = Vec::new();
            for target in targets.as_array().into_iter().flatten() {
                let key = target["Key"].as_str().unwrap_or_default().to_owned();
                let values = super::api::strings(&target["Values"]);
                if !(key == "InstanceIds" || key == "tag-key" || key.starts_with("tag:"))
                    || values.is_empty()
                {
                    return Err(ApiError::new(
                        400,
                        "InvalidParameters",
                        format!("Target key {key:?} with values {values:?} is not supported."),
                    ));
                }
                filters.push((key, values));
            }
            if filters.is_empty() {
                return Err(ApiError::validation("Targets must not be empty."));
            }
            Ok(state
                .fleet
                .instances
                .iter()
                .filter(|i| i.region == credential.region && i.is_managed())
                .filter(|i| {
                    filters.iter().all(|(key, values)| match key.as_str() {
                        "InstanceIds" => values.contains(&i.id),
                        "tag-key" => values.iter().any(|k| i.tags.contains_key(k)),
                        tag => i.tags.get(&tag[4..]).is_some_and(|v| values.contains(v)),
                    })
                })
                .cloned()
                .collect())
        }
        (None, None) => Err(ApiError::validation("Specify InstanceIds or Targets.")),
    }
}

/// Runs a command's invocations under MaxConcurrency and MaxErrors, then settles its status.
async fn coordinate(state: Arc<SimState>, id: String, cancelled: watch::Receiver<bool>) {
    let (concurrency, max_errors, total) = {
        let Ok(store) = state.commands.lock() else {
            return;
        };
        let Some(command) = store.find(&id) else {
            return;
        };
        let total = command.invocations.len();
        (
            resolve_limit(&command.max_concurrency, total, true),
            resolve_limit(&command.max_errors, total, false),
            total,
        )
    };
    let mut running = tokio::task::JoinSet::new();
    let mut next = 0;
    loop {
        let (errors, cancelling) = {
            let Ok(store) = state.commands.lock() else {
                return;
            };
            let Some(command) = store.find(&id) else {
                return;
            };
            (command.counts().1, command.cancelling)
        };
        let stop = cancelling || errors > max_errors;
        while !stop && running.len() < concurrency && next < total {
            let index = next;
            next += 1;
            let pending = state
                .commands
                .lock()
                .ok()
                .and_then(|store| {
                    store
                        .find(&id)
                        .map(|c| c.invocations[index].state == InvocationState::Pending)
                })
                .unwrap_or(false);
            if pending {
                running.spawn(run_invocation(
                    state.clone(),
                    id.clone(),
                    index,
                    cancelled.clone(),
                ));
            }
        }
        if running.is_empty() && (stop || next >= total) {
            break;
        }
        if running.join_next().await.is_none() && (stop || next >= total) {
            break;
        }
    }
    if let Ok(mut store) = state.commands.lock()
        && let Some(command) = store.find_mut(&id)
    {
        let was_cancelled = command.cancelling;
        for invocation in command
            .invocations
            .iter_mut()
            .filter(|i| !i.state.is_terminal())
        {
            invocation.state = if was_cancelled {
                InvocationState::Cancelled
            } else {
                InvocationState::Terminated
            };
            invocation.finished = Some(SystemTime::now());
        }
        let errors = command.counts().1;
        command.finished = Some(if was_cancelled {
            "Cancelled"
        } else if errors > max_errors {
            "Failed"
        } else {
            "Success"
        });
    }
}

fn set_invocation(state: &SimState, id: &str, index: usize, update: impl FnOnce(&mut Invocation)) {
    if let Ok(mut store) = state.commands.lock()
        && let Some(invocation) = store
            .find_mut(id)
            .and_then(|c| c.invocations.get_mut(index))
    {
        update(invocation);
    }
}

/// One real process for one invocation.
async fn run_invocation(
    state: Arc<SimState>,
    id: String,
    index: usize,
    mut cancelled: watch::Receiver<bool>,
) {
    // Waiting for a process slot is what AWS calls Delayed.
    let permit = match state.processes.clone().try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            set_invocation(&state, &id, index, |i| i.state = InvocationState::Delayed);
            match state.processes.clone().acquire_owned().await {
                Ok(permit) => permit,
                Err(_) => return,
            }
        }
    };
    let Some((instance, script, timeout)) = state.commands.lock().ok().and_then(|store| {
        let command = store.find(&id)?;
        Some((
            command.invocations[index].instance.clone(),
            command.script.clone(),
            command.execution_timeout,
        ))
    }) else {
        return;
    };
    if *cancelled.borrow() {
        set_invocation(&state, &id, index, |i| {
            i.state = InvocationState::Cancelled;
            i.finished = Some(SystemTime::now());
        });
        return;
    }
    set_invocation(&state, &id, index, |i| {
        i.state = InvocationState::InProgress;
        i.started = Some(SystemTime::now());
    });
    let home = state.home_for(&instance.id);
    let _ = std::fs::create_dir_all(&home);
    let mut command = tokio::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(&script)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .env("HOME", &home)
        .env("INSTANCE_ID", &instance.id)
        .env("AWS_REGION", &instance.region)
        .envs(
            instance
                .tags
                .iter()
                .map(|(k, v)| (format!("TAG_{}", env_name(k)), v.clone())),
        )
        .current_dir(&home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout or cancel kills the script's children too.
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            set_invocation(&state, &id, index, |i| {
                i.state = InvocationState::Failed;
                i.stderr = format!("failed to run commands: {error}");
                i.finished = Some(SystemTime::now());
            });
            return;
        }
    };
    let stdout = child.stdout.take().map(|s| tokio::spawn(read_capped(s)));
    let stderr = child.stderr.take().map(|s| tokio::spawn(read_capped(s)));
    let outcome = tokio::select! {
        status = child.wait() => match status.ok().and_then(|s| s.code()) {
            Some(0) => (InvocationState::Success, 0),
            Some(code) => (InvocationState::Failed, i64::from(code)),
            None => (InvocationState::Failed, -1),
        },
        () = tokio::time::sleep(timeout) => {
            kill_group(&mut child);
            (InvocationState::TimedOut, -1)
        }
        _ = cancelled.wait_for(|c| *c) => {
            kill_group(&mut child);
            (InvocationState::Cancelled, -1)
        }
    };
    let _ = child.wait().await;
    // A daemonized grandchild could still hold the pipes: output stops at 2 s past the end.
    let collect = |task: Option<tokio::task::JoinHandle<String>>| async move {
        match task {
            Some(task) => tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default(),
            None => String::new(),
        }
    };
    let out = collect(stdout).await;
    let mut err = collect(stderr).await;
    if outcome.0 == InvocationState::TimedOut {
        err.push_str("\nfailed to run commands: command timed out\n");
    }
    set_invocation(&state, &id, index, |i| {
        i.state = outcome.0;
        i.response_code = outcome.1;
        i.stdout = out;
        i.stderr = err;
        i.finished = Some(SystemTime::now());
    });
    drop(permit);
}

/// Kills the invocation's whole process group (the shell and whatever it started).
pub(crate) fn kill_group(child: &mut tokio::process::Child) {
    if let Some(pid) = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32))
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.start_kill();
}

async fn read_capped<R: tokio::io::AsyncRead + Unpin>(mut reader: R) -> String {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(n) = reader.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        let room = OUTPUT_CAP.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..n.min(room)]);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

fn truncate(text: &str, limit: usize) -> &str {
    match text.char_indices().nth(limit) {
        Some((byte, _)) => &text[..byte],
        None => text,
    }
}

fn valid_command_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 36 && uuid::Uuid::parse_str(id).is_ok() {
        Ok(())
    } else {
        Err(ApiError::new(400, "InvalidCommandId", ""))
    }
}

const COMMAND_FILTER_KEYS: [&str; 5] = [
    "InvokedAfter",
    "InvokedBefore",
    "Status",
    "ExecutionStage",
    "DocumentName",
];

/// What ListCommands and ListCommandInvocations both take: a page, an optional command
/// (checked for form), an optional instance, and filters.
struct CommandQuery<'a> {
    max: usize,
    start: usize,
    command_id: Option<&'a str>,
    instance_id: Option<&'a str>,
    filters: Vec<(String, String)>,
}

impl<'a> CommandQuery<'a> {
    fn parse(params: &Params<'a>) -> Result<CommandQuery<'a>, ApiError> {
        let command_id = params.str("CommandId")?;
        if let Some(id) = command_id {
            valid_command_id(id)?;
        }
        Ok(CommandQuery {
            max: params.bounded("MaxResults", 1, 50)?.unwrap_or(50) as usize,
            start: parse_next_token(params.str("NextToken")?, "InvalidNextToken")?,
            command_id,
            instance_id: params.str("InstanceId")?,
            filters: super::api::key_value_filters(params, &COMMAND_FILTER_KEYS)?,
        })
    }
}

fn command_matches(command: &CommandRecord, filters: &[(String, String)]) -> bool {
    filters.iter().all(|(key, value)| match key.as_str() {
        "Status" => command.status().0 == value,
        "DocumentName" => &command.document == value,
        "ExecutionStage" => (command.finished.is_some()) == (value == "Complete"),
        "InvokedAfter" => super::ssm_api::parse_time(value).is_some_and(|t| command.requested >= t),
        "InvokedBefore" => {
            super::ssm_api::parse_time(value).is_some_and(|t| command.requested <= t)
        }
        _ => true,
    })
}

pub(crate) fn list_commands(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(
        input,
        &[
            "CommandId",
            "InstanceId",
            "MaxResults",
            "NextToken",
            "Filters",
        ],
    )?;
    let CommandQuery {
        max,
        start,
        command_id,
        instance_id,
        filters,
    } = CommandQuery::parse(&params)?;
    let store = state.commands.lock().map_err(|_| lock_error())?;
    let matching: Vec<Value> = store
        .commands
        .iter()
        .rev()
        .filter(|c| c.region == credential.region)
        .filter(|c| command_id.is_none_or(|id| c.id == id))
        .filter(|c| instance_id.is_none_or(|id| c.invocations.iter().any(|i| i.instance.id == id)))
        .filter(|c| command_matches(c, &filters))
        .map(CommandRecord::to_json)
        .collect();
    Ok(super::api::page_of("Commands", matching, start, max))
}

fn plugin_output(invocation: &Invocation) -> String {
    let mut output = truncate(&invocation.stdout, PLUGIN_OUTPUT_LIMIT).to_owned();
    if !invocation.stderr.is_empty() {
        output.push_str("\n----------ERROR-------\n");
        output.push_str(&invocation.stderr);
    }
    truncate(&output, PLUGIN_OUTPUT_LIMIT).to_owned()
}

pub(crate) fn list_command_invocations(
    state: &SimState,
    credential: &Credential,
    input: &Value,
) -> ApiResult {
    let params = Params::new(
        input,
        &[
            "CommandId",
            "InstanceId",
            "MaxResults",
            "NextToken",
            "Filters",
            "Details",
        ],
    )?;
    let CommandQuery {
        max,
        start,
        command_id,
        instance_id,
        filters,
    } = CommandQuery::parse(&params)?;
    let details = params
        .get("Details")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let store = state.commands.lock().map_err(|_| lock_error())?;
    let mut matching = Vec::new();
    for command in store
        .commands
        .iter()
        .rev()
        .filter(|c| c.region == credential.region)
    {
        if command_id.is_some_and(|id| command.id != id) || !command_matches(command, &filters) {
            continue;
        }
        for invocation in &command.invocations {
            if instance_id.is_some_and(|id| invocation.instance.id != id) {
                continue;
            }
            let plugins = if details {
                json!([{
                    "Name": command.plugin,
                    "Status": plugin_status(invocation.state),
                    "StatusDetails": invocation.state.details(),
                    "ResponseCode": invocation.response_code,
                    "ResponseStartDateTime": invocation.started.map(epoch_seconds),
                    "ResponseFinishDateTime": invocation.finished.map(epoch_seconds),
                    "Output": plugin_output(invocation),
                    "StandardOutputUrl": command.output_url(&invocation.instance.id, "stdout"),
                    "StandardErrorUrl": command.output_url(&invocation.instance.id, "stderr"),
                    "OutputS3Region": command.output_s3.as_ref().map_or(command.region.as_str(), |(r, _, _)| r.as_str()),
                    "OutputS3BucketName": command.output_s3.as_ref().map_or("", |(_, b, _)| b.as_str()),
                    "OutputS3KeyPrefix": command.output_s3.as_ref().map_or("", |(_, _, p)| p.as_str()),
                }])
            } else {
                json!([])
            };
            matching.push(json!({
                "CommandId": command.id,
                "InstanceId": invocation.instance.id,
                "InstanceName": invocation.instance.name(),
                "Comment": command.comment,
                "DocumentName": command.document,
                "DocumentVersion": "$DEFAULT",
                "RequestedDateTime": epoch_seconds(command.requested),
                "Status": invocation.state.status(),
                "StatusDetails": invocation.state.details(),
                "TraceOutput": "",
                "StandardOutputUrl": command.output_url(&invocation.instance.id, "stdout"),
                "StandardErrorUrl": command.output_url(&invocation.instance.id, "stderr"),
                "CommandPlugins": plugins,
                "ServiceRole": "",
                "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
                "CloudWatchOutputConfig": command.cloudwatch,
            }));
        }
    }
    Ok(super::api::page_of(
        "CommandInvocations",
        matching,
        start,
        max,
    ))
}

fn plugin_status(state: InvocationState) -> &'static str {
    match state {
        InvocationState::Delayed => "Pending",
        other => other.status(),
    }
}

pub(crate) fn get_command_invocation(state: &SimState, input: &Value) -> ApiResult {
    let params = Params::new(input, &["CommandId", "InstanceId", "PluginName"])?;
    let command_id = params.required_str("CommandId")?;
    valid_command_id(command_id)?;
    let instance_id = params.required_str("InstanceId")?;
    let store = state.commands.lock().map_err(|_| lock_error())?;
    let command = store
        .find(command_id)
        .ok_or_else(|| ApiError::new(400, "InvocationDoesNotExist", ""))?;
    if let Some(plugin) = params.str("PluginName")?
        && plugin != command.plugin
    {
        return Err(ApiError::new(400, "InvalidPluginName", ""));
    }
    let invocation = command
        .invocations
        .iter()
        .find(|i| i.instance.id == instance_id)
        .ok_or_else(|| ApiError::new(400, "InvocationDoesNotExist", ""))?;
    let iso = |time: Option<SystemTime>| {
        time.map(|t| iso8601(epoch_seconds(t) as i64))
            .unwrap_or_default()
    };
    let elapsed = match (invocation.started, invocation.finished) {
        (Some(start), Some(end)) => format!(
            "PT{:.3}S",
            end.duration_since(start).unwrap_or_default().as_secs_f64()
        ),
        _ => String::new(),
    };
    Ok(json!({
        "CommandId": command.id,
        "InstanceId": instance_id,
        "Comment": command.comment,
        "DocumentName": command.document,
        "DocumentVersion": "$DEFAULT",
        "PluginName": command.plugin,
        "ResponseCode": invocation.response_code,
        "ExecutionStartDateTime": iso(invocation.started),
        "ExecutionElapsedTime": elapsed,
        "ExecutionEndDateTime": iso(invocation.finished.filter(|_| invocation.started.is_some())),
        "Status": invocation.state.status(),
        "StatusDetails": invocation.state.details(),
        "StandardOutputContent": truncate(&invocation.stdout, STDOUT_LIMIT),
        "StandardOutputUrl": command.output_url(instance_id, "stdout"),
        "StandardErrorContent": truncate(&invocation.stderr, STDERR_LIMIT),
        "StandardErrorUrl": command.output_url(instance_id, "stderr"),
        "CloudWatchOutputConfig": command.cloudwatch,
    }))
}

pub(crate) fn cancel_command(state: &SimState, input: &Value) -> ApiResult {
    let params = Params::new(input, &["CommandId", "InstanceIds"])?;
    let command_id = params.required_str("CommandId")?;
    valid_command_id(command_id)?;
    let mut store = state.commands.lock().map_err(|_| lock_error())?;
    let command = store
        .find_mut(command_id)
        .ok_or_else(|| ApiError::new(400, "InvalidCommandId", ""))?;
    if command.finished.is_none() {
        command.cancelling = true;
        let _ = command.cancel.send(true);
    }
    Ok(json!({}))
}

/// The process slots all commands share.
pub(crate) fn process_slots() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(PROCESS_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_resolve_like_aws() {
        assert_eq!(resolve_limit("10", 200, true), 10);
        assert_eq!(resolve_limit("10%", 15, true), 2);
        assert_eq!(resolve_limit("1%", 3, true), 1);
        assert_eq!(resolve_limit("0", 200, false), 0);
        assert_eq!(resolve_limit("5%", 30, false), 1);
        assert!(valid_limit("100%", false));
        assert!(valid_limit("0", true));
        assert!(!valid_limit("0", false));
        assert!(!valid_limit("101%", false));
        assert!(!valid_limit("ten", true));
    }

    #[test]
    fn output_is_truncated_by_characters() {
        assert_eq!(truncate("héllo", 2), "hé");
        assert_eq!(truncate("hi", 10), "hi");
    }
}
