//! The simulated agent's interactive shells on Windows: cmd.exe (or an interactive command) on
//! a ConPTY, read in the agent's chunk sizes. A ConPTY's pipes only block, so reading, writing
//! and waiting for the shell run on threads of their own, handing over through channels.

use std::io::{Read, Write};
use std::time::Duration;

use bytes::Bytes;
use portable_pty::{CommandBuilder, PtySize};
use tokio::sync::{mpsc, oneshot};

use super::super::AgentPacing;
use super::{ShellHome, as_the_agent_sends, read_size};
use crate::protocol::Event;
use crate::transport::agent::AgentInput;

/// How long output is still read after the shell exits (a ConPTY's pipe does not end by itself).
const DRAIN: Duration = Duration::from_millis(300);

fn size(rows: u16, cols: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

fn said(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// Runs an interactive shell (or `command`, for InteractiveCommands) on a ConPTY until it
/// exits, then ends the session.
pub(crate) async fn run_pty(
    home: ShellHome,
    command: Option<String>,
    pacing: AgentPacing,
    mut events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    let close = |reason: String| AgentInput::Close(Some(reason));
    if let Err(error) = std::fs::create_dir_all(&home.dir) {
        let _ = output
            .send(close(format!("cannot create the shell's home: {error}")))
            .await;
        return;
    }
    let shell = crate::platform::interactive_shell();
    let spawned = (|| {
        let pair = portable_pty::native_pty_system()
            .openpty(size(24, 80))
            .map_err(said)?;
        let mut builder = CommandBuilder::new(&shell.program);
        builder.env_clear();
        for (name, value) in home.environment() {
            builder.env(name, value);
        }
        builder.cwd(&home.dir);
        builder.args(shell.args);
        if let Some(command) = &command {
            builder.args(["/s", "/c", command.as_str()]);
        }
        let child = pair.slave.spawn_command(builder).map_err(said)?;
        let reader = pair.master.try_clone_reader().map_err(said)?;
        let writer = pair.master.take_writer().map_err(said)?;
        Ok::<_, String>((pair.master, child, reader, writer))
    })();
    let (master, mut child, reader, writer) = match spawned {
        Ok(spawned) => spawned,
        Err(error) => {
            let _ = output
                .send(close(format!("cannot start a shell: {error}")))
                .await;
            return;
        }
    };
    if let (Some(note), None) = (shell.note, &command) {
        let _ = output
            .send(AgentInput::Output(Bytes::from(format!("{note}\r\n"))))
            .await;
    }
    let chunk = read_size(pacing);
    let mut reads = read_on_a_thread(reader, chunk);
    let (to_pty, writes) = mpsc::channel::<Bytes>(16);
    write_on_a_thread(writer, writes);
    let mut killer = child.clone_killer();
    let (exited_tx, mut exited) = oneshot::channel();
    std::thread::spawn(move || {
        let _ = exited_tx.send(child.wait());
    });
    if pacing == AgentPacing::Real {
        // The real agent's output starts about a second after the PTY launches.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut carry = Vec::new();
    let mut pacer = super::super::Pacer::new();
    // Typing waiting for room on the writer: no further event is taken meanwhile, so the
    // session's acks hold back, as with a real agent (see the Unix PTY).
    let mut waiting: Option<Bytes> = None;
    let mut shell_exited = false;
    loop {
        tokio::select! {
            read = reads.recv() => match read {
                Some(bytes) => {
                    let chunk = as_the_agent_sends(&mut carry, &bytes);
                    if !chunk.is_empty() && output.send(AgentInput::Output(chunk)).await.is_err() {
                        let _ = killer.kill();
                        return;
                    }
                    if pacing == AgentPacing::Real {
                        pacer.wait().await;
                    }
                }
                None => break,
            },
            _ = &mut exited, if !shell_exited => shell_exited = true,
            () = tokio::time::sleep(DRAIN), if shell_exited => break,
            room = to_pty.reserve(), if waiting.is_some() => match (room, waiting.take()) {
                (Ok(room), Some(bytes)) => room.send(bytes),
                _ => break,
            },
            event = events.recv(), if waiting.is_none() => match event {
                Some(Event::Output(bytes)) => waiting = Some(bytes),
                Some(Event::Size(asked)) => {
                    let rows = u16::try_from(asked.rows).unwrap_or(u16::MAX).max(1);
                    let cols = u16::try_from(asked.cols).unwrap_or(u16::MAX).max(1);
                    let _ = master.resize(size(rows, cols));
                }
                Some(Event::Closed(_)) | None => {
                    let _ = killer.kill();
                    return;
                }
                Some(_) => {}
            },
        }
    }
    let _ = killer.kill();
    drop(master);
    let _ = output.send(AgentInput::Close(None)).await;
}

/// The ConPTY's output, read on a thread of its own in chunks of at most `chunk` bytes.
fn read_on_a_thread(mut reader: Box<dyn Read + Send>, chunk: usize) -> mpsc::Receiver<Vec<u8>> {
    let (reads_tx, reads) = mpsc::channel(4);
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; chunk];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if reads_tx.blocking_send(buffer[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    reads
}

/// Typing, written to the ConPTY in order on a thread of its own, waiting as long as it takes.
fn write_on_a_thread(mut writer: Box<dyn Write + Send>, mut writes: mpsc::Receiver<Bytes>) {
    std::thread::spawn(move || {
        while let Some(bytes) = writes.blocking_recv() {
            if writer
                .write_all(&bytes)
                .and_then(|()| writer.flush())
                .is_err()
            {
                return;
            }
        }
    });
}
