//! The caller as AWS sees it: STS GetCallerIdentity (an IAM user named after the access key,
//! as the simulator's session owners are) and IAM SimulatePrincipalPolicy, which answers from
//! the faults (`deny=StartSession`) and the fleet (`deny_sessions`), the same rules the calls
//! themselves follow. What the doctor asks to tell whether the caller may start a session.

use std::fmt::Write as _;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;

use super::SimState;
use super::api::ApiError;
use super::query::{Query, escape, hex_id, required, respond};
use super::sigv4::Credential;

pub(crate) const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The STS actions the simulator serves.
pub(crate) fn dispatch_sts(
    state: &SimState,
    credential: &Credential,
    action: &str,
) -> Response<Full<Bytes>> {
    let result = match action {
        "GetCallerIdentity" => Ok(format!(
            "<Arn>{}</Arn><UserId>AIDA{}</UserId><Account>{}</Account>",
            escape(&caller_arn(&state.account_id, credential)),
            hex_id(&credential.access_key),
            state.account_id
        )),
        "" => Err(ApiError::new(
            400,
            "MissingAction",
            "The request must contain the parameter Action",
        )),
        other => Err(ApiError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
    };
    respond(STS_NAMESPACE, action, result)
}

/// The caller's ARN in `account`: an IAM user named after its access key.
pub(crate) fn caller_arn(account: &str, credential: &Credential) -> String {
    format!("arn:aws:iam::{account}:user/{}", credential.access_key)
}

/// Whether `action` (`ssm:StartSession`) on `resource` is denied: by a `deny=` fault on the
/// operation, or, for StartSession, by the instance's `deny_sessions`.
fn denied(state: &SimState, action: &str, resource: &str) -> bool {
    let operation = action.rsplit(':').next().unwrap_or(action);
    let by_fault = state
        .faults
        .lock()
        .map(|faults| faults.denies(operation))
        .unwrap_or(false);
    let by_instance = operation == "StartSession"
        && state.fleet.instances.iter().any(|instance| {
            instance.deny_sessions && resource.ends_with(&format!("instance/{}", instance.id))
        });
    by_fault || by_instance
}

/// SimulatePrincipalPolicy: one result per action and resource (`*` when none are named).
pub(crate) fn simulate_principal_policy(
    state: &SimState,
    query: &Query,
) -> Result<String, ApiError> {
    let principal = required(query, "PolicySourceArn")?;
    let known = principal.starts_with("arn:aws:iam::")
        && (principal.contains(":user/") || principal.contains(":role/"));
    if !known {
        return Err(ApiError::new(
            400,
            "InvalidInput",
            format!("Invalid ARN: {principal} is not a user, group or role"),
        ));
    }
    let actions = query.list("ActionNames.member");
    if actions.is_empty() {
        return Err(ApiError::new(
            400,
            "ValidationError",
            "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
        ));
    }
    let mut resources = query.list("ResourceArns.member");
    if resources.is_empty() {
        resources.push("*".to_owned());
    }
    let mut xml = String::from("<EvaluationResults>");
    for action in &actions {
        for resource in &resources {
            let decision = if denied(state, action, resource) {
                "explicitDeny"
            } else {
                "allowed"
            };
            let _ = write!(
                xml,
                "<member><EvalActionName>{}</EvalActionName><EvalResourceName>{}</EvalResourceName><EvalDecision>{decision}</EvalDecision><MatchedStatements/><MissingContextValues/></member>",
                escape(action),
                escape(resource)
            );
        }
    }
    xml.push_str("</EvaluationResults><IsTruncated>false</IsTruncated>");
    Ok(xml)
}
