//! The agent side of a data channel over WebSocket, for the simulator and the tests: read and
//! check the open frame, then pump an agent-role protocol session over one connection. The
//! session outlives the connection, so a client that resumes finds its sequence state intact.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::connection::{Connection, DeadlineTimer, FrameBatch, JOINED_OUTPUT_BYTES};
use crate::protocol::payload::OpenDataChannel;
use crate::protocol::{CloseReason, Event, PortFlag, Session};

/// What the agent's application (a shell, a port dialer) sends to the client.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentInput {
    Output(Bytes),
    StdErr(Bytes),
    ExitCode(i32),
    Flag(PortFlag),
    /// End the session: `channel_closed` once the output is acked, with this message.
    Close(Option<String>),
    /// The answer to `Event::DecryptKeyNeeded` (the agent's kms:Decrypt).
    DecryptedKey(Result<Vec<u8>, crate::protocol::crypto::KeyProviderError>),
}

/// Why `serve_connection` returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEnd {
    /// The socket went away; the session lives on for a resumed connection.
    Dropped(String),
    /// The session ended; `channel_closed` was sent if the socket allowed.
    SessionClosed(CloseReason),
}

/// Reads the client's first text frame (docs/protocol.md §2.4) within `timeout`.
pub async fn read_open_frame<S>(
    socket: &mut WebSocketStream<S>,
    timeout: Duration,
) -> Result<OpenDataChannel, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = tokio::time::timeout(timeout, socket.next())
        .await
        .map_err(|_| "no open-data-channel frame in time".to_owned())?;
    match frame {
        Some(Ok(WsMessage::Text(text))) => {
            let open: OpenDataChannel = serde_json::from_str(text.as_str())
                .map_err(|error| format!("malformed open-data-channel frame: {error}"))?;
            if open.message_schema_version != "1.0" {
                return Err(format!(
                    "unsupported MessageSchemaVersion {:?}",
                    open.message_schema_version
                ));
            }
            Ok(open)
        }
        Some(Ok(other)) => Err(format!("expected a text frame first, got {other:?}")),
        Some(Err(error)) => Err(error.to_string()),
        None => Err("closed before the open frame".to_owned()),
    }
}

/// Constant-time comparison for session tokens.
pub fn tokens_match(expected: &str, presented: &str) -> bool {
    let (a, b) = (expected.as_bytes(), presented.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Faults applied to a session's frames (the simulator's `--faults`): loss and duplication
/// both ways, reordering towards the client, and a cut each time another `drop_after_bytes`
/// have been written to the client. After a reconnect the agent resends its whole
/// unacknowledged window at once, so a cut smaller than the window (1 MiB of payload) can come
/// before any ack returns and the session stops progressing: keep it larger.
#[derive(Debug, Clone, Default)]
pub struct ChannelFaults {
    pub loss: f64,
    pub duplicate: f64,
    pub reorder: f64,
    pub drop_after_bytes: Option<u64>,
    /// Acknowledgements are held this long before they go out.
    pub ack_delay: Duration,
    rng: u64,
    held: Option<Bytes>,
    delayed_acks: std::collections::VecDeque<(Instant, Bytes)>,
    /// Bytes written on earlier connections of this session.
    written_before: u64,
    next_cut: u64,
}

impl ChannelFaults {
    pub fn new(
        loss: f64,
        duplicate: f64,
        reorder: f64,
        drop_after_bytes: Option<u64>,
        ack_delay: Duration,
        seed: u64,
    ) -> ChannelFaults {
        ChannelFaults {
            loss,
            duplicate,
            reorder,
            drop_after_bytes,
            ack_delay,
            delayed_acks: std::collections::VecDeque::new(),
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            held: None,
            written_before: 0,
            next_cut: drop_after_bytes.unwrap_or(u64::MAX),
        }
    }

    fn chance(&mut self, probability: f64) -> bool {
        if probability <= 0.0 {
            return false;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        ((self.rng >> 11) as f64 / (1u64 << 53) as f64) < probability
    }

    /// What actually goes out for one frame: nothing (lost), it, it twice, or it after the
    /// next one (reordered).
    fn outgoing(&mut self, now: Instant, frame: Bytes) -> Vec<Bytes> {
        if !self.ack_delay.is_zero() && frame.get(4..15) == Some(b"acknowledge".as_slice()) {
            self.delayed_acks.push_back((now + self.ack_delay, frame));
            return Vec::new();
        }
        if self.chance(self.loss) {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(3);
        if self.held.is_none() && self.chance(self.reorder) {
            self.held = Some(frame);
            return out;
        }
        out.push(frame.clone());
        if self.chance(self.duplicate) {
            out.push(frame);
        }
        out.extend(self.held.take());
        out
    }

    /// Held acknowledgements whose delay is over.
    fn due_acks(&mut self, now: Instant) -> Vec<Bytes> {
        let mut due = Vec::new();
        while self.delayed_acks.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, frame)) = self.delayed_acks.pop_front() {
                due.push(frame);
            }
        }
        due
    }

    fn next_ack_due(&self) -> Option<Instant> {
        self.delayed_acks.front().map(|(at, _)| *at)
    }

    fn drop_incoming(&mut self) -> bool {
        self.chance(self.loss)
    }

    /// Counts bytes really written (acks keep being read meanwhile), across the session's
    /// connections; true once the next cut is due.
    fn should_cut(&mut self, written_here: u64) -> bool {
        let Some(step) = self.drop_after_bytes else {
            return false;
        };
        if self.written_before + written_here < self.next_cut {
            return false;
        }
        self.written_before += written_here;
        self.next_cut = self.written_before + step.max(1);
        true
    }

    /// Bookkeeping when a connection ends for another reason.
    fn connection_ended(&mut self, written_here: u64) {
        self.written_before += written_here;
    }
}

/// Data the window could not take yet, kept across connections.
#[derive(Debug, Default)]
pub struct HeldInput(Option<AgentInput>);

/// How a fault ends a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The socket is closed.
    Close,
    /// The socket stays open and nothing more is read or written on it (a laptop that slept,
    /// a proxy that forgot the flow): the client must notice on its own.
    Silence,
}

/// How long a silenced socket is held open before the simulator lets it go.
const SILENCE_HELD: Duration = Duration::from_secs(120);

/// Pumps `session` over one accepted, authenticated connection until the socket drops, the
/// session closes, or `drop_signal` resolves (fault injection: the socket is cut or goes
/// silent).
pub async fn serve_connection<S>(
    socket: WebSocketStream<S>,
    session: &mut Session,
    input: &mut mpsc::Receiver<AgentInput>,
    held: &mut HeldInput,
    events: &mpsc::Sender<Event>,
    faults: &mut ChannelFaults,
    drop_signal: impl Future<Output = Cut>,
) -> ConnectionEnd
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut connection = Connection::start(socket, 256);
    session.handle_reconnected(Instant::now());
    tokio::pin!(drop_signal);
    let mut timer = DeadlineTimer::new();
    let mut batch = FrameBatch::default();
    loop {
        let wake = match batch.next(&mut connection, session.is_closed()) {
            Some(frame) => Wake::Frame(frame),
            None => {
                let now = Instant::now();
                feed(session, held, now);
                for frame in faults.due_acks(now) {
                    let _ = connection.writer.try_send(WsMessage::Binary(frame));
                }
                // Room for a duplicate and a released reordered frame as well.
                while session.has_transmit() && connection.writer.capacity() >= 3 {
                    if let Some(frame) = session.poll_transmit() {
                        for frame in faults.outgoing(now, frame) {
                            let _ = connection.writer.try_send(WsMessage::Binary(frame));
                        }
                    }
                }
                if faults.should_cut(connection.bytes_written()) {
                    connection.abort();
                    return ConnectionEnd::Dropped(
                        "connection cut after the configured bytes".to_owned(),
                    );
                }
                while session.has_event() {
                    match events.try_reserve() {
                        Ok(permit) => {
                            if let Some(event) = session.poll_event_joined(JOINED_OUTPUT_BYTES) {
                                permit.send(event);
                            }
                        }
                        Err(mpsc::error::TrySendError::Full(())) => break,
                        // The application stopped listening. It ends the session itself
                        // with `AgentInput::Close` (which may still be queued behind its
                        // last output), so only discard what the session reports.
                        Err(mpsc::error::TrySendError::Closed(())) => {
                            let _ = session.poll_event();
                        }
                    }
                }
                if session.is_closed() && !session.has_transmit() && !session.has_event() {
                    connection.finish().await;
                    return ConnectionEnd::SessionClosed(closed_reason(session));
                }

                let can_take_input = held.0.is_none() && session.send_capacity() > 0;
                let wants_writer = session.has_transmit();
                let wants_consumer = session.has_event();
                let deadline = match (session.poll_timeout(), faults.next_ack_due()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                timer.arm(deadline);
                tokio::select! {
                    frame = connection.reader.next() => Wake::Frame(frame),
                    message = input.recv(), if can_take_input => Wake::Input(message),
                    _ = connection.writer.reserve_many(3), if wants_writer => Wake::Room,
                    _ = events.reserve(), if wants_consumer => Wake::Room,
                    () = timer.fired(), if deadline.is_some() => Wake::Timer,
                    _ = connection.writer.closed() => Wake::Dropped("the socket could not be written"),
                    cut = &mut drop_signal => match cut {
                        Cut::Close => Wake::Dropped("connection cut"),
                        Cut::Silence => Wake::Silenced,
                    },
                }
            }
        };
        match wake {
            Wake::Frame(Some(Ok(WsMessage::Binary(frame)))) => {
                connection.keep_read_buffer_shared(&frame);
                if !faults.drop_incoming()
                    && let Err(error) = session.handle_frame(Instant::now(), frame)
                {
                    tracing::debug!(%error, "agent refused a frame");
                }
            }
            Wake::Frame(Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None) => {
                faults.connection_ended(connection.bytes_written());
                connection.abort();
                return ConnectionEnd::Dropped("the client went away".to_owned());
            }
            Wake::Frame(Some(Ok(_))) | Wake::Room => {}
            Wake::Input(Some(message)) => {
                held.0 = Some(message);
                feed(session, held, Instant::now());
            }
            Wake::Input(None) => session.close(Instant::now(), None),
            Wake::Timer => session.handle_timeout(Instant::now()),
            Wake::Dropped(reason) => {
                faults.connection_ended(connection.bytes_written());
                connection.abort();
                return ConnectionEnd::Dropped(reason.to_owned());
            }
            Wake::Silenced => {
                faults.connection_ended(connection.bytes_written());
                // Held open, unread and unwritten, while the session waits for a redial.
                tokio::spawn(async move {
                    tokio::time::sleep(SILENCE_HELD).await;
                    connection.abort();
                });
                return ConnectionEnd::Dropped("the connection went silent".to_owned());
            }
        }
    }
}

/// What woke the connection loop (acted on after `select!` releases its borrows).
enum Wake {
    Frame(Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>),
    Input(Option<AgentInput>),
    Room,
    Timer,
    Dropped(&'static str),
    Silenced,
}

/// Moves held application input into the session as far as the window allows.
fn feed(session: &mut Session, held: &mut HeldInput, now: Instant) {
    let Some(message) = held.0.take() else {
        return;
    };
    let rest = match message {
        AgentInput::Output(bytes) => {
            let taken = session.send_output_bytes(now, &bytes);
            (taken < bytes.len()).then(|| AgentInput::Output(bytes.slice(taken..)))
        }
        AgentInput::StdErr(bytes) => {
            let taken = session.send_stderr_bytes(now, &bytes);
            (taken < bytes.len()).then(|| AgentInput::StdErr(bytes.slice(taken..)))
        }
        AgentInput::ExitCode(code) => {
            let _ = session.send_exit_code(now, code);
            None
        }
        AgentInput::Flag(flag) => {
            let _ = session.send_flag(now, flag);
            None
        }
        AgentInput::Close(output) => {
            session.close(now, output);
            None
        }
        AgentInput::DecryptedKey(result) => {
            if let Err(error) = session.handle_decrypted_key(now, result) {
                tracing::debug!(%error, "decrypted key refused");
            }
            None
        }
    };
    held.0 = rest;
}

fn closed_reason(session: &Session) -> CloseReason {
    session
        .close_reason()
        .cloned()
        .unwrap_or(CloseReason::Local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "abcd"));
    }
}
