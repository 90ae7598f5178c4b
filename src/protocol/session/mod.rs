//! The sans-IO data-channel session (docs/protocol.md §4–§6), in either role. Frames go in through
//! `handle_frame`, time through `handle_timeout`; frames to send come out of `poll_transmit`,
//! the next deadline out of `poll_timeout`, and what happened out of `poll_event`. It never
//! touches a socket or reads a clock.
//!
//! Delivery: every sequenced message is buffered until acked and resent after its RTO; a
//! bounded window of unacknowledged bytes and messages paces the producer; received data is
//! acked only when the consumer takes it from `poll_event`, so a slow consumer slows the peer.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use serde_json::Value;
use uuid::Uuid;

mod handshake;

use self::handshake::{AgentHandshake, ClientHandshake};
use super::Role;
use super::codec;
use super::crypto::SessionCipher;
use super::error::ProtocolError;
use super::event::{CloseReason, Event, SessionInfo};
use super::message::{Message, MessageType, PayloadType, PortFlag, header_flags};
use super::payload::{self, Acknowledge, ChannelClosed, SizeData};
use super::reliability::{ReorderBuffer, RttConfig, RttEstimator, SendBuffer, SentMessage};
use super::timer::{Timer, TimerTable};

/// Acks and other control frames queued for a socket that is not being written.
const MAX_QUEUED_CONTROL_FRAMES: usize = 4096;

/// Tunables. Defaults follow the official peers where they have one, and are otherwise chosen
/// so that a fast producer never overruns the agent's 4 MiB smux buffer.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Largest payload per message. The real peers use 1 KiB; the service is known to accept it.
    pub max_payload: usize,
    /// Unacknowledged payload bytes allowed in flight (the flow-control window).
    pub window_bytes: usize,
    /// Unacknowledged messages allowed in flight.
    pub window_messages: usize,
    /// Out-of-order messages held while waiting for a gap to fill (the plugin holds 10 000).
    pub reorder_capacity: usize,
    /// In-order data messages held for the consumer before new ones are refused (unacked).
    pub receive_queue_messages: usize,
    pub rtt: RttConfig,
    /// A message unacknowledged for this long ends the session.
    pub give_up_after: Duration,
    /// The agent waits this long for each handshake reply (15 s in the real agent).
    pub handshake_timeout: Duration,
    /// The client waits this long after the data channel opens for the agent's first message
    /// (a handshake, or the shell's first output about 1 s after its pty starts). The official
    /// plugin waits forever; an agent that cannot reach ssmmessages never sends anything.
    pub first_contact_timeout: Duration,
    /// A closing agent waits this long for its last output to be acked (2 s in the real agent).
    pub close_drain: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            max_payload: 1024,
            window_bytes: 1024 * 1024,
            window_messages: 1024,
            reorder_capacity: 4096,
            receive_queue_messages: 256,
            rtt: RttConfig::default(),
            give_up_after: Duration::from_secs(300),
            handshake_timeout: Duration::from_secs(15),
            first_contact_timeout: Duration::from_secs(20),
            close_drain: Duration::from_secs(2),
        }
    }
}

/// What the client knows about its session (used in KMS encryption contexts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientParams {
    pub session_id: String,
    /// The StartSession `Target`.
    pub target: String,
    pub client_version: String,
}

/// How the agent side of a session is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentParams {
    pub session_id: String,
    /// The instance id, used in KMS encryption contexts.
    pub target: String,
    /// The document's sessionType: `Standard_Stream`, `InteractiveCommands`,
    /// `NonInteractiveCommands` or `Port`.
    pub session_type: String,
    /// The document's properties with parameters substituted (Port sessions), else null.
    pub properties: Value,
    pub agent_version: String,
    /// Set when the session is KMS-encrypted (never for Port).
    pub kms_key_id: Option<String>,
}

impl AgentParams {
    /// The real agent handshakes for NonInteractiveCommands and Port, and for any session type
    /// when KMS encryption is on (docs/protocol.md §5.1).
    pub fn needs_handshake(&self) -> bool {
        self.kms_key_id.is_some()
            || matches!(
                self.session_type.as_str(),
                "NonInteractiveCommands" | "Port"
            )
    }
}

/// Application data handed to `send_data`: borrowed (copied once) or already shared.
enum DataIn<'a> {
    Slice(&'a [u8]),
    Shared(&'a Bytes),
}

impl DataIn<'_> {
    fn len(&self) -> usize {
        match self {
            DataIn::Slice(slice) => slice.len(),
            DataIn::Shared(bytes) => bytes.len(),
        }
    }
}

#[derive(Debug)]
pub(crate) enum Phase {
    /// Client: nothing received yet (a handshake or the first shell output decides).
    AwaitingPeer,
    ClientHandshake(Box<ClientHandshake>),
    AgentHandshake(Box<AgentHandshake>),
    Ready,
    /// Agent: waiting for its last output to be acked before `channel_closed`.
    Closing {
        output: Option<String>,
    },
    Closed,
}

/// An acknowledgement owed for a message, sent once the consumer takes it.
#[derive(Debug, Clone)]
struct PendingAck {
    message_type: MessageType,
    message_id: Uuid,
    sequence: i64,
}

#[derive(Debug)]
struct QueuedEvent {
    event: Event,
    ack: Option<PendingAck>,
}

/// One data-channel session.
pub struct Session {
    pub(crate) role: Role,
    pub(crate) config: SessionConfig,
    pub(crate) phase: Phase,
    pub(crate) info: SessionInfo,
    pub(crate) client: Option<ClientParams>,
    pub(crate) agent: Option<AgentParams>,
    pub(crate) cipher: Option<SessionCipher>,
    pub(crate) started: Instant,
    /// Unix milliseconds at `started`; CreatedDate is derived from it.
    wall_clock_base_ms: u64,
    /// The latest time any call passed in. Every entry point that can send takes `now`, so a
    /// message sent after a long idle is never stamped with a stale time.
    pub(crate) now: Instant,
    timers: TimerTable,
    rtt: RttEstimator,
    next_send_sequence: i64,
    send_buffer: SendBuffer,
    /// Application data accepted before the session was ready, sent in order once it is.
    pending: VecDeque<(PayloadType, Bytes)>,
    pending_bytes: usize,
    expected_sequence: i64,
    reorder: ReorderBuffer,
    events: VecDeque<QueuedEvent>,
    queued_stream_events: usize,
    /// Acks and control frames: sent even while publication is paused.
    control_transmits: VecDeque<Bytes>,
    data_transmits: VecDeque<Bytes>,
    paused: bool,
    close_reason: Option<CloseReason>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .field("phase", &self.phase)
            .field("next_send_sequence", &self.next_send_sequence)
            .field("expected_sequence", &self.expected_sequence)
            .field("unacked", &self.send_buffer.unacked_messages())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A client session (what bosun is). `wall_clock_ms` is the Unix time in milliseconds at
    /// `now`, used only for the CreatedDate header.
    pub fn client(
        config: SessionConfig,
        params: ClientParams,
        now: Instant,
        wall_clock_ms: u64,
    ) -> Session {
        let mut session = Session::new(Role::Client, config, now, wall_clock_ms);
        session.client = Some(params);
        session
    }

    /// An agent session (what the simulator runs). Sends the HandshakeRequest at once when the
    /// session type needs one; otherwise the session is ready immediately.
    pub fn agent(
        config: SessionConfig,
        params: AgentParams,
        now: Instant,
        wall_clock_ms: u64,
    ) -> Session {
        let mut session = Session::new(Role::Agent, config, now, wall_clock_ms);
        session.info.session_type = params.session_type.clone();
        session.info.properties = params.properties.clone();
        session.info.agent_version = Some(params.agent_version.clone());
        let handshake = params.needs_handshake();
        session.agent = Some(params);
        if handshake {
            session.start_agent_handshake(now);
        } else {
            session.become_ready(now);
        }
        session
    }

    fn new(role: Role, config: SessionConfig, now: Instant, wall_clock_ms: u64) -> Session {
        let reorder_capacity = config.reorder_capacity;
        let rtt = RttEstimator::new(config.rtt);
        Session {
            role,
            config,
            phase: Phase::AwaitingPeer,
            info: SessionInfo::default(),
            client: None,
            agent: None,
            cipher: None,
            started: now,
            wall_clock_base_ms: wall_clock_ms,
            now,
            timers: TimerTable::default(),
            rtt,
            next_send_sequence: 0,
            send_buffer: SendBuffer::default(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            expected_sequence: 0,
            reorder: ReorderBuffer::new(reorder_capacity),
            events: VecDeque::new(),
            queued_stream_events: 0,
            control_transmits: VecDeque::new(),
            data_transmits: VecDeque::new(),
            paused: false,
            close_reason: None,
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready)
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Why the session ended, once it has.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.close_reason.as_ref()
    }

    /// What the handshake settled (complete once `Event::Ready` has been emitted).
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rtt.rto()
    }

    /// Sent messages still waiting for their ack.
    pub fn unacked_messages(&self) -> usize {
        self.send_buffer.unacked_messages()
    }

    /// Bytes this session holds: unacknowledged and pending data, messages waiting in the
    /// reorder buffer, events not yet taken and frames not yet written. Every part is bounded
    /// by the configuration, whatever the peer sends or fails to acknowledge.
    pub fn buffered_bytes(&self) -> usize {
        let events: usize = self
            .events
            .iter()
            .map(|queued| match &queued.event {
                Event::Output(data) | Event::StdErr(data) => data.len(),
                _ => 0,
            })
            .sum();
        let transmits: usize = self
            .control_transmits
            .iter()
            .chain(self.data_transmits.iter())
            .map(Bytes::len)
            .sum();
        self.send_buffer.unacked_bytes()
            + self.pending_bytes
            + self.reorder.payload_bytes()
            + events
            + transmits
    }

    // ---------------------------------------------------------------- input

    /// Handles one received binary frame. An error means the frame was refused; the session is
    /// unaffected and keeps running.
    pub fn handle_frame(&mut self, now: Instant, frame: Bytes) -> Result<(), ProtocolError> {
        self.now = self.now.max(now);
        // Like the real peers: the plugin checks payload digests, the agent does not.
        let digest = match self.role {
            Role::Client => codec::DigestCheck::Verify,
            Role::Agent => codec::DigestCheck::Skip,
        };
        let message = codec::decode_checked(&frame, digest)?;
        if matches!(self.phase, Phase::Closed) {
            return Ok(());
        }
        match &message.message_type {
            MessageType::Acknowledge => self.handle_ack(&message),
            MessageType::ChannelClosed => self.handle_channel_closed(&message),
            MessageType::PausePublication => {
                if !self.paused {
                    self.paused = true;
                    self.timers.stop(Timer::Resend);
                    self.push_event(Event::PublicationPaused, None);
                }
                Ok(())
            }
            MessageType::StartPublication => {
                if self.paused {
                    self.paused = false;
                    if !self.send_buffer.is_empty() {
                        self.timers.set(Timer::Resend, self.now);
                    }
                    self.push_event(Event::PublicationResumed, None);
                }
                Ok(())
            }
            incoming if *incoming == self.incoming_type() => self.handle_stream(message),
            // Our own stream type echoed back, or the agent's report to the service.
            MessageType::InputStreamData
            | MessageType::OutputStreamData
            | MessageType::AgentSessionState => Ok(()),
            MessageType::Unknown(name) => Err(ProtocolError::UnknownMessageType(name.clone())),
        }
    }

    /// Fires every timer that is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        while let Some(timer) = self.timers.take_expired(self.now) {
            match timer {
                Timer::Resend => self.resend_overdue(),
                Timer::Handshake => match self.phase {
                    Phase::AgentHandshake(_) => self.finish(CloseReason::HandshakeTimeout),
                    Phase::AwaitingPeer if self.role == Role::Client => {
                        self.finish(CloseReason::NoAnswer {
                            waited: self.config.first_contact_timeout,
                        });
                    }
                    _ => {}
                },
                Timer::CloseDrain => self.send_channel_closed(),
            }
        }
    }

    /// The transport re-established its connection (after ResumeSession): everything still
    /// unacknowledged is sent again at once instead of waiting for its RTO.
    pub fn handle_reconnected(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.data_transmits.clear();
        let frames = self.send_buffer.resend_all(self.now);
        self.data_transmits.extend(frames);
        if !self.send_buffer.is_empty() {
            self.timers
                .set(Timer::Resend, self.now + self.rtt.backoff(0));
        }
    }

    // --------------------------------------------------------------- output

    /// The next frame to put on the wire.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if let Some(frame) = self.control_transmits.pop_front() {
            return Some(frame);
        }
        if self.paused {
            return None;
        }
        self.data_transmits.pop_front()
    }

    /// Whether `poll_transmit` would return a frame (so a driver can wait for room first).
    pub fn has_transmit(&self) -> bool {
        !self.control_transmits.is_empty() || (!self.paused && !self.data_transmits.is_empty())
    }

    /// Whether `poll_event` would return an event (so a driver can wait for its consumer).
    pub fn has_event(&self) -> bool {
        !self.events.is_empty()
    }

    /// When `handle_timeout` must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// The next event. Taking a data event acknowledges it to the peer.
    pub fn poll_event(&mut self) -> Option<Event> {
        let QueuedEvent { event, ack } = self.events.pop_front()?;
        if let Some(ack) = ack {
            self.queue_ack(&ack);
        }
        if event.is_stream_data() {
            self.queued_stream_events -= 1;
            self.drain_reorder_buffer();
        }
        Some(event)
    }

    /// Like `poll_event`, but consecutive `Output` events are joined into one of at most
    /// `max_bytes` (more when a single message is larger). Bulk transfers arrive as 1 KiB
    /// messages; handing them on one by one costs a channel send, a wake-up and a write per
    /// KiB further down. Each joined message is acknowledged as it is taken, as with
    /// `poll_event`.
    pub fn poll_event_joined(&mut self, max_bytes: usize) -> Option<Event> {
        let first = match self.poll_event()? {
            Event::Output(bytes) => bytes,
            other => return Some(other),
        };
        // How many of the next events join, and the exact size they make together.
        let mut total = first.len();
        let mut following = 0;
        for queued in &self.events {
            match &queued.event {
                Event::Output(next) if total + next.len() <= max_bytes => {
                    total += next.len();
                    following += 1;
                }
                _ => break,
            }
        }
        if following == 0 {
            return Some(Event::Output(first));
        }
        let mut joined = BytesMut::with_capacity(total);
        joined.extend_from_slice(&first);
        for _ in 0..following {
            // Taking them one by one acks each; anything the reorder buffer releases meanwhile
            // is queued behind them.
            if let Some(Event::Output(next)) = self.poll_event() {
                joined.extend_from_slice(&next);
            }
        }
        Some(Event::Output(joined.freeze()))
    }

    // ----------------------------------------------------------------- send

    /// How many payload bytes `send_output` would accept now.
    pub fn send_capacity(&self) -> usize {
        if !self.accepts_data() {
            return 0;
        }
        let messages_in_flight = self.send_buffer.unacked_messages() + self.pending.len();
        // One lost message must not let the buffer behind it grow without bound.
        let span_limit = self.config.window_messages * 4;
        if messages_in_flight >= self.config.window_messages
            || self.send_buffer.span() >= span_limit
        {
            return 0;
        }
        let bytes_in_flight = self.send_buffer.unacked_bytes() + self.pending_bytes;
        let messages_left = self.config.window_messages - messages_in_flight;
        self.config
            .window_bytes
            .saturating_sub(bytes_in_flight)
            .min(messages_left * self.config.max_payload.max(1))
    }

    /// Queues output bytes (PayloadType 1), as much as the window allows, and returns how many
    /// were taken. Encrypted when the session is. Held until the session is ready.
    pub fn send_output(&mut self, now: Instant, data: &[u8]) -> usize {
        self.send_data(now, PayloadType::OUTPUT, DataIn::Slice(data))
    }

    /// `send_output` for data already in a `Bytes`: its messages share the buffer instead of
    /// copying it.
    pub fn send_output_bytes(&mut self, now: Instant, data: &Bytes) -> usize {
        self.send_data(now, PayloadType::OUTPUT, DataIn::Shared(data))
    }

    /// Splits as much of `data` as the window takes into messages of at most `max_payload`.
    fn send_data(&mut self, now: Instant, payload_type: PayloadType, data: DataIn<'_>) -> usize {
        self.now = self.now.max(now);
        let accepted = data.len().min(self.send_capacity());
        if accepted == 0 {
            return 0;
        }
        // One allocation for the whole accepted run, not one per message.
        let data = match data {
            DataIn::Slice(slice) => Bytes::copy_from_slice(&slice[..accepted]),
            DataIn::Shared(bytes) => bytes.slice(..accepted),
        };
        let step = self.config.max_payload.max(1);
        let mut start = 0;
        while start < accepted {
            let end = (start + step).min(accepted);
            self.send_app(payload_type, data.slice(start..end));
            start = end;
        }
        accepted
    }

    /// Client: the terminal size (PayloadType 3). Never encrypted.
    pub fn send_size(&mut self, now: Instant, size: SizeData) -> Result<(), ProtocolError> {
        self.now = self.now.max(now);
        let json = serde_json::to_vec(&size).map_err(|e| ProtocolError::bad_payload("size", e))?;
        self.send_control_data(PayloadType::SIZE, Bytes::from(json))
    }

    /// A port-session flag (PayloadType 10).
    pub fn send_flag(&mut self, now: Instant, flag: PortFlag) -> Result<(), ProtocolError> {
        self.now = self.now.max(now);
        self.send_control_data(
            PayloadType::FLAG,
            Bytes::copy_from_slice(&flag.code().to_be_bytes()),
        )
    }

    /// Agent: standard error of a NonInteractiveCommands session (PayloadType 11).
    pub fn send_stderr(&mut self, now: Instant, data: &[u8]) -> usize {
        self.send_data(now, PayloadType::STDERR, DataIn::Slice(data))
    }

    /// `send_stderr` for data already in a `Bytes`.
    pub fn send_stderr_bytes(&mut self, now: Instant, data: &Bytes) -> usize {
        self.send_data(now, PayloadType::STDERR, DataIn::Shared(data))
    }

    /// Agent: the command's exit code (PayloadType 12).
    pub fn send_exit_code(&mut self, now: Instant, code: i32) -> Result<(), ProtocolError> {
        self.now = self.now.max(now);
        self.send_control_data(
            PayloadType::EXIT_CODE,
            Bytes::from(payload::format_exit_code(code)),
        )
    }

    /// Ends the session from this side. An agent (standing in for the service) first waits for
    /// its output to be acked, then sends `channel_closed` with `output` as its message.
    pub fn close(&mut self, now: Instant, output: Option<String>) {
        self.now = self.now.max(now);
        match (&self.phase, self.role) {
            (Phase::Closed | Phase::Closing { .. }, _) => {}
            (_, Role::Agent) => {
                self.phase = Phase::Closing { output };
                self.timers
                    .set(Timer::CloseDrain, self.now + self.config.close_drain);
                if self.send_buffer.is_empty() {
                    self.send_channel_closed();
                }
            }
            (_, Role::Client) => self.finish(CloseReason::Local),
        }
    }

    fn accepts_data(&self) -> bool {
        !matches!(self.phase, Phase::Closed | Phase::Closing { .. })
    }

    /// Small control payloads (size, flags, exit codes) bypass the byte window so that a
    /// resize or an interrupt is never stuck behind bulk data, but still need an open session.
    fn send_control_data(
        &mut self,
        payload_type: PayloadType,
        payload: Bytes,
    ) -> Result<(), ProtocolError> {
        if !self.accepts_data() {
            return Err(ProtocolError::Unexpected("sending on a closed session"));
        }
        self.send_app(payload_type, payload);
        Ok(())
    }

    fn send_app(&mut self, payload_type: PayloadType, payload: Bytes) {
        if self.is_ready() {
            self.send_sequenced_app(payload_type, payload);
        } else {
            self.pending_bytes += payload.len();
            self.pending.push_back((payload_type, payload));
        }
    }

    fn send_sequenced_app(&mut self, payload_type: PayloadType, payload: Bytes) {
        let window_bytes = payload.len();
        let encrypt = self.cipher.is_some()
            && match self.role {
                Role::Client => payload_type == PayloadType::OUTPUT,
                Role::Agent => matches!(
                    payload_type,
                    PayloadType::OUTPUT | PayloadType::STDERR | PayloadType::EXIT_CODE
                ),
            };
        let payload = match (&mut self.cipher, encrypt) {
            (Some(cipher), true) => match cipher.encrypt(&payload) {
                Ok(sealed) => Bytes::from(sealed),
                Err(error) => {
                    self.finish(CloseReason::Encryption(error.to_string()));
                    return;
                }
            },
            _ => payload,
        };
        self.send_sequenced(payload_type, payload, window_bytes);
    }

    /// Assigns the next sequence number, buffers the frame for resending and queues it.
    pub(crate) fn send_sequenced(
        &mut self,
        payload_type: PayloadType,
        payload: Bytes,
        window_bytes: usize,
    ) {
        let sequence = self.next_send_sequence;
        let flags = match (self.role, sequence) {
            (Role::Agent, 0) => header_flags::SYN,
            _ => 0,
        };
        let message = Message {
            message_type: self.outgoing_type(),
            schema_version: 1,
            created_date: self.created_date(),
            sequence_number: sequence,
            flags,
            message_id: Uuid::new_v4(),
            payload_type,
            payload,
        };
        let frame = match codec::encode(&message) {
            Ok(frame) => frame,
            // Only an empty or oversized payload can fail; callers never build those.
            Err(error) => {
                debug_assert!(false, "unencodable message: {error}");
                return;
            }
        };
        self.next_send_sequence += 1;
        self.send_buffer.push(
            sequence,
            SentMessage {
                frame: frame.clone(),
                window_bytes,
                first_sent: self.now,
                last_sent: self.now,
                resends: 0,
            },
        );
        self.data_transmits.push_back(frame);
        if !self.paused {
            self.timers
                .set_if_earlier(Timer::Resend, self.now + self.rtt.backoff(0));
        }
    }

    /// Sends a non-sequenced control message (ack, channel_closed) ahead of data.
    fn send_control(&mut self, message_type: MessageType, payload: Vec<u8>) {
        let message = Message {
            message_type,
            schema_version: 1,
            created_date: self.created_date(),
            sequence_number: 0,
            flags: header_flags::SYN_FIN,
            message_id: Uuid::new_v4(),
            payload_type: PayloadType::NONE,
            payload: Bytes::from(payload),
        };
        let mut frame = BytesMut::new();
        if codec::encode_into(&message, &mut frame).is_ok() {
            self.control_transmits.push_back(frame.freeze());
        }
    }

    fn created_date(&self) -> u64 {
        let elapsed = self.now.saturating_duration_since(self.started).as_millis() as u64;
        // CreatedDate must never be zero (the plugin's Validate rejects it).
        (self.wall_clock_base_ms + elapsed).max(1)
    }

    fn outgoing_type(&self) -> MessageType {
        match self.role {
            Role::Client => MessageType::InputStreamData,
            Role::Agent => MessageType::OutputStreamData,
        }
    }

    fn incoming_type(&self) -> MessageType {
        match self.role {
            Role::Client => MessageType::OutputStreamData,
            Role::Agent => MessageType::InputStreamData,
        }
    }

    // ----------------------------------------------------------- reliability

    fn handle_ack(&mut self, message: &Message) -> Result<(), ProtocolError> {
        let sequence = Acknowledge::sequence_of(&message.payload)
            .map_err(|e| ProtocolError::bad_payload("acknowledge", e))?;
        if let Some(sent) = self.send_buffer.acknowledge(sequence) {
            // Karn's rule: a resent message's ack cannot tell which copy it answers.
            if sent.resends == 0 {
                self.rtt
                    .on_sample(self.now.saturating_duration_since(sent.last_sent));
            }
        }
        if self.send_buffer.is_empty() {
            self.timers.stop(Timer::Resend);
            if matches!(self.phase, Phase::Closing { .. }) {
                self.send_channel_closed();
            }
        }
        Ok(())
    }

    fn resend_overdue(&mut self) {
        if self.paused || self.send_buffer.is_empty() {
            return;
        }
        let scan = self.send_buffer.scan(self.now, &self.rtt);
        if scan.oldest_age >= self.config.give_up_after {
            self.finish(CloseReason::ResendTimeout {
                waited: scan.oldest_age,
            });
            return;
        }
        // Frames still queued mean the socket is not taking what it has: queueing the same
        // messages again would only grow the queue, so they wait for the next scan.
        if self.data_transmits.len() < self.config.window_messages {
            self.data_transmits.extend(scan.resend);
        }
        if let Some(deadline) = scan.next_deadline {
            self.timers.set(Timer::Resend, deadline);
        }
    }

    fn queue_ack(&mut self, ack: &PendingAck) {
        // A peer that floods duplicates while not reading its socket would otherwise grow this
        // queue without end. An ack left out is harmless: the peer resends and is acked again.
        if self.control_transmits.len() >= MAX_QUEUED_CONTROL_FRAMES {
            return;
        }
        let json = Acknowledge::to_json(ack.message_type.as_str(), ack.message_id, ack.sequence);
        self.send_control(MessageType::Acknowledge, json);
    }

    fn handle_stream(&mut self, message: Message) -> Result<(), ProtocolError> {
        let sequence = message.sequence_number;
        let ack = PendingAck {
            message_type: message.message_type.clone(),
            message_id: message.message_id,
            sequence,
        };
        if sequence < self.expected_sequence {
            // A duplicate: re-ack it so the peer stops resending, unless it is still waiting
            // for the consumer (then it is acked when taken).
            if !self.is_waiting_for_consumer(sequence) {
                self.queue_ack(&ack);
            }
            return Ok(());
        }
        if sequence > self.expected_sequence {
            if self.reorder.contains(sequence) || self.reorder.insert(message) {
                self.queue_ack(&ack);
            }
            return Ok(());
        }
        if message.payload_type.is_handshake() {
            // Handshake messages are acked first, then handled (docs/protocol.md §4.3).
            self.queue_ack(&ack);
            self.expected_sequence += 1;
            let result = self.handle_handshake_message(&message);
            self.drain_reorder_buffer();
            return result;
        }
        if self.queued_stream_events >= self.config.receive_queue_messages {
            // The consumer is behind: refuse without an ack; the peer resends later.
            return Ok(());
        }
        self.expected_sequence += 1;
        let result = self.accept_in_order(message, Some(ack));
        self.drain_reorder_buffer();
        result
    }

    fn is_waiting_for_consumer(&self, sequence: i64) -> bool {
        self.events
            .iter()
            .any(|queued| queued.ack.as_ref().is_some_and(|a| a.sequence == sequence))
    }

    /// Moves messages that are now in order from the reorder buffer to the consumer (they were
    /// acked when they arrived), as long as the consumer has room.
    fn drain_reorder_buffer(&mut self) {
        while self.reorder.len() > 0
            && self.queued_stream_events < self.config.receive_queue_messages
            && !matches!(self.phase, Phase::Closed)
        {
            let Some(message) = self.reorder.take(self.expected_sequence) else {
                break;
            };
            self.expected_sequence += 1;
            // Errors here concern one already-acked message; the stream goes on.
            let _ = if message.payload_type.is_handshake() {
                self.handle_handshake_message(&message)
            } else {
                self.accept_in_order(message, None)
            };
        }
    }

    /// Turns an in-order data message into an event for the consumer.
    fn accept_in_order(
        &mut self,
        message: Message,
        ack: Option<PendingAck>,
    ) -> Result<(), ProtocolError> {
        match &self.phase {
            Phase::AwaitingPeer if self.role == Role::Client => {
                // No handshake: the first output makes this a plain shell (docs/protocol.md §5.1).
                self.info.session_type = "Standard_Stream".to_owned();
                self.become_ready(self.now);
            }
            Phase::AgentHandshake(_) | Phase::ClientHandshake(_) | Phase::AwaitingPeer => {
                // The real agent acks and discards data that arrives mid-handshake.
                if let Some(ack) = ack {
                    self.queue_ack(&ack);
                }
                return Err(ProtocolError::Unexpected(
                    "data before the handshake completed",
                ));
            }
            _ => {}
        }
        let decrypt = self.cipher.is_some()
            && match self.role {
                Role::Client => matches!(
                    message.payload_type,
                    PayloadType::OUTPUT | PayloadType::STDERR | PayloadType::EXIT_CODE
                ),
                Role::Agent => message.payload_type == PayloadType::OUTPUT,
            };
        let payload = match (&self.cipher, decrypt) {
            (Some(cipher), true) => match cipher.decrypt(&message.payload) {
                Ok(plain) => Bytes::from(plain),
                Err(error) => {
                    if let Some(ack) = ack {
                        self.queue_ack(&ack);
                    }
                    return Err(error.into());
                }
            },
            _ => message.payload,
        };
        let event = match message.payload_type {
            PayloadType::OUTPUT => Event::Output(payload),
            PayloadType::STDERR => Event::StdErr(payload),
            PayloadType::EXIT_CODE => match payload::parse_exit_code(&payload) {
                Some(code) => Event::ExitCode(code),
                None => {
                    return self.refuse(
                        ack,
                        ProtocolError::bad_payload("exit code", "not EXIT_CODE: n"),
                    );
                }
            },
            PayloadType::FLAG => {
                let flag = <[u8; 4]>::try_from(&payload[..])
                    .ok()
                    .and_then(|code| PortFlag::from_code(u32::from_be_bytes(code)));
                match flag {
                    Some(flag) => Event::Flag(flag),
                    None => {
                        return self
                            .refuse(ack, ProtocolError::bad_payload("flag", "unknown flag"));
                    }
                }
            }
            PayloadType::SIZE if self.role == Role::Agent => {
                match serde_json::from_slice::<SizeData>(&payload) {
                    Ok(size) => Event::Size(size),
                    Err(error) => {
                        return self.refuse(ack, ProtocolError::bad_payload("size", error));
                    }
                }
            }
            _ => {
                return self.refuse(
                    ack,
                    ProtocolError::bad_payload("stream", "unexpected payload type"),
                );
            }
        };
        self.push_event(event, ack);
        Ok(())
    }

    /// Acks a message that was in order but unusable, so the peer does not resend it forever.
    fn refuse(
        &mut self,
        ack: Option<PendingAck>,
        error: ProtocolError,
    ) -> Result<(), ProtocolError> {
        if let Some(ack) = ack {
            self.queue_ack(&ack);
        }
        Err(error)
    }

    /// Queues an event that carries no ack (handshake progress, key requests).
    pub(crate) fn push_control_event(&mut self, event: Event) {
        self.push_event(event, None);
    }

    fn push_event(&mut self, event: Event, ack: Option<PendingAck>) {
        if event.is_stream_data() {
            self.queued_stream_events += 1;
        }
        self.events.push_back(QueuedEvent { event, ack });
    }

    // ------------------------------------------------------------- life cycle

    pub(crate) fn become_ready(&mut self, now: Instant) {
        self.now = self.now.max(now);
        self.phase = Phase::Ready;
        self.timers.stop(Timer::Handshake);
        self.info.encrypted = self.cipher.is_some();
        self.push_event(Event::Ready(self.info.clone()), None);
        while let Some((payload_type, payload)) = self.pending.pop_front() {
            self.pending_bytes -= payload.len();
            self.send_sequenced_app(payload_type, payload);
        }
    }

    /// Client: the data channel is open; the agent must say something before the first-contact
    /// deadline. Later connections (resumes) change nothing.
    pub fn await_first_contact(&mut self, now: Instant) {
        self.now = self.now.max(now);
        if self.role == Role::Client && matches!(self.phase, Phase::AwaitingPeer) {
            self.timers.set(
                Timer::Handshake,
                self.now + self.config.first_contact_timeout,
            );
        }
    }

    pub(crate) fn set_handshake_deadline(&mut self) {
        self.timers
            .set(Timer::Handshake, self.now + self.config.handshake_timeout);
    }

    fn handle_channel_closed(&mut self, message: &Message) -> Result<(), ProtocolError> {
        // Not acked, as the plugin does; the payload is informational.
        let closed: ChannelClosed = serde_json::from_slice(&message.payload).unwrap_or_default();
        let output = Some(closed.output).filter(|text| !text.is_empty());
        self.finish(CloseReason::ChannelClosed { output });
        Ok(())
    }

    fn send_channel_closed(&mut self) {
        let Phase::Closing { output } = &self.phase else {
            return;
        };
        let output = output.clone();
        let (session_id, target) = self
            .agent
            .as_ref()
            .map(|a| (a.session_id.clone(), a.target.clone()))
            .unwrap_or_default();
        let closed = ChannelClosed {
            message_id: Uuid::new_v4().hyphenated().to_string(),
            created_date: self.created_date().to_string(),
            destination_id: target,
            session_id,
            message_type: MessageType::ChannelClosed.as_str().to_owned(),
            schema_version: 1,
            output: output.clone().unwrap_or_default(),
        };
        if let Ok(json) = serde_json::to_vec(&closed) {
            self.send_control(MessageType::ChannelClosed, json);
        }
        self.finish(CloseReason::ChannelClosed { output });
    }

    /// Ends the session once: stops timers (so nothing is resent) and emits `Closed`. Frames
    /// already queued can still be polled: a final ack, a handshake refusal, `channel_closed`.
    pub(crate) fn finish(&mut self, reason: CloseReason) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        self.phase = Phase::Closed;
        self.timers.clear();
        self.close_reason = Some(reason.clone());
        self.push_event(Event::Closed(reason), None);
    }
}
