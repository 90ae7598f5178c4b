//! ECS through the SDK: the containers of one profile and region (clusters → services → tasks
//! → containers, with the EC2 instances EC2-launched tasks run on), an `ecs:` TARGET resolved
//! to one container, and ExecuteCommand, whose session is an SSM session bosun then drives.

use std::collections::HashMap;

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::Task;

use super::inventory::InventoryError;
use crate::model::container::{ContainerRow, EcsTarget, TASK_ROLE_FIX};

fn ecs_error(
    profile: &str,
    region: &str,
    api: &'static str,
    error: impl ProvideErrorMetadata + std::error::Error,
) -> InventoryError {
    InventoryError {
        profile: profile.to_owned(),
        region: region.to_owned(),
        api,
        throttled: error.code() == Some("ThrottlingException"),
        message: super::errors::describe_for(&error, Some(profile)),
    }
}

/// The last path part of an ARN (`…:task/CLUSTER/ID` → ID).
fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Every container of every task in every cluster of one profile and region, sorted by
/// cluster, service, task and container.
pub async fn fetch(
    ecs: &aws_sdk_ecs::Client,
    profile: &str,
    region: &str,
) -> Result<Vec<ContainerRow>, InventoryError> {
    let mut clusters = Vec::new();
    let mut pages = ecs.list_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ecs_error(profile, region, "ListClusters", e))?;
        clusters.extend(page.cluster_arns().iter().cloned());
    }
    let mut rows = Vec::new();
    for cluster in clusters {
        let mut task_arns = Vec::new();
        let mut pages = ecs.list_tasks().cluster(&cluster).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ecs_error(profile, region, "ListTasks", e))?;
            task_arns.extend(page.task_arns().iter().cloned());
        }
        let mut tasks: Vec<Task> = Vec::new();
        for batch in task_arns.chunks(100) {
            let described = ecs
                .describe_tasks()
                .cluster(&cluster)
                .set_tasks(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| ecs_error(profile, region, "DescribeTasks", e))?;
            tasks.extend(described.tasks().iter().cloned());
        }
        let instances = ec2_ids(ecs, &cluster, &tasks, profile, region).await?;
        for task in &tasks {
            rows.extend(rows_of(task, short(&cluster), &instances, profile, region));
        }
    }
    rows.sort_by(|a, b| {
        (&a.cluster, &a.service, &a.task_id, &a.container).cmp(&(
            &b.cluster,
            &b.service,
            &b.task_id,
            &b.container,
        ))
    });
    Ok(rows)
}

/// Container instance ARN → EC2 instance id, for the cluster's EC2-launched tasks.
async fn ec2_ids(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    tasks: &[Task],
    profile: &str,
    region: &str,
) -> Result<HashMap<String, String>, InventoryError> {
    let mut arns: Vec<String> = tasks
        .iter()
        .filter_map(|t| t.container_instance_arn().map(str::to_owned))
        .collect();
    arns.sort();
    arns.dedup();
    let mut ids = HashMap::new();
    for batch in arns.chunks(100) {
        let described = ecs
            .describe_container_instances()
            .cluster(cluster)
            .set_container_instances(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| ecs_error(profile, region, "DescribeContainerInstances", e))?;
        for instance in described.container_instances() {
            if let (Some(arn), Some(id)) = (
                instance.container_instance_arn(),
                instance.ec2_instance_id(),
            ) {
                ids.insert(arn.to_owned(), id.to_owned());
            }
        }
    }
    Ok(ids)
}

fn rows_of(
    task: &Task,
    cluster: &str,
    instances: &HashMap<String, String>,
    profile: &str,
    region: &str,
) -> Vec<ContainerRow> {
    let task_id = short(task.task_arn().unwrap_or_default()).to_owned();
    let service = task
        .group()
        .and_then(|g| g.strip_prefix("service:"))
        .unwrap_or_default()
        .to_owned();
    task.containers()
        .iter()
        .map(|container| ContainerRow {
            profile: profile.to_owned(),
            region: region.to_owned(),
            cluster: cluster.to_owned(),
            service: service.clone(),
            task_id: task_id.clone(),
            container: container.name().unwrap_or_default().to_owned(),
            runtime_id: container.runtime_id().unwrap_or_default().to_owned(),
            launch_type: task
                .launch_type()
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            task_status: task.last_status().unwrap_or_default().to_owned(),
            container_status: container.last_status().unwrap_or_default().to_owned(),
            health: container
                .health_status()
                .map(|h| h.as_str().to_owned())
                .unwrap_or_else(|| "UNKNOWN".to_owned()),
            exec_enabled: task.enable_execute_command(),
            exec_agent: container
                .managed_agents()
                .iter()
                .find(|a| a.name().map(|n| n.as_str()) == Some("ExecuteCommandAgent"))
                .and_then(|a| a.last_status().map(str::to_owned)),
            image: container.image().unwrap_or_default().to_owned(),
            cpu: task.cpu().unwrap_or_default().to_owned(),
            memory: task.memory().unwrap_or_default().to_owned(),
            platform_version: task.platform_version().map(str::to_owned),
            ec2_instance: task
                .container_instance_arn()
                .and_then(|arn| instances.get(arn).cloned()),
        })
        .collect()
}

/// Resolves an `ecs:` TARGET to one container: the task named (its one container, or the one
/// named), or, for a service, a running task of it that ECS Exec can reach (during a deploy
/// the first listed may still be starting).
pub async fn resolve(
    ecs: &aws_sdk_ecs::Client,
    target: &EcsTarget,
    profile: &str,
    region: &str,
) -> Result<ContainerRow, String> {
    let cluster = target.cluster();
    let said = |api: &str, error: &dyn std::fmt::Display| format!("{api} failed: {error}");
    let task_ids: Vec<String> = match target {
        EcsTarget::Task { task, .. } => vec![task.clone()],
        EcsTarget::Service { service, .. } => {
            let listed = ecs
                .list_tasks()
                .cluster(cluster)
                .service_name(service)
                .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
                .max_results(100)
                .send()
                .await
                .map_err(|e| said("ListTasks", &super::errors::describe_for(&e, Some(profile))))?;
            if listed.task_arns().is_empty() {
                return Err(format!(
                    "service {service} in cluster {cluster} has no running task ({region})"
                ));
            }
            listed
                .task_arns()
                .iter()
                .map(|arn| short(arn).to_owned())
                .collect()
        }
    };
    let described = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(task_ids.clone()))
        .send()
        .await
        .map_err(|e| {
            said(
                "DescribeTasks",
                &super::errors::describe_for(&e, Some(profile)),
            )
        })?;
    let tasks = described.tasks();
    let first = tasks
        .first()
        .ok_or_else(|| format!("no task {} in cluster {cluster} ({region})", task_ids[0]))?;
    let pick = |task: &Task| -> Result<ContainerRow, String> {
        let task_id = short(task.task_arn().unwrap_or_default()).to_owned();
        let rows = rows_of(task, cluster, &HashMap::new(), profile, region);
        match target.container() {
            Some(name) => rows
                .into_iter()
                .find(|r| r.container == name)
                .ok_or_else(|| format!("task {task_id} has no container {name}")),
            None if rows.len() > 1 => {
                let names: Vec<&str> = rows.iter().map(|r| r.container.as_str()).collect();
                Err(format!(
                    "task {task_id} has {} containers ({}): name one, ecs:{cluster}/{task_id}/{}",
                    rows.len(),
                    names.join(", "),
                    names[0]
                ))
            }
            None => rows
                .into_iter()
                .next()
                .ok_or_else(|| format!("task {task_id} has no container")),
        }
    };
    // The first task whose container exec reaches; else the first, whose problem is said.
    tasks
        .iter()
        .filter_map(|task| pick(task).ok())
        .find(|row| row.exec_problem().is_none())
        .map_or_else(|| pick(first), Ok)
}

/// ExecuteCommand on `row` (interactive, as ECS allows): the session to drive. A refusal
/// comes back as a sentence, with the cause and fix where the container's state says it.
pub async fn execute_command(
    ecs: &aws_sdk_ecs::Client,
    row: &ContainerRow,
    command: &str,
) -> Result<(String, String, String), String> {
    if let Some(problem) = row.exec_problem() {
        return Err(format!(
            "ECS Exec cannot reach {}: {}\n  fix: {}",
            row.label(),
            problem.cause,
            problem.fix
        ));
    }
    let answer = ecs
        .execute_command()
        .cluster(&row.cluster)
        .task(&row.task_id)
        .container(&row.container)
        .command(command)
        .interactive(true)
        .send()
        .await
        .map_err(|error| {
            let code = error.code().unwrap_or_default().to_owned();
            let said = super::errors::describe_for(&error, Some(&row.profile));
            if code == "TargetNotConnectedException" {
                format!(
                    "ECS Exec cannot reach {}: the agent in the task cannot connect to Session Manager ({said})\n  fix: {TASK_ROLE_FIX}",
                    row.label()
                )
            } else {
                format!("ExecuteCommand failed: {said}")
            }
        })?;
    let session = answer
        .session()
        .ok_or("ExecuteCommand answered without a session")?;
    match (
        session.session_id(),
        session.stream_url(),
        session.token_value(),
    ) {
        (Some(id), Some(url), Some(token)) => Ok((id.to_owned(), url.to_owned(), token.to_owned())),
        _ => Err("ExecuteCommand answered without a usable session".to_owned()),
    }
}
