//! The organisation's accounts (`--org`) and the credentials bosun takes in each: through one
//! SSO login (the portal, `portal.rs`), or without SSO through Organizations from the
//! management account (`organizations.rs`); and AWS's own index of the organisation's managed
//! nodes (`index.rs`). An account's credentials are asked for when it is first used and kept
//! in memory until they expire, never on disk.

mod index;
mod organizations;
mod portal;

pub use index::{IndexError, find_in_index, probe_index, read_index};
pub use organizations::{DEFAULT_ROLE as DEFAULT_ASSUME_ROLE, OWN_CREDENTIALS};

/// The resource data sync Quick Setup makes of the organisation's managed nodes: the index.
pub const NODE_SYNC: &str = "AWS-QuickSetup-ManagedNode";

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};

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

/// How the organisation is reached: a login's portal, or the management account's
/// Organizations and AssumeRole.
enum Way {
    Sso(portal::SsoPortal),
    Organizations(organizations::Management),
}

/// An account and a role in it.
type RoleKey = (String, String);

/// The organisation as bosun reaches it, and the credentials of its accounts' roles.
pub struct Access {
    way: Way,
    base: SdkConfig,
    /// Role credentials by (account, role), until they expire.
    cache: Mutex<HashMap<RoleKey, Credentials>>,
    /// One ask at a time per (account, role).
    asking: Mutex<HashMap<RoleKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl Access {
    /// Through the portal of `login`; `base` gives the endpoint and HTTP client (and each
    /// account's configuration, with its role's credentials instead of the base's).
    pub fn through_sso(base: &SdkConfig, login: SsoLogin) -> Access {
        Access {
            way: Way::Sso(portal::SsoPortal::new(base, login)),
            base: base.clone(),
            cache: Mutex::new(HashMap::new()),
            asking: Mutex::new(HashMap::new()),
        }
    }

    /// Through Organizations with `base`'s credentials (the management account's, or a
    /// delegated administrator's), taking `role` in every other account.
    pub async fn through_organizations(
        base: &SdkConfig,
        profile: &str,
        role: &str,
    ) -> Result<Access, String> {
        Ok(Access {
            way: Way::Organizations(organizations::Management::new(base, profile, role).await?),
            base: base.clone(),
            cache: Mutex::new(HashMap::new()),
            asking: Mutex::new(HashMap::new()),
        })
    }

    /// The profile the organisation is read through.
    pub fn profile(&self) -> &str {
        match &self.way {
            Way::Sso(portal) => &portal.login().profile,
            Way::Organizations(management) => management.profile(),
        }
    }

    /// The configuration of the profile itself (the login's own account and role, or the
    /// management account): what reads the organisation's index.
    pub fn base(&self) -> &SdkConfig {
        &self.base
    }

    /// The roles bosun takes, resolved for this way in.
    pub fn resolved(&self, choice: &RoleChoice) -> RoleChoice {
        match &self.way {
            Way::Sso(portal) => choice.resolved(portal.login()),
            Way::Organizations(management) => {
                let roles = vec![management.role().to_owned(), OWN_CREDENTIALS.to_owned()];
                RoleChoice {
                    inventory: roles.clone(),
                    session: roles,
                }
            }
        }
    }

    /// Every account the organisation lists, with its roles and bosun's choice among them.
    pub async fn accounts(&self, choice: &RoleChoice) -> Result<Vec<OrgAccount>, String> {
        let choice = self.resolved(choice);
        let listed = match &self.way {
            Way::Sso(portal) => portal.accounts().await?,
            Way::Organizations(management) => management.accounts().await?,
        };
        Ok(listed
            .into_iter()
            .map(|(id, name, roles)| OrgAccount {
                inventory_role: RoleChoice::pick(&choice.inventory, &roles),
                session_role: RoleChoice::pick(&choice.session, &roles),
                id,
                name,
                roles,
            })
            .collect())
    }

    /// The configuration for `account_id` as `role`: the base's, with that role's
    /// credentials, asked for now (so that an account that refuses is said at once) and again
    /// whenever they are within five minutes of expiring, for as long as the configuration
    /// is used. The management account's own row is the base itself.
    pub async fn account_config(
        self: &Arc<Self>,
        account_id: &str,
        role: &str,
    ) -> Result<SdkConfig, String> {
        if let Way::Organizations(management) = &self.way
            && management.is_own(account_id)
        {
            return Ok(self.base.clone());
        }
        self.role_credentials(account_id, role).await?;
        Ok(self.lazy_config(account_id, role))
    }

    /// The same without asking for the credentials now: they are asked for at the first call
    /// (which says so when they are refused). For the console's sources, so that its reads
    /// start at once.
    pub fn lazy_config(self: &Arc<Self>, account_id: &str, role: &str) -> SdkConfig {
        if let Way::Organizations(management) = &self.way
            && management.is_own(account_id)
        {
            return self.base.clone();
        }
        let provider = RoleProvider {
            access: self.clone(),
            account_id: account_id.to_owned(),
            role: role.to_owned(),
        };
        self.base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build()
    }

    /// The role's credentials: the cached ones while fresh, else new ones, asked for once
    /// however many reads of the account (one per region) want them at the same time.
    async fn role_credentials(&self, account_id: &str, role: &str) -> Result<Credentials, String> {
        let key = (account_id.to_owned(), role.to_owned());
        let turn = self
            .asking
            .lock()
            .map(|mut asking| asking.entry(key.clone()).or_default().clone())
            .unwrap_or_default();
        let _turn = turn.lock().await;
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
        let credentials = match &self.way {
            Way::Sso(portal) => portal.role_credentials(account_id, role).await?,
            Way::Organizations(management) => management.assume(account_id).await?,
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, credentials.clone());
        }
        Ok(credentials)
    }
}

/// An account role's credentials for the SDK, renewed as they expire.
struct RoleProvider {
    access: Arc<Access>,
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
            self.access
                .role_credentials(&self.account_id, &self.role)
                .await
                .map_err(provider::error::CredentialsError::provider_error)
        })
    }
}

/// An SDK error's own words, the source chain included (a dropped connection says why).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
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
