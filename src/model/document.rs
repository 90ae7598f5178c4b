//! The AWS-owned SSM documents bosun names itself, spelled once, and what each means for a
//! session or a run. A user may still name any document; these are the ones bosun knows.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    /// The default shell (Session Manager's preferences document).
    SessionManagerRunShell,
    StartInteractiveCommand,
    StartNonInteractiveCommand,
    StartPortForwardingSession,
    StartPortForwardingSessionToRemoteHost,
    StartPortForwardingSessionToSocket,
    StartSshSession,
    RunShellScript,
    RunPowerShellScript,
    UpdateSsmAgent,
}

const ALL: [Document; 10] = [
    Document::SessionManagerRunShell,
    Document::StartInteractiveCommand,
    Document::StartNonInteractiveCommand,
    Document::StartPortForwardingSession,
    Document::StartPortForwardingSessionToRemoteHost,
    Document::StartPortForwardingSessionToSocket,
    Document::StartSshSession,
    Document::RunShellScript,
    Document::RunPowerShellScript,
    Document::UpdateSsmAgent,
];

impl Document {
    /// The name AWS knows it by.
    pub const fn name(self) -> &'static str {
        match self {
            Document::SessionManagerRunShell => "SSM-SessionManagerRunShell",
            Document::StartInteractiveCommand => "AWS-StartInteractiveCommand",
            Document::StartNonInteractiveCommand => "AWS-StartNonInteractiveCommand",
            Document::StartPortForwardingSession => "AWS-StartPortForwardingSession",
            Document::StartPortForwardingSessionToRemoteHost => {
                "AWS-StartPortForwardingSessionToRemoteHost"
            }
            Document::StartPortForwardingSessionToSocket => {
                "AWS-StartPortForwardingSessionToSocket"
            }
            Document::StartSshSession => "AWS-StartSSHSession",
            Document::RunShellScript => "AWS-RunShellScript",
            Document::RunPowerShellScript => "AWS-RunPowerShellScript",
            Document::UpdateSsmAgent => "AWS-UpdateSSMAgent",
        }
    }

    /// The known document of this name, if it is one.
    pub fn named(name: &str) -> Option<Document> {
        ALL.into_iter().find(|document| document.name() == name)
    }

    /// Its agent speaks at once (a handshake, or a shell's prompt), so silence means the
    /// agent never joined. A command of the user's own (interactive commands, custom
    /// documents) may rightly say nothing for a long time.
    pub fn speaks_first(self) -> bool {
        matches!(
            self,
            Document::SessionManagerRunShell
                | Document::StartPortForwardingSession
                | Document::StartPortForwardingSessionToRemoteHost
                | Document::StartPortForwardingSessionToSocket
                | Document::StartSshSession
                | Document::StartNonInteractiveCommand
        )
    }

    /// Runs the shell script it is given (`commands`); another Run Command document may need
    /// no parameters at all (AWS-UpdateSSMAgent), or its own.
    pub fn takes_a_script(self) -> bool {
        matches!(
            self,
            Document::RunShellScript | Document::RunPowerShellScript
        )
    }

    /// Run Command's script document for an instance's platform.
    pub fn script_for(windows: bool) -> Document {
        if windows {
            Document::RunPowerShellScript
        } else {
            Document::RunShellScript
        }
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the agent of a session on `document` speaks first at once; the default shell (no
/// document named) does, a document bosun does not know may not.
pub fn speaks_first(document: Option<&str>) -> bool {
    document.is_none_or(|name| Document::named(name).is_some_and(Document::speaks_first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_is_found_by_its_name() {
        for document in ALL {
            assert_eq!(Document::named(document.name()), Some(document));
        }
        assert_eq!(Document::named("My-Custom-Session"), None);
    }

    #[test]
    fn silence_ends_only_sessions_whose_agent_speaks_first() {
        assert!(speaks_first(None));
        assert!(speaks_first(Some("SSM-SessionManagerRunShell")));
        assert!(speaks_first(Some(
            "AWS-StartPortForwardingSessionToRemoteHost"
        )));
        assert!(!speaks_first(Some("AWS-StartInteractiveCommand")));
        assert!(!speaks_first(Some("My-Custom-Session")));
    }
}
