//! What a session tells its driver and application: the agreed session, why it ended, and
//! each event to act on.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::crypto::{DataKeyRequest, DecryptKeyRequest};
use super::message::PortFlag;
use super::payload::SizeData;

/// What both sides agreed on once the session is ready.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionInfo {
    pub session_type: String,
    pub properties: Value,
    /// Known to the client after a handshake.
    pub agent_version: Option<String>,
    /// Known to the agent after a handshake.
    pub client_version: Option<String>,
    pub customer_message: Option<String>,
    pub encrypted: bool,
    /// False for a plain shell whose agent skipped the handshake.
    pub handshake: bool,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The service sent `channel_closed`; `output` is its message, if any.
    ChannelClosed {
        output: Option<String>,
    },
    /// This side called `close`.
    Local,
    /// A message went unacknowledged for too long.
    ResendTimeout {
        waited: Duration,
    },
    HandshakeFailed(String),
    HandshakeTimeout,
    /// Client: the agent sent nothing (no handshake, no output) after the data channel opened.
    NoAnswer {
        waited: Duration,
    },
    Encryption(String),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::ChannelClosed { output: None } => f.write_str("the session ended"),
            CloseReason::ChannelClosed {
                output: Some(output),
            } => write!(f, "the session ended: {output}"),
            CloseReason::Local => f.write_str("closed locally"),
            CloseReason::ResendTimeout { waited } => write!(
                f,
                "the peer stopped acknowledging data (waited {} s)",
                waited.as_secs()
            ),
            CloseReason::HandshakeFailed(why) => write!(f, "handshake failed: {why}"),
            CloseReason::HandshakeTimeout => f.write_str("handshake timed out"),
            CloseReason::NoAnswer { waited } => write!(
                f,
                "the instance's agent never answered (nothing in {} s after the data channel opened)",
                waited.as_secs()
            ),
            CloseReason::Encryption(why) => write!(f, "session encryption failed: {why}"),
        }
    }
}

/// Something the driver or the application must know or do.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The session may carry application data.
    Ready(SessionInfo),
    /// PayloadType 1: shell output, keystrokes, or port bytes.
    Output(Bytes),
    /// PayloadType 11 (agent → client).
    StdErr(Bytes),
    /// PayloadType 12 (agent → client).
    ExitCode(i32),
    /// PayloadType 10.
    Flag(PortFlag),
    /// PayloadType 3 (client → agent).
    Size(SizeData),
    /// Client: call kms:GenerateDataKey, then `handle_data_key`.
    DataKeyNeeded(DataKeyRequest),
    /// Agent: call kms:Decrypt, then `handle_decrypted_key`.
    DecryptKeyNeeded(DecryptKeyRequest),
    PublicationPaused,
    PublicationResumed,
    Closed(CloseReason),
}

impl Event {
    /// Events that carry stream data count against the receive queue and ack when taken.
    pub(crate) fn is_stream_data(&self) -> bool {
        matches!(
            self,
            Event::Output(_)
                | Event::StdErr(_)
                | Event::ExitCode(_)
                | Event::Flag(_)
                | Event::Size(_)
        )
    }
}
