//! The effects ring for sessions: drivers that pump a sans-IO protocol session over a real
//! WebSocket — the client side (what bosun dials at AWS) and the agent side (what the
//! simulator serves).

pub mod agent;
pub mod client;
pub mod clock;
pub mod connection;
pub mod dial;
pub mod network;

pub use client::{DriverEvent, Input, ResumeHook, Resumed, SessionEnd, run_client, unix_ms};
pub use dial::{StreamTarget, UpgradeSigner, open_data_channel_frame};

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The largest WebSocket message either end accepts. The peers' data messages carry at most
/// 1 KiB of payload (handshakes a few KiB), so 1 MiB is generous; without a cap, tungstenite
/// would buffer a hostile peer's 64 MiB message before anyone looked at it.
pub const MAX_WEBSOCKET_MESSAGE: usize = 1024 * 1024;

/// Limits for every data-channel WebSocket, client and simulated agent alike.
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_WEBSOCKET_MESSAGE))
        .max_frame_size(Some(MAX_WEBSOCKET_MESSAGE))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("could not open the data channel at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the connection dropped and could not be resumed after {attempts} attempts: {reason}")]
    ResumeFailed { attempts: u32, reason: String },
    #[error("{0}")]
    KeyProvider(String),
}

/// Tunables of the driver.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// The plugin pings every 5 minutes; bosun pings often enough to notice a connection that
    /// went silent (a laptop that slept, a NAT or proxy that forgot the flow) and keeps idle
    /// NAT mappings alive.
    pub ping_interval: Duration,
    /// Nothing heard for this long (no frame, no pong) counts as a dropped connection and is
    /// resumed like one; with the ping interval it bounds how long a silent cut goes unseen.
    pub silent_after: Duration,
    /// Tries of dial + open (first connect), and the fewest of ResumeSession + dial after a drop.
    pub max_attempts: u32,
    /// After a drop, ResumeSession + dial are tried for this long: long enough to renew
    /// expired credentials, or for a network that went away (Wi-Fi, VPN, DNS) to come back,
    /// without losing the session.
    pub resume_for: Duration,
    /// First retry delay; doubles per try and starts over past `backoff_reset`
    /// (docs/protocol.md §8.1).
    pub backoff_initial: Duration,
    pub backoff_reset: Duration,
    pub connect_timeout: Duration,
    /// Frames queued towards the socket writer before the session is asked to hold back.
    pub writer_queue: usize,
    /// End the session when the agent says nothing within the session's first-contact wait
    /// (documents whose agent speaks first: shells, port forwarding, handshakes).
    pub first_contact: bool,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            // A silent cut is noticed within silent_after + ping_interval: 16 s.
            ping_interval: Duration::from_secs(4),
            silent_after: Duration::from_secs(12),
            max_attempts: 6,
            resume_for: Duration::from_secs(180),
            backoff_initial: Duration::from_millis(100),
            backoff_reset: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(45),
            writer_queue: 256,
            first_contact: true,
        }
    }
}
