//! The simulated agent's shells: a real shell on a real PTY in a per-instance scratch home
//! (TERM=xterm-256color, a prompt naming the instance, no inherited environment), interactive
//! commands on a PTY, and non-interactive commands with separate stdout, stderr and exit code.

use std::path::PathBuf;

use bytes::Bytes;

pub(crate) use self::command::{CommandRun, run_command};
pub(crate) use self::pty::run_pty;
use super::fleet::Instance;
use super::process::env_name;

mod command;

// The PTY side: a Unix PTY, or a ConPTY on Windows.
#[cfg(unix)]
mod pty;
#[cfg(windows)]
#[path = "pty_windows.rs"]
mod pty;

/// The real agent reads its PTY and a command's pipes in chunks of at most 1 KiB; without its
/// pacing the simulator reads larger ones.
const REAL_CHUNK: usize = super::Pacer::CHUNK;
const FAST_CHUNK: usize = 64 * 1024;

/// How much one read of a program's output takes under `pacing`.
fn read_size(pacing: super::AgentPacing) -> usize {
    if pacing == super::AgentPacing::Real {
        REAL_CHUNK
    } else {
        FAST_CHUNK
    }
}

/// What a shell needs to know about where it runs.
pub(crate) struct ShellHome {
    pub dir: PathBuf,
    pub instance: Instance,
}

impl ShellHome {
    pub(super) fn environment(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("HOME".to_owned(), self.dir.display().to_string()),
            ("TERM".to_owned(), "xterm-256color".to_owned()),
            (
                "PATH".to_owned(),
                "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".to_owned(),
            ),
            ("USER".to_owned(), "ssm-user".to_owned()),
            ("LOGNAME".to_owned(), "ssm-user".to_owned()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
            ("INSTANCE_ID".to_owned(), self.instance.id.clone()),
            (
                "PS1".to_owned(),
                format!("[ssm-user@{} \\W]$ ", prompt_name(&self.instance)),
            ),
            // cmd.exe's prompt, where the shell is Windows'.
            (
                "PROMPT".to_owned(),
                format!("[ssm-user@{}] $P$G", prompt_name(&self.instance)),
            ),
        ];
        // What the OS's own shell cannot start without (Windows: its system paths).
        env.extend(crate::platform::shell_environment());
        env.extend(
            self.instance
                .tags
                .iter()
                .map(|(k, v)| (format!("TAG_{}", env_name(k)), v.clone())),
        );
        env
    }
}

fn prompt_name(instance: &Instance) -> String {
    let name = instance.name();
    if name.is_empty() {
        instance.id.clone()
    } else {
        name.to_owned()
    }
}

/// What the real agent does to a program's output before it sends it (its `processStdoutData`,
/// for a PTY and a command's pipes alike): it reads it rune by rune, holding back any bytes
/// that do not decode within the last three of a read for the next one, and passing an
/// undecodable byte on by itself. A decoded U+FFFD counts as undecodable too, so the agent
/// sends its first byte and skips the other two: a program's `EF BF BD` arrives as `EF`. Bytes
/// still held back when the output ends are never sent.
fn as_the_agent_sends(carry: &mut Vec<u8>, read: &[u8]) -> Bytes {
    /// utf8.UTFMax: the bytes a rune can take.
    const UTF_MAX: usize = 4;
    carry.extend_from_slice(read);
    let mut sent = Vec::with_capacity(carry.len());
    let mut at = 0;
    while at < carry.len() {
        match first_rune(&carry[at..]) {
            Some((rune, len)) if rune != char::REPLACEMENT_CHARACTER => {
                sent.extend_from_slice(&carry[at..at + len]);
                at += len;
            }
            decoded => {
                if carry.len() - at < UTF_MAX {
                    break;
                }
                sent.push(carry[at]);
                at += decoded.map_or(1, |(_, len)| len);
            }
        }
    }
    carry.drain(..at);
    Bytes::from(sent)
}

/// The first UTF-8 character of `bytes` and its length, `None` when it does not decode there.
fn first_rune(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match bytes.first()? {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let text = std::str::from_utf8(bytes.get(..len)?).ok()?;
    Some((text.chars().next()?, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_keys_become_env_names() {
        assert_eq!(
            env_name("aws:cloudformation:stack-name"),
            "AWS_CLOUDFORMATION_STACK_NAME"
        );
    }

    #[test]
    fn output_is_sent_as_the_agent_sends_it() {
        let mut carry = Vec::new();
        let snowman = "☃".as_bytes();
        // A character cut by a read waits for the rest.
        assert_eq!(
            &as_the_agent_sends(&mut carry, &[b'a', snowman[0]])[..],
            b"a"
        );
        assert_eq!(&as_the_agent_sends(&mut carry, &snowman[1..])[..], snowman);
        assert!(carry.is_empty());
        // An undecodable byte goes by itself once four bytes follow it, or waits.
        assert_eq!(&as_the_agent_sends(&mut carry, &[0xff, b'b'])[..], b"");
        assert_eq!(
            &as_the_agent_sends(&mut carry, b"cde")[..],
            &[0xff, b'b', b'c', b'd', b'e']
        );
        // A U+FFFD in the output loses its last two bytes.
        assert_eq!(
            &as_the_agent_sends(&mut carry, b"x\xef\xbf\xbdyyyy")[..],
            b"x\xefyyyy"
        );
        assert!(carry.is_empty());
    }
}
