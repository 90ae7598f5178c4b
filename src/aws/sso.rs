//! Logging in to an SSO portal as the AWS CLI does, and reading that login: the profile's
//! `[sso-session]` (or legacy `sso_start_url`), the token cache under `~/.aws/sso/cache` in
//! the AWS CLI's format (so the CLI, the SDKs and bosun share one login), and the OAuth
//! device authorization `bosun login` runs through SSO-OIDC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::profiles;

/// A login to an SSO portal, as `aws sso login` left it.
#[derive(Clone)]
pub struct SsoLogin {
    /// The profile it was found through.
    pub profile: String,
    pub start_url: String,
    pub region: String,
    pub(crate) token: String,
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

/// Where a login goes: the portal, its region, the key its token is cached under, and the
/// scopes to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSettings {
    pub profile: String,
    pub start_url: String,
    pub region: String,
    /// The sso-session's name, or (legacy profiles) the start URL.
    pub cache_key: String,
    pub scopes: Vec<String>,
    pub profile_role: Option<String>,
}

/// The settings of `profile` (or `AWS_PROFILE`, or `default`), or of the sso-session named
/// `session` when given.
pub fn settings(profile: Option<&str>, session: Option<&str>) -> Result<SsoSettings, String> {
    let profile = profile
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".to_owned());
    let from_session = |session: &str, profile_role: Option<String>| {
        let keys = profiles::config_section(&format!("sso-session {session}"))
            .ok_or_else(|| format!("the AWS config file defines no [sso-session {session}]"))?;
        let get = |key: &str| {
            keys.get(key).cloned().ok_or_else(|| {
                format!("[sso-session {session}] in the AWS config file has no {key}")
            })
        };
        Ok(SsoSettings {
            profile: profile.clone(),
            start_url: get("sso_start_url")?,
            region: get("sso_region")?,
            cache_key: session.to_owned(),
            scopes: keys
                .get("sso_registration_scopes")
                .map(|s| s.split(',').map(|s| s.trim().to_owned()).collect())
                .unwrap_or_else(|| vec!["sso:account:access".to_owned()]),
            profile_role,
        })
    };
    if let Some(session) = session {
        return from_session(session, None);
    }
    let header = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    let keys = profiles::config_section(&header).ok_or_else(|| {
        format!("the AWS config file has no profile {profile:?}: `aws configure sso` makes one")
    })?;
    let role = keys.get("sso_role_name").cloned();
    match (
        keys.get("sso_session"),
        keys.get("sso_start_url"),
        keys.get("sso_region"),
    ) {
        (Some(session), _, _) => from_session(session, role),
        (None, Some(url), Some(region)) => Ok(SsoSettings {
            profile: profile.clone(),
            start_url: url.clone(),
            region: region.clone(),
            cache_key: url.clone(),
            scopes: Vec::new(),
            profile_role: role,
        }),
        _ => Err(format!(
            "the profile {profile:?} has no SSO login (no sso_session or sso_start_url): `aws configure sso --profile {profile}` sets one up"
        )),
    }
}

/// The login `profile` (or `AWS_PROFILE`, or `default`) reaches: its sso-session's cached
/// token. Every way it can fail is said with what to do.
pub fn sso_login(profile: Option<&str>) -> Result<SsoLogin, String> {
    let settings = settings(profile, None)
        .map_err(|e| format!("--org reads the organisation through an SSO login: {e}"))?;
    let profile = settings.profile.clone();
    let start_url = settings.start_url.clone();
    let home = profiles::home().ok_or("no home directory to find the SSO token cache in")?;
    let path = token_path(&home, &settings.cache_key);
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
        region: settings.region,
        token: token.to_owned(),
        expires,
        profile_role: settings.profile_role,
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

/// What `bosun login` tells the user to do: open the URL and check the code.
pub struct DeviceCode {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
}

/// Logs in as `aws sso login` does: registers a client, starts the device authorization,
/// lets `show` tell the user where to approve it, polls for the token at the interval the
/// service asks (slower when told to), and writes it to the token cache in the AWS CLI's
/// format, readable by the user alone. Returns when the token expires.
pub async fn device_login(
    base: &aws_config::SdkConfig,
    settings: &SsoSettings,
    show: impl FnOnce(&DeviceCode),
) -> Result<SystemTime, String> {
    use aws_sdk_ssooidc::error::ProvideErrorMetadata;
    let config = aws_sdk_ssooidc::config::Builder::from(base)
        .region(aws_types::region::Region::new(settings.region.clone()))
        .build();
    let oidc = aws_sdk_ssooidc::Client::from_conf(config);
    let said = |call: &str, code: Option<&str>, message: Option<&str>| {
        format!(
            "{call} failed: {}{}",
            code.unwrap_or("no answer"),
            message.map(|m| format!(": {m}")).unwrap_or_default()
        )
    };
    let mut register = oidc
        .register_client()
        .client_name("bosun")
        .client_type("public");
    for scope in &settings.scopes {
        register = register.scopes(scope);
    }
    let client = register
        .send()
        .await
        .map_err(|e| said("RegisterClient", e.code(), e.message()))?;
    let (client_id, client_secret) = (
        client.client_id().unwrap_or_default().to_owned(),
        client.client_secret().unwrap_or_default().to_owned(),
    );
    let device = oidc
        .start_device_authorization()
        .client_id(&client_id)
        .client_secret(&client_secret)
        .start_url(&settings.start_url)
        .send()
        .await
        .map_err(|e| said("StartDeviceAuthorization", e.code(), e.message()))?;
    show(&DeviceCode {
        verification_uri: device.verification_uri().unwrap_or_default().to_owned(),
        verification_uri_complete: device.verification_uri_complete().map(str::to_owned),
        user_code: device.user_code().unwrap_or_default().to_owned(),
    });
    let mut interval = Duration::from_secs(u64::try_from(device.interval()).unwrap_or(5).max(1));
    let deadline =
        SystemTime::now() + Duration::from_secs(u64::try_from(device.expires_in()).unwrap_or(600));
    let token = loop {
        if SystemTime::now() > deadline {
            return Err("the device was not approved in time: run `bosun login` again".to_owned());
        }
        tokio::time::sleep(interval).await;
        let answer = oidc
            .create_token()
            .client_id(&client_id)
            .client_secret(&client_secret)
            .grant_type("urn:ietf:params:oauth:grant-type:device_code")
            .device_code(device.device_code().unwrap_or_default())
            .send()
            .await;
        match answer {
            Ok(token) => break token,
            Err(error) => match error.code() {
                Some("AuthorizationPendingException") => {}
                // RFC 8628: slow down by five seconds each time the service asks.
                Some("SlowDownException") => interval += Duration::from_secs(5),
                Some("AccessDeniedException") => {
                    return Err("the login was denied in the browser".to_owned());
                }
                code => return Err(said("CreateToken", code, error.message())),
            },
        }
    };
    let expires =
        SystemTime::now() + Duration::from_secs(u64::try_from(token.expires_in()).unwrap_or(3600));
    let iso = |at: SystemTime| {
        crate::model::format::iso8601(
            at.duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        )
        .replace(".000Z", "Z")
    };
    let mut cached = serde_json::json!({
        "startUrl": settings.start_url,
        "region": settings.region,
        "accessToken": token.access_token().unwrap_or_default(),
        "expiresAt": iso(expires),
        "clientId": client_id,
        "clientSecret": client_secret,
        "registrationExpiresAt": iso(UNIX_EPOCH + Duration::from_secs(u64::try_from(client.client_secret_expires_at()).unwrap_or(0))),
    });
    if let Some(refresh) = token.refresh_token() {
        cached["refreshToken"] = serde_json::json!(refresh);
    }
    let home = profiles::home().ok_or("no home directory for the SSO token cache")?;
    let path = token_path(&home, &settings.cache_key);
    write_private(&path, cached.to_string().as_bytes())
        .map_err(|e| format!("cannot write the token cache {}: {e}", path.display()))?;
    Ok(expires)
}

/// Writes `bytes` to `path` (its folder made first), readable by its owner alone: a token is
/// a credential.
pub(crate) fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::platform::write_private(path, bytes)
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
}
