//! `bosun tunnel` and `bosun proxy`. A tunnel listens locally (127.0.0.1 unless `--bind` says
//! otherwise), starts a port-forwarding session, and carries every accepted connection over
//! it: one smux stream per connection when the agent can multiplex, one connection at a time
//! (DisconnectToPort between them) with older agents (PROTOCOL.md §6). The listener outlives
//! sessions: a dropped WebSocket is resumed by the transport, and a session that ends is
//! replaced by a new one with backoff. `bosun proxy` is the SSH ProxyCommand byte pipe.

use std::net::SocketAddr;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_smux::MuxBuilder;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};

use crate::app::tunnels::TunnelDef;
use crate::aws::session::{self, Driven, Started};
use crate::aws::{self, target};
use crate::cli::{GlobalArgs, ProxyArgs, ShellArgs, TunnelArgs};
use crate::config::SavedTunnel;
use crate::protocol::version::version_greater;
use crate::protocol::{PortFlag, SessionInfo};
use crate::transport::{DriverEvent, Input, SessionEnd, TransportError};

const FAILURE: i32 = 255;
/// Agents newer than this multiplex (PROTOCOL.md §6.1).
const LAST_BASIC_ONLY_AGENT: &str = "3.0.196.0";
/// Agents newer than this expect no smux keep-alive from a client claiming 1.2.677.0 (§6.3).
const LAST_KEEPALIVE_AGENT: &str = "3.1.1511.0";
const CHUNK: usize = 64 * 1024;

/// `bosun proxy TARGET PORT`: AWS-StartSSHSession on this process's stdin/stdout.
pub async fn proxy(global: &GlobalArgs, args: &ProxyArgs) -> i32 {
    let shell = ShellArgs {
        target: args.target.clone(),
        document: "AWS-StartSSHSession".to_owned(),
        param: vec![("portNumber".to_owned(), args.port.to_string())],
    };
    super::shell::run(global, &shell).await
}

/// One port-forwarding session and what the tunnel needs from it.
struct PortSession {
    session_id: String,
    input: mpsc::Sender<Input>,
    events: mpsc::Receiver<DriverEvent>,
    driver: tokio::task::JoinHandle<Result<SessionEnd, TransportError>>,
    info: SessionInfo,
}

/// One tunnel to run: from the command line, a saved tunnel from the configuration file, or
/// one the console started; the console's definition serves all three.
pub type TunnelSpec = TunnelDef;

pub async fn run(global: &GlobalArgs, args: &TunnelArgs) -> i32 {
    if global.read_only {
        eprintln!("bosun tunnel: refused by --read-only (a tunnel starts sessions)");
        return 2;
    }
    let specs = match args.remote_port {
        Some(remote_port) => vec![TunnelSpec {
            name: args.target.clone(),
            target: args.target.clone(),
            remote_host: args.remote_host.clone(),
            remote_port,
            local_port: args.local_port,
            bind: args.bind,
            profile: None,
            region: None,
            sessions: args.sessions,
        }],
        None => {
            let config = match super::load_config(global) {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("bosun tunnel: {error}");
                    return 2;
                }
            };
            match config.tunnels_named(&args.target) {
                Some(saved) => saved.into_iter().map(SavedTunnel::to_def).collect(),
                None => {
                    eprintln!(
                        "bosun tunnel: no saved tunnel or group is named {:?} in {}; to tunnel to an instance, give --remote-port",
                        args.target,
                        super::config_path(global)
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    );
                    return 2;
                }
            }
        }
    };
    // A group's tunnels run side by side; Ctrl-C ends them all.
    let results =
        futures_util::future::join_all(specs.iter().map(|spec| run_one(global, spec))).await;
    results.into_iter().max().unwrap_or(0)
}

async fn run_one(global: &GlobalArgs, args: &TunnelSpec) -> i32 {
    if !args.bind.is_loopback() {
        eprintln!(
            "bosun tunnel: WARNING: listening on {}, not loopback: anyone who can reach this machine can use the tunnel",
            args.bind
        );
    }
    let config = aws::load_config(
        args.profile
            .as_deref()
            .or(global.profile.first().map(String::as_str)),
        args.region
            .as_deref()
            .or(global.region.first().map(String::as_str)),
        global.endpoint_url.as_deref(),
    )
    .await;
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop_tx.send(true);
        }
    });
    let say: Say = Arc::new(|text: &str| eprintln!("bosun tunnel{text}"));
    let stats = Arc::new(TunnelStats::default());
    let listening = |local: SocketAddr, instance_id: &str, destination: &str| {
        // The first line is for people and scripts alike.
        println!("Listening on {local} -> {instance_id} -> {destination}");
    };
    match serve(&config, args, stats, say, stop, listening).await {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("bosun tunnel: {error}");
            FAILURE
        }
    }
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
    fn error(&self, text: String) {
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
    spec: &TunnelSpec,
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
    let ssm = aws_sdk_ssm::Client::new(config);
    let ec2 = aws_sdk_ec2::Client::new(config);
    let instance_id = target::resolve(&ssm, &ec2, &spec.target)
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
    let dispatch = Dispatch {
        stats: stats.clone(),
        ..Dispatch::default()
    };
    let acceptor = tokio::spawn(dispatch.clone().accept(listener));
    let sessions = spec.sessions.max(1);
    let loops = (1..=sessions).map(|number| {
        let label = if sessions > 1 {
            format!(" [{number}/{sessions}]")
        } else {
            String::new()
        };
        let context = SessionContext {
            config,
            ssm: &ssm,
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
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What one of a tunnel's sessions needs.
struct SessionContext<'a> {
    config: &'a aws_config::SdkConfig,
    ssm: &'a aws_sdk_ssm::Client,
    instance_id: &'a str,
    spec: &'a TunnelSpec,
    local: SocketAddr,
    dispatch: &'a Dispatch,
    say: Say,
    /// Tells parallel sessions apart in messages: "" or " [2/4]".
    label: String,
}

/// A session ready for connections, and how many it carries.
struct Slot {
    id: u64,
    connections: mpsc::Sender<TcpStream>,
    active: Arc<AtomicUsize>,
}

/// Accepted connections go to the ready session with the fewest active ones; while no
/// session is ready they wait, as they would in the listen backlog.
#[derive(Clone, Default)]
struct Dispatch {
    stats: Arc<TunnelStats>,
    slots: Arc<Mutex<Vec<Slot>>>,
    registered: Arc<Notify>,
    next_id: Arc<AtomicU64>,
    /// Connections a session was handed but ended before taking: dispatched again.
    returned: Arc<Mutex<Vec<TcpStream>>>,
}

/// A session's place in the dispatch: connections arrive on `connections`; dropping it
/// leaves the dispatch.
struct Registration {
    connections: mpsc::Receiver<TcpStream>,
    active: Arc<AtomicUsize>,
    id: u64,
    dispatch: Dispatch,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.dispatch.slots.lock() {
            slots.retain(|slot| slot.id != self.id);
        }
        // Connections still queued here never became active: uncount them and hand them to
        // another session rather than closing them.
        let mut queued = Vec::new();
        while let Ok(tcp) = self.connections.try_recv() {
            self.active.fetch_sub(1, Ordering::Relaxed);
            self.dispatch.stats.active.fetch_sub(1, Ordering::Relaxed);
            queued.push(tcp);
        }
        if !queued.is_empty() {
            if let Ok(mut returned) = self.dispatch.returned.lock() {
                returned.extend(queued);
            }
            self.dispatch.registered.notify_waiters();
        }
    }
}

/// Counts a session as resuming on its tunnel while set (and no longer once dropped).
struct Resuming(Arc<TunnelStats>, bool);

impl Resuming {
    /// Notes a drop and its resume, and says so.
    fn follow(&mut self, event: &DriverEvent, say: &Say, label: &str) {
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

/// Counts a connection as active (on its session and on the tunnel) until dropped.
struct ActiveConnection(Arc<AtomicUsize>, Arc<TunnelStats>);

impl ActiveConnection {
    fn of(registration: &Registration) -> ActiveConnection {
        ActiveConnection(
            registration.active.clone(),
            registration.dispatch.stats.clone(),
        )
    }
}

impl Drop for ActiveConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
        self.1.active.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Dispatch {
    fn register(&self) -> Registration {
        let (sender, connections) = mpsc::channel(64);
        let active = Arc::new(AtomicUsize::new(0));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut slots) = self.slots.lock() {
            slots.push(Slot {
                id,
                connections: sender,
                active: active.clone(),
            });
        }
        self.registered.notify_waiters();
        Registration {
            connections,
            active,
            id,
            dispatch: self.clone(),
        }
    }

    /// The least-loaded ready session's sender, counting the connection on it.
    fn choose(&self) -> Option<(mpsc::Sender<TcpStream>, Arc<AtomicUsize>)> {
        let slots = self.slots.lock().ok()?;
        let slot = slots
            .iter()
            .filter(|slot| !slot.connections.is_closed())
            .min_by_key(|slot| slot.active.load(Ordering::Relaxed))?;
        slot.active.fetch_add(1, Ordering::Relaxed);
        Some((slot.connections.clone(), slot.active.clone()))
    }

    /// A connection was handed to a session.
    fn count(&self) {
        self.stats.active.fetch_add(1, Ordering::Relaxed);
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection handed back by a session that ended, if any.
    fn take_returned(&self) -> Option<TcpStream> {
        self.returned.lock().ok()?.pop()
    }

    async fn accept(self, listener: TcpListener) {
        loop {
            let mut tcp = match self.take_returned() {
                Some(tcp) => tcp,
                None => {
                    let registered = self.registered.notified();
                    tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((tcp, _)) => {
                                let _ = tcp.set_nodelay(true);
                                tcp
                            }
                            Err(_) => {
                                // Out of descriptors, say: do not spin; the backlog keeps
                                // the clients waiting.
                                tokio::time::sleep(Duration::from_millis(100)).await;
                                continue;
                            }
                        },
                        // A session ended and handed connections back.
                        () = registered => continue,
                    }
                }
            };
            loop {
                let registered = self.registered.notified();
                match self.choose() {
                    Some((sender, active)) => {
                        // Counted before it is handed over: the session may finish with it
                        // before this task runs again.
                        self.count();
                        match sender.send(tcp).await {
                            Ok(()) => break,
                            Err(returned) => {
                                // That session just ended: try another.
                                active.fetch_sub(1, Ordering::Relaxed);
                                self.stats.active.fetch_sub(1, Ordering::Relaxed);
                                self.stats.connections.fetch_sub(1, Ordering::Relaxed);
                                tcp = returned.0;
                            }
                        }
                    }
                    None => {
                        // No session is ready: wait for one (or a moment, in case it ended).
                        let _ = tokio::time::timeout(Duration::from_millis(200), registered).await;
                    }
                }
            }
        }
    }
}

/// Runs one session behind the listener until `stop`, replacing it with backoff when it
/// ends.
async fn keep_session(context: SessionContext<'_>, mut stop: watch::Receiver<bool>) {
    let SessionContext {
        config,
        ssm,
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
            session = start(config, ssm, instance_id, spec, local) => session,
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
                let _ = aws::terminate_session(ssm, &session.session_id).await;
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
    config: &aws_config::SdkConfig,
    ssm: &aws_sdk_ssm::Client,
    instance_id: &str,
    args: &TunnelSpec,
    local: SocketAddr,
) -> Result<PortSession, String> {
    let mut request = ssm
        .start_session()
        .target(instance_id)
        .parameters("portNumber", vec![args.remote_port.to_string()])
        .parameters("localPortNumber", vec![local.port().to_string()]);
    request = match &args.remote_host {
        Some(host) => request
            .document_name("AWS-StartPortForwardingSessionToRemoteHost")
            .parameters("host", vec![host.clone()]),
        None => request.document_name("AWS-StartPortForwardingSession"),
    };
    let started = request.send().await.map_err(|e| {
        format!(
            "cannot start a session: {}",
            aws_sdk_ssm::error::DisplayErrorContext(e)
        )
    })?;
    let started =
        Started::from_response(&started, instance_id).ok_or("StartSession returned no stream")?;
    let Driven {
        session_id,
        input,
        mut events,
        driver,
    } = session::drive(started, ssm, aws_sdk_kms::Client::new(config));
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

/// smux over the session: one stream per accepted connection. Returns why it stopped.
async fn serve_mux(
    registration: &mut Registration,
    session: &mut PortSession,
    say: &Say,
    label: &str,
) -> String {
    let stats = registration.dispatch.stats.clone();
    let mut resuming = Resuming(stats.clone(), false);
    let (mux_side, channel_side) = tokio::io::duplex(1024 * 1024);
    let mut builder = MuxBuilder::client();
    let agent = session.info.agent_version.clone().unwrap_or_default();
    if !version_greater(&agent, LAST_KEEPALIVE_AGENT)
        && let Some(interval) = NonZeroU64::new(10)
    {
        builder.with_keep_alive_interval(interval);
    }
    let (connector, _acceptor, worker) = builder.with_connection(mux_side).build();
    tokio::spawn(worker);
    let (mut channel_read, mut channel_write) = tokio::io::split(channel_side);
    let input = session.input.clone();
    let counted = stats.clone();
    // Aborted when this future ends or is dropped (a stop while serving).
    let upload = AbortOnDrop(tokio::spawn(async move {
        while let Some(bytes) = read_chunk(&mut channel_read).await {
            counted
                .bytes_up
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            if input.send(Input::Data(bytes)).await.is_err() {
                return;
            }
        }
    }));
    let reason = loop {
        tokio::select! {
            accepted = registration.connections.recv() => {
                let Some(mut tcp) = accepted else { continue };
                let active = ActiveConnection::of(registration);
                let peer = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
                match connector.connect() {
                    Ok(mut stream) => {
                        tokio::spawn(async move {
                            // 64 KiB buffers, not tokio's 8 KiB: at speed, an eighth
                            // of the syscalls and of the local client's wake-ups.
                            let result = tokio::io::copy_bidirectional_with_sizes(
                                &mut tcp, &mut stream, CHUNK, CHUNK,
                            )
                            .await;
                            tracing::debug!(%peer, ?result, "tunnel connection closed");
                            drop(active);
                        });
                    }
                    Err(error) => {
                        say(&format!("{label}: cannot open a stream for {peer}: {error}"));
                        stats.error(format!("cannot open a stream: {error}"));
                    }
                }
            }
            event = session.events.recv() => match event {
                Some(DriverEvent::Output(bytes)) => {
                    stats.bytes_down.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    if channel_write.write_all(&bytes).await.is_err() {
                        break "the multiplexer stopped".to_owned();
                    }
                }
                Some(DriverEvent::Flag(PortFlag::ConnectToPortError)) => {
                    say(&format!("{label}: the agent could not connect to the destination port; that connection was closed"));
                    stats.error("the agent could not connect to the destination port".to_owned());
                }
                Some(other) => resuming.follow(&other, say, label),
                None => break end_reason(&mut session.driver).await,
            },
        }
    };
    drop(upload);
    reason
}

/// After the local client half-closes in basic mode, replies keep flowing until the agent has
/// been quiet this long: basic mode has no end-of-stream from the destination, and cutting at
/// once (as the official plugin does) loses the tail of every half-closed exchange.
const BASIC_DRAIN_QUIET: Duration = Duration::from_secs(1);

/// Old agents: one local connection at a time; DisconnectToPort when it is over.
async fn serve_basic(
    registration: &mut Registration,
    session: &mut PortSession,
    say: &Say,
    label: &str,
) -> String {
    let stats = registration.dispatch.stats.clone();
    let mut resuming = Resuming(stats.clone(), false);
    // Output is written through a buffer, flushed whenever no more output is waiting: a
    // download then reaches the local client in large writes, not one per message.
    let mut current: Option<(
        tokio::io::BufWriter<tokio::net::tcp::OwnedWriteHalf>,
        tokio::task::JoinHandle<()>,
        ActiveConnection,
    )> = None;
    let (closed_tx, mut closed_rx) = mpsc::channel::<()>(4);
    // Set once the local client has stopped sending: when to give up waiting for replies.
    let mut draining_until: Option<tokio::time::Instant> = None;
    loop {
        let drain_deadline = draining_until;
        tokio::select! {
            accepted = registration.connections.recv(), if current.is_none() => {
                let Some(tcp) = accepted else { continue };
                let active = ActiveConnection::of(registration);
                let (mut read, write) = tcp.into_split();
                let input = session.input.clone();
                let closed = closed_tx.clone();
                let counted = stats.clone();
                let reader = tokio::spawn(async move {
                    while let Some(bytes) = read_chunk(&mut read).await {
                        counted.bytes_up.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                        if input.send(Input::Data(bytes)).await.is_err() {
                            break;
                        }
                    }
                    let _ = closed.send(()).await;
                });
                current = Some((tokio::io::BufWriter::with_capacity(CHUNK, write), reader, active));
                draining_until = None;
            }
            Some(()) = closed_rx.recv() => {
                if current.is_some() && draining_until.is_none() {
                    draining_until = Some(tokio::time::Instant::now() + BASIC_DRAIN_QUIET);
                }
            }
            () = sleep_until_instant(drain_deadline), if drain_deadline.is_some() => {
                draining_until = None;
                if let Some((mut write, reader, _active)) = current.take() {
                    let _ = write.shutdown().await;
                    reader.abort();
                }
                let _ = session.input.send(Input::Flag(PortFlag::DisconnectToPort)).await;
            }
            event = session.events.recv() => match event {
                Some(DriverEvent::Output(bytes)) => {
                    stats.bytes_down.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    if let Some((write, _, _)) = current.as_mut() {
                        let mut written = write.write_all(&bytes).await;
                        if written.is_ok() && session.events.is_empty() {
                            written = write.flush().await;
                        }
                        if written.is_err() {
                            // The local client is gone entirely: disconnect now.
                            draining_until = Some(tokio::time::Instant::now());
                        } else if draining_until.is_some() {
                            draining_until = Some(tokio::time::Instant::now() + BASIC_DRAIN_QUIET);
                        }
                    }
                }
                Some(DriverEvent::Flag(PortFlag::ConnectToPortError)) => {
                    say(&format!("{label}: the agent could not connect to the destination port"));
                    stats.error("the agent could not connect to the destination port".to_owned());
                    if let Some((mut write, reader, _active)) = current.take() {
                        let _ = write.shutdown().await;
                        reader.abort();
                    }
                    draining_until = None;
                }
                Some(other) => {
                    // Whatever output came before this event goes out now.
                    if let Some((write, _, _)) = current.as_mut() {
                        let _ = write.flush().await;
                    }
                    resuming.follow(&other, say, label);
                }
                None => {
                    if let Some((write, _, _)) = current.as_mut() {
                        let _ = write.flush().await;
                    }
                    return end_reason(&mut session.driver).await;
                }
            },
        }
    }
}

/// The next chunk (at most `CHUNK` bytes) from `reader`; `None` at the end or on an error.
/// A large read is handed on in the buffer it was read into rather than copied; a small one
/// is copied out, so a queue of keystrokes does not pin 64 KiB each.
async fn read_chunk<R: tokio::io::AsyncRead + Unpin>(reader: &mut R) -> Option<Bytes> {
    let mut buffer = BytesMut::with_capacity(CHUNK);
    match reader.read_buf(&mut buffer).await {
        Ok(0) | Err(_) => None,
        Ok(n) if n < CHUNK / 16 => Some(Bytes::copy_from_slice(&buffer)),
        Ok(_) => Some(buffer.freeze()),
    }
}

async fn sleep_until_instant(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn end_reason(
    driver: &mut tokio::task::JoinHandle<Result<SessionEnd, TransportError>>,
) -> String {
    match tokio::time::timeout(Duration::from_secs(2), driver).await {
        Ok(Ok(Ok(end))) => end.to_string(),
        Ok(Ok(Err(error))) => error.to_string(),
        _ => "the session stopped".to_owned(),
    }
}
