//! The SSO portal, reached with a login's token: the accounts it assigns, each account's
//! roles, and a role's credentials; an expired login said with the command that renews it.
//! A token the portal no longer takes is read again from the cache before that is said: a
//! `bosun login` (or `aws sso login`) made meanwhile is used at once, and the sessions whose
//! credentials come from here renew them with it.

use std::time::{Duration, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_types::region::Region;

use super::SsoLogin;

/// Accounts asked for a page: the most the portal gives (an organisation has hundreds).
const ACCOUNTS_PER_PAGE: i32 = 100;

/// Reads a profile's login token from the cache again.
type Reread = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub(super) struct SsoPortal {
    client: aws_sdk_sso::Client,
    login: SsoLogin,
    /// The token in use: the login's, or a newer one found in the cache.
    token: std::sync::RwLock<String>,
    /// Where a newer token is looked for: the profile's login in the AWS CLI's cache.
    reread: Reread,
}

impl SsoPortal {
    /// The portal of `login`, at `base`'s endpoint with its HTTP client.
    pub(super) fn new(base: &SdkConfig, login: SsoLogin) -> SsoPortal {
        let config = aws_sdk_sso::config::Builder::from(base)
            .region(Region::new(login.region.clone()))
            .build();
        SsoPortal {
            client: aws_sdk_sso::Client::from_conf(config),
            token: std::sync::RwLock::new(login.token.clone()),
            login,
            reread: Box::new(|profile| super::sso_login(Some(profile)).ok().map(|l| l.token)),
        }
    }

    pub(super) fn login(&self) -> &SsoLogin {
        &self.login
    }

    fn token(&self) -> String {
        self.token
            .read()
            .map(|t| t.clone())
            .unwrap_or_else(|_| self.login.token.clone())
    }

    /// A token newer than the one in use, from the cache (a login made since): `true` when
    /// there is one, now in use.
    fn newer_login(&self) -> bool {
        let Some(cached) = (self.reread)(&self.login.profile) else {
            return false;
        };
        let Ok(mut token) = self.token.write() else {
            return false;
        };
        if cached == *token {
            return false;
        }
        *token = cached;
        true
    }

    /// Every account the login may use, as (id, name, roles).
    pub(super) async fn accounts(&self) -> Result<Vec<(String, String, Vec<String>)>, String> {
        let mut listed = Vec::new();
        let mut pages = self
            .client
            .list_accounts()
            .access_token(self.token())
            .max_results(ACCOUNTS_PER_PAGE)
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
            .map(|((id, name), roles)| Ok((id, name, roles?)))
            .collect()
    }

    async fn roles(&self, account_id: &str) -> Result<Vec<String>, String> {
        let mut roles = Vec::new();
        let mut pages = self
            .client
            .list_account_roles()
            .access_token(self.token())
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

    /// New credentials for `role` in `account_id` (with a newer login's token, when the one
    /// in use is no longer taken and there is one).
    pub(super) async fn role_credentials(
        &self,
        account_id: &str,
        role: &str,
    ) -> Result<Credentials, String> {
        let ask = || {
            self.client
                .get_role_credentials()
                .access_token(self.token())
                .account_id(account_id)
                .role_name(role)
                .send()
        };
        let answer = match ask().await {
            Err(error)
                if aws_sdk_sso::error::ProvideErrorMetadata::code(&error)
                    == Some("UnauthorizedException")
                    && self.newer_login() =>
            {
                ask().await
            }
            other => other,
        }
        .map_err(|e| self.said("GetRoleCredentials", e))?;
        let role_credentials = answer
            .role_credentials()
            .ok_or("GetRoleCredentials gave no credentials")?;
        let expiry = u64::try_from(role_credentials.expiration())
            .ok()
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms));
        Ok(Credentials::new(
            role_credentials.access_key_id().unwrap_or_default(),
            role_credentials.secret_access_key().unwrap_or_default(),
            role_credentials.session_token().map(str::to_owned),
            expiry,
            "bosun-sso-role",
        ))
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
            None => format!("{call} failed: {}", super::error_chain(&error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portal(base: &SdkConfig, token: &str, newer: Option<String>) -> SsoPortal {
        let login = SsoLogin {
            profile: "org".to_owned(),
            start_url: "https://sim.awsapps.com/start".to_owned(),
            region: "us-east-1".to_owned(),
            token: token.to_owned(),
            expires: std::time::SystemTime::now(),
            profile_role: None,
        };
        let mut portal = SsoPortal::new(base, login);
        portal.reread = Box::new(move |_| newer.clone());
        portal
    }

    #[tokio::test]
    async fn a_login_made_since_is_used_when_the_old_token_is_refused() {
        let sim = crate::sim::start(crate::sim::SimConfig {
            accounts: 1,
            ..crate::sim::SimConfig::default()
        })
        .await
        .expect("simulator");
        let (_, token) = sim.portal_login().expect("an organisation");
        let base = crate::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
        let member = "210987600001";
        // The token in use was revoked; the cache holds a new login's.
        let renewed = portal(&base, "revoked", Some(token.clone()));
        let credentials = renewed.role_credentials(member, "ReadOnly").await;
        assert!(credentials.is_ok(), "{credentials:?}");
        assert_eq!(renewed.token(), token);
        // No newer login: said, with the command.
        let stale = portal(&base, "revoked", Some("revoked".to_owned()));
        let refused = stale.role_credentials(member, "ReadOnly").await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("no longer valid: run `bosun login --profile org`")),
            "{refused:?}"
        );
    }
}
