//! The tunnel service, for `bosun tunnel`, the console's Tunnels view and the drop-in
//! plugin's port forwarding. A tunnel listens locally (`local`: 127.0.0.1 unless told
//! otherwise, or a Unix socket), keeps port-forwarding sessions behind the listener
//! (`sessions`), and carries every accepted connection over them: one smux stream per
//! connection when the agent can multiplex (`mux`), one connection at a time with older agents
//! (`basic`); `dispatch` hands connections to the session carrying the fewest. The listener
//! outlives sessions: a dropped WebSocket is resumed by the transport, and a session that
//! ends is replaced with backoff (for the plugin, only one that failed).

mod basic;
mod dispatch;
mod local;
mod mux;
mod sessions;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::future::BoxFuture;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, watch};

pub use self::local::ListenOn;
use self::sessions::{OnDemand, Plan, Replace, serve};
use super::Handle;
use super::session::{Driven, StartRequest};
use super::sources::SessionClients;
use crate::aws::target::{self, TargetError};
use crate::model::container::EcsTarget;
use crate::model::destination::{Destination, classify};
use crate::model::tunnel::TunnelDef;
use crate::protocol::SessionInfo;
use crate::transport::{DriverEvent, Input, SessionEnd, TransportError};

pub(super) const CHUNK: usize = 64 * 1024;

/// One port-forwarding session and what the tunnel needs from it.
pub struct PortSession {
    pub(super) session_id: String,
    pub(super) input: mpsc::Sender<Input>,
    pub(super) events: mpsc::Receiver<DriverEvent>,
    pub(super) driver: tokio::task::JoinHandle<Result<SessionEnd, TransportError>>,
    pub(super) info: SessionInfo,
}

impl PortSession {
    /// A driven session that has become ready with `info`.
    pub fn ready(driven: Driven, info: SessionInfo) -> PortSession {
        PortSession {
            session_id: driven.session_id,
            input: driven.input,
            events: driven.events,
            driver: driven.driver,
            info,
        }
    }
}

/// Whether a ready session forwards a local port (rather than piping stdin/stdout).
pub fn is_local_forwarding(info: &SessionInfo) -> bool {
    info.session_type == "Port"
        && info.properties.get("type").and_then(|t| t.as_str()) == Some("LocalPortForwarding")
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
    /// The local listener is bound (sessions may still be starting).
    Listening {
        local: ListenOn,
        instance_id: String,
        destination: String,
    },
    /// A session is ready to carry connections (the first one: they can be served now).
    SessionReady { session_id: String },
    /// A session took a local connection.
    Accepted { session_id: String, peer: String },
    /// A line for the person running it: a session ready, dropped, resumed or replaced, and
    /// which of the tunnel's sessions it is about.
    Said {
        session: SessionNumber,
        text: String,
    },
    /// A problem the Tunnels view shows as the last error.
    Problem(String),
    /// The service closed the tunnel's last session with words of its own (the agent refused
    /// the destination, say); nothing replaces it.
    ClosedByService { session_id: String, words: String },
    /// The agent could not connect to the destination port (ConnectToPortError); that
    /// connection was closed, the session goes on.
    DestinationFailed,
    /// The tunnel is over: `Ok` once stopped (or, for the plugin, once the service closed its
    /// session), the reason when it could not run (the port is taken, the target is unknown).
    Stopped(Result<(), TunnelError>),
}

/// Which of a tunnel's sessions a line is about: `n` of `of`, or the one session a tunnel
/// with one has. Shown as ` [n/of]`, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionNumber(pub Option<(usize, usize)>);

impl std::fmt::Display for SessionNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some((n, of)) => write!(f, " [{n}/{of}]"),
            None => Ok(()),
        }
    }
}

/// Why a tunnel could not run.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: ListenOn,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Target(#[from] TargetError),
    /// No credentials could be had for the tunnel's profile and region.
    #[error("{0}")]
    Credentials(String),
    /// An `ecs:` target that names no container, or one ECS Exec cannot reach (why, and the
    /// fix).
    #[error("{0}")]
    Container(String),
    /// A destination the target's agent refuses to forward to (why, and what to do).
    #[error("{0}")]
    Refused(String),
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
    /// Sessions waiting for a connection to start them (a lazy or idle tunnel's).
    pub dormant: AtomicUsize,
}

/// A running tunnel: its commands, and its gauges.
pub struct TunnelHandle {
    pub commands: Handle<TunnelCommand>,
    pub gauges: Arc<TunnelGauges>,
}

/// Credentials for a tunnel, once resolved (SSO or credential_process may take a moment):
/// the SDK configuration, or why there is none.
pub type TunnelConfig = BoxFuture<'static, Result<aws_config::SdkConfig, String>>;

/// Starts tunnel `id` for `spec` with the credentials `config` resolves to: it listens,
/// resolves the target, and keeps `spec.sessions` sessions behind the listener, replacing
/// any that ends. It runs until stopped (or until its handle is dropped), reporting to
/// `events`.
pub fn spawn(config: TunnelConfig, spec: TunnelDef, id: u64, events: TunnelEvents) -> TunnelHandle {
    run_with(id, events, move |gauges, say, stop| {
        Box::pin(async move {
            let config = config.await.map_err(TunnelError::Credentials)?;
            let clients = SessionClients::new(&config)
                .for_profile(spec.profile.as_deref().unwrap_or_default());
            let listener = sessions::bind(&ListenOn::Tcp(std::net::SocketAddr::new(
                spec.bind,
                spec.local_port,
            )))
            .await?;
            let container = EcsTarget::parse(&spec.target).is_some();
            let (instance_id, retarget) = match EcsTarget::parse(&spec.target) {
                // A container: port forwarding into the task through its ExecuteCommandAgent.
                Some(parsed) => {
                    let parsed = parsed.map_err(TunnelError::Container)?;
                    let ecs = aws_sdk_ecs::Client::new(&config);
                    let region = config.region().map(ToString::to_string).unwrap_or_default();
                    let profile = spec.profile.as_deref().unwrap_or_default();
                    let row = crate::aws::containers::resolve(&ecs, &parsed, profile, &region)
                        .await
                        .map_err(TunnelError::Container)?;
                    if let Some(problem) = row.exec_problem() {
                        return Err(TunnelError::Container(format!(
                            "ECS Exec cannot reach {}: {}\n  fix: {}",
                            row.label(),
                            problem.cause,
                            problem.fix
                        )));
                    }
                    // A service's task may be replaced (a deployment): found again when a
                    // session cannot start on it.
                    let retarget = matches!(parsed, EcsTarget::Service { .. })
                        .then(|| service_retarget(ecs, parsed, profile.to_owned(), region));
                    (row.ssm_target(), retarget)
                }
                None => {
                    let ec2 = aws_sdk_ec2::Client::new(&config);
                    let instance_id = target::resolve(&clients.ssm, &ec2, &spec.target).await?;
                    // A tag or a Name may come to mean another instance (a bastion
                    // replaced): found again before a lazy session starts.
                    let retarget = (!target::is_instance_id(&spec.target))
                        .then(|| instance_retarget(clients.ssm.clone(), ec2, spec.target.clone()));
                    (instance_id, retarget)
                }
            };
            // The agent's version matters only where it may refuse the destination; an ECS
            // task's agent reports none.
            let judged = spec.remote_host.as_deref().map(classify);
            let agent = match judged {
                Some(Destination::CredentialEndpoint) if !container => {
                    target::agent_version(&clients.ssm, &instance_id).await
                }
                _ => None,
            };
            let forward = spec
                .forward(agent.as_deref())
                .map_err(TunnelError::Refused)?;
            let mut request = StartRequest::document(&instance_id, forward.document.name());
            if let Some(host) = &forward.host {
                request = request.parameter("host", host.clone());
            }
            let request = request.parameter("portNumber", forward.port.to_string());
            let plan = Plan {
                clients,
                instance_id,
                destination: format!(
                    "{}:{}",
                    forward.host.as_deref().unwrap_or("localhost"),
                    forward.port
                ),
                request: Some(request),
                sessions: spec.sessions.max(1),
                first: None,
                replace: Replace::Always,
                retarget,
                on_demand: OnDemand {
                    lazy: spec.lazy,
                    idle_after: spec.idle_after,
                },
            };
            serve(plan, listener, gauges, say, stop).await
        })
    })
}

/// Finds a service's running task again (after a deployment replaced the one a tunnel had).
fn service_retarget(
    ecs: aws_sdk_ecs::Client,
    target: EcsTarget,
    profile: String,
    region: String,
) -> sessions::Retarget {
    Arc::new(move || {
        let (ecs, target, profile, region) =
            (ecs.clone(), target.clone(), profile.clone(), region.clone());
        Box::pin(async move {
            crate::aws::containers::resolve(&ecs, &target, &profile, &region)
                .await
                .map(|row| row.ssm_target())
        })
    })
}

/// Finds an instance target (a `tag:`, a Name) again: its instance now.
fn instance_retarget(
    ssm: aws_sdk_ssm::Client,
    ec2: aws_sdk_ec2::Client,
    wanted: String,
) -> sessions::Retarget {
    Arc::new(move || {
        let (ssm, ec2, wanted) = (ssm.clone(), ec2.clone(), wanted.clone());
        Box::pin(async move {
            target::resolve(&ssm, &ec2, &wanted)
                .await
                .map_err(|error| error.to_string())
        })
    })
}

/// A session the caller already started and drove to ready (the drop-in plugin: the AWS
/// CLI called StartSession), and how to start another like it should it fail.
pub struct Attached {
    pub clients: SessionClients,
    pub session: PortSession,
    /// Where to listen: the session's `localPortNumber` (0: any free port) or
    /// `localUnixSocket`.
    pub listen: ListenOn,
    /// The instance, for the Listening event.
    pub instance_id: String,
    /// The original StartSession request, to replace a session that failed (a drop that
    /// could not be resumed); `None`: the tunnel ends with its session.
    pub request: Option<StartRequest>,
}

/// Serves connections over an already started session, until it ends or the tunnel is
/// stopped. A session the service closes ends the tunnel, as the official plugin ends; one
/// that fails is replaced when `attached.request` says how.
pub fn spawn_attached(attached: Attached, id: u64, events: TunnelEvents) -> TunnelHandle {
    run_with(id, events, move |gauges, say, stop| {
        Box::pin(async move {
            let Attached {
                clients,
                session,
                listen,
                instance_id,
                request,
            } = attached;
            let destination = session_destination(&session.info);
            let listener = match sessions::bind(&listen).await {
                Ok(listener) => listener,
                Err(error) => {
                    // Nothing will carry the session: end it on both sides before saying why.
                    sessions::end(&clients, session).await;
                    return Err(error);
                }
            };
            let plan = Plan {
                clients,
                instance_id,
                destination,
                request,
                sessions: 1,
                first: Some(session),
                replace: Replace::OnFailure,
                retarget: None,
                on_demand: OnDemand::default(),
            };
            serve(plan, listener, gauges, say, stop).await
        })
    })
}

/// `host:port` on the far side, as the session's properties name it.
fn session_destination(info: &SessionInfo) -> String {
    let property = |name: &str| {
        info.properties
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    format!(
        "{}:{}",
        property("host").unwrap_or_else(|| "localhost".to_owned()),
        property("portNumber").unwrap_or_default()
    )
}

/// Runs a tunnel's body on its own task with a stop signal, its gauges and its reporter,
/// and reports how it ended.
fn run_with<F>(id: u64, events: TunnelEvents, body: F) -> TunnelHandle
where
    F: FnOnce(
            Arc<TunnelGauges>,
            Reporter,
            watch::Receiver<bool>,
        ) -> BoxFuture<'static, Result<(), TunnelError>>
        + Send
        + 'static,
{
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
        let result = body(counted, say.clone(), stop).await;
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
    pub(super) fn say(&self, session: SessionNumber, text: impl Into<String>) {
        self.try_send(TunnelEvent::Said {
            session,
            text: text.into(),
        });
    }

    pub(super) fn problem(&self, text: String) {
        self.try_send(TunnelEvent::Problem(text));
    }

    pub(super) fn closed_by_service(&self, session_id: &str, words: String) {
        self.try_send(TunnelEvent::ClosedByService {
            session_id: session_id.to_owned(),
            words,
        });
    }

    pub(super) fn session_ready(&self, session_id: &str) {
        self.try_send(TunnelEvent::SessionReady {
            session_id: session_id.to_owned(),
        });
    }

    pub(super) fn destination_failed(&self) {
        self.try_send(TunnelEvent::DestinationFailed);
    }

    pub(super) fn accepted(&self, session_id: &str, peer: String) {
        self.try_send(TunnelEvent::Accepted {
            session_id: session_id.to_owned(),
            peer,
        });
    }

    fn try_send(&self, event: TunnelEvent) {
        if let Err(error) = self.events.try_send((self.id, event)) {
            tracing::warn!(tunnel = self.id, %error, "tunnel event dropped");
        }
    }

    /// An event that must arrive (the start and the end), waiting for room.
    pub(super) async fn send(&self, event: TunnelEvent) {
        let _ = self.events.send((self.id, event)).await;
    }
}

/// Aborts a task when dropped.
pub(super) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Counts a session as resuming on its tunnel while set (and no longer once dropped).
pub(super) struct Resuming {
    gauges: Arc<TunnelGauges>,
    resuming: bool,
    /// What was last said about this resume: each new reason is said once, not every try.
    said: Option<String>,
}

impl Resuming {
    pub(super) fn new(gauges: Arc<TunnelGauges>) -> Resuming {
        Resuming {
            gauges,
            resuming: false,
            said: None,
        }
    }

    /// Notes a drop and its resume, and says so: the drop, then each new reason the resume
    /// fails for (expired credentials, an endpoint gone), with the next step.
    pub(super) fn follow(&mut self, event: &DriverEvent, say: &Reporter, label: SessionNumber) {
        match event {
            DriverEvent::Reconnecting { attempt, reason } => {
                if self.said.as_ref() != Some(reason) {
                    say.say(
                        label,
                        if *attempt == 1 {
                            format!("connection dropped ({reason}); resuming")
                        } else {
                            format!("still resuming (try {attempt}): {reason}")
                        },
                    );
                    self.said = Some(reason.clone());
                }
                self.set(true);
            }
            DriverEvent::Reconnected => {
                say.say(label, "resumed");
                self.said = None;
                self.set(false);
            }
            _ => {}
        }
    }

    fn set(&mut self, resuming: bool) {
        if resuming != self.resuming {
            if resuming {
                self.gauges.reconnecting.fetch_add(1, Ordering::Relaxed);
            } else {
                self.gauges.reconnecting.fetch_sub(1, Ordering::Relaxed);
            }
            self.resuming = resuming;
        }
    }
}

impl Drop for Resuming {
    fn drop(&mut self) {
        self.set(false);
    }
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

/// How one session's service ended.
pub(super) struct Ended {
    pub(super) reason: String,
    /// The service closed the channel (the agent ended the session, an idle timeout).
    pub(super) closed_by_service: bool,
    /// What the service said as it closed it, if anything.
    pub(super) words: Option<String>,
}

impl Ended {
    /// Reads the driver's end, waiting a little for it.
    pub(super) async fn of(
        driver: &mut tokio::task::JoinHandle<Result<SessionEnd, crate::transport::TransportError>>,
    ) -> Ended {
        match tokio::time::timeout(Duration::from_secs(2), driver).await {
            Ok(Ok(Ok(end))) => {
                let words = match &end {
                    SessionEnd::Closed(crate::protocol::CloseReason::ChannelClosed { output }) => {
                        Some(output.clone())
                    }
                    _ => None,
                };
                Ended {
                    closed_by_service: words.is_some(),
                    words: words.flatten().filter(|w| !w.trim().is_empty()),
                    reason: end.to_string(),
                }
            }
            Ok(Ok(Err(error))) => Ended {
                reason: error.to_string(),
                closed_by_service: false,
                words: None,
            },
            _ => Ended {
                reason: "the session stopped".to_owned(),
                closed_by_service: false,
                words: None,
            },
        }
    }
}
