//! Long-lived tasks shared by the console and the CLI, all on one contract: a service is
//! spawned with what it needs and a sender for its typed events, and returns a [`Handle`]
//! that takes its typed commands. Channels that carry bytes are bounded, so backpressure
//! reaches the socket. Replies that answer a request carry the request's generation, and
//! [`Latest`] tells the runtime which one still counts.
//!
//! - [`session`] — the one way a session starts: StartSession, the driven WebSocket, and one
//!   mapping from a session's end to an exit code.
//! - [`sources`] — SDK configurations per profile and region, and the clients sessions use.
//! - [`inventory`] — the fleet refresher.
//! - [`lookups`] — the console's one-shot lookups (sessions, containers, history, a comparison,
//!   the doctor), answers tagged so a late one is dropped.
//! - [`pane`] — the session behind one console pane.
//! - [`pane_output`] — panes' output, one bounded queue per pane, taken in turn.
//! - [`runs`] — the one Run Command pipeline (`bosun run` and the console).
//! - [`tunnel`] — a local listener carried over port-forwarding sessions.
//! - [`tunnel_host`] — the background tunnels one per-user process keeps, and their local API.
//! - [`doctor`] — why a session to an instance would not start.
//! - [`rdp`] — the RDP client installed here.
//! - [`recordings`] — the recordings folder read, and the session history beside it.
//! - [`replay`] — a recording played in this terminal or a pane.

pub mod doctor;
pub mod file_view;
pub mod inventory;
pub mod lookups;
pub mod pane;
pub mod pane_output;
pub mod rdp;
pub mod recordings;
pub mod replay;
pub mod runs;
pub mod session;
pub mod sources;
pub mod transfer;
pub mod tunnel;
pub mod tunnel_host;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A running service: where its commands go, and its task.
pub struct Handle<C> {
    commands: mpsc::Sender<C>,
    task: JoinHandle<()>,
}

impl<C> Handle<C> {
    pub fn new(commands: mpsc::Sender<C>, task: JoinHandle<()>) -> Handle<C> {
        Handle { commands, task }
    }

    /// Hands a command over without waiting; false when the service is gone or its queue is
    /// full. For commands a newer one supersedes (a watched row, a size); one that must not
    /// be lost goes by `send_later`.
    pub fn send(&self, command: C) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// Hands a command over without waiting, or gives it back: full (the caller may hold it
    /// and wait for room, see `commands`) or gone.
    pub fn try_send(&self, command: C) -> Result<(), mpsc::error::TrySendError<C>> {
        self.commands.try_send(command)
    }

    /// Where the commands go, to wait for room in the queue.
    pub fn commands(&self) -> mpsc::Sender<C> {
        self.commands.clone()
    }

    /// Hands a command over, waiting for room in a task of its own: for a command that must
    /// not be lost even when the queue is full (Close).
    pub fn send_later(&self, command: C)
    where
        C: Send + 'static,
    {
        let commands = self.commands.clone();
        tokio::spawn(async move {
            let _ = commands.send(command).await;
        });
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the service where it stands.
    pub fn abort(&self) {
        self.task.abort();
    }

    /// The task, to await its end (closing panes and tunnels are waited for on quit).
    pub fn into_task(self) -> JoinHandle<()> {
        self.task
    }
}

/// Numbers requests so that only the newest one's answer counts, however late an older one
/// arrives: inventory loads after a profile switch, a switch overtaken by another, a watched
/// command replaced by a new one.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Latest(u64);

impl Latest {
    /// A new request: from now on only answers tagged with the returned number count.
    pub fn advance(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }

    pub fn current(self) -> u64 {
        self.0
    }

    pub fn is_current(self, generation: u64) -> bool {
        generation == self.0
    }
}

/// An answer tagged with the generation of the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Tagged<T> {
    pub generation: u64,
    pub value: T,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_request_counts() {
        let mut latest = Latest::default();
        let first = latest.advance();
        assert!(latest.is_current(first));
        let second = latest.advance();
        assert!(!latest.is_current(first), "an overtaken answer is dropped");
        assert!(latest.is_current(second));
        assert_eq!(latest.current(), second);
    }
}
