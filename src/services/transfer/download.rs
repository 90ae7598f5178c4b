//! A download: the first session says the file's size, digest and ranges and carries the first
//! range; the other ranges start the moment that header arrives, each in its own session,
//! written into place in one temporary file; the whole is checked against the digest before
//! it is renamed to its name.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Instant;

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::{
    Copied, CopyError, Partial, Progress, Remote, Tick, follow, incomplete, sha256_of, start,
};
use crate::model::document::Document;
use crate::model::transfer::script;
use crate::model::transfer::stream::{Header, Piece, Reader};
use crate::model::transfer::tree::Listing;

/// No range is smaller than this: below it, another session's start costs more than it saves.
pub const SMALLEST_RANGE: u64 = 4 << 20;

/// Copies `path` on the instance to `destination`, in up to `sessions` parallel sessions.
pub async fn download(
    remote: &Remote,
    path: &[u8],
    destination: &Path,
    sessions: usize,
    progress: Progress,
) -> Result<Copied, CopyError> {
    if remote.container.is_some() {
        return super::terminal::download(remote, path, destination, progress).await;
    }
    let began = Instant::now();
    let partial = Partial::beside(destination);
    let first = script::download_first(path, sessions, SMALLEST_RANGE);
    let fetched = fetch(remote, path, first, &partial, progress, None).await?;
    let got = sha256_of(&partial.temporary).map_err(|e| CopyError::local(destination, e))?;
    if got != fetched.header.sha256 {
        return Err(CopyError::Mismatch {
            path: destination.display().to_string(),
            want: fetched.header.sha256,
            got,
        });
    }
    partial
        .keep()
        .map_err(|error| CopyError::local(destination, error))?;
    Ok(Copied {
        path: destination.display().to_string(),
        bytes: fetched.header.size,
        sha256: fetched.header.sha256,
        seconds: began.elapsed().as_secs_f64(),
    })
}

/// What the first session said: the file's header and, for a folder, its listing.
pub(super) struct Fetched {
    pub header: Header,
    pub listing: Listing,
}

/// Reads a remote file (or a folder's tar) into `partial`'s temporary file: the first
/// session runs `first` and says how the rest is read; the other ranges start the moment its
/// header arrives, each in its own session, reading `path` (or the folder's tar).
pub(super) async fn fetch(
    remote: &Remote,
    path: &[u8],
    first: String,
    partial: &Partial,
    progress: Progress,
    left_there: Option<&std::sync::OnceLock<Vec<u8>>>,
) -> Result<Fetched, CopyError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial.temporary)
        .map_err(|error| CopyError::local(&partial.destination, error))?;
    let (header_tx, header_rx) = oneshot::channel();
    let mut ranges = JoinSet::new();
    ranges.spawn(read_range(
        remote.clone(),
        path.to_vec(),
        partial.temporary.clone(),
        Part::First(header_tx, first),
        progress.clone(),
    ));
    let outcome = async {
        // The header, or the first session's failure if it ends without one.
        let (header, listing): (Header, Listing) = match header_rx.await {
            Ok(said) => said,
            Err(_) => {
                return Err(match ranges.join_next().await {
                    Some(Ok(Err(error))) => error,
                    _ => CopyError::Session("the first session ended without a header".into()),
                });
            }
        };
        // What the instance made for this copy is known from here on, even if a range fails.
        if let (Some(slot), Some(temporary)) = (left_there, &listing.temporary) {
            let _ = slot.set(temporary.clone());
        }
        let read_from = listing.temporary.clone().unwrap_or_else(|| path.to_vec());
        for &(start, length) in &header.ranges()[1..] {
            ranges.spawn(read_range(
                remote.clone(),
                read_from.clone(),
                partial.temporary.clone(),
                Part::Later(header.clone(), start, length),
                progress.clone(),
            ));
        }
        while let Some(done) = ranges.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(error)) => return Err(error),
                Err(error) => return Err(CopyError::Session(error.to_string())),
            }
        }
        Ok(Fetched { header, listing })
    }
    .await;
    if outcome.is_err() {
        ranges.abort_all();
        remote.open.end_all(&remote.clients.ssm).await;
    }
    outcome
}

/// Which part of the file a session reads.
enum Part {
    /// The command that lists (for a folder), says the header and sends the first range; the
    /// header is handed on as soon as it is read.
    First(oneshot::Sender<(Header, Listing)>, String),
    Later(Header, u64, u64),
}

/// One session reading one range into the temporary file.
async fn read_range(
    remote: Remote,
    path: Vec<u8>,
    temporary: std::path::PathBuf,
    part: Part,
    progress: Progress,
) -> Result<(), CopyError> {
    let (command, mut reader, mut header_tx, mut file) = match part {
        Part::First(header_tx, first) => (first, Reader::first(), Some(header_tx), None),
        Part::Later(header, start, length) => {
            let file = open_at(&temporary, start)?;
            (
                script::download_range(&path, start, length),
                Reader::range(&header),
                None,
                Some(file),
            )
        }
    };
    let shown = crate::model::transfer::shown_bytes(&path);
    let mut listing = Listing::default();
    let mut driven = start(
        &remote,
        Document::StartNonInteractiveCommand.name(),
        command,
    )
    .await?;
    let finished = follow(&remote, &mut driven, |bytes| {
        for piece in reader
            .feed(&bytes)
            .map_err(|why| CopyError::Session(format!("{}:{shown}: {why}", remote.target)))?
        {
            match piece {
                Piece::Header(header) => {
                    progress(Tick::Total(header.size));
                    file = Some(open_at(&temporary, 0)?);
                    if let Some(tx) = header_tx.take() {
                        let _ = tx.send((header, std::mem::take(&mut listing)));
                    }
                }
                Piece::Listed(line) => listing.take(&line).map_err(|why| {
                    CopyError::Session(format!("{}:{shown}: {why}", remote.target))
                })?,
                Piece::Bytes(bytes) => {
                    if let Some(file) = &mut file {
                        file.write_all(&bytes)
                            .map_err(|error| CopyError::local(&temporary, error))?;
                    }
                    progress(Tick::Moved(bytes.len() as u64));
                }
                Piece::End => {}
            }
        }
        Ok(())
    })
    .await?;
    if !reader.is_done() {
        return Err(incomplete(&remote, &shown, &finished));
    }
    if let Some(mut file) = file {
        file.flush()
            .map_err(|error| CopyError::local(&temporary, error))?;
    }
    Ok(())
}

fn open_at(path: &Path, at: u64) -> Result<std::io::BufWriter<std::fs::File>, CopyError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|error| CopyError::local(path, error))?;
    file.seek(SeekFrom::Start(at))
        .map_err(|error| CopyError::local(path, error))?;
    Ok(std::io::BufWriter::with_capacity(256 * 1024, file))
}
