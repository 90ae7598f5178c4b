//! bosun on a pseudo-terminal, read into a terminal emulator as a user's terminal shows it.

use std::time::Duration;

/// The console's output read into a terminal emulator, as the user's terminal would show it.
pub struct TerminalView {
    pub reader: pty_process::OwnedReadPty,
    pub parser: vt100::Parser,
    pub raw: Vec<u8>,
}

impl TerminalView {
    pub async fn read_some(&mut self, deadline: tokio::time::Instant) -> bool {
        use tokio::io::AsyncReadExt;
        let mut buffer = vec![0u8; 65536];
        match tokio::time::timeout_at(deadline, self.reader.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => {
                self.parser.process(&buffer[..n]);
                self.raw.extend_from_slice(&buffer[..n]);
                true
            }
            _ => false,
        }
    }

    pub async fn wait_for(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !self.parser.screen().contents().contains(needle) {
            if !self.read_some(deadline).await {
                let tail = &self.raw[self.raw.len().saturating_sub(3000)..];
                panic!(
                    "no {needle:?} on the screen:\n{}\nlast bytes: {:?}",
                    self.parser.screen().contents(),
                    String::from_utf8_lossy(tail)
                );
            }
        }
    }
}

/// bosun in a `rows`×`cols` PTY with TERM=xterm-256color, set up by `setup`: the child, its
/// screen, its input.
pub fn bosun_in_pty(
    rows: u16,
    cols: u16,
    setup: impl FnOnce(pty_process::Command) -> pty_process::Command,
) -> (
    tokio::process::Child,
    TerminalView,
    pty_process::OwnedWritePty,
) {
    let (pty, pts) = pty_process::open().expect("pty");
    pty.resize(pty_process::Size::new(rows, cols))
        .expect("size");
    let sealed = pty_process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env_clear()
        .envs(super::sealed_env());
    let child = setup(sealed)
        .env("TERM", "xterm-256color")
        .kill_on_drop(true)
        .spawn(pts)
        .expect("spawn bosun");
    let (reader, writer) = pty.into_split();
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("non-zero");
    let view = TerminalView {
        reader,
        parser: vt100::Parser::new(size(rows), size(cols), 0),
        raw: Vec::new(),
    };
    (child, view, writer)
}
