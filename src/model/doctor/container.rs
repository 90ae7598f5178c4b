//! The doctor for a container: what the Containers view knows of its task (state, ECS Exec on,
//! the ExecuteCommandAgent, Fargate's platform version) judged as checks, with the cause and
//! fix `ContainerRow::exec_problem` names — no call to AWS, so it opens at once.

use super::{Check, Report, Verdict, check};
use crate::model::container::ContainerRow;

/// The doctor's report on `row`, in the shape of an instance's.
pub fn container_report(row: &ContainerRow) -> Report {
    let pass = |ok: bool| if ok { Verdict::Pass } else { Verdict::Fail };
    let mut checks: Vec<Check> = vec![
        check(
            "ecs",
            "task",
            pass(row.task_status == "RUNNING"),
            format!(
                "{} ({}, {} in {})",
                row.task_status, row.launch_type, row.task_id, row.cluster
            ),
        ),
        check(
            "ecs",
            "container",
            pass(row.container_status == "RUNNING"),
            format!("{} {}", row.container, row.container_status),
        ),
        check(
            "ecs",
            "exec enabled",
            pass(row.exec_enabled),
            if row.exec_enabled {
                "the task was started with enableExecuteCommand".to_owned()
            } else {
                "the task was started without enableExecuteCommand".to_owned()
            },
        ),
        check(
            "ecs",
            "exec agent",
            pass(row.exec_agent.as_deref() == Some("RUNNING")),
            row.exec_agent
                .clone()
                .unwrap_or_else(|| "none in the task".to_owned()),
        ),
    ];
    if let Some(version) = &row.platform_version {
        checks.push(check(
            "ecs",
            "platform version",
            pass(crate::model::container::fargate_has_exec(version)),
            version.clone(),
        ));
    }
    let problem = row.exec_problem();
    Report {
        instance_id: row.label(),
        region: row.region.clone(),
        checks,
        would_start: problem.is_none(),
        cause: problem.as_ref().map_or_else(
            || "none found: ECS Exec should reach it (a shell that still fails points at the task role's ssmmessages permissions)".to_owned(),
            |p| p.cause.clone(),
        ),
        fix: problem.map_or_else(
            || format!("`bosun shell {} --region {}`", row.label(), row.region),
            |p| p.fix,
        ),
        fallbacks: Vec::new(),
        endpoints: Vec::new(),
    }
}
