//! Run Command in the simulator: SendCommand resolves its targets, then a coordinator runs one
//! real process per invocation (the script in `sh -c`, INSTANCE_ID and the instance's tags in
//! the environment) under MaxConcurrency and MaxErrors and a global process limit, through
//! AWS's life cycle: Pending, Delayed, InProgress, then Success, Failed, TimedOut or Cancelled,
//! with Undeliverable (offline targets) and Terminated (stopped by MaxErrors) as status details.

mod query;
mod runner;
mod send;

pub(crate) use query::{
    cancel_command, get_command_invocation, list_command_invocations, list_commands,
};
use runner::{coordinate, truncate};
pub(crate) use send::send_command;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::sync::{Semaphore, watch};

use super::SimState;
use super::api::{ApiError, ApiResult, Params, epoch_seconds, parse_next_token};
use super::fleet::{CURRENT_AGENT_VERSION, Instance, Platform, version_greater};
use super::process::{env_name, kill_group};
use super::sigv4::Credential;
use crate::model::format::iso8601;

/// Processes the simulator runs at once across all commands.
pub(crate) const PROCESS_LIMIT: usize = 16;
/// Output kept per stream and invocation; the APIs truncate further.
const OUTPUT_CAP: usize = 1024 * 1024;
const PLUGIN_OUTPUT_LIMIT: usize = 2_500;
const STDOUT_LIMIT: usize = 24_000;
const STDERR_LIMIT: usize = 8_000;
/// The documents the simulator runs: (name, plugin, the one platform it runs on (`None`:
/// every platform), its parameters (those marked `true` are required)).
const DOCUMENTS: [Document; 3] = [
    Document {
        name: "AWS-RunShellScript",
        plugin: "aws:runShellScript",
        platform: Some(Platform::Linux),
        parameters: &SCRIPT_PARAMETERS,
    },
    Document {
        name: "AWS-RunPowerShellScript",
        plugin: "aws:runPowerShellScript",
        platform: Some(Platform::Windows),
        parameters: &SCRIPT_PARAMETERS,
    },
    Document {
        name: "AWS-UpdateSSMAgent",
        plugin: UPDATE_AGENT_PLUGIN,
        platform: None,
        parameters: &[("version", false), ("allowDowngrade", false)],
    },
];
const SCRIPT_PARAMETERS: [(&str, bool); 3] = [
    ("commands", true),
    ("executionTimeout", false),
    ("workingDirectory", false),
];
const UPDATE_AGENT_PLUGIN: &str = "aws:updateSsmAgent";

#[derive(Debug, Clone, Copy)]
struct Document {
    name: &'static str,
    plugin: &'static str,
    platform: Option<Platform>,
    parameters: &'static [(&'static str, bool)],
}

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
