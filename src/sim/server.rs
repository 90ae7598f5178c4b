//! The simulator's HTTP/1.1 front door on loopback: routes AWS JSON 1.1 calls by
//! `X-Amz-Target`, EC2 query calls by `Action`, WebSocket upgrades on `/v1/data-channel/…`
//! to the session's agent, and `/_sim/…` to the admin endpoint. Every failure a client can
//! cause gets an AWS-shaped error; none takes the server down.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::api::{self, ApiError, ApiResult};
use super::json::{json_error, json_response};
use super::sigv4::{self, SigV4Error};
use super::upgrade_auth::{self, UpgradeAuth, UpgradeRequest};
use super::{
    SimState, UpgradeRecord, caller_api, ec2_api, ecs_api, iam_api, kms_api, org_api,
    session_agent, ssm_api,
};

/// Request bodies above this are refused (no real request comes close).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// What one listener answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serves {
    Everything,
    /// The APIs only (data channels have a listener of their own).
    Api,
    /// Data channels only, as a VPC endpoint for `ssmmessages`.
    DataChannels,
}

/// Which simulated AWS answers a request: the simulator's own account, or (with an
/// organisation) the account whose keys signed it.
#[derive(Clone)]
pub(crate) struct Router {
    pub main: Arc<SimState>,
    pub org: Option<Arc<super::org::Organization>>,
}

impl Router {
    fn for_key(&self, access_key: &str) -> Arc<SimState> {
        self.org
            .as_ref()
            .and_then(|org| org.state_for_key(access_key))
            .unwrap_or(&self.main)
            .clone()
    }

    fn with_session(&self, session_id: &str) -> Arc<SimState> {
        self.org
            .as_ref()
            .and_then(|org| org.state_with_session(session_id))
            .unwrap_or(&self.main)
            .clone()
    }
}

pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    serves: Serves,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, router.clone(), serves));
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(error) = connection.await {
                tracing::debug!(%error, "simulator connection ended with an error");
            }
        });
    }
}

async fn handle(
    request: Request<Incoming>,
    router: Router,
    serves: Serves,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // Every answer carries the simulated clock, as AWS's do: it is how SDKs measure their
    // clock's skew.
    let date = api::http_date(router.main.now());
    let data_channel = request.uri().path().starts_with("/v1/data-channel/");
    // Logging in (SSO-OIDC) reads a body; the portal's calls are GETs.
    if let Some(org) = &router.org
        && request.method() == Method::POST
        && super::oidc::serves(request.uri().path())
    {
        let path = request.uri().path().to_owned();
        let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let now = router
            .main
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut response =
            super::oidc::Oidc::answer(&org.oidc, &path, &body, &org.start_url, &org.token, now);
        if let Ok(value) = HeaderValue::from_str(&date) {
            response.headers_mut().insert(hyper::header::DATE, value);
        }
        return Ok(response);
    }
    let portal = router
        .org
        .as_ref()
        .and_then(|org| org.portal(&request, router.main.now()));
    // The portal is as far away as the rest of AWS (`slow=` on the management account).
    let slow = router
        .main
        .faults
        .lock()
        .map(|f| f.slow)
        .unwrap_or_default();
    if portal.is_some() && !slow.is_zero() {
        tokio::time::sleep(slow).await;
    }
    let mut response = match (serves, data_channel, portal) {
        (Serves::Api, true, _) => plain(StatusCode::NOT_FOUND, "no data channels here"),
        (Serves::DataChannels, false, _) => plain(StatusCode::NOT_FOUND, "data channels only"),
        (_, _, Some(answer)) => answer,
        _ => route(request, router).await?,
    };
    if let Ok(value) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(hyper::header::DATE, value);
    }
    Ok(response)
}

async fn route(
    request: Request<Incoming>,
    router: Router,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    if let Some(session_id) = path.strip_prefix("/v1/data-channel/") {
        let state = router.with_session(session_id);
        return Ok(upgrade_data_channel(request, session_id.to_owned(), state));
    }
    if path.starts_with("/_sim/") {
        return Ok(super::admin::serve(request, &path, &router.main).await);
    }
    if request.method() != Method::POST {
        return Ok(json_error(&ApiError::new(
            404,
            "UnknownOperationException",
            "Only POST requests are served here",
        )));
    }
    let target = header(&request, "x-amz-target");
    let authorization = header(&request, "authorization");
    let is_json = target.is_some();
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let error = ApiError::new(413, "RequestEntityTooLarge", "Request body too large");
            return Ok(if is_json {
                json_error(&error)
            } else {
                ec2_api::xml_error(&error)
            });
        }
    };
    let credential = match sigv4::parse_authorization(authorization.as_deref()) {
        Ok(credential) => credential,
        Err(error) => {
            let api_error = match error {
                SigV4Error::Missing if is_json => ApiError::new(
                    400,
                    "MissingAuthenticationTokenException",
                    error.to_string(),
                ),
                SigV4Error::Missing => ApiError::new(
                    401,
                    "AuthFailure",
                    "AWS was not able to validate the provided access credentials",
                ),
                SigV4Error::Incomplete(_) if is_json => {
                    ApiError::new(400, "IncompleteSignatureException", error.to_string())
                }
                SigV4Error::Incomplete(_) => {
                    ApiError::new(400, "IncompleteSignature", error.to_string())
                }
            };
            return Ok(if is_json {
                json_error(&api_error)
            } else {
                ec2_api::xml_error(&api_error)
            });
        }
    };
    // The account whose keys signed the request answers it: it sees only its own.
    let state = router.for_key(&credential.access_key);

    let expired = state
        .faults
        .lock()
        .is_ok_and(|faults| faults.expired_keys.contains(&credential.access_key));
    if expired {
        state.count("expired_credentials");
        return Ok(if is_json {
            json_error(&ApiError::new(
                400,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ))
        } else {
            ec2_api::xml_error(&ApiError::new(
                400,
                "RequestExpired",
                "Request has expired.",
            ))
        });
    }
    // A signature scoped to a region AWS does not have is refused, as AWS refuses it (a
    // fleet file may add regions of its own).
    let region_known = crate::model::region::AWS_REGIONS.contains(&credential.region.as_str())
        || state
            .fleet
            .instances
            .iter()
            .any(|i| i.region == credential.region);
    if !region_known {
        state.count("unknown_region");
        let error = ApiError::new(
            400,
            if is_json {
                "InvalidSignatureException"
            } else {
                "AuthFailure"
            },
            format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                credential.region
            ),
        );
        return Ok(if is_json {
            json_error(&error)
        } else {
            ec2_api::xml_error(&error)
        });
    }
    if let Err(error) = signed_in_time(&parts.headers, state.now(), is_json) {
        state.count("signed_out_of_time");
        return Ok(if is_json {
            json_error(&error)
        } else {
            ec2_api::xml_error(&error)
        });
    }
    if state.require_signatures
        && let Err(error) = signature_holds(&state, &parts, &body, &credential.service, is_json)
    {
        return Ok(if is_json {
            json_error(&error)
        } else {
            ec2_api::xml_error(&error)
        });
    }

    match target {
        Some(target) => {
            let (service, operation) = target.split_once('.').unwrap_or(("", target.as_str()));
            let result = match serde_json::from_slice::<serde_json::Value>(&body) {
                Err(error) => Err(ApiError::serialization(format!("Malformed JSON: {error}"))),
                Ok(input) => match service {
                    // The organisation's index reads every account's fleet.
                    "AmazonSSM" if operation == "ListNodes" => {
                        call(&state, "ssm", operation, || {
                            org_api::list_nodes(router.org.as_deref(), &state, &credential, &input)
                        })
                        .await
                    }
                    "AWSOrganizationsV20161128" => {
                        call(&state, "organizations", operation, || {
                            org_api::organizations(router.org.as_deref(), &state, operation, &input)
                        })
                        .await
                    }
                    "AmazonSSM" => {
                        call(&state, "ssm", operation, || {
                            ssm_api::dispatch(&state, &credential, operation, &input)
                        })
                        .await
                    }
                    "AmazonEC2ContainerServiceV20141113" => {
                        call(&state, "ecs", operation, || {
                            ecs_api::dispatch(&state, &credential, operation, &input)
                        })
                        .await
                    }
                    "TrentService" => {
                        call(&state, "kms", operation, || {
                            kms_api::dispatch(&state, &credential, operation, &input)
                        })
                        .await
                    }
                    _ => Err(ApiError::unknown_operation(&target)),
                },
            };
            Ok(match result {
                Ok(value) => json_response(&value),
                Err(error) => json_error(&error),
            })
        }
        None => {
            let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
            let action = form
                .iter()
                .find(|(key, _)| key == "Action")
                .map(|(_, value)| value.clone())
                .unwrap_or_default();
            // IAM and STS: the query protocol with their own namespaces; a denial is their
            // `AccessDenied` (403), not the JSON services' AccessDeniedException.
            if matches!(credential.service.as_str(), "iam" | "sts") {
                let namespace = if credential.service == "sts" {
                    caller_api::STS_NAMESPACE
                } else {
                    iam_api::NAMESPACE
                };
                if let Err(mut error) = api_faults(&state, &credential.service, &action).await {
                    if error.code == "AccessDeniedException" {
                        error.code = "AccessDenied".to_owned();
                        error.status = 403;
                    }
                    return Ok(super::query::error_response_in(namespace, &error));
                }
                return Ok(if credential.service == "sts" && action == "AssumeRole" {
                    super::query::respond(
                        namespace,
                        &action,
                        org_api::assume_role(router.org.as_deref(), &state, &credential, &form),
                    )
                } else if credential.service == "sts" {
                    caller_api::dispatch_sts(&state, &credential, &action)
                } else {
                    iam_api::dispatch(&state, &action, &form)
                });
            }
            if let Err(error) = api_faults(&state, "ec2", &action).await {
                return Ok(ec2_api::xml_error(&error));
            }
            Ok(ec2_api::dispatch(&state, &credential, &action, &form))
        }
    }
}

/// A request signed too far from AWS's clock is refused, as AWS refuses it: five minutes for
/// the JSON services (InvalidSignatureException, which SDKs take as a cue to correct their
/// clock), fifteen for EC2 (RequestExpired).
fn signed_in_time(
    headers: &hyper::HeaderMap,
    now: SystemTime,
    is_json: bool,
) -> Result<(), ApiError> {
    let Some(amz_date) = headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let Some(signed_at) = upgrade_auth::date_of(amz_date) else {
        return Ok(());
    };
    let window = Duration::from_secs(if is_json { 5 * 60 } else { 15 * 60 });
    let stamp = |time: SystemTime| upgrade_auth::amz_date(time);
    if !is_json {
        return if signed_at + window < now || signed_at > now + window {
            Err(ApiError::new(400, "RequestExpired", "Request has expired."))
        } else {
            Ok(())
        };
    }
    if signed_at + window < now {
        return Err(ApiError::new(
            400,
            "InvalidSignatureException",
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
                stamp(now - window),
                stamp(now)
            ),
        ));
    }
    if signed_at > now + window {
        return Err(ApiError::new(
            400,
            "InvalidSignatureException",
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
                stamp(now + window),
                stamp(now)
            ),
        ));
    }
    Ok(())
}

/// When the simulator lets in only its own clients: the call's signature checked against its
/// key pairs, answered as AWS answers a stranger or a bad signature.
fn signature_holds(
    state: &SimState,
    parts: &hyper::http::request::Parts,
    body: &[u8],
    service: &str,
    is_json: bool,
) -> Result<(), ApiError> {
    match upgrade_auth::check_parts(parts, body, service, &state.known_keys, state.now()) {
        UpgradeAuth::Verified { .. } => Ok(()),
        UpgradeAuth::UnknownKey { .. } | UpgradeAuth::Unsigned if is_json => Err(ApiError::new(
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )),
        UpgradeAuth::UnknownKey { .. } | UpgradeAuth::Unsigned => Err(ApiError::new(
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
        )),
        UpgradeAuth::Refused(reason) if is_json => {
            Err(ApiError::new(400, "InvalidSignatureException", reason))
        }
        UpgradeAuth::Refused(reason) => Err(ApiError::new(403, "SignatureDoesNotMatch", reason)),
    }
}

/// Counts the call, applies API faults, then runs it.
async fn call(
    state: &SimState,
    service: &str,
    operation: &str,
    run: impl FnOnce() -> ApiResult,
) -> ApiResult {
    api_faults(state, service, operation).await?;
    run()
}

async fn api_faults(state: &SimState, service: &str, operation: &str) -> Result<(), ApiError> {
    state.count(&format!("{service}:{operation}"));
    let faults = state.faults.lock().map(|f| f.clone()).unwrap_or_default();
    if !faults.slow.is_zero() {
        tokio::time::sleep(faults.slow).await;
    }
    if faults.denies(operation) || faults.denies(&format!("{service}:*")) {
        return Err(if service == "ec2" {
            ApiError::new(
                403,
                "UnauthorizedOperation",
                format!("You are not authorized to perform this operation ({operation})."),
            )
        } else {
            ApiError::access_denied(&format!("{service}:{operation}"))
        });
    }
    if faults.throttles(operation) && state.random() < faults.throttle {
        state.count("throttled");
        return Err(if service == "ec2" {
            ApiError::new(503, "RequestLimitExceeded", "Request limit exceeded.")
        } else {
            ApiError::throttled()
        });
    }
    Ok(())
}

fn header(request: &Request<Incoming>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Answers a WebSocket upgrade on a session's StreamUrl and hands the socket to its agent.
/// The token is checked by the agent, in the first frame, as the service does.
fn upgrade_data_channel(
    request: Request<Incoming>,
    session_id: String,
    state: Arc<SimState>,
) -> Response<Full<Bytes>> {
    let key = request
        .headers()
        .get("sec-websocket-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_upgrade = request
        .headers()
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let (Some(key), true) = (key, is_upgrade) else {
        return plain(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    };
    if state
        .faults
        .lock()
        .is_ok_and(|faults| faults.data_channel_down)
    {
        state.count("data_channel_down");
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the data channel is unreachable",
        );
    }
    let Some(connections) = session_agent::connection_sender(&state, &session_id) else {
        return plain(StatusCode::FORBIDDEN, "no such session");
    };
    let cell = request.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("cell-number="))
    });
    if !session_agent::lives_in(&state, &session_id, cell) {
        state.count("moved_cell_refused");
        return plain(
            StatusCode::FORBIDDEN,
            "the session is not in this cell: dial the StreamUrl ResumeSession returned",
        );
    }
    let lookup = |name: &str| header(&request, name);
    let signed = UpgradeRequest {
        method: request.method().as_str(),
        path: request.uri().path(),
        query: request.uri().query(),
        header: &lookup,
        body: b"",
        service: "ssmmessages",
    };
    let mut auth = upgrade_auth::check(&signed, &state.known_keys, state.now());
    if let (true, UpgradeAuth::UnknownKey { access_key }) = (state.require_signatures, &auth) {
        auth = UpgradeAuth::Refused(format!("The security token {access_key} is invalid."));
    }
    if let Ok(mut upgrades) = state.upgrades.lock() {
        upgrades.push(UpgradeRecord {
            session_id: session_id.clone(),
            auth: auth.clone(),
        });
    }
    if let UpgradeAuth::Refused(reason) = auth {
        tracing::info!(session = %session_id, %reason, "data channel upgrade refused");
        return plain(StatusCode::FORBIDDEN, &reason);
    }
    tokio::spawn(async move {
        match hyper::upgrade::on(request).await {
            Ok(upgraded) => {
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(crate::transport::websocket_config()),
                )
                .await;
                let _ = connections.send(socket).await;
            }
            Err(error) => tracing::debug!(%error, "data channel upgrade failed"),
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert("upgrade", HeaderValue::from_static("websocket"));
    headers.insert("connection", HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert("sec-websocket-accept", accept);
    }
    response
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response
}
