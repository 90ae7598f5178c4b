//! Folders (`bosun cp -r`). Down: the instance packs the folder with tar into a temporary
//! file and lists each file's SHA-256; the tar comes over as a file does (ranges, restored
//! bytes, its own digest), is unpacked beside the destination, every file is checked against
//! the instance's digest, and only then is the folder moved into place; the tar on the
//! instance is deleted once read. Up: the folder is packed here, sent as an upload is, unpacked
//! beside its destination there, and moved into place only once every file's digest there is
//! the one here.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::download::{SMALLEST_RANGE, fetch};
use super::{Copied, CopyError, Partial, Progress, Remote, follow, sha256_of, start};
use crate::model::document::Document;
use crate::model::transfer::script;

/// Copies the folder `path` on the instance to `destination` (which must not be a file); one
/// `Copied` per file, as the instance listed them.
pub async fn download_tree(
    remote: &Remote,
    path: &[u8],
    destination: &Path,
    sessions: usize,
    progress: Progress,
) -> Result<Vec<Copied>, CopyError> {
    if remote.container.is_some() {
        return Err(CopyError::Session(format!(
            "{}: folders come out of containers one file at a time for now (or tar the folder \
             there and copy the tar)",
            remote.target
        )));
    }
    let began = Instant::now();
    let tar = Partial::beside(destination);
    let first = script::download_tree_first(path, sessions, SMALLEST_RANGE);
    let left_there = std::sync::OnceLock::new();
    let fetched = fetch(remote, path, first, &tar, progress, Some(&left_there)).await;
    // The instance's tar goes whether the copy worked or not.
    if let Some(temporary) = left_there.get() {
        remove_on_instance(remote, temporary).await;
    }
    let fetched = fetched?;
    let got = sha256_of(&tar.temporary).map_err(|e| CopyError::local(destination, e))?;
    if got != fetched.header.sha256 {
        return Err(CopyError::Mismatch {
            path: destination.display().to_string(),
            want: fetched.header.sha256,
            got,
        });
    }
    let unpacked = Unpacked::beside(destination);
    let archive = tar.temporary.clone();
    let into = unpacked.0.clone();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir(&into)?;
        tar::Archive::new(std::fs::File::open(&archive)?).unpack(&into)
    })
    .await
    .map_err(|error| CopyError::local(destination, error))?
    .map_err(|error| CopyError::local(destination, format!("cannot unpack: {error}")))?;
    drop(tar);
    let root = unpacked
        .0
        .join(crate::platform::os_string_from_bytes(folder_name(path)));
    let mut copied = Vec::with_capacity(fetched.listing.files.len());
    for (name, want) in &fetched.listing.files {
        let inside = below_first(name);
        let local = root.join(crate::platform::os_string_from_bytes(inside.to_vec()));
        let got = sha256_of(&local).map_err(|error| CopyError::local(&local, error))?;
        let final_path = destination.join(crate::platform::os_string_from_bytes(inside.to_vec()));
        if &got != want {
            return Err(CopyError::Mismatch {
                path: final_path.display().to_string(),
                want: want.clone(),
                got,
            });
        }
        let bytes = std::fs::metadata(&local).map(|m| m.len()).unwrap_or(0);
        copied.push(Copied {
            path: final_path.display().to_string(),
            bytes,
            sha256: got,
            seconds: began.elapsed().as_secs_f64(),
        });
    }
    place(&root, destination).map_err(|error| CopyError::local(destination, error))?;
    Ok(copied)
}

/// Copies the local folder `source` to `path` on the instance (created, or merged into the
/// folder there under the source's name, as `cp -r` does); one `Copied` per file.
pub async fn upload_tree(
    remote: &Remote,
    source: &Path,
    path: &[u8],
    progress: Progress,
) -> Result<Vec<Copied>, CopyError> {
    let began = Instant::now();
    if !source.is_dir() {
        return Err(CopyError::local(source, "not a folder"));
    }
    let absolute = std::path::absolute(source).map_err(|error| CopyError::local(source, error))?;
    let name = absolute
        .components()
        .next_back()
        .map(|last| last.as_os_str().to_owned())
        .unwrap_or_else(|| "folder".into());
    let packed = Packed(
        std::env::temp_dir().join(format!("bosun-cp-{}.tar", uuid::Uuid::new_v4().simple())),
    );
    let (tar_path, folder, tar_name) = (packed.0.clone(), absolute.clone(), name.clone());
    let files = tokio::task::spawn_blocking(move || pack(&folder, &tar_name, &tar_path))
        .await
        .map_err(|error| CopyError::local(source, error))?
        .map_err(|error| CopyError::local(source, format!("cannot pack: {error}")))?;
    let size = std::fs::metadata(&packed.0)
        .map_err(|error| CopyError::local(source, error))?
        .len();
    let sha256 = sha256_of(&packed.0).map_err(|error| CopyError::local(source, error))?;
    let expected: Vec<(Vec<u8>, String)> = files
        .iter()
        .map(|file| (file.name.clone(), file.sha256.clone()))
        .collect();
    let command = script::upload_tree(path, name.as_encoded_bytes(), size, &sha256);
    let shown = format!(
        "{}:{}",
        remote.target,
        crate::model::transfer::shown_bytes(path)
    );
    let sent = super::upload::Sent {
        source: &packed.0,
        size,
        sha256: &sha256,
        expected: Some(&expected),
    };
    let placed = super::upload::send(remote, command, &shown, sent, progress).await?;
    let seconds = began.elapsed().as_secs_f64();
    Ok(files
        .into_iter()
        .map(|file| Copied {
            path: format!(
                "{}:{placed}/{}",
                remote.target,
                crate::model::transfer::shown_bytes(&file.name)
            ),
            bytes: file.bytes,
            sha256: file.sha256,
            seconds,
        })
        .collect())
}

/// A regular file of a folder being uploaded: its name below the folder (`/`-separated).
struct PackedFile {
    name: Vec<u8>,
    bytes: u64,
    sha256: String,
}

/// Packs `folder` as `name/…` into a tar at `into`; the regular files and their digests.
fn pack(folder: &Path, name: &std::ffi::OsStr, into: &Path) -> std::io::Result<Vec<PackedFile>> {
    let mut builder = tar::Builder::new(std::fs::File::create(into)?);
    builder.follow_symlinks(false);
    builder.append_dir_all(name, folder)?;
    builder.into_inner()?.sync_all()?;
    let mut files = Vec::new();
    walk(folder, &mut Vec::new(), &mut files)?;
    Ok(files)
}

fn walk(dir: &Path, prefix: &mut Vec<u8>, files: &mut Vec<PackedFile>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let before = prefix.len();
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(entry.file_name().as_encoded_bytes());
        if kind.is_dir() {
            walk(&entry.path(), prefix, files)?;
        } else if kind.is_file() {
            files.push(PackedFile {
                name: prefix.clone(),
                bytes: entry.metadata()?.len(),
                sha256: sha256_of(&entry.path())?,
            });
        }
        prefix.truncate(before);
    }
    Ok(())
}

/// The local tar of a folder being uploaded, removed when the upload is over.
struct Packed(PathBuf);

impl Drop for Packed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Deletes the folder's tar on the instance (best effort: `/tmp` is cleaned at boot anyway).
async fn remove_on_instance(remote: &Remote, temporary: &[u8]) {
    let command = script::remove(temporary);
    if let Ok(mut driven) =
        start(remote, Document::StartNonInteractiveCommand.name(), command).await
    {
        let _ = follow(remote, &mut driven, |_| Ok(())).await;
    }
}

/// The folder's own name as tar stores it (the path's last part; `.` for a home or `.`).
fn folder_name(path: &[u8]) -> Vec<u8> {
    let trimmed = path.strip_suffix(b"/").unwrap_or(path);
    match trimmed.rsplit(|&b| b == b'/').next() {
        Some(name) if !name.is_empty() => name.to_vec(),
        _ => b".".to_vec(),
    }
}

/// A listed name below the folder itself (`logs/app/a.log` → `app/a.log`).
fn below_first(name: &[u8]) -> &[u8] {
    name.iter()
        .position(|&b| b == b'/')
        .map_or(name, |slash| &name[slash + 1..])
}

/// Moves the unpacked folder to `destination`: renamed when nothing is there, else merged
/// into the folder there file by file (as `cp -r` copies into an existing folder).
fn place(root: &Path, destination: &Path) -> std::io::Result<()> {
    if !destination.exists() {
        return std::fs::rename(root, destination);
    }
    if !destination.is_dir() {
        return Err(std::io::Error::other("a file is in the way of the folder"));
    }
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let target = destination.join(entry.file_name());
        if entry.file_type()?.is_dir() && target.is_dir() {
            place(&entry.path(), &target)?;
        } else {
            std::fs::rename(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The folder a tar is unpacked into before it is checked: removed with whatever is left.
struct Unpacked(PathBuf);

impl Unpacked {
    fn beside(destination: &Path) -> Unpacked {
        Unpacked(super::temporary_beside(destination))
    }
}

impl Drop for Unpacked {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_taken_below_the_folder() {
        assert_eq!(folder_name(b"/var/log/"), b"log");
        assert_eq!(folder_name(b"."), b".");
        assert_eq!(folder_name(b"/"), b".");
        assert_eq!(below_first(b"log/app/a.log"), b"app/a.log");
        assert_eq!(below_first(b"./a"), b"a");
    }
}
