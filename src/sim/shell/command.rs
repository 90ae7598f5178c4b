//! The simulated agent's NonInteractiveCommands, in the two ways the real agent runs them
//! (amazon-ssm-agent's shell plugin). With `separateOutputStream=true`: stdout and stderr read
//! from pipes as the command writes them, each sent as its own payload type without pause, then
//! the exit code. Without it (the document's default): stdout and stderr into one file, and only
//! once the command has exited is the file sent, a KiB a millisecond, with no exit code.

use std::process::Stdio;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

use super::super::AgentPacing;
use super::super::process::kill_group;
use super::{ShellHome, as_the_agent_sends, read_size};
use crate::protocol::Event;
use crate::transport::agent::AgentInput;

/// A command to run, and how the agent runs it.
pub(crate) struct CommandRun {
    pub command: String,
    /// `separateOutputStream=true`.
    pub separate: bool,
    pub pacing: AgentPacing,
    /// A fault: the stdout byte at this offset is altered on its way.
    pub corrupt_at: Option<u64>,
}

/// Runs the command until it exits (or the session is closed or interrupted), then ends the
/// session.
pub(crate) async fn run_command(
    home: ShellHome,
    run: CommandRun,
    mut events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    let CommandRun {
        command,
        separate,
        pacing,
        corrupt_at,
    } = run;
    let _ = std::fs::create_dir_all(&home.dir);
    // The merged output's file, as the agent's orchestration folder holds it.
    let merged_path = home
        .dir
        .join(format!(".agent-output-{}", uuid::Uuid::new_v4().simple()));
    let mut shell = crate::platform::shell_command(&command);
    shell
        .env_clear()
        .envs(home.environment())
        .current_dir(&home.dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if separate {
        shell.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        let file = std::fs::File::create(&merged_path).and_then(|f| Ok((f.try_clone()?, f)));
        match file {
            Ok((stdout, stderr)) => {
                shell.stdout(stdout).stderr(stderr);
            }
            Err(error) => return failed(&output, separate, error).await,
        }
    }
    crate::platform::own_process_group(&mut shell);
    let mut child = match shell.spawn() {
        Ok(child) => child,
        Err(error) => {
            let _ = std::fs::remove_file(&merged_path);
            return failed(&output, separate, error).await;
        }
    };
    let stdout = child
        .stdout
        .take()
        .map(|s| pump(s, pacing, corrupt_at, output.clone(), AgentInput::Output));
    let stderr = child
        .stderr
        .take()
        .map(|s| pump(s, pacing, None, output.clone(), AgentInput::StdErr));
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
                    let _ = std::fs::remove_file(&merged_path);
                    return;
                }
                Some(_) => {}
            },
        }
    };
    if separate {
        for pump in [stdout, stderr].into_iter().flatten() {
            let _ = pump.await;
        }
        let _ = output.send(AgentInput::ExitCode(code)).await;
    } else {
        send_file(&merged_path, pacing, &mut events, &output).await;
        let _ = std::fs::remove_file(&merged_path);
    }
    let _ = output.send(AgentInput::Close(None)).await;
}

/// The command could not start: said on the stream the client reads.
async fn failed(output: &mpsc::Sender<AgentInput>, separate: bool, error: std::io::Error) {
    let said = Bytes::from(format!("Unable to start command: {error}\n"));
    let _ = output
        .send(if separate {
            AgentInput::StdErr(said)
        } else {
            AgentInput::Output(said)
        })
        .await;
    if separate {
        let _ = output.send(AgentInput::ExitCode(127)).await;
    }
    let _ = output.send(AgentInput::Close(None)).await;
}

/// The merged output, read back from its file in the agent's reads, paced as the agent paces.
async fn send_file(
    path: &std::path::Path,
    pacing: AgentPacing,
    events: &mut mpsc::Receiver<Event>,
    output: &mpsc::Sender<AgentInput>,
) {
    let Ok(mut file) = tokio::fs::File::open(path).await else {
        return;
    };
    let chunk = read_size(pacing);
    let mut buffer = vec![0u8; chunk];
    let mut carry = Vec::new();
    let mut pacer = super::super::Pacer::new();
    loop {
        let n = tokio::select! {
            read = file.read(&mut buffer) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            event = events.recv() => match event {
                Some(Event::Closed(_)) | None => return,
                Some(_) => continue,
            },
        };
        let sent = as_the_agent_sends(&mut carry, &buffer[..n]);
        if !sent.is_empty() && output.send(AgentInput::Output(sent)).await.is_err() {
            return;
        }
        if pacing == AgentPacing::Real {
            pacer.wait().await;
        }
    }
}

/// A pipe's output as the agent sends it: read as it comes (a KiB at a time, as the agent
/// reads), without pause.
fn pump<R>(
    mut reader: R,
    pacing: AgentPacing,
    corrupt_at: Option<u64>,
    output: mpsc::Sender<AgentInput>,
    wrap: fn(Bytes) -> AgentInput,
) -> tokio::task::JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut buffer = vec![0u8; read_size(pacing)];
        let mut carry = Vec::new();
        let mut read_so_far = 0u64;
        while let Ok(n) = reader.read(&mut buffer).await {
            if n == 0 {
                return;
            }
            if let Some(at) = corrupt_at
                && (read_so_far..read_so_far + n as u64).contains(&at)
            {
                buffer[(at - read_so_far) as usize] ^= 0x20;
            }
            read_so_far += n as u64;
            let chunk = as_the_agent_sends(&mut carry, &buffer[..n]);
            if !chunk.is_empty() && output.send(wrap(chunk)).await.is_err() {
                return;
            }
        }
    })
}
