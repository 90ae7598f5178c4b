//! A download where only a terminal reaches the file: a container through ECS Exec, whose
//! sessions are interactive commands on a PTY. The file comes as base64 lines after a line
//! with its size and SHA-256 (`script::download_through_terminal`), is decoded as it arrives
//! into a temporary file beside the destination, and is renamed into place only once its size
//! and digest are the container's.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use base64::Engine as _;

use super::{Copied, CopyError, Lines, Partial, Progress, Remote, Tick, end, sha256_of, start};
use crate::model::document::Document;
use crate::model::transfer::{script, shown_bytes};
use crate::transport::DriverEvent;

/// What the first line said.
struct Said {
    size: u64,
    sha256: String,
}

/// Copies `path` in the container to `destination`, through one terminal session.
pub async fn download(
    remote: &Remote,
    path: &[u8],
    destination: &Path,
    progress: Progress,
) -> Result<Copied, CopyError> {
    let began = Instant::now();
    let shown = format!("{}:{}", remote.target, shown_bytes(path));
    let partial = Partial::beside(destination);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial.temporary)
        .map_err(|error| CopyError::local(destination, error))?;
    let mut driven = start(
        remote,
        Document::StartInteractiveCommand.name(),
        script::download_through_terminal(path),
    )
    .await?;
    let mut lines = Lines::default();
    let mut said: Option<Said> = None;
    let mut written: u64 = 0;
    let mut outcome: Option<Result<(), CopyError>> = None;
    'events: while let Some(event) = driven.events.recv().await {
        let DriverEvent::Output(bytes) = event else {
            continue;
        };
        for line in lines.feed(&bytes) {
            let text = String::from_utf8_lossy(&line);
            if let Some((failure, _)) = script::failed_line(&text) {
                outcome = Some(Err(CopyError::Remote {
                    path: shown.clone(),
                    failure,
                }));
                break 'events;
            }
            match &said {
                None => {
                    if let Some(rest) = text.strip_prefix("bosun-cp-file ") {
                        let Some(read) = header(rest) else {
                            outcome = Some(Err(CopyError::Session(format!(
                                "{shown}: a header that cannot be read: {text}"
                            ))));
                            break 'events;
                        };
                        progress(Tick::Total(read.size));
                        said = Some(read);
                    }
                }
                Some(_) if text == "bosun-cp-done" => {
                    outcome = Some(Ok(()));
                    break 'events;
                }
                Some(_) => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(text.trim())
                        .map_err(|_| {
                            CopyError::Session(format!(
                                "{shown}: a line the terminal altered; nothing was written"
                            ))
                        });
                    let written_now = bytes.and_then(|bytes| {
                        file.write_all(&bytes)
                            .map(|()| bytes.len() as u64)
                            .map_err(|error| CopyError::local(destination, error))
                    });
                    match written_now {
                        Ok(count) => {
                            written += count;
                            progress(Tick::Moved(count));
                        }
                        Err(error) => {
                            outcome = Some(Err(error));
                            break 'events;
                        }
                    }
                }
            }
        }
    }
    end(remote, &mut driven).await;
    match outcome {
        Some(Ok(())) => {}
        Some(Err(error)) => return Err(error),
        None => {
            return Err(CopyError::Session(format!(
                "{shown}: the session ended before the copy did; nothing was written"
            )));
        }
    }
    drop(file);
    let said = said.ok_or_else(|| CopyError::Session(format!("{shown}: no header came")))?;
    let got = sha256_of(&partial.temporary).map_err(|e| CopyError::local(destination, e))?;
    if got != said.sha256 || written != said.size {
        return Err(CopyError::Mismatch {
            path: destination.display().to_string(),
            want: said.sha256,
            got,
        });
    }
    partial
        .keep()
        .map_err(|error| CopyError::local(destination, error))?;
    Ok(Copied {
        path: destination.display().to_string(),
        bytes: said.size,
        sha256: said.sha256,
        seconds: began.elapsed().as_secs_f64(),
    })
}

/// `SIZE SHA256`.
fn header(rest: &str) -> Option<Said> {
    let (size, sha256) = rest.trim().split_once(' ')?;
    let sha256 = sha256.trim();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(Said {
        size: size.parse().ok()?,
        sha256: sha256.to_owned(),
    })
}
