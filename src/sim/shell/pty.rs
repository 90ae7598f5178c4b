//! The simulated agent's interactive shells on a Unix PTY: a real shell (bash, else sh, which
//! the session says first) or an interactive command, read in the agent's chunk sizes.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::super::AgentPacing;
use super::{ShellHome, as_the_agent_sends, read_size};
use crate::protocol::Event;
use crate::transport::agent::AgentInput;

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
    let shell = crate::platform::interactive_shell();
    let spawned = pty_process::open().and_then(|(pty, pts)| {
        pty.resize(pty_process::Size::new(24, 80))?;
        let mut builder = pty_process::Command::new(shell.program)
            .env_clear()
            .envs(home.environment())
            .current_dir(&home.dir)
            .kill_on_drop(true);
        builder = match &command {
            Some(command) => builder.arg("-c").arg(command),
            None => builder.args(shell.args.iter().copied()),
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
    if let (Some(note), None) = (shell.note, &command) {
        let _ = output
            .send(AgentInput::Output(Bytes::from(format!("{note}\r\n"))))
            .await;
    }
    if pacing == AgentPacing::Real {
        // The real agent's output starts about a second after the PTY launches.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut buffer = vec![0u8; read_size(pacing)];
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
    let mut closed = false;
    loop {
        tokio::select! {
            read = reader.read(&mut buffer) => match read {
                // EIO once the shell has exited and its output is drained.
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = as_the_agent_sends(&mut carry, &buffer[..n]);
                    if !chunk.is_empty() && output.send(AgentInput::Output(chunk)).await.is_err() {
                        // The data channel is gone: the session ends as if terminated.
                        closed = true;
                        break;
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
                    closed = true;
                    break;
                }
                Some(_) => {}
            },
        }
    }
    pty_writer.abort();
    if closed {
        // Ended from outside (TerminateSession, or the data channel gone): as the agent does,
        // the PTY is closed, so the shell gets SIGHUP and its traps run; one that lingers is
        // killed. Dropping the child at once would SIGKILL it and skip its traps.
        drop(reader);
        let _ = pty_writer.await;
        tokio::spawn(async move {
            if tokio::time::timeout(Duration::from_secs(2), child.wait())
                .await
                .is_err()
            {
                let _ = child.start_kill();
            }
        });
        return;
    }
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
