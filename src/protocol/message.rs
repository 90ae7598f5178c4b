//! The data-channel message (docs/protocol.md §3): message types, payload types, header flags and
//! port flags, as plain data. Encoding and decoding live in `codec.rs`.

use bytes::Bytes;
use uuid::Uuid;

/// The `MessageType` header field. Unknown strings are kept so the caller can log them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// Client → agent stream data (sequenced).
    InputStreamData,
    /// Agent → client stream data (sequenced).
    OutputStreamData,
    /// Acknowledges one sequenced message.
    Acknowledge,
    /// The service ends the session.
    ChannelClosed,
    /// The service lets a paused sender resume.
    StartPublication,
    /// The service asks the sender to hold its data.
    PausePublication,
    /// Agent → service state report; never meaningful to a client.
    AgentSessionState,
    /// Anything else: logged and ignored by receivers.
    Unknown(String),
}

impl MessageType {
    pub fn as_str(&self) -> &str {
        match self {
            MessageType::InputStreamData => "input_stream_data",
            MessageType::OutputStreamData => "output_stream_data",
            MessageType::Acknowledge => "acknowledge",
            MessageType::ChannelClosed => "channel_closed",
            MessageType::StartPublication => "start_publication",
            MessageType::PausePublication => "pause_publication",
            MessageType::AgentSessionState => "agent_session_state",
            MessageType::Unknown(other) => other,
        }
    }

    pub fn parse(text: &str) -> MessageType {
        match text {
            "input_stream_data" => MessageType::InputStreamData,
            "output_stream_data" => MessageType::OutputStreamData,
            "acknowledge" => MessageType::Acknowledge,
            "channel_closed" => MessageType::ChannelClosed,
            "start_publication" => MessageType::StartPublication,
            "pause_publication" => MessageType::PausePublication,
            "agent_session_state" => MessageType::AgentSessionState,
            other => MessageType::Unknown(other.to_owned()),
        }
    }

    /// Publication messages skip validation on receive (the plugin's `Validate`).
    pub fn is_publication(&self) -> bool {
        matches!(
            self,
            MessageType::StartPublication | MessageType::PausePublication
        )
    }
}

/// The `PayloadType` header field (docs/protocol.md §3.5). A newtype rather than an enum so that an
/// unknown value survives a decode and can be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PayloadType(pub u32);

impl PayloadType {
    /// Used by acks and `channel_closed`.
    pub const NONE: PayloadType = PayloadType(0);
    pub const OUTPUT: PayloadType = PayloadType(1);
    pub const ERROR: PayloadType = PayloadType(2);
    pub const SIZE: PayloadType = PayloadType(3);
    pub const PARAMETER: PayloadType = PayloadType(4);
    pub const HANDSHAKE_REQUEST: PayloadType = PayloadType(5);
    pub const HANDSHAKE_RESPONSE: PayloadType = PayloadType(6);
    pub const HANDSHAKE_COMPLETE: PayloadType = PayloadType(7);
    pub const ENC_CHALLENGE_REQUEST: PayloadType = PayloadType(8);
    pub const ENC_CHALLENGE_RESPONSE: PayloadType = PayloadType(9);
    pub const FLAG: PayloadType = PayloadType(10);
    pub const STDERR: PayloadType = PayloadType(11);
    pub const EXIT_CODE: PayloadType = PayloadType(12);

    /// Handshake payloads are acked before they are handled and are never encrypted.
    pub fn is_handshake(self) -> bool {
        (5..=9).contains(&self.0)
    }
}

/// Values of the header's `Flags` field that the real peers send (docs/protocol.md §3.6).
pub mod header_flags {
    /// First message of a stream (the agent's seq 0).
    pub const SYN: u64 = 1;
    /// Acks and control messages carry SYN|FIN.
    pub const SYN_FIN: u64 = 3;
}

/// The 4-byte Flag payload of port sessions (PayloadType 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortFlag {
    /// Basic port forwarding: the local connection ended; the agent closes its side.
    DisconnectToPort,
    /// The user interrupted the client; the agent ends the session.
    TerminateSession,
    /// The agent could not dial the destination.
    ConnectToPortError,
}

impl PortFlag {
    pub fn code(self) -> u32 {
        match self {
            PortFlag::DisconnectToPort => 1,
            PortFlag::TerminateSession => 2,
            PortFlag::ConnectToPortError => 3,
        }
    }

    pub fn from_code(code: u32) -> Option<PortFlag> {
        match code {
            1 => Some(PortFlag::DisconnectToPort),
            2 => Some(PortFlag::TerminateSession),
            3 => Some(PortFlag::ConnectToPortError),
            _ => None,
        }
    }
}

/// One decoded data-channel message. `payload` is the bytes exactly as carried (ciphertext when
/// the session is KMS-encrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub message_type: MessageType,
    pub schema_version: u32,
    /// Unix epoch milliseconds. Never 0 on a valid frame.
    pub created_date: u64,
    pub sequence_number: i64,
    pub flags: u64,
    pub message_id: Uuid,
    pub payload_type: PayloadType,
    pub payload: Bytes,
}
