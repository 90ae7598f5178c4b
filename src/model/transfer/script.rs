//! The POSIX shell text a copy runs on a Linux or macOS instance. Downloads run as
//! AWS-StartNonInteractiveCommand with separate output streams (no terminal: the bytes come
//! as they are, but for what the agent itself does to them, see `stream`); uploads run as
//! AWS-StartInteractiveCommand, whose input always passes a terminal, so they are sent as
//! base64 lines with echo off and decoded into a temporary name that is renamed only when
//! its SHA-256 matches.
//!
//! A script reports on stdout in lines that start `bosun-cp` and fails with a code of its own
//! (see [`Failure`]) and a line on stderr.

use std::fmt::Write as _;

/// Why a script gave up, by its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    NotFound = 21,
    PermissionDenied = 22,
    IsAFolder = 23,
    NoDigestTool = 24,
    Mismatch = 25,
    NoBase64 = 26,
    NotAFolder = 27,
    NoTar = 28,
}

impl Failure {
    pub fn from_code(code: i32) -> Option<Failure> {
        [
            Failure::NotFound,
            Failure::PermissionDenied,
            Failure::IsAFolder,
            Failure::NoDigestTool,
            Failure::Mismatch,
            Failure::NoBase64,
            Failure::NotAFolder,
            Failure::NoTar,
        ]
        .into_iter()
        .find(|failure| *failure as i32 == code)
    }

    /// What went wrong, as `cp` would put it.
    pub fn sentence(self) -> &'static str {
        match self {
            Failure::NotFound => "No such file or directory",
            Failure::PermissionDenied => "Permission denied",
            Failure::IsAFolder => "is a folder (copy folders with -r)",
            Failure::NoDigestTool => {
                "the instance has no sha256sum, shasum or openssl to check the copy with"
            }
            Failure::Mismatch => {
                "the copy's SHA-256 did not match; nothing was written (try again)"
            }
            Failure::NoBase64 => "the instance has no base64 (coreutils) to decode the upload",
            Failure::NotAFolder => "not a folder",
            Failure::NoTar => "the instance has no tar to pack or unpack the folder",
        }
    }
}

/// A folder's upload (`-r`) into `path` (or into the folder there, under `name`, as `cp -r`
/// does): the tar (`size` bytes, `sha256`) comes as an upload's base64 lines into a temporary
/// file, is unpacked into a temporary folder beside the destination, each file's SHA-256 is
/// listed (`bosun-cp-sum …`), then `bosun-cp-confirm` waits for a line: `yes` moves the folder
/// into place (merged into one already there), anything else leaves nothing.
pub fn upload_tree(path: &[u8], name: &[u8], size: u64, sha256: &str) -> String {
    format!(
        "{FAIL}; {}; {}; {DIGEST}; command -v base64 >/dev/null 2>&1 || fail 26 'no base64'; \
command -v tar >/dev/null 2>&1 || fail 28 'no tar'; \
if [ -d \"$f\" ]; then f=\"${{f%/}}/$n\"; fi; \
if [ -e \"$f\" ] && [ ! -d \"$f\" ]; then fail 27 \"$f: not a folder\"; fi; \
d=$(dirname -- \"$f\"); \
u=$(mktemp -d \"$d/.bosun-cp.XXXXXX\" 2>/dev/null) || {{ if [ -d \"$d\" ]; then fail 22 \"$d: Permission denied\"; fi; fail 21 \"$d: No such file or directory\"; }}; \
t=\"$u.tar\"; trap 'rm -rf \"$u\" \"$t\"' EXIT HUP INT TERM; stty -echo 2>/dev/null; echo bosun-cp-ready; \
base64 -d >\"$t\" || fail 25 'the upload did not decode'; \
got=$($sum <\"$t\" | cut -d' ' -f1); bytes=$(wc -c <\"$t\"); bytes=$((bytes + 0)); \
if [ \"$got\" != '{sha256}' ] || [ \"$bytes\" != {size} ]; then fail 25 \"the upload arrived as $got ($bytes bytes)\"; fi; \
tar -xf \"$t\" -C \"$u\" 2>/dev/null || fail 25 'the folder did not unpack'; \
( cd \"$u\" && find . -type f -exec $sum {{}} + ) | sed 's/^/bosun-cp-sum /'; \
echo bosun-cp-confirm; IFS= read -r answer; [ \"$answer\" = yes ] || fail 25 'the files did not match'; \
if [ -d \"$f\" ]; then cp -R \"$u/$n/.\" \"$f/\" || fail 22 \"$f: Permission denied\"; \
else mv \"$u/$n\" \"$f\" || fail 22 \"$f: Permission denied\"; fi; \
printf 'bosun-cp-ok %s\\n' \"$f\"",
        assign("f", path),
        assign("n", name),
    )
}

/// Reads a `bosun-cp-failed CODE SENTENCE` line: the failure and the instance's sentence.
pub fn failed_line(line: &str) -> Option<(Failure, String)> {
    let rest = line.trim_end().strip_prefix("bosun-cp-failed ")?;
    let (code, said) = rest.split_once(' ').unwrap_or((rest, ""));
    Some((Failure::from_code(code.parse().ok()?)?, said.to_owned()))
}

/// A shell statement setting `name` to exactly `bytes`: single-quoted when it is plain text,
/// else built by printf from octal escapes (a name need not be UTF-8, but the command a session
/// runs is JSON text), with a guard character so trailing newlines survive.
pub fn assign(name: &str, bytes: &[u8]) -> String {
    let plain = std::str::from_utf8(bytes)
        .ok()
        .filter(|text| !text.chars().any(char::is_control));
    match plain {
        Some(text) => format!("{name}='{}'", text.replace('\'', r"'\''")),
        None => {
            let mut octal = String::with_capacity(bytes.len() * 4);
            for byte in bytes {
                let _ = write!(octal, "\\{byte:03o}");
            }
            format!("{name}=\"$(printf '{octal}x')\"; {name}=\"${{{name}%x}}\"")
        }
    }
}

/// Reports a failure by its code (see [`Failure`]) with a sentence, on stderr (merged into the
/// output where a terminal is in the path), and exits with the code.
pub(super) const FAIL: &str = "fail() { echo \"bosun-cp-failed $1 $2\" >&2; exit \"$1\"; }";

/// Chooses the digest tool the instance has (`$sum`), or fails saying there is none.
const DIGEST: &str = "if command -v sha256sum >/dev/null 2>&1; then sum='sha256sum'; \
elif command -v shasum >/dev/null 2>&1; then sum='shasum -a 256'; \
elif command -v openssl >/dev/null 2>&1; then sum='openssl dgst -sha256 -r'; \
else fail 24 'no sha256sum, shasum or openssl'; fi";

/// Fails as `cp` would for a source `$f` that is missing, a folder, or unreadable.
const READABLE: &str = "if [ -d \"$f\" ]; then fail 23 \"$f: is a folder\"; fi; \
if [ ! -e \"$f\" ]; then fail 21 \"$f: No such file or directory\"; fi; \
if [ ! -r \"$f\" ]; then fail 22 \"$f: Permission denied\"; fi; \
{ exec 3<\"$f\"; } 2>/dev/null || fail 22 \"$f: Permission denied\"; exec 3<&-";

/// The first (often only) session of a download: the file's size, into how many ranges it is
/// read (at most `sessions`, none smaller than `smallest` bytes), its SHA-256, where the bytes
/// EF BF BD stand in it (which the agent alters), then the first range's bytes and an end line:
///
/// ```text
/// bosun-cp 1 SIZE COUNT SHA256\n OFFSET OFFSET …\n <bytes of range 0> \nbosun-cp-end\n
/// ```
pub fn download_first(path: &[u8], sessions: usize, smallest: u64) -> String {
    format!(
        "{FAIL}; {}; {READABLE}; {DIGEST}; {}",
        assign("f", path),
        send_file(sessions, smallest)
    )
}

/// A download where only a terminal reaches the file (a container through ECS Exec): the
/// file's size and SHA-256, then the file as base64 lines (which no terminal alters), then an
/// end line. Echo is turned off first, so nothing typed can mix in.
///
/// ```text
/// bosun-cp-file SIZE SHA256\n <base64 lines> bosun-cp-done\n
/// ```
pub fn download_through_terminal(path: &[u8]) -> String {
    format!(
        "{FAIL}; {}; {READABLE}; {DIGEST}; command -v base64 >/dev/null 2>&1 || fail 26 'no base64'; \
stty -echo 2>/dev/null; size=$(wc -c <\"$f\") || fail 22 \"$f: Permission denied\"; size=$((size + 0)); \
digest=$($sum <\"$f\" | cut -d' ' -f1); printf 'bosun-cp-file %s %s\\n' \"$size\" \"$digest\"; \
base64 <\"$f\"; echo bosun-cp-done",
        assign("f", path)
    )
}

/// Sends the file `$f` (readable, `$sum` chosen) as [`download_first`] describes.
fn send_file(sessions: usize, smallest: u64) -> String {
    format!(
        "size=$(wc -c <\"$f\") || fail 22 \"$f: Permission denied\"; size=$((size + 0)); \
count=$((size / {smallest})); [ \"$count\" -lt 1 ] && count=1; [ \"$count\" -gt {sessions} ] && count={sessions}; \
length=$(( (size + count - 1) / count )); \
digest=$(head -c \"$size\" \"$f\" | $sum | cut -d' ' -f1); \
printf 'bosun-cp 1 %s %s %s\\n' \"$size\" \"$count\" \"$digest\"; \
{{ LC_ALL=C grep -obUaF \"$(printf '\\357\\277\\275')\" \"$f\" 2>/dev/null | cut -d: -f1 | tr '\\n' ' '; }}; echo; \
head -c \"$length\" \"$f\"; printf '\\nbosun-cp-end\\n'",
        sessions = sessions.max(1),
        smallest = smallest.max(1),
    )
}

/// The first session of a folder's download (`-r`): the folder packed with tar into a
/// temporary file on the instance (`bosun-cp-tree TEMP`), each file's SHA-256 as the digest
/// tool prints it (`bosun-cp-sum HEX  NAME`), then the tar file as [`download_first`] sends a
/// file. The later ranges read TEMP; [`remove`] deletes it once the copy is over (this
/// session deletes it itself if it fails before the tar is listed, or is ended).
pub fn download_tree_first(path: &[u8], sessions: usize, smallest: u64) -> String {
    format!(
        "{FAIL}; {}; \
if [ ! -d \"$f\" ]; then if [ -e \"$f\" ]; then fail 27 \"$f: not a folder\"; fi; fail 21 \"$f: No such file or directory\"; fi; \
if [ ! -r \"$f\" ] || [ ! -x \"$f\" ]; then fail 22 \"$f: Permission denied\"; fi; \
{DIGEST}; command -v tar >/dev/null 2>&1 || fail 28 'no tar'; \
p=$(dirname -- \"$f\"); b=$(basename -- \"$f\"); \
t=$(mktemp \"${{TMPDIR:-/tmp}}/bosun-cp.XXXXXX\") || fail 22 'cannot make a temporary file'; \
trap 'rm -f \"$t\"' EXIT HUP INT TERM; \
tar -cf \"$t\" -C \"$p\" -- \"$b\" 2>/dev/null || fail 22 \"$f: Permission denied (a file in it cannot be read)\"; \
printf 'bosun-cp-tree %s\\n' \"$t\"; \
( cd \"$p\" && find \"$b\" -type f -exec $sum {{}} + ) | sed 's/^/bosun-cp-sum /'; \
trap - EXIT; f=\"$t\"; {}",
        assign("f", path),
        send_file(sessions, smallest)
    )
}

/// Deletes what a folder's download left on the instance.
pub fn remove(temporary: &[u8]) -> String {
    format!("{}; rm -f -- \"$t\"", assign("t", temporary))
}

/// A later range of a download: `bosun-cp-range START LENGTH\n <bytes> \nbosun-cp-end\n`.
pub fn download_range(path: &[u8], start: u64, length: u64) -> String {
    format!(
        "{FAIL}; {}; {READABLE}; printf 'bosun-cp-range %s %s\\n' {start} {length}; \
tail -c +{from} \"$f\" | head -c {length}; printf '\\nbosun-cp-end\\n'",
        assign("f", path),
        from = start + 1,
    )
}

/// An upload into `path` (a file, or a folder to put `name` in): a temporary file beside the
/// destination, echo off, `bosun-cp-ready` once it reads; then base64 lines until end of input
/// (ctrl-d), checked against `sha256` and `size`, given the permissions `mode` less the umask,
/// and renamed into place; `bosun-cp-ok PATH` or a failure.
pub fn upload(path: &[u8], name: &[u8], size: u64, sha256: &str, mode: u32) -> String {
    format!(
        "{FAIL}; {}; {}; {DIGEST}; command -v base64 >/dev/null 2>&1 || fail 26 'no base64'; \
if [ -d \"$f\" ]; then f=\"${{f%/}}/$n\"; fi; \
if [ -d \"$f\" ]; then fail 23 \"$f: is a folder\"; fi; \
d=$(dirname -- \"$f\"); \
t=$(mktemp \"$d/.bosun-cp.XXXXXX\" 2>/dev/null) || {{ if [ -d \"$d\" ]; then fail 22 \"$d: Permission denied\"; fi; fail 21 \"$d: No such file or directory\"; }}; \
trap 'rm -f \"$t\"' EXIT HUP INT TERM; stty -echo 2>/dev/null; echo bosun-cp-ready; \
base64 -d >\"$t\" || fail 25 'the upload did not decode'; \
got=$($sum <\"$t\" | cut -d' ' -f1); bytes=$(wc -c <\"$t\"); bytes=$((bytes + 0)); \
if [ \"$got\" != '{sha256}' ] || [ \"$bytes\" != {size} ]; then fail 25 \"the upload arrived as $got ($bytes bytes)\"; fi; \
chmod \"$(printf '%o' $(( 0{mode:o} & ~0$(umask) )))\" \"$t\"; \
mv -f \"$t\" \"$f\" || fail 22 \"$f: Permission denied\"; \
printf 'bosun-cp-ok %s\\n' \"$f\"",
        assign("f", path),
        assign("n", name),
        mode = mode & 0o777,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `script` with /bin/sh and returns what it printed.
    fn sh(script: &str) -> std::process::Output {
        std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap()
    }

    /// Runs `script` as a user who is not root (`nobody`, through setpriv, when the tests run
    /// as root): `None` where that cannot be done.
    fn sh_unprivileged(script: &str) -> Option<std::process::Output> {
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .ok()
            .is_some_and(|out| out.stdout.starts_with(b"0\n"));
        let mut command = if root {
            let mut setpriv = std::process::Command::new("setpriv");
            setpriv.args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/bin/sh",
            ]);
            setpriv
        } else {
            std::process::Command::new("/bin/sh")
        };
        command.arg("-c").arg(script).output().ok()
    }

    #[test]
    fn an_unreadable_file_or_folder_is_permission_denied() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("bosun-denied-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let secret = dir.join("secret");
        std::fs::write(&secret, b"s").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        let path = secret.to_str().unwrap().as_bytes();
        let Some(out) = sh_unprivileged(&download_first(path, 1, 1)) else {
            return;
        };
        assert_eq!(
            out.status.code(),
            Some(Failure::PermissionDenied as i32),
            "{out:?}"
        );
        assert!(out.stdout.is_empty());
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            failed_line(&said).map(|(failure, _)| failure),
            Some(Failure::PermissionDenied)
        );
        // An upload into a folder the user may not write to.
        let upload = upload(
            dir.to_str().unwrap().as_bytes(),
            b"new",
            1,
            &"0".repeat(64),
            0o644,
        );
        let out = sh_unprivileged(&upload).unwrap();
        assert_eq!(
            out.status.code(),
            Some(Failure::PermissionDenied as i32),
            "{out:?}"
        );
        assert!(!dir.join("new").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_reach_the_shell_byte_for_byte() {
        for name in [
            &b"plain.txt"[..],
            b"it's here",
            b"caf\xe9 \xff\n",
            b"$(rm -rf x) `y` \"z\"",
        ] {
            let out = sh(&format!("{}; printf '%s' \"$f\"", assign("f", name)));
            assert_eq!(out.stdout, name, "{:?}", String::from_utf8_lossy(name));
        }
    }

    #[test]
    fn a_download_says_its_size_digest_and_where_the_agent_alters_it() {
        let dir = std::env::temp_dir().join(format!("bosun-script-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("data");
        let body = b"ab\xef\xbf\xbdcd\xef\xbf\xbd".repeat(10);
        std::fs::write(&file, &body).unwrap();
        let path = file.to_str().unwrap().as_bytes();
        let out = sh(&download_first(path, 4, 20));
        let text = out.stdout;
        let header_end = text.iter().position(|&b| b == b'\n').unwrap();
        let header = std::str::from_utf8(&text[..header_end]).unwrap();
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
        assert_eq!(header, format!("bosun-cp 1 100 4 {digest}"));
        let rest = &text[header_end + 1..];
        let offsets_end = rest.iter().position(|&b| b == b'\n').unwrap();
        assert!(
            std::str::from_utf8(&rest[..offsets_end])
                .unwrap()
                .starts_with("2 7 12 17 ")
        );
        assert_eq!(
            &rest[offsets_end + 1..],
            [&body[..25], b"\nbosun-cp-end\n"].concat()
        );
        let range = sh(&download_range(path, 25, 25)).stdout;
        assert_eq!(
            range,
            [
                b"bosun-cp-range 25 25\n",
                &body[25..50],
                b"\nbosun-cp-end\n"
            ]
            .concat()
        );
        let missing = sh(&download_first(b"/nonexistent/x", 1, 1));
        assert_eq!(missing.status.code(), Some(Failure::NotFound as i32));
        let folder = sh(&download_first(dir.to_str().unwrap().as_bytes(), 1, 1));
        assert_eq!(folder.status.code(), Some(Failure::IsAFolder as i32));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
