//! The organisation's accounts through one SSO login (`--org`): the login's token as the AWS
//! CLI caches it after `aws sso login` (an `[sso-session]`, or a legacy `sso_start_url`
//! profile), every account the portal lists with its roles, the role bosun takes in each
//! (`[org]` in the configuration), and that role's credentials, asked for when an account is
//! first used and kept in memory until they expire, never on disk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_types::region::Region;

use super::profiles;

/// A login to an SSO portal, as `aws sso login` left it.
#[derive(Clone)]
pub struct SsoLogin {
    /// The profile it was found through.
    pub profile: String,
    pub start_url: String,
    pub region: String,
    token: String,
    pub expires: SystemTime,
    /// The role the profile names (`sso_role_name`), the default choice in each account.
    pub profile_role: Option<String>,
}

impl std::fmt::Debug for SsoLogin {
    // The token is a credential: never printed, never logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoLogin")
            .field("profile", &self.profile)
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// The login `profile` (or `AWS_PROFILE`, or `default`) reaches: its sso-session's cached
/// token. Every way it can fail is said with what to do.
pub fn sso_login(profile: Option<&str>) -> Result<SsoLogin, String> {
    let profile = profile
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".to_owned());
    let header = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    let keys = profiles::config_section(&header).ok_or_else(|| {
        format!("--org needs an SSO login, and the AWS config file has no profile {profile:?}: `aws configure sso` makes one")
    })?;
    // An sso-session's token is cached under its name; a legacy profile's under its URL.
    let (start_url, region, cache_key) = match keys.get("sso_session") {
        Some(session) => {
            let session_keys = profiles::config_section(&format!("sso-session {session}"))
                .ok_or_else(|| {
                    format!("the profile {profile:?} names sso_session {session:?}, which the AWS config file does not define")
                })?;
            let get = |key: &str| {
                session_keys.get(key).cloned().ok_or_else(|| {
                    format!("[sso-session {session}] in the AWS config file has no {key}")
                })
            };
            (get("sso_start_url")?, get("sso_region")?, session.clone())
        }
        None => match (keys.get("sso_start_url"), keys.get("sso_region")) {
            (Some(url), Some(region)) => (url.clone(), region.clone(), url.clone()),
            _ => {
                return Err(format!(
                    "--org reads the organisation through an SSO login, and the profile {profile:?} has none (no sso_session or sso_start_url): `aws configure sso --profile {profile}` sets one up"
                ));
            }
        },
    };
    let home = profiles::home().ok_or("no home directory to find the SSO token cache in")?;
    let path = token_path(&home, &cache_key);
    let login_again =
        format!("run `bosun login --profile {profile}` or `aws sso login --profile {profile}`");
    let text = std::fs::read_to_string(&path)
        .map_err(|_| format!("not logged in to {start_url}: {login_again}"))?;
    let cached: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
        format!(
            "the SSO token cache {} is not JSON: {login_again}",
            path.display()
        )
    })?;
    let token = cached["accessToken"]
        .as_str()
        .ok_or_else(|| format!("the SSO token cache has no token: {login_again}"))?;
    let expires = cached["expiresAt"]
        .as_str()
        .and_then(parse_rfc3339)
        .ok_or_else(|| format!("the SSO token cache has no expiry: {login_again}"))?;
    if expires <= SystemTime::now() {
        return Err(format!(
            "the SSO login to {start_url} has expired: {login_again}"
        ));
    }
    Ok(SsoLogin {
        profile,
        start_url,
        region,
        token: token.to_owned(),
        expires,
        profile_role: keys.get("sso_role_name").cloned(),
    })
}

/// Where the AWS CLI caches a login's token: the SHA-1 of the session's name (or the start
/// URL) under `~/.aws/sso/cache`.
pub fn token_path(home: &std::path::Path, cache_key: &str) -> std::path::PathBuf {
    use sha1::Digest;
    let digest = sha1::Sha1::digest(cache_key.as_bytes());
    home.join(".aws/sso/cache")
        .join(format!("{}.json", hex::encode(digest)))
}

/// `2026-12-06T18:00:00Z` (or with a fraction, or `+00:00`) as a time.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let (date, time) = text.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (year, month, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.trim_end_matches('Z').trim_end_matches("+00:00");
    let mut t = time.split(':');
    let hour = t.next()?.parse::<i64>().ok()?;
    let minute = t.next()?.parse::<i64>().ok()?;
    let second = t.next()?.split('.').next()?.parse::<i64>().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(secs).ok()?))
}

/// One account the login reaches, and the roles bosun takes in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    /// The role bosun lists instances with; `None` when the account has none it may take.
    pub inventory_role: Option<String>,
    /// The role sessions, tunnels and commands use.
    pub session_role: Option<String>,
}

impl OrgAccount {
    /// Why nothing can be listed in it, when nothing can.
    pub fn why_not(&self, wanted: &[String]) -> Option<String> {
        self.inventory_role.is_none().then(|| {
            format!(
                "{} ({}) offers {}, none of {}: set [org] inventory_roles in bosun's configuration",
                self.name,
                self.id,
                if self.roles.is_empty() {
                    "no role".to_owned()
                } else {
                    self.roles.join(", ")
                },
                wanted.join(", ")
            )
        })
    }
}

/// Which roles bosun takes: the first of each list that an account offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleChoice {
    pub inventory: Vec<String>,
    pub session: Vec<String>,
}

impl RoleChoice {
    /// The configured lists, or (where empty) the profile's own role and the usual read-only
    /// names for the inventory, and the inventory's for sessions.
    pub fn resolved(&self, login: &SsoLogin) -> RoleChoice {
        let mut inventory = self.inventory.clone();
        if inventory.is_empty() {
            inventory.extend(login.profile_role.clone());
            for usual in ["ReadOnly", "ReadOnlyAccess", "ViewOnlyAccess"] {
                if !inventory.iter().any(|r| r == usual) {
                    inventory.push(usual.to_owned());
                }
            }
        }
        let session = if self.session.is_empty() {
            let mut session: Vec<String> = login.profile_role.iter().cloned().collect();
            session.extend(inventory.iter().cloned());
            session
        } else {
            self.session.clone()
        };
        RoleChoice { inventory, session }
    }

    fn pick(wanted: &[String], offered: &[String]) -> Option<String> {
        wanted.iter().find(|w| offered.contains(w)).cloned()
    }
}

/// The SSO portal, reached with the login's token.
pub struct Portal {
    client: aws_sdk_sso::Client,
    login: SsoLogin,
    base: SdkConfig,
    /// Role credentials by (account, role), until they expire.
    cache: Mutex<HashMap<(String, String), Credentials>>,
}

impl Portal {
    /// The portal of `login`; `base` gives the endpoint and HTTP client (and each account's
    /// configuration, with its role's credentials instead of the base's).
    pub fn new(base: &SdkConfig, login: SsoLogin) -> Portal {
        let config = aws_sdk_sso::config::Builder::from(base)
            .region(Region::new(login.region.clone()))
            .build();
        Portal {
            client: aws_sdk_sso::Client::from_conf(config),
            login,
            base: base.clone(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn login(&self) -> &SsoLogin {
        &self.login
    }

    /// Every account the login may use, with its roles and bosun's choice among them.
    pub async fn accounts(&self, choice: &RoleChoice) -> Result<Vec<OrgAccount>, String> {
        let choice = choice.resolved(&self.login);
        let mut listed = Vec::new();
        let mut pages = self
            .client
            .list_accounts()
            .access_token(&self.login.token)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.said("ListAccounts", e))?;
            listed.extend(page.account_list().iter().map(|a| {
                (
                    a.account_id().unwrap_or_default().to_owned(),
                    a.account_name().unwrap_or_default().to_owned(),
                )
            }));
        }
        // Each account's roles at once: an organisation has hundreds.
        let roles =
            futures_util::future::join_all(listed.iter().map(|(id, _)| self.roles(id))).await;
        listed
            .into_iter()
            .zip(roles)
            .map(|((id, name), roles)| {
                let roles = roles?;
                Ok(OrgAccount {
                    inventory_role: RoleChoice::pick(&choice.inventory, &roles),
                    session_role: RoleChoice::pick(&choice.session, &roles),
                    id,
                    name,
                    roles,
                })
            })
            .collect()
    }

    async fn roles(&self, account_id: &str) -> Result<Vec<String>, String> {
        let mut roles = Vec::new();
        let mut pages = self
            .client
            .list_account_roles()
            .access_token(&self.login.token)
            .account_id(account_id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.said("ListAccountRoles", e))?;
            roles.extend(
                page.role_list()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_owned)),
            );
        }
        Ok(roles)
    }

    /// The configuration for `account_id` as `role`: the base's, with that role's
    /// credentials, asked for now (so that an account that refuses is said at once) and again
    /// whenever they are within five minutes of expiring, for as long as the configuration
    /// is used.
    pub async fn account_config(
        self: &Arc<Self>,
        account_id: &str,
        role: &str,
    ) -> Result<SdkConfig, String> {
        self.role_credentials(account_id, role).await?;
        let provider = RoleProvider {
            portal: self.clone(),
            account_id: account_id.to_owned(),
            role: role.to_owned(),
        };
        Ok(self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build())
    }

    /// The role's credentials: the cached ones while fresh, else new ones from the portal.
    async fn role_credentials(&self, account_id: &str, role: &str) -> Result<Credentials, String> {
        let key = (account_id.to_owned(), role.to_owned());
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|at| at > SystemTime::now() + Duration::from_secs(300))
        };
        let cached = self
            .cache
            .lock()
            .ok()
            .and_then(|cache| cache.get(&key).filter(|c| fresh(c)).cloned());
        if let Some(credentials) = cached {
            return Ok(credentials);
        }
        let answer = self
            .client
            .get_role_credentials()
            .access_token(&self.login.token)
            .account_id(account_id)
            .role_name(role)
            .send()
            .await
            .map_err(|e| self.said("GetRoleCredentials", e))?;
        let role_credentials = answer
            .role_credentials()
            .ok_or("GetRoleCredentials gave no credentials")?;
        let expiry = u64::try_from(role_credentials.expiration())
            .ok()
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms));
        let credentials = Credentials::new(
            role_credentials.access_key_id().unwrap_or_default(),
            role_credentials.secret_access_key().unwrap_or_default(),
            role_credentials.session_token().map(str::to_owned),
            expiry,
            "bosun-sso-role",
        );
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, credentials.clone());
        }
        Ok(credentials)
    }

    /// An SSO call's failure as a sentence: an expired login says how to log in again.
    fn said<E, R>(&self, call: &str, error: aws_sdk_sso::error::SdkError<E, R>) -> String
    where
        E: std::error::Error + aws_sdk_sso::error::ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        let code = aws_sdk_sso::error::ProvideErrorMetadata::code(&error).map(str::to_owned);
        let profile = &self.login.profile;
        match code.as_deref() {
            Some("UnauthorizedException") => format!(
                "the SSO login to {} is no longer valid: run `bosun login --profile {profile}` or `aws sso login --profile {profile}`",
                self.login.start_url
            ),
            Some("ResourceNotFoundException") | Some("ForbiddenException") => {
                format!("{call}: this login may not use that account or role")
            }
            Some(other) => format!("{call} failed: {other}"),
            None => format!("{call} failed: {}", error_chain(&error)),
        }
    }
}

/// An account role's credentials for the SDK, renewed through the portal as they expire.
struct RoleProvider {
    portal: Arc<Portal>,
    account_id: String,
    role: String,
}

impl std::fmt::Debug for RoleProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleProvider")
            .field("account_id", &self.account_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl ProvideCredentials for RoleProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.portal
                .role_credentials(&self.account_id, &self.role)
                .await
                .map_err(provider::error::CredentialsError::provider_error)
        })
    }
}

/// An SDK error's own words, the source chain included (a dropped connection says why).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_times_and_paths_read_as_the_aws_cli_writes_them() {
        let at = parse_rfc3339("2026-12-06T18:00:00Z").expect("parses");
        assert_eq!(
            at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).ok(),
            Some(1_796_580_000)
        );
        assert_eq!(parse_rfc3339("2026-12-06T18:00:00.000Z"), Some(at));
        assert_eq!(parse_rfc3339("2026-12-06T18:00:00+00:00"), Some(at));
        assert_eq!(parse_rfc3339("soon"), None);
        // The AWS CLI's name for an sso-session "my-sso": the SHA-1 of the name.
        let path = token_path(std::path::Path::new("/home/me"), "my-sso");
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some("0ad374308c5a4e22f723adf10145eafad7c4031c.json")
        );
        assert!(path.starts_with("/home/me/.aws/sso/cache"));
    }

    #[test]
    fn the_first_role_an_account_offers_is_taken() {
        let login = SsoLogin {
            profile: "org".to_owned(),
            start_url: "https://x.awsapps.com/start".to_owned(),
            region: "us-east-1".to_owned(),
            token: "t".to_owned(),
            expires: SystemTime::now(),
            profile_role: Some("Operator".to_owned()),
        };
        let choice = RoleChoice::default().resolved(&login);
        assert_eq!(choice.inventory[..2], ["Operator", "ReadOnly"]);
        let offered = vec!["ReadOnly".to_owned(), "Admin".to_owned()];
        assert_eq!(
            RoleChoice::pick(&choice.inventory, &offered).as_deref(),
            Some("ReadOnly")
        );
        let configured = RoleChoice {
            inventory: vec!["ViewOnly".to_owned()],
            session: vec!["Admin".to_owned()],
        }
        .resolved(&login);
        assert_eq!(RoleChoice::pick(&configured.inventory, &offered), None);
        assert_eq!(
            RoleChoice::pick(&configured.session, &offered).as_deref(),
            Some("Admin")
        );
        assert!(
            !format!("{login:?}").contains("token: \"t\""),
            "the token is never printed"
        );
    }
}
