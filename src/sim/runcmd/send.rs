//! SendCommand: validates the request as AWS does, resolves its targets (InstanceIds or
//! Targets), records the command and starts its coordinator.

use super::*;

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
    let Document {
        plugin,
        platform,
        parameters: known_parameters,
        ..
    } = DOCUMENTS
        .iter()
        .find(|known| known.name == document)
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

    // Parameters: the document's own, the required ones present.
    let parameters = params
        .get("Parameters")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let parameter_map = parameters
        .as_object()
        .ok_or_else(|| ApiError::serialization("Parameters must be a map"))?;
    for name in parameter_map.keys() {
        if !known_parameters.iter().any(|(known, _)| known == name) {
            return Err(ApiError::new(
                400,
                "InvalidParameters",
                format!("Parameter \"{name}\" is not defined in the document."),
            ));
        }
    }
    for (name, _) in known_parameters.iter().filter(|(_, required)| *required) {
        let given = parameter_map
            .get(*name)
            .map(crate::sim::api::strings)
            .unwrap_or_default();
        if given.is_empty() {
            return Err(ApiError::new(
                400,
                "InvalidParameters",
                format!("Parameter \"{name}\" is required."),
            ));
        }
    }
    if let Some(value) = parameter_map.get("allowDowngrade")
        && !matches!(
            crate::sim::api::strings(value).as_slice(),
            [one] if one == "true" || one == "false"
        )
    {
        return Err(ApiError::new(
            400,
            "InvalidParameters",
            "Parameter \"allowDowngrade\" must be one of the allowed values: true, false.",
        ));
    }
    let commands = parameter_map
        .get("commands")
        .map(crate::sim::api::strings)
        .unwrap_or_default();
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
                let state = if platform.is_some_and(|only| instance.platform != only) {
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
                            crate::sim::fleet::DEFAULT_ACCOUNT
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
                let values = crate::sim::api::strings(&target["Values"]);
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
