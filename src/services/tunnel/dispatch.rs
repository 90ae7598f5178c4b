//! How accepted connections reach a tunnel's sessions: each ready session registers, and the
//! acceptor hands every connection to the one carrying the fewest; connections queued on a
//! session that ends go to another rather than being closed.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};

use super::TunnelGauges;
use super::local::{LocalListener, LocalStream};

/// A session ready for connections, and how many it carries.
pub(super) struct Slot {
    id: u64,
    connections: mpsc::Sender<LocalStream>,
    active: Arc<AtomicUsize>,
}

/// Accepted connections go to the ready session with the fewest active ones; while no
/// session is ready they wait, as they would in the listen backlog.
#[derive(Clone, Default)]
pub(super) struct Dispatch {
    pub(super) stats: Arc<TunnelGauges>,
    slots: Arc<Mutex<Vec<Slot>>>,
    registered: Arc<Notify>,
    next_id: Arc<AtomicU64>,
    /// Connections a session was handed but ended before taking: dispatched again.
    returned: Arc<Mutex<Vec<LocalStream>>>,
    /// How many accepted connections wait for a session: what wakes a lazy tunnel.
    waiting: Arc<watch::Sender<usize>>,
}

/// A session's place in the dispatch: connections arrive on `connections`; dropping it
/// leaves the dispatch.
pub(super) struct Registration {
    pub(super) connections: mpsc::Receiver<LocalStream>,
    active: Arc<AtomicUsize>,
    id: u64,
    pub(super) dispatch: Dispatch,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.dispatch.slots.lock() {
            slots.retain(|slot| slot.id != self.id);
        }
        // Connections still queued here never became active: uncount them and hand them to
        // another session rather than closing them.
        let mut queued = Vec::new();
        while let Ok(local) = self.connections.try_recv() {
            self.active.fetch_sub(1, Ordering::Relaxed);
            self.dispatch.stats.active.fetch_sub(1, Ordering::Relaxed);
            queued.push(local);
        }
        if !queued.is_empty() {
            if let Ok(mut returned) = self.dispatch.returned.lock() {
                returned.extend(queued);
            }
            self.dispatch.registered.notify_waiters();
        }
    }
}

/// Counts a connection as active (on its session and on the tunnel) until dropped.
pub(super) struct ActiveConnection(Arc<AtomicUsize>, Arc<TunnelGauges>);

impl ActiveConnection {
    pub(super) fn of(registration: &Registration) -> ActiveConnection {
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
    /// A dispatch that counts on `stats`.
    pub(super) fn new(stats: Arc<TunnelGauges>) -> Dispatch {
        Dispatch {
            stats,
            ..Dispatch::default()
        }
    }

    pub(super) fn register(&self) -> Registration {
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
    fn choose(&self) -> Option<(mpsc::Sender<LocalStream>, Arc<AtomicUsize>)> {
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

    /// Resolves once a connection waits for a session (at once if one does already).
    pub(super) async fn demanded(&self) {
        let mut waiting = self.waiting.subscribe();
        let _ = waiting.wait_for(|waiting| *waiting > 0).await;
    }

    /// Connections waiting for a session now.
    pub(super) fn waiting(&self) -> usize {
        *self.waiting.borrow()
    }

    /// A connection handed back by a session that ended, if any.
    fn take_returned(&self) -> Option<LocalStream> {
        self.returned.lock().ok()?.pop()
    }

    pub(super) async fn accept(self, listener: LocalListener) {
        loop {
            let mut local = match self.take_returned() {
                Some(local) => local,
                None => {
                    let registered = self.registered.notified();
                    tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok(local) => local,
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
            // Counted as waiting while no session takes it: a lazy tunnel starts one.
            let mut counted_waiting = false;
            loop {
                let registered = self.registered.notified();
                match self.choose() {
                    Some((sender, active)) => {
                        // Counted before it is handed over: the session may finish with it
                        // before this task runs again.
                        self.count();
                        match sender.send(local).await {
                            Ok(()) => {
                                if counted_waiting {
                                    self.waiting.send_modify(|waiting| *waiting -= 1);
                                }
                                break;
                            }
                            Err(returned) => {
                                // That session just ended: try another.
                                active.fetch_sub(1, Ordering::Relaxed);
                                self.stats.active.fetch_sub(1, Ordering::Relaxed);
                                self.stats.connections.fetch_sub(1, Ordering::Relaxed);
                                local = returned.0;
                            }
                        }
                    }
                    None => {
                        if !counted_waiting {
                            counted_waiting = true;
                            self.waiting.send_modify(|waiting| *waiting += 1);
                        }
                        // No session is ready: wait for one (or a moment, in case it ended).
                        let _ = tokio::time::timeout(Duration::from_millis(200), registered).await;
                    }
                }
            }
        }
    }
}
