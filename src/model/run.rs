//! Run Command's vocabulary, shared by `bosun run`, the console and the runs service: the
//! targets and their blast radius, a request ready to send, a recent command, and what one
//! invocation reports.

use std::collections::BTreeMap;

use super::document::Document;
use super::instance::{InstanceRow, Ping};
use super::status::InvocationStatus;

/// Above this many targets the user types the count to confirm (as for production), unless
/// the configuration says otherwise (`run_confirm_above`).
pub const CONFIRM_BY_COUNT_ABOVE: usize = 10;

/// One target as the blast radius shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunTarget {
    pub id: String,
    pub name: String,
    pub environment: String,
    pub team: String,
    pub windows: bool,
    pub online: bool,
    /// The address SSM reports (for grouping by shape: an instance's own address in its
    /// output is not a difference).
    pub private_ip: String,
    /// Where it runs (canaries are spread across availability zones).
    pub az: String,
}

impl RunTarget {
    pub fn from_row(row: &InstanceRow) -> RunTarget {
        let tag = |key: &str| row.tags.get(key).cloned().unwrap_or_default();
        RunTarget {
            id: row.instance_id.clone(),
            name: row.name.clone(),
            environment: tag("Environment"),
            team: tag("Team"),
            windows: row.platform.eq_ignore_ascii_case("windows"),
            online: row.ping == Ping::Online,
            private_ip: row.private_ip.clone().unwrap_or_default(),
            az: row.availability_zone.clone().unwrap_or_default(),
        }
    }

    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.id.clone()
        } else {
            format!("{} {}", self.name, self.id)
        }
    }

    pub fn is_production(&self) -> bool {
        matches!(
            self.environment.to_ascii_lowercase().as_str(),
            "production" | "prod" | "prd"
        )
    }
}

/// The user must type the count: more than `above` targets, or any in production.
pub fn needs_typed_count(targets: &[RunTarget], above: usize) -> bool {
    targets.len() > above || targets.iter().any(RunTarget::is_production)
}

/// "production 3, staging 1" for one tag.
pub fn count_by(targets: &[RunTarget], key: impl Fn(&RunTarget) -> &str) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for target in targets {
        let value = key(target);
        *counts
            .entry(if value.is_empty() {
                "(untagged)"
            } else {
                value
            })
            .or_default() += 1;
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The blast radius, before anything runs: one line each.
pub fn blast_radius(targets: &[RunTarget], region: &str, script: &str) -> Vec<String> {
    let who = if targets.iter().any(|t| t.windows) {
        "root/SYSTEM"
    } else {
        "root"
    };
    let mut lines = vec![
        format!(
            "Runs as {who} on {} instance{} in {region}:",
            targets.len(),
            if targets.len() == 1 { "" } else { "s" },
        ),
        format!("  environments: {}", count_by(targets, |t| &t.environment)),
        format!("  teams: {}", count_by(targets, |t| &t.team)),
    ];
    let offline: Vec<&RunTarget> = targets.iter().filter(|t| !t.online).collect();
    if !offline.is_empty() {
        let names: Vec<String> = offline.iter().take(5).map(|t| t.label()).collect();
        let more = if offline.len() > 5 {
            format!(" and {} more", offline.len() - 5)
        } else {
            String::new()
        };
        lines.push(format!(
            "  offline, will be Undeliverable: {} ({}{more})",
            offline.len(),
            names.join(", ")
        ));
    }
    lines.push(format!("  command: {script}"));
    lines
}

/// The targets of one profile and region: SendCommand is regional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunGroup {
    pub profile: String,
    pub region: String,
    pub targets: Vec<RunTarget>,
}

/// A command ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunRequest {
    pub groups: Vec<RunGroup>,
    pub script: String,
    /// `None`: AWS-RunShellScript for Linux, AWS-RunPowerShellScript for Windows.
    pub document: Option<String>,
    pub timeout_seconds: u64,
    pub max_concurrency: String,
    pub max_errors: String,
    pub comment: String,
    /// The full output to S3: (bucket, key prefix).
    pub output_s3: Option<(String, String)>,
    /// The output to CloudWatch Logs: `Some(None)` for the default log group.
    pub cloudwatch: Option<Option<String>>,
    /// Parameters for another document; empty for the shell-script documents, which take the
    /// command and the timeout.
    pub parameters: Vec<(String, Vec<String>)>,
    /// Instance ids that run first (`canary::pick_canary`); the others only once every one of
    /// these succeeded. Empty: all at once.
    pub canary: Vec<String>,
}

/// The script documents' executionTimeout: 1 second to 48 hours.
pub const TIMEOUT_SECONDS: std::ops::RangeInclusive<u64> = 1..=172_800;

/// MaxConcurrency and MaxErrors as AWS takes them (botocore's patterns): a count, or a
/// percentage up to 100 %; MaxErrors may be 0 (or 0–9 %), MaxConcurrency may not.
fn valid_limit(text: &str, zero_allowed: bool) -> bool {
    let percent = text.ends_with('%');
    let digits = text.strip_suffix('%').unwrap_or(text);
    !digits.is_empty()
        && text.len() <= 7
        && digits.chars().all(|c| c.is_ascii_digit())
        && (!digits.starts_with('0') || digits == "0" && zero_allowed)
        && (!percent || digits.parse::<u32>().is_ok_and(|p| p <= 100))
}

/// The run's pace, checked before anything is sent (the console's form and `bosun run` say
/// the same): what is wrong, with what was given.
pub fn check_pace(
    timeout_seconds: u64,
    max_concurrency: &str,
    max_errors: &str,
) -> Result<(), String> {
    if !TIMEOUT_SECONDS.contains(&timeout_seconds) {
        return Err(format!(
            "timeout: 1 to 172800 seconds, not {timeout_seconds}"
        ));
    }
    if !valid_limit(max_concurrency, false) {
        return Err(format!(
            "max concurrency: a number from 1, or a percentage from 1% to 100%, not {max_concurrency:?}"
        ));
    }
    if !valid_limit(max_errors, true) {
        return Err(format!(
            "max errors: a number from 0, or a percentage up to 100%, not {max_errors:?}"
        ));
    }
    Ok(())
}

/// Whether a request with this document (`None` or empty: the platform's script document)
/// and these parameters is missing its script.
pub fn lacks_script(
    script: &str,
    document: Option<&str>,
    parameters: &[(String, Vec<String>)],
) -> bool {
    script.trim().is_empty()
        && parameters.is_empty()
        && document.is_none_or(|name| {
            name.is_empty() || Document::named(name).is_some_and(Document::takes_a_script)
        })
}

impl RunRequest {
    /// Whether this request sends a script as `commands` (and the timeout), rather than a
    /// document's own parameters (perhaps none).
    pub fn takes_script(&self) -> bool {
        self.parameters.is_empty() && !self.script.trim().is_empty()
    }

    pub fn targets(&self) -> Vec<RunTarget> {
        self.groups
            .iter()
            .flat_map(|g| g.targets.iter().cloned())
            .collect()
    }

    pub fn regions(&self) -> String {
        let mut regions: Vec<&str> = self.groups.iter().map(|g| g.region.as_str()).collect();
        regions.dedup();
        regions.join(", ")
    }

    /// What runs, on one line: the script, or another document with its parameters.
    pub fn what(&self) -> String {
        if self.takes_script() {
            return self.script.replace('\n', "; ");
        }
        let parameters: Vec<String> = self
            .parameters
            .iter()
            .map(|(name, values)| format!("{name}={}", values.join(",")))
            .collect();
        let document = self.document.as_deref().unwrap_or_default();
        if parameters.is_empty() {
            return document.to_owned();
        }
        format!("{document} {}", parameters.join(" "))
    }

    /// The blast radius of this request: who runs what where, and where the output goes when
    /// it goes beyond the API's cut.
    pub fn blast_radius(&self) -> Vec<String> {
        let mut lines = blast_radius(&self.targets(), &self.regions(), &self.what());
        // Across profiles (or an organisation's accounts), each is named with its count:
        // where the command lands is the first thing to know.
        let mut by_profile: Vec<(&str, usize)> = Vec::new();
        for group in &self.groups {
            match by_profile.iter_mut().find(|(p, _)| *p == group.profile) {
                Some((_, count)) => *count += group.targets.len(),
                None => by_profile.push((&group.profile, group.targets.len())),
            }
        }
        if by_profile.len() > 1 {
            let listed: Vec<String> = by_profile
                .iter()
                .map(|(profile, count)| format!("{profile} {count}"))
                .collect();
            lines.insert(
                1,
                format!(
                    "  {} accounts/profiles: {}",
                    by_profile.len(),
                    listed.join(", ")
                ),
            );
        }
        let mut outputs = Vec::new();
        if let Some((bucket, prefix)) = &self.output_s3 {
            outputs.push(format!("s3://{bucket}/{prefix}"));
        }
        match &self.cloudwatch {
            Some(Some(group)) => outputs.push(format!("CloudWatch Logs {group}")),
            Some(None) => outputs.push("CloudWatch Logs (the default group)".to_owned()),
            None => {}
        }
        if !outputs.is_empty() {
            lines.push(format!("  output: {}", outputs.join(", ")));
        }
        lines.push(format!("  {}", self.pace()));
        if !self.canary.is_empty() {
            let total = self.groups.iter().map(|g| g.targets.len()).sum::<usize>();
            let names: Vec<String> = self
                .targets()
                .iter()
                .filter(|t| self.canary.contains(&t.id))
                .map(RunTarget::label)
                .collect();
            lines.push(format!(
                "  canary first: {} ({}); the other {} only if every one succeeds",
                self.canary.len(),
                names.join(", "),
                total - self.canary.len()
            ));
        }
        lines.extend(self.platform_warning());
        lines
    }

    /// How fast the command spreads and when it stops: MaxConcurrency, MaxErrors (AWS stops
    /// sending once the errors exceed it) and, for a script, each instance's timeout.
    fn pace(&self) -> String {
        let stops = match self.max_errors.as_str() {
            "0" => "none started after the first error".to_owned(),
            n => format!("none started once more than {n} fail"),
        };
        let mut pace = format!("at most {} at once; {stops}", self.max_concurrency);
        if self.takes_script() {
            let seconds = self.timeout_seconds;
            let timeout = match seconds {
                s if s % 3600 == 0 => format!("{}h", s / 3600),
                s if s % 60 == 0 => format!("{}m", s / 60),
                s => format!("{s}s"),
            };
            pace.push_str(&format!("; each runs at most {timeout}"));
        }
        pace
    }

    /// Linux and Windows targets together: one text runs in sh on some and in PowerShell on
    /// the others, or a named script document does not run on some at all.
    fn platform_warning(&self) -> Option<String> {
        let targets = self.targets();
        let windows = targets.iter().filter(|t| t.windows).count();
        let linux = targets.len() - windows;
        if windows == 0 || linux == 0 || !self.takes_script() {
            return None;
        }
        Some(match self.document.as_deref().filter(|d| !d.is_empty()) {
            None => format!(
                "  ⚠ mixed platforms: the same text runs in sh on {linux} Linux and in PowerShell on {windows} Windows"
            ),
            Some(document) => format!(
                "  ⚠ mixed platforms: {document} runs on one of them only; the other {} will be InvalidPlatform",
                if document.contains("PowerShell") {
                    linux
                } else {
                    windows
                }
            ),
        })
    }
}

/// The comment a command gets when none is given: "bosun: " and the script's first line (or
/// the document), cut to the 100 characters SendCommand takes.
pub fn default_comment(script: &str, document: Option<&str>) -> String {
    let first = script.lines().next().unwrap_or_default();
    let what = if first.trim().is_empty() {
        document.unwrap_or_default()
    } else {
        first
    };
    let comment = format!("bosun: {what}");
    if comment.chars().count() <= 100 {
        return comment;
    }
    comment.chars().take(99).collect::<String>() + "…"
}

/// `name=value; name=a,b` as a document's parameters.
pub fn parse_parameters(text: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, values) = pair
                .split_once('=')
                .ok_or_else(|| format!("parameter {pair:?}: write name=value"))?;
            let name = name.trim();
            if name.is_empty() {
                return Err(format!("parameter {pair:?} has no name"));
            }
            Ok((
                name.to_owned(),
                values.split(',').map(|v| v.trim().to_owned()).collect(),
            ))
        })
        .collect()
}

/// Groups rows by profile and region, in the order they come.
pub fn groups_of(rows: &[&InstanceRow]) -> Vec<RunGroup> {
    let mut groups: Vec<RunGroup> = Vec::new();
    for row in rows {
        let target = RunTarget::from_row(row);
        match groups
            .iter_mut()
            .find(|g| g.profile == row.profile && g.region == row.region)
        {
            Some(group) => group.targets.push(target),
            None => groups.push(RunGroup {
                profile: row.profile.clone(),
                region: row.region.clone(),
                targets: vec![target],
            }),
        }
    }
    groups
}

/// A recent command (ListCommands), to reopen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryEntry {
    pub command_id: String,
    pub profile: String,
    pub region: String,
    pub document: String,
    pub script: String,
    pub comment: String,
    pub status: InvocationStatus,
    /// Seconds since the epoch.
    pub requested_at: Option<i64>,
    pub target_count: i32,
    pub timeout_seconds: u64,
    pub max_concurrency: String,
    pub max_errors: String,
}

impl HistoryEntry {
    /// The request it was, for the watch view and a re-run (targets come as it is watched).
    pub fn request(&self) -> RunRequest {
        RunRequest {
            groups: vec![RunGroup {
                profile: self.profile.clone(),
                region: self.region.clone(),
                targets: Vec::new(),
            }],
            script: self.script.clone(),
            document: Some(self.document.clone()),
            timeout_seconds: self.timeout_seconds,
            max_concurrency: self.max_concurrency.clone(),
            max_errors: self.max_errors.clone(),
            comment: self.comment.clone(),
            output_s3: None,
            cloudwatch: None,
            parameters: Vec::new(),
            canary: Vec::new(),
        }
    }
}

/// One instance's invocation as the grid shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvocationView {
    pub command_id: String,
    pub instance_id: String,
    pub name: String,
    /// AWS's status, or its StatusDetails when they say more (Undeliverable, Terminated…).
    pub status: InvocationStatus,
    /// AWS's status and StatusDetails as they came.
    pub aws_status: InvocationStatus,
    pub status_details: Option<InvocationStatus>,
    /// The script's exit code; none when it did not run.
    pub exit_code: Option<i32>,
    /// AWS's ResponseCode as it came (-1 when the script did not run).
    pub response_code: Option<i32>,
    pub duration_ms: Option<u64>,
}

impl InvocationView {
    /// The status a summary counts it under: StatusDetails whenever they say more than the
    /// status (DeliveryTimedOut, ExecutionTimedOut, Undeliverable…).
    pub fn summary_status(&self) -> &InvocationStatus {
        self.status_details.as_ref().unwrap_or(&self.aws_status)
    }

    /// The exit code to show: AWS's -1 (the script never ran) only where the invocation did
    /// not succeed, so a -1 never reads as a success's code.
    pub fn shown_exit_code(&self) -> Option<i32> {
        self.response_code
            .filter(|&code| code != -1 || self.aws_status != InvocationStatus::Success)
    }

    pub fn finished(&self) -> bool {
        !self.status.is_running()
    }
}

/// The selected instance's output (GetCommandInvocation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvocationOutput {
    pub instance_id: String,
    pub stdout: String,
    pub stderr: String,
    /// AWS keeps 24,000 characters of stdout and 8,000 of stderr.
    pub truncated: bool,
    pub s3_location: Option<String>,
}
