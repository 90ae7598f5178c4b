//! Sessions of the simulator: the registry behind StartSession / ResumeSession /
//! TerminateSession / DescribeSessions (what each document runs is `session_kind`), and one
//! agent task per session that owns the agent-role
//! protocol session across WebSocket connections (token checked in the open frame), with the
//! application behind it — a shell, a command, or a port forwarder.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;

use super::SimState;
use super::api::random_hex;
use super::fleet::{Instance, version_greater};
use super::port::{self, PortPlan};
pub(crate) use super::session_kind::SessionKind;
use super::shell::{self, ShellHome};
use crate::model::agent::Capability;
use crate::model::destination::{Destination, classify};
use crate::protocol::crypto::KeyProviderError;
use crate::protocol::{AgentParams, Event, Session, SessionConfig};
use crate::transport::agent::{self, AgentInput, ChannelFaults, ConnectionEnd, Cut, HeldInput};

pub(crate) type DataSocket = WebSocketStream<TokioIo<Upgraded>>;

/// A session that nobody connects to (or reconnects to) for this long ends.
const IDLE_LIMIT: Duration = Duration::from_secs(20 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionStatus {
    Connecting,
    Connected,
    Disconnected,
    Terminated,
    Failed,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Connecting => "Connecting",
            SessionStatus::Connected => "Connected",
            SessionStatus::Disconnected => "Disconnected",
            SessionStatus::Terminated => "Terminated",
            SessionStatus::Failed => "Failed",
        }
    }
}

/// What DescribeSessions reports about a session.
#[derive(Debug, Clone)]
pub(crate) struct SessionSummary {
    pub session_id: String,
    pub target: String,
    pub region: String,
    pub document: String,
    pub owner: String,
    pub reason: String,
    pub start_date: SystemTime,
    pub end_date: Option<SystemTime>,
    pub status: SessionStatus,
}

struct SessionRecord {
    summary: SessionSummary,
    token: String,
    /// The StreamUrl without its cell: `…/v1/data-channel/ID?role=publish_subscribe`.
    stream_base: String,
    /// The cell the session lives in now (the StreamUrl's `cell-number`, opaque).
    cell: String,
    /// The shape of a presigned URL, when the simulator hands those out.
    presigned_query: String,
    /// New WebSocket connections for the agent task; `None` once the session is over.
    connections: Option<mpsc::Sender<DataSocket>>,
    control: mpsc::Sender<AgentInput>,
    /// ResumeSession calls so far (the `resume_fails` fault fails the first few).
    resume_calls: u32,
}

impl SessionRecord {
    fn stream_url(&self) -> String {
        format!(
            "{}&cell-number={}{}",
            self.stream_base, self.cell, self.presigned_query
        )
    }
}

pub(crate) struct SessionRegistry {
    sessions: Vec<SessionRecord>,
    pub(super) remote_hosts: HashMap<(String, u16), SocketAddr>,
}

impl SessionRegistry {
    pub fn new(remote_hosts: HashMap<(String, u16), SocketAddr>) -> SessionRegistry {
        SessionRegistry {
            sessions: Vec::new(),
            remote_hosts,
        }
    }

    fn find(&mut self, session_id: &str) -> Option<&mut SessionRecord> {
        self.sessions
            .iter_mut()
            .find(|s| s.summary.session_id == session_id)
    }
}

pub(crate) struct StartedSession {
    pub session_id: String,
    pub token: String,
    pub stream_url: String,
}

fn new_token() -> String {
    let mut bytes = [0u8; 48];
    let _ = getrandom::fill(&mut bytes);
    BASE64.encode(bytes)
}

/// Registers a session and starts its agent task, which waits for the client to connect.
pub(crate) fn start_session(
    state: &Arc<SimState>,
    instance: Instance,
    kind: SessionKind,
    document: &str,
    access_key: &str,
    reason: &str,
) -> StartedSession {
    let owner_name = access_key.to_ascii_lowercase();
    let session_id = format!("{owner_name}-{}", random_hex(17));
    let token = new_token();
    let stream_base = format!(
        "{}/v1/data-channel/{session_id}?role=publish_subscribe",
        state.stream_base.replacen("http", "ws", 1)
    );
    // The shape of a presigned URL; the simulator leaves its check to the token.
    let presigned_query = if state.presigned_stream_urls {
        format!(
            "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=SIMULATED%2F20261121%2F{}%2Fssmmessages%2Faws4_request&X-Amz-Signature={}",
            instance.region,
            random_hex(32)
        )
    } else {
        String::new()
    };
    let (connections, sockets) = mpsc::channel(4);
    let (control, agent_input) = mpsc::channel(64);
    let summary = SessionSummary {
        session_id: session_id.clone(),
        target: instance.id.clone(),
        region: instance.region.clone(),
        document: document.to_owned(),
        owner: format!("arn:aws:iam::{}:user/{access_key}", instance.account),
        reason: reason.to_owned(),
        start_date: SystemTime::now(),
        end_date: None,
        status: SessionStatus::Connecting,
    };
    let record = SessionRecord {
        summary,
        token: token.clone(),
        stream_base,
        cell: random_hex(16),
        presigned_query,
        connections: Some(connections),
        control: control.clone(),
        resume_calls: 0,
    };
    let stream_url = record.stream_url();
    if let Ok(mut registry) = state.sessions.lock() {
        registry.sessions.push(record);
    }
    tokio::spawn(run_agent(
        state.clone(),
        session_id.clone(),
        instance,
        kind,
        sockets,
        control,
        agent_input,
    ));
    StartedSession {
        session_id,
        token,
        stream_url,
    }
}

pub(crate) fn connection_sender(
    state: &SimState,
    session_id: &str,
) -> Option<mpsc::Sender<DataSocket>> {
    state
        .sessions
        .lock()
        .ok()?
        .find(session_id)?
        .connections
        .clone()
}

/// ResumeSession: a fresh token for a live session, none for an ended one, `None` if unknown;
/// and where the session lives now (another cell when `move_cell`).
pub(crate) fn resume(
    state: &SimState,
    session_id: &str,
    move_cell: bool,
) -> Option<(Option<String>, String)> {
    let mut registry = state.sessions.lock().ok()?;
    let record = registry.find(session_id)?;
    if record.connections.is_none() {
        return Some((None, record.stream_url()));
    }
    record.token = new_token();
    if move_cell {
        record.cell = random_hex(16);
    }
    Some((Some(record.token.clone()), record.stream_url()))
}

/// Whether a dial that names `cell` (the StreamUrl's `cell-number`) reaches the session: not
/// once the session has moved to another cell. A dial that names none is not judged here.
pub(crate) fn lives_in(state: &SimState, session_id: &str, cell: Option<&str>) -> bool {
    let Some(cell) = cell else { return true };
    state
        .sessions
        .lock()
        .ok()
        .and_then(|mut registry| registry.find(session_id).map(|r| r.cell == cell))
        .unwrap_or(false)
}

/// Counts a ResumeSession call; returns how many this session has had, this one included.
pub(crate) fn count_resume_call(state: &SimState, session_id: &str) -> u32 {
    let Ok(mut registry) = state.sessions.lock() else {
        return 0;
    };
    registry.find(session_id).map_or(0, |record| {
        record.resume_calls += 1;
        record.resume_calls
    })
}

/// TerminateSession: the agent closes the channel; a session without a connection just ends.
pub(crate) fn terminate(state: &SimState, session_id: &str) {
    let Ok(mut registry) = state.sessions.lock() else {
        return;
    };
    if let Some(record) = registry.find(session_id) {
        let _ = record.control.try_send(AgentInput::Close(None));
        record.connections = None;
        if record.summary.status != SessionStatus::Connected {
            finish(record, SessionStatus::Terminated);
        }
    }
}

pub(crate) fn terminate_all(state: &SimState) {
    if let Ok(mut registry) = state.sessions.lock() {
        for record in &mut registry.sessions {
            let _ = record.control.try_send(AgentInput::Close(None));
            record.connections = None;
        }
    }
}

pub(crate) fn snapshot(state: &SimState) -> Vec<SessionSummary> {
    state
        .sessions
        .lock()
        .map(|r| r.sessions.iter().map(|s| s.summary.clone()).collect())
        .unwrap_or_default()
}

fn finish(record: &mut SessionRecord, status: SessionStatus) {
    if record.summary.end_date.is_none() {
        record.summary.status = status;
        record.summary.end_date = Some(SystemTime::now());
    }
    record.connections = None;
}

fn set_status(state: &SimState, session_id: &str, status: SessionStatus) {
    if let Ok(mut registry) = state.sessions.lock()
        && let Some(record) = registry.find(session_id)
    {
        match status {
            SessionStatus::Terminated | SessionStatus::Failed => finish(record, status),
            _ if record.summary.end_date.is_none() => record.summary.status = status,
            _ => {}
        }
    }
}

fn current_token(state: &SimState, session_id: &str) -> Option<String> {
    state
        .sessions
        .lock()
        .ok()?
        .find(session_id)
        .map(|r| r.token.clone())
}

/// The agent side of one session, across as many connections as the client makes.
async fn run_agent(
    state: Arc<SimState>,
    session_id: String,
    instance: Instance,
    kind: SessionKind,
    mut sockets: mpsc::Receiver<DataSocket>,
    control: mpsc::Sender<AgentInput>,
    mut agent_input: mpsc::Receiver<AgentInput>,
) {
    if !super::network::reaches(&state, &instance, "ssmmessages") {
        // The agent answers Run Command (ec2messages) but cannot open its side of the data
        // channel: the client's connection is accepted and then hears nothing, as with AWS.
        let mut unanswered = Vec::new();
        while let Ok(Some(socket)) = tokio::time::timeout(IDLE_LIMIT, sockets.recv()).await {
            unanswered.push(socket);
        }
        return;
    }
    let params = AgentParams {
        session_id: session_id.clone(),
        target: instance.id.clone(),
        session_type: kind.session_type().to_owned(),
        properties: kind.properties(),
        agent_version: state.agent_version(&instance),
        kms_key_id: instance
            .kms_key_id
            .clone()
            .or_else(|| super::documents::preferred_kms_key(&state, &instance.region))
            .filter(|_| !matches!(kind, SessionKind::Port { .. })),
    };
    let mut session = Session::agent(
        SessionConfig::default(),
        params,
        Instant::now(),
        crate::transport::unix_ms(),
    );
    let (events_tx, events_rx) = mpsc::channel(256);
    tokio::spawn(run_application(
        state.clone(),
        session_id.clone(),
        instance,
        kind,
        events_rx,
        control,
    ));
    let mut held = HeldInput::default();
    let mut connections_served = 0u32;
    loop {
        let socket = match tokio::time::timeout(IDLE_LIMIT, sockets.recv()).await {
            Ok(Some(socket)) => socket,
            _ => break,
        };
        let mut socket = socket;
        let Ok(open) = agent::read_open_frame(&mut socket, Duration::from_secs(10)).await else {
            continue;
        };
        let expected = current_token(&state, &session_id).unwrap_or_default();
        if !agent::tokens_match(&expected, &open.token_value) {
            tracing::info!(session = %session_id, "refused a data channel with a wrong token");
            let _ = socket.close(None).await;
            continue;
        }
        set_status(&state, &session_id, SessionStatus::Connected);
        let faults = state.faults.lock().map(|f| f.clone()).unwrap_or_default();
        let mut channel_faults = ChannelFaults::new(
            faults.loss,
            faults.duplicate,
            faults.reorder,
            faults.drop_after_bytes,
            faults.ack_delay,
            (state.random() * u64::MAX as f64) as u64,
        );
        // The service recycles every data channel about once an hour; with real pacing the
        // simulator does too (drop_after_secs scales it down for tests).
        let drop_after = faults
            .drop_after_secs
            .or((state.pacing == super::AgentPacing::Real).then_some(3600.0));
        // Only the session's first connection goes silent: the redial must then work.
        let silent_after = faults.silent_after_secs.filter(|_| connections_served == 0);
        connections_served += 1;
        let counts = state.clone();
        let drop_signal = async move {
            let after = |secs: Option<f64>| async move {
                match secs {
                    Some(secs) => tokio::time::sleep(Duration::from_secs_f64(secs.max(0.0))).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = after(drop_after) => Cut::Close,
                () = after(silent_after) => {
                    // Counted so a test can wait for the silence instead of guessing its time.
                    counts.count("went_silent");
                    Cut::Silence
                }
            }
        };
        match agent::serve_connection(
            socket,
            &mut session,
            &mut agent_input,
            &mut held,
            &events_tx,
            &mut channel_faults,
            drop_signal,
        )
        .await
        {
            // The agent had already closed the session (its channel_closed sent) and the
            // client left before the socket was done with: the session is over, as at AWS,
            // where the agent ends it whatever the client does.
            ConnectionEnd::Dropped(reason) if session.is_closed() => {
                tracing::info!(session = %session_id, %reason, "session ended, then the client left");
                break;
            }
            ConnectionEnd::Dropped(reason) => {
                tracing::info!(session = %session_id, %reason, "data channel dropped");
                set_status(&state, &session_id, SessionStatus::Disconnected);
            }
            ConnectionEnd::SessionClosed(reason) => {
                tracing::info!(session = %session_id, %reason, "session ended");
                break;
            }
        }
    }
    set_status(&state, &session_id, SessionStatus::Terminated);
    // The application sees Closed through its event channel being dropped.
    drop(events_tx);
}

/// Waits for the session to be ready (answering the KMS handshake on the way), then runs what
/// the document asked for.
async fn run_application(
    state: Arc<SimState>,
    session_id: String,
    instance: Instance,
    kind: SessionKind,
    mut events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    let output = tally_output(state.clone(), session_id.clone(), output);
    let info = loop {
        match events.recv().await {
            Some(Event::Ready(info)) => break info,
            Some(Event::DecryptKeyNeeded(request)) => {
                let key = super::kms_api::decrypt_for_agent(
                    &state,
                    &request.ciphertext,
                    &request.encryption_context,
                )
                .map_err(KeyProviderError);
                let _ = output.send(AgentInput::DecryptedKey(key)).await;
            }
            Some(Event::Closed(_)) | None => return,
            Some(_) => {}
        }
    };
    let home = ShellHome {
        dir: state.home_for(&instance.id),
        instance: instance.clone(),
    };
    match kind {
        SessionKind::Shell => shell::run_pty(home, None, state.pacing, events, output).await,
        SessionKind::Interactive { command } => {
            shell::run_pty(home, Some(command), state.pacing, events, output).await
        }
        SessionKind::NonInteractive { command, separate } => {
            let corrupt_at = state
                .faults
                .lock()
                .ok()
                .and_then(|faults| faults.corrupt_command_output);
            let run = shell::CommandRun {
                command,
                separate,
                pacing: state.pacing,
                corrupt_at,
            };
            shell::run_command(home, run, events, output).await
        }
        SessionKind::Port {
            port,
            host,
            local_forwarding,
            ..
        } => {
            // Agents from 3.3.4851.0 judge a remote host before forwarding: loopback and the
            // container credential endpoints are refused, and the session ends saying so.
            let agent_version = state.agent_version(&instance);
            // An agent from before port forwarding has no Port plugin to run the session.
            if !crate::model::agent::can(&agent_version, Capability::PortForwarding) {
                let _ = output
                    .send(AgentInput::Close(Some(format!(
                        "Plugin with name Port not found. Step name: Port (SSM Agent {agent_version} has no port forwarding; 2.3.672.0 or later does)"
                    ))))
                    .await;
                return;
            }
            if let Some(host) = host.as_deref()
                && crate::model::agent::can(&agent_version, Capability::RefusesLocalForwards)
                && classify(host) != Destination::Elsewhere
            {
                state.count("forward_refused");
                let _ = output
                    .send(AgentInput::Close(Some(format!(
                        "Forwarding to IP address {host} is forbidden."
                    ))))
                    .await;
                return;
            }
            let destination =
                super::remote_hosts::resolve_destination(&state, host.as_deref(), port);
            // The agent multiplexes when both sides can (docs/protocol.md §7.1): its own version,
            // the client's, and a LocalPortForwarding document.
            let client_version = info.client_version.unwrap_or_default();
            let multiplexed = local_forwarding
                && crate::model::agent::multiplexes(&agent_version)
                && !version_greater("1.1.70", &client_version);
            let plan = PortPlan {
                destination,
                multiplexed,
                local_forwarding,
                pacing: state.pacing,
                streams: port::StreamTally::new(state.clone(), &session_id),
            };
            port::run(plan, events, output).await;
        }
    }
}

/// A sender that passes everything on to `output`, tallying the program's output bytes for
/// `/_sim/output/SESSION` on the way.
fn tally_output(
    state: Arc<SimState>,
    session_id: String,
    output: mpsc::Sender<AgentInput>,
) -> mpsc::Sender<AgentInput> {
    use sha2::Digest;
    let (tap, mut tapped) = mpsc::channel(64);
    tokio::spawn(async move {
        while let Some(input) = tapped.recv().await {
            if let AgentInput::Output(bytes) = &input
                && let Ok(mut outputs) = state.outputs.lock()
            {
                let (digest, length) = outputs.entry(session_id.clone()).or_default();
                digest.update(bytes);
                *length += bytes.len() as u64;
            }
            if output.send(input).await.is_err() {
                return;
            }
        }
    });
    tap
}
