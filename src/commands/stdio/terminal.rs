//! This process's own terminal and stdin for a session: raw mode (restored on every way out,
//! the panic hook included), the size (and SIGWINCH), stdin read on a thread of its own, and
//! the one rewrite keyboards get.

use std::io::{IsTerminal, Read};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::protocol::SizeData;

/// The size the plugin reports when stdout is not a terminal.
const FALLBACK_SIZE: SizeData = SizeData {
    cols: 300,
    rows: 100,
};
const STDIN_CHUNK: usize = 16 * 1024;

/// Restores the terminal when dropped, and from the panic hook.
pub(super) struct RawModeGuard;

impl RawModeGuard {
    pub(super) fn enable() -> Option<RawModeGuard> {
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

pub(in crate::commands) fn terminal_size() -> SizeData {
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
pub(super) fn spawn_stdin_reader() -> mpsc::Receiver<Option<Bytes>> {
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
/// piped and binary streams pass unchanged (docs/protocol.md §6.2).
pub(super) fn keyboard_chunk(chunk: Bytes, tty: bool) -> Bytes {
    if tty && chunk.as_ref() == b"\n" {
        Bytes::from_static(b"\r")
    } else {
        chunk
    }
}

pub(super) async fn next_stdin(stdin: &mut Option<mpsc::Receiver<Option<Bytes>>>) -> Option<Bytes> {
    match stdin {
        Some(rx) => rx.recv().await.flatten(),
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
pub(super) type ResizeSignal = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
pub(super) type ResizeSignal = Option<()>;

#[cfg(unix)]
pub(super) fn resize_signal() -> ResizeSignal {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok()
}

#[cfg(not(unix))]
pub(super) fn resize_signal() -> ResizeSignal {
    None
}

#[cfg(unix)]
pub(super) async fn recv_resize(signal: &mut ResizeSignal) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
pub(super) async fn recv_resize(_signal: &mut ResizeSignal) {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

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
