//! Copying files over a session (`bosun cp`): which argument is on which side, how a file is
//! split into ranges for parallel sessions, the shell text that runs on the instance
//! (`script`), and the reading of what comes back (`stream`). Nothing here does I/O.

pub mod browse;
pub mod probe;
pub mod script;
pub mod stream;
pub mod tree;

use std::ffi::OsStr;
use std::path::PathBuf;

/// One side of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    Remote(RemotePath),
}

/// `TARGET:PATH`: a path on an instance (by id, Name or `tag:KEY=VALUE`) or in a container
/// (`ecs:CLUSTER/TASK/CONTAINER`). The path is bytes: a remote name need not be UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePath {
    pub target: String,
    pub path: Vec<u8>,
}

impl RemotePath {
    /// The path as a person reads it (undecodable bytes shown as `\xNN`).
    pub fn shown(&self) -> String {
        format!("{}:{}", self.target, shown_bytes(&self.path))
    }

    /// The path's last component (what a download is called locally when DST is a folder).
    pub fn file_name(&self) -> &[u8] {
        let trimmed = self.path.strip_suffix(b"/").unwrap_or(&self.path);
        trimmed
            .rsplit(|&b| b == b'/')
            .next()
            .filter(|name| !name.is_empty())
            .unwrap_or(trimmed)
    }
}

/// Bytes as text, undecodable ones escaped.
pub fn shown_bytes(bytes: &[u8]) -> String {
    bytes.utf8_chunks().fold(String::new(), |mut text, chunk| {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
        text
    })
}

/// Reads an argument the way `scp` does: a path that starts with `/`, `.` or `~`, or has no
/// `:` before its first `/`, or a drive letter (`C:\…`), is local; otherwise what comes before
/// the colon is the target. Targets that contain a colon themselves (`tag:KEY=VALUE`,
/// `ecs:CLUSTER/TASK/CONTAINER`) take the second one.
pub fn location(arg: &OsStr) -> Result<Location, String> {
    let bytes = arg.as_encoded_bytes();
    let local = || Location::Local(PathBuf::from(arg));
    if bytes.is_empty() {
        return Err("an empty path".to_owned());
    }
    if matches!(bytes[0], b'/' | b'.' | b'~' | b'\\') || is_drive_path(bytes) {
        return Ok(local());
    }
    let prefixed = bytes.starts_with(b"tag:") || bytes.starts_with(b"ecs:");
    let from = if prefixed { 4 } else { 0 };
    let Some(colon) = bytes[from..]
        .iter()
        .position(|&b| b == b':')
        .map(|i| i + from)
    else {
        return Ok(local());
    };
    // `dir/file:1` is a local name with a colon in it; `ecs:` targets have slashes.
    if !prefixed && bytes[..colon].contains(&b'/') {
        return Ok(local());
    }
    let target = std::str::from_utf8(&bytes[..colon])
        .map_err(|_| format!("{}: the target is not text", arg.display()))?;
    if target.is_empty() || target.ends_with(':') {
        return Err(format!("{}: no target before the colon", arg.display()));
    }
    let path = bytes[colon + 1..].to_vec();
    Ok(Location::Remote(RemotePath {
        target: target.to_owned(),
        path: if path.is_empty() { b".".to_vec() } else { path },
    }))
}

fn is_drive_path(bytes: &[u8]) -> bool {
    bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes.get(2).is_none_or(|&b| b == b'\\' || b == b'/')
}

/// Which way a copy goes, read from its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direction {
    /// Remote sources into a local file or folder.
    Download {
        sources: Vec<RemotePath>,
        destination: PathBuf,
    },
    /// Local sources to a remote file or folder.
    Upload {
        sources: Vec<PathBuf>,
        destination: RemotePath,
    },
}

/// Reads `SRC… DST`: either every source is remote and DST local, or DST is remote and every
/// source local.
pub fn direction(args: &[std::ffi::OsString]) -> Result<Direction, String> {
    let [sources @ .., destination] = args else {
        return Err("give at least a source and a destination".to_owned());
    };
    if sources.is_empty() {
        return Err("give at least a source and a destination".to_owned());
    }
    let sources = sources
        .iter()
        .map(|arg| location(arg))
        .collect::<Result<Vec<_>, _>>()?;
    match (location(destination)?, sources.as_slice()) {
        (Location::Local(destination), _) => {
            let mut remote = Vec::new();
            for source in sources {
                match source {
                    Location::Remote(path) => remote.push(path),
                    Location::Local(path) => {
                        return Err(format!(
                            "{}: both sides are local; one of them is TARGET:PATH",
                            path.display()
                        ));
                    }
                }
            }
            Ok(Direction::Download {
                sources: remote,
                destination,
            })
        }
        (Location::Remote(destination), _) => {
            let mut local = Vec::new();
            for source in sources {
                match source {
                    Location::Local(path) => local.push(path),
                    Location::Remote(path) => {
                        return Err(format!(
                            "{}: both sides are remote; copy through this machine in two steps",
                            path.shown()
                        ));
                    }
                }
            }
            Ok(Direction::Upload {
                sources: local,
                destination,
            })
        }
    }
}

/// Splits `size` bytes into at most `sessions` ranges (`start`, `length`) of about the same
/// length; a file smaller than `smallest` per range takes fewer ranges.
pub fn ranges(size: u64, sessions: usize, smallest: u64) -> Vec<(u64, u64)> {
    let most = (size / smallest.max(1)).max(1);
    let count = (sessions.max(1) as u64).min(most);
    let length = size.div_ceil(count);
    (0..count)
        .map(|i| (i * length, length.min(size.saturating_sub(i * length))))
        .filter(|&(_, length)| length > 0 || size == 0)
        .take(if size == 0 { 1 } else { usize::MAX })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(target: &str, path: &str) -> Location {
        Location::Remote(RemotePath {
            target: target.to_owned(),
            path: path.as_bytes().to_vec(),
        })
    }

    fn at(arg: &str) -> Location {
        location(OsStr::new(arg)).unwrap()
    }

    #[test]
    fn arguments_are_read_as_scp_reads_them() {
        assert_eq!(
            at("i-0abc:/var/log/syslog"),
            remote("i-0abc", "/var/log/syslog")
        );
        assert_eq!(at("web-1:notes.txt"), remote("web-1", "notes.txt"));
        assert_eq!(at("web-1:"), remote("web-1", "."));
        assert_eq!(
            at("tag:Role=db:/etc/my.cnf"),
            remote("tag:Role=db", "/etc/my.cnf")
        );
        assert_eq!(
            at("ecs:prod/api/app:/tmp/heap.hprof"),
            remote("ecs:prod/api/app", "/tmp/heap.hprof")
        );
        for local in [
            "./a:b",
            "/tmp/x:y",
            "dir/file:1",
            "plain.txt",
            "C:\\Users\\x",
            "~/a",
        ] {
            assert_eq!(at(local), Location::Local(PathBuf::from(local)), "{local}");
        }
        assert!(location(OsStr::new(":/x")).is_err());
    }

    #[test]
    fn exactly_one_side_is_remote() {
        let args = |list: &[&str]| list.iter().map(Into::into).collect::<Vec<_>>();
        assert!(matches!(
            direction(&args(&["web:/a", "web:/b", "out/"])),
            Ok(Direction::Download { sources, .. }) if sources.len() == 2
        ));
        assert!(matches!(
            direction(&args(&["a.txt", "web:/tmp/"])),
            Ok(Direction::Upload { sources, .. }) if sources.len() == 1
        ));
        assert!(
            direction(&args(&["a", "b"]))
                .unwrap_err()
                .contains("both sides are local")
        );
        assert!(
            direction(&args(&["web:/a", "db:/b"]))
                .unwrap_err()
                .contains("both sides are remote")
        );
        assert!(direction(&args(&["web:/a"])).is_err());
    }

    #[test]
    fn ranges_cover_the_file_once() {
        assert_eq!(ranges(10, 4, 1), vec![(0, 3), (3, 3), (6, 3), (9, 1)]);
        assert_eq!(ranges(100, 4, 1_000), vec![(0, 100)]);
        assert_eq!(ranges(0, 4, 1), vec![(0, 0)]);
        let size = 20 * 1024 * 1024 + 7;
        let parts = ranges(size, 4, 1 << 20);
        assert_eq!(parts.len(), 4);
        assert_eq!(parts.iter().map(|r| r.1).sum::<u64>(), size);
        assert!(parts.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0));
    }

    #[test]
    fn names_are_shown_and_taken_apart() {
        let path = RemotePath {
            target: "web".to_owned(),
            path: b"/tmp/caf\xe9 menu/".to_vec(),
        };
        assert_eq!(path.shown(), "web:/tmp/caf\\xe9 menu/");
        assert_eq!(path.file_name(), b"caf\xe9 menu");
    }
}
