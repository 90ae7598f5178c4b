//! JSON payloads of the data channel (docs/protocol.md §2.4, §4.2, §5.3, §6): field names and key
//! order exactly as the official plugin and agent write them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version bosun claims: the plugin release whose behaviour bosun matches (1.2.835.0,
/// mid 2026): signed upgrades (§2.3, since 1.2.764.0), resumes that dial the StreamUrl
/// ResumeSession answered, and the `~.` escapes. The agent keys smux (client >= 1.1.70) and
/// keep-alive (off for clients > 1.2.331.0) on it (§5.4, §7.3); both gates fall as they did
/// for 1.2.677.0.
pub const CLIENT_VERSION: &str = "1.2.835.0";

/// The first WebSocket text frame after every dial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OpenDataChannel {
    pub message_schema_version: String,
    pub request_id: String,
    pub token_value: String,
    /// Sent by the plugin since its first releases; clients that predate it (the npm package
    /// ssm-session, which worked against AWS without one) leave it out, so a reader accepts
    /// its absence.
    #[serde(default)]
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

impl Acknowledge {
    /// The JSON `serde_json` would write for this ack, built directly: every data message is
    /// acknowledged, so at full speed this runs hundreds of thousands of times a second. The
    /// type is a protocol identifier and the id a hyphenated UUID, so nothing needs escaping.
    pub fn to_json(message_type: &str, message_id: uuid::Uuid, sequence_number: i64) -> Vec<u8> {
        let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = message_id.hyphenated().encode_lower(&mut id);
        let mut json = Vec::with_capacity(160);
        json.extend_from_slice(b"{\"AcknowledgedMessageType\":\"");
        json.extend_from_slice(message_type.as_bytes());
        json.extend_from_slice(b"\",\"AcknowledgedMessageId\":\"");
        json.extend_from_slice(id.as_bytes());
        json.extend_from_slice(b"\",\"AcknowledgedMessageSequenceNumber\":");
        json.extend_from_slice(sequence_number.to_string().as_bytes());
        json.extend_from_slice(b",\"IsSequentialMessage\":true}");
        json
    }

    /// The acknowledged sequence number, the only field the receiver acts on; parsed without
    /// allocating the others.
    pub fn sequence_of(json: &[u8]) -> Result<i64, serde_json::Error> {
        if let Some(sequence) = canonical_ack_sequence(json) {
            return Ok(sequence);
        }
        #[derive(Deserialize)]
        struct SequenceOnly {
            #[serde(rename = "AcknowledgedMessageSequenceNumber")]
            sequence_number: i64,
        }
        serde_json::from_slice::<SequenceOnly>(json).map(|ack| ack.sequence_number)
    }
}

/// Reads the sequence number of an ack laid out exactly as the agent, the plugin and bosun
/// write it (Go's encoding/json: no spaces, fields in declaration order), without a JSON
/// parser; `None` for any other layout, which then goes through serde.
fn canonical_ack_sequence(json: &[u8]) -> Option<i64> {
    /// The rest after a string value that has no escapes.
    fn after_plain_string(rest: &[u8]) -> Option<&[u8]> {
        let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
        (rest[end] == b'"').then(|| &rest[end + 1..])
    }
    let rest = json.strip_prefix(br#"{"AcknowledgedMessageType":""#)?;
    let rest = after_plain_string(rest)?.strip_prefix(br#","AcknowledgedMessageId":""#)?;
    let rest =
        after_plain_string(rest)?.strip_prefix(br#","AcknowledgedMessageSequenceNumber":"#)?;
    let end = rest.iter().position(|&b| b == b',')?;
    let (number, rest) = rest.split_at(end);
    if rest != br#","IsSequentialMessage":true}"# && rest != br#","IsSequentialMessage":false}"# {
        return None;
    }
    // JSON integers only: an optional minus, then 0 or digits without a leading zero.
    let digits = number.strip_prefix(b"-").unwrap_or(number);
    let well_formed = match digits {
        [b'0'] => true,
        [b'1'..=b'9', tail @ ..] => tail.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !well_formed {
        return None;
    }
    std::str::from_utf8(number).ok()?.parse().ok()
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
    /// Set when the client put the agent's Challenge into its encryption context (§5.5).
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
    fn hand_built_ack_json_is_what_serde_writes() {
        let id = uuid::Uuid::parse_str("00112233-4455-6677-8899-aabbccddeeff").expect("uuid");
        for sequence in [0, 7, -1, i64::MAX] {
            let serde = serde_json::to_vec(&Acknowledge {
                message_type: "output_stream_data".to_owned(),
                message_id: id.hyphenated().to_string(),
                sequence_number: sequence,
                is_sequential: true,
            })
            .expect("serializes");
            let built = Acknowledge::to_json("output_stream_data", id, sequence);
            assert_eq!(
                String::from_utf8_lossy(&built),
                String::from_utf8_lossy(&serde)
            );
            assert_eq!(Acknowledge::sequence_of(&built).expect("parses"), sequence);
        }
        // The golden ack from protocol-vectors.txt.
        assert_eq!(
            Acknowledge::to_json("output_stream_data", id, 7),
            br#"{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"00112233-4455-6677-8899-aabbccddeeff","AcknowledgedMessageSequenceNumber":7,"IsSequentialMessage":true}"#
        );
        assert!(Acknowledge::sequence_of(br#"{"AcknowledgedMessageType":"x"}"#).is_err());
    }

    #[test]
    fn the_ack_fast_path_agrees_with_serde_or_steps_aside() {
        let serde = |json: &str| {
            serde_json::from_str::<Acknowledge>(json)
                .ok()
                .map(|ack| ack.sequence_number)
        };
        let cases = [
            r#"{"AcknowledgedMessageType":"input_stream_data","AcknowledgedMessageId":"00112233-4455-6677-8899-aabbccddeeff","AcknowledgedMessageSequenceNumber":42,"IsSequentialMessage":true}"#,
            r#"{"AcknowledgedMessageType":"input_stream_data","AcknowledgedMessageId":"x","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":false}"#,
            r#"{"AcknowledgedMessageType":"a\"b","AcknowledgedMessageId":"x","AcknowledgedMessageSequenceNumber":3,"IsSequentialMessage":true}"#,
            r#"{"AcknowledgedMessageType":"t","AcknowledgedMessageId":"x","AcknowledgedMessageSequenceNumber":-9,"IsSequentialMessage":true}"#,
            r#"{"AcknowledgedMessageType":"t","AcknowledgedMessageId":"x","AcknowledgedMessageSequenceNumber":007,"IsSequentialMessage":true}"#,
            r#"{"AcknowledgedMessageType":"t","AcknowledgedMessageId":"x","AcknowledgedMessageSequenceNumber":99999999999999999999,"IsSequentialMessage":true}"#,
            r#"{"AcknowledgedMessageType":"t","AcknowledgedMessageId":"x","AcknowledgedMessageSequenceNumber":5,"IsSequentialMessage":true} "#,
            r#"{ "AcknowledgedMessageSequenceNumber": 8, "AcknowledgedMessageType": "t", "AcknowledgedMessageId": "x", "IsSequentialMessage": true }"#,
        ];
        for json in cases {
            let fast = canonical_ack_sequence(json.as_bytes());
            if let Some(sequence) = fast {
                assert_eq!(Some(sequence), serde(json), "{json}");
            }
            assert_eq!(
                Acknowledge::sequence_of(json.as_bytes()).ok(),
                serde(json).or(fast),
                "{json}"
            );
        }
        assert_eq!(canonical_ack_sequence(cases[0].as_bytes()), Some(42));
        assert_eq!(canonical_ack_sequence(cases[4].as_bytes()), None);
        assert_eq!(Acknowledge::sequence_of(cases[7].as_bytes()).ok(), Some(8));
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
