//! The simulated agent's shells: a real shell on a real PTY in a per-instance scratch home
//! (TERM=xterm-256color, a prompt naming the instance, no inherited environment), interactive
//! commands on a PTY, and non-interactive commands with separate stdout, stderr and exit code.

use std::path::PathBuf;
use std::process::Stdio;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

pub(crate) use self::pty::run_pty;
use super::fleet::Instance;
use super::process::{env_name, kill_group};
use crate::protocol::Event;
use crate::transport::agent::AgentInput;

// The PTY side: Unix's; elsewhere a stand-in that says it has none.
#[cfg(unix)]
mod pty;
#[cfg(not(unix))]
#[path = "pty_elsewhere.rs"]
mod pty;

/// The real agent reads its PTY in chunks of at most 1 KiB.
#[cfg_attr(not(unix), allow(dead_code))]
const REAL_CHUNK: usize = super::Pacer::CHUNK;
const FAST_CHUNK: usize = 64 * 1024;

/// What a shell needs to know about where it runs.
pub(crate) struct ShellHome {
    pub dir: PathBuf,
    pub instance: Instance,
}

impl ShellHome {
    pub(super) fn environment(&self) -> Vec<(String, String)> {
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

/// NonInteractiveCommands: runs `command` with separate stdout and stderr, then reports the
/// exit code and ends the session.
pub(crate) async fn run_command(
    home: ShellHome,
    command: String,
    mut events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    let _ = std::fs::create_dir_all(&home.dir);
    let mut shell = tokio::process::Command::new("/bin/sh");
    shell
        .arg("-c")
        .arg(&command)
        .env_clear()
        .envs(home.environment())
        .current_dir(&home.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    crate::platform::own_process_group(&mut shell);
    let spawned = shell.spawn();
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
    fn tag_keys_become_env_names() {
        assert_eq!(
            env_name("aws:cloudformation:stack-name"),
            "AWS_CLOUDFORMATION_STACK_NAME"
        );
    }
}
