//! The effects ring for sessions: drivers that pump a sans-IO protocol session over a real
//! WebSocket — the client side (what bosun dials at AWS) and the agent side (what the
//! simulator serves).

pub mod agent;
pub mod client;
pub mod clock;
pub mod connection;
pub mod dial;
pub mod network;

pub use client::{
    DriverConfig, DriverEvent, Input, ResumeHook, SessionEnd, TransportError, run_client, unix_ms,
};
pub use dial::{StreamTarget, UpgradeSigner, open_data_channel_frame};

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
