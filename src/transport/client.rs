//! The WebSocket driver of a client session: dials the StreamUrl (`dial`), then pumps the
//! protocol session — frames in and out, timers, pings — between bounded channels to and
//! from the application. When the connection drops it asks a resume hook for a new token
//! (ResumeSession), dials the address the answer names (the session may have moved to
//! another cell) and keeps the session's sequence state, so a drop costs no byte.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::connection::{Connection, DeadlineTimer, FrameBatch, JOINED_OUTPUT_BYTES};
use super::dial::{Backoff, StreamTarget, connect_once, connect_with_retry};
use super::{DriverConfig, TransportError};
use crate::protocol::crypto::{DataKey, KeyProvider, KeyProviderError};
use crate::protocol::{CloseReason, Event, PortFlag, Session, SessionInfo, SizeData};

/// Asks the service for a fresh token after a drop (ssm:ResumeSession). `Ok(None)` means the
/// service returned no token: the session is over.
pub trait ResumeHook: Send + Sync {
    fn resume<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, Result<Option<Resumed>, String>>;
}

/// What ResumeSession answered for a live session.
#[derive(Clone, PartialEq, Eq)]
pub struct Resumed {
    pub token: String,
    /// Where the session lives now: the service may move it to another cell, and a dial to
    /// the old address is then refused. `None` when the answer named none (the old one holds).
    pub stream_url: Option<String>,
}

impl fmt::Debug for Resumed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resumed")
            .field("token", &"<redacted>")
            .field(
                "stream_url",
                &self.stream_url.as_deref().map(super::dial::redact_url),
            )
            .finish()
    }
}

/// What the application sends into the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Keystrokes or port bytes (PayloadType 1).
    Data(Bytes),
    Size(SizeData),
    Flag(PortFlag),
    /// Flush what is queued, then stop.
    Close,
}

/// What the driver reports to the application.
#[derive(Debug, Clone, PartialEq)]
pub enum DriverEvent {
    Ready(SessionInfo),
    Output(Bytes),
    StdErr(Bytes),
    ExitCode(i32),
    Flag(PortFlag),
    /// The connection dropped; a resume is under way.
    Reconnecting {
        attempt: u32,
        reason: String,
    },
    Reconnected,
    /// A frame was refused (the session goes on); for the log and an indicator.
    Warning(String),
}

/// How a driven session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The protocol session closed (channel_closed, give-up, handshake failure…).
    Closed(CloseReason),
    /// The application sent `Input::Close` or dropped its input channel.
    Local,
    /// ResumeSession returned no token.
    Expired,
}

impl fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionEnd::Closed(reason) => reason.fmt(f),
            SessionEnd::Local => f.write_str("closed by the user"),
            SessionEnd::Expired => f.write_str("the session timed out or was terminated"),
        }
    }
}

/// Drives a client session until it ends. Application bytes arrive on `input`; everything the
/// session produces goes to `events`, whose bound is the session's backpressure: data the
/// application has not taken is not acknowledged.
pub async fn run_client(
    target: StreamTarget,
    session: Session,
    resume: Arc<dyn ResumeHook>,
    keys: Option<Arc<dyn KeyProvider>>,
    input: mpsc::Receiver<Input>,
    events: mpsc::Sender<DriverEvent>,
    config: DriverConfig,
) -> Result<SessionEnd, TransportError> {
    let socket = connect_with_retry(&target, &target.token, &config).await?;
    let connection = Connection::start(socket, config.writer_queue);
    let mut session = session;
    if config.first_contact {
        session.await_first_contact(Instant::now());
    }
    let driver = Driver {
        target,
        session,
        resume,
        keys,
        events,
        config,
        connection,
        held_input: None,
        input_open: true,
        key_task: None,
        notices: VecDeque::new(),
    };
    driver.run(input).await
}

type KeyTask = JoinHandle<Result<DataKey, KeyProviderError>>;

/// What woke the driver loop. `select!` only picks; the work happens after it, when no
/// branch future borrows the driver any more.
enum Wake {
    Frame(Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>),
    Input(Option<Input>),
    Room,
    Key(Result<DataKey, KeyProviderError>),
    Timer,
    Ping,
    Dropped(String),
}

/// The state of one driven session between awaits.
struct Driver {
    target: StreamTarget,
    session: Session,
    resume: Arc<dyn ResumeHook>,
    keys: Option<Arc<dyn KeyProvider>>,
    events: mpsc::Sender<DriverEvent>,
    config: DriverConfig,
    connection: Connection,
    /// Input the window could not take yet.
    held_input: Option<Bytes>,
    input_open: bool,
    /// A KMS GenerateDataKey call in flight (the handshake waits for it, the socket does not).
    key_task: Option<KeyTask>,
    /// Driver notices (reconnecting, warnings) waiting for room in `events`; never dropped.
    notices: VecDeque<DriverEvent>,
}

impl Driver {
    async fn run(mut self, mut input: mpsc::Receiver<Input>) -> Result<SessionEnd, TransportError> {
        let mut ping = tokio::time::interval(self.config.ping_interval);
        ping.tick().await;
        // When the connection last said anything: a frame, a pong.
        let mut last_heard = Instant::now();
        let mut timer = DeadlineTimer::new();
        let mut batch = FrameBatch::default();
        loop {
            let wake = match batch.next(&mut self.connection, self.session.is_closed()) {
                Some(frame) => Wake::Frame(frame),
                None => {
                    self.feed_held_input();
                    self.flush_transmits();
                    if let Some(end) = self.forward_events() {
                        self.connection.finish().await;
                        return Ok(end);
                    }
                    if !self.input_open && self.held_input.is_none() && !self.session.has_transmit()
                    {
                        self.connection.finish().await;
                        return Ok(SessionEnd::Local);
                    }
                    let can_take_input = self.input_open
                        && self.held_input.is_none()
                        && self.session.send_capacity() > 0;
                    let wants_writer = self.session.has_transmit();
                    let wants_consumer = self.session.has_event() || !self.notices.is_empty();
                    let deadline = self.session.poll_timeout();
                    timer.arm(deadline);
                    tokio::select! {
                        frame = self.connection.reader.next() => Wake::Frame(frame),
                        message = input.recv(), if can_take_input => Wake::Input(message),
                        // Room again: the loop top moves frames and events on.
                        _ = self.connection.writer.reserve(), if wants_writer => Wake::Room,
                        _ = self.events.reserve(), if wants_consumer => Wake::Room,
                        answer = wait_for_key(&mut self.key_task), if self.key_task.is_some() => Wake::Key(answer),
                        () = timer.fired(), if deadline.is_some() => Wake::Timer,
                        _ = ping.tick() => Wake::Ping,
                        _ = self.connection.writer.closed() => Wake::Dropped("the socket could not be written".to_owned()),
                    }
                }
            };
            if matches!(wake, Wake::Frame(Some(Ok(_)))) {
                last_heard = Instant::now();
            }
            let drop_reason = match wake {
                Wake::Frame(Some(Ok(WsMessage::Binary(frame)))) => {
                    // Sizes only: a frame's payload is the user's (keystrokes, output, data).
                    tracing::trace!(session = %self.target.session_id, bytes = frame.len(), "frame in");
                    let frame = detached_from_read_buffer(&frame);
                    if let Err(error) = self.session.handle_frame(Instant::now(), frame) {
                        tracing::warn!(session = %self.target.session_id, %error, "refused a frame");
                        self.notify(DriverEvent::Warning(error.to_string()));
                    }
                    None
                }
                Wake::Frame(Some(Ok(WsMessage::Close(close)))) => Some(close.map_or_else(
                    || "closed by the server".to_owned(),
                    |c| format!("closed by the server ({} {})", c.code, c.reason),
                )),
                // Pings are answered by tungstenite; text frames mean nothing to a client.
                Wake::Frame(Some(Ok(_))) => None,
                Wake::Frame(Some(Err(error))) => Some(error.to_string()),
                Wake::Frame(None) => Some("connection lost".to_owned()),
                Wake::Input(message) => {
                    self.handle_input(message);
                    None
                }
                Wake::Key(answer) => {
                    self.key_task = None;
                    if let Err(error) = self.session.handle_data_key(Instant::now(), answer) {
                        return Err(TransportError::KeyProvider(error.to_string()));
                    }
                    None
                }
                Wake::Timer => {
                    self.session.handle_timeout(Instant::now());
                    None
                }
                Wake::Ping if last_heard.elapsed() >= self.config.silent_after => Some(format!(
                    "nothing heard for {} s",
                    last_heard.elapsed().as_secs()
                )),
                Wake::Ping => {
                    let ping = WsMessage::Ping(Bytes::from_static(b"keepalive"));
                    let _ = self.connection.writer.try_send(ping);
                    None
                }
                Wake::Room => None,
                Wake::Dropped(reason) => Some(reason),
            };
            if let Some(reason) = drop_reason {
                self.reconnect(reason).await?;
                last_heard = Instant::now();
            }
        }
    }

    fn handle_input(&mut self, message: Option<Input>) {
        let now = Instant::now();
        match message {
            Some(Input::Data(bytes)) => {
                let taken = self.session.send_output_bytes(now, &bytes);
                if taken < bytes.len() {
                    self.held_input = Some(bytes.slice(taken..));
                }
            }
            Some(Input::Size(size)) => {
                let _ = self.session.send_size(now, size);
            }
            Some(Input::Flag(flag)) => {
                let _ = self.session.send_flag(now, flag);
            }
            Some(Input::Close) | None => self.input_open = false,
        }
    }

    fn feed_held_input(&mut self) {
        if let Some(bytes) = self.held_input.take() {
            let taken = self.session.send_output_bytes(Instant::now(), &bytes);
            if taken < bytes.len() {
                self.held_input = Some(bytes.slice(taken..));
            }
        }
    }

    /// Frames out, as far as the writer queue has room.
    fn flush_transmits(&mut self) {
        while self.session.has_transmit() {
            let Ok(permit) = self.connection.writer.try_reserve() else {
                return;
            };
            if let Some(frame) = self.session.poll_transmit() {
                tracing::trace!(session = %self.target.session_id, bytes = frame.len(), "frame out");
                permit.send(WsMessage::Binary(frame));
            }
        }
    }

    /// Tells the application something, in order with everything else it was told.
    fn notify(&mut self, event: DriverEvent) {
        if self.notices.is_empty() {
            if let Err(mpsc::error::TrySendError::Full(event)) = self.events.try_send(event) {
                self.notices.push_back(event);
            }
        } else {
            self.notices.push_back(event);
        }
    }

    /// Events up, as far as the application has room. Returns how the session ended, if it did.
    fn forward_events(&mut self) -> Option<SessionEnd> {
        if self.events.is_closed() {
            return Some(SessionEnd::Local);
        }
        while let Some(notice) = self.notices.pop_front() {
            if let Err(mpsc::error::TrySendError::Full(notice)) = self.events.try_send(notice) {
                self.notices.push_front(notice);
                return None;
            }
        }
        while self.session.has_event() {
            let Ok(permit) = self.events.try_reserve() else {
                return None;
            };
            match self.session.poll_event_joined(JOINED_OUTPUT_BYTES)? {
                Event::Closed(reason) => return Some(SessionEnd::Closed(reason)),
                Event::DataKeyNeeded(request) => match self.keys.clone() {
                    Some(provider) => {
                        self.key_task = Some(tokio::spawn(async move {
                            provider.generate_data_key(&request).await
                        }));
                    }
                    None => {
                        let missing = KeyProviderError(
                            "this session needs KMS encryption but no key provider is configured"
                                .to_owned(),
                        );
                        let _ = self.session.handle_data_key(Instant::now(), Err(missing));
                    }
                },
                other => {
                    if let Some(event) = driver_event(other) {
                        permit.send(event);
                    }
                }
            }
        }
        None
    }

    /// ResumeSession → new token and address → dial that address (signed afresh) → new open
    /// frame. The session's sequence state is kept and everything unacknowledged is resent at
    /// once. Later drops dial the newest address.
    async fn reconnect(&mut self, reason: String) -> Result<(), TransportError> {
        self.connection.abort();
        let session_id = self.target.session_id.clone();
        tracing::info!(session = %session_id, %reason, "data channel dropped; resuming");
        let mut backoff = Backoff::new(&self.config);
        let mut last_error = reason.clone();
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The first notice says why the connection dropped; later ones why resuming fails.
            self.notify(DriverEvent::Reconnecting {
                attempt,
                reason: last_error.clone(),
            });
            match self.resume.resume(&session_id).await {
                Ok(None) => {
                    return Err(TransportError::ResumeFailed {
                        attempts: attempt,
                        reason: SessionEnd::Expired.to_string(),
                    });
                }
                Ok(Some(resumed)) => {
                    self.follow(resumed.stream_url);
                    match connect_once(&self.target, &resumed.token, &self.config).await {
                        Ok(socket) => {
                            self.connection = Connection::start(socket, self.config.writer_queue);
                            self.session.handle_reconnected(Instant::now());
                            self.notify(DriverEvent::Reconnected);
                            tracing::info!(session = %session_id, attempt, "data channel resumed");
                            return Ok(());
                        }
                        Err(error) => last_error = error,
                    }
                }
                Err(error) => last_error = error,
            }
            tracing::info!(session = %session_id, attempt, error = %last_error, "resume failed");
            if attempt >= self.config.max_attempts && started.elapsed() >= self.config.resume_for {
                return Err(TransportError::ResumeFailed {
                    attempts: attempt,
                    reason: last_error,
                });
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }
}

impl Driver {
    /// Takes the address ResumeSession named, when it names one that differs.
    fn follow(&mut self, stream_url: Option<String>) {
        let Some(url) = stream_url.filter(|url| !url.is_empty()) else {
            return;
        };
        if url != self.target.stream_url {
            tracing::info!(
                session = %self.target.session_id,
                url = %super::dial::redact_url(&url),
                "the session moved; dialling its new address"
            );
            self.target.stream_url = url;
        }
    }
}

async fn wait_for_key(task: &mut Option<KeyTask>) -> Result<DataKey, KeyProviderError> {
    match task {
        Some(task) => task
            .await
            .unwrap_or_else(|join| Err(KeyProviderError(join.to_string()))),
        None => std::future::pending().await,
    }
}

/// Maps a session event to what the application sees; `None` for internal ones.
fn driver_event(event: Event) -> Option<DriverEvent> {
    Some(match event {
        Event::Ready(info) => DriverEvent::Ready(info),
        Event::Output(bytes) => DriverEvent::Output(bytes),
        Event::StdErr(bytes) => DriverEvent::StdErr(bytes),
        Event::ExitCode(code) => DriverEvent::ExitCode(code),
        Event::Flag(flag) => DriverEvent::Flag(flag),
        Event::PublicationPaused => {
            DriverEvent::Warning("the service paused the session".to_owned())
        }
        Event::PublicationResumed
        | Event::Size(_)
        | Event::DataKeyNeeded(_)
        | Event::DecryptKeyNeeded(_)
        | Event::Closed(_) => return None,
    })
}

/// Client side of the read-buffer rule above `Connection::keep_read_buffer_shared`: a copy
/// of the frame, so tungstenite's read buffer is never shared and is reclaimed whole.
fn detached_from_read_buffer(frame: &Bytes) -> Bytes {
    Bytes::copy_from_slice(frame)
}

/// Unix milliseconds now: the CreatedDate base of a new session.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |elapsed| elapsed.as_millis() as u64)
}
