//! ListCommands, ListCommandInvocations, GetCommandInvocation and CancelCommand over the
//! simulated command store, with the filters, pages and truncation AWS applies.

use super::*;

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
            filters: crate::sim::api::key_value_filters(params, &COMMAND_FILTER_KEYS)?,
        })
    }
}

fn command_matches(command: &CommandRecord, filters: &[(String, String)]) -> bool {
    filters.iter().all(|(key, value)| match key.as_str() {
        "Status" => command.status().0 == value,
        "DocumentName" => &command.document == value,
        "ExecutionStage" => (command.finished.is_some()) == (value == "Complete"),
        "InvokedAfter" => {
            crate::sim::api::parse_time(value).is_some_and(|t| command.requested >= t)
        }
        "InvokedBefore" => {
            crate::sim::api::parse_time(value).is_some_and(|t| command.requested <= t)
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
    Ok(crate::sim::api::page_of("Commands", matching, start, max))
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
    Ok(crate::sim::api::page_of(
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
