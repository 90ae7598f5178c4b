//! A folder's copy (`-r`): the lines its first session lists before the tar file (where the
//! tar waits on the instance, each file's SHA-256), read back into names and digests.

/// What a folder's first session listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The tar file on the instance, deleted when the copy is over.
    pub temporary: Option<Vec<u8>>,
    /// Each regular file's path (from the folder's parent) and SHA-256.
    pub files: Vec<(Vec<u8>, String)>,
}

impl Listing {
    /// Takes one listed line; an error for a digest line that cannot be read.
    pub fn take(&mut self, line: &[u8]) -> Result<(), String> {
        if let Some(path) = line.strip_prefix(b"bosun-cp-tree ") {
            self.temporary = Some(path.to_vec());
            return Ok(());
        }
        let Some(sum) = line.strip_prefix(b"bosun-cp-sum ") else {
            return Ok(());
        };
        let (name, digest) = sum_line(sum).ok_or_else(|| {
            format!(
                "a digest line that cannot be read: {}",
                super::shown_bytes(line)
            )
        })?;
        self.files.push((name, digest));
        Ok(())
    }
}

/// Reads what `sha256sum`, `shasum -a 256` or `openssl dgst -sha256 -r` print for one file:
/// `HEX  NAME` (`HEX *NAME` in binary mode), and GNU's escaped form for names holding a
/// backslash or a newline: a leading `\`, and `\\`, `\n` in the name.
pub fn sum_line(line: &[u8]) -> Option<(Vec<u8>, String)> {
    let (escaped, line) = match line.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let digest = std::str::from_utf8(line.get(..64)?).ok()?;
    if !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let name = match line.get(64..66)? {
        b"  " | b" *" => &line[66..],
        _ => return None,
    };
    let name = if escaped {
        let mut plain = Vec::with_capacity(name.len());
        let mut bytes = name.iter();
        while let Some(&byte) = bytes.next() {
            match (byte, bytes.clone().next()) {
                (b'\\', Some(b'\\')) => {
                    plain.push(b'\\');
                    bytes.next();
                }
                (b'\\', Some(b'n')) => {
                    plain.push(b'\n');
                    bytes.next();
                }
                _ => plain.push(byte),
            }
        }
        plain
    } else {
        name.to_vec()
    };
    Some((name, digest.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tools_digest_lines_are_read() {
        let hex = "ab".repeat(32);
        assert_eq!(
            sum_line(format!("{hex}  logs/a b.txt").as_bytes()),
            Some((b"logs/a b.txt".to_vec(), hex.clone()))
        );
        assert_eq!(
            sum_line(format!("{hex} *logs/x").as_bytes()),
            Some((b"logs/x".to_vec(), hex.clone()))
        );
        assert_eq!(
            sum_line(format!("\\{hex}  logs/new\\nline\\\\x").as_bytes()),
            Some((b"logs/new\nline\\x".to_vec(), hex.clone()))
        );
        assert_eq!(
            sum_line(&[format!("{hex}  ").as_bytes(), b"caf\xe9"].concat()),
            Some((b"caf\xe9".to_vec(), hex.clone()))
        );
        assert_eq!(sum_line(b"not a digest"), None);
        let mut listing = Listing::default();
        listing.take(b"bosun-cp-tree /tmp/bosun-cp.Ab12").unwrap();
        listing
            .take(format!("bosun-cp-sum {hex}  logs/a").as_bytes())
            .unwrap();
        assert_eq!(
            listing.temporary.as_deref(),
            Some(&b"/tmp/bosun-cp.Ab12"[..])
        );
        assert_eq!(listing.files.len(), 1);
    }
}
