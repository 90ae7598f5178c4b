//! Logging to a file in the state directory, never to the terminal (the terminal belongs to
//! the session or the console). Tokens, key material, frame payloads and keystrokes are never
//! logged, at any level: bosun's own events name sizes and sequence numbers, the types that
//! hold secrets redact themselves in `Debug`, and other crates are held at `info` whatever
//! `BOSUN_LOG` asks, because their debug and trace output carries exactly those (tungstenite
//! prints every frame, the token and each keystroke among them; the SDK prints the bodies of
//! StartSession and ResumeSession, tokens included).

use std::path::PathBuf;

use tracing::Level;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::prelude::*;

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
    // Logs name instances, sessions and accounts: for the user alone.
    private(&dir, 0o700);
    let path = dir.join(file_name);
    if !path.exists() {
        let _ = std::fs::File::create(&path);
    }
    private(&path, 0o600);
    let appender = tracing_appender::rolling::never(&dir, file_name);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("BOSUN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter)
        .with_filter(filter_fn(|meta| may_log(meta.target(), *meta.level())));
    tracing_subscriber::registry().with(layer).try_init().ok()?;
    Some((path, guard))
}

/// Narrows a file's or directory's permissions (Unix; elsewhere the platform's defaults).
pub(crate) fn private(path: &std::path::Path, mode: u32) {
    crate::platform::restrict(path, mode);
}

/// bosun's own events at any level; everyone else's at `info` and above.
fn may_log(target: &str, level: Level) -> bool {
    target == "bosun" || target.starts_with("bosun::") || level <= Level::INFO
}

/// Deletes the recordings (`recordings/*.cast` in the state directory) last written more than
/// `keep_days` days ago; 0 keeps them all. How many went; a file that cannot be read or
/// deleted is left, as it is no reason to stop the console.
pub fn prune_recordings(keep_days: u64) -> usize {
    let Some(dir) = log_dir().map(|dir| dir.join("recordings")) else {
        return 0;
    };
    prune_older(&dir, keep_days, std::time::SystemTime::now())
}

/// The `.cast` files of `dir` modified more than `keep_days` before `now`, deleted.
fn prune_older(dir: &std::path::Path, keep_days: u64, now: std::time::SystemTime) -> usize {
    if keep_days == 0 {
        return 0;
    }
    let limit = std::time::Duration::from_secs(keep_days.saturating_mul(86_400));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "cast"))
        .filter(|entry| {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age > limit)
        })
        .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_crates_are_held_at_info() {
        assert!(may_log("bosun::transport::client", Level::TRACE));
        assert!(may_log("tungstenite::protocol", Level::INFO));
        assert!(!may_log("tungstenite::protocol", Level::DEBUG));
        assert!(!may_log(
            "aws_smithy_runtime::client::orchestrator",
            Level::TRACE
        ));
        assert!(!may_log("bosunish", Level::TRACE));
    }

    #[test]
    fn recordings_older_than_the_days_kept_go_and_the_rest_stay() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["old.cast", "new.cast", "notes.txt"] {
            std::fs::write(dir.path().join(name), "x").expect("write");
        }
        let old = std::fs::File::options()
            .write(true)
            .open(dir.path().join("old.cast"))
            .expect("open");
        let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 86_400);
        old.set_modified(long_ago).expect("age it");
        let now = std::time::SystemTime::now();
        assert_eq!(prune_older(dir.path(), 0, now), 0, "0 keeps them all");
        assert_eq!(prune_older(dir.path(), 30, now), 1);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["new.cast", "notes.txt"]);
    }
}
