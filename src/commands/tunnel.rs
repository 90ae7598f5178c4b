//! `bosun tunnel` and `bosun proxy`. A tunnel listens locally (127.0.0.1 unless `--bind` says
//! otherwise), starts a port-forwarding session, and carries every accepted connection over
//! it: one smux stream per connection when the agent can multiplex, one connection at a time
//! (DisconnectToPort between them) with older agents (PROTOCOL.md §6). The listener outlives
//! sessions: a dropped WebSocket is resumed by the transport, and a session that ends is
//! replaced by a new one with backoff. `bosun proxy` is the SSH ProxyCommand byte pipe.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_smux::MuxBuilder;
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};

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

/// One tunnel to run: from the command line, or a saved tunnel from the configuration file.
#[derive(Debug, Clone)]
pub struct TunnelSpec {
    pub target: String,
    pub remote_host: Option<String>,
    pub remote_port: u16,
    pub local_port: u16,
    pub bind: IpAddr,
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Parallel sessions sharing the listener.
    pub sessions: u8,
}

impl TunnelSpec {
    fn from_saved(saved: &SavedTunnel) -> TunnelSpec {
        TunnelSpec {
            target: saved.target.clone(),
            remote_host: saved.remote_host.clone(),
            remote_port: saved.remote_port,
            local_port: saved.local_port,
            bind: saved.bind,
            profile: saved.profile.clone(),
            region: saved.region.clone(),
            sessions: saved.sessions,
        }
    }
}

pub async fn run(global: &GlobalArgs, args: &TunnelArgs) -> i32 {
    if global.read_only {
        eprintln!("bosun tunnel: refused by --read-only (a tunnel starts sessions)");
        return 2;
    }
    let specs = match args.remote_port {
        Some(remote_port) => vec![TunnelSpec {
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
                Some(saved) => saved.into_iter().map(TunnelSpec::from_saved).collect(),
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
    let bind: IpAddr = args.bind;
    if !bind.is_loopback() {
        eprintln!(
            "bosun tunnel: WARNING: listening on {bind}, not loopback: anyone who can reach this machine can use the tunnel"
        );
    }
    let listener = match TcpListener::bind(SocketAddr::new(bind, args.local_port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "bosun tunnel: cannot listen on {bind}:{}: {error}",
                args.local_port
            );
            return FAILURE;
        }
    };
    let local = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("bosun tunnel: {error}");
            return FAILURE;
        }
    };
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
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let instance_id = match target::resolve(&ssm, &ec2, &args.target).await {
        Ok(id) => id,
        Err(error) => {
            eprintln!("bosun tunnel: {error}");
            return FAILURE;
        }
    };
    let destination = match &args.remote_host {
        Some(host) => format!("{host}:{}", args.remote_port),
        None => format!("localhost:{}", args.remote_port),
    };
    // The first line is for people and scripts alike.
    println!("Listening on {local} -> {instance_id} -> {destination}");

    // One acceptor hands each connection to the ready session carrying the fewest, so N
    // sessions carry N connections' worth of the agent's paced output.
    let dispatch = Dispatch::default();
    let acceptor = tokio::spawn(dispatch.clone().accept(listener));
    let sessions = args.sessions.max(1);
    let loops = (1..=sessions).map(|number| {
        let label = if sessions > 1 {
            format!(" [{number}/{sessions}]")
        } else {
            String::new()
        };
        keep_session(&config, &ssm, &instance_id, args, local, &dispatch, label)
    });
    let code = futures_util::future::join_all(loops)
        .await
        .into_iter()
        .max()
        .unwrap_or(0);
    acceptor.abort();
    code
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
    slots: Arc<Mutex<Vec<Slot>>>,
    registered: Arc<Notify>,
    next_id: Arc<AtomicU64>,
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
    }
}

/// Counts a connection as active until dropped.
struct ActiveConnection(Arc<AtomicUsize>);

impl Drop for ActiveConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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

    async fn accept(self, listener: TcpListener) {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            loop {
                let registered = self.registered.notified();
                match self.choose() {
                    Some((sender, active)) => match sender.send(tcp).await {
                        Ok(()) => break,
                        Err(returned) => {
                            // That session just ended: try another.
                            active.fetch_sub(1, Ordering::Relaxed);
                            tcp = returned.0;
                        }
                    },
                    None => {
                        // No session is ready: wait for one (or a moment, in case it ended).
                        let _ = tokio::time::timeout(Duration::from_millis(200), registered).await;
                    }
                }
            }
        }
    }
}

/// Runs one session behind the listener until Ctrl-C, replacing it with backoff when it
/// ends. `label` tells parallel sessions apart in messages.
async fn keep_session(
    config: &aws_config::SdkConfig,
    ssm: &aws_sdk_ssm::Client,
    instance_id: &str,
    args: &TunnelSpec,
    local: SocketAddr,
    dispatch: &Dispatch,
    label: String,
) -> i32 {
    let mut backoff = Duration::from_millis(500);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let session = tokio::select! {
            session = start(config, ssm, instance_id, args, local) => session,
            _ = &mut ctrl_c => return 0,
        };
        let mut session = match session {
            Ok(session) => {
                backoff = Duration::from_millis(500);
                session
            }
            Err(error) => {
                eprintln!(
                    "bosun tunnel{label}: {error}; retrying in {:.1} s",
                    backoff.as_secs_f64()
                );
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = &mut ctrl_c => return 0,
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
        eprintln!(
            "bosun tunnel{label}: session {} ready ({})",
            session.session_id,
            if multiplexed {
                "multiplexed"
            } else {
                "one connection at a time: the agent is older than 3.0.196.0"
            }
        );
        let mut registration = dispatch.register();
        let serving: std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send + '_>> =
            if multiplexed {
                Box::pin(serve_mux(&mut registration, &mut session))
            } else {
                Box::pin(serve_basic(&mut registration, &mut session))
            };
        let ended = tokio::select! {
            end = serving => Some(end),
            _ = &mut ctrl_c => None,
        };
        match ended {
            Some(end) => {
                eprintln!(
                    "bosun tunnel{label}: session {} ended ({end}); starting a new one",
                    session.session_id
                );
            }
            None => {
                // Ctrl-C: tell the agent, end the session on the service side, and go.
                let _ = session
                    .input
                    .send(Input::Flag(PortFlag::TerminateSession))
                    .await;
                let _ = session.input.send(Input::Close).await;
                let _ = tokio::time::timeout(Duration::from_secs(2), &mut session.driver).await;
                let _ = aws::terminate_session(ssm, &session.session_id).await;
                eprintln!("bosun tunnel{label}: closed");
                return 0;
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
async fn serve_mux(registration: &mut Registration, session: &mut PortSession) -> String {
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
    let upload = tokio::spawn(async move {
        let mut buffer = vec![0u8; CHUNK];
        while let Ok(n) = channel_read.read(&mut buffer).await {
            if n == 0
                || input
                    .send(Input::Data(Bytes::copy_from_slice(&buffer[..n])))
                    .await
                    .is_err()
            {
                return;
            }
        }
    });
    let reason = loop {
        tokio::select! {
            accepted = registration.connections.recv() => {
                let Some(mut tcp) = accepted else { continue };
                let active = ActiveConnection(registration.active.clone());
                let peer = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
                match connector.connect() {
                    Ok(mut stream) => {
                        tokio::spawn(async move {
                            let result = tokio::io::copy_bidirectional(&mut tcp, &mut stream).await;
                            tracing::debug!(%peer, ?result, "tunnel connection closed");
                            drop(active);
                        });
                    }
                    Err(error) => {
                        eprintln!("bosun tunnel: cannot open a stream for {peer}: {error}");
                    }
                }
            }
            event = session.events.recv() => match event {
                Some(DriverEvent::Output(bytes)) => {
                    if channel_write.write_all(&bytes).await.is_err() {
                        break "the multiplexer stopped".to_owned();
                    }
                }
                Some(DriverEvent::Flag(PortFlag::ConnectToPortError)) => {
                    eprintln!("bosun tunnel: the agent could not connect to the destination port; that connection was closed");
                }
                Some(DriverEvent::Reconnecting { reason, .. }) => eprintln!("bosun tunnel: connection dropped ({reason}); resuming"),
                Some(DriverEvent::Reconnected) => eprintln!("bosun tunnel: resumed"),
                Some(_) => {}
                None => break end_reason(&mut session.driver).await,
            },
        }
    };
    upload.abort();
    reason
}

/// After the local client half-closes in basic mode, replies keep flowing until the agent has
/// been quiet this long: basic mode has no end-of-stream from the destination, and cutting at
/// once (as the official plugin does) loses the tail of every half-closed exchange.
const BASIC_DRAIN_QUIET: Duration = Duration::from_secs(1);

/// Old agents: one local connection at a time; DisconnectToPort when it is over.
async fn serve_basic(registration: &mut Registration, session: &mut PortSession) -> String {
    let mut current: Option<(
        tokio::net::tcp::OwnedWriteHalf,
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
                let active = ActiveConnection(registration.active.clone());
                let (mut read, write) = tcp.into_split();
                let input = session.input.clone();
                let closed = closed_tx.clone();
                let reader = tokio::spawn(async move {
                    let mut buffer = vec![0u8; CHUNK];
                    while let Ok(n) = read.read(&mut buffer).await {
                        if n == 0 || input.send(Input::Data(Bytes::copy_from_slice(&buffer[..n]))).await.is_err() {
                            break;
                        }
                    }
                    let _ = closed.send(()).await;
                });
                current = Some((write, reader, active));
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
                    if let Some((write, _, _)) = current.as_mut() {
                        if write.write_all(&bytes).await.is_err() {
                            // The local client is gone entirely: disconnect now.
                            draining_until = Some(tokio::time::Instant::now());
                        } else if draining_until.is_some() {
                            draining_until = Some(tokio::time::Instant::now() + BASIC_DRAIN_QUIET);
                        }
                    }
                }
                Some(DriverEvent::Flag(PortFlag::ConnectToPortError)) => {
                    eprintln!("bosun tunnel: the agent could not connect to the destination port");
                    if let Some((mut write, reader, _active)) = current.take() {
                        let _ = write.shutdown().await;
                        reader.abort();
                    }
                    draining_until = None;
                }
                Some(DriverEvent::Reconnecting { reason, .. }) => eprintln!("bosun tunnel: connection dropped ({reason}); resuming"),
                Some(DriverEvent::Reconnected) => eprintln!("bosun tunnel: resumed"),
                Some(_) => {}
                None => return end_reason(&mut session.driver).await,
            },
        }
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
