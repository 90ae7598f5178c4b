//! The one seam between bosun and the operating system, a file per OS: files only their owner
//! may read, process groups, leaving the terminal's session. Elsewhere nothing asks which OS
//! it runs on for these.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use self::unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use self::windows::*;

/// Writes `bytes` to `path` (its folder made first), readable by its owner alone: a token or
/// a private key.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = private_file(path)?;
    file.write_all(bytes)
}

/// Writes `bytes` to a new file at `path`, readable by its owner alone, never through a file or
/// link already there (in a shared folder such as /tmp one may have been planted): a stale
/// one is removed, then the file is made afresh or not at all.
pub fn write_private_new(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let _ = std::fs::remove_file(path);
    let mut file = new_private_file(path)?;
    file.write_all(bytes)
}
