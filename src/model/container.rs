//! Containers in ECS tasks, as bosun lists and reaches them: one row per container, the
//! `ecs:` TARGET forms a person types (`ecs:CLUSTER/TASK_ID[/CONTAINER]`, `ecs:CLUSTER/SERVICE`),
//! the SSM target ECS Exec sessions use (`ecs:CLUSTER_TASKID_RUNTIMEID`), and why exec cannot
//! work on a container, with the fix — as the doctor says it for instances.

use serde::Serialize;

/// The program a container's shell runs when nobody says otherwise (what `aws ecs
/// execute-command` is usually given).
pub const CONTAINER_SHELL: &str = "/bin/sh";

/// One container of a running (or stopping) task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ContainerRow {
    pub profile: String,
    pub region: String,
    pub cluster: String,
    /// The service that started the task (its `group` is `service:NAME`); empty otherwise.
    pub service: String,
    pub task_id: String,
    pub container: String,
    /// What the SSM target names (empty while the container has not started).
    pub runtime_id: String,
    /// FARGATE or EC2.
    pub launch_type: String,
    /// The task's lastStatus (RUNNING, PENDING, STOPPED…).
    pub task_status: String,
    /// The container's own lastStatus.
    pub container_status: String,
    /// The container's health (HEALTHY, UNHEALTHY, UNKNOWN).
    pub health: String,
    /// The task was started with `enableExecuteCommand`.
    pub exec_enabled: bool,
    /// The ExecuteCommandAgent's lastStatus, when the task has one.
    pub exec_agent: Option<String>,
    pub image: String,
    pub cpu: String,
    pub memory: String,
    /// Fargate's platform version.
    pub platform_version: Option<String>,
    /// For an EC2-launched task: the instance it runs on.
    pub ec2_instance: Option<String>,
}

impl ContainerRow {
    /// The SSM target of ECS Exec and port forwarding: `ecs:CLUSTER_TASKID_RUNTIMEID`.
    pub fn ssm_target(&self) -> String {
        format!("ecs:{}_{}_{}", self.cluster, self.task_id, self.runtime_id)
    }

    /// How a person names it: `ecs:CLUSTER/TASK_ID/CONTAINER`.
    pub fn label(&self) -> String {
        format!("ecs:{}/{}/{}", self.cluster, self.task_id, self.container)
    }

    /// Why ECS Exec cannot work on this container, and the fix; `None` when nothing listed
    /// stands in its way (the task role's permissions show only when a session is tried).
    pub fn exec_problem(&self) -> Option<ExecProblem> {
        // The common case, first and without building any sentence.
        let container_running =
            self.container_status.is_empty() || self.container_status == "RUNNING";
        if self.task_status == "RUNNING"
            && container_running
            && !self.runtime_id.is_empty()
            && self.exec_enabled
            && self.exec_agent.as_deref() == Some("RUNNING")
            && (self.launch_type != "FARGATE"
                || self
                    .platform_version
                    .as_deref()
                    .is_none_or(fargate_has_exec))
        {
            return None;
        }
        let update = format!(
            "aws ecs update-service --cluster {} --service {} --enable-execute-command --force-new-deployment --region {}",
            self.cluster,
            if self.service.is_empty() {
                "SERVICE"
            } else {
                &self.service
            },
            self.region
        );
        if self.task_status != "RUNNING" {
            return Some(ExecProblem {
                short: format!("task {}", self.task_status),
                cause: format!("the task is {}, not RUNNING", self.task_status),
                fix: "choose a running task of the service".to_owned(),
            });
        }
        if !container_running || self.runtime_id.is_empty() {
            let status = if self.container_status.is_empty() {
                "not started"
            } else {
                &self.container_status
            };
            return Some(ExecProblem {
                short: format!("container {status}"),
                cause: format!("the container is {status}, not RUNNING"),
                fix: "choose a running container of the task (or wait for this one to start)"
                    .to_owned(),
            });
        }
        if let Some(version) = &self.platform_version
            && self.launch_type == "FARGATE"
            && !fargate_has_exec(version)
        {
            return Some(ExecProblem {
                short: format!("platform {version}"),
                cause: format!("Fargate platform {version} has no ECS Exec (it came with 1.4.0)"),
                fix: format!(
                    "deploy on platform 1.4.0 or LATEST: {update} --platform-version LATEST"
                ),
            });
        }
        if !self.exec_enabled {
            return Some(ExecProblem {
                short: "not enabled".to_owned(),
                cause: "the task was started without enableExecuteCommand".to_owned(),
                fix: format!("turn it on and start new tasks: {update}"),
            });
        }
        match self.exec_agent.as_deref() {
            Some("RUNNING") => None,
            Some(other) => Some(ExecProblem {
                short: format!("agent {other}"),
                cause: format!("the ExecuteCommandAgent in the task is {other}, not RUNNING"),
                fix: format!(
                    "start new tasks (the agent starts with them): {update}; if it stops again, check the task role has the ssmmessages permissions"
                ),
            }),
            None => Some(ExecProblem {
                short: "no agent".to_owned(),
                cause: "the task has no ExecuteCommandAgent".to_owned(),
                fix: format!("turn exec on and start new tasks: {update}"),
            }),
        }
    }
}

/// Whether `filter` is a sentence of the containers' filter language: a `cluster:`,
/// `service:`, `status:` or `exec:` word needs a value, and `exec:` is `on` or `off`. Words
/// it does not understand are refused, never matched as nothing.
pub fn check_filter(filter: &str) -> Result<(), String> {
    for word in filter.split_whitespace() {
        let term = word.strip_prefix('!').unwrap_or(word).to_ascii_lowercase();
        for prefix in ["cluster:", "service:", "status:", "exec:"] {
            if term == prefix {
                return Err(format!("{word:?} needs a value after the colon"));
            }
        }
        if let Some(exec) = term.strip_prefix("exec:")
            && exec != "on"
            && exec != "off"
        {
            return Err(format!("exec:{exec} is not a choice (exec:on or exec:off)"));
        }
    }
    Ok(())
}

impl ContainerRow {
    /// The filter language of `bosun ls --containers` and the Containers view (see
    /// `check_filter` for what it refuses): words match
    /// anywhere (cluster, service, task, container, image), `cluster:C`, `service:S`,
    /// `status:S` (the task's lastStatus, or `exec:on` / `exec:off`); all must hold, `!`
    /// negates.
    pub fn matches(&self, filter: &str) -> bool {
        filter.split_whitespace().all(|term| {
            let (negated, term) = match term.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, term),
            };
            let lower = term.to_ascii_lowercase();
            let hit = if let Some(cluster) = lower.strip_prefix("cluster:") {
                self.cluster.to_ascii_lowercase() == cluster
            } else if let Some(service) = lower.strip_prefix("service:") {
                self.service.to_ascii_lowercase() == service
            } else if let Some(status) = lower.strip_prefix("status:") {
                self.task_status.eq_ignore_ascii_case(status)
            } else if let Some(exec) = lower.strip_prefix("exec:") {
                (exec == "on") == self.exec_problem().is_none()
            } else {
                [
                    &self.cluster,
                    &self.service,
                    &self.task_id,
                    &self.container,
                    &self.image,
                ]
                .iter()
                .any(|field| field.to_ascii_lowercase().contains(&lower))
            };
            hit != negated
        })
    }
}

/// Why exec cannot work, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecProblem {
    /// A few words, for a table's column ("not enabled", "agent STOPPED").
    pub short: String,
    pub cause: String,
    pub fix: String,
}

/// What ExecuteCommand's TargetNotConnectedException means: the agent in the task cannot
/// reach Session Manager, nearly always the task role.
pub const TASK_ROLE_FIX: &str = "the task role needs ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel (and the task a way out to ssmmessages: a NAT, a public IP or its VPC endpoint)";

/// Fargate platform versions from 1.4.0 (and LATEST) have ECS Exec.
pub fn fargate_has_exec(version: &str) -> bool {
    if version == "LATEST" {
        return true;
    }
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts >= vec![1, 4, 0]
}

/// A container as a TARGET names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcsTarget {
    /// `ecs:CLUSTER/TASK_ID[/CONTAINER]`: that task (the container may be left out when the
    /// task has one).
    Task {
        cluster: String,
        task: String,
        container: Option<String>,
    },
    /// `ecs:CLUSTER/SERVICE[/CONTAINER]`: a running task of the service.
    Service {
        cluster: String,
        service: String,
        container: Option<String>,
    },
}

impl EcsTarget {
    /// Parses `ecs:…`; `None` when `text` is not an ECS target at all, an error when it is one
    /// written wrong.
    pub fn parse(text: &str) -> Option<Result<EcsTarget, String>> {
        let rest = text.strip_prefix("ecs:")?;
        let parts: Vec<&str> = rest.split('/').collect();
        let bad = || {
            format!(
                "{text:?}: write ecs:CLUSTER/TASK_ID[/CONTAINER] or ecs:CLUSTER/SERVICE[/CONTAINER]"
            )
        };
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return Some(Err(bad()));
        }
        let cluster = parts[0].to_owned();
        let container = parts.get(2).map(|c| (*c).to_owned());
        // Task ids are 32 hex characters; anything else names a service.
        let is_task = parts[1].len() == 32 && parts[1].bytes().all(|b| b.is_ascii_hexdigit());
        Some(Ok(if is_task {
            EcsTarget::Task {
                cluster,
                task: parts[1].to_owned(),
                container,
            }
        } else {
            EcsTarget::Service {
                cluster,
                service: parts[1].to_owned(),
                container,
            }
        }))
    }

    pub fn cluster(&self) -> &str {
        match self {
            EcsTarget::Task { cluster, .. } | EcsTarget::Service { cluster, .. } => cluster,
        }
    }

    pub fn container(&self) -> Option<&str> {
        match self {
            EcsTarget::Task { container, .. } | EcsTarget::Service { container, .. } => {
                container.as_deref()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_a_task_or_a_service() {
        let task = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            EcsTarget::parse(&format!("ecs:shop/{task}/envoy")),
            Some(Ok(EcsTarget::Task {
                cluster: "shop".to_owned(),
                task: task.to_owned(),
                container: Some("envoy".to_owned()),
            }))
        );
        assert_eq!(
            EcsTarget::parse("ecs:shop/web"),
            Some(Ok(EcsTarget::Service {
                cluster: "shop".to_owned(),
                service: "web".to_owned(),
                container: None,
            }))
        );
        assert!(EcsTarget::parse("i-0123456789abcdef0").is_none());
        for bad in ["ecs:", "ecs:shop", "ecs:shop//app", "ecs:a/b/c/d"] {
            assert!(matches!(EcsTarget::parse(bad), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn the_filter_refuses_what_it_does_not_understand() {
        assert_eq!(check_filter("cluster:prod !exec:off web"), Ok(()));
        assert_eq!(check_filter("EXEC:ON"), Ok(()));
        let yes = check_filter("exec:yes").expect_err("refused");
        assert!(yes.contains("exec:on or exec:off"), "{yes}");
        assert!(check_filter("!status:").is_err());
        assert!(check_filter("cluster:").is_err());
    }

    #[test]
    fn each_reason_exec_cannot_work_has_its_cause_and_fix() {
        let running = ContainerRow {
            cluster: "shop".to_owned(),
            service: "web".to_owned(),
            task_id: "t".to_owned(),
            runtime_id: "t-1".to_owned(),
            region: "us-east-1".to_owned(),
            launch_type: "FARGATE".to_owned(),
            task_status: "RUNNING".to_owned(),
            exec_enabled: true,
            exec_agent: Some("RUNNING".to_owned()),
            platform_version: Some("1.4.0".to_owned()),
            ..ContainerRow::default()
        };
        assert_eq!(running.exec_problem(), None);
        assert_eq!(running.ssm_target(), "ecs:shop_t_t-1");
        let off = ContainerRow {
            exec_enabled: false,
            exec_agent: None,
            ..running.clone()
        };
        let problem = off.exec_problem().expect("a problem");
        assert!(problem.cause.contains("without enableExecuteCommand"));
        assert!(
            problem
                .fix
                .contains("--service web --enable-execute-command --force-new-deployment")
        );
        let stopped = ContainerRow {
            exec_agent: Some("STOPPED".to_owned()),
            ..running.clone()
        };
        assert!(
            stopped
                .exec_problem()
                .expect("agent")
                .cause
                .contains("STOPPED")
        );
        let old = ContainerRow {
            platform_version: Some("1.3.0".to_owned()),
            ..running.clone()
        };
        assert!(old.exec_problem().expect("old").cause.contains("1.3.0"));
        let ec2 = ContainerRow {
            launch_type: "EC2".to_owned(),
            platform_version: None,
            ..running
        };
        assert_eq!(ec2.exec_problem(), None);
    }
}
