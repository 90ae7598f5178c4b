//! The simulated agent's port sessions (docs/protocol.md §7): an smux v1 server (one destination
//! connection per stream, ConnectToPortError when the dial fails) or basic mode (one
//! connection at a time, re-dialled after DisconnectToPort), and the SSH byte pipe.
//! Destinations are loopback only.

use std::net::SocketAddr;

use async_smux::MuxBuilder;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::AgentPacing;
use crate::protocol::{Event, PortFlag};
use crate::transport::agent::AgentInput;

const REAL_CHUNK: usize = super::Pacer::CHUNK;
const FAST_CHUNK: usize = 64 * 1024;

/// Counts the streams a multiplexed session accepts, by session, in the simulator's request
/// counts (`stream@SESSION`): where a client's connections went.
#[derive(Clone)]
pub(crate) struct StreamTally {
    state: std::sync::Arc<super::SimState>,
    key: String,
}

impl StreamTally {
    pub(crate) fn new(state: std::sync::Arc<super::SimState>, session_id: &str) -> StreamTally {
        StreamTally {
            state,
            key: format!("stream@{session_id}"),
        }
    }

    fn add(&self) {
        self.state.count(&self.key);
    }
}

impl std::fmt::Debug for StreamTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key)
    }
}

/// What a port session was asked to reach, and how.
#[derive(Debug, Clone)]
pub(crate) struct PortPlan {
    /// `None` when the requested host is not one the simulator may dial.
    pub destination: Option<SocketAddr>,
    pub multiplexed: bool,
    /// LocalPortForwarding keeps the session when the destination closes; the SSH pipe ends.
    pub local_forwarding: bool,
    pub pacing: AgentPacing,
    pub streams: StreamTally,
}

pub(crate) async fn run(
    plan: PortPlan,
    events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    if plan.multiplexed {
        run_mux(plan, events, output).await;
    } else {
        run_basic(plan, events, output).await;
    }
}

/// Sends bytes read from `reader` to the client, paced like the real agent when asked.
async fn forward_to_client<R: tokio::io::AsyncRead + Unpin>(
    mut reader: R,
    output: &mpsc::Sender<AgentInput>,
    pacing: AgentPacing,
) {
    let chunk = if pacing == AgentPacing::Real {
        REAL_CHUNK
    } else {
        FAST_CHUNK
    };
    let mut buffer = BytesMut::with_capacity(chunk);
    let mut pacer = super::Pacer::new();
    loop {
        // Read straight into a buffer whose filled part is handed on without a copy.
        if buffer.capacity() < chunk {
            buffer = BytesMut::with_capacity(chunk);
        }
        match (&mut reader).take(chunk as u64).read_buf(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let bytes = buffer.split().freeze();
                if output.send(AgentInput::Output(bytes)).await.is_err() {
                    return;
                }
                if pacing == AgentPacing::Real {
                    pacer.wait().await;
                }
            }
        }
    }
}

async fn run_mux(
    plan: PortPlan,
    mut events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    // smux runs over an in-memory pipe whose other end is the data channel's byte stream. With
    // real pacing the pipe holds what the real agent's smux receive buffer holds: 4 MiB.
    let buffer = if plan.pacing == AgentPacing::Real {
        4 * 1024 * 1024
    } else {
        256 * 1024
    };
    let (mux_side, channel_side) = tokio::io::duplex(buffer);
    let (_connector, mut acceptor, worker) = MuxBuilder::server().with_connection(mux_side).build();
    tokio::spawn(worker);
    let (channel_read, mut channel_write) = tokio::io::split(channel_side);
    let to_client = output.clone();
    let pacing = plan.pacing;
    tokio::spawn(async move { forward_to_client(channel_read, &to_client, pacing).await });

    let flags = output.clone();
    let destination = plan.destination;
    let streams = plan.streams.clone();
    tokio::spawn(async move {
        while let Some(mut stream) = acceptor.accept().await {
            streams.add();
            let flags = flags.clone();
            tokio::spawn(async move {
                let dialed = match destination {
                    Some(addr) => TcpStream::connect(addr).await.ok(),
                    None => None,
                };
                match dialed {
                    Some(mut tcp) => {
                        let _ = tcp.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional_with_sizes(
                            &mut stream,
                            &mut tcp,
                            FAST_CHUNK,
                            FAST_CHUNK,
                        )
                        .await;
                    }
                    None => {
                        let _ = flags
                            .send(AgentInput::Flag(PortFlag::ConnectToPortError))
                            .await;
                        let _ = stream.shutdown().await;
                    }
                }
            });
        }
    });

    while let Some(event) = events.recv().await {
        match event {
            Event::Output(bytes) if channel_write.write_all(&bytes).await.is_err() => break,
            Event::Flag(PortFlag::TerminateSession) => {
                let _ = output.send(AgentInput::Close(None)).await;
                return;
            }
            Event::Closed(_) => return,
            _ => {}
        }
    }
}

async fn run_basic(
    plan: PortPlan,
    mut events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    let mut writer: Option<tokio::net::tcp::OwnedWriteHalf> = None;
    let mut reader_task: Option<tokio::task::JoinHandle<()>> = None;
    while let Some(event) = events.recv().await {
        match event {
            Event::Output(bytes) => {
                if writer.is_none() {
                    let dialed = match plan.destination {
                        Some(addr) => TcpStream::connect(addr).await.ok(),
                        None => None,
                    };
                    let Some(tcp) = dialed else {
                        let _ = output
                            .send(AgentInput::Flag(PortFlag::ConnectToPortError))
                            .await;
                        if !plan.local_forwarding {
                            let _ = output
                                .send(AgentInput::Close(Some(
                                    "Unable to connect to the destination port".into(),
                                )))
                                .await;
                            return;
                        }
                        continue;
                    };
                    let _ = tcp.set_nodelay(true);
                    let (read_half, write_half) = tcp.into_split();
                    let to_client = output.clone();
                    let (pacing, ends_session) = (plan.pacing, !plan.local_forwarding);
                    reader_task = Some(tokio::spawn(async move {
                        forward_to_client(read_half, &to_client, pacing).await;
                        // The SSH pipe ends with its destination; port forwarding waits for
                        // the next connection's data (docs/protocol.md §7.2, §7.4).
                        if ends_session {
                            let _ = to_client.send(AgentInput::Close(None)).await;
                        }
                    }));
                    writer = Some(write_half);
                }
                if let Some(w) = writer.as_mut()
                    && w.write_all(&bytes).await.is_err()
                {
                    writer = None;
                }
            }
            Event::Flag(PortFlag::DisconnectToPort) => {
                writer = None;
                if let Some(task) = reader_task.take() {
                    task.abort();
                }
            }
            Event::Flag(PortFlag::TerminateSession) => {
                let _ = output.send(AgentInput::Close(None)).await;
                return;
            }
            Event::Closed(_) => return,
            _ => {}
        }
    }
    if let Some(task) = reader_task {
        task.abort();
    }
}
