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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::future::BoxFuture;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use self::basic::serve_basic;
use self::dispatch::Dispatch;
use self::mux::serve_mux;
use super::Handle;
use super::session::{self, Driven, StartRequest};
use super::sources::SessionClients;
use crate::aws;
use crate::aws::target::{self, TargetError};
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

/// What a running tunnel can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelCommand {
    /// Close the listener at once and end the sessions on the service side.
    Stop,
}

/// What a tunnel reports, as it happens.
#[derive(Debug)]
pub enum TunnelEvent {
    /// Connections can be served from now on.
    Listening {
        local: SocketAddr,
        instance_id: String,
        destination: String,
    },
    /// A line for the person running it: a session ready, dropped, resumed or replaced. It
    /// starts with ": " or " [n/N]: " so the caller can put the tunnel's name before it.
    Said(String),
    /// A problem the Tunnels view shows as the last error.
    Problem(String),
    /// The tunnel is over: `Ok` once stopped, the reason when it could not run (the port is
    /// taken, the target is unknown).
    Stopped(Result<(), TunnelError>),
}

/// Why a tunnel could not run.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Target(#[from] TargetError),
    /// No credentials could be had for the tunnel's profile and region.
    #[error("{0}")]
    Credentials(String),
}

/// Where a tunnel's events go, each with the tunnel's id (the console runs many).
pub type TunnelEvents = mpsc::Sender<(u64, TunnelEvent)>;

/// Counters the tunnel keeps as bytes and connections pass, for the Tunnels view to sample
/// each second: an event per chunk would cost more than the chunk.
#[derive(Debug, Default)]
pub struct TunnelGauges {
    /// Sessions ready to carry connections (of `sessions`).
    pub sessions_ready: AtomicUsize,
    /// A session is resuming after a drop, or being replaced.
    pub reconnecting: AtomicUsize,
    pub active: AtomicUsize,
    pub connections: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
}

/// A running tunnel: its commands, and its gauges.
pub struct TunnelHandle {
    pub commands: Handle<TunnelCommand>,
    pub gauges: Arc<TunnelGauges>,
}

/// Credentials for a tunnel, once resolved (SSO or credential_process may take a moment):
/// the SDK configuration, or why there is none.
pub type TunnelConfig = BoxFuture<'static, Result<aws_config::SdkConfig, String>>;

/// Starts tunnel `id` for `spec` with the credentials `config` resolves to. It runs until
/// stopped (or until its handle is dropped), reporting to `events`.
pub fn spawn(config: TunnelConfig, spec: TunnelDef, id: u64, events: TunnelEvents) -> TunnelHandle {
    let gauges = Arc::new(TunnelGauges::default());
    let (commands, mut commands_rx) = mpsc::channel(4);
    let (stop_tx, stop) = watch::channel(false);
    let say = Reporter { id, events };
    let counted = gauges.clone();
    let task = tokio::spawn(async move {
        // A stop, or the handle going away, stops the tunnel.
        let stopper = AbortOnDrop(tokio::spawn(async move {
            let _ = commands_rx.recv().await;
            let _ = stop_tx.send(true);
        }));
        let result = match config.await {
            Ok(config) => serve(&config, &spec, counted, say.clone(), stop).await,
            Err(error) => Err(TunnelError::Credentials(error)),
        };
        drop(stopper);
        say.send(TunnelEvent::Stopped(result)).await;
    });
    TunnelHandle {
        commands: Handle::new(commands, task),
        gauges,
    }
}

/// Sends one tunnel's events.
#[derive(Clone)]
pub(super) struct Reporter {
    id: u64,
    events: TunnelEvents,
}

impl Reporter {
    /// A line for the person running the tunnel. Lines are few (one per session change); if
    /// nobody has read the last 64, this one is logged and dropped rather than holding up
    /// the connections.
    pub(super) fn say(&self, text: String) {
        self.try_send(TunnelEvent::Said(text));
    }

    pub(super) fn problem(&self, text: String) {
        self.try_send(TunnelEvent::Problem(text));
    }

    fn try_send(&self, event: TunnelEvent) {
        if let Err(error) = self.events.try_send((self.id, event)) {
            tracing::warn!(tunnel = self.id, %error, "tunnel event dropped");
        }
    }

    /// An event that must arrive (the start and the end), waiting for room.
    async fn send(&self, event: TunnelEvent) {
        let _ = self.events.send((self.id, event)).await;
    }
}

/// Runs a tunnel until `stop` turns true: listens, resolves the target, says it is
/// listening, then keeps `spec.sessions` sessions behind the listener. Errors before
/// listening (the port is taken, the target is unknown) end it.
async fn serve(
    config: &aws_config::SdkConfig,
    spec: &TunnelDef,
    gauges: Arc<TunnelGauges>,
    say: Reporter,
    stop: watch::Receiver<bool>,
) -> Result<(), TunnelError> {
    let address = SocketAddr::new(spec.bind, spec.local_port);
    let listen = |source| TunnelError::Listen { address, source };
    let listener = TcpListener::bind(address).await.map_err(listen)?;
    let local = listener.local_addr().map_err(listen)?;
    let clients = SessionClients {
        ssm: aws_sdk_ssm::Client::new(config),
        kms: aws_sdk_kms::Client::new(config),
    };
    let ec2 = aws_sdk_ec2::Client::new(config);
    let instance_id = target::resolve(&clients.ssm, &ec2, &spec.target).await?;
    let destination = match &spec.remote_host {
        Some(host) => format!("{host}:{}", spec.remote_port),
        None => format!("localhost:{}", spec.remote_port),
    };
    say.send(TunnelEvent::Listening {
        local,
        instance_id: instance_id.clone(),
        destination,
    })
    .await;

    // One acceptor hands each connection to the ready session carrying the fewest, so N
    // sessions carry N connections' worth of the agent's paced output.
    let dispatch = Dispatch::new(gauges);
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
    say: Reporter,
    /// Tells parallel sessions apart in messages: "" or " [2/4]".
    label: String,
}

/// Counts a session as resuming on its tunnel while set (and no longer once dropped).
pub(super) struct Resuming(Arc<TunnelGauges>, bool);

impl Resuming {
    /// Notes a drop and its resume, and says so.
    pub(super) fn follow(&mut self, event: &DriverEvent, say: &Reporter, label: &str) {
        match event {
            DriverEvent::Reconnecting { reason, .. } => {
                say.say(format!("{label}: connection dropped ({reason}); resuming"));
                self.set(true);
            }
            DriverEvent::Reconnected => {
                say.say(format!("{label}: resumed"));
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
                say.say(format!(
                    "{label}: {error}; retrying in {:.1} s",
                    backoff.as_secs_f64()
                ));
                say.problem(error);
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
        say.say(format!(
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
                say.say(format!(
                    "{label}: session {} ended ({end}); starting a new one",
                    session.session_id
                ));
                say.problem(format!("session ended: {end}"));
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
                say.say(format!("{label}: closed"));
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
