//! The simulator as an AWS Organization behind IAM Identity Center (`bosun sim --accounts N`):
//! accounts with names, ids and an OU path, each with its own fleet and its own key pairs, and
//! the SSO portal a login reaches them through (ListAccounts, ListAccountRoles and
//! GetRoleCredentials with the portal's bearer token, rest-json as botocore's `sso` model
//! says). A request signed with one account's keys sees only that account.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response};
use serde_json::json;

use super::SimState;
use super::api::ApiError;
use super::fleet::{DEFAULT_ACCOUNT, Fleet};
use super::json::{json_error, json_response};

/// The roles a member account offers; every fifth member offers only `BillingViewer` (a
/// login that may see its bills but not its instances).
pub const ROLES: [&str; 2] = ["ReadOnly", "Operator"];
pub const BILLING_ONLY: &str = "BillingViewer";

/// Names the member accounts take, in turn (with a number once they repeat).
const NAMES: [&str; 8] = [
    "payments-prod",
    "payments-staging",
    "search-prod",
    "data-platform",
    "finance",
    "identity-prod",
    "web-prod",
    "sandbox",
];

/// One account: who it is, the roles a login may take in it, and its simulated AWS.
pub(crate) struct Account {
    pub id: String,
    pub name: String,
    pub ou: String,
    /// (role, access key, secret): what GetRoleCredentials hands out for the role.
    pub roles: Vec<(String, String, String)>,
    /// (access key, secret) of its `OrganizationAccountAccessRole`, what AssumeRole from the
    /// management account hands out (members only, as Organizations creates it in them).
    pub access_role: Option<(String, String)>,
    pub state: Arc<SimState>,
}

/// The organisation: its accounts (the first the management account, the simulator's own
/// keys) and the portal's one bearer token.
pub(crate) struct Organization {
    pub token: String,
    /// The portal's start URL (what a login names).
    pub start_url: String,
    pub accounts: Vec<Account>,
    /// Logging in: registered clients and devices waiting for approval.
    pub oidc: std::sync::Mutex<super::oidc::Oidc>,
}

/// The simulated organisation's id, and its root's.
pub(crate) const ORG_ID: &str = "o-bosunsim01";
pub(crate) const ROOT_ID: &str = "r-bosn";

/// How many instances a member account's generated fleet has.
pub const MEMBER_FLEET: usize = 12;

/// The id and name of member `n` (1-based): `210987650001`, `payments-prod`.
pub fn member(n: usize) -> (String, String) {
    let base = NAMES[(n - 1) % NAMES.len()];
    let name = match (n - 1) / NAMES.len() {
        0 => base.to_owned(),
        round => format!("{base}-{}", round + 1),
    };
    (format!("2109876{n:05}"), name)
}

/// The roles member `n` offers.
pub fn member_roles(n: usize) -> Vec<&'static str> {
    if n.is_multiple_of(5) {
        vec![BILLING_ONLY]
    } else {
        ROLES.to_vec()
    }
}

/// Member `n`'s fleet: generated, with ids of its own (ids are unique across AWS), its
/// account set, and names that say the account (`payments-prod-api-4`) but for the first,
/// `bastion` in every account, as organisations have.
pub fn member_fleet(n: usize, seed: u64, size: usize, regions: &[String]) -> Fleet {
    let (id, name) = member(n);
    let mut fleet = Fleet::generate(size, seed.wrapping_add(n as u64));
    for (index, instance) in fleet.instances.iter_mut().enumerate() {
        if !regions.is_empty() {
            let zone = instance.az.chars().last().unwrap_or('a');
            instance.region = regions[index % regions.len()].clone();
            instance.az = format!("{}{zone}", instance.region);
        }
        instance.id = format!(
            "i-{:017x}",
            0x0b00_0000_0000_0000u64 + ((n as u64) << 20) + index as u64
        );
        instance.account = id.clone();
        let own = match index {
            0 => "bastion".to_owned(),
            _ => {
                let generated = instance.tags.get("Name").cloned().unwrap_or_default();
                let role = generated.split_once('-').map_or("node", |(_, rest)| rest);
                format!("{name}-{role}")
            }
        };
        instance.tags.insert("Name".to_owned(), own);
    }
    fleet
}

impl Account {
    /// Its organisational unit's id: the root's for the management account, else the
    /// `prod` or `nonprod` unit under `/workloads`.
    pub fn ou_id(&self) -> &'static str {
        match self.ou.as_str() {
            "/" => ROOT_ID,
            path if path.ends_with("/prod") => "ou-bosn-prod0001",
            _ => "ou-bosn-nonprod1",
        }
    }
}

impl Organization {
    /// The state that answers a request signed with `access_key`: its account's.
    pub fn state_for_key(&self, access_key: &str) -> Option<&Arc<SimState>> {
        self.accounts
            .iter()
            .find(|account| account.state.known_keys.contains_key(access_key))
            .map(|account| &account.state)
    }

    /// The state whose agent holds session `session_id`.
    pub fn state_with_session(&self, session_id: &str) -> Option<&Arc<SimState>> {
        self.accounts
            .iter()
            .map(|account| &account.state)
            .find(|state| super::session_agent::connection_sender(state, session_id).is_some())
    }

    /// Answers the SSO portal's calls (`GET /assignment/…`, `/federation/credentials`);
    /// `None` for any other request.
    pub fn portal<B>(
        &self,
        request: &Request<B>,
        now: SystemTime,
    ) -> Option<Response<Full<Bytes>>> {
        let path = request.uri().path();
        if request.method() != Method::GET
            || !matches!(
                path,
                "/assignment/accounts" | "/assignment/roles" | "/federation/credentials"
            )
        {
            return None;
        }
        let token = request
            .headers()
            .get("x-amz-sso_bearer_token")
            .and_then(|v| v.to_str().ok());
        if token != Some(self.token.as_str()) {
            return Some(json_error(&ApiError::new(
                401,
                "UnauthorizedException",
                "Session token not found or invalid",
            )));
        }
        let query: Vec<(String, String)> =
            form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let param = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let account = |id: Option<&str>| self.accounts.iter().find(|a| Some(a.id.as_str()) == id);
        Some(match path {
            "/assignment/accounts" => {
                let page = param("max_result")
                    .and_then(|m| m.parse::<usize>().ok())
                    .unwrap_or(20)
                    .clamp(1, 100);
                let start = param("next_token")
                    .and_then(|t| t.parse::<usize>().ok())
                    .unwrap_or(0);
                let list: Vec<serde_json::Value> = self
                    .accounts
                    .iter()
                    .skip(start)
                    .take(page)
                    .map(|a| {
                        json!({
                            "accountId": a.id,
                            "accountName": a.name,
                            "emailAddress": format!("aws+{}@example.com", a.name),
                        })
                    })
                    .collect();
                let mut body = json!({ "accountList": list });
                if start + page < self.accounts.len() {
                    body["nextToken"] = json!((start + page).to_string());
                }
                json_response(&body)
            }
            "/assignment/roles" => match account(param("account_id")) {
                Some(a) => json_response(&json!({
                    "roleList": a.roles.iter().map(|(role, _, _)| json!({
                        "roleName": role,
                        "accountId": a.id,
                    })).collect::<Vec<_>>()
                })),
                None => not_assigned(),
            },
            _ => {
                let role = param("role_name").unwrap_or_default();
                match account(param("account_id"))
                    .and_then(|a| a.roles.iter().find(|(name, _, _)| name == role))
                {
                    Some((_, key, secret)) => {
                        let expires = now + Duration::from_secs(3600);
                        let millis = expires
                            .duration_since(UNIX_EPOCH)
                            .map_or(0, |d| d.as_millis() as u64);
                        json_response(&json!({ "roleCredentials": {
                            "accessKeyId": key,
                            "secretAccessKey": secret,
                            "sessionToken": format!("sso-session-{key}"),
                            "expiration": millis,
                        }}))
                    }
                    None => not_assigned(),
                }
            }
        })
    }
}

fn not_assigned() -> Response<Full<Bytes>> {
    json_error(&ApiError::new(
        404,
        "ResourceNotFoundException",
        "No access: the account or role is not assigned to this user",
    ))
}

/// The management account's id and name (the simulator's own keys sign as it).
pub fn management() -> (String, String) {
    (DEFAULT_ACCOUNT.to_owned(), "management".to_owned())
}

/// The start URL of the simulator's portal at `endpoint`.
pub fn start_url(endpoint: &str) -> String {
    format!("https://{}.awsapps.com/start", session_name(endpoint))
}

/// The sso-session a login to this simulator's portal is, named after its port so that two
/// simulators' logins do not share a token file.
pub fn session_name(endpoint: &str) -> String {
    let port = endpoint.rsplit(':').next().unwrap_or("0");
    format!("bosun-sim-{port}")
}

impl Organization {
    /// A login to this organisation as `aws sso login` leaves it: an AWS config file (in
    /// `dir`) with the portal's sso-session and a profile `org` through it, and the session's
    /// token in `home`'s cache, valid for eight hours. Returns the config file's path.
    pub fn write_login(
        &self,
        endpoint: &str,
        dir: &std::path::Path,
        home: &std::path::Path,
        now: SystemTime,
    ) -> std::io::Result<std::path::PathBuf> {
        let session = session_name(endpoint);
        let start_url = &self.start_url;
        let config = format!(
            "# Written by `bosun sim --accounts`: a login to its organisation.\n\
             [sso-session {session}]\n\
             sso_start_url = {start_url}\n\
             sso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n\n\
             [profile org]\n\
             sso_session = {session}\n\
             sso_account_id = {DEFAULT_ACCOUNT}\n\
             sso_role_name = {}\n\
             region = us-east-1\n\
             endpoint_url = {endpoint}\n",
            ROLES[0]
        );
        std::fs::create_dir_all(dir)?;
        let path = dir.join("config");
        std::fs::write(&path, config)?;
        let expires = now + Duration::from_secs(8 * 3600);
        let token = json!({
            "startUrl": start_url,
            "region": "us-east-1",
            "accessToken": self.token,
            // As the AWS CLI writes it: whole seconds, UTC.
            "expiresAt": crate::model::format::iso8601(
                expires.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
            )
            .replace(".000Z", "Z"),
        });
        // Where and how the AWS CLI (and `bosun login`) keep a token.
        let file = crate::aws::sso::token_path(home, &session);
        crate::aws::sso::write_private(&file, token.to_string().as_bytes())?;
        Ok(path)
    }
}
