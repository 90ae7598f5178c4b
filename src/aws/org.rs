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

pub use super::sso::{SsoLogin, sso_login};

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
