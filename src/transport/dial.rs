//! Reaching the data channel: where it is and how to authenticate (the token kept out of
//! every log), the open frame, the SigV4-signed upgrade, and the dial itself with the
//! plugin's retry policy (docs/protocol.md §8.1), through a proxy when the environment names one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use futures_util::future::BoxFuture;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use super::{DriverConfig, TransportError};
use super::{clock, network};
use crate::protocol::payload::OpenDataChannel;

pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where the data channel is and how to authenticate to it. The token never appears in
/// `Debug` output or logs.
#[derive(Clone)]
pub struct StreamTarget {
    pub session_id: String,
    pub stream_url: String,
    pub token: String,
    /// Per-process client id (a UUIDv4), the same for every open frame.
    pub client_id: String,
    pub client_version: String,
    /// Signs each dial's upgrade request (SigV4 for `ssmmessages`), as plugins since
    /// 1.2.764.0 do; `None` dials unsigned. A presigned StreamUrl is never signed again.
    pub signer: Option<Arc<dyn UpgradeSigner>>,
    /// The data channel's endpoint when one is configured (a VPC endpoint for
    /// `ssmmessages`): the StreamUrl is dialled there (`dial_url`).
    pub endpoint: Option<String>,
}

impl fmt::Debug for StreamTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamTarget")
            .field("session_id", &self.session_id)
            .field("stream_url", &redact_url(&self.stream_url))
            .field("token", &"<redacted>")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Where a StreamUrl is dialled: at the configured data-channel endpoint's scheme and host,
/// its path and query kept (a network that reaches `ssmmessages` only through a VPC endpoint
/// cannot resolve or reach the public host the service names); as given when none is
/// configured, or when the URL is presigned (its signature names its own host).
pub fn dial_url(stream_url: &str, endpoint: Option<&str>) -> String {
    let Some(endpoint) = endpoint.map(str::trim).filter(|e| !e.is_empty()) else {
        return stream_url.to_owned();
    };
    if is_presigned(stream_url) {
        return stream_url.to_owned();
    }
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("https", endpoint));
    let authority = rest.split('/').next().unwrap_or(rest);
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "ws",
        _ => "wss",
    };
    let path_and_query = stream_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or("/");
    format!("{scheme}://{authority}{path_and_query}")
}

/// Query strings of stream URLs may carry credentials; logs keep only scheme, host and path.
pub fn redact_url(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_owned()
}

/// The first text frame after every dial (docs/protocol.md §2.4), with a fresh RequestId.
pub fn open_data_channel_frame(target: &StreamTarget, token: &str) -> String {
    let open = OpenDataChannel {
        message_schema_version: "1.0".to_owned(),
        request_id: Uuid::new_v4().hyphenated().to_string(),
        token_value: token.to_owned(),
        client_id: target.client_id.clone(),
        client_version: Some(target.client_version.clone()),
    };
    // Serializing plain strings cannot fail.
    serde_json::to_string(&open).unwrap_or_default()
}

/// Signs the WebSocket upgrade of a data channel: the headers (`Authorization`,
/// `X-Amz-Date`, `X-Amz-Security-Token`) to add to a `GET` of `url`. Called for every dial,
/// the first and each after a ResumeSession, so every signature is fresh.
pub trait UpgradeSigner: Send + Sync {
    fn sign<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<Vec<(String, String)>, String>>;
}

/// Query parameters that make a StreamUrl presigned: it is dialled as it is, with no headers
/// of ours (docs/protocol.md §2.3; the plugin checks the same names).
const PRESIGNED_KEYS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// Whether `url` already carries a SigV4 signature in its query.
pub fn is_presigned(url: &str) -> bool {
    let Some((_, query)) = url.split_once('?') else {
        return false;
    };
    query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .any(|key| PRESIGNED_KEYS.contains(&key))
}

pub(super) async fn connect_with_retry(
    target: &StreamTarget,
    token: &str,
    config: &DriverConfig,
) -> Result<Socket, TransportError> {
    let mut backoff = Backoff::new(config);
    let mut last_error = String::new();
    for attempt in 1..=config.max_attempts.max(1) {
        match connect_once(target, token, config).await {
            Ok(socket) => return Ok(socket),
            Err(error) => {
                tracing::warn!(session = %target.session_id, attempt, %error, "dial failed");
                last_error = error;
            }
        }
        if attempt < config.max_attempts {
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }
    Err(TransportError::Connect {
        url: redact_url(&target.stream_url),
        reason: last_error,
    })
}

/// Dials the URL exactly as given and sends the open-data-channel frame.
pub(super) async fn connect_once(
    target: &StreamTarget,
    token: &str,
    config: &DriverConfig,
) -> Result<Socket, String> {
    let url = dial_url(&target.stream_url, target.endpoint.as_deref());
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|error| error.to_string())?;
    if let Some(signer) = target
        .signer
        .as_ref()
        .filter(|_| !is_presigned(&target.stream_url))
    {
        // Signed afresh for every dial (the first, and each after a resume), for the host
        // actually dialled.
        for (name, value) in signer.sign(&url).await? {
            let name =
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|error| error.to_string())?;
            let value = tokio_tungstenite::tungstenite::http::HeaderValue::from_str(&value)
                .map_err(|error| error.to_string())?;
            request.headers_mut().insert(name, value);
        }
    }
    let dial = async {
        let uri = request.uri();
        let secure = uri.scheme_str() == Some("wss");
        let host = uri.host().unwrap_or_default().to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let proxy = network::proxy_for(&host, secure);
        let stream = network::dial(&host, port, proxy.as_ref()).await?;
        // Nagle off: keystrokes and acks are small frames, and with Nagle plus delayed ACKs
        // each would wait ~40 ms.
        let _ = stream.set_nodelay(true);
        let tls = network::data_channel_tls().map(tokio_tungstenite::Connector::Rustls);
        tokio_tungstenite::client_async_tls_with_config(
            request,
            stream,
            Some(super::websocket_config()),
            tls,
        )
        .await
        .map_err(refused_dial)
    };
    let (mut socket, _response) = tokio::time::timeout(config.connect_timeout, dial)
        .await
        .map_err(|_| "timed out".to_owned())??;
    let open = open_data_channel_frame(target, token);
    socket
        .send(WsMessage::Text(open.into()))
        .await
        .map_err(|error| error.to_string())?;
    Ok(socket)
}

/// What a failed dial says. A refusal whose `Date` shows this machine's clock off AWS's
/// teaches the skew, so the next dial is signed with AWS's time.
fn refused_dial(error: tokio_tungstenite::tungstenite::Error) -> String {
    if let tokio_tungstenite::tungstenite::Error::Http(response) = &error
        && response.status().is_client_error()
        && let Some(skew) = response
            .headers()
            .get("date")
            .and_then(|date| date.to_str().ok())
            .and_then(clock::learn_from_date)
    {
        return format!(
            "{error}: this machine's clock is {} min {} AWS's; signing again with AWS's time",
            skew.unsigned_abs() / 60,
            if skew > 0 { "behind" } else { "ahead of" }
        );
    }
    if let tokio_tungstenite::tungstenite::Error::Http(response) = &error {
        let status = response.status();
        return if status.is_server_error() {
            format!("the data-channel endpoint is unavailable ({status}); trying again")
        } else {
            format!(
                "the data-channel endpoint refused the connection ({status}): the session's \
                 token or the signature was not accepted"
            )
        };
    }
    error.to_string()
}

/// The plugin's retry schedule: a random 100–199 ms start, doubling, and starting over once
/// a delay would pass 5 s.
pub(super) struct Backoff {
    initial: Duration,
    reset: Duration,
    exponent: u32,
}

impl Backoff {
    pub(super) fn new(config: &DriverConfig) -> Backoff {
        let jitter = getrandom::u32().unwrap_or(0) % 100;
        Backoff {
            initial: config.backoff_initial + Duration::from_millis(u64::from(jitter)),
            reset: config.backoff_reset,
            exponent: 0,
        }
    }

    pub(super) fn next_delay(&mut self) -> Duration {
        let mut delay = self.initial * (1u32 << self.exponent.min(16));
        if delay > self.reset {
            self.exponent = 0;
            delay = self.initial;
        }
        self.exponent += 1;
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_starts_over() {
        let mut backoff = Backoff {
            initial: Duration::from_secs(1),
            reset: Duration::from_secs(5),
            exponent: 0,
        };
        let delays: Vec<u64> = (0..5).map(|_| backoff.next_delay().as_secs()).collect();
        // 1, 2, 4, then 8 > 5 starts over at 1, then 2.
        assert_eq!(delays, vec![1, 2, 4, 1, 2]);
        let jittered = Backoff::new(&DriverConfig::default()).next_delay();
        assert!((100..200).contains(&jittered.as_millis()), "{jittered:?}");
    }

    #[test]
    fn presigned_stream_urls_are_recognised_by_their_query() {
        let plain =
            "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s?role=publish_subscribe";
        assert!(!is_presigned(plain));
        assert!(!is_presigned("wss://h/v1/data-channel/s"));
        assert!(is_presigned(&format!(
            "{plain}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab12"
        )));
        assert!(
            !is_presigned(&format!("{plain}&x-amz-signature=ab12")),
            "case counts"
        );
    }

    #[test]
    fn a_configured_endpoint_takes_the_stream_urls_scheme_and_host() {
        let url = "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1?role=publish_subscribe&cell-number=AB";
        assert_eq!(dial_url(url, None), url);
        assert_eq!(
            dial_url(
                url,
                Some("https://vpce-0a1b-c2d3.ssmmessages.us-east-1.vpce.amazonaws.com")
            ),
            "wss://vpce-0a1b-c2d3.ssmmessages.us-east-1.vpce.amazonaws.com/v1/data-channel/s-1?role=publish_subscribe&cell-number=AB"
        );
        assert_eq!(
            dial_url(url, Some("http://127.0.0.1:4566/ignored")),
            "ws://127.0.0.1:4566/v1/data-channel/s-1?role=publish_subscribe&cell-number=AB"
        );
        let presigned = format!("{url}&X-Amz-Signature=00");
        assert_eq!(
            dial_url(&presigned, Some("https://vpce.example")),
            presigned
        );
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let target = StreamTarget {
            session_id: "s".into(),
            stream_url:
                "wss://ssmmessages.example/v1/data-channel/s?role=publish_subscribe&X-Token=abc"
                    .into(),
            token: "SECRET-TOKEN".into(),
            client_id: "c".into(),
            client_version: "1.2.677.0".into(),
            signer: None,
            endpoint: None,
        };
        let shown = format!("{target:?}");
        assert!(!shown.contains("SECRET-TOKEN"));
        assert!(!shown.contains("abc"));
        let open = open_data_channel_frame(&target, "SECRET-TOKEN");
        assert!(open.starts_with("{\"MessageSchemaVersion\":\"1.0\",\"RequestId\":"));
        assert!(open.contains("\"TokenValue\":\"SECRET-TOKEN\""));
    }
}
