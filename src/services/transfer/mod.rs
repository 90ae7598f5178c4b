//! Copying files to and from an instance over Session Manager sessions, with no sshd and no
//! S3 (`bosun cp`): downloads through non-interactive commands, in parallel ranges for large
//! files, uploads through an interactive command; every file checked by SHA-256 on both sides
//! and written under a temporary name that is renamed into place only once the digests agree.
//! The shell text and the reading of its output are `model::transfer`.

mod browse;
mod download;
mod probe;
mod terminal;
mod tree;
mod upload;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

pub use self::browse::list;
pub use self::download::{SMALLEST_RANGE, download};
pub use self::probe::lacks;
pub use self::tree::{download_tree, upload_tree};
pub use self::upload::upload;
use super::session::{self, Driven, StartRequest};
use super::sources::SessionClients;
use crate::model::transfer::script::Failure;
use crate::transport::DriverEvent;

/// A file copied.
#[derive(Debug, Clone, PartialEq)]
pub struct Copied {
    /// Where it is now: the local path, or `TARGET:PATH` on the instance.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    pub seconds: f64,
}

/// Why a copy failed; nothing of it is left behind on either side.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CopyError {
    /// What the instance's shell reported (no such file, permission denied, …).
    #[error("{path}: {}", .failure.sentence())]
    Remote { path: String, failure: Failure },
    #[error("{path}: {message}")]
    Local { path: String, message: String },
    /// The session could not start, or ended before the copy did.
    #[error("{0}")]
    Session(String),
    #[error("{path}: the copy's SHA-256 ({got}) is not the file's ({want}); nothing was written")]
    Mismatch {
        path: String,
        want: String,
        got: String,
    },
}

impl CopyError {
    fn local(path: &Path, error: impl std::fmt::Display) -> CopyError {
        CopyError::Local {
            path: path.display().to_string(),
            message: error.to_string(),
        }
    }
}

/// What a copy reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// The file's size, once known.
    Total(u64),
    /// Bytes moved since the last tick.
    Moved(u64),
}

/// How a copy reports its progress.
pub type Progress = Arc<dyn Fn(Tick) + Send + Sync>;

/// The sessions a copy has open, so that whoever stops it (a signal, a failure in another
/// range) can end them at AWS.
#[derive(Clone, Default)]
pub struct OpenSessions(Arc<Mutex<Vec<String>>>);

impl OpenSessions {
    fn opened(&self, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id.to_owned());
    }

    fn closed(&self, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|open| open != id);
    }

    /// Ends every session still open (TerminateSession), e.g. after a signal.
    pub async fn end_all(&self, ssm: &aws_sdk_ssm::Client) {
        let ids = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        for id in ids {
            let _ = crate::aws::terminate_session(ssm, &id).await;
        }
    }
}

/// Where a copy runs: the instance (or container), its clients, and the sessions it opened.
#[derive(Clone)]
pub struct Remote {
    pub clients: SessionClients,
    /// The session's target: an instance id, or a container's `ecs:` target.
    pub instance_id: String,
    /// A container: its sessions come from ECS Exec, a terminal every time.
    pub container: Option<Box<crate::model::container::ContainerRow>>,
    /// What the user called it (`web-1`), for messages.
    pub target: String,
    pub open: OpenSessions,
}

/// What one session of a copy produced, once it ended.
struct Finished {
    stderr: Vec<u8>,
    exit_code: Option<i32>,
    /// Why it ended, when that was not the command finishing.
    trouble: Option<String>,
}

/// The longest stderr kept from a copy's command (its error line).
const STDERR_KEPT: usize = 4096;

/// Starts `document` with `command` on the instance, registered as open; in a container,
/// `command` runs on ECS Exec's terminal whatever the document.
async fn start(remote: &Remote, document: &str, command: String) -> Result<Driven, CopyError> {
    if let Some(row) = &remote.container {
        let (session_id, stream_url, token) =
            crate::aws::containers::execute_command(&remote.clients.ecs, row, &command)
                .await
                .map_err(CopyError::Session)?;
        let started = session::Started {
            session_id,
            stream_url,
            token,
            target: row.ssm_target(),
            document: Some(
                crate::model::document::Document::StartInteractiveCommand
                    .name()
                    .to_owned(),
            ),
        };
        let driven = session::drive(started, &remote.clients);
        remote.open.opened(&driven.session_id);
        return Ok(driven);
    }
    let mut request =
        StartRequest::document(&remote.instance_id, document).parameter("command", command);
    if document == crate::model::document::Document::StartNonInteractiveCommand.name() {
        request = request.parameter("separateOutputStream", "true");
    }
    let driven = session::start(&remote.clients, &request)
        .await
        .map_err(|error| CopyError::Session(error.to_string()))?;
    remote.open.opened(&driven.session_id);
    Ok(driven)
}

/// Reads a session's events to its end, handing its output to `on_output` (which may stop
/// the copy with an error).
async fn follow(
    remote: &Remote,
    driven: &mut Driven,
    mut on_output: impl FnMut(Bytes) -> Result<(), CopyError>,
) -> Result<Finished, CopyError> {
    let mut finished = Finished {
        stderr: Vec::new(),
        exit_code: None,
        trouble: None,
    };
    while let Some(event) = driven.events.recv().await {
        match event {
            DriverEvent::Output(bytes) => {
                if let Err(error) = on_output(bytes) {
                    end(remote, driven).await;
                    return Err(error);
                }
            }
            DriverEvent::StdErr(bytes) => {
                let room = STDERR_KEPT.saturating_sub(finished.stderr.len());
                finished
                    .stderr
                    .extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
            DriverEvent::ExitCode(code) => finished.exit_code = Some(code),
            _ => {}
        }
    }
    let ended = match tokio::time::timeout(Duration::from_secs(3), &mut driven.driver).await {
        Ok(Ok(result)) => result,
        _ => Ok(crate::transport::SessionEnd::Local),
    };
    let ending = session::Ending::of(&ended, finished.exit_code);
    if !matches!(ending, session::Ending::Finished { .. }) {
        finished.trouble = Some(ending.describe());
    }
    remote.open.closed(&driven.session_id);
    Ok(finished)
}

/// Ends a session this side gave up on, at AWS too.
async fn end(remote: &Remote, driven: &mut Driven) {
    driven.driver.abort();
    let _ = crate::aws::terminate_session(&remote.clients.ssm, &driven.session_id).await;
    remote.open.closed(&driven.session_id);
}

/// What a session that did not complete its part of the copy means.
fn incomplete(remote: &Remote, path: &str, finished: &Finished) -> CopyError {
    let shown = format!("{}:{path}", remote.target);
    if let Some(failure) = finished.exit_code.and_then(Failure::from_code) {
        return CopyError::Remote {
            path: shown,
            failure,
        };
    }
    let said = String::from_utf8_lossy(&finished.stderr).trim().to_owned();
    let why = match (&finished.trouble, said.is_empty()) {
        (_, false) => said,
        (Some(trouble), true) => trouble.clone(),
        (None, true) => "the session ended before the copy did".to_owned(),
    };
    CopyError::Session(format!("{shown}: {why}"))
}

/// A file being written under a temporary name beside its destination: removed if the copy
/// does not finish, renamed into place when it does.
struct Partial {
    temporary: PathBuf,
    destination: PathBuf,
    kept: bool,
}

/// A fresh hidden name beside `destination` (`.NAME.bosun-cp-1a2b3c4d`), for what is written
/// before it is known good.
fn temporary_beside(destination: &Path) -> PathBuf {
    let name = destination
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    destination.with_file_name(format!(
        ".{name}.bosun-cp-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ))
}

impl Partial {
    fn beside(destination: &Path) -> Partial {
        Partial {
            temporary: temporary_beside(destination),
            destination: destination.to_path_buf(),
            kept: false,
        }
    }

    fn keep(mut self) -> std::io::Result<()> {
        std::fs::rename(&self.temporary, &self.destination)?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// The SHA-256 of a local file, read in pieces (memory does not grow with the file).
fn sha256_of(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}

/// A terminal's output in lines (bytes: names need not be UTF-8), carriage returns dropped.
#[derive(Default)]
pub(super) struct Lines {
    partial: Vec<u8>,
}

impl Lines {
    pub(super) fn feed(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        for &byte in bytes {
            match byte {
                b'\n' => lines.push(std::mem::take(&mut self.partial)),
                b'\r' => {}
                _ if self.partial.len() < 64 * 1024 => self.partial.push(byte),
                _ => {}
            }
        }
        lines
    }
}
