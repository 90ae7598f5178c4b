//! An upload: the file's digest first, then one interactive command on the instance that
//! decodes base64 lines (the only form a terminal passes unaltered) into a temporary file and
//! renames it into place once its SHA-256 and size match.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use base64::Engine as _;
use bytes::Bytes;
use tokio::sync::mpsc;

use super::{Copied, CopyError, Lines, Progress, Remote, Tick, end, sha256_of, start};
use crate::model::document::Document;
use crate::model::transfer::tree::Listing;
use crate::model::transfer::{script, shown_bytes};
use crate::transport::{DriverEvent, Input};

/// Raw bytes per base64 line (76 characters, as MIME writes them).
const LINE_BYTES: usize = 57;
/// Lines per input message: about 1 KiB, the size the official plugin sends input in.
const LINES_PER_MESSAGE: usize = 13;
/// ctrl-d: the end of the input, read by `base64 -d` as end of file.
const END_OF_INPUT: u8 = 0x04;

/// Copies the local `source` to `path` on the instance (a file, or a folder to put it in).
pub async fn upload(
    remote: &Remote,
    source: &Path,
    path: &[u8],
    progress: Progress,
) -> Result<Copied, CopyError> {
    let began = Instant::now();
    let metadata = std::fs::metadata(source).map_err(|error| CopyError::local(source, error))?;
    if metadata.is_dir() {
        return Err(CopyError::local(
            source,
            "is a folder (copy folders with -r)",
        ));
    }
    let size = metadata.len();
    let sha256 = sha256_of(source).map_err(|error| CopyError::local(source, error))?;
    let name = source
        .file_name()
        .map(|name| name.as_encoded_bytes().to_vec())
        .unwrap_or_default();
    let command = script::upload(
        path,
        &name,
        size,
        &sha256,
        crate::platform::file_mode(&metadata),
    );
    let shown = format!("{}:{}", remote.target, shown_bytes(path));
    let sent = Sent {
        source,
        size,
        sha256: &sha256,
        expected: None,
    };
    let placed = send(remote, command, &shown, sent, progress).await?;
    Ok(Copied {
        path: format!("{}:{placed}", remote.target),
        bytes: size,
        sha256,
        seconds: began.elapsed().as_secs_f64(),
    })
}

/// What an upload sends: a local file (a folder's tar, for `-r`), and for a folder the digest
/// each file must have once unpacked there (names below the folder).
pub(super) struct Sent<'a> {
    pub source: &'a Path,
    pub size: u64,
    pub sha256: &'a str,
    pub expected: Option<&'a [(Vec<u8>, String)]>,
}

/// Runs an upload's `command` and feeds it the file once it is ready; for a folder, answers
/// its confirmation once every file's digest there matches. Returns where it was placed.
pub(super) async fn send(
    remote: &Remote,
    command: String,
    shown: &str,
    sent: Sent<'_>,
    progress: Progress,
) -> Result<String, CopyError> {
    progress(Tick::Total(sent.size));
    let mut driven = start(remote, Document::StartInteractiveCommand.name(), command).await?;
    let mut lines = Lines::default();
    let mut sender: Option<tokio::task::JoinHandle<Result<(), CopyError>>> = None;
    let mut listing = Listing::default();
    let mut placed = None;
    let mut failure = None;
    let mut differs = None;
    while let Some(event) = driven.events.recv().await {
        let DriverEvent::Output(bytes) = event else {
            continue;
        };
        for line in lines.feed(&bytes) {
            if line.starts_with(b"bosun-cp-ready") && sender.is_none() {
                sender = Some(tokio::spawn(send_file(
                    sent.source.to_path_buf(),
                    driven.input.clone(),
                    progress.clone(),
                )));
            } else if line.starts_with(b"bosun-cp-sum ") {
                if let Err(why) = listing.take(&line) {
                    tracing::warn!(%why, "an upload's digest line");
                }
            } else if line.starts_with(b"bosun-cp-confirm") {
                differs = sent
                    .expected
                    .and_then(|expected| first_difference(expected, &listing.files));
                let answer: &'static [u8] = if differs.is_none() { b"yes\n" } else { b"no\n" };
                let _ = driven
                    .input
                    .send(Input::Data(Bytes::from_static(answer)))
                    .await;
            } else if let Some(at) = line.strip_prefix(b"bosun-cp-ok ") {
                placed = Some(String::from_utf8_lossy(at).into_owned());
            } else if let Some((found, said)) = script::failed_line(&String::from_utf8_lossy(&line))
            {
                failure = Some((found, said));
            }
        }
        if placed.is_some() || failure.is_some() {
            break;
        }
    }
    let fed = match sender {
        Some(sender) => sender.await.unwrap_or(Ok(())),
        None => Ok(()),
    };
    end(remote, &mut driven).await;
    fed?;
    if let Some((name, want, got)) = differs {
        return Err(CopyError::Mismatch {
            path: format!("{shown}/{}", shown_bytes(&name)),
            want,
            got,
        });
    }
    if let Some((failure, said)) = failure {
        tracing::info!(failure = ?failure, said = %said, "the upload failed on the instance");
        return Err(match failure {
            script::Failure::Mismatch => CopyError::Mismatch {
                path: shown.to_owned(),
                want: sent.sha256.to_owned(),
                got: said,
            },
            failure => CopyError::Remote {
                path: shown.to_owned(),
                failure,
            },
        });
    }
    placed.ok_or_else(|| {
        CopyError::Session(format!(
            "{shown}: the session ended before the upload was confirmed; nothing was written"
        ))
    })
}

/// The first file whose digest on the instance is not the local one (or is missing there):
/// its name, the local digest, and the instance's (empty when missing). `listed` names are as
/// `find .` printed them below the unpack folder: `./NAME/…`.
fn first_difference(
    expected: &[(Vec<u8>, String)],
    listed: &[(Vec<u8>, String)],
) -> Option<(Vec<u8>, String, String)> {
    let there: std::collections::HashMap<&[u8], &str> = listed
        .iter()
        .map(|(name, digest)| (below_folder(name), digest.as_str()))
        .collect();
    expected.iter().find_map(|(name, want)| {
        let got = there.get(name.as_slice()).copied().unwrap_or_default();
        (got != want).then(|| (name.clone(), want.clone(), got.to_owned()))
    })
}

/// `./NAME/a/b` → `a/b`.
fn below_folder(listed: &[u8]) -> &[u8] {
    let listed = listed.strip_prefix(b"./").unwrap_or(listed);
    listed
        .iter()
        .position(|&b| b == b'/')
        .map_or(listed, |slash| &listed[slash + 1..])
}

/// The file as base64 lines, about a KiB a message, then end of input.
async fn send_file(
    source: std::path::PathBuf,
    input: mpsc::Sender<Input>,
    progress: Progress,
) -> Result<(), CopyError> {
    let mut file = std::fs::File::open(&source).map_err(|e| CopyError::local(&source, e))?;
    let mut raw = vec![0u8; LINE_BYTES * LINES_PER_MESSAGE];
    loop {
        let n = read_full(&mut file, &mut raw).map_err(|e| CopyError::local(&source, e))?;
        if n == 0 {
            break;
        }
        let mut message = String::with_capacity(n * 4 / 3 + LINES_PER_MESSAGE * 2);
        for line in raw[..n].chunks(LINE_BYTES) {
            base64::engine::general_purpose::STANDARD.encode_string(line, &mut message);
            message.push('\n');
        }
        if input.send(Input::Data(Bytes::from(message))).await.is_err() {
            return Err(CopyError::Session(
                "the session ended while the file was being sent".to_owned(),
            ));
        }
        progress(Tick::Moved(n as u64));
    }
    let _ = input
        .send(Input::Data(Bytes::from_static(&[END_OF_INPUT])))
        .await;
    Ok(())
}

/// Fills `buffer` as far as the file allows; the count read (short only at the end).
fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
