//! The simulated agent's shells: a real shell on a real PTY in a per-instance scratch home
//! (TERM=xterm-256color, a prompt naming the instance, no inherited environment), interactive
//! commands on a PTY, and non-interactive commands with separate stdout, stderr and exit code.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::AgentPacing;
use super::fleet::Instance;
use super::process::{env_name, kill_group};
use crate::protocol::Event;
use crate::transport::agent::AgentInput;

/// The real agent reads its PTY in chunks of at most 1 KiB.
const REAL_CHUNK: usize = super::Pacer::CHUNK;
const FAST_CHUNK: usize = 64 * 1024;

/// What a shell needs to know about where it runs.
pub(crate) struct ShellHome {
    pub dir: PathBuf,
    pub instance: Instance,
}

impl ShellHome {
    fn environment(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("HOME".to_owned(), self.dir.display().to_string()),
            ("TERM".to_owned(), "xterm-256color".to_owned()),
            (
                "PATH".to_owned(),
                "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".to_owned(),
            ),
            ("USER".to_owned(), "ssm-user".to_owned()),
            ("LOGNAME".to_owned(), "ssm-user".to_owned()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
            ("INSTANCE_ID".to_owned(), self.instance.id.clone()),
            (
                "PS1".to_owned(),
                format!("[ssm-user@{} \\W]$ ", prompt_name(&self.instance)),
            ),
        ];
        env.extend(
            self.instance
                .tags
                .iter()
                .map(|(k, v)| (format!("TAG_{}", env_name(k)), v.clone())),
        );
        env
    }
}

fn prompt_name(instance: &Instance) -> String {
    let name = instance.name();
    if name.is_empty() {
        instance.id.clone()
    } else {
        name.to_owned()
    }
}

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
    let mut pacer = super::Pacer::new();
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

/// NonInteractiveCommands: runs `command` with separate stdout and stderr, then reports the
/// exit code and ends the session.
pub(crate) async fn run_command(
    home: ShellHome,
    command: String,
    mut events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    let _ = std::fs::create_dir_all(&home.dir);
    let spawned = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(&command)
        .env_clear()
        .envs(home.environment())
        .current_dir(&home.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            let _ = output
                .send(AgentInput::StdErr(Bytes::from(format!(
                    "cannot run the command: {error}\n"
                ))))
                .await;
            let _ = output.send(AgentInput::ExitCode(127)).await;
            let _ = output.send(AgentInput::Close(None)).await;
            return;
        }
    };
    let stdout = child
        .stdout
        .take()
        .map(|s| pump(s, output.clone(), AgentInput::Output));
    let stderr = child
        .stderr
        .take()
        .map(|s| pump(s, output.clone(), AgentInput::StdErr));
    let code = loop {
        tokio::select! {
            status = child.wait() => break status.ok().and_then(|s| s.code()).unwrap_or(-1),
            event = events.recv() => match event {
                // Ctrl-C and Ctrl-\ interrupt the command (docs/protocol.md §6.3).
                Some(Event::Output(bytes)) if bytes.contains(&0x03) || bytes.contains(&0x1c) => {
                    kill_group(&mut child);
                }
                Some(Event::Closed(_)) | None => {
                    kill_group(&mut child);
                    return;
                }
                Some(_) => {}
            },
        }
    };
    for pump in [stdout, stderr].into_iter().flatten() {
        let _ = pump.await;
    }
    let _ = output.send(AgentInput::ExitCode(code)).await;
    let _ = output.send(AgentInput::Close(None)).await;
}

fn pump<R>(
    mut reader: R,
    output: mpsc::Sender<AgentInput>,
    wrap: fn(Bytes) -> AgentInput,
) -> tokio::task::JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut buffer = vec![0u8; FAST_CHUNK];
        while let Ok(n) = reader.read(&mut buffer).await {
            if n == 0
                || output
                    .send(wrap(Bytes::copy_from_slice(&buffer[..n])))
                    .await
                    .is_err()
            {
                return;
            }
        }
    })
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

    #[test]
    fn tag_keys_become_env_names() {
        assert_eq!(
            env_name("aws:cloudformation:stack-name"),
            "AWS_CLOUDFORMATION_STACK_NAME"
        );
    }
}
