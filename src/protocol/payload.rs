//! JSON payloads of the data channel (PROTOCOL.md §1.4, §3.1, §4.3, §5): field names and key
//! order exactly as the official plugin and agent write them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version bosun claims. The agent keys smux and keep-alive behaviour on it (§4.3, §6.3),
/// so it must look like a real plugin release.
pub const CLIENT_VERSION: &str = "1.2.677.0";

/// The first WebSocket text frame after every dial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OpenDataChannel {
    pub message_schema_version: String,
    pub request_id: String,
    pub token_value: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
}

impl std::fmt::Display for OpenDataChannel {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "open data channel (request {}, client {})",
            self.request_id, self.client_id
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledge {
    #[serde(rename = "AcknowledgedMessageType")]
    pub message_type: String,
    #[serde(rename = "AcknowledgedMessageId")]
    pub message_id: String,
    #[serde(rename = "AcknowledgedMessageSequenceNumber")]
    pub sequence_number: i64,
    #[serde(rename = "IsSequentialMessage")]
    pub is_sequential: bool,
}

/// Terminal size, client → agent, PayloadType 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeData {
    pub cols: u32,
    pub rows: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HandshakeRequest {
    pub agent_version: String,
    pub requested_client_actions: Vec<RequestedClientAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestedClientAction {
    pub action_type: String,
    #[serde(default)]
    pub action_parameters: Value,
}

pub const ACTION_SESSION_TYPE: &str = "SessionType";
pub const ACTION_KMS_ENCRYPTION: &str = "KMSEncryption";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionTypeRequest {
    pub session_type: String,
    #[serde(default)]
    pub properties: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsEncryptionRequest {
    #[serde(rename = "KMSKeyId")]
    pub kms_key_id: String,
    /// Base64 of 16 random bytes, present in current agents.
    #[serde(rename = "Challenge", default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

/// `ActionStatus` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum ActionStatus {
    Success,
    Failed,
    Unsupported,
    Other(i64),
}

impl From<i64> for ActionStatus {
    fn from(value: i64) -> Self {
        match value {
            1 => ActionStatus::Success,
            2 => ActionStatus::Failed,
            3 => ActionStatus::Unsupported,
            other => ActionStatus::Other(other),
        }
    }
}

impl From<ActionStatus> for i64 {
    fn from(value: ActionStatus) -> Self {
        match value {
            ActionStatus::Success => 1,
            ActionStatus::Failed => 2,
            ActionStatus::Unsupported => 3,
            ActionStatus::Other(other) => other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HandshakeResponse {
    pub client_version: String,
    pub processed_client_actions: Vec<ProcessedClientAction>,
    /// `null` when empty, as the plugin writes it.
    pub errors: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessedClientAction {
    pub action_type: String,
    pub action_status: ActionStatus,
    #[serde(default)]
    pub action_result: Value,
    #[serde(default)]
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsEncryptionResponse {
    /// Base64 of the KMS CiphertextBlob.
    #[serde(rename = "KMSCipherTextKey")]
    pub kms_cipher_text_key: String,
    #[serde(rename = "KMSCipherTextHash", default)]
    pub kms_cipher_text_hash: Option<String>,
    /// Set when the client put the agent's Challenge into its encryption context (§4.4).
    #[serde(
        rename = "ChallengeAcknowledgement",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub challenge_acknowledgement: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HandshakeComplete {
    /// Nanoseconds (a Go `time.Duration`).
    pub handshake_time_to_complete: i64,
    #[serde(default)]
    pub customer_message: String,
}

/// EncChallengeRequest and EncChallengeResponse share this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionChallenge {
    /// Base64 of `nonce || ciphertext || tag`.
    #[serde(rename = "Challenge")]
    pub challenge: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ChannelClosed {
    #[serde(default)]
    pub message_id: String,
    #[serde(default)]
    pub created_date: String,
    #[serde(default)]
    pub destination_id: String,
    #[serde(default)]
    pub session_id: String,
    #[serde(default)]
    pub message_type: String,
    #[serde(default)]
    pub schema_version: i64,
    #[serde(default)]
    pub output: String,
}

/// `EXIT_CODE: <n>`, PayloadType 12.
pub fn format_exit_code(code: i32) -> String {
    format!("EXIT_CODE: {code}")
}

pub fn parse_exit_code(payload: &[u8]) -> Option<i32> {
    let text = std::str::from_utf8(payload).ok()?;
    text.trim().strip_prefix("EXIT_CODE:")?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_round_trip() {
        assert_eq!(parse_exit_code(format_exit_code(-3).as_bytes()), Some(-3));
        assert_eq!(parse_exit_code(b"EXIT_CODE: 0\n"), Some(0));
        assert_eq!(parse_exit_code(b"nope"), None);
    }

    #[test]
    fn action_status_keeps_unknown_values() {
        let action: ProcessedClientAction = serde_json::from_str(
            r#"{"ActionType":"X","ActionStatus":0,"ActionResult":3,"Error":""}"#,
        )
        .expect("parses");
        assert_eq!(action.action_status, ActionStatus::Other(0));
    }
}
