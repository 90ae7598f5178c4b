//! Old agents' port forwarding (docs/protocol.md §7.4): one local connection at a time over the
//! session, DisconnectToPort when it is over, and the replies to a half-closed exchange
//! drained until the agent has been quiet for a moment.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::dispatch::{ActiveConnection, Registration};
use super::local::WriteHalf;
use super::{CHUNK, Ended, PortSession, Reporter, Resuming, SessionNumber, read_chunk};
use crate::protocol::PortFlag;
use crate::transport::{DriverEvent, Input};

/// After the local client half-closes in basic mode, replies keep flowing until the agent has
/// been quiet this long: basic mode has no end-of-stream from the destination, and cutting at
/// once (as the official plugin does) loses the tail of every half-closed exchange.
const BASIC_DRAIN_QUIET: Duration = Duration::from_secs(1);

/// Old agents: one local connection at a time; DisconnectToPort when it is over.
pub(super) async fn serve_basic(
    registration: &mut Registration,
    session: &mut PortSession,
    say: &Reporter,
    label: SessionNumber,
) -> Ended {
    let stats = registration.dispatch.stats.clone();
    let mut resuming = Resuming::new(stats.clone());
    // Output is written through a buffer, flushed whenever no more output is waiting: a
    // download then reaches the local client in large writes, not one per message.
    let mut current: Option<(
        tokio::io::BufWriter<WriteHalf>,
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
                let Some(local) = accepted else { continue };
                let active = ActiveConnection::of(registration);
                say.accepted(&session.session_id, local.peer());
                let (mut read, write) = local.into_split();
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
                    say.say(label, "the agent could not connect to the destination port");
                    say.destination_failed();
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
                    return Ended::of(&mut session.driver).await;
                }
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
