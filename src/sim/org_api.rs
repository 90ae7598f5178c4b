//! The organisation's own APIs, as the management account (also Systems Manager's delegated
//! administrator) reaches them: Organizations `ListAccounts` (JSON 1.1, `AWSOrganizationsV20161128`),
//! STS `AssumeRole` into a member's `OrganizationAccountAccessRole` (the query protocol), and
//! SSM `ListNodes`, which with the Quick Setup resource data sync's name answers every managed
//! node of every account and region from one index (without it, the caller's own account and
//! region). Shapes as botocore's `organizations`, `sts` and `ssm` models say.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::SimState;
use super::api::{ApiError, ApiResult, Params, epoch_seconds, parse_next_token, token_for};
use super::fleet::{DEFAULT_ACCOUNT, Instance};
use super::org::{ORG_ID, Organization, ROOT_ID};
use super::query::{Query, escape, required};
use super::sigv4::Credential;
use crate::aws::org::NODE_SYNC;

/// The role Organizations creates in every account it creates, and the one members trust the
/// management account through.
pub const ACCESS_ROLE: &str = "OrganizationAccountAccessRole";

/// Organizations' operations. Only the management account may list the organisation.
pub(crate) fn organizations(
    org: Option<&Organization>,
    state: &SimState,
    operation: &str,
    input: &Value,
) -> ApiResult {
    let Some(org) = org else {
        return Err(ApiError::new(
            400,
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ));
    };
    match operation {
        "ListAccounts" => {
            if state.account_id != DEFAULT_ACCOUNT {
                return Err(ApiError::new(
                    400,
                    "AccessDeniedException",
                    "You don't have permissions to access this resource.",
                ));
            }
            let params = Params::new(input, &["NextToken", "MaxResults"])?;
            let max = params.bounded("MaxResults", 1, 20)?.unwrap_or(20) as usize;
            let start = parse_next_token(params.str("NextToken")?, "InvalidInputException")?;
            let joined = epoch_seconds(state.started - Duration::from_secs(86_400 * 400));
            let accounts: Vec<Value> = org
                .accounts
                .iter()
                .skip(start)
                .take(max)
                .map(|a| {
                    json!({
                        "Id": a.id,
                        "Arn": format!("arn:aws:organizations::{DEFAULT_ACCOUNT}:account/{ORG_ID}/{}", a.id),
                        "Email": format!("aws+{}@example.com", a.name),
                        "Name": a.name,
                        "Status": "ACTIVE",
                        "State": "ACTIVE",
                        "JoinedMethod": if a.id == DEFAULT_ACCOUNT { "INVITED" } else { "CREATED" },
                        "JoinedTimestamp": joined,
                    })
                })
                .collect();
            let mut output = json!({ "Accounts": accounts });
            if start + max < org.accounts.len() {
                output["NextToken"] = json!(token_for(start + max));
            }
            Ok(output)
        }
        other => Err(ApiError::unknown_operation(other)),
    }
}

/// STS `AssumeRole`: the management account (or a role of it) into a member's
/// `OrganizationAccountAccessRole`, with credentials that sign as that member. Anything else
/// is refused as AWS refuses a role that does not trust the caller. `Ok` is the result's XML.
pub(crate) fn assume_role(
    org: Option<&Organization>,
    state: &SimState,
    credential: &Credential,
    form: &[(String, String)],
) -> Result<String, ApiError> {
    let query = Query(form);
    let role_arn = required(&query, "RoleArn")?;
    let session_name = required(&query, "RoleSessionName")?;
    if !(2..=64).contains(&session_name.len()) {
        return Err(ApiError::new(
            400,
            "ValidationError",
            "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64",
        ));
    }
    let seconds = match query.get("DurationSeconds") {
        None => 3600,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|s| (900..=43_200).contains(s))
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "ValidationError",
                    "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200",
                )
            })?,
    };
    let refused = || {
        ApiError::new(
            403,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                super::caller_api::caller_arn(&state.account_id, credential)
            ),
        )
    };
    let (account_id, role) = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":role/"))
        .ok_or_else(refused)?;
    let role_name = role.rsplit('/').next().unwrap_or(role);
    let keys = org
        .filter(|_| state.account_id == DEFAULT_ACCOUNT && role_name == ACCESS_ROLE)
        .and_then(|org| org.accounts.iter().find(|a| a.id == account_id))
        .and_then(|account| account.access_role.as_ref())
        .ok_or_else(refused)?;
    let expires = SystemTime::now() + Duration::from_secs(seconds);
    let expiration = crate::model::format::iso8601(
        expires
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    );
    Ok(format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>assumed-{}</SessionToken><Expiration>{expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA{}:{}</AssumedRoleId><Arn>arn:aws:sts::{account_id}:assumed-role/{}/{}</Arn></AssumedRoleUser>",
        escape(&keys.0),
        escape(&keys.1),
        escape(&keys.0),
        super::query::hex_id(account_id),
        escape(session_name),
        escape(role_name),
        escape(session_name),
    ))
}

/// SSM `ListNodes`: with `SyncName`, the organisation's index, which only the management
/// account (the delegated administrator here) holds; without, this account's nodes in the
/// signed region. Filters as the model lists them, 50 nodes a page at most.
pub(crate) fn list_nodes(
    org: Option<&Organization>,
    state: &SimState,
    credential: &Credential,
    input: &Value,
) -> ApiResult {
    let params = Params::new(input, &["SyncName", "Filters", "NextToken", "MaxResults"])?;
    let max = params.bounded("MaxResults", 1, 50)?.unwrap_or(50) as usize;
    let start = parse_next_token(params.str("NextToken")?, "InvalidNextToken")?;
    let filters = node_filters(&params)?;
    let accounts: Vec<(&SimState, &str)> = match params.str("SyncName")? {
        Some(name) => {
            let synced = name == NODE_SYNC && state.account_id == DEFAULT_ACCOUNT;
            let org = org.filter(|_| synced).ok_or_else(|| {
                ApiError::new(
                    400,
                    "ResourceDataSyncNotFoundException",
                    format!("The specified sync name was not found: {name}"),
                )
            })?;
            org.accounts
                .iter()
                .map(|a| (a.state.as_ref(), a.ou_id()))
                .collect()
        }
        None => vec![(state, ROOT_ID)],
    };
    let own_region = params
        .str("SyncName")?
        .is_none()
        .then_some(&credential.region);
    let mut page = Vec::with_capacity(max);
    let mut next = None;
    let mut position = 0;
    'accounts: for (account, ou_id) in accounts {
        // Accounts and instances a filter on its own keys rules out are passed over before
        // their records are made: a sharded listing asks for one account of hundreds.
        if !filters
            .iter()
            .all(|f| f.may_match("AccountId", &account.account_id))
        {
            continue;
        }
        let offline = account.offline();
        for instance in &account.fleet.instances {
            if own_region.is_some_and(|r| *r != instance.region)
                || !filters
                    .iter()
                    .all(|f| f.may_match("Region", &instance.region))
                || !filters
                    .iter()
                    .all(|f| f.may_match("InstanceId", &instance.id))
            {
                continue;
            }
            let node = node(account, &offline, instance, ou_id);
            if !filters.iter().all(|f| f.matches(&node)) {
                continue;
            }
            position += 1;
            if position <= start {
                continue;
            }
            if page.len() == max {
                next = Some(position - 1);
                break 'accounts;
            }
            page.push(node);
        }
    }
    let mut output = json!({ "Nodes": page });
    if let Some(position) = next {
        output["NextToken"] = json!(token_for(position));
    }
    Ok(output)
}

/// One node as the index holds it.
fn node(state: &SimState, offline: &super::Offline, instance: &Instance, ou_id: &str) -> Value {
    let info = match offline.ping_of(instance) {
        Some(ping) => json!({
            "AgentType": "amazon-ssm-agent",
            "AgentVersion": state.agent_version(instance),
            "ComputerName": super::ssm_api::computer_name(instance),
            // The index says Active for an agent that pings, and the ping status otherwise.
            "InstanceStatus": match ping {
                super::PingStatus::Online => "Active",
                other => other.as_str(),
            },
            "IpAddress": instance.private_ip,
            "ManagedStatus": "Managed",
            "PlatformType": instance.platform.as_str(),
            "PlatformName": instance.os,
            "PlatformVersion": instance.os_version,
            "ResourceType": super::ssm_api::resource_type(instance),
        }),
        None => json!({
            "IpAddress": instance.private_ip,
            "ManagedStatus": "Unmanaged",
            "ResourceType": "EC2Instance",
        }),
    };
    // An account directly under the root is in no organisational unit: the index says none.
    let mut owner = json!({ "AccountId": state.account_id });
    if ou_id != ROOT_ID {
        owner["OrganizationalUnitId"] = json!(ou_id);
        owner["OrganizationalUnitPath"] = json!(format!("{ORG_ID}/{ROOT_ID}/{ou_id}/"));
    }
    let mut info = info;
    if !instance.name().is_empty() {
        info["Name"] = json!(instance.name());
    }
    if !instance.az.is_empty() {
        info["AvailabilityZone"] = json!(instance.az);
    }
    json!({
        "CaptureTime": epoch_seconds(SystemTime::now() - Duration::from_secs(600)),
        "Id": instance.id,
        "Owner": owner,
        "Region": instance.region,
        "NodeType": { "Instance": info },
    })
}

/// One of ListNodes' filters: a key, its values, and how they compare.
struct NodeFilter {
    key: String,
    values: Vec<String>,
    operator: String,
}

const NODE_FILTER_KEYS: [&str; 15] = [
    "AgentType",
    "AgentVersion",
    "ComputerName",
    "InstanceId",
    "InstanceStatus",
    "IpAddress",
    "ManagedStatus",
    "PlatformName",
    "PlatformType",
    "PlatformVersion",
    "ResourceType",
    "OrganizationalUnitId",
    "OrganizationalUnitPath",
    "Region",
    "AccountId",
];

impl NodeFilter {
    /// Whether a node whose `key` is `value` may match: false only when this filter is on
    /// `key` and rules the value out.
    fn may_match(&self, key: &str, value: &str) -> bool {
        self.key != key || self.holds_for(value)
    }

    fn holds_for(&self, text: &str) -> bool {
        let any = |test: &dyn Fn(&str) -> bool| self.values.iter().any(|v| test(v));
        match self.operator.as_str() {
            "NotEqual" => !any(&|v| v == text),
            "BeginWith" => any(&|v| text.starts_with(v)),
            _ => any(&|v| v == text),
        }
    }

    fn matches(&self, node: &Value) -> bool {
        let info = &node["NodeType"]["Instance"];
        let field = match self.key.as_str() {
            "InstanceId" => &node["Id"],
            "Region" => &node["Region"],
            "AccountId" => &node["Owner"]["AccountId"],
            "OrganizationalUnitId" => &node["Owner"]["OrganizationalUnitId"],
            "OrganizationalUnitPath" => &node["Owner"]["OrganizationalUnitPath"],
            other => &info[other],
        };
        self.holds_for(field.as_str().unwrap_or_default())
    }
}

fn node_filters(params: &Params) -> Result<Vec<NodeFilter>, ApiError> {
    let invalid = |message: String| ApiError::new(400, "InvalidFilter", message);
    let list = params
        .get("Filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.len() > 5 {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to 5",
        ));
    }
    list.iter()
        .map(|filter| {
            let key = filter["Key"].as_str().unwrap_or_default().to_owned();
            if !NODE_FILTER_KEYS.contains(&key.as_str()) {
                return Err(invalid(format!("The filter key {key} is not valid.")));
            }
            let values: Vec<String> = filter["Values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            if values.is_empty() || values.len() > 5 {
                return Err(invalid(format!(
                    "The filter {key} takes between 1 and 5 values."
                )));
            }
            let operator = filter["Type"].as_str().unwrap_or("Equal").to_owned();
            if !matches!(operator.as_str(), "Equal" | "NotEqual" | "BeginWith") {
                return Err(invalid(format!("The filter type {operator} is not valid.")));
            }
            Ok(NodeFilter {
                key,
                values,
                operator,
            })
        })
        .collect()
}
