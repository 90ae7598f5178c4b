//! The background tunnels' local API: the server that answers it, one JSON object a line, on
//! the platform's endpoint only its user can talk to (a Unix socket; a named pipe on Windows),
//! and the client the CLI and the console use.

use std::io;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, ReadHalf, WriteHalf};

use super::Host;
use crate::model::tunnel_api::{Answer, Request};
use crate::platform::local_api::{self, ClientStream, Listener, Stream};

/// How long a newly started server has to open its socket.
const SERVER_START: std::time::Duration = std::time::Duration::from_secs(10);

/// The longest request line read (an `up` of many tunnels is a few KB).
const LONGEST_LINE: usize = 1 << 20;

/// Why a server could not take the endpoint.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("background tunnels are already served ({0})")]
    AlreadyServed(String),
    #[error("cannot serve background tunnels on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Takes the endpoint at `path` for this process (a Unix socket only its user can open, or a
/// named pipe on Windows; see `platform::local_api`).
pub fn bind(path: &Path) -> Result<Listener, BindError> {
    local_api::bind(path).map_err(|source| match source.kind() {
        io::ErrorKind::AddrInUse => BindError::AlreadyServed(source.to_string()),
        _ => BindError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// Leaves the endpoint at `path` to the next server.
pub fn unbind(path: &Path) {
    local_api::unbind(path);
}

/// Answers clients on `listener` until the task is dropped.
pub async fn serve(host: Host, mut listener: Listener) {
    loop {
        match listener.accept().await {
            Ok(stream) => {
                tokio::spawn(answer(host.clone(), stream));
            }
            Err(error) => {
                tracing::warn!(%error, "the tunnels' endpoint could not accept");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// One client: a request a line, an answer a line (`watch`: a line a change, until it leaves).
async fn answer(host: Host, stream: Stream) {
    let (reader, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);
    let mut line = String::new();
    loop {
        line.clear();
        match (&mut reader)
            .take(LONGEST_LINE as u64)
            .read_line(&mut line)
            .await
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.trim().is_empty() {
            continue;
        }
        let request = match serde_json::from_str::<Request>(&line) {
            Ok(request) => request,
            Err(error) => {
                let said = Answer::error(format!(
                    "not a request ({error}): each line is one JSON object whose \"op\" is ping, list, up, down, logs or watch"
                ));
                if write(&mut writer, &said).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let said = match request {
            Request::Ping => Answer {
                pid: Some(std::process::id()),
                ..Answer::ok()
            },
            Request::List { names } => host.list(&names),
            Request::Up { tunnels, context } => host.up(tunnels, context).await,
            Request::Down { names, all } => host.down(&names, all).await,
            Request::Logs { name } => host.logs(&name),
            Request::Watch => {
                watch(&host, &mut reader, &mut writer).await;
                return;
            }
        };
        if write(&mut writer, &said).await.is_err() {
            return;
        }
    }
}

/// Every tunnel's state now, then each change, until the client closes its end.
async fn watch<R, W>(host: &Host, reader: &mut R, writer: &mut W)
where
    R: tokio::io::AsyncBufRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut changes = host.changes();
    if write(writer, &host.list(&[])).await.is_err() {
        return;
    }
    let mut ignored = String::new();
    loop {
        tokio::select! {
            change = changes.recv() => {
                let said = match change {
                    Ok(status) => Answer { tunnels: vec![status], ..Answer::ok() },
                    // Too slow a reader missed some: the whole picture again.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => host.list(&[]),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                if write(writer, &said).await.is_err() {
                    return;
                }
            }
            read = reader.read_line(&mut ignored) => {
                ignored.clear();
                if matches!(read, Ok(0) | Err(_)) {
                    return;
                }
            }
        }
    }
}

async fn write<W: tokio::io::AsyncWrite + Unpin>(
    writer: &mut W,
    answer: &Answer,
) -> io::Result<()> {
    let mut line = serde_json::to_vec(answer).map_err(io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await
}

/// A connection to the background tunnels' server.
pub struct Client {
    reader: BufReader<ReadHalf<ClientStream>>,
    writer: WriteHalf<ClientStream>,
}

impl Client {
    /// Connects to the server on `path`; an error when none listens there.
    pub async fn connect(path: &Path) -> io::Result<Client> {
        let (reader, writer) = tokio::io::split(local_api::connect(path).await?);
        Ok(Client {
            reader: BufReader::new(reader),
            writer,
        })
    }

    /// Sends a request and reads its answer.
    pub async fn ask(&mut self, request: &Request) -> io::Result<Answer> {
        let mut line = serde_json::to_vec(request).map_err(io::Error::other)?;
        line.push(b'\n');
        self.writer.write_all(&line).await?;
        self.next()
            .await?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the server hung up"))
    }

    /// The next answer line (`watch`'s next change); `None` once the server hangs up.
    pub async fn next(&mut self) -> io::Result<Option<Answer>> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        serde_json::from_str(&line)
            .map(Some)
            .map_err(io::Error::other)
    }
}

/// A connection to the server, starting one (detached from this terminal) if none answers.
pub async fn connect_or_start(socket: &Path, config_file: Option<&Path>) -> Result<Client, String> {
    if let Ok(client) = Client::connect(socket).await {
        return Ok(client);
    }
    let exe = std::env::current_exe().map_err(|error| {
        format!("cannot find bosun's own binary to start the background process: {error}")
    })?;
    let mut command = std::process::Command::new(exe);
    if let Some(config) = config_file {
        command.arg("--config").arg(config);
    }
    command
        .args(["tunnel", "serve"])
        .env("BOSUN_TUNNELS_SOCKET", socket)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    crate::platform::detach(&mut command);
    let child = command
        .spawn()
        .map_err(|error| format!("cannot start the background tunnels' process: {error}"))?;
    // Collected should it end while this command runs (it normally outlives it).
    let (ended_tx, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut child = child;
        let _ = ended_tx.send(child.wait());
    });
    let deadline = tokio::time::Instant::now() + SERVER_START;
    loop {
        if let Ok(client) = Client::connect(socket).await {
            return Ok(client);
        }
        if let Ok(status) = ended.try_recv() {
            let status = status.map_or_else(|error| error.to_string(), |status| status.to_string());
            // Another server may have taken the socket first: that one answers.
            if let Ok(client) = Client::connect(socket).await {
                return Ok(client);
            }
            return Err(format!(
                "the background tunnels' process ended at once ({status}); see tunnels.log in bosun's state directory"
            ));
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "the background tunnels' process did not open {} within {} s; see tunnels.log in bosun's state directory",
                socket.display(),
                SERVER_START.as_secs()
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
