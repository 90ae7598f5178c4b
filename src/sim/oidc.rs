//! The organisation's SSO-OIDC service, for logging in without the AWS CLI: RegisterClient,
//! StartDeviceAuthorization and CreateToken (the device-code grant, and refresh tokens), as
//! botocore's `sso-oidc` model says. The simulated user approves every device at once, but
//! not before the client has asked once and been told to wait, so clients poll as they must.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use serde_json::{Value, json};

use super::api::ApiError;
use super::json::{json_error, json_response};

/// The device-code grant's type, as RFC 8628 names it.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Default)]
pub(crate) struct Oidc {
    /// Registered clients: id → secret.
    clients: HashMap<String, String>,
    /// Device codes started: code → whether the client has been told to wait once.
    devices: HashMap<String, bool>,
    /// Refresh tokens handed out.
    refresh_tokens: Vec<String>,
}

/// Whether `path` is one of the service's (all POST).
pub fn serves(path: &str) -> bool {
    matches!(
        path,
        "/client/register" | "/device_authorization" | "/token"
    )
}

fn oidc_error(status: u16, code: &str, description: &str) -> Response<Full<Bytes>> {
    // The service's errors carry OAuth's fields (`error`, `error_description`).
    let mut response = json_error(&ApiError::new(status, code, description));
    let body = json!({"error": oauth_name(code), "error_description": description});
    *response.body_mut() = Full::new(Bytes::from(body.to_string()));
    response
}

fn oauth_name(code: &str) -> &'static str {
    match code {
        "AuthorizationPendingException" => "authorization_pending",
        "InvalidClientException" => "invalid_client",
        "InvalidGrantException" => "invalid_grant",
        "UnsupportedGrantTypeException" => "unsupported_grant_type",
        _ => "invalid_request",
    }
}

fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

impl Oidc {
    /// Answers one call; `token` is what a granted login gets (the portal's bearer token).
    pub fn answer(
        this: &Mutex<Oidc>,
        path: &str,
        body: &[u8],
        start_url: &str,
        token: &str,
        now_secs: i64,
    ) -> Response<Full<Bytes>> {
        let Ok(input) = serde_json::from_slice::<Value>(body) else {
            return oidc_error(400, "InvalidRequestException", "the body is not JSON");
        };
        let Ok(mut oidc) = this.lock() else {
            return oidc_error(500, "InternalServerException", "state unavailable");
        };
        let text = |key: &str| input[key].as_str().unwrap_or_default().to_owned();
        if path == "/client/register" {
            if text("clientName").is_empty() || text("clientType").is_empty() {
                return oidc_error(
                    400,
                    "InvalidRequestException",
                    "clientName and clientType are required",
                );
            }
            let (id, secret) = (random_id("client-"), random_id("secret-"));
            oidc.clients.insert(id.clone(), secret.clone());
            return json_response(&json!({
                "clientId": id,
                "clientSecret": secret,
                "clientIdIssuedAt": now_secs,
                "clientSecretExpiresAt": now_secs + 90 * 86_400,
            }));
        }
        let (client_id, client_secret) = (text("clientId"), text("clientSecret"));
        if oidc.clients.get(&client_id) != Some(&client_secret) {
            return oidc_error(
                401,
                "InvalidClientException",
                "unknown client or wrong secret",
            );
        }
        if path == "/device_authorization" {
            if text("startUrl") != start_url {
                return oidc_error(
                    400,
                    "InvalidRequestException",
                    "not this portal's start URL",
                );
            }
            let device = random_id("device-");
            let user_code = device[7..15].to_uppercase();
            oidc.devices.insert(device.clone(), false);
            return json_response(&json!({
                "deviceCode": device,
                "userCode": user_code,
                "verificationUri": format!("{start_url}/#/device"),
                "verificationUriComplete": format!("{start_url}/#/device?user_code={user_code}"),
                "expiresIn": 600,
                "interval": 1,
            }));
        }
        let refresh = random_id("refresh-");
        let granted = json!({
            "accessToken": token,
            "tokenType": "Bearer",
            "expiresIn": 8 * 3600,
            "refreshToken": refresh,
        });
        match text("grantType").as_str() {
            DEVICE_GRANT => match oidc.devices.get_mut(&text("deviceCode")) {
                Some(told) if !*told => {
                    *told = true;
                    oidc_error(
                        400,
                        "AuthorizationPendingException",
                        "the user has not approved the device yet",
                    )
                }
                Some(_) => {
                    oidc.devices.remove(&text("deviceCode"));
                    oidc.refresh_tokens.push(refresh);
                    json_response(&granted)
                }
                None => oidc_error(400, "InvalidGrantException", "unknown or used device code"),
            },
            "refresh_token" if oidc.refresh_tokens.contains(&text("refreshToken")) => {
                oidc.refresh_tokens.push(refresh);
                json_response(&granted)
            }
            "refresh_token" => oidc_error(400, "InvalidGrantException", "unknown refresh token"),
            _ => oidc_error(
                400,
                "UnsupportedGrantTypeException",
                "only the device code and refresh token grants",
            ),
        }
    }
}
