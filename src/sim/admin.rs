//! The simulator's control endpoints and a client for them: `GET /_sim/requests` (request
//! counts per operation), `GET|POST /_sim/faults` (the fault spec), `GET /_sim/output/SESSION`
//! (the SHA-256 and length of what a session's program wrote). A control request is
//! signed with SigV4 for `ssm` like every API call, and a simulator that lets in only its
//! own clients (`bosun sim`, `--demo`) takes it only from its own key pair, so another local
//! user can neither throttle nor cut the console's sessions.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::SimState;
use super::upgrade_auth::{self, UpgradeAuth};

/// The service a control request is signed for.
const SERVICE: &str = "ssm";

pub(crate) async fn serve(
    request: Request<Incoming>,
    path: &str,
    state: &SimState,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, 64 * 1024).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "request too large"),
    };
    match upgrade_auth::check_parts(&parts, &body, SERVICE, &state.known_keys, state.now()) {
        UpgradeAuth::Verified { .. } => {}
        UpgradeAuth::UnknownKey { .. } if !state.require_signatures => {}
        UpgradeAuth::Unsigned => {
            return plain(
                StatusCode::FORBIDDEN,
                "control requests are signed (SigV4 for ssm) with the simulator's key pair",
            );
        }
        UpgradeAuth::UnknownKey { access_key } => {
            return plain(
                StatusCode::FORBIDDEN,
                &format!("The security token {access_key} is invalid."),
            );
        }
        UpgradeAuth::Refused(reason) => return plain(StatusCode::FORBIDDEN, &reason),
    }
    match (parts.method, path) {
        (Method::GET, "/_sim/requests") => {
            let counts = state.counters.lock().map(|c| c.clone()).unwrap_or_default();
            json_response(&serde_json::to_value(counts).unwrap_or_default())
        }
        (Method::GET, _) if path.starts_with("/_sim/output/") => {
            use sha2::Digest;
            let session = path.trim_start_matches("/_sim/output/");
            let tally = state
                .outputs
                .lock()
                .ok()
                .and_then(|outputs| outputs.get(session).cloned());
            match tally {
                Some((digest, length)) => json_response(&serde_json::json!({
                    "sha256": hex::encode(digest.finalize()),
                    "bytes": length,
                })),
                None => plain(StatusCode::NOT_FOUND, "no output from that session"),
            }
        }
        (Method::GET, "/_sim/faults") => {
            let faults = state
                .faults
                .lock()
                .map(|f| format!("{f:?}"))
                .unwrap_or_default();
            plain(StatusCode::OK, &faults)
        }
        (Method::POST, "/_sim/faults") => {
            match super::Faults::parse(&String::from_utf8_lossy(&body)) {
                Ok(faults) => {
                    if let Ok(mut current) = state.faults.lock() {
                        *current = faults;
                    }
                    plain(StatusCode::OK, "ok")
                }
                Err(error) => plain(StatusCode::BAD_REQUEST, &error),
            }
        }
        _ => plain(
            StatusCode::NOT_FOUND,
            "known: GET /_sim/requests, GET|POST /_sim/faults, GET /_sim/output/SESSION",
        ),
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response
}

fn json_response(value: &serde_json::Value) -> Response<Full<Bytes>> {
    Response::new(Full::new(Bytes::from(value.to_string())))
}

/// Calls a simulator's control endpoint at `endpoint` (`http://127.0.0.1:PORT`), signed with
/// `keys` (access key, secret): `GET path`, or `POST path` with `body`. The answer's status
/// and body.
pub async fn call(
    endpoint: &str,
    keys: (&str, &str),
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let host = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let url = format!("http://{host}{path}");
    let identity = Credentials::new(keys.0, keys.1, None, None, "bosun-sim-admin").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(SERVICE)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|error| error.to_string())?
        .into();
    let signable = SignableRequest::new(
        method,
        &url,
        [("host", host.as_str())].into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|error| error.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|error| error.to_string())?
        .into_parts();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in instructions.headers() {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    let mut stream = tokio::net::TcpStream::connect(&host)
        .await
        .map_err(|error| format!("cannot reach the simulator at {host}: {error}"))?;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| error.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .map_err(|error| error.to_string())?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
