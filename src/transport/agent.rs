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

use super::websocket::{Connection, sleep_until};
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

/// Reads the client's first text frame (PROTOCOL.md §1.4) within `timeout`.
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

/// Data the window could not take yet, kept across connections.
#[derive(Debug, Default)]
pub struct HeldInput(Option<AgentInput>);

/// Pumps `session` over one accepted, authenticated connection until the socket drops, the
/// session closes, or `drop_signal` resolves (fault injection: the socket is cut).
pub async fn serve_connection<S>(
    socket: WebSocketStream<S>,
    session: &mut Session,
    input: &mut mpsc::Receiver<AgentInput>,
    held: &mut HeldInput,
    events: &mpsc::Sender<Event>,
    drop_signal: impl Future<Output = ()>,
) -> ConnectionEnd
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut connection = Connection::start(socket, 256);
    session.handle_reconnected(Instant::now());
    tokio::pin!(drop_signal);
    loop {
        let now = Instant::now();
        feed(session, held, now);
        while session.has_transmit() {
            let Ok(permit) = connection.writer.try_reserve() else {
                break;
            };
            if let Some(frame) = session.poll_transmit() {
                permit.send(WsMessage::Binary(frame));
            }
        }
        while session.has_event() {
            match events.try_reserve() {
                Ok(permit) => {
                    if let Some(event) = session.poll_event() {
                        permit.send(event);
                    }
                }
                Err(mpsc::error::TrySendError::Full(())) => break,
                // Nobody listens any more: end the session and discard what it reports.
                Err(mpsc::error::TrySendError::Closed(())) => {
                    session.close(now, None);
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
        let deadline = session.poll_timeout();
        let wake = tokio::select! {
            frame = connection.reader.next() => Wake::Frame(frame),
            message = input.recv(), if can_take_input => Wake::Input(message),
            _ = connection.writer.reserve(), if wants_writer => Wake::Room,
            _ = events.reserve(), if wants_consumer => Wake::Room,
            _ = sleep_until(deadline), if deadline.is_some() => Wake::Timer,
            _ = connection.writer.closed() => Wake::Dropped("the socket could not be written"),
            () = &mut drop_signal => Wake::Dropped("connection cut"),
        };
        match wake {
            Wake::Frame(Some(Ok(WsMessage::Binary(frame)))) => {
                if let Err(error) = session.handle_frame(Instant::now(), frame) {
                    tracing::debug!(%error, "agent refused a frame");
                }
            }
            Wake::Frame(Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None) => {
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
                connection.abort();
                return ConnectionEnd::Dropped(reason.to_owned());
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
}

/// Moves held application input into the session as far as the window allows.
fn feed(session: &mut Session, held: &mut HeldInput, now: Instant) {
    let Some(message) = held.0.take() else {
        return;
    };
    let rest = match message {
        AgentInput::Output(bytes) => {
            let taken = session.send_output(now, &bytes);
            (taken < bytes.len()).then(|| AgentInput::Output(bytes.slice(taken..)))
        }
        AgentInput::StdErr(bytes) => {
            let taken = session.send_stderr(now, &bytes);
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
