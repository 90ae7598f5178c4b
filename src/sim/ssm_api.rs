//! The simulated SSM API (JSON 1.1, `X-Amz-Target: AmazonSSM.*`): inventory and session
//! operations, with AWS's field names, bounds, pagination and error codes (checked against the
//! botocore service model).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::SimState;
use super::api::{ApiError, ApiResult, Params, epoch_seconds, parse_next_token, parse_time};
use super::fleet::{CURRENT_AGENT_VERSION, Instance, Platform, version_greater};
use super::runcmd;
use super::session_agent::{self, SessionStatus};
use super::sigv4::Credential;

pub(crate) fn dispatch(
    state: &Arc<SimState>,
    credential: &Credential,
    operation: &str,
    input: &Value,
) -> ApiResult {
    match operation {
        "DescribeInstanceInformation" => describe_instance_information(state, credential, input),
        "GetConnectionStatus" => get_connection_status(state, credential, input),
        "StartSession" => start_session(state, credential, input),
        "ResumeSession" => resume_session(state, input),
        "TerminateSession" => terminate_session(state, input),
        "DescribeSessions" => describe_sessions(state, credential, input),
        "SendCommand" => runcmd::send_command(state, credential, input),
        "ListCommands" => runcmd::list_commands(state, credential, input),
        "ListCommandInvocations" => runcmd::list_command_invocations(state, credential, input),
        "GetCommandInvocation" => runcmd::get_command_invocation(state, input),
        "CancelCommand" => runcmd::cancel_command(state, input),
        "GetDocument" => super::documents::get_document(state, credential, input),
        other => Err(ApiError::unknown_operation(other)),
    }
}

const STRING_FILTER_KEYS: [&str; 8] = [
    "InstanceIds",
    "AgentVersion",
    "PingStatus",
    "PlatformTypes",
    "ActivationIds",
    "IamRole",
    "ResourceType",
    "AssociationStatus",
];

/// One filter: a key and the values any of which may match.
struct InstanceFilter {
    key: String,
    values: Vec<String>,
}

impl InstanceFilter {
    fn matches(
        &self,
        state: &SimState,
        instance: &Instance,
        ping: Option<super::PingStatus>,
    ) -> bool {
        let any = |actual: &str| self.values.iter().any(|v| v == actual);
        match self.key.as_str() {
            "InstanceIds" => any(&instance.id),
            "AgentVersion" => any(&state.agent_version(instance)),
            "PingStatus" => ping.is_some_and(|p| any(p.as_str())),
            "PlatformTypes" => any(instance.platform.as_str()),
            "IamRole" => instance.iam_profile.as_deref().is_some_and(any),
            "ResourceType" => any(resource_type(instance)),
            "AssociationStatus" => any("Success"),
            "ActivationIds" => false,
            "tag-key" => self.values.iter().any(|k| instance.tags.contains_key(k)),
            key => match key.strip_prefix("tag:") {
                Some(tag) => instance.tags.get(tag).is_some_and(|value| any(value)),
                None => false,
            },
        }
    }
}

fn parse_filters(params: &Params) -> Result<Vec<InstanceFilter>, ApiError> {
    let mut filters = Vec::new();
    if let Some(list) = params.get("Filters") {
        for filter in list.as_array().into_iter().flatten() {
            let key = filter["Key"].as_str().unwrap_or_default().to_owned();
            let valid = STRING_FILTER_KEYS.contains(&key.as_str())
                || key == "tag-key"
                || key.strip_prefix("tag:").is_some_and(|tag| !tag.is_empty());
            if !valid {
                return Err(ApiError::new(
                    400,
                    "InvalidFilterKey",
                    format!("The specified key is not valid: {key}"),
                ));
            }
            filters.push(InstanceFilter {
                key,
                values: string_values(&filter["Values"])?,
            });
        }
    }
    if let Some(list) = params.get("InstanceInformationFilterList") {
        for filter in list.as_array().into_iter().flatten() {
            let key = filter["key"].as_str().unwrap_or_default().to_owned();
            if !STRING_FILTER_KEYS.contains(&key.as_str()) {
                return Err(ApiError::new(
                    400,
                    "InvalidFilterKey",
                    format!("The specified key is not valid: {key}"),
                ));
            }
            filters.push(InstanceFilter {
                key,
                values: string_values(&filter["valueSet"])?,
            });
        }
    }
    Ok(filters)
}

fn string_values(value: &Value) -> Result<Vec<String>, ApiError> {
    let values = super::api::strings(value);
    if values.is_empty() {
        return Err(ApiError::new(
            400,
            "InvalidInstanceInformationFilterValue",
            "The filter value is not valid: at least one value is required",
        ));
    }
    Ok(values)
}

/// The host name its agent reports: EC2's default for Linux, Windows' own for Windows.
pub(crate) fn computer_name(instance: &Instance) -> String {
    match instance.platform {
        Platform::Windows => format!(
            "EC2AMAZ-{}",
            &instance.id[instance.id.len().saturating_sub(7)..].to_uppercase()
        ),
        _ => instance.private_dns(),
    }
}

pub(crate) fn resource_type(instance: &Instance) -> &'static str {
    if instance.is_ec2() {
        "EC2Instance"
    } else {
        "ManagedInstance"
    }
}

fn describe_instance_information(
    state: &SimState,
    credential: &Credential,
    input: &Value,
) -> ApiResult {
    let params = Params::new(
        input,
        &[
            "InstanceInformationFilterList",
            "Filters",
            "MaxResults",
            "NextToken",
        ],
    )?;
    let max = params.bounded("MaxResults", 5, 50)?.unwrap_or(10) as usize;
    let start = parse_next_token(params.str("NextToken")?, "InvalidNextToken")?;
    let filters = parse_filters(&params)?;
    let offline = state.offline();
    // The token is a position in the region's list of managed instances: a page scans only
    // from there until it has `max` matches and knows whether one more exists.
    let candidates = state
        .managed_by_region
        .get(&credential.region)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut page = Vec::with_capacity(max);
    let mut next = None;
    for (position, &index) in candidates.iter().enumerate().skip(start) {
        let instance = &state.fleet.instances[index];
        let ping = offline.ping_of(instance);
        if !filters.iter().all(|f| f.matches(state, instance, ping)) {
            continue;
        }
        if page.len() == max {
            next = Some(position);
            break;
        }
        page.push(instance_information(state, &offline, instance));
    }
    let mut output = json!({ "InstanceInformationList": page });
    if let Some(position) = next {
        output["NextToken"] = json!(super::api::token_for(position));
    }
    Ok(output)
}

fn instance_information(state: &SimState, offline: &super::Offline, instance: &Instance) -> Value {
    // Online agents keep pinging (every five minutes at most); the others stopped when the
    // fleet file says and keep ageing.
    let last_ping = match offline.ping_of(instance) {
        Some(super::PingStatus::Online) => {
            std::time::SystemTime::now() - Duration::from_secs(instance.last_ping_age % 300)
        }
        _ => state.started - Duration::from_secs(instance.last_ping_age),
    };
    let registered = state.started - Duration::from_secs(86_400 * 30 + instance.last_ping_age);
    let computer_name = computer_name(instance);
    let agent_version = state.agent_version(instance);
    json!({
        "InstanceId": instance.id,
        "PingStatus": offline.ping_of(instance).map(|p| p.as_str()),
        "LastPingDateTime": epoch_seconds(last_ping),
        "AgentVersion": agent_version,
        "IsLatestVersion": !version_greater(CURRENT_AGENT_VERSION, &agent_version),
        "PlatformType": instance.platform.as_str(),
        "PlatformName": instance.os,
        "PlatformVersion": instance.os_version,
        "IamRole": instance.iam_profile,
        "RegistrationDate": epoch_seconds(registered),
        "ResourceType": resource_type(instance),
        "IPAddress": instance.private_ip,
        "ComputerName": computer_name,
        "AssociationStatus": "Success",
        "SourceId": instance.id,
        "SourceType": "AWS::EC2::Instance",
    })
}

fn find_target<'a>(
    state: &'a SimState,
    credential: &Credential,
    target: &str,
) -> Option<&'a Instance> {
    state
        .fleet
        .instances
        .iter()
        .find(|i| i.id == target && i.region == credential.region)
}

fn get_connection_status(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(input, &["Target"])?;
    let target = params.required_str("Target")?;
    let connected = find_target(state, credential, target).is_some_and(|i| state.is_online(i));
    Ok(json!({
        "Target": target,
        "Status": if connected { "connected" } else { "notconnected" },
    }))
}

fn start_session(state: &Arc<SimState>, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(input, &["Target", "DocumentName", "Reason", "Parameters"])?;
    let target = params.required_str("Target")?;
    let document = params
        .str("DocumentName")?
        .unwrap_or("SSM-SessionManagerRunShell");
    let parameters = session_parameters(params.get("Parameters"))?;
    let kind = session_agent::SessionKind::from_document(document, &parameters)?;
    // A container's target (`ecs:CLUSTER_TASKID_RUNTIMEID`, port forwarding into a task) is
    // reached through its ExecuteCommandAgent.
    let container = target
        .starts_with("ecs:")
        .then(|| super::ecs::find_target(&state.ecs_tasks, target))
        .flatten()
        .filter(|(task, _)| task.region == credential.region)
        .map(|(task, container)| super::ecs::as_instance(&task, &container));
    let instance = container
        .as_ref()
        .or_else(|| find_target(state, credential, target))
        .filter(|i| state.is_online(i))
        .ok_or_else(|| {
            ApiError::new(
                400,
                "TargetNotConnected",
                format!("{target} is not connected."),
            )
        })?;
    if instance.deny_sessions {
        return Err(ApiError::access_denied(&format!(
            "ssm:StartSession on resource: arn:aws:ec2:{}:{}:instance/{}",
            instance.region, instance.account, instance.id
        )));
    }
    let started = session_agent::start_session(
        state,
        instance.clone(),
        kind,
        document,
        &credential.access_key,
        params.str("Reason")?.unwrap_or_default(),
    );
    Ok(json!({
        "SessionId": started.session_id,
        "TokenValue": started.token,
        "StreamUrl": started.stream_url,
    }))
}

/// `Parameters` is a map of name → list of strings; the agent sees the first value of each.
fn session_parameters(value: Option<&Value>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::serialization("Parameters must be a map"))?;
    object
        .iter()
        .map(|(name, values)| {
            let first = values
                .as_array()
                .and_then(|list| list.first())
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::serialization(format!("Parameter {name} must be a list of strings"))
                })?;
            Ok((name.clone(), first.to_owned()))
        })
        .collect()
}

fn resume_session(state: &SimState, input: &Value) -> ApiResult {
    let params = Params::new(input, &["SessionId"])?;
    let session_id = params.required_str("SessionId")?;
    let fail_first = state.faults.lock().map_or(0, |faults| faults.resume_fails);
    if fail_first > 0 && session_agent::count_resume_call(state, session_id) <= fail_first {
        state.count("resume_failed");
        return Err(ApiError::new(
            500,
            "InternalServerError",
            "An error occurred on the server side.",
        ));
    }
    let move_cell = state
        .faults
        .lock()
        .is_ok_and(|faults| faults.resume_moves_cell);
    match session_agent::resume(state, session_id, move_cell) {
        Some((Some(token), url)) => {
            Ok(json!({"SessionId": session_id, "TokenValue": token, "StreamUrl": url}))
        }
        // A session that has ended answers without a token: the client stops
        // (docs/protocol.md §8.2).
        Some((None, _)) => Ok(json!({"SessionId": session_id})),
        None => Err(ApiError::new(
            400,
            "DoesNotExistException",
            format!("Session with id {session_id} does not exist."),
        )),
    }
}

fn terminate_session(state: &SimState, input: &Value) -> ApiResult {
    let params = Params::new(input, &["SessionId"])?;
    let session_id = params.required_str("SessionId")?;
    session_agent::terminate(state, session_id);
    Ok(json!({ "SessionId": session_id }))
}

const SESSION_FILTER_KEYS: [&str; 7] = [
    "InvokedAfter",
    "InvokedBefore",
    "Target",
    "Owner",
    "Status",
    "SessionId",
    "AccessType",
];

fn describe_sessions(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(input, &["State", "MaxResults", "NextToken", "Filters"])?;
    let history = match params.required_str("State")? {
        "Active" => false,
        "History" => true,
        other => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [Active, History]"
            )));
        }
    };
    let max = params.bounded("MaxResults", 1, 200)?.unwrap_or(20) as usize;
    let start = parse_next_token(params.str("NextToken")?, "InvalidNextToken")?;
    let filters = super::api::key_value_filters(&params, &SESSION_FILTER_KEYS)?;
    let sessions = session_agent::snapshot(state);
    let matching: Vec<Value> = sessions
        .iter()
        .filter(|s| s.region == credential.region)
        .filter(|s| {
            (s.status == SessionStatus::Terminated || s.status == SessionStatus::Failed) == history
        })
        .filter(|s| {
            filters.iter().all(|(key, value)| match key.as_str() {
                "Target" => &s.target == value,
                "Owner" => &s.owner == value,
                "Status" => s.status.as_str() == value,
                "SessionId" => &s.session_id == value,
                "InvokedAfter" => parse_time(value).is_some_and(|t| s.start_date >= t),
                "InvokedBefore" => parse_time(value).is_some_and(|t| s.start_date <= t),
                _ => true,
            })
        })
        .map(|s| {
            let mut session = json!({
                "SessionId": s.session_id,
                "Target": s.target,
                "Status": s.status.as_str(),
                "StartDate": epoch_seconds(s.start_date),
                "DocumentName": s.document,
                "Owner": s.owner,
                // As the service answers for sessions without logging or a maximum: an empty
                // OutputUrl, and no MaxSessionDuration (the model allows neither as "").
                "OutputUrl": {},
                "AccessType": "Standard",
            });
            if !s.reason.is_empty() {
                session["Reason"] = json!(s.reason);
            }
            if let Some(end) = s.end_date {
                session["EndDate"] = json!(epoch_seconds(end));
            }
            session
        })
        .collect();
    Ok(super::api::page_of("Sessions", matching, start, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_and_epoch_times() {
        let iso = parse_time("2026-11-21T08:00:00Z").expect("iso");
        assert_eq!(epoch_seconds(iso), 1_795_248_000.0);
        assert_eq!(parse_time("1795248000"), Some(iso));
        assert_eq!(parse_time("yesterday"), None);
    }
}
