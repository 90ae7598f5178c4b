//! The IAM calls the doctor makes, in IAM's query protocol (form-encoded `Action`, XML answers
//! wrapped in `…Response`/`…Result`): GetInstanceProfile, ListAttachedRolePolicies and
//! ListRolePolicies, over the fleet's instance profiles (`[[instance_profile]]`), and
//! SimulatePrincipalPolicy (in `caller_api`). STS answers in the same shape.

use std::fmt::Write as _;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;

use super::SimState;
use super::api::ApiError;
use super::fleet::DEFAULT_ACCOUNT;
use super::query::{Query, escape, hex_id, required, respond};

pub(crate) const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const CREATED: i64 = 1_767_225_600; // 2026-01-01

pub(crate) fn dispatch(
    state: &SimState,
    action: &str,
    form: &[(String, String)],
) -> Response<Full<Bytes>> {
    let query = Query(form);
    let result = match action {
        "GetInstanceProfile" => get_instance_profile(state, &query),
        "ListAttachedRolePolicies" => list_attached_role_policies(state, &query),
        "ListRolePolicies" => list_role_policies(state, &query),
        "SimulatePrincipalPolicy" => super::caller_api::simulate_principal_policy(state, &query),
        "" => Err(ApiError::new(
            400,
            "MissingAction",
            "The request must contain the parameter Action",
        )),
        other => Err(ApiError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {other} for version 2010-05-08"),
        )),
    };
    respond(NAMESPACE, action, result)
}

fn no_such(kind: &str, name: &str) -> ApiError {
    ApiError::new(
        404,
        "NoSuchEntity",
        format!("The {kind} with name {name} cannot be found."),
    )
}

fn role_name(state: &SimState, profile: &str) -> String {
    let spec = state.fleet.instance_profile(profile);
    spec.role.unwrap_or(spec.name)
}

/// The instance profile whose role is `role`, if any.
fn profile_of_role(state: &SimState, role: &str) -> Option<String> {
    let mut names: Vec<String> = state
        .fleet
        .instances
        .iter()
        .filter_map(|i| i.iam_profile.clone())
        .chain(state.fleet.instance_profiles.iter().map(|p| p.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .find(|name| role_name(state, name) == role)
}

fn get_instance_profile(state: &SimState, query: &Query) -> Result<String, ApiError> {
    let name = required(query, "InstanceProfileName")?;
    if !state.fleet.knows_instance_profile(name) {
        return Err(no_such("Instance Profile", name));
    }
    let role = role_name(state, name);
    let created = crate::model::format::iso8601(CREATED);
    let mut xml = String::from("<InstanceProfile>");
    let _ = write!(
        xml,
        "<Path>/</Path><InstanceProfileName>{name}</InstanceProfileName><InstanceProfileId>AIPA{id}</InstanceProfileId><Arn>arn:aws:iam::{DEFAULT_ACCOUNT}:instance-profile/{name}</Arn><CreateDate>{created}</CreateDate><Roles><member><Path>/</Path><RoleName>{role}</RoleName><RoleId>AROA{id}</RoleId><Arn>arn:aws:iam::{DEFAULT_ACCOUNT}:role/{role}</Arn><CreateDate>{created}</CreateDate></member></Roles>",
        name = escape(name),
        role = escape(&role),
        id = hex_id(name),
    );
    xml.push_str("</InstanceProfile>");
    Ok(xml)
}

fn role_spec(
    state: &SimState,
    query: &Query,
) -> Result<super::fleet::InstanceProfileSpec, ApiError> {
    let role = required(query, "RoleName")?;
    let profile = profile_of_role(state, role).ok_or_else(|| no_such("role", role))?;
    Ok(state.fleet.instance_profile(&profile))
}

fn list_attached_role_policies(state: &SimState, query: &Query) -> Result<String, ApiError> {
    let spec = role_spec(state, query)?;
    let mut xml = String::from("<IsTruncated>false</IsTruncated><AttachedPolicies>");
    for policy in &spec.policies {
        let _ = write!(
            xml,
            "<member><PolicyName>{0}</PolicyName><PolicyArn>arn:aws:iam::aws:policy/{0}</PolicyArn></member>",
            escape(policy)
        );
    }
    xml.push_str("</AttachedPolicies>");
    Ok(xml)
}

fn list_role_policies(state: &SimState, query: &Query) -> Result<String, ApiError> {
    let spec = role_spec(state, query)?;
    let mut xml = String::from("<IsTruncated>false</IsTruncated><PolicyNames>");
    for policy in &spec.inline_policies {
        let _ = write!(xml, "<member>{}</member>", escape(policy));
    }
    xml.push_str("</PolicyNames>");
    Ok(xml)
}
