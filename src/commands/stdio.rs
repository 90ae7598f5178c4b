//! Runs a driven session on this process's own terminal or pipes, the way the official plugin
//! does (PROTOCOL.md §5, §6.2): shell mode puts a TTY in raw mode, sends the size at start and
//! on every SIGWINCH, and forwards keystrokes; pipe mode (SSH ProxyCommand) is a byte-exact
//! copy. The terminal is restored on every exit path, panics included.

use std::io::{IsTerminal, Read, Write};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::protocol::{CloseReason, SessionInfo, SizeData};
use crate::services::session::{Driven, Ending};
use crate::term::asciicast::Recorder;
use crate::transport::{DriverEvent, Input, SessionEnd, TransportError};

/// How the session's bytes meet this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdioMode {
    /// Interactive shell: raw TTY, sizes, Enter as `\r`.
    Shell,
    /// A byte pipe (AWS-StartSSHSession and other non-LocalPortForwarding port sessions).
    Pipe,
}

impl StdioMode {
    /// The plugin's choice (PROTOCOL.md §6.1). `None` for LocalPortForwarding, which needs a
    /// local listener rather than stdin/stdout.
    pub fn for_session(info: &SessionInfo) -> Option<StdioMode> {
        if info.session_type != "Port" {
            return Some(StdioMode::Shell);
        }
        let local_forwarding =
            info.properties.get("type").and_then(|t| t.as_str()) == Some("LocalPortForwarding");
        (!local_forwarding).then_some(StdioMode::Pipe)
    }
}

/// What the user sees when the session closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosingMessage {
    /// The official plugin's lines on stdout (the AWS CLI's users expect them).
    Plugin,
    /// Nothing on stdout, which carries only the remote output; the service's reason, if it
    /// gave one, on stderr.
    Quiet,
}

/// How a stdio session ended.
#[derive(Debug)]
struct StdioOutcome {
    pub end: Result<SessionEnd, TransportError>,
    /// The remote exit code, when the session reported one (NonInteractiveCommands).
    pub exit_code: Option<i32>,
}

/// Runs a driven session on this process's terminal or pipes; returns its id and how it
/// ended, read the one way every caller reads it. `ready` is the session's Ready event when
/// the caller already took it (to choose between this and a local port).
pub async fn attach(
    driven: Driven,
    ready: Option<SessionInfo>,
    closing: ClosingMessage,
    recording: Option<Recording>,
) -> (String, Ending) {
    let session_id = driven.session_id.clone();
    let outcome = run(&session_id, closing, ready, driven, recording).await;
    let ending = Ending::of(&outcome.end, outcome.exit_code);
    (session_id, ending)
}

/// Waits for the session to become ready (the handshake is done: the session type and its
/// properties are known); how it ended if it never did.
pub async fn until_ready(driven: &mut Driven) -> Result<SessionInfo, Ending> {
    while let Some(event) = driven.events.recv().await {
        if let DriverEvent::Ready(info) = event {
            return Ok(info);
        }
    }
    Err(Ending::of(&join_driver(&mut driven.driver).await, None))
}

/// Writes stdout and stderr on a thread of its own, so that a slow terminal or a full pipe
/// never holds up the runtime: the shell, the SSH pipe and the plugin run on one thread, and
/// the session's reads, acks and timers must go on while a write waits. The queue is bounded:
/// a consumer that stops reading slows the session down, as it should.
struct Writer {
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

/// A recording of the session's output (`bosun shell --record`).
pub type Recording = Recorder<std::io::BufWriter<std::fs::File>>;

impl Writer {
    fn start(mut recording: Option<Recording>) -> Writer {
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

    async fn out(&self, bytes: Bytes) {
        let _ = self.queue.send(Written::Remote(Stream::Out, bytes)).await;
    }

    async fn err(&self, bytes: Bytes) {
        let _ = self.queue.send(Written::Remote(Stream::Err, bytes)).await;
    }

    async fn notice(&self, bytes: Bytes) {
        let _ = self.queue.send(Written::Notice(bytes)).await;
    }

    async fn resized(&self, size: SizeData) {
        let _ = self.queue.send(Written::Resize(size)).await;
    }

    /// Everything queued written and flushed.
    fn finish(self) {
        drop(self.queue);
        let _ = self.thread.join();
    }
}

/// The size the plugin reports when stdout is not a terminal.
const FALLBACK_SIZE: SizeData = SizeData {
    cols: 300,
    rows: 100,
};
const STDIN_CHUNK: usize = 16 * 1024;
/// Ctrl-D: the end of piped input becomes an end-of-file for the remote shell.
const END_OF_TRANSMISSION: u8 = 0x04;

/// Restores the terminal when dropped, and from the panic hook.
struct RawModeGuard;

impl RawModeGuard {
    fn enable() -> Option<RawModeGuard> {
        crossterm::terminal::enable_raw_mode().ok()?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |panic| {
            let _ = crossterm::terminal::disable_raw_mode();
            previous(panic);
        }));
        Some(RawModeGuard)
    }
}

impl Drop for RawModeGuard {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

pub(super) fn terminal_size() -> SizeData {
    if !std::io::stdout().is_terminal() {
        return FALLBACK_SIZE;
    }
    match crossterm::terminal::size() {
        Ok((cols, rows)) if cols > 0 && rows > 0 => SizeData {
            cols: u32::from(cols),
            rows: u32::from(rows),
        },
        _ => FALLBACK_SIZE,
    }
}

/// Reads stdin on a plain thread (a blocking read must not hold up the runtime at exit) and
/// forwards chunks; `None` marks end of input.
fn spawn_stdin_reader() -> mpsc::Receiver<Option<Bytes>> {
    let (tx, rx) = mpsc::channel(8);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = vec![0u8; STDIN_CHUNK];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) | Err(_) => {
                    let _ = tx.blocking_send(None);
                    return;
                }
                Ok(n) => {
                    if tx
                        .blocking_send(Some(Bytes::copy_from_slice(&buffer[..n])))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// The plugin rewrites a lone `\n` to `\r` (Enter) for keyboards. Only a TTY gets that:
/// piped and binary streams pass unchanged (PROTOCOL.md §8.11).
fn keyboard_chunk(chunk: Bytes, tty: bool) -> Bytes {
    if tty && chunk.as_ref() == b"\n" {
        Bytes::from_static(b"\r")
    } else {
        chunk
    }
}

/// Pumps stdin/stdout against a driven session until it ends.
async fn run(
    session_id: &str,
    closing: ClosingMessage,
    mut ready: Option<SessionInfo>,
    driven: Driven,
    recording: Option<Recording>,
) -> StdioOutcome {
    let Driven {
        input,
        mut events,
        driver,
        ..
    } = driven;
    let stdin_tty = std::io::stdin().is_terminal();
    let mut mode = None;
    let mut raw_mode: Option<RawModeGuard> = None;
    let mut exit_code = None;
    let mut said_reason: Option<String> = None;
    let mut stdin: Option<mpsc::Receiver<Option<Bytes>>> = None;
    let mut resize = resize_signal();
    // Set once piped stdin has ended: Ctrl-D is repeated until the session ends, because a
    // Ctrl-D that lands while the shell runs a command (the PTY in canonical mode) is lost
    // when the shell's line editor switches the PTY back to raw mode.
    let mut end_of_input: Option<tokio::time::Interval> = None;
    let writer = Writer::start(recording);
    let mut driver = driver;

    let end = loop {
        // The Ready the caller took first counts as the first event.
        let taken = ready.take().map(|info| Some(DriverEvent::Ready(info)));
        tokio::select! {
            event = async { match taken { Some(event) => event, None => events.recv().await } } => match event {
                Some(DriverEvent::Ready(info)) => {
                    let Some(chosen) = StdioMode::for_session(&info) else {
                        let _ = input.send(Input::Close).await;
                        break Ok(SessionEnd::Closed(crate::protocol::CloseReason::HandshakeFailed(
                            "LocalPortForwarding needs a local listener: use `bosun tunnel`".to_owned(),
                        )));
                    };
                    mode = Some(chosen);
                    if let Some(message) = &info.customer_message {
                        writer.out(Bytes::from(format!("{message}\n"))).await;
                    }
                    if chosen == StdioMode::Shell {
                        if stdin_tty {
                            raw_mode = RawModeGuard::enable();
                        }
                        let _ = input.send(Input::Size(terminal_size())).await;
                    }
                    stdin = Some(spawn_stdin_reader());
                }
                Some(DriverEvent::Output(bytes)) => writer.out(bytes).await,
                Some(DriverEvent::StdErr(bytes)) => writer.err(bytes).await,
                Some(DriverEvent::ExitCode(code)) => exit_code = Some(code),
                Some(DriverEvent::Reconnecting { attempt, reason }) => {
                    tracing::info!(attempt, %reason, "resuming");
                    // Said once per cause: the drop, then each new reason a resume fails for
                    // (expired credentials, a network that is gone), with the next step.
                    if mode == Some(StdioMode::Shell) && said_reason.as_ref() != Some(&reason) {
                        let notice = if attempt == 1 {
                            format!("\r\n[bosun] connection dropped ({reason}); resuming…\r\n")
                        } else {
                            format!("[bosun] still resuming (try {attempt}): {reason}\r\n")
                        };
                        writer.notice(Bytes::from(notice)).await;
                        said_reason = Some(reason);
                    }
                }
                Some(DriverEvent::Reconnected) => {
                    said_reason = None;
                    if mode == Some(StdioMode::Shell) {
                        writer.notice(Bytes::from_static(b"[bosun] resumed\r\n")).await;
                    }
                }
                Some(DriverEvent::Flag(flag)) => tracing::info!(?flag, "flag from the agent"),
                Some(DriverEvent::Warning(warning)) => tracing::warn!(%warning, "session warning"),
                None => break join_driver(&mut driver).await,
            },
            chunk = next_stdin(&mut stdin) => match chunk {
                Some(bytes) => {
                    let bytes = keyboard_chunk(bytes, stdin_tty);
                    if input.send(Input::Data(bytes)).await.is_err() {
                        break join_driver(&mut driver).await;
                    }
                }
                None => {
                    stdin = None;
                    match mode {
                        // ssh closed its end: the pipe is done (the plugin exits here too).
                        Some(StdioMode::Pipe) => {
                            let _ = input.send(Input::Close).await;
                            break join_driver(&mut driver).await;
                        }
                        // End of piped input: Ctrl-D lets the remote shell finish and exit,
                        // and its output keeps coming until then.
                        _ if !stdin_tty => {
                            end_of_input = Some(tokio::time::interval(Duration::from_secs(1)));
                        }
                        _ => {}
                    }
                }
            },
            _ = tick(&mut end_of_input) => {
                let _ = input.send(Input::Data(Bytes::from_static(&[END_OF_TRANSMISSION]))).await;
            }
            _ = recv_resize(&mut resize), if mode == Some(StdioMode::Shell) => {
                let size = terminal_size();
                writer.resized(size).await;
                let _ = input.send(Input::Size(size)).await;
            }
            result = &mut driver => break result.unwrap_or_else(|join| Ok(SessionEnd::Closed(
                crate::protocol::CloseReason::HandshakeFailed(format!("the session task failed: {join}")),
            ))),
        }
    };
    // Output the driver forwarded before it ended, all of it written before the terminal is
    // restored.
    while let Ok(event) = events.try_recv() {
        match event {
            DriverEvent::Output(bytes) => writer.out(bytes).await,
            DriverEvent::StdErr(bytes) => writer.err(bytes).await,
            DriverEvent::ExitCode(code) => exit_code = Some(code),
            _ => {}
        }
    }
    writer.finish();
    drop(raw_mode);
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    if let (Some(StdioMode::Shell), Ok(SessionEnd::Closed(CloseReason::ChannelClosed { output }))) =
        (mode, &end)
    {
        match (closing, output) {
            (ClosingMessage::Plugin, Some(text)) => {
                let _ = write!(stdout, "\n\nSessionId: {session_id} : {text}\n\n");
            }
            (ClosingMessage::Plugin, None) => {
                let _ = write!(
                    stdout,
                    "\n\nExiting session with sessionId: {session_id}.\n\n"
                );
            }
            (ClosingMessage::Quiet, Some(text)) => {
                let _ = writeln!(stderr, "{text}");
            }
            (ClosingMessage::Quiet, None) => {}
        }
        let _ = stdout.flush();
    }
    StdioOutcome { end, exit_code }
}

async fn join_driver(
    driver: &mut JoinHandle<Result<SessionEnd, TransportError>>,
) -> Result<SessionEnd, TransportError> {
    match tokio::time::timeout(Duration::from_secs(3), driver).await {
        Ok(Ok(result)) => result,
        _ => Ok(SessionEnd::Local),
    }
}

async fn tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn next_stdin(stdin: &mut Option<mpsc::Receiver<Option<Bytes>>>) -> Option<Bytes> {
    match stdin {
        Some(rx) => rx.recv().await.flatten(),
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
type ResizeSignal = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type ResizeSignal = Option<()>;

#[cfg(unix)]
fn resize_signal() -> ResizeSignal {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok()
}

#[cfg(not(unix))]
fn resize_signal() -> ResizeSignal {
    None
}

#[cfg(unix)]
async fn recv_resize(signal: &mut ResizeSignal) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn recv_resize(_signal: &mut ResizeSignal) {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(session_type: &str, properties: serde_json::Value) -> SessionInfo {
        SessionInfo {
            session_type: session_type.to_owned(),
            properties,
            ..SessionInfo::default()
        }
    }

    #[test]
    fn mode_follows_the_plugin() {
        assert_eq!(
            StdioMode::for_session(&info("Standard_Stream", serde_json::Value::Null)),
            Some(StdioMode::Shell)
        );
        assert_eq!(
            StdioMode::for_session(&info("Port", serde_json::json!({"portNumber": "22"}))),
            Some(StdioMode::Pipe)
        );
        assert_eq!(
            StdioMode::for_session(&info(
                "Port",
                serde_json::json!({"portNumber": "5432", "type": "LocalPortForwarding"})
            )),
            None
        );
    }

    #[test]
    fn only_a_keyboard_gets_the_enter_rewrite() {
        assert_eq!(
            keyboard_chunk(Bytes::from_static(b"\n"), true),
            Bytes::from_static(b"\r")
        );
        assert_eq!(
            keyboard_chunk(Bytes::from_static(b"\n"), false),
            Bytes::from_static(b"\n")
        );
        assert_eq!(
            keyboard_chunk(Bytes::from_static(b"a\n"), true),
            Bytes::from_static(b"a\n")
        );
    }
}
