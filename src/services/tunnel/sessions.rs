//! Keeping a tunnel's sessions behind its listener: the plan (which sessions, started how,
//! replaced when), the acceptor, one loop per session that starts it (or takes the one the
//! plugin was handed), serves connections over it in the mode its agent speaks, and replaces
//! it with backoff when it ends, until the tunnel is stopped.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use super::basic::serve_basic;
use super::dispatch::Dispatch;
use super::local::{ListenOn, LocalListener};
use super::mux::serve_mux;
use super::{
    Ended, PortSession, Reporter, SessionNumber, TunnelError, TunnelEvent, TunnelGauges,
    is_local_forwarding,
};
use crate::aws;
use crate::protocol::PortFlag;
use crate::services::session::{self, StartRequest};
use crate::services::sources::SessionClients;
use crate::transport::{DriverEvent, Input};

/// When a session that ended is replaced by a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Replace {
    /// Always (`bosun tunnel`, the console): the listener is the promise.
    Always,
    /// Only when it failed (the plugin): a session the service closed ends the tunnel, as
    /// the official plugin ends with its session.
    OnFailure,
}

/// What a tunnel keeps behind its listener.
pub(super) struct Plan {
    pub(super) clients: SessionClients,
    pub(super) instance_id: String,
    /// `host:port` on the far side, for the Listening event.
    pub(super) destination: String,
    /// StartSession for a new session (its `localPortNumber` is filled in from the
    /// listener); `None`: no new session can be started.
    pub(super) request: Option<StartRequest>,
    pub(super) sessions: u8,
    /// A session already started (the plugin's), used first.
    pub(super) first: Option<PortSession>,
    pub(super) replace: Replace,
    /// Finds the target anew when a session cannot start on it (a service's task replaced by
    /// a deployment), and before a lazy session starts (a `tag:` target's instance replaced);
    /// `None`: the target is what it is.
    pub(super) retarget: Option<Retarget>,
    /// When sessions run: always, or only while connections want them.
    pub(super) on_demand: OnDemand,
}

/// A background tunnel's thrift: sessions only while connections want them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct OnDemand {
    /// The first session waits for the first connection.
    pub(super) lazy: bool,
    /// Sessions end after this long without a connection; the next one starts them again.
    pub(super) idle_after: Option<Duration>,
}

/// Resolves a tunnel's target again: its SSM target now.
pub(super) type Retarget =
    Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, Result<String, String>> + Send + Sync>;

/// Binds the tunnel's local end.
pub(super) async fn bind(on: &ListenOn) -> Result<LocalListener, TunnelError> {
    LocalListener::bind(on)
        .await
        .map_err(|source| TunnelError::Listen {
            address: on.clone(),
            source,
        })
}

/// Runs the plan until `stop` turns true (or, with `Replace::OnFailure`, until the service
/// closes the last session): says where it listens, then keeps the sessions.
pub(super) async fn serve(
    plan: Plan,
    listener: LocalListener,
    gauges: Arc<TunnelGauges>,
    say: Reporter,
    stop: watch::Receiver<bool>,
) -> Result<(), TunnelError> {
    let local = listener.local().map_err(|source| TunnelError::Listen {
        address: listener_address(&listener),
        source,
    })?;
    let Plan {
        clients,
        instance_id,
        destination,
        request,
        sessions,
        mut first,
        replace,
        retarget,
        on_demand,
    } = plan;
    // A new session says which local port it serves, as the plugin tells the agent.
    let request = request.map(|request| match local.port() {
        Some(port) => request.parameter("localPortNumber", port.to_string()),
        None => request,
    });
    say.send(TunnelEvent::Listening {
        local,
        instance_id,
        destination,
    })
    .await;

    // One acceptor hands each connection to the ready session carrying the fewest, so N
    // sessions carry N connections' worth of the agent's paced output.
    let dispatch = Dispatch::new(gauges);
    let acceptor = tokio::spawn(dispatch.clone().accept(listener));
    let loops = (1..=sessions).map(|number| {
        let label =
            SessionNumber((sessions > 1).then_some((usize::from(number), usize::from(sessions))));
        let keeper = Keeper {
            clients: &clients,
            request: request.clone(),
            dispatch: &dispatch,
            say: say.clone(),
            label,
            replace,
            retarget: retarget.clone(),
            on_demand,
        };
        keeper.keep(first.take(), stop.clone())
    });
    // The listener closes at once when the sessions are over (so the port can be reused right
    // away), while they end on the service side.
    futures_util::future::join_all(loops).await;
    acceptor.abort();
    Ok(())
}

/// What the listener was asked to bind, for an error about it.
fn listener_address(listener: &LocalListener) -> ListenOn {
    listener
        .local()
        .unwrap_or_else(|_| ListenOn::Tcp(std::net::SocketAddr::from(([127, 0, 0, 1], 0))))
}

/// One session's loop and what it needs.
struct Keeper<'a> {
    clients: &'a SessionClients,
    request: Option<StartRequest>,
    dispatch: &'a Dispatch,
    say: Reporter,
    /// Tells parallel sessions apart in messages: "" or " [2/4]".
    label: SessionNumber,
    replace: Replace,
    retarget: Option<Retarget>,
    on_demand: OnDemand,
}

impl Keeper<'_> {
    /// Runs one session behind the listener until `stop`, replacing it with backoff when it
    /// ends (as `replace` says).
    async fn keep(self, mut first: Option<PortSession>, mut stop: watch::Receiver<bool>) {
        let Keeper {
            clients,
            mut request,
            dispatch,
            say,
            label,
            replace,
            retarget,
            on_demand,
        } = self;
        let gauges = dispatch.stats.clone();
        let mut backoff = Duration::from_millis(500);
        let stopped = async |stop: &mut watch::Receiver<bool>| {
            let _ = stop.wait_for(|stop| *stop).await;
        };
        // A lazy tunnel's sessions wait for a connection; so does one that went idle.
        let mut dormant = on_demand.lazy && first.is_none();
        loop {
            if dormant {
                gauges.dormant.fetch_add(1, Ordering::Relaxed);
                say.say(label, "no session: the next connection starts one");
                let woken = tokio::select! {
                    () = dispatch.demanded() => true,
                    () = stopped(&mut stop) => false,
                };
                gauges.dormant.fetch_sub(1, Ordering::Relaxed);
                if !woken {
                    return;
                }
                dormant = false;
                // The target is found again: a `tag:` target's instance may have been replaced
                // since the tunnel came up.
                if let (Some(retarget), Some(request)) = (&retarget, request.as_mut())
                    && let Ok(target) = retarget().await
                    && target != request.target
                {
                    say.say(label, format!("the target is now {target}"));
                    request.target = target;
                }
                say.say(label, "a connection arrived: starting a session");
            }
            let session = match (first.take(), request.as_ref()) {
                (Some(session), _) => Ok(session),
                (None, Some(request)) => tokio::select! {
                    session = start(clients, request) => session,
                    () = stopped(&mut stop) => return,
                },
                (None, None) => return,
            };
            let mut session = match session {
                Ok(session) => {
                    backoff = Duration::from_millis(500);
                    session
                }
                Err(error) => {
                    // The target may have moved (a service's task replaced): find it again.
                    if let (Some(retarget), Some(request)) = (&retarget, request.as_mut())
                        && let Ok(target) = retarget().await
                        && target != request.target
                    {
                        say.say(label, format!("the target moved: now {target}"));
                        request.target = target;
                        continue;
                    }
                    // The problem first: a caller that gives up on it says no more.
                    say.problem(error.clone());
                    say.say(
                        label,
                        format!("{error}; retrying in {:.1} s", backoff.as_secs_f64()),
                    );
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = stopped(&mut stop) => return,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            };
            let multiplexed = session
                .info
                .agent_version
                .as_deref()
                .is_some_and(crate::model::agent::multiplexes);
            say.say(
                label,
                format!(
                    "session {} ready ({})",
                    session.session_id,
                    if multiplexed {
                        "multiplexed"
                    } else {
                        "one connection at a time: the agent is older than 3.0.222.0"
                    }
                ),
            );
            gauges.sessions_ready.fetch_add(1, Ordering::Relaxed);
            say.session_ready(&session.session_id);
            let mut registration = dispatch.register();
            let serving: std::pin::Pin<Box<dyn std::future::Future<Output = Ended> + Send + '_>> =
                if multiplexed {
                    Box::pin(serve_mux(&mut registration, &mut session, &say, label))
                } else {
                    Box::pin(serve_basic(&mut registration, &mut session, &say, label))
                };
            let idle = async {
                match on_demand.idle_after {
                    Some(limit) if request.is_some() => idle_for(dispatch, limit).await,
                    _ => std::future::pending().await,
                }
            };
            let outcome = tokio::select! {
                end = serving => Outcome::Ended(end),
                () = stopped(&mut stop) => Outcome::Stopped,
                () = idle => Outcome::Idle,
            };
            drop(registration);
            gauges.sessions_ready.fetch_sub(1, Ordering::Relaxed);
            let ended = match outcome {
                Outcome::Ended(ended) => ended,
                Outcome::Stopped => {
                    end(clients, session).await;
                    say.say(label, "closed");
                    return;
                }
                Outcome::Idle => {
                    let id = session.session_id.clone();
                    end(clients, session).await;
                    let quiet = on_demand.idle_after.unwrap_or_default().as_secs();
                    say.say(
                        label,
                        format!(
                            "session {id} ended after {} without a connection",
                            crate::model::format::age(quiet)
                        ),
                    );
                    dormant = true;
                    continue;
                }
            };
            // An agent without the Port plugin refuses every session alike: another try is
            // pointless, and the way out is a newer agent.
            let no_port_plugin = ended
                .words
                .as_deref()
                .is_some_and(|words| words.contains("Plugin with name Port not found"));
            if no_port_plugin {
                let why = format!(
                    "the instance's SSM Agent has no port forwarding ({} or later does): `bosun agent update {}`",
                    crate::model::agent::since(crate::model::agent::Capability::PortForwarding),
                    request.as_ref().map_or("TARGET", |r| r.target.as_str())
                );
                say.say(label, why.clone());
                say.problem(why);
            }
            let last = replace == Replace::OnFailure && ended.closed_by_service
                || request.is_none()
                || no_port_plugin;
            if last {
                say.say(
                    label,
                    format!("session {} ended ({})", session.session_id, ended.reason),
                );
                if let Some(words) = ended.words.clone() {
                    say.closed_by_service(&session.session_id, words);
                }
                // Make sure the service does not keep what the agent may still hold open.
                let _ = aws::terminate_session(&clients.ssm, &session.session_id).await;
                return;
            }
            say.say(
                label,
                format!(
                    "session {} ended ({}); starting a new one",
                    session.session_id, ended.reason
                ),
            );
            say.problem(format!("session ended: {}", ended.reason));
        }
    }
}

/// How a session's service ended, from the tunnel's side.
enum Outcome {
    Ended(Ended),
    /// The tunnel was told to stop.
    Stopped,
    /// No connection for the tunnel's idle time.
    Idle,
}

/// Resolves once the tunnel has carried no connection (and none waited) for `limit`. It
/// looks a few times per `limit` (at most every 5 s), so an idle session costs no CPU to
/// speak of.
async fn idle_for(dispatch: &Dispatch, limit: Duration) {
    let tick = (limit / 8).clamp(Duration::from_millis(50), Duration::from_secs(5));
    let mut quiet_since = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(tick).await;
        let busy = dispatch.stats.active.load(Ordering::Relaxed) > 0 || dispatch.waiting() > 0;
        if busy {
            quiet_since = tokio::time::Instant::now();
        } else if quiet_since.elapsed() >= limit {
            return;
        }
    }
}

/// Ends a session on both sides: the TerminateSession flag to the agent (once, in order with
/// everything else sent), the channel closed, then TerminateSession at the service. Bounded
/// waits: a driver in the middle of a resume does not read its input.
pub(super) async fn end(clients: &SessionClients, mut session: PortSession) {
    let quickly = Duration::from_secs(2);
    let _ = tokio::time::timeout(
        quickly,
        session.input.send(Input::Flag(PortFlag::TerminateSession)),
    )
    .await;
    let _ = tokio::time::timeout(quickly, session.input.send(Input::Close)).await;
    let _ = tokio::time::timeout(quickly, &mut session.driver).await;
    let _ = aws::terminate_session(&clients.ssm, &session.session_id).await;
}

/// StartSession for a new port session, driven until the agent says it is ready.
async fn start(clients: &SessionClients, request: &StartRequest) -> Result<PortSession, String> {
    let mut driven = session::start(clients, request)
        .await
        .map_err(|error| error.to_string())?;
    let info = loop {
        match tokio::time::timeout(Duration::from_secs(30), driven.events.recv()).await {
            Ok(Some(DriverEvent::Ready(info))) => break info,
            Ok(Some(_)) => {}
            Ok(None) => {
                let end = (&mut driven.driver).await.map_err(|e| e.to_string())?;
                return Err(format!("the session ended before it was ready: {end:?}"));
            }
            Err(_) => return Err("the session did not become ready within 30 s".to_owned()),
        }
    };
    if !is_local_forwarding(&info) {
        let session = PortSession::ready(driven, info);
        let id = session.session_id.clone();
        end(clients, session).await;
        return Err(format!(
            "session {id} is no local port forwarding (check the document)"
        ));
    }
    Ok(PortSession::ready(driven, info))
}
