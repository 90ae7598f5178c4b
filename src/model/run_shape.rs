//! Near-identical outputs: the "shape" of an output, where what differs from one healthy
//! instance to the next (numbers, hex ids, timestamps, addresses, the instance's own id, name
//! and address) no longer does; and a line diff that shows a member how its output differs
//! from its group's most common one.

use std::borrow::Cow;

/// Stands for the instance's own id, name, address or hostname in a shape.
const SELF: &str = "<self>";
/// Stands for a run of digits, or of hex characters with a digit among them.
const NUMBER: char = '#';

/// `output` (trailing whitespace trimmed) with the instance's `identities` replaced by
/// `<self>`, then every run of ASCII hex characters that holds a digit (a count, a version
/// part, a pid, a hex id, each field of a timestamp or an address) replaced by `#`. Words
/// without digits stay as they are, so "active" and "inactive" keep apart.
pub fn shape_of(output: &str, identities: &[String]) -> String {
    numbers_set_aside(&without_identities(output, identities))
}

/// `text` with every run of ASCII hex characters that holds a digit replaced by `#` (the
/// second half of `shape_of`, for text whose identities are already set aside).
pub fn numbers_set_aside(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut shape = String::with_capacity(text.len());
    // Copied up to here; runs of hex characters without a digit are copied as they are.
    let mut copied = 0;
    let mut from = 0;
    while let Some(offset) = bytes[from..].iter().position(u8::is_ascii_digit) {
        let digit = from + offset;
        let mut start = digit;
        while start > copied && bytes[start - 1].is_ascii_hexdigit() {
            start -= 1;
        }
        let end = bytes[digit..]
            .iter()
            .position(|b| !b.is_ascii_hexdigit())
            .map_or(bytes.len(), |n| digit + n);
        // Both ends are ASCII, so char boundaries.
        shape.push_str(&text[copied..start]);
        shape.push(NUMBER);
        copied = end;
        from = end;
    }
    shape.push_str(&text[copied..]);
    shape
}

/// `text` with each run of identical consecutive lines kept once: the shape of an output AWS
/// cut, which holds as many whole lines as fitted in its limit (more short lines, fewer long
/// ones), so how often a line repeats says nothing about the instance.
pub fn repeats_folded(text: &str) -> String {
    let mut folded = String::with_capacity(text.len().min(4096));
    let mut previous = None;
    for line in text.split('\n') {
        if previous != Some(line) {
            if previous.is_some() {
                folded.push('\n');
            }
            folded.push_str(line);
            previous = Some(line);
        }
    }
    folded
}

/// `output` (trailing whitespace trimmed) with the instance's own id, name, address and
/// hostname replaced by `<self>`: what instances share when they say the same of themselves.
pub fn without_identities<'a>(output: &'a str, identities: &[String]) -> Cow<'a, str> {
    let mut text = Cow::Borrowed(output.trim_end());
    // Longest first, so an address is replaced before a name that is part of it.
    let mut identities: Vec<&str> = identities
        .iter()
        .map(String::as_str)
        .filter(|identity| identity.len() >= 3)
        .collect();
    identities.sort_by_key(|identity| std::cmp::Reverse(identity.len()));
    for identity in identities {
        if text.contains(identity) {
            text = Cow::Owned(replace_whole(&text, identity, SELF));
        }
    }
    text
}

/// `text` with `word` replaced where it stands whole: not inside a longer name, number or
/// address (`api` is not replaced in "application", nor `10.0.0.1` in "10.0.0.12").
fn replace_whole(text: &str, word: &str, with: &str) -> String {
    let part_of_name = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        // A dot joins an address only when more of it follows; at the end it ends a sentence.
        let after_joins = match after {
            Some('.') => rest[at + word.len() + 1..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric),
            Some(c) => part_of_name(c),
            None => false,
        };
        out.push_str(&rest[..at]);
        if before.is_some_and(part_of_name) || after_joins {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// The names an instance goes by in its own output: its id, its Name tag, its private
/// address and the hostname EC2 derives from it (`ip-10-0-0-12`).
pub fn identities_of(instance_id: &str, name: &str, private_ip: &str) -> Vec<String> {
    let mut identities = vec![instance_id.to_owned()];
    if !name.is_empty() {
        identities.push(name.to_owned());
    }
    if !private_ip.is_empty() {
        identities.push(private_ip.to_owned());
        identities.push(format!("ip-{}", private_ip.replace('.', "-")));
    }
    identities
}

/// One changed line between a group's common output and a member's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// In the common output, not in the member's.
    Removed(String),
    /// In the member's output, not in the common one.
    Added(String),
}

impl DiffLine {
    /// `- line` or `+ line`, as diff prints them.
    pub fn display(&self) -> String {
        match self {
            DiffLine::Removed(line) => format!("- {line}"),
            DiffLine::Added(line) => format!("+ {line}"),
        }
    }
}

/// Above this many line pairs the diff compares line by line in place instead of aligning.
const ALIGN_AT_MOST: usize = 250_000;

/// The lines that differ between `common` and `other`, in order: an alignment on the longest
/// common subsequence of lines while the outputs are small, line by line beyond.
pub fn line_diff(common: &str, other: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = common.lines().collect();
    let b: Vec<&str> = other.lines().collect();
    if a.len().saturating_mul(b.len()) > ALIGN_AT_MOST {
        return positional_diff(&a, &b);
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut changes = Vec::new();
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            changes.push(DiffLine::Removed(a[i].to_owned()));
            i += 1;
        } else {
            changes.push(DiffLine::Added(b[j].to_owned()));
            j += 1;
        }
    }
    changes.extend(a[i..].iter().map(|l| DiffLine::Removed((*l).to_owned())));
    changes.extend(b[j..].iter().map(|l| DiffLine::Added((*l).to_owned())));
    changes
}

fn positional_diff(a: &[&str], b: &[&str]) -> Vec<DiffLine> {
    let mut changes = Vec::new();
    for n in 0..a.len().max(b.len()) {
        match (a.get(n), b.get(n)) {
            (Some(x), Some(y)) if x == y => {}
            (x, y) => {
                changes.extend(x.map(|l| DiffLine::Removed((*l).to_owned())));
                changes.extend(y.map(|l| DiffLine::Added((*l).to_owned())));
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What varies between healthy instances falls away; what tells them apart stays.
    #[test]
    fn shapes_table() {
        let me = identities_of("i-0abc123def4567890", "web-frontend-1", "10.0.0.12");
        for (output, shape) in [
            ("active\n\n", "active"),
            ("inactive", "inactive"),
            (
                "Filesystem 20G 7.1G 13G 36% /",
                "Filesystem #G #.#G #G #% /",
            ),
            (
                "2026-11-29T08:00:01Z started pid 4211",
                "#-#-#T#:#:#Z started pid #",
            ),
            ("up 3 days, 04:12", "up # days, #:#"),
            ("request id 9f86d081884c7d65", "request id #"),
            ("ERROR42 in module", "ERROR# in module"),
            ("hostname: web-frontend-1", "hostname: <self>"),
            ("i-0abc123def4567890 is healthy", "<self> is healthy"),
            (
                "ip-10-0-0-12 answered from 10.0.0.12",
                "<self> answered from <self>",
            ),
            (
                "web-frontend-10 and 10.0.0.120 are others",
                "web-frontend-# and #.#.#.# are others",
            ),
            ("served by web-frontend-1.", "served by <self>."),
            ("peer 10.0.0.99", "peer #.#.#.#"),
            ("café 12 €", "café # €"),
            ("", ""),
        ] {
            assert_eq!(shape_of(output, &me), shape, "{output:?}");
        }
        // Another instance's output of the same shape is the same shape.
        let other = identities_of("i-0fff000111222333a", "web-frontend-2", "10.0.1.7");
        assert_eq!(
            shape_of("hostname: web-frontend-2 up 5 days", &other),
            shape_of("hostname: web-frontend-1 up 17 days", &me)
        );
        assert_ne!(
            shape_of("status: active", &me),
            shape_of("status: failed", &me)
        );
    }

    #[test]
    fn diffs_show_the_changed_lines_in_order() {
        let common = "version 1.4.2\nstatus ok\nworkers 8";
        let member = "version 1.4.1\nstatus ok\nworkers 8\nwarning: stale cache";
        assert_eq!(
            line_diff(common, member),
            vec![
                DiffLine::Removed("version 1.4.2".to_owned()),
                DiffLine::Added("version 1.4.1".to_owned()),
                DiffLine::Added("warning: stale cache".to_owned()),
            ]
        );
        assert!(line_diff(common, common).is_empty());
        assert_eq!(DiffLine::Added("x".to_owned()).display(), "+ x");
        // Large outputs compare in place.
        let big_a: String = (0..600).map(|n| format!("line {n}\n")).collect();
        let big_b = big_a.replace("line 300\n", "line three hundred\n");
        assert_eq!(
            line_diff(&big_a, &big_b),
            vec![
                DiffLine::Removed("line 300".to_owned()),
                DiffLine::Added("line three hundred".to_owned()),
            ]
        );
    }
}
