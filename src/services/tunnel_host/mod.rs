//! The background tunnels: one per-user process (`bosun tunnel serve`) owns tunnels that
//! outlive the terminal that asked for them. The host keeps them by name, follows each one's
//! events into a state, counters and recent lines, and answers the local API (`api`): up,
//! down, list, logs and a stream of state changes. Tunnels run through the tunnel service, so
//! they resume and replace sessions as `bosun tunnel` does, and end them with TerminateSession
//! when stopped.

pub mod api;

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use tokio::sync::{broadcast, mpsc, watch};

use super::tunnel::{self, TunnelCommand, TunnelEvent, TunnelGauges, TunnelHandle};
use crate::model::tunnel::TunnelDef;
use crate::model::tunnel_api::{Answer, Context, Failure, State, Status, TunnelSpec, hint};

/// How many of a tunnel's lines `logs` keeps.
const LINES_KEPT: usize = 200;
/// How long `up` waits for a tunnel's first session (a session becomes ready within 30 s or
/// fails; this leaves room for resolving credentials and the target).
const UP_PATIENCE: Duration = Duration::from_secs(75);
/// How long `down` waits for AWS to confirm a tunnel's sessions ended.
const DOWN_PATIENCE: Duration = Duration::from_secs(10);

/// Credentials and the tunnel as it will run (a target found in the organisation's account
/// that holds it, say), for a tunnel asked for in `Context`; or why there are none.
pub type Resolve = Arc<
    dyn Fn(
            TunnelDef,
            Context,
        ) -> BoxFuture<'static, Result<(aws_config::SdkConfig, TunnelDef), String>>
        + Send
        + Sync,
>;

/// The background tunnels, by name.
#[derive(Clone)]
pub struct Host {
    shared: Arc<Shared>,
}

struct Shared {
    tunnels: Mutex<BTreeMap<String, Entry>>,
    resolve: Resolve,
    events: mpsc::Sender<(u64, TunnelEvent)>,
    /// Each tunnel's state as it changes, for `watch`.
    changes: broadcast::Sender<Status>,
    /// Bumped whenever a tunnel's state changes, for `up` waiting on it.
    changed: watch::Sender<u64>,
    /// How many tunnels there are, after each up and down: the process ends at zero.
    count: watch::Sender<usize>,
    /// The next tunnel's id.
    next_id: std::sync::atomic::AtomicU64,
}

/// One tunnel and what is known of it.
struct Entry {
    id: u64,
    def: TunnelDef,
    handle: Option<TunnelHandle>,
    gauges: Arc<TunnelGauges>,
    started: Instant,
    address: Option<String>,
    instance_id: Option<String>,
    destination: String,
    /// The last problem since a session was last ready.
    problem: Option<String>,
    /// The tunnel's service is over.
    over: bool,
    /// Told to stop: it reports as stopped from then on, while its sessions end.
    stopping: bool,
    lines: VecDeque<String>,
    /// The state last reported to watchers.
    reported: State,
}

impl Entry {
    fn state(&self) -> State {
        let gauges = &self.gauges;
        if self.over || self.stopping {
            State::Stopped
        } else if gauges.reconnecting.load(Ordering::Relaxed) > 0 {
            State::Reconnecting
        } else if gauges.sessions_ready.load(Ordering::Relaxed) > 0 {
            State::Up
        } else if self.address.is_some() && gauges.dormant.load(Ordering::Relaxed) > 0 {
            State::Idle
        } else if self.problem.is_some() {
            State::Retrying
        } else {
            State::Starting
        }
    }

    fn status(&self) -> Status {
        let gauges = &self.gauges;
        Status {
            name: self.def.name.clone(),
            target: self.def.target.clone(),
            instance_id: self.instance_id.clone(),
            destination: self.destination.clone(),
            address: self.address.clone(),
            state: self.state(),
            lazy: self.def.lazy,
            idle_minutes: self.def.idle_after.map(|idle| idle.as_secs_f64() / 60.0),
            sessions: gauges.sessions_ready.load(Ordering::Relaxed),
            sessions_wanted: self.def.sessions,
            active: gauges.active.load(Ordering::Relaxed),
            connections: gauges.connections.load(Ordering::Relaxed),
            bytes_up: gauges.bytes_up.load(Ordering::Relaxed),
            bytes_down: gauges.bytes_down.load(Ordering::Relaxed),
            uptime_seconds: self.started.elapsed().as_secs(),
            last_error: self.problem.clone(),
            hint: self
                .address
                .as_deref()
                .and_then(|address| hint(self.def.remote_port, address)),
        }
    }

    fn note(&mut self, line: String) {
        if self.lines.len() == LINES_KEPT {
            self.lines.pop_front();
        }
        self.lines.push_back(format!("{} {line}", clock()));
    }
}

/// The wall-clock time of day, UTC, for log lines.
fn clock() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let of_day = now % 86_400;
    format!(
        "{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

impl Host {
    /// A host with no tunnels yet, resolving each tunnel's credentials with `resolve`.
    pub fn new(resolve: Resolve) -> Host {
        let (events, events_rx) = mpsc::channel(256);
        let host = Host {
            shared: Arc::new(Shared {
                tunnels: Mutex::new(BTreeMap::new()),
                resolve,
                events,
                changes: broadcast::channel(256).0,
                changed: watch::channel(0).0,
                count: watch::channel(0).0,
                next_id: std::sync::atomic::AtomicU64::new(1),
            }),
        };
        tokio::spawn(host.clone().follow(events_rx));
        host
    }

    fn tunnels(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.shared
            .tunnels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many tunnels there are, as it changes with each up and down.
    pub fn count(&self) -> watch::Receiver<usize> {
        self.shared.count.subscribe()
    }

    /// Every tunnel's state as it changes.
    pub fn changes(&self) -> broadcast::Receiver<Status> {
        self.shared.changes.subscribe()
    }

    /// The tunnels named (all when none is), in name order.
    pub fn list(&self, names: &[String]) -> Answer {
        let tunnels = self.tunnels();
        if let Some(error) = unknown(&tunnels, names) {
            return Answer::error(error);
        }
        Answer {
            tunnels: tunnels
                .values()
                .filter(|entry| names.is_empty() || names.contains(&entry.def.name))
                .map(Entry::status)
                .collect(),
            ..Answer::ok()
        }
    }

    /// A tunnel's recent lines.
    pub fn logs(&self, name: &str) -> Answer {
        match self.tunnels().get(name) {
            Some(entry) => Answer {
                lines: entry.lines.iter().cloned().collect(),
                ..Answer::ok()
            },
            None => Answer::error(not_running(&[name])),
        }
    }

    /// Starts the tunnels not running yet and waits until each listens and, unless lazy, has
    /// a session ready, or could not start (then it is stopped and removed, and said why).
    pub async fn up(&self, specs: Vec<TunnelSpec>, context: Context) -> Answer {
        let mut failed = Vec::new();
        let mut names = Vec::new();
        for spec in specs {
            let def = match spec.to_def() {
                Ok(def) => def,
                Err(error) => {
                    failed.push(Failure {
                        name: spec.name,
                        error,
                    });
                    continue;
                }
            };
            names.push(def.name.clone());
            self.start(def, &context);
        }
        self.publish_count();
        let waits = names.iter().map(|name| self.first_ready(name));
        for (name, outcome) in names
            .iter()
            .zip(futures_util::future::join_all(waits).await)
        {
            if let Err(error) = outcome {
                self.stop(name).await;
                failed.push(Failure {
                    name: name.clone(),
                    error,
                });
            }
        }
        self.publish_count();
        Answer {
            tunnels: self
                .list(&[])
                .tunnels
                .into_iter()
                .filter(|s| names.contains(&s.name))
                .collect(),
            failed,
            ..Answer::ok()
        }
    }

    /// Starts one tunnel, unless one of that name runs already.
    fn start(&self, def: TunnelDef, context: &Context) {
        let mut tunnels = self.tunnels();
        if tunnels.get(&def.name).is_some_and(|entry| !entry.over) {
            return;
        }
        // Never reused: a stopped tunnel whose end AWS was slow to confirm may still send
        // events, and they must not land on a newer tunnel.
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let resolve = self.shared.resolve.clone();
        let (wanted, context) = (def.clone(), context.clone());
        let config: tunnel::TunnelConfig = Box::pin(async move {
            let (config, _) = resolve(wanted, context).await?;
            Ok(config)
        });
        let handle = tunnel::spawn(config, def.clone(), id, self.shared.events.clone());
        let mut entry = Entry {
            id,
            destination: def.remote(),
            gauges: handle.gauges.clone(),
            handle: Some(handle),
            def,
            started: Instant::now(),
            address: None,
            instance_id: None,
            problem: None,
            over: false,
            stopping: false,
            lines: VecDeque::new(),
            reported: State::Starting,
        };
        entry.note("starting".to_owned());
        tunnels.insert(entry.def.name.clone(), entry);
    }

    /// Waits until the tunnel can take connections: listening and (unless lazy) a session
    /// ready. `Err`: why it cannot.
    async fn first_ready(&self, name: &str) -> Result<(), String> {
        let mut changed = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + UP_PATIENCE;
        loop {
            {
                let tunnels = self.tunnels();
                let Some(entry) = tunnels.get(name) else {
                    return Err("it stopped".to_owned());
                };
                match entry.state() {
                    State::Up => return Ok(()),
                    State::Idle if entry.def.lazy => return Ok(()),
                    State::Stopped | State::Retrying => {
                        return Err(entry
                            .problem
                            .clone()
                            .unwrap_or_else(|| "it stopped".to_owned()));
                    }
                    _ => {}
                }
            }
            if tokio::time::timeout_at(deadline, changed.changed())
                .await
                .is_err()
            {
                return Err(format!(
                    "no session was ready within {} s",
                    UP_PATIENCE.as_secs()
                ));
            }
        }
    }

    /// Stops the tunnels named (or all), ending their sessions at AWS; the names stopped.
    pub async fn down(&self, names: &[String], all: bool) -> Answer {
        let chosen: Vec<String> = {
            let tunnels = self.tunnels();
            if all {
                tunnels.keys().cloned().collect()
            } else {
                if let Some(error) = unknown(&tunnels, names) {
                    return Answer::error(error);
                }
                names.to_vec()
            }
        };
        futures_util::future::join_all(chosen.iter().map(|name| self.stop(name))).await;
        self.publish_count();
        Answer {
            stopped: chosen,
            ..Answer::ok()
        }
    }

    /// Stops one tunnel, waits (a while) for its sessions to end at AWS, and forgets it.
    async fn stop(&self, name: &str) {
        let mut changed = self.shared.changed.subscribe();
        let handle = match self.tunnels().get_mut(name) {
            Some(entry) => {
                entry.stopping = true;
                entry.note("stopping".to_owned());
                self.report(entry);
                entry.handle.take()
            }
            None => return,
        };
        if let Some(handle) = &handle {
            handle.commands.send(TunnelCommand::Stop);
            let over = async {
                loop {
                    if self.tunnels().get(name).is_none_or(|entry| entry.over) {
                        return;
                    }
                    if changed.changed().await.is_err() {
                        return;
                    }
                }
            };
            let _ = tokio::time::timeout(DOWN_PATIENCE, over).await;
        }
        if let Some(mut entry) = self.tunnels().remove(name) {
            entry.over = true;
            self.report(&mut entry);
        }
        drop(handle);
    }

    /// Tells watchers of the tunnel's state if it changed.
    fn report(&self, entry: &mut Entry) {
        let state = entry.state();
        if state != entry.reported {
            entry.reported = state;
            let _ = self.shared.changes.send(entry.status());
        }
    }

    fn publish_count(&self) {
        let count = self.tunnels().len();
        self.shared.count.send_replace(count);
    }

    /// Follows every tunnel's events into its entry, and reports state changes.
    async fn follow(self, mut events: mpsc::Receiver<(u64, TunnelEvent)>) {
        while let Some((id, event)) = events.recv().await {
            let mut tunnels = self.tunnels();
            let Some(entry) = tunnels.values_mut().find(|entry| entry.id == id) else {
                continue;
            };
            match event {
                TunnelEvent::Listening {
                    local,
                    instance_id,
                    destination,
                } => {
                    entry.note(format!(
                        "listening on {local} -> {instance_id} -> {destination}"
                    ));
                    entry.address = Some(local.to_string());
                    entry.instance_id = Some(instance_id);
                    entry.destination = destination;
                }
                TunnelEvent::SessionReady { .. } => entry.problem = None,
                TunnelEvent::Said { session, text } => {
                    let label = session.to_string();
                    entry.note(if label.is_empty() {
                        text
                    } else {
                        format!("{} {text}", label.trim())
                    });
                }
                TunnelEvent::Problem(problem) => {
                    entry.note(format!("error: {problem}"));
                    entry.problem = Some(problem);
                }
                TunnelEvent::ClosedByService { words, .. } => {
                    entry.note(format!("the session ended: {words}"));
                }
                TunnelEvent::Accepted { .. } | TunnelEvent::DestinationFailed => {}
                TunnelEvent::Stopped(result) => {
                    if let Err(error) = result {
                        entry.note(format!("could not run: {error}"));
                        entry.problem = Some(error.to_string());
                    }
                    entry.over = true;
                }
            }
            self.report(entry);
            drop(tunnels);
            self.shared.changed.send_modify(|n| *n += 1);
        }
    }
}

/// What to say when some of `names` name no tunnel; `None` when each names one.
fn unknown(tunnels: &BTreeMap<String, Entry>, names: &[String]) -> Option<String> {
    let unknown: Vec<_> = names
        .iter()
        .filter(|name| !tunnels.contains_key(*name))
        .collect();
    (!unknown.is_empty()).then(|| not_running(&unknown))
}

/// "no background tunnel is named …", with the next step.
fn not_running<S: AsRef<str>>(names: &[S]) -> String {
    let names: Vec<_> = names
        .iter()
        .map(|name| format!("{:?}", name.as_ref()))
        .collect();
    format!(
        "no background tunnel is named {}: `bosun tunnel ls` lists them",
        names.join(", ")
    )
}
