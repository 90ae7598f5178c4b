//! Byte-exact framing of data-channel messages (docs/protocol.md §3): big-endian header fields,
//! HeaderLength 116, space-padded type, swapped UUID halves, SHA-256 payload digest.
//! Decoding untrusted bytes returns an error and never panics.

use bytes::{BufMut, Bytes, BytesMut};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::message::{Message, MessageType, PayloadType};

/// The value every writer puts in HeaderLength: the offset of PayloadLength.
pub const HEADER_LENGTH: u32 = 116;
/// Bytes before the payload in a frame we write.
pub const FRAME_OVERHEAD: usize = 120;
/// Width of the space-padded MessageType field.
const MESSAGE_TYPE_WIDTH: usize = 32;
/// No real peer sends more than a few KiB in one message; this bound keeps a corrupt
/// PayloadLength from being believed.
pub const MAX_PAYLOAD_LENGTH: usize = 16 * 1024 * 1024;

const OFFSET_MESSAGE_TYPE: usize = 4;
const OFFSET_SCHEMA_VERSION: usize = 36;
const OFFSET_CREATED_DATE: usize = 40;
const OFFSET_SEQUENCE_NUMBER: usize = 48;
const OFFSET_FLAGS: usize = 56;
const OFFSET_MESSAGE_ID: usize = 64;
const OFFSET_PAYLOAD_DIGEST: usize = 80;
const OFFSET_PAYLOAD_TYPE: usize = 112;
const OFFSET_PAYLOAD_LENGTH: usize = 116;

/// Why a frame could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("refusing to encode an empty payload (the official peers cannot parse one)")]
    EmptyPayload,
    #[error("message type {0:?} is longer than 32 bytes")]
    MessageTypeTooLong(String),
    #[error("payload of {0} bytes exceeds the {MAX_PAYLOAD_LENGTH}-byte limit")]
    PayloadTooLarge(usize),
}

/// Why a received frame was rejected. The session that saw it stays usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame of {0} bytes is shorter than the 120-byte header")]
    Short(usize),
    #[error("header length {0} is below 116")]
    BadHeaderLength(u32),
    #[error(
        "payload length {length} does not fit in a {frame}-byte frame with header length {header_length}"
    )]
    PayloadOutOfBounds {
        length: u32,
        header_length: u32,
        frame: usize,
    },
    #[error("empty message type")]
    EmptyMessageType,
    #[error("message type is not ASCII")]
    BadMessageType,
    #[error("created date is zero")]
    ZeroCreatedDate,
    #[error("payload digest does not match its SHA-256")]
    DigestMismatch,
}

/// Encodes `message`, computing the payload digest, and appends the frame to `out`.
pub fn encode_into(message: &Message, out: &mut BytesMut) -> Result<(), EncodeError> {
    let type_name = message.message_type.as_str();
    if type_name.len() > MESSAGE_TYPE_WIDTH {
        return Err(EncodeError::MessageTypeTooLong(type_name.to_owned()));
    }
    if message.payload.is_empty() {
        return Err(EncodeError::EmptyPayload);
    }
    if message.payload.len() > MAX_PAYLOAD_LENGTH {
        return Err(EncodeError::PayloadTooLarge(message.payload.len()));
    }
    out.reserve(FRAME_OVERHEAD + message.payload.len());
    out.put_u32(HEADER_LENGTH);
    out.put_slice(type_name.as_bytes());
    out.put_bytes(b' ', MESSAGE_TYPE_WIDTH - type_name.len());
    out.put_u32(message.schema_version);
    out.put_u64(message.created_date);
    out.put_i64(message.sequence_number);
    out.put_u64(message.flags);
    put_message_id(out, message.message_id);
    out.put_slice(&Sha256::digest(&message.payload));
    out.put_u32(message.payload_type.0);
    // The length was bounded above, so it fits in a u32.
    out.put_u32(message.payload.len() as u32);
    out.put_slice(&message.payload);
    Ok(())
}

/// Encodes `message` into a new frame.
pub fn encode(message: &Message) -> Result<Bytes, EncodeError> {
    let mut out = BytesMut::with_capacity(FRAME_OVERHEAD + message.payload.len());
    encode_into(message, &mut out)?;
    Ok(out.freeze())
}

/// Decodes and validates one frame. The payload is a zero-copy slice of `frame`.
///
/// Validation follows the plugin: publication messages are not validated; every other message
/// needs a non-empty type, a non-zero CreatedDate and, when it has a payload, a matching digest.
/// Unlike the plugin, the payload is sliced by PayloadLength, and trailing bytes are tolerated.
pub fn decode(frame: &Bytes) -> Result<Message, DecodeError> {
    decode_checked(frame, DigestCheck::Verify)
}

/// Whether `decode_checked` compares the payload with its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestCheck {
    /// The plugin's Validate (and bosun's client).
    Verify,
    /// The agent's Validate, which never looks at the digest (docs/protocol.md §3.2).
    Skip,
}

/// `decode`, with the digest check chosen by the receiving side.
pub fn decode_checked(frame: &Bytes, digest: DigestCheck) -> Result<Message, DecodeError> {
    if frame.len() < FRAME_OVERHEAD {
        return Err(DecodeError::Short(frame.len()));
    }
    let header_length = read_u32(frame, 0);
    if header_length < HEADER_LENGTH {
        return Err(DecodeError::BadHeaderLength(header_length));
    }
    let payload_length = read_u32(frame, OFFSET_PAYLOAD_LENGTH);
    let payload_start = header_length as usize + 4;
    let payload_end = payload_start.checked_add(payload_length as usize);
    let payload_end = match payload_end {
        Some(end) if end <= frame.len() && (payload_length as usize) <= MAX_PAYLOAD_LENGTH => end,
        _ => {
            return Err(DecodeError::PayloadOutOfBounds {
                length: payload_length,
                header_length,
                frame: frame.len(),
            });
        }
    };

    let raw_type = &frame[OFFSET_MESSAGE_TYPE..OFFSET_MESSAGE_TYPE + MESSAGE_TYPE_WIDTH];
    let type_text = std::str::from_utf8(raw_type).map_err(|_| DecodeError::BadMessageType)?;
    let type_text = type_text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if type_text.is_empty() {
        return Err(DecodeError::EmptyMessageType);
    }
    let message_type = MessageType::parse(type_text);
    let created_date = read_u64(frame, OFFSET_CREATED_DATE);
    let payload = frame.slice(payload_start..payload_end);

    if !message_type.is_publication() {
        if created_date == 0 {
            return Err(DecodeError::ZeroCreatedDate);
        }
        if digest == DigestCheck::Verify
            && !payload.is_empty()
            && Sha256::digest(&payload)[..]
                != frame[OFFSET_PAYLOAD_DIGEST..OFFSET_PAYLOAD_DIGEST + 32]
        {
            return Err(DecodeError::DigestMismatch);
        }
    }

    Ok(Message {
        message_type,
        schema_version: read_u32(frame, OFFSET_SCHEMA_VERSION),
        created_date,
        sequence_number: read_u64(frame, OFFSET_SEQUENCE_NUMBER) as i64,
        flags: read_u64(frame, OFFSET_FLAGS),
        message_id: read_message_id(frame),
        payload_type: PayloadType(read_u32(frame, OFFSET_PAYLOAD_TYPE)),
        payload,
    })
}

/// The wire puts the UUID's least significant half first (docs/protocol.md §3.3).
fn put_message_id(out: &mut BytesMut, id: Uuid) {
    let bytes = id.as_bytes();
    out.put_slice(&bytes[8..16]);
    out.put_slice(&bytes[0..8]);
}

fn read_message_id(frame: &[u8]) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[8..16].copy_from_slice(&frame[OFFSET_MESSAGE_ID..OFFSET_MESSAGE_ID + 8]);
    bytes[0..8].copy_from_slice(&frame[OFFSET_MESSAGE_ID + 8..OFFSET_MESSAGE_ID + 16]);
    Uuid::from_bytes(bytes)
}

// Callers check the frame length (>= 120) first, so these fixed-offset reads are in bounds.
fn read_u32(frame: &[u8], at: usize) -> u32 {
    let mut bytes = [0u8; 4];
    bytes.copy_from_slice(&frame[at..at + 4]);
    u32::from_be_bytes(bytes)
}

fn read_u64(frame: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&frame[at..at + 8]);
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        Message {
            message_type: MessageType::InputStreamData,
            schema_version: 1,
            created_date: 1_700_000_000_123,
            sequence_number: 5,
            flags: 0,
            message_id: Uuid::parse_str("00112233-4455-6677-8899-aabbccddeeff")
                .expect("literal uuid"),
            payload_type: PayloadType::OUTPUT,
            payload: Bytes::from_static(b"ls\r"),
        }
    }

    #[test]
    fn header_length_above_116_moves_the_payload() {
        // PayloadLength stays at offset 116; the payload starts at HeaderLength + 4.
        let frame = encode(&sample()).expect("encodes");
        let mut longer = BytesMut::new();
        longer.put_u32(120);
        longer.put_slice(&frame[4..116]);
        longer.put_u32(3);
        longer.put_u32(0xdead_beef); // four extra header bytes
        longer.put_slice(b"ls\r");
        let decoded = decode(&longer.freeze()).expect("decodes");
        assert_eq!(decoded, sample());
    }

    #[test]
    fn trailing_bytes_are_tolerated() {
        let mut frame = encode(&sample()).expect("encodes").to_vec();
        frame.extend_from_slice(b"junk");
        let decoded = decode(&Bytes::from(frame)).expect("decodes");
        assert_eq!(decoded, sample());
    }

    #[test]
    fn publication_messages_skip_validation() {
        let mut message = sample();
        message.message_type = MessageType::PausePublication;
        message.created_date = 0;
        let mut frame = encode(&message).expect("encodes").to_vec();
        frame[OFFSET_PAYLOAD_DIGEST] ^= 0xff;
        let decoded = decode(&Bytes::from(frame)).expect("decodes");
        assert_eq!(decoded.message_type, MessageType::PausePublication);
    }

    #[test]
    fn empty_payload_is_refused() {
        let mut message = sample();
        message.payload = Bytes::new();
        assert_eq!(encode(&message), Err(EncodeError::EmptyPayload));
    }
}
