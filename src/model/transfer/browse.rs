//! A folder on an instance as the console's file view shows it: the POSIX shell text that
//! lists it (GNU `find -printf` where there is one, a `stat` loop elsewhere), and the reading
//! of its answer. The listing comes as hex (`od`): names are bytes, and the agent alters
//! output that is not UTF-8 on its way, which hex never is.

use super::script::{FAIL, assign};

/// The most entries a listing keeps: a folder of a million files is still listed, cut here.
pub const MOST_ENTRIES: usize = 10_000;

/// What a folder entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Folder,
    File,
    /// A symbolic link, and whether it leads to a folder (Enter follows it).
    Link {
        to_folder: bool,
    },
    /// A device, a socket, a pipe.
    Other,
}

/// One entry of a remote folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    pub name: Vec<u8>,
    pub kind: EntryKind,
    pub size: u64,
    /// Seconds since the epoch.
    pub modified: i64,
    pub owner: String,
}

impl RemoteEntry {
    /// Whether Enter goes into it.
    pub fn is_folder(&self) -> bool {
        matches!(
            self.kind,
            EntryKind::Folder | EntryKind::Link { to_folder: true }
        )
    }
}

/// A remote folder's entries, folders first, then by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteListing {
    /// The folder's absolute path as the instance resolved it (`pwd -P`).
    pub path: Vec<u8>,
    pub entries: Vec<RemoteEntry>,
    /// More entries were there than [`MOST_ENTRIES`].
    pub cut: bool,
}

/// The shell text that lists `path`: its resolved path, then one record per entry, all as hex.
/// It fails as `ls` would (codes of [`super::script::Failure`]) for a path that is missing,
/// not a folder, or not readable.
pub fn list(path: &[u8]) -> String {
    format!(
        "{FAIL}; {}; \
if [ ! -e \"$d\" ]; then fail 21 \"$d: No such file or directory\"; fi; \
if [ ! -d \"$d\" ]; then fail 27 \"$d: Not a directory\"; fi; \
cd -- \"$d\" 2>/dev/null && [ -r . ] || fail 22 \"$d: Permission denied\"; \
{{ pwd -P; printf '\\0'; \
if [ -z \"${{bosun_ls_portable:-}}\" ] && find . -maxdepth 0 -printf '' >/dev/null 2>&1; then \
find . -mindepth 1 -maxdepth 1 -printf '%y %Y %s %T@ %u %P\\0' 2>/dev/null; \
else for e in * .[!.]* ..?*; do [ -e \"$e\" ] || [ -h \"$e\" ] || continue; \
if [ -h \"$e\" ]; then t=l; elif [ -d \"$e\" ]; then t=d; elif [ -f \"$e\" ]; then t=f; else t=o; fi; \
if [ -d \"$e\" ]; then y=d; else y=f; fi; \
m=$(stat -c '%s %Y %U' -- \"$e\" 2>/dev/null || stat -f '%z %m %Su' -- \"$e\" 2>/dev/null || echo '0 0 ?'); \
printf '%s %s %s %s\\0' \"$t\" \"$y\" \"$m\" \"$e\"; done; fi; }} | od -An -v -tx1",
        assign("d", path)
    )
}

/// Reads what [`list`] printed; an error names what could not be read.
pub fn parse(output: &[u8]) -> Result<RemoteListing, String> {
    read(output, false)
}

/// Reads the start of what [`list`] printed, stopped early on purpose: its last record may
/// be half there and is left out.
pub fn parse_cut(output: &[u8]) -> Result<RemoteListing, String> {
    read(output, true)
}

fn read(output: &[u8], stopped: bool) -> Result<RemoteListing, String> {
    let mut bytes = from_hex(output)?;
    if stopped {
        let last = bytes.iter().rposition(|&b| b == 0).map_or(0, |at| at + 1);
        bytes.truncate(last);
    }
    let mut records = bytes.split(|&b| b == 0);
    let mut path = records.next().ok_or("the listing is empty")?.to_vec();
    if path.last() == Some(&b'\n') {
        path.pop();
    }
    if path.is_empty() {
        return Err("the listing does not say which folder it is".to_owned());
    }
    let mut listing = RemoteListing {
        path,
        cut: stopped,
        ..RemoteListing::default()
    };
    for record in records.filter(|record| !record.is_empty()) {
        if listing.entries.len() == MOST_ENTRIES {
            listing.cut = true;
            break;
        }
        listing.entries.push(entry(record).ok_or_else(|| {
            format!(
                "a listing line that cannot be read: {}",
                super::shown_bytes(record)
            )
        })?);
    }
    listing
        .entries
        .sort_by(|a, b| (!a.is_folder(), &a.name).cmp(&(!b.is_folder(), &b.name)));
    Ok(listing)
}

/// `TYPE TARGET-TYPE SIZE MTIME OWNER NAME`: the name is the rest, spaces and all.
fn entry(record: &[u8]) -> Option<RemoteEntry> {
    let mut fields = record.splitn(6, |&b| b == b' ');
    let mut text = || std::str::from_utf8(fields.next()?).ok();
    let (kind, target, size, modified, owner) = (text()?, text()?, text()?, text()?, text()?);
    let name = fields.next()?.to_vec();
    let kind = match kind {
        "d" => EntryKind::Folder,
        "f" => EntryKind::File,
        "l" => EntryKind::Link {
            to_folder: target == "d",
        },
        _ => EntryKind::Other,
    };
    // GNU find gives seconds with a fraction; stat whole seconds.
    let modified = modified.split('.').next()?.parse().ok()?;
    Some(RemoteEntry {
        name,
        kind,
        size: size.parse().ok()?,
        modified,
        owner: owner.to_owned(),
    })
}

/// `od -An -tx1`'s lines back into bytes.
fn from_hex(output: &[u8]) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = output
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err("the listing was cut short".to_owned());
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| "the listing is not the hex it should be".to_owned())
        })
        .collect()
}

/// The folder above `path` (`/` stays `/`).
pub fn parent(path: &[u8]) -> Vec<u8> {
    let trimmed = path.strip_suffix(b"/").unwrap_or(path);
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(0) | None => b"/".to_vec(),
        Some(at) => trimmed[..at].to_vec(),
    }
}

/// `name` inside the folder `path`.
pub fn join(path: &[u8], name: &[u8]) -> Vec<u8> {
    let mut joined = path.to_vec();
    if !joined.ends_with(b"/") {
        joined.push(b'/');
    }
    joined.extend_from_slice(name);
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the listing script here, as the instance would.
    fn run(path: &[u8], portable: bool) -> (Option<i32>, Vec<u8>, String) {
        let mut command = std::process::Command::new("sh");
        command.arg("-c").arg(list(path));
        if portable {
            command.env("bosun_ls_portable", "1");
        }
        let output = command.output().expect("sh");
        (
            output.status.code(),
            output.stdout,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    #[cfg(unix)]
    #[test]
    fn both_ways_of_listing_read_back_the_same_entries() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let odd = std::ffi::OsStr::from_bytes(b"odd \xff name\nwith a line");
        std::fs::write(dir.path().join(odd), b"12345").expect("write");
        std::fs::write(dir.path().join(".hidden"), b"").expect("write");
        std::fs::create_dir(dir.path().join("logs")).expect("mkdir");
        std::os::unix::fs::symlink("logs", dir.path().join("to-logs")).expect("link");
        std::os::unix::fs::symlink("nowhere", dir.path().join("dangling")).expect("link");
        let path = dir.path().as_os_str().as_bytes();
        let mut seen = Vec::new();
        for portable in [false, true] {
            let (code, out, err) = run(path, portable);
            assert_eq!(code, Some(0), "{err}");
            let listing = parse(&out).expect("parsed");
            let names: Vec<(String, EntryKind, u64)> = listing
                .entries
                .iter()
                .map(|e| (super::super::shown_bytes(&e.name), e.kind, e.size))
                .collect();
            assert_eq!(
                names[..2],
                [
                    ("logs".to_owned(), EntryKind::Folder, names[0].2),
                    (
                        "to-logs".to_owned(),
                        EntryKind::Link { to_folder: true },
                        names[1].2
                    ),
                ],
                "folders first ({portable})"
            );
            assert!(
                names.contains(&("odd \\xff name\nwith a line".to_owned(), EntryKind::File, 5)),
                "{names:?}"
            );
            assert!(names.iter().any(|(n, _, _)| n == ".hidden"), "{names:?}");
            assert!(
                names
                    .iter()
                    .any(|(n, k, _)| n == "dangling" && *k == EntryKind::Link { to_folder: false }),
                "{names:?}"
            );
            assert!(listing.entries.iter().all(|e| e.modified > 1_600_000_000));
            assert!(listing.entries.iter().all(|e| !e.owner.is_empty()));
            seen.push(names);
        }
        assert_eq!(seen[0].len(), seen[1].len());
    }

    #[test]
    fn a_missing_path_or_a_file_fails_as_ls_would() {
        let (code, _, err) = run(b"/no/such/place", false);
        assert_eq!(code, Some(21), "{err}");
        assert!(err.contains("No such file or directory"), "{err}");
        let file = tempfile::NamedTempFile::new().expect("temp");
        let (code, _, _) = run(file.path().to_string_lossy().as_bytes(), false);
        assert_eq!(code, Some(27));
    }

    #[test]
    fn odd_answers_are_errors_and_paths_go_up_and_in() {
        assert!(parse(b"2f 0").is_err());
        assert!(parse(b"zz").is_err());
        assert!(parse(b"").is_err());
        // "/\n\0x" : a record without its fields.
        assert!(parse(b" 2f 0a 00 78").is_err());
        // Stopped early: the half record after the last whole one is left out.
        let stopped = parse_cut(b" 2f 00 66 20 66 20 31 20 32 20 72 20 61 00 64 20").expect("read");
        assert!(stopped.cut);
        assert_eq!(stopped.entries.len(), 1);
        assert_eq!(stopped.entries[0].name, b"a");
        assert_eq!(parent(b"/var/log"), b"/var");
        assert_eq!(parent(b"/var/"), b"/");
        assert_eq!(parent(b"/"), b"/");
        assert_eq!(join(b"/", b"etc"), b"/etc");
        assert_eq!(join(b"/etc", b"hosts"), b"/etc/hosts");
    }
}
