//! The organisation without SSO: from the management account (or a delegated administrator),
//! Organizations `ListAccounts` names every active account, and STS `AssumeRole` into a role
//! of each (by default `OrganizationAccountAccessRole`, which Organizations creates in the
//! accounts it creates) gives credentials, an hour at a time. The caller's own account is
//! read with the caller's own credentials: the role is not there.

use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::Credentials;

/// The role bosun assumes in each account when none is configured.
pub const DEFAULT_ROLE: &str = "OrganizationAccountAccessRole";

/// What the caller's own account shows as its role: its own credentials, no role taken.
pub const OWN_CREDENTIALS: &str = "(own credentials)";

pub(super) struct Management {
    organizations: aws_sdk_organizations::Client,
    sts: aws_sdk_sts::Client,
    profile: String,
    role: String,
    /// The caller's account.
    own_account: String,
    /// What AssumeRole records as the session's name (CloudTrail shows it).
    session_name: String,
}

impl Management {
    /// Organizations as `base`'s credentials reach it; the caller's account is asked for now
    /// (so that missing credentials are said before any account is listed).
    pub(super) async fn new(
        base: &SdkConfig,
        profile: &str,
        role: &str,
    ) -> Result<Management, String> {
        let sts = aws_sdk_sts::Client::new(base);
        let identity = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                format!(
                    "--org needs an SSO login or the management account's credentials; profile {profile} has neither ({})",
                    crate::aws::errors::describe(&e)
                )
            })?;
        Ok(Management {
            organizations: aws_sdk_organizations::Client::new(base),
            sts,
            profile: profile.to_owned(),
            role: role.to_owned(),
            own_account: identity.account().unwrap_or_default().to_owned(),
            session_name: session_name(),
        })
    }

    pub(super) fn profile(&self) -> &str {
        &self.profile
    }

    pub(super) fn role(&self) -> &str {
        &self.role
    }

    pub(super) fn is_own(&self, account_id: &str) -> bool {
        account_id == self.own_account
    }

    /// Every active account as (id, name, roles): the configured role in each, the caller's
    /// own credentials in its own account.
    pub(super) async fn accounts(&self) -> Result<Vec<(String, String, Vec<String>)>, String> {
        let mut listed = Vec::new();
        let mut pages = self.organizations.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.said(e))?;
            for account in page.accounts() {
                let active = account
                    .state()
                    .map(|s| s.as_str() == "ACTIVE")
                    .or_else(|| account.status().map(|s| s.as_str() == "ACTIVE"))
                    .unwrap_or(true);
                if !active {
                    continue;
                }
                let id = account.id().unwrap_or_default().to_owned();
                let role = if self.is_own(&id) {
                    OWN_CREDENTIALS.to_owned()
                } else {
                    self.role.clone()
                };
                listed.push((
                    id,
                    account.name().unwrap_or_default().to_owned(),
                    vec![role],
                ));
            }
        }
        Ok(listed)
    }

    /// Credentials of the role in `account_id`, for an hour.
    pub(super) async fn assume(&self, account_id: &str) -> Result<Credentials, String> {
        let arn = format!("arn:aws:iam::{account_id}:role/{}", self.role);
        let answer = self
            .sts
            .assume_role()
            .role_arn(&arn)
            .role_session_name(&self.session_name)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "AssumeRole into {arn} was refused ({}): set [org] assume_role to a role this account lets the management account take",
                    crate::aws::errors::describe(&e)
                )
            })?;
        let credentials = answer
            .credentials()
            .ok_or("AssumeRole gave no credentials")?;
        Ok(Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            SystemTime::try_from(*credentials.expiration()).ok(),
            "bosun-assumed-role",
        ))
    }

    /// ListAccounts' failure as a sentence with the way on.
    fn said<E, R>(&self, error: aws_sdk_organizations::error::SdkError<E, R>) -> String
    where
        E: std::error::Error + aws_sdk_organizations::error::ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        use aws_sdk_organizations::error::ProvideErrorMetadata;
        let profile = &self.profile;
        let account = &self.own_account;
        match error.code() {
            Some("AccessDeniedException") => format!(
                "--org without an SSO login lists the accounts through Organizations, which account {account} (profile {profile}) may not: use the management account's (or a delegated administrator's) profile, or an SSO login (`aws configure sso`)"
            ),
            Some("AWSOrganizationsNotInUseException") => format!(
                "account {account} (profile {profile}) is in no organisation: --org needs an SSO login or an AWS Organization"
            ),
            _ => format!(
                "Organizations ListAccounts failed: {}",
                crate::aws::errors::describe(&error)
            ),
        }
    }
}

/// `bosun-USER` where the user's name has only what a session name allows, else `bosun`.
fn session_name() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();
    let allowed: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c))
        .take(56)
        .collect();
    if allowed.is_empty() {
        "bosun".to_owned()
    } else {
        format!("bosun-{allowed}")
    }
}
