//! Connection plumbing both session drivers share: one live WebSocket with its writer task,
//! the single deadline timer, and the batch of frames taken from the socket's buffer in one
//! turn.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Frames taken straight from the socket's buffer before the driver looks at its other
/// inputs again.
pub(crate) const FRAMES_PER_TURN: u32 = 64;
/// Consecutive output messages are handed to the application joined up to this size.
pub const JOINED_OUTPUT_BYTES: usize = 64 * 1024;

/// One live WebSocket: a reader half polled by the driver and a writer task fed through a
/// bounded queue, so a slow socket write never stops the driver from reading (both ends
/// writing into full buffers at once would otherwise deadlock).
pub(crate) struct Connection<S = MaybeTlsStream<TcpStream>> {
    pub(crate) reader: futures_util::stream::SplitStream<WebSocketStream<S>>,
    pub(crate) writer: mpsc::Sender<WsMessage>,
    writer_task: JoinHandle<()>,
    /// Payload bytes of binary frames the writer has put on the socket.
    written: Arc<std::sync::atomic::AtomicU64>,
    newest_frame: Bytes,
}

impl<S> Connection<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    pub(crate) fn start(socket: WebSocketStream<S>, queue: usize) -> Connection<S> {
        let (mut sink, reader) = socket.split();
        let (writer, mut frames) = mpsc::channel::<WsMessage>(queue.max(1));
        let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = written.clone();
        let writer_task = tokio::spawn(async move {
            let count = |frame: &WsMessage| {
                if let WsMessage::Binary(bytes) = frame {
                    counter.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
                }
            };
            while let Some(frame) = frames.recv().await {
                count(&frame);
                if sink.feed(frame).await.is_err() {
                    return;
                }
                // Batch whatever is already queued into one flush.
                while let Ok(frame) = frames.try_recv() {
                    count(&frame);
                    if sink.feed(frame).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            // The plugin exits without a close frame; a polite close costs nothing.
            let _ = sink.close().await;
        });
        Connection {
            reader,
            writer,
            writer_task,
            written,
            newest_frame: Bytes::new(),
        }
    }

    // tungstenite slices each frame out of its read buffer and then reserves room for the
    // next one; how `BytesMut::reserve` answers decides how much the next `recv` may read.
    // While frames we still hold share the buffer, it allocates a new one of the buffer's
    // original capacity: 64 KiB on a server socket, but zero on a client socket
    // (tokio-tungstenite builds that buffer from the handshake's leftovers), so every `recv`
    // there reads one or two frames. When no frame shares it, it takes the whole buffer
    // back. Hence one rule per side; measured over 256 MiB, the client's `recv` calls fell
    // from 131,000 to 2,800 and the simulator's from 34,000 to 7,000.

    /// Server side: holds on to the newest frame until the next one, so the read buffer is
    /// always shared and renewed at 64 KiB.
    pub(crate) fn keep_read_buffer_shared(&mut self, frame: &Bytes) {
        self.newest_frame = frame.clone();
    }

    /// Binary payload bytes written to the socket so far.
    pub(crate) fn bytes_written(&self) -> u64 {
        self.written.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Lets the writer send what is queued, then closes the socket.
    pub(crate) async fn finish(&mut self) {
        // Swapping in a closed sender ends the writer's queue.
        let (closed, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.writer, closed));
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.writer_task).await;
    }

    pub(crate) fn abort(&mut self) {
        self.writer_task.abort();
    }
}

/// One timer for a session's deadlines, moved only when the deadline changes: a new `Sleep`
/// per loop turn would register and cancel a timer for every frame.
pub(crate) struct DeadlineTimer {
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    armed: Option<Instant>,
}

impl DeadlineTimer {
    pub(crate) fn new() -> DeadlineTimer {
        DeadlineTimer {
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: None,
        }
    }

    /// Points the timer at `deadline` (nothing fires while it is `None`).
    pub(crate) fn arm(&mut self, deadline: Option<Instant>) {
        if deadline != self.armed
            && let Some(at) = deadline
        {
            self.sleep
                .as_mut()
                .reset(tokio::time::Instant::from_std(at));
        }
        self.armed = deadline;
    }

    /// Resolves at the armed deadline; never while none is armed. Once it has fired, the
    /// next `arm` sets it again even to the same instant.
    pub(crate) async fn fired(&mut self) {
        if self.armed.is_none() {
            return std::future::pending().await;
        }
        (&mut self.sleep).await;
        self.armed = None;
    }
}

/// Frames already read off the socket, taken back to back without a `select!`, at most
/// `FRAMES_PER_TURN` in a row: at speed one read brings many, and their events and acks then
/// go out together (joined output, one flush) when the batch ends.
#[derive(Default)]
pub(crate) struct FrameBatch {
    taken: u32,
}

type FrameResult = Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>;

impl FrameBatch {
    /// The next frame if one is ready at once; `None` ends the batch, and the caller looks
    /// at its other inputs. A closed session ends it too: its end must be reported before
    /// whatever the socket does next.
    pub(crate) fn next<S>(
        &mut self,
        connection: &mut Connection<S>,
        session_closed: bool,
    ) -> Option<FrameResult>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        if self.taken < FRAMES_PER_TURN
            && !session_closed
            && let Some(frame) = connection.reader.next().now_or_never()
        {
            self.taken += 1;
            return Some(frame);
        }
        self.taken = 0;
        None
    }
}
