//! ECS in the JSON 1.1 protocol (`AmazonEC2ContainerServiceV20141113.*`, camelCase members, as
//! botocore's model has them): ListClusters, DescribeClusters, ListServices, DescribeServices,
//! ListTasks, DescribeTasks, DescribeContainerInstances and ExecuteCommand, whose session is an
//! SSM session on the container (`ecs:CLUSTER_TASKID_RUNTIMEID`) run by the simulated agent.

use std::sync::Arc;

use serde_json::{Value, json};

use super::api::{ApiError, ApiResult, Params, next_token, parse_next_token, strings};
use super::ecs::{Task, as_instance};
use super::session_agent::{self, SessionKind};
use super::sigv4::Credential;
use super::{SimState, api::epoch_seconds};

pub(crate) fn dispatch(
    state: &Arc<SimState>,
    credential: &Credential,
    operation: &str,
    input: &Value,
) -> ApiResult {
    match operation {
        "ListClusters" => list_clusters(state, credential, input),
        "DescribeClusters" => describe_clusters(state, credential, input),
        "ListServices" => list_services(state, credential, input),
        "DescribeServices" => describe_services(state, credential, input),
        "ListTasks" => list_tasks(state, credential, input),
        "DescribeTasks" => describe_tasks(state, credential, input),
        "DescribeContainerInstances" => describe_container_instances(state, credential, input),
        "ExecuteCommand" => execute_command(state, credential, input),
        _ => Err(ApiError::unknown_operation(operation)),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameterException", message)
}

fn cluster_not_found() -> ApiError {
    ApiError::new(400, "ClusterNotFoundException", "Cluster not found.")
}

fn cluster_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:ecs:{region}:{account}:cluster/{name}")
}

/// The last path part of a name or an ARN (`arn:…:cluster/NAME` → NAME).
fn short(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
}

/// The cluster a request names (`default` when it names none), in the caller's region.
fn cluster_of<'a>(
    state: &'a SimState,
    credential: &Credential,
    name: Option<&str>,
) -> Result<&'a super::specs::EcsClusterSpec, ApiError> {
    let wanted = short(name.unwrap_or("default"));
    state
        .fleet
        .ecs_clusters
        .iter()
        .find(|c| c.name == wanted && c.region == credential.region)
        .ok_or_else(cluster_not_found)
}

/// A page of ARNs (`maxResults` 1–100, `default` when absent, as each List call has its
/// own), with `nextToken` when more follow.
fn arn_page(list_key: &str, arns: Vec<String>, params: &Params, default: i64) -> ApiResult {
    let max = params.bounded("maxResults", 1, 100)?.unwrap_or(default) as usize;
    let start = parse_next_token(params.str("nextToken")?, "InvalidParameterException")?;
    let total = arns.len();
    let page: Vec<String> = arns.into_iter().skip(start).take(max).collect();
    let mut output = json!({ list_key: page });
    if let Some(token) = next_token(start + max, total) {
        output["nextToken"] = json!(token);
    }
    Ok(output)
}

fn list_clusters(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(input, &["nextToken", "maxResults"])?;
    let arns = state
        .fleet
        .ecs_clusters
        .iter()
        .filter(|c| c.region == credential.region)
        .map(|c| cluster_arn(&c.region, &c.account, &c.name))
        .collect();
    arn_page("clusterArns", arns, &params, 100)
}

fn region_tasks<'a>(state: &'a SimState, credential: &Credential) -> Vec<&'a Task> {
    state
        .ecs_tasks
        .iter()
        .filter(|t| t.region == credential.region)
        .collect()
}

fn describe_clusters(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(input, &["clusters", "include"])?;
    let wanted = params
        .get("clusters")
        .map(strings)
        .unwrap_or_else(|| vec!["default".to_owned()]);
    let all_tasks = region_tasks(state, credential);
    let mut clusters = Vec::new();
    let mut failures = Vec::new();
    for name in &wanted {
        match cluster_of(state, credential, Some(name)) {
            Ok(cluster) => {
                let services = state
                    .fleet
                    .ecs_services
                    .iter()
                    .filter(|s| s.cluster == cluster.name)
                    .count();
                let running = all_tasks
                    .iter()
                    .filter(|t| t.cluster == cluster.name)
                    .count();
                clusters.push(json!({
                    "clusterArn": cluster_arn(&cluster.region, &cluster.account, &cluster.name),
                    "clusterName": cluster.name,
                    "status": "ACTIVE",
                    "registeredContainerInstancesCount": 0,
                    "runningTasksCount": running,
                    "pendingTasksCount": 0,
                    "activeServicesCount": services,
                }));
            }
            Err(_) => failures.push(json!({"arn": name, "reason": "MISSING"})),
        }
    }
    Ok(json!({"clusters": clusters, "failures": failures}))
}

fn service_arn(task_region: &str, account: &str, cluster: &str, name: &str) -> String {
    format!("arn:aws:ecs:{task_region}:{account}:service/{cluster}/{name}")
}

fn list_services(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(
        input,
        &[
            "cluster",
            "nextToken",
            "maxResults",
            "launchType",
            "schedulingStrategy",
            "resourceManagementType",
        ],
    )?;
    let cluster = cluster_of(state, credential, params.str("cluster")?)?;
    let launch_type = params.str("launchType")?;
    let arns = state
        .fleet
        .ecs_services
        .iter()
        .filter(|s| s.cluster == cluster.name)
        .filter(|s| launch_type.is_none_or(|l| s.launch_type == l))
        .map(|s| service_arn(&cluster.region, &cluster.account, &cluster.name, &s.name))
        .collect();
    // ListServices answers 10 at a time unless asked for more.
    arn_page("serviceArns", arns, &params, 10)
}

fn task_definition_arn(task: &Task) -> String {
    format!(
        "arn:aws:ecs:{}:{}:task-definition/{}:1",
        task.region, task.account, task.service.name
    )
}

fn describe_services(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(input, &["cluster", "services", "include"])?;
    let cluster = cluster_of(state, credential, params.str("cluster")?)?;
    let wanted = params.get("services").map(strings).unwrap_or_default();
    if wanted.is_empty() || wanted.len() > 10 {
        return Err(invalid("services can have between 1 and 10 items."));
    }
    let mut services = Vec::new();
    let mut failures = Vec::new();
    for name in &wanted {
        let Some(service) = state
            .fleet
            .ecs_services
            .iter()
            .find(|s| s.cluster == cluster.name && s.name == short(name))
        else {
            failures.push(json!({"arn": name, "reason": "MISSING"}));
            continue;
        };
        let mut object = json!({
            "serviceArn": service_arn(&cluster.region, &cluster.account, &cluster.name, &service.name),
            "serviceName": service.name,
            "clusterArn": cluster_arn(&cluster.region, &cluster.account, &cluster.name),
            "status": "ACTIVE",
            "desiredCount": service.tasks,
            "runningCount": service.tasks,
            "pendingCount": 0,
            "launchType": service.launch_type,
            "taskDefinition": format!(
                "arn:aws:ecs:{}:{}:task-definition/{}:1",
                cluster.region, cluster.account, service.name
            ),
            "enableExecuteCommand": service.exec,
            "schedulingStrategy": "REPLICA",
        });
        if service.launch_type == "FARGATE" {
            object["platformVersion"] = json!(service.platform_version);
        }
        services.push(object);
    }
    Ok(json!({"services": services, "failures": failures}))
}

fn list_tasks(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(
        input,
        &[
            "cluster",
            "containerInstance",
            "family",
            "nextToken",
            "maxResults",
            "startedBy",
            "serviceName",
            "desiredStatus",
            "launchType",
            "daemonName",
        ],
    )?;
    let cluster = cluster_of(state, credential, params.str("cluster")?)?;
    let service = params.str("serviceName")?.map(short);
    if let Some(service) = service
        && !state
            .fleet
            .ecs_services
            .iter()
            .any(|s| s.cluster == cluster.name && s.name == service)
    {
        return Err(ApiError::new(
            400,
            "ServiceNotFoundException",
            "Service not found.",
        ));
    }
    // Every simulated task runs: asking for the stopped ones finds none.
    let stopped = params.str("desiredStatus")? == Some("STOPPED");
    let arns = region_tasks(state, credential)
        .into_iter()
        .filter(|t| t.cluster == cluster.name && !stopped)
        .filter(|t| service.is_none_or(|s| t.service.name == s))
        .map(|t| t.arn())
        .collect();
    arn_page("taskArns", arns, &params, 100)
}

fn task_json(task: &Task) -> Value {
    let agent = if task.exec_enabled() {
        vec![json!({
            "name": "ExecuteCommandAgent",
            "lastStatus": if task.service.agent_stopped { "STOPPED" } else { "RUNNING" },
        })]
    } else {
        Vec::new()
    };
    let containers: Vec<Value> = task
        .containers
        .iter()
        .map(|c| {
            json!({
                "containerArn": format!(
                    "arn:aws:ecs:{}:{}:container/{}/{}/{}",
                    task.region, task.account, task.cluster, task.id, c.id
                ),
                "taskArn": task.arn(),
                "name": c.name,
                "image": task.service.image,
                "runtimeId": c.runtime_id,
                "lastStatus": "RUNNING",
                "healthStatus": "HEALTHY",
                "managedAgents": agent,
            })
        })
        .collect();
    let mut object = json!({
        "taskArn": task.arn(),
        "clusterArn": cluster_arn(&task.region, &task.account, &task.cluster),
        "taskDefinitionArn": task_definition_arn(task),
        "group": format!("service:{}", task.service.name),
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "launchType": task.service.launch_type,
        "enableExecuteCommand": task.service.exec,
        "cpu": task.service.cpu,
        "memory": task.service.memory,
        "healthStatus": "HEALTHY",
        "containers": containers,
        "createdAt": epoch_seconds(std::time::SystemTime::now() - std::time::Duration::from_secs(3600)),
    });
    if task.is_fargate() {
        object["platformVersion"] = json!(task.service.platform_version);
    }
    if let Some(instance) = &task.service.container_instance {
        object["containerInstanceArn"] = json!(container_instance_arn(task, instance));
    }
    object
}

/// A container instance's ARN, its id derived from the EC2 instance it is.
fn container_instance_arn(task: &Task, ec2_id: &str) -> String {
    format!(
        "arn:aws:ecs:{}:{}:container-instance/{}/{}",
        task.region,
        task.account,
        task.cluster,
        ec2_id.trim_start_matches("i-")
    )
}

fn describe_tasks(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(input, &["cluster", "tasks", "include"])?;
    let cluster = cluster_of(state, credential, params.str("cluster")?)?;
    let wanted = params.get("tasks").map(strings).unwrap_or_default();
    if wanted.is_empty() || wanted.len() > 100 {
        return Err(invalid("tasks can have between 1 and 100 items."));
    }
    let all = region_tasks(state, credential);
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for name in &wanted {
        match all
            .iter()
            .find(|t| t.cluster == cluster.name && t.id == short(name))
        {
            Some(task) => found.push(task_json(task)),
            None => failures.push(json!({"arn": name, "reason": "MISSING"})),
        }
    }
    Ok(json!({"tasks": found, "failures": failures}))
}

fn describe_container_instances(
    state: &SimState,
    credential: &Credential,
    input: &Value,
) -> ApiResult {
    let params = Params::new(input, &["cluster", "containerInstances", "include"])?;
    let cluster = cluster_of(state, credential, params.str("cluster")?)?;
    let wanted = params
        .get("containerInstances")
        .map(strings)
        .unwrap_or_default();
    if wanted.is_empty() || wanted.len() > 100 {
        return Err(invalid(
            "containerInstances can have between 1 and 100 items.",
        ));
    }
    let all = region_tasks(state, credential);
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for name in &wanted {
        let hit = all.iter().find_map(|t| {
            let ec2 = t.service.container_instance.as_ref()?;
            (t.cluster == cluster.name && short(&container_instance_arn(t, ec2)) == short(name))
                .then_some((t, ec2))
        });
        match hit {
            Some((task, ec2)) => found.push(json!({
                "containerInstanceArn": container_instance_arn(task, ec2),
                "ec2InstanceId": ec2,
                "status": "ACTIVE",
                "agentConnected": true,
                "runningTasksCount": all.iter().filter(|t| t.service.container_instance.as_ref() == Some(ec2)).count(),
                "pendingTasksCount": 0,
            })),
            None => failures.push(json!({"arn": name, "reason": "MISSING"})),
        }
    }
    Ok(json!({"containerInstances": found, "failures": failures}))
}

/// The message ECS gives when exec cannot start on a task.
const EXEC_NOT_ENABLED: &str = "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again.";

fn execute_command(state: &Arc<SimState>, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(
        input,
        &["cluster", "container", "command", "interactive", "task"],
    )?;
    let command = params.required_str("command")?;
    let task_name = params.required_str("task")?;
    match params.get("interactive") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            return Err(invalid("Interactive is the only mode supported currently."));
        }
        _ => return Err(ApiError::serialization("interactive must be a boolean")),
    }
    let cluster = cluster_of(state, credential, params.str("cluster")?)?;
    let task = region_tasks(state, credential)
        .into_iter()
        .find(|t| t.cluster == cluster.name && t.id == short(task_name))
        .ok_or_else(|| invalid("The specified task is not found."))?;
    let container = match params.str("container")? {
        Some(name) => task
            .container(Some(name))
            .ok_or_else(|| invalid(format!("The container {name} does not exist in the task.")))?,
        None if task.containers.len() > 1 => {
            return Err(invalid(
                "A container name must be specified when the task has more than one container.",
            ));
        }
        None => task
            .container(None)
            .ok_or_else(|| invalid("The task has no container."))?,
    }
    .clone();
    if !task.exec_enabled() || task.service.agent_stopped {
        return Err(invalid(EXEC_NOT_ENABLED));
    }
    if !task.service.role_allows_exec {
        // The agent in the task cannot reach ssmmessages: ECS cannot hand out a session.
        return Err(ApiError::new(
            400,
            "TargetNotConnectedException",
            "The execute command failed due to an internal error. Try again later.",
        ));
    }
    let started = session_agent::start_session(
        state,
        as_instance(task, &container),
        SessionKind::Interactive {
            command: command.to_owned(),
        },
        "AWS-StartInteractiveCommand",
        &credential.access_key,
        "",
    );
    Ok(json!({
        "clusterArn": cluster_arn(&cluster.region, &cluster.account, &cluster.name),
        "containerArn": format!(
            "arn:aws:ecs:{}:{}:container/{}/{}/{}",
            task.region, task.account, task.cluster, task.id, container.id
        ),
        "containerName": container.name,
        "interactive": true,
        "session": {
            "sessionId": started.session_id,
            "streamUrl": started.stream_url,
            "tokenValue": started.token,
        },
        "taskArn": task.arn(),
    }))
}
