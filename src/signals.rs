//! The ways out that come from outside the process: SIGTERM (`kill`, a service manager),
//! SIGHUP (the terminal closed: a laptop lid, a dropped SSH connection, a killed tmux window),
//! SIGQUIT and SIGINT, and on Windows the console window closing or the machine shutting down.
//! Every command that holds a session or the terminal waits on [`Signals::next`] beside its own
//! work, so that a signal restores the terminal and ends the sessions with TerminateSession
//! instead of killing the process where it stands and leaving root shells open at AWS.
//!
//! The handlers are taken when a [`Signals`] is made, which every such command does first
//! thing: a signal that arrives while the session starts is heard, not lost.

/// Which signal asked bosun to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    Interrupt,
    Terminate,
    Hangup,
    Quit,
}

impl Leave {
    /// The signal's number on Unix (and the number Windows' console events stand in for).
    pub fn number(self) -> i32 {
        match self {
            Leave::Hangup => 1,
            Leave::Interrupt => 2,
            Leave::Quit => 3,
            Leave::Terminate => 15,
        }
    }

    /// The exit status a process ended by this signal conventionally reports: 128 + its
    /// number, as shells give it (143 for SIGTERM, 129 for SIGHUP, 131 for SIGQUIT, 130 for
    /// SIGINT). bosun exits with it after cleaning up rather than dying by the signal, which
    /// would need the default handler back (unsafe code) and, for SIGQUIT, dump core.
    pub fn exit_status(self) -> i32 {
        128 + self.number()
    }

    pub fn name(self) -> &'static str {
        match self {
            Leave::Interrupt => "SIGINT",
            Leave::Terminate => "SIGTERM",
            Leave::Hangup => "SIGHUP",
            Leave::Quit => "SIGQUIT",
        }
    }
}

impl std::fmt::Display for Leave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The signals one command listens for, taken at once.
pub struct Signals {
    streams: Vec<(Leave, platform::Stream)>,
}

impl Signals {
    /// SIGTERM, SIGHUP and SIGQUIT: for commands that leave Ctrl-C to someone else (a raw
    /// terminal reads it as a key; `bosun tunnel` and the plugin's port mode have their own).
    pub fn outside() -> Signals {
        Signals::listen(&[Leave::Terminate, Leave::Hangup, Leave::Quit])
    }

    /// SIGTERM, SIGHUP, SIGQUIT and SIGINT: a shell with piped stdin, where Ctrl-C at the
    /// keyboard reaches bosun as a signal, and the console (whose raw terminal reads Ctrl-C as
    /// a key, so SIGINT only comes from `kill -INT`).
    pub fn all() -> Signals {
        Signals::listen(&[
            Leave::Terminate,
            Leave::Hangup,
            Leave::Quit,
            Leave::Interrupt,
        ])
    }

    fn listen(which: &[Leave]) -> Signals {
        let streams = which
            .iter()
            .filter_map(|&leave| match platform::listen(leave) {
                Ok(stream) => Some((leave, stream)),
                Err(error) => {
                    tracing::warn!(signal = %leave, %error, "cannot listen for the signal");
                    None
                }
            })
            .collect();
        Signals { streams }
    }

    /// Resolves at the next of the signals; never when none could be listened for.
    pub async fn next(&mut self) -> Leave {
        loop {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.streams.iter_mut().map(|(leave, stream)| {
                Box::pin(async move { platform::recv(stream).await.then_some(*leave) })
            });
            let (heard, index, others) = futures_util::future::select_all(waits).await;
            drop(others);
            match heard {
                Some(leave) => return leave,
                // A stream that can deliver no more: the others are waited for.
                None => drop(self.streams.remove(index)),
            }
        }
    }
}

#[cfg(unix)]
mod platform {
    use crate::signals::Leave;
    use tokio::signal::unix::{Signal, SignalKind, signal};

    pub type Stream = Signal;

    pub fn listen(leave: Leave) -> std::io::Result<Stream> {
        signal(match leave {
            Leave::Interrupt => SignalKind::interrupt(),
            Leave::Terminate => SignalKind::terminate(),
            Leave::Hangup => SignalKind::hangup(),
            Leave::Quit => SignalKind::quit(),
        })
    }

    pub async fn recv(stream: &mut Stream) -> bool {
        stream.recv().await.is_some()
    }
}

/// Windows has no SIGTERM or SIGHUP: closing the console window, logging off and shutting
/// down stand for them (the process has a few seconds before Windows ends it), and Ctrl-Break
/// for SIGQUIT.
#[cfg(windows)]
mod platform {
    use crate::signals::Leave;
    use tokio::signal::windows;

    pub enum Stream {
        CtrlC(windows::CtrlC),
        Break(windows::CtrlBreak),
        Close(windows::CtrlClose),
        Shutdown(windows::CtrlShutdown),
    }

    pub fn listen(leave: Leave) -> std::io::Result<Stream> {
        Ok(match leave {
            Leave::Interrupt => Stream::CtrlC(windows::ctrl_c()?),
            Leave::Quit => Stream::Break(windows::ctrl_break()?),
            Leave::Hangup => Stream::Close(windows::ctrl_close()?),
            Leave::Terminate => Stream::Shutdown(windows::ctrl_shutdown()?),
        })
    }

    pub async fn recv(stream: &mut Stream) -> bool {
        match stream {
            Stream::CtrlC(s) => s.recv().await.is_some(),
            Stream::Break(s) => s.recv().await.is_some(),
            Stream::Close(s) => s.recv().await.is_some(),
            Stream::Shutdown(s) => s.recv().await.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_death_reports_128_plus_its_number() {
        assert_eq!(Leave::Terminate.exit_status(), 143);
        assert_eq!(Leave::Hangup.exit_status(), 129);
        assert_eq!(Leave::Quit.exit_status(), 131);
        assert_eq!(Leave::Interrupt.exit_status(), 130);
    }
}
