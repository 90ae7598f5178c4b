//! Runs a driven session on this process's own terminal or pipes, the way the official plugin
//! does (docs/protocol.md §6, §7.2): shell mode puts a TTY in raw mode, sends the size at start and
//! on every SIGWINCH, and forwards keystrokes; pipe mode (SSH ProxyCommand) is a byte-exact
//! copy. A keyboard has ssh's escapes (`~.` leaves whatever the connection's state, `~?`
//! lists them); a signal (SIGTERM, SIGHUP, SIGQUIT) restores the terminal and ends the
//! session; the terminal is restored on every exit path, panics included.

mod resume;
mod terminal;
mod writer;

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::task::JoinHandle;

use self::resume::ResumeNotice;
pub(super) use self::terminal::terminal_size;
use self::terminal::{RawModeGuard, keyboard_chunk, next_stdin, recv_resize, resize_signal};
pub use self::writer::Recording;
use self::writer::Writer;
use crate::protocol::{CloseReason, SessionInfo};
use crate::services::session::{Driven, Ending, InputTrail};
use crate::signals::{Leave, Signals};
use crate::term::escape::{EscapeChar, EscapeReader, Typed};
use crate::transport::{DriverConfig, DriverEvent, Input, SessionEnd, TransportError};

/// How the session's bytes meet this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdioMode {
    /// Interactive shell: raw TTY, sizes, Enter as `\r`.
    Shell,
    /// A byte pipe (AWS-StartSSHSession and other non-LocalPortForwarding port sessions).
    Pipe,
}

impl StdioMode {
    /// The plugin's choice (docs/protocol.md §7.1). `None` for LocalPortForwarding, which needs a
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
    /// Nothing on stdout, which carries only the remote output; the caller says how it ended.
    Quiet,
}

/// How a session meets this terminal besides its bytes.
pub struct Attach {
    pub closing: ClosingMessage,
    pub recording: Option<Recording>,
    /// The escape character a keyboard's typing is read for.
    pub escape: EscapeChar,
    /// The signals that end the session, taken before it started.
    pub signals: Signals,
}

/// Ctrl-D: the end of piped input becomes an end-of-file for the remote shell.
const END_OF_TRANSMISSION: u8 = 0x04;
/// How long a driver is given to finish once this side has decided to leave (it may be stuck
/// resuming); TerminateSession ends the session at AWS after.
const LEAVING_PATIENCE: Duration = Duration::from_secs(1);

/// Why the pump stopped.
enum Stop {
    /// The driver ended (or the input ended on a pipe).
    Ended(Result<SessionEnd, TransportError>),
    /// The user typed the escape that leaves.
    Escaped,
    Signalled(Leave),
}

/// Runs a driven session on this process's terminal or pipes; returns its id and how it
/// ended, read the one way every caller reads it. `ready` is the session's Ready event when
/// the caller already took it (to choose between this and a local port).
pub async fn attach(
    driven: Driven,
    ready: Option<SessionInfo>,
    options: Attach,
) -> (String, Ending) {
    let session_id = driven.session_id.clone();
    let ending = run(&session_id, ready, driven, options).await;
    (session_id, ending)
}

/// Waits for the session to become ready (the handshake is done: the session type and its
/// properties are known); how it ended if it never did, or the signal that came first (the
/// caller ends the session at AWS, as after it began).
pub async fn until_ready(
    driven: &mut Driven,
    signals: &mut Signals,
) -> Result<SessionInfo, Ending> {
    loop {
        tokio::select! {
            event = driven.events.recv() => match event {
                Some(DriverEvent::Ready(info)) => return Ok(info),
                Some(_) => {}
                None => break,
            },
            leave = signals.next() => {
                driven.driver.abort();
                return Err(Ending::Signalled {
                    signal: leave.name(),
                    status: leave.exit_status(),
                });
            }
        }
    }
    Err(Ending::of(&join_driver(&mut driven.driver).await, None))
}

/// Pumps stdin/stdout against a driven session until it ends, the user leaves or a signal
/// comes.
async fn run(
    session_id: &str,
    mut ready: Option<SessionInfo>,
    driven: Driven,
    options: Attach,
) -> Ending {
    let Attach {
        closing,
        recording,
        escape,
        mut signals,
    } = options;
    let Driven {
        input,
        mut events,
        mut driver,
        ..
    } = driven;
    let stdin_tty = std::io::stdin().is_terminal();
    // Only a keyboard has escapes; piped input is passed as it is.
    let escape = if stdin_tty { escape } else { EscapeChar::NONE };
    let mut escapes = EscapeReader::new(escape);
    let mut notice = ResumeNotice::new(
        std::io::stderr().is_terminal(),
        DriverConfig::default().resume_for,
        escape.byte().map(|_| format!("{}.", escape.shown())),
    );
    let mut mode = None;
    let mut raw_mode: Option<RawModeGuard> = None;
    let mut exit_code = None;
    let mut trail = InputTrail::default();
    let mut stdin = None;
    let mut resize = resize_signal();
    // Set once piped stdin has ended: Ctrl-D is repeated until the session ends, because a
    // Ctrl-D that lands while the shell runs a command (the PTY in canonical mode) is lost
    // when the shell's line editor switches the PTY back to raw mode.
    let mut end_of_input: Option<tokio::time::Interval> = None;
    let mut countdown = tokio::time::interval(Duration::from_secs(1));
    let writer = Writer::start(recording);

    let stop = 'session: loop {
        // The Ready the caller took first counts as the first event.
        let taken = ready.take().map(|info| Some(DriverEvent::Ready(info)));
        tokio::select! {
            leave = signals.next() => break Stop::Signalled(leave),
            event = async { match taken { Some(event) => event, None => events.recv().await } } => match event {
                Some(DriverEvent::Ready(info)) => {
                    let Some(chosen) = StdioMode::for_session(&info) else {
                        let _ = input.send(Input::Close).await;
                        break Stop::Ended(Ok(SessionEnd::Closed(CloseReason::HandshakeFailed(
                            "LocalPortForwarding needs a local listener: use `bosun tunnel`".to_owned(),
                        ))));
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
                    stdin = Some(terminal::spawn_stdin_reader());
                }
                Some(DriverEvent::Output(bytes)) => writer.out(bytes).await,
                Some(DriverEvent::StdErr(bytes)) => writer.err(bytes).await,
                Some(DriverEvent::ExitCode(code)) => exit_code = Some(code),
                Some(DriverEvent::Reconnecting { attempt, reason }) => {
                    tracing::info!(attempt, %reason, "resuming");
                    if mode == Some(StdioMode::Shell)
                        && let Some(text) = notice.reconnecting(attempt, reason, Instant::now())
                    {
                        writer.notice(text).await;
                    }
                }
                Some(DriverEvent::Reconnected) => {
                    let text = notice.reconnected();
                    if mode == Some(StdioMode::Shell) {
                        writer.notice(text).await;
                    }
                }
                Some(DriverEvent::Flag(flag)) => tracing::info!(?flag, "flag from the agent"),
                Some(DriverEvent::Warning(warning)) => tracing::warn!(%warning, "session warning"),
                None => break Stop::Ended(join_driver(&mut driver).await),
            },
            chunk = next_stdin(&mut stdin) => match chunk {
                Some(bytes) => {
                    for typed in escapes.feed(&bytes) {
                        match typed {
                            Typed::Data(data) => {
                                let data = keyboard_chunk(Bytes::from(data), stdin_tty);
                                trail.typed(&data, Instant::now());
                                if input.send(Input::Data(data)).await.is_err() {
                                    break 'session Stop::Ended(join_driver(&mut driver).await);
                                }
                            }
                            Typed::Help => writer.notice(escape.help()).await,
                            Typed::Leave => break 'session Stop::Escaped,
                        }
                    }
                }
                None => {
                    stdin = None;
                    match mode {
                        // ssh closed its end: the pipe is done (the plugin exits here too).
                        Some(StdioMode::Pipe) => {
                            let _ = input.send(Input::Close).await;
                            break Stop::Ended(join_driver(&mut driver).await);
                        }
                        // End of piped input: Ctrl-D lets the remote shell finish and exit,
                        // and its output keeps coming until then.
                        _ if !stdin_tty => {
                            trail.typed(&[END_OF_TRANSMISSION], Instant::now());
                            end_of_input = Some(tokio::time::interval(Duration::from_secs(1)));
                        }
                        _ => {}
                    }
                }
            },
            _ = tick(&mut end_of_input) => {
                trail.typed(&[END_OF_TRANSMISSION], Instant::now());
                let _ = input.send(Input::Data(Bytes::from_static(&[END_OF_TRANSMISSION]))).await;
            }
            _ = countdown.tick(), if notice.resuming() => {
                if let Some(text) = notice.tick(Instant::now()) {
                    writer.notice(text).await;
                }
            }
            _ = recv_resize(&mut resize), if mode == Some(StdioMode::Shell) => {
                let size = terminal_size();
                writer.resized(size).await;
                let _ = input.send(Input::Size(size)).await;
            }
            result = &mut driver => break Stop::Ended(result.unwrap_or_else(|join| Ok(SessionEnd::Closed(
                CloseReason::HandshakeFailed(format!("the session task failed: {join}")),
            )))),
        }
    };
    let closed_at = Instant::now();
    let end = match stop {
        Stop::Ended(end) => Ok(end),
        Stop::Escaped => Err(Ending::Escaped),
        Stop::Signalled(leave) => Err(Ending::Signalled {
            signal: leave.name(),
            status: leave.exit_status(),
        }),
    };
    if end.is_err() {
        // Leaving from this side: the driver is told, but not waited for long (it may be
        // stuck resuming); the caller ends the session at AWS.
        let _ = input.try_send(Input::Close);
        drop(input);
        if tokio::time::timeout(LEAVING_PATIENCE, &mut driver)
            .await
            .is_err()
        {
            driver.abort();
        }
    }
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
    if notice.resuming() && mode == Some(StdioMode::Shell) {
        writer.notice("\r\n").await;
    }
    writer.finish(Duration::from_secs(2));
    drop(raw_mode);
    let end = match end {
        Ok(end) => end,
        Err(ending) => return ending,
    };
    let interactive = stdin_tty && mode == Some(StdioMode::Shell);
    let ending = if interactive {
        Ending::of_interactive(&end, exit_code, &trail, closed_at)
    } else {
        Ending::of(&end, exit_code)
    };
    if let (
        Some(StdioMode::Shell),
        ClosingMessage::Plugin,
        Ok(SessionEnd::Closed(CloseReason::ChannelClosed { output })),
    ) = (mode, closing, &end)
    {
        let mut stdout = std::io::stdout();
        let _ = match output {
            Some(text) => write!(stdout, "\n\nSessionId: {session_id} : {text}\n\n"),
            None => write!(
                stdout,
                "\n\nExiting session with sessionId: {session_id}.\n\n"
            ),
        };
        let _ = stdout.flush();
    } else if let (
        ClosingMessage::Quiet,
        Ending::Finished { .. },
        Ok(SessionEnd::Closed(CloseReason::ChannelClosed { output: Some(text) })),
    ) = (closing, &ending, &end)
    {
        // The service's own words on a close that is not the remote side's doing.
        say!("{text}");
    }
    ending
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
}
