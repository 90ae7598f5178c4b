//! stdout and stderr written on a thread of their own, so that a slow terminal or a full pipe
//! never holds up the runtime: the shell, the SSH pipe and the plugin run on one thread, and
//! the session's reads, acks and timers must go on while a write waits. The queue is bounded:
//! a consumer that stops reading slows the session down, as it should.

use std::io::Write;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::protocol::SizeData;
use crate::term::asciicast::Recorder;

/// A recording of the session's output (`bosun shell --record`).
pub type Recording = Recorder<std::io::BufWriter<std::fs::File>>;

pub(super) struct Writer {
    queue: mpsc::Sender<Written>,
    thread: std::thread::JoinHandle<()>,
}

/// What the writer thread is given.
enum Written {
    /// What the instance sent, to stdout or stderr (and the recording).
    Remote(Stream, Bytes),
    /// bosun's own notices, to stderr only.
    Notice(Bytes),
    /// The terminal's new size, for the recording.
    Resize(SizeData),
}

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

impl Writer {
    pub(super) fn start(mut recording: Option<Recording>) -> Writer {
        let (queue, mut written) = mpsc::channel::<Written>(64);
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut stdout = std::io::stdout();
            let mut stderr = std::io::stderr();
            while let Some(item) = written.blocking_recv() {
                match item {
                    Written::Remote(stream, bytes) => {
                        let target: &mut dyn Write = match stream {
                            Stream::Out => &mut stdout,
                            Stream::Err => &mut stderr,
                        };
                        let _ = target.write_all(&bytes);
                        if let Some(recorder) = &mut recording
                            && recorder.output(started.elapsed(), &bytes).is_err()
                        {
                            recording = None;
                        }
                    }
                    Written::Notice(bytes) => {
                        // What the remote side wrote shows first.
                        let _ = stdout.flush();
                        let _ = stderr.write_all(&bytes);
                    }
                    Written::Resize(size) => {
                        if let Some(recorder) = &mut recording {
                            let cols = u16::try_from(size.cols).unwrap_or(u16::MAX);
                            let rows = u16::try_from(size.rows).unwrap_or(u16::MAX);
                            let _ = recorder.resize(started.elapsed(), cols, rows);
                        }
                    }
                }
                // Flushed once nothing more waits: bursts go out in one write.
                if written.is_empty() {
                    let _ = stdout.flush();
                    let _ = stderr.flush();
                }
            }
            let _ = stdout.flush();
            let _ = stderr.flush();
            if let Some(recorder) = recording {
                let _ = recorder.finish();
            }
        });
        Writer { queue, thread }
    }

    pub(super) async fn out(&self, bytes: Bytes) {
        let _ = self.queue.send(Written::Remote(Stream::Out, bytes)).await;
    }

    pub(super) async fn err(&self, bytes: Bytes) {
        let _ = self.queue.send(Written::Remote(Stream::Err, bytes)).await;
    }

    pub(super) async fn notice(&self, text: impl Into<Bytes>) {
        let _ = self.queue.send(Written::Notice(text.into())).await;
    }

    pub(super) async fn resized(&self, size: SizeData) {
        let _ = self.queue.send(Written::Resize(size)).await;
    }

    /// Everything queued written and flushed. A terminal that takes nothing (gone with a
    /// hang-up, stopped with ctrl-s) is not waited for past `patience`: the session still has
    /// to be ended at AWS.
    pub(super) fn finish(self, patience: std::time::Duration) {
        drop(self.queue);
        let deadline = std::time::Instant::now() + patience;
        while !self.thread.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if self.thread.is_finished() {
            let _ = self.thread.join();
        }
    }
}
