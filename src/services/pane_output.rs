//! Pane output, one queue per pane. Each pane's session appends to its own bounded queue and
//! rings the console when the queue stops being empty; the console takes from the queues in
//! turn, a slice each. A flooding pane fills only its own queue (and then its session stops
//! reading, so backpressure reaches the agent), and a quiet pane's echo never waits behind it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

use crate::model::pane::PaneId;

/// Bytes a pane may have waiting for the console. Small on purpose: what waits here is what
/// an interrupt (ctrl-c) has to get past before its prompt shows.
pub const QUEUE_BYTES: usize = 64 * 1024;

#[derive(Default)]
struct Queue {
    chunks: Mutex<Waiting>,
    space: Notify,
}

#[derive(Default)]
struct Waiting {
    chunks: VecDeque<Bytes>,
    bytes: usize,
}

type Queues = Arc<Mutex<HashMap<PaneId, Arc<Queue>>>>;

/// Hands out each pane's sender; the console keeps the [`OutputTaker`].
#[derive(Clone)]
pub struct OutputHub {
    queues: Queues,
    doorbell: mpsc::UnboundedSender<PaneId>,
}

/// Why output was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum NotQueued {
    /// The pane's queue is full: wait for [`OutputSender::space`], then try again.
    Full(Bytes),
    /// The console is gone (quitting).
    Gone,
}

/// One pane's side: queue output, wait for room.
pub struct OutputSender {
    pane: PaneId,
    queue: Arc<Queue>,
    doorbell: mpsc::UnboundedSender<PaneId>,
}

/// The console's side: which panes have output, and a slice of it in turn.
pub struct OutputTaker {
    queues: Queues,
    doorbell: mpsc::UnboundedReceiver<PaneId>,
    /// Panes with output waiting, in the order they get their next turn.
    ready: VecDeque<PaneId>,
}

pub fn channel() -> (OutputHub, OutputTaker) {
    let queues = Queues::default();
    let (doorbell, rings) = mpsc::unbounded_channel();
    (
        OutputHub {
            queues: queues.clone(),
            doorbell,
        },
        OutputTaker {
            queues,
            doorbell: rings,
            ready: VecDeque::new(),
        },
    )
}

impl OutputHub {
    /// The sender for `pane` (its queue made on first use, kept across reconnects).
    pub fn sender(&self, pane: PaneId) -> OutputSender {
        let queue = self
            .queues
            .lock()
            .map(|mut queues| queues.entry(pane).or_default().clone())
            .unwrap_or_default();
        OutputSender {
            pane,
            queue,
            doorbell: self.doorbell.clone(),
        }
    }
}

impl OutputSender {
    /// Queues `bytes` when there is room; rings the console when the queue was empty (a
    /// queue with output already has its turn coming).
    pub fn try_send(&self, bytes: Bytes) -> Result<(), NotQueued> {
        if self.doorbell.is_closed() {
            return Err(NotQueued::Gone);
        }
        let Ok(mut waiting) = self.queue.chunks.lock() else {
            return Err(NotQueued::Gone);
        };
        if waiting.bytes >= QUEUE_BYTES {
            return Err(NotQueued::Full(bytes));
        }
        let was_empty = waiting.chunks.is_empty();
        waiting.bytes += bytes.len();
        waiting.chunks.push_back(bytes);
        drop(waiting);
        if was_empty {
            let _ = self.doorbell.send(self.pane);
        }
        Ok(())
    }

    /// Resolves once the console has taken some of this pane's output, or is gone.
    pub async fn space(&self) {
        let room = || {
            self.queue
                .chunks
                .lock()
                .map_or(true, |waiting| waiting.bytes < QUEUE_BYTES)
        };
        while !room() {
            tokio::select! {
                () = self.queue.space.notified() => {}
                () = self.doorbell.closed() => return,
            }
        }
    }
}

impl OutputTaker {
    /// Resolves when some pane has output waiting. Cancel-safe.
    pub async fn ready(&mut self) {
        if !self.ready.is_empty() {
            return;
        }
        if let Some(pane) = self.doorbell.recv().await {
            self.ring(pane);
        }
    }

    fn ring(&mut self, pane: PaneId) {
        if !self.ready.contains(&pane) {
            self.ready.push_back(pane);
        }
    }

    /// The next pane's turn: up to `slice` bytes of its output (at least one chunk). A pane
    /// with more waiting goes to the back of the line.
    pub fn take_turn(&mut self, slice: usize) -> Option<(PaneId, Vec<Bytes>)> {
        while let Ok(pane) = self.doorbell.try_recv() {
            self.ring(pane);
        }
        let pane = self.ready.pop_front()?;
        let taken = self.take(pane, slice);
        if self.has_waiting(pane) {
            self.ready.push_back(pane);
        }
        Some((pane, taken))
    }

    /// Everything `pane` has waiting (before its status changes, so that its last output
    /// lands first).
    pub fn drain(&mut self, pane: PaneId) -> Vec<Bytes> {
        self.ready.retain(|p| *p != pane);
        self.take(pane, usize::MAX)
    }

    /// Drops a closed pane's queue.
    pub fn forget(&mut self, pane: PaneId) {
        self.ready.retain(|p| *p != pane);
        if let Ok(mut queues) = self.queues.lock() {
            queues.remove(&pane);
        }
    }

    fn queue(&self, pane: PaneId) -> Option<Arc<Queue>> {
        self.queues.lock().ok()?.get(&pane).cloned()
    }

    fn has_waiting(&self, pane: PaneId) -> bool {
        self.queue(pane).is_some_and(|queue| {
            queue
                .chunks
                .lock()
                .is_ok_and(|waiting| !waiting.chunks.is_empty())
        })
    }

    fn take(&self, pane: PaneId, slice: usize) -> Vec<Bytes> {
        let Some(queue) = self.queue(pane) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        if let Ok(mut waiting) = queue.chunks.lock() {
            let mut size = 0;
            while let Some(chunk) = waiting.chunks.front() {
                if !taken.is_empty() && size + chunk.len() > slice {
                    break;
                }
                size += chunk.len();
                if let Some(chunk) = waiting.chunks.pop_front() {
                    taken.push(chunk);
                }
            }
            waiting.bytes -= size;
        }
        queue.space.notify_one();
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    /// A flooding pane and a quiet one: the quiet pane's output is taken on the next turn,
    /// however much the flooding one has waiting.
    #[tokio::test]
    async fn panes_take_turns() {
        let (hub, mut taker) = channel();
        let flood = hub.sender(1);
        let quiet = hub.sender(2);
        while flood.try_send(chunk(1024)).is_ok() {}
        quiet.try_send(Bytes::from_static(b"echo")).expect("room");
        taker.ready().await;
        let (first, taken) = taker.take_turn(16 * 1024).expect("a turn");
        assert_eq!(first, 1);
        assert_eq!(taken.iter().map(Bytes::len).sum::<usize>(), 16 * 1024);
        let (second, taken) = taker.take_turn(16 * 1024).expect("a turn");
        assert_eq!(second, 2, "the quiet pane is next, not after the flood");
        assert_eq!(taken, vec![Bytes::from_static(b"echo")]);
        let (third, _) = taker.take_turn(16 * 1024).expect("a turn");
        assert_eq!(third, 1, "the flood goes on after");
    }

    /// A full queue refuses with the bytes back, and has room once the console took some.
    #[tokio::test]
    async fn a_full_queue_waits_for_the_console() {
        let (hub, mut taker) = channel();
        let sender = hub.sender(7);
        let mut queued = 0;
        let refused = loop {
            match sender.try_send(chunk(4096)) {
                Ok(()) => queued += 4096,
                Err(NotQueued::Full(bytes)) => break bytes,
                Err(NotQueued::Gone) => panic!("the console is here"),
            }
        };
        assert_eq!(refused.len(), 4096);
        assert!(queued >= QUEUE_BYTES);
        let waiting = tokio::spawn(async move {
            sender.space().await;
            sender.try_send(refused).is_ok()
        });
        taker.ready().await;
        taker.take_turn(8192).expect("a turn");
        assert!(
            waiting.await.expect("joins"),
            "room after the console took some"
        );
    }

    /// Output taken to its end rings again when more comes; a drained or forgotten pane has
    /// no turn; without the console, senders hear it is gone.
    #[tokio::test]
    async fn rings_drains_and_goes() {
        let (hub, mut taker) = channel();
        let sender = hub.sender(3);
        sender.try_send(chunk(10)).expect("room");
        taker.ready().await;
        assert!(taker.take_turn(1024).is_some());
        assert!(taker.take_turn(1024).is_none(), "nothing waiting");
        sender.try_send(chunk(10)).expect("room");
        taker.ready().await;
        assert_eq!(taker.drain(3).len(), 1);
        assert!(taker.take_turn(1024).is_none());
        taker.forget(3);
        drop(taker);
        assert_eq!(sender.try_send(chunk(1)), Err(NotQueued::Gone));
        sender.space().await;
    }
}
