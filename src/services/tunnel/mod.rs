//! The tunnel service, for `bosun tunnel` and the console's Tunnels view. A tunnel listens
//! locally (127.0.0.1 unless told otherwise), starts port-forwarding sessions, and carries
//! every accepted connection over them: one smux stream per connection when the agent can
//! multiplex (`mux`), one connection at a time with older agents (`basic`); `dispatch` hands
//! connections to the session carrying the fewest. The listener outlives sessions: a dropped
//! WebSocket is resumed by the transport, and a session that ends is replaced with backoff.

mod basic;
mod dispatch;
mod mux;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use self::basic::serve_basic;
use self::dispatch::Dispatch;
use self::mux::serve_mux;
use super::session::{self, Driven, StartRequest};
use super::sources::SessionClients;
use crate::aws::{self, target};
use crate::model::tunnel::TunnelDef;
use crate::protocol::version::version_greater;
use crate::protocol::{PortFlag, SessionInfo};
use crate::transport::{DriverEvent, Input, SessionEnd, TransportError};

/// Agents newer than this multiplex (PROTOCOL.md §6.1).
const LAST_BASIC_ONLY_AGENT: &str = "3.0.196.0";
/// Agents newer than this expect no smux keep-alive from a client claiming 1.2.677.0 (§6.3).
pub(super) const LAST_KEEPALIVE_AGENT: &str = "3.1.1511.0";
pub(super) const CHUNK: usize = 64 * 1024;

/// One port-forwarding session and what the tunnel needs from it.
pub(super) struct PortSession {
    pub(super) session_id: String,
    pub(super) input: mpsc::Sender<Input>,
    pub(super) events: mpsc::Receiver<DriverEvent>,
    pub(super) driver: tokio::task::JoinHandle<Result<SessionEnd, TransportError>>,
    pub(super) info: SessionInfo,
}

/// Where a tunnel's messages go: stderr for `bosun tunnel`, the log and the Tunnels view in
/// the console. Messages start with ": " or " [n/N]: " so the caller can prefix a name.
pub type Say = Arc<dyn Fn(&str) + Send + Sync>;

/// What the console shows about a running tunnel; the tunnel updates it as it goes.
#[derive(Debug, Default)]
pub struct TunnelStats {
    pub local: Mutex<Option<SocketAddr>>,
    pub instance_id: Mutex<Option<String>>,
    /// Sessions ready to carry connections (of `sessions`).
    pub sessions_ready: AtomicUsize,
    /// A session is resuming after a drop, or being replaced.
    pub reconnecting: AtomicUsize,
    pub active: AtomicUsize,
    pub connections: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    pub last_error: Mutex<Option<String>>,
}

impl TunnelStats {
    pub(super) fn error(&self, text: String) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(text);
        }
    }
}

/// Runs a tunnel until `stop` turns true: listens, resolves the target, then keeps
/// `spec.sessions` sessions behind the listener. `listening` is told the local address once
/// it accepts. Errors before listening (the port is taken, the target is unknown) end it.
pub async fn serve(
    config: &aws_config::SdkConfig,
    spec: &TunnelDef,
    stats: Arc<TunnelStats>,
    say: Say,
    stop: watch::Receiver<bool>,
    listening: impl FnOnce(SocketAddr, &str, &str),
) -> Result<(), String> {
    let listener = TcpListener::bind(SocketAddr::new(spec.bind, spec.local_port))
        .await
        .map_err(|error| {
            format!(
                "cannot listen on {}:{}: {error}",
                spec.bind, spec.local_port
            )
        })?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let clients = SessionClients {
        ssm: aws_sdk_ssm::Client::new(config),
        kms: aws_sdk_kms::Client::new(config),
    };
    let ec2 = aws_sdk_ec2::Client::new(config);
    let instance_id = target::resolve(&clients.ssm, &ec2, &spec.target)
        .await
        .map_err(|e| e.to_string())?;
    let destination = match &spec.remote_host {
        Some(host) => format!("{host}:{}", spec.remote_port),
        None => format!("localhost:{}", spec.remote_port),
    };
    if let Ok(mut slot) = stats.local.lock() {
        *slot = Some(local);
    }
    if let Ok(mut slot) = stats.instance_id.lock() {
        *slot = Some(instance_id.clone());
    }
    listening(local, &instance_id, &destination);

    // One acceptor hands each connection to the ready session carrying the fewest, so N
    // sessions carry N connections' worth of the agent's paced output.
    let dispatch = Dispatch::new(stats.clone());
    let acceptor = tokio::spawn(dispatch.clone().accept(listener));
    let sessions = spec.sessions.max(1);
    let loops = (1..=sessions).map(|number| {
        let label = if sessions > 1 {
            format!(" [{number}/{sessions}]")
        } else {
            String::new()
        };
        let context = SessionContext {
            clients: &clients,
            instance_id: &instance_id,
            spec,
            local,
            dispatch: &dispatch,
            say: say.clone(),
            label,
        };
        keep_session(context, stop.clone())
    });
    // On stop the listener closes at once (so the port can be reused right away) while the
    // sessions end on the service side.
    let mut stopping = stop.clone();
    tokio::join!(futures_util::future::join_all(loops), async move {
        let _ = stopping.wait_for(|stop| *stop).await;
        acceptor.abort();
    });
    Ok(())
}

/// Aborts a task when dropped.
pub(super) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What one of a tunnel's sessions needs.
struct SessionContext<'a> {
    clients: &'a SessionClients,
    instance_id: &'a str,
    spec: &'a TunnelDef,
    local: SocketAddr,
    dispatch: &'a Dispatch,
    say: Say,
    /// Tells parallel sessions apart in messages: "" or " [2/4]".
    label: String,
}

/// Counts a session as resuming on its tunnel while set (and no longer once dropped).
pub(super) struct Resuming(Arc<TunnelStats>, bool);

impl Resuming {
    /// Notes a drop and its resume, and says so.
    pub(super) fn follow(&mut self, event: &DriverEvent, say: &Say, label: &str) {
        match event {
            DriverEvent::Reconnecting { reason, .. } => {
                say(&format!("{label}: connection dropped ({reason}); resuming"));
                self.set(true);
            }
            DriverEvent::Reconnected => {
                say(&format!("{label}: resumed"));
                self.set(false);
            }
            _ => {}
        }
    }

    fn set(&mut self, resuming: bool) {
        if resuming != self.1 {
            if resuming {
                self.0.reconnecting.fetch_add(1, Ordering::Relaxed);
            } else {
                self.0.reconnecting.fetch_sub(1, Ordering::Relaxed);
            }
            self.1 = resuming;
        }
    }
}

impl Drop for Resuming {
    fn drop(&mut self) {
        self.set(false);
    }
}

/// Runs one session behind the listener until `stop`, replacing it with backoff when it
/// ends.
async fn keep_session(context: SessionContext<'_>, mut stop: watch::Receiver<bool>) {
    let SessionContext {
        clients,
        instance_id,
        spec,
        local,
        dispatch,
        say,
        label,
    } = context;
    let stats = dispatch.stats.clone();
    let mut backoff = Duration::from_millis(500);
    let stopped = async |stop: &mut watch::Receiver<bool>| {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    loop {
        let session = tokio::select! {
            session = start(clients, instance_id, spec, local) => session,
            () = stopped(&mut stop) => return,
        };
        let mut session = match session {
            Ok(session) => {
                backoff = Duration::from_millis(500);
                session
            }
            Err(error) => {
                say(&format!(
                    "{label}: {error}; retrying in {:.1} s",
                    backoff.as_secs_f64()
                ));
                stats.error(error);
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = stopped(&mut stop) => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        let multiplexed = is_local_forwarding(&session.info)
            && session
                .info
                .agent_version
                .as_deref()
                .is_some_and(|v| version_greater(v, LAST_BASIC_ONLY_AGENT));
        say(&format!(
            "{label}: session {} ready ({})",
            session.session_id,
            if multiplexed {
                "multiplexed"
            } else {
                "one connection at a time: the agent is older than 3.0.196.0"
            }
        ));
        stats.sessions_ready.fetch_add(1, Ordering::Relaxed);
        let mut registration = dispatch.register();
        let serving: std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send + '_>> =
            if multiplexed {
                Box::pin(serve_mux(&mut registration, &mut session, &say, &label))
            } else {
                Box::pin(serve_basic(&mut registration, &mut session, &say, &label))
            };
        let ended = tokio::select! {
            end = serving => Some(end),
            () = stopped(&mut stop) => None,
        };
        drop(registration);
        stats.sessions_ready.fetch_sub(1, Ordering::Relaxed);
        match ended {
            Some(end) => {
                say(&format!(
                    "{label}: session {} ended ({end}); starting a new one",
                    session.session_id
                ));
                stats.error(format!("session ended: {end}"));
            }
            None => {
                // Stopped: tell the agent, end the session on the service side, and go.
                // Bounded waits: a driver in the middle of a resume does not read its input.
                let quickly = Duration::from_secs(2);
                let _ = tokio::time::timeout(
                    quickly,
                    session.input.send(Input::Flag(PortFlag::TerminateSession)),
                )
                .await;
                let _ = tokio::time::timeout(quickly, session.input.send(Input::Close)).await;
                let _ = tokio::time::timeout(Duration::from_secs(2), &mut session.driver).await;
                let _ = aws::terminate_session(&clients.ssm, &session.session_id).await;
                say(&format!("{label}: closed"));
                return;
            }
        }
    }
}

fn is_local_forwarding(info: &SessionInfo) -> bool {
    info.properties.get("type").and_then(|t| t.as_str()) == Some("LocalPortForwarding")
}

async fn start(
    clients: &SessionClients,
    instance_id: &str,
    spec: &TunnelDef,
    local: SocketAddr,
) -> Result<PortSession, String> {
    let request = match &spec.remote_host {
        Some(host) => {
            StartRequest::document(instance_id, "AWS-StartPortForwardingSessionToRemoteHost")
                .parameter("host", host.clone())
        }
        None => StartRequest::document(instance_id, "AWS-StartPortForwardingSession"),
    }
    .parameter("portNumber", spec.remote_port.to_string())
    .parameter("localPortNumber", local.port().to_string());
    let Driven {
        session_id,
        input,
        mut events,
        driver,
    } = session::start(clients, &request)
        .await
        .map_err(|error| error.to_string())?;
    let info = loop {
        match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
            Ok(Some(DriverEvent::Ready(info))) => break info,
            Ok(Some(_)) => {}
            Ok(None) => {
                let end = driver.await.map_err(|e| e.to_string())?;
                return Err(format!("the session ended before it was ready: {end:?}"));
            }
            Err(_) => return Err("the session did not become ready within 30 s".to_owned()),
        }
    };
    Ok(PortSession {
        session_id,
        input,
        events,
        driver,
        info,
    })
}

/// The next chunk (at most `CHUNK` bytes) from `reader`; `None` at the end or on an error.
/// A large read is handed on in the buffer it was read into rather than copied; a small one
/// is copied out, so a queue of keystrokes does not pin 64 KiB each.
pub(super) async fn read_chunk<R: tokio::io::AsyncRead + Unpin>(reader: &mut R) -> Option<Bytes> {
    let mut buffer = BytesMut::with_capacity(CHUNK);
    match reader.read_buf(&mut buffer).await {
        Ok(0) | Err(_) => None,
        Ok(n) if n < CHUNK / 16 => Some(Bytes::copy_from_slice(&buffer)),
        Ok(_) => Some(buffer.freeze()),
    }
}

pub(super) async fn end_reason(
    driver: &mut tokio::task::JoinHandle<Result<SessionEnd, TransportError>>,
) -> String {
    match tokio::time::timeout(Duration::from_secs(2), driver).await {
        Ok(Ok(Ok(end))) => end.to_string(),
        Ok(Ok(Err(error))) => error.to_string(),
        _ => "the session stopped".to_owned(),
    }
}
