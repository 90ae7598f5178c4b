//! What a copy needs of the instance's shell, asked in one short command, and the doctor's
//! verdict on the answer: a SHA-256 tool for every copy, `base64` for uploads, `tar` for
//! folders, `od` for the console's file view.

/// The tools asked for, and what lacking each one stops.
const TOOLS: [(&str, &str, &str); 4] = [
    (
        "digest",
        "no sha256sum, shasum or openssl: no copy can be checked",
        "coreutils",
    ),
    (
        "base64",
        "no base64: uploads cannot be decoded",
        "coreutils",
    ),
    ("tar", "no tar: folders (-r) cannot be copied", "tar"),
    (
        "od",
        "no od: the console's file view cannot list folders",
        "coreutils",
    ),
];

/// The shell text: one `bosun-has TOOL yes|no` line per tool.
pub fn script() -> String {
    "has() { if command -v \"$2\" >/dev/null 2>&1; then echo \"bosun-has $1 yes\"; return 0; fi; return 1; }; \
has digest sha256sum || has digest shasum || has digest openssl || echo 'bosun-has digest no'; \
has base64 base64 || echo 'bosun-has base64 no'; has tar tar || echo 'bosun-has tar no'; \
has od od || echo 'bosun-has od no'"
        .to_owned()
}

/// What the instance lacks, as sentences with the package that brings each; `None` when the
/// answer is not the script's (the shell did not run it: a Windows instance).
pub fn missing(output: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(output);
    let answers: Vec<(&str, bool)> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("bosun-has "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(tool, has)| (tool, has == "yes"))
        .collect();
    if TOOLS
        .iter()
        .any(|(tool, _, _)| !answers.iter().any(|(t, _)| t == tool))
    {
        return None;
    }
    Some(
        TOOLS
            .iter()
            .filter(|(tool, _, _)| answers.iter().any(|(t, has)| t == tool && !has))
            .map(|(_, lacks, package)| format!("{lacks} (install {package})"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_has_everything_and_a_bare_one_is_told_what_to_install() {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(script())
            .output()
            .expect("sh");
        assert_eq!(missing(&output.stdout), Some(Vec::new()));
        let bare = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script())
            .env("PATH", "/nonexistent")
            .output()
            .expect("sh");
        let lacks = missing(&bare.stdout).expect("answered");
        assert_eq!(lacks.len(), 4, "{lacks:?}");
        assert!(lacks[1].contains("uploads") && lacks[1].contains("install coreutils"));
        assert_eq!(
            missing(b"'sh' is not recognized as an internal command"),
            None
        );
    }
}
