//! Run Command in the console, pure: the targets and their blast radius (shared with
//! `bosun run`), the compose form, the confirmation, and the watch grid of invocations with
//! their AWS life-cycle statuses, a summary, and the selected instance's output.

use std::collections::BTreeMap;

use super::grouping::Grouping;
use crate::app::editor::LineEditor;
use crate::model::canary::{canary_count, pick_canary};
use crate::model::run::{
    HistoryEntry, InvocationOutput, InvocationView, RunGroup, RunRequest, default_comment,
    needs_typed_count, parse_parameters,
};
use crate::model::status::{InvocationStatus, LIFE_CYCLE};

/// The compose form's fields, in order.
pub const COMPOSE_LABELS: [&str; 10] = [
    "command (enter: new line)",
    "document (empty: AWS-RunShellScript / AWS-RunPowerShellScript by platform)",
    "timeout, seconds",
    "max concurrency (number or %)",
    "max errors (number or %)",
    "comment",
    "S3 output: bucket or bucket/prefix (optional: keeps all the output)",
    "CloudWatch output: log group, or \"default\" (optional)",
    "parameters for another document: name=value; name=value (a,b for lists)",
    "canary: N or N% first, the rest only if all succeed (empty: all at once)",
];

/// Where the canary field is in the form.
const CANARY_FIELD: usize = 9;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCompose {
    pub groups: Vec<RunGroup>,
    /// Where the targets came from: "3 marked", "12 matching the filter".
    pub chosen_by: String,
    pub fields: [LineEditor; 10],
    pub focus: usize,
    pub error: Option<String>,
}

/// A number, or a number with %, as MaxConcurrency and MaxErrors take them.
impl RunCompose {
    pub fn new(groups: Vec<RunGroup>, chosen_by: String) -> RunCompose {
        RunCompose {
            groups,
            chosen_by,
            fields: [
                LineEditor::default(),
                LineEditor::default(),
                LineEditor::new("600"),
                LineEditor::new("50"),
                LineEditor::new("0"),
                LineEditor::default(),
                LineEditor::default(),
                LineEditor::default(),
                LineEditor::default(),
                LineEditor::default(),
            ],
            focus: 0,
            error: None,
        }
    }

    /// Set for AWS-UpdateSSMAgent (`U`): the document named, one canary first when there is
    /// more than one target, the focus on the canary to see it.
    pub fn for_agent_update(&mut self) {
        self.fields[1].set("AWS-UpdateSSMAgent");
        let targets: usize = self.groups.iter().map(|g| g.targets.len()).sum();
        if targets > 1 {
            self.fields[CANARY_FIELD].set("1");
        }
        self.focus = CANARY_FIELD;
    }

    /// The request the form describes, or what is wrong with it.
    pub fn to_request(&self) -> Result<RunRequest, String> {
        let script = self.fields[0].trim_end().to_owned();
        let parameters = parse_parameters(&self.fields[8])?;
        let document = self.fields[1].trim();
        if !parameters.is_empty() && document.is_empty() {
            return Err("parameters are for another document: name it".to_owned());
        }
        if crate::model::run::lacks_script(&script, Some(document), &parameters) {
            return Err("the command is empty".to_owned());
        }
        let timeout_seconds = self.fields[2]
            .trim()
            .parse::<u64>()
            .map_err(|_| "timeout: 1 to 172800 seconds".to_owned())?;
        let max_concurrency = self.fields[3].trim().to_owned();
        let max_errors = self.fields[4].trim().to_owned();
        crate::model::run::check_pace(timeout_seconds, &max_concurrency, &max_errors)?;
        let comment = match self.fields[5].trim() {
            "" => default_comment(&script, Some(document)),
            given => given.to_owned(),
        };
        let output_s3 = match self.fields[6].trim() {
            "" => None,
            given => {
                let (bucket, prefix) = given.split_once('/').unwrap_or((given, ""));
                if bucket.len() < 3 || bucket.contains(char::is_whitespace) {
                    return Err(format!("S3 output: {bucket:?} is not a bucket name"));
                }
                Some((bucket.to_owned(), prefix.to_owned()))
            }
        };
        let cloudwatch = match self.fields[7].trim() {
            "" => None,
            "default" => Some(None),
            group => Some(Some(group.to_owned())),
        };
        let mut request = RunRequest {
            groups: self.groups.clone(),
            script,
            document: (!document.is_empty()).then(|| document.to_owned()),
            timeout_seconds,
            max_concurrency,
            max_errors,
            // SendCommand takes 100 characters of comment.
            comment: comment.chars().take(100).collect(),
            output_s3,
            cloudwatch,
            parameters,
            canary: Vec::new(),
        };
        let total = request.targets().len();
        if let Some(count) = canary_count(&self.fields[CANARY_FIELD], total)? {
            request.canary = pick_canary(&request, count);
        }
        Ok(request)
    }
}

/// The confirmation before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfirm {
    pub request: RunRequest,
    /// What was typed, when the count must be typed.
    pub typed: LineEditor,
    /// Above this many targets the count must be typed.
    pub typed_above: usize,
    /// The last count typed wrong, said in the confirmation until the next try.
    pub mistyped: Option<String>,
}

impl RunConfirm {
    pub fn new(request: RunRequest, typed_above: usize) -> RunConfirm {
        RunConfirm {
            request,
            typed: LineEditor::default(),
            typed_above,
            mistyped: None,
        }
    }

    /// The count must be typed (many targets, or production among them).
    pub fn strict(&self) -> bool {
        needs_typed_count(&self.request.targets(), self.typed_above)
    }
}

/// A command being watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunWatch {
    pub request: RunRequest,
    pub command_ids: Vec<String>,
    pub invocations: Vec<InvocationView>,
    pub selected: usize,
    pub output: Option<InvocationOutput>,
    /// SendCommand or polling failed.
    pub error: Option<String>,
    pub throttled: bool,
    pub cancelled: bool,
    /// Reopened from the history: its targets are learnt from its invocations.
    pub reopened: bool,
    /// Why the command did not reach an instance, by instance id, as the doctor says: asked
    /// by itself for the first few (`None` until it answers), by `D` for any other.
    pub causes: BTreeMap<String, Option<String>>,
    /// Lines the output view is scrolled back from its end: 0 follows the newest lines.
    pub output_back: usize,
    /// The grouped mode: results by what they came to.
    pub grouping: Grouping,
    /// The canary stage, when the command runs on a few targets first.
    pub canary: Option<CanaryStage>,
}

/// A command that runs on its canary first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryStage {
    /// Targets in the canary.
    pub count: usize,
    /// Targets that wait for it.
    pub remaining: usize,
    pub outcome: CanaryOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanaryOutcome {
    Running,
    /// Every canary invocation succeeded; the rest waits for `C`.
    Passed,
    /// Some did not: the rest is not sent.
    Failed,
    /// Cancelled before the rest was sent: it never will be.
    Cancelled,
    /// The rest was sent.
    Continued,
}

impl RunWatch {
    pub fn new(request: RunRequest) -> RunWatch {
        let total = request.targets().len();
        let canary = (!request.canary.is_empty()).then(|| CanaryStage {
            count: request.canary.len(),
            remaining: total.saturating_sub(request.canary.len()),
            outcome: CanaryOutcome::Running,
        });
        RunWatch {
            request,
            command_ids: Vec::new(),
            invocations: Vec::new(),
            selected: 0,
            output: None,
            error: None,
            throttled: false,
            cancelled: false,
            reopened: false,
            causes: BTreeMap::new(),
            output_back: 0,
            grouping: Grouping::default(),
            canary,
        }
    }

    /// A command from the history, watched again.
    pub fn reopen(entry: &HistoryEntry) -> RunWatch {
        let mut watch = RunWatch::new(entry.request());
        watch.command_ids = vec![entry.command_id.clone()];
        watch.reopened = true;
        watch
    }

    /// Invocations per status, in AWS's life-cycle order (any other status after, by name).
    pub fn summary(&self) -> Vec<(InvocationStatus, usize)> {
        let mut counts: BTreeMap<&InvocationStatus, usize> = BTreeMap::new();
        for invocation in &self.invocations {
            *counts.entry(&invocation.status).or_default() += 1;
        }
        let mut summary: Vec<(InvocationStatus, usize)> = LIFE_CYCLE
            .iter()
            .filter_map(|s| counts.remove(s).map(|n| (s.clone(), n)))
            .collect();
        let mut others: Vec<(InvocationStatus, usize)> =
            counts.into_iter().map(|(s, n)| (s.clone(), n)).collect();
        others.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        summary.extend(others);
        summary
    }

    /// Invocations expected so far: the canary's until the rest is sent.
    pub fn expected(&self) -> usize {
        match &self.canary {
            Some(stage) if stage.outcome != CanaryOutcome::Continued => stage.count,
            _ => self.request.groups.iter().map(|g| g.targets.len()).sum(),
        }
    }

    /// The canary passed and the rest waits for `C`.
    pub fn waits_for_continue(&self) -> bool {
        self.canary
            .as_ref()
            .is_some_and(|stage| stage.outcome == CanaryOutcome::Passed)
    }

    pub fn finished(&self) -> bool {
        self.invocations.len() >= self.expected()
            && self.invocations.iter().all(InvocationView::finished)
    }

    pub fn selected_invocation(&self) -> Option<&InvocationView> {
        self.invocations.get(self.selected)
    }

    /// The doctor's cause for a group that was never delivered: its first member's that the
    /// doctor has answered for.
    pub fn group_cause(&self, group: &crate::model::run_groups::ResultGroup) -> Option<String> {
        if !group.output.is_empty() {
            return None;
        }
        group
            .instances
            .iter()
            .find_map(|id| self.causes.get(id).cloned().flatten())
    }

    /// The cause of the selected invocation not being reached, once the doctor has said it.
    pub fn selected_cause(&self) -> Option<&str> {
        let invocation = self.selected_invocation()?;
        self.causes.get(&invocation.instance_id)?.as_deref()
    }

    /// Lines of the output view for the selected invocation, as the watch view draws them
    /// (before long lines wrap): the cause, stdout, stderr under its heading, AWS's cut.
    pub fn output_line_count(&self) -> usize {
        if self.grouping.shown {
            return self.grouping.lines(|g| self.group_cause(g)).len();
        }
        let cause = usize::from(self.selected_cause().is_some());
        let body = match &self.output {
            None => 1,
            Some(output) if output.stdout.is_empty() && output.stderr.is_empty() => 1,
            Some(output) => {
                let stderr = if output.stderr.is_empty() {
                    0
                } else {
                    1 + output.stderr.lines().count()
                };
                output.stdout.lines().count() + stderr + usize::from(output.truncated)
            }
        };
        cause + body
    }

    /// The targets that did not succeed, for a re-run.
    pub fn failed_request(&self) -> Option<RunRequest> {
        let failed: Vec<&str> = self
            .invocations
            .iter()
            .filter(|i| i.finished() && i.status != InvocationStatus::Success)
            .map(|i| i.instance_id.as_str())
            .collect();
        if failed.is_empty() {
            return None;
        }
        let mut request = self.request.clone();
        // A re-run goes to the failed ones at once: the canary has had its say.
        request.canary.clear();
        for group in &mut request.groups {
            group.targets.retain(|t| failed.contains(&t.id.as_str()));
        }
        request.groups.retain(|g| !g.targets.is_empty());
        Some(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::run::RunTarget;

    fn target(id: &str) -> RunTarget {
        RunTarget {
            id: id.to_owned(),
            name: String::new(),
            environment: String::new(),
            team: String::new(),
            windows: false,
            online: true,
            ..RunTarget::default()
        }
    }

    #[test]
    fn the_form_checks_its_fields() {
        let groups = vec![RunGroup {
            profile: "p".to_owned(),
            region: "r".to_owned(),
            targets: vec![target("i-1")],
        }];
        let mut form = RunCompose::new(groups, "1 marked".to_owned());
        assert!(form.to_request().is_err(), "no command");
        form.fields[0].set("uptime\nhostname\n");
        let request = form.to_request().expect("valid");
        assert_eq!(request.script, "uptime\nhostname");
        assert_eq!(request.comment, "bosun: uptime");
        assert_eq!(
            (request.timeout_seconds, request.max_concurrency.as_str()),
            (600, "50")
        );
        form.fields[3].set("25%");
        assert!(form.to_request().is_ok());
        for bad in ["0", "ten", "%", "5%%"] {
            form.fields[3].set(bad);
            assert!(form.to_request().is_err(), "{bad}");
        }
        form.fields[3].set("10");
        form.fields[6].set("ops-logs/run-command/");
        form.fields[7].set("default");
        let request = form.to_request().expect("valid");
        assert_eq!(
            request.output_s3,
            Some(("ops-logs".to_owned(), "run-command/".to_owned()))
        );
        assert_eq!(request.cloudwatch, Some(None));
        form.fields[6].set("x");
        assert!(form.to_request().is_err(), "not a bucket name");
        form.fields[6].clear();
        form.fields[0].clear();
        form.fields[8].set("Operation=Install; PackageName=AmazonCloudWatchAgent");
        assert!(form.to_request().is_err(), "parameters need a document");
        form.fields[1].set("AWS-ConfigureAWSPackage");
        let request = form.to_request().expect("a document with parameters");
        assert_eq!(
            request.parameters[0],
            ("Operation".to_owned(), vec!["Install".to_owned()])
        );
        assert_eq!(request.comment, "bosun: AWS-ConfigureAWSPackage");
    }

    #[test]
    fn the_watch_summarises_and_rereuns_the_failed() {
        let request = RunRequest {
            groups: vec![RunGroup {
                profile: "p".to_owned(),
                region: "r".to_owned(),
                targets: vec![target("i-1"), target("i-2"), target("i-3")],
            }],
            script: "true".to_owned(),
            document: None,
            timeout_seconds: 60,
            max_concurrency: "50".to_owned(),
            max_errors: "0".to_owned(),
            comment: String::new(),
            output_s3: None,
            cloudwatch: None,
            parameters: Vec::new(),
            canary: Vec::new(),
        };
        let mut watch = RunWatch::new(request);
        let invocation = |id: &str, status: &str| InvocationView {
            instance_id: id.to_owned(),
            status: status.into(),
            ..InvocationView::default()
        };
        watch.invocations = vec![
            invocation("i-1", "Success"),
            invocation("i-2", "Failed"),
            invocation("i-3", "InProgress"),
        ];
        assert!(!watch.finished());
        assert_eq!(
            watch.summary(),
            vec![
                ("InProgress".into(), 1),
                ("Success".into(), 1),
                ("Failed".into(), 1)
            ]
        );
        watch.invocations[2].status = "Undeliverable".into();
        assert!(watch.finished());
        // A canary has had its say: the re-run goes to the failed ones at once.
        watch.request.canary = vec!["i-1".to_owned()];
        let rerun = watch.failed_request().expect("two failed");
        assert!(rerun.canary.is_empty());
        let ids: Vec<String> = rerun.targets().into_iter().map(|t| t.id).collect();
        assert_eq!(ids, ["i-2", "i-3"]);
    }
}
