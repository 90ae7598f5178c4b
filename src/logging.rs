//! Logging to a file in the state directory, never to the terminal (the terminal belongs to
//! the session or the console). Tokens and key material are never logged: the types that hold
//! them redact themselves in `Debug`.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Where logs go: `$XDG_STATE_HOME/bosun` (or the platform's equivalent).
pub fn log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "bosun")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf(),
    )
}

/// Starts file logging at the level in `BOSUN_LOG` (default `info`). Returns the file's path
/// and a guard that flushes the log when dropped; `None` if no log directory can be made, in
/// which case bosun runs without logs rather than failing.
pub fn init(file_name: &str) -> Option<(PathBuf, WorkerGuard)> {
    let dir = log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, file_name);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("BOSUN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some((dir.join(file_name), guard))
}
