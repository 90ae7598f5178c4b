//! The SSO portal, reached with a login's token: the accounts it assigns, each account's
//! roles, and a role's credentials; an expired login said with the command that renews it.

use std::time::{Duration, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_types::region::Region;

use super::SsoLogin;

/// Accounts asked for a page: the most the portal gives (an organisation has hundreds).
const ACCOUNTS_PER_PAGE: i32 = 100;

pub(super) struct SsoPortal {
    client: aws_sdk_sso::Client,
    login: SsoLogin,
}

impl SsoPortal {
    /// The portal of `login`, at `base`'s endpoint with its HTTP client.
    pub(super) fn new(base: &SdkConfig, login: SsoLogin) -> SsoPortal {
        let config = aws_sdk_sso::config::Builder::from(base)
            .region(Region::new(login.region.clone()))
            .build();
        SsoPortal {
            client: aws_sdk_sso::Client::from_conf(config),
            login,
        }
    }

    pub(super) fn login(&self) -> &SsoLogin {
        &self.login
    }

    /// Every account the login may use, as (id, name, roles).
    pub(super) async fn accounts(&self) -> Result<Vec<(String, String, Vec<String>)>, String> {
        let mut listed = Vec::new();
        let mut pages = self
            .client
            .list_accounts()
            .access_token(&self.login.token)
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

    /// New credentials for `role` in `account_id`.
    pub(super) async fn role_credentials(
        &self,
        account_id: &str,
        role: &str,
    ) -> Result<Credentials, String> {
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
