//! The Files view's work, on tasks of its own: a remote folder listed, and a file copied
//! either way (`services::transfer`, SHA-256 checked, nothing partial left) with its progress
//! said every half second. Answers are the reducer's input. The sessions a copy has open are
//! handed back, so that quitting the console ends them at AWS.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::sources::SessionClients;
use super::transfer::{self, OpenSessions, Remote, Tick};
use crate::app::Input;
use crate::app::effect::FileCopy;
use crate::app::input::CopySaid;
use crate::app::views::files::FilesAt;
use crate::model::format::{bytes, transfer_progress};
use crate::model::transfer::shown_bytes;

/// How often a copy says how far it is.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// The sessions behind a copy under way, to end them if the console quits first.
pub struct CopyUnderWay {
    pub open: OpenSessions,
    pub ssm: aws_sdk_ssm::Client,
    pub task: tokio::task::JoinHandle<()>,
}

fn remote(clients: SessionClients, at: &FilesAt) -> Remote {
    Remote {
        clients,
        instance_id: at.instance_id.clone(),
        container: None,
        target: at.name.clone(),
        open: OpenSessions::default(),
    }
}

fn no_clients(at: &FilesAt) -> String {
    format!("no credentials for profile {} in {}", at.profile, at.region)
}

/// Lists `path` on `at`'s instance: `Input::FolderListed`.
pub async fn list(clients: Option<SessionClients>, at: FilesAt, path: Vec<u8>) -> Input {
    let result = match clients {
        Some(clients) => transfer::list(&remote(clients, &at), &path)
            .await
            .map_err(|error| error.to_string()),
        None => Err(no_clients(&at)),
    };
    Input::FolderListed {
        instance_id: at.instance_id,
        path,
        result,
    }
}

/// Starts `copy`; its progress and end go to `say` as `Input::FileCopy`.
pub fn copy<Say, Said>(
    say: Say,
    clients: Option<SessionClients>,
    copy: FileCopy,
) -> Result<CopyUnderWay, String>
where
    Say: Fn(Input) -> Said + Send + Sync + 'static,
    Said: std::future::Future<Output = ()> + Send,
{
    let at = match &copy {
        FileCopy::Down { at, .. } | FileCopy::Up { at, .. } => at.clone(),
    };
    let clients = clients.ok_or_else(|| no_clients(&at))?;
    let remote = remote(clients, &at);
    let open = remote.open.clone();
    let ssm = remote.clients.ssm.clone();
    let task = tokio::spawn(async move {
        let said =
            |text: String, reread: Option<Vec<u8>>| say(Input::FileCopy(CopySaid { text, reread }));
        let moved = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(0));
        let progress: transfer::Progress = {
            let (moved, total) = (moved.clone(), total.clone());
            Arc::new(move |tick| match tick {
                Tick::Total(size) => total.store(size, Ordering::Relaxed),
                Tick::Moved(count) => {
                    moved.fetch_add(count, Ordering::Relaxed);
                }
            })
        };
        let began = Instant::now();
        let what = match &copy {
            FileCopy::Down { remote, .. } => format!("downloading {}", name_of(remote)),
            FileCopy::Up { local, .. } => format!("uploading {}", local.display()),
        };
        let work = async {
            match &copy {
                FileCopy::Down {
                    remote: path,
                    local,
                    ..
                } => {
                    let local = into_folder(local, path);
                    transfer::download(&remote, path, &local, 4, progress)
                        .await
                        .map(|copied| (copied, None))
                }
                FileCopy::Up { folder, local, .. } => {
                    transfer::upload(&remote, local, folder, progress)
                        .await
                        .map(|copied| (copied, Some(folder.clone())))
                }
            }
        };
        tokio::pin!(work);
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        ticker.tick().await;
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                _ = ticker.tick() => {
                    let line = transfer_progress(
                        moved.load(Ordering::Relaxed),
                        total.load(Ordering::Relaxed),
                        began.elapsed(),
                    );
                    said(format!("{what}: {line}"), None).await;
                }
            }
        };
        match result {
            Ok((copied, reread)) => {
                let text = format!(
                    "copied {} ({}, SHA-256 {}… agrees on both sides) in {:.1} s",
                    copied.path,
                    bytes(copied.bytes),
                    &copied.sha256[..12],
                    copied.seconds
                );
                said(text, reread).await;
            }
            Err(error) => said(format!("copy failed: {error}"), None).await,
        }
    });
    Ok(CopyUnderWay { open, ssm, task })
}

/// A remote path's last name, for messages.
fn name_of(path: &[u8]) -> String {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    shown_bytes(name)
}

/// A download into a local folder takes the remote file's name, as `cp` does.
fn into_folder(local: &std::path::Path, remote: &[u8]) -> std::path::PathBuf {
    if local.is_dir() {
        let name = remote.rsplit(|&b| b == b'/').next().unwrap_or(remote);
        local.join(crate::platform::os_string_from_bytes(name.to_vec()))
    } else {
        local.to_path_buf()
    }
}
