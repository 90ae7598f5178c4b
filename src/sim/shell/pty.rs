//! The simulated agent's interactive shells on a Unix PTY: a real shell (bash, else sh) or an
//! interactive command, read in the agent's chunk sizes, its UTF-8 kept whole across reads.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::super::AgentPacing;
use super::{FAST_CHUNK, REAL_CHUNK, ShellHome};
use crate::protocol::Event;
use crate::transport::agent::AgentInput;

fn shell_program() -> (&'static str, &'static [&'static str]) {
    if Path::new("/bin/bash").exists() {
        ("/bin/bash", &["--noprofile", "--norc", "-i"])
    } else {
        ("/bin/sh", &["-i"])
    }
}

/// Runs an interactive shell (or `command`, for InteractiveCommands) on a PTY until it exits,
/// then ends the session.
pub(crate) async fn run_pty(
    home: ShellHome,
    command: Option<String>,
    pacing: AgentPacing,
    mut events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    if let Err(error) = std::fs::create_dir_all(&home.dir) {
        let _ = output
            .send(AgentInput::Close(Some(format!(
                "cannot create the shell's home: {error}"
            ))))
            .await;
        return;
    }
    let spawned = pty_process::open().and_then(|(pty, pts)| {
        pty.resize(pty_process::Size::new(24, 80))?;
        let (program, args) = shell_program();
        let mut builder = pty_process::Command::new(program)
            .env_clear()
            .envs(home.environment())
            .current_dir(&home.dir)
            .kill_on_drop(true);
        builder = match &command {
            Some(command) => builder.arg("-c").arg(command),
            None => builder.args(args.iter().copied()),
        };
        let child = builder.spawn(pts)?;
        Ok((pty, child))
    });
    let (pty, mut child) = match spawned {
        Ok(spawned) => spawned,
        Err(error) => {
            let _ = output
                .send(AgentInput::Close(Some(format!(
                    "cannot start a shell: {error}"
                ))))
                .await;
            return;
        }
    };
    let (mut reader, writer) = pty.into_split();
    if pacing == AgentPacing::Real {
        // The real agent's output starts about a second after the PTY launches.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut buffer = vec![
        0u8;
        if pacing == AgentPacing::Real {
            REAL_CHUNK
        } else {
            FAST_CHUNK
        }
    ];
    let mut carry: Vec<u8> = Vec::new();
    let mut pacer = super::super::Pacer::new();
    // Typing and sizes go to the PTY from a task of their own, as the real agent writes from
    // its own goroutine: a write that waits for the line discipline's room (a paste into a
    // program that is not reading yet) must never stop the output being read, or the echo
    // it waits on could never drain.
    let (to_pty, writes) = mpsc::channel::<Event>(16);
    let pty_writer = tokio::spawn(write_to_pty(writer, writes));
    // An event waiting for room on the writer: no further event is taken meanwhile, so the
    // session's acks hold back and the client's window fills, as with a real agent.
    let mut waiting: Option<Event> = None;
    loop {
        tokio::select! {
            read = reader.read(&mut buffer) => match read {
                // EIO once the shell has exited and its output is drained.
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = whole_utf8(&mut carry, &buffer[..n]);
                    if !chunk.is_empty() && output.send(AgentInput::Output(chunk)).await.is_err() {
                        pty_writer.abort();
                        return;
                    }
                    if pacing == AgentPacing::Real {
                        pacer.wait().await;
                    }
                }
            },
            room = to_pty.reserve(), if waiting.is_some() => match (room, waiting.take()) {
                (Ok(room), Some(event)) => room.send(event),
                // The writer stopped: the PTY is gone.
                _ => break,
            },
            event = events.recv(), if waiting.is_none() => match event {
                Some(event @ (Event::Output(_) | Event::Size(_))) => waiting = Some(event),
                Some(Event::Closed(_)) | None => {
                    let _ = child.start_kill();
                    pty_writer.abort();
                    return;
                }
                Some(_) => {}
            },
        }
    }
    pty_writer.abort();
    let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
    let _ = output.send(AgentInput::Close(None)).await;
}

/// Writes typing and sizes to the PTY in order, waiting for room as long as it takes.
async fn write_to_pty(mut writer: pty_process::OwnedWritePty, mut writes: mpsc::Receiver<Event>) {
    while let Some(event) = writes.recv().await {
        match event {
            // Written in the guard; a write that worked falls through to the last arm.
            Event::Output(bytes) if writer.write_all(&bytes).await.is_err() => return,
            Event::Size(size) => {
                let rows = u16::try_from(size.rows).unwrap_or(u16::MAX).max(1);
                let cols = u16::try_from(size.cols).unwrap_or(u16::MAX).max(1);
                let _ = writer.resize(pty_process::Size::new(rows, cols));
            }
            _ => {}
        }
    }
}

/// Keeps UTF-8 sequences whole across reads, as the real agent does: a trailing incomplete
/// sequence waits for the next read.
fn whole_utf8(carry: &mut Vec<u8>, read: &[u8]) -> Bytes {
    carry.extend_from_slice(read);
    let valid_up_to = match std::str::from_utf8(carry) {
        Ok(_) => carry.len(),
        // An incomplete sequence at the very end: hold it back (at most 3 bytes).
        Err(error) if error.error_len().is_none() => error.valid_up_to(),
        // Invalid bytes are passed on as they are.
        Err(_) => carry.len(),
    };
    let rest = carry.split_off(valid_up_to);
    Bytes::from(std::mem::replace(carry, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_sequences_stay_whole() {
        let mut carry = Vec::new();
        let snowman = "☃".as_bytes();
        assert_eq!(&whole_utf8(&mut carry, &[b'a', snowman[0]])[..], b"a");
        assert_eq!(&whole_utf8(&mut carry, &snowman[1..])[..], snowman);
        assert!(carry.is_empty());
        assert_eq!(&whole_utf8(&mut carry, &[0xff, b'b'])[..], &[0xff, b'b']);
    }
}
