//! Why a received frame was refused. The session that refused it stays usable.

use std::fmt;

use super::codec::{DecodeError, EncodeError};
use super::crypto::CryptoError;

/// A frame that was received and then refused. The session stays usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("malformed frame: {0}")]
    Decode(#[from] DecodeError),
    #[error("unknown message type {0:?}")]
    UnknownMessageType(String),
    #[error("malformed {what} payload: {reason}")]
    BadPayload { what: &'static str, reason: String },
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    #[error("could not encode a frame: {0}")]
    Encode(#[from] EncodeError),
    #[error("{0} is not valid in this state")]
    Unexpected(&'static str),
}

impl ProtocolError {
    pub(crate) fn bad_payload(what: &'static str, error: impl fmt::Display) -> ProtocolError {
        ProtocolError::BadPayload {
            what,
            reason: error.to_string(),
        }
    }
}
