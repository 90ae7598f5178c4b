//! The one way a session starts, for panes, `bosun shell`, `bosun proxy`, tunnels and the
//! plugin: StartSession with a document and its parameters (or, for the plugin, the answer
//! the AWS CLI already got), then the protocol session driven over its WebSocket with
//! ResumeSession and KMS wired to the SDK. And the one reading of how a session ended: what
//! to tell the user, whether to TerminateSession, and the exit status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::sources::SessionClients;
use crate::aws::sdk::{Cause, explain};
use crate::aws::{KmsKeyProvider, SsmResume};
use crate::model::document::speaks_first;
use crate::protocol::{CLIENT_VERSION, ClientParams, CloseReason, Session, SessionConfig};
use crate::transport::{
    self, DriverConfig, DriverEvent, Input, SessionEnd, StreamTarget, TransportError,
};

/// What StartSession (or the AWS CLI, for the plugin) handed over.
pub struct Started {
    pub session_id: String,
    pub stream_url: String,
    pub token: String,
    /// The StartSession Target (part of KMS encryption contexts).
    pub target: String,
    /// The session document, when known (the plugin's legacy form does not say).
    pub document: Option<String>,
}

impl Started {
    /// The three fields a usable StartSession answer has; `None` if any is missing.
    pub fn from_response(
        output: &aws_sdk_ssm::operation::start_session::StartSessionOutput,
        target: &str,
        document: &str,
    ) -> Option<Started> {
        Some(Started {
            session_id: output.session_id()?.to_owned(),
            stream_url: output.stream_url()?.to_owned(),
            token: output.token_value()?.to_owned(),
            target: target.to_owned(),
            document: Some(document.to_owned()),
        })
    }
}

/// A session to start: the instance, the document, and the document's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRequest {
    pub target: String,
    pub document: String,
    pub parameters: Vec<(String, Vec<String>)>,
}

impl StartRequest {
    /// A shell (or any document without parameters) on `target`.
    pub fn document(target: &str, document: &str) -> StartRequest {
        StartRequest {
            target: target.to_owned(),
            document: document.to_owned(),
            parameters: Vec::new(),
        }
    }

    pub fn parameter(mut self, name: &str, value: impl Into<String>) -> StartRequest {
        self.parameters.push((name.to_owned(), vec![value.into()]));
        self
    }
}

/// Why a session could not start.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StartError {
    /// StartSession failed: AWS's code and message, or the cause when AWS did not answer.
    #[error("cannot start a session on {target}: {message}")]
    Refused {
        target: String,
        message: String,
        #[source]
        source: Cause,
    },
    /// StartSession answered without a stream to dial.
    #[error("StartSession returned no stream for {0}")]
    NoStream(String),
}

/// A session being driven: send `Input`s, receive `DriverEvent`s, await the driver's end.
pub struct Driven {
    pub session_id: String,
    pub input: mpsc::Sender<Input>,
    pub events: mpsc::Receiver<DriverEvent>,
    pub driver: JoinHandle<Result<SessionEnd, TransportError>>,
}

/// StartSession for `request`. A session AWS made but answered without a stream is
/// terminated before the error is returned, so nothing is left open.
pub async fn start_session(
    ssm: &aws_sdk_ssm::Client,
    request: &StartRequest,
) -> Result<Started, StartError> {
    let mut call = ssm
        .start_session()
        .target(&request.target)
        .document_name(&request.document);
    for (name, values) in &request.parameters {
        call = call.parameters(name, values.clone());
    }
    let output = call.send().await.map_err(|error| {
        let (message, source) = explain(error);
        tracing::warn!(instance = %request.target, %message, "StartSession failed");
        StartError::Refused {
            target: request.target.clone(),
            message,
            source,
        }
    })?;
    match Started::from_response(&output, &request.target, &request.document) {
        Some(started) => Ok(started),
        None => {
            if let Some(id) = output.session_id() {
                let _ = crate::aws::terminate_session(ssm, id).await;
            }
            Err(StartError::NoStream(request.target.clone()))
        }
    }
}

/// StartSession, then drive the session.
pub async fn start(clients: &SessionClients, request: &StartRequest) -> Result<Driven, StartError> {
    let started = start_session(&clients.ssm, request).await?;
    Ok(drive(started, clients))
}

/// Starts driving `started` over its WebSocket.
pub fn drive(started: Started, clients: &SessionClients) -> Driven {
    let stream = StreamTarget {
        session_id: started.session_id.clone(),
        stream_url: started.stream_url,
        token: started.token,
        client_id: Uuid::new_v4().hyphenated().to_string(),
        client_version: CLIENT_VERSION.to_owned(),
        signer: clients.signer.clone(),
        endpoint: clients.data_channel.clone(),
    };
    let session = Session::client(
        SessionConfig::default(),
        ClientParams {
            session_id: started.session_id.clone(),
            target: started.target,
            client_version: CLIENT_VERSION.to_owned(),
        },
        Instant::now(),
        transport::unix_ms(),
    );
    let (input, input_rx) = mpsc::channel(64);
    // Short: what waits here is what an interrupt (ctrl-c) has to get past before its
    // prompt shows (256 held ~0.7 s of a flood, 32 about 0.2 s, at the same throughput).
    let (events_tx, events) = mpsc::channel(32);
    let driver = tokio::spawn(transport::run_client(
        stream,
        session,
        Arc::new(SsmResume::new(clients.ssm.clone(), clients.profile.clone())),
        Some(Arc::new(KmsKeyProvider::new(clients.kms.clone()))),
        input_rx,
        events_tx,
        DriverConfig {
            first_contact: speaks_first(started.document.as_deref()),
            ..DriverConfig::default()
        },
    ));
    Driven {
        session_id: started.session_id,
        input,
        events,
        driver,
    }
}

/// How a session ended, read once for every caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The remote side closed the channel (the shell exited), with the remote exit code when
    /// one was sent.
    Finished { exit_code: Option<i32> },
    /// This side left first (stdin closed on a pipe, the pane was closed).
    Left { exit_code: Option<i32> },
    /// The user left with the escape `~.`: a normal end, ended at AWS too.
    Escaped,
    /// A signal asked bosun to leave: `status` is the exit status a death by it reports.
    Signalled { signal: &'static str, status: i32 },
    /// The service closed an interactive session its shell did not end: TerminateSession
    /// from elsewhere (another terminal, the Sessions view, an administrator), or the service
    /// itself, with its words when it gave some (an idle timeout).
    EndedRemotely { message: Option<String> },
    /// ResumeSession was refused: the service had already timed the session out.
    TimedOut,
    /// Anything else: the reason, as a sentence.
    Failed(String),
}

/// How long after the user ended a line (or their input) a `channel_closed` still reads as
/// the shell exiting because of it (`exit`, `logout`, ctrl-d): the agent drains its output for
/// up to 2 s before it closes, and a loaded machine takes longer.
pub const SHELL_EXIT_WINDOW: Duration = Duration::from_secs(10);

/// When the user last ended a line or their input in an interactive session. The service
/// sends the same `channel_closed` whether the shell exited or someone called TerminateSession
/// (docs/protocol.md §6.5), and an interactive shell exits because of what was typed into it: a
/// close long after the last Enter, or in the middle of a line, is the service's doing.
#[derive(Debug, Default, Clone, Copy)]
pub struct InputTrail {
    last_end: Option<Instant>,
}

impl InputTrail {
    /// Notes what was typed at `now`: Enter, a newline or ctrl-d end a line.
    pub fn typed(&mut self, bytes: &[u8], now: Instant) {
        if bytes.iter().any(|b| matches!(b, b'\r' | b'\n' | 0x04)) {
            self.last_end = Some(now);
        }
    }

    /// Whether a close at `now` is explained by what the user typed.
    pub fn explains_close(&self, now: Instant) -> bool {
        self.last_end
            .is_some_and(|end| now.saturating_duration_since(end) <= SHELL_EXIT_WINDOW)
    }
}

impl Ending {
    /// Reads a driver's end. `exit_code` is what the session reported, if anything.
    pub fn of(end: &Result<SessionEnd, TransportError>, exit_code: Option<i32>) -> Ending {
        match end {
            Ok(SessionEnd::Closed(CloseReason::ChannelClosed { .. })) => {
                Ending::Finished { exit_code }
            }
            Ok(SessionEnd::Local) => Ending::Left { exit_code },
            Ok(SessionEnd::Expired) => Ending::TimedOut,
            Ok(SessionEnd::Closed(reason)) => Ending::Failed(reason.to_string()),
            Err(error) => Ending::Failed(error.to_string()),
        }
    }

    /// Reads the end of an interactive session (a keyboard on a shell): a `channel_closed`
    /// with no exit code that the typing does not explain, or that carries the service's own
    /// words, was the remote side's doing.
    pub fn of_interactive(
        end: &Result<SessionEnd, TransportError>,
        exit_code: Option<i32>,
        trail: &InputTrail,
        now: Instant,
    ) -> Ending {
        match end {
            Ok(SessionEnd::Closed(CloseReason::ChannelClosed { output }))
                if exit_code.is_none() =>
            {
                match output {
                    Some(text) => Ending::EndedRemotely {
                        message: Some(text.clone()),
                    },
                    None if !trail.explains_close(now) => Ending::EndedRemotely { message: None },
                    None => Ending::Finished { exit_code },
                }
            }
            _ => Ending::of(end, exit_code),
        }
    }

    /// The process exit status under a convention: ssh's for bosun's own commands (the
    /// remote code, 255 when the session failed or the remote side ended it), the official
    /// plugin's for the drop-in (0 on a time-out or a remote end, 1 on a failure); a signal's
    /// under both.
    pub fn exit_status(&self, convention: ExitConvention) -> i32 {
        match (self, convention) {
            (Ending::Finished { exit_code } | Ending::Left { exit_code }, _) => {
                exit_code.unwrap_or(0)
            }
            (Ending::Escaped, _) => 0,
            (Ending::Signalled { status, .. }, _) => *status,
            (Ending::TimedOut | Ending::EndedRemotely { .. }, ExitConvention::Plugin) => 0,
            (Ending::Failed(_), ExitConvention::Plugin) => 1,
            (
                Ending::TimedOut | Ending::EndedRemotely { .. } | Ending::Failed(_),
                ExitConvention::Ssh,
            ) => FAILURE,
        }
    }

    /// The session may still be open on the service side: end it there too.
    pub fn needs_terminate(&self) -> bool {
        matches!(
            self,
            Ending::Left { .. } | Ending::Escaped | Ending::Signalled { .. } | Ending::Failed(_)
        )
    }

    /// What a pane's banner says.
    pub fn describe(&self) -> String {
        match self {
            Ending::Finished { .. } => "the shell exited".to_owned(),
            Ending::Left { .. } => "closed".to_owned(),
            Ending::Escaped => "ended here with its escape".to_owned(),
            Ending::Signalled { signal, .. } => format!("ended by {signal}"),
            Ending::EndedRemotely { message: None } => {
                "ended by the remote side (TerminateSession elsewhere, or the service)".to_owned()
            }
            Ending::EndedRemotely {
                message: Some(text),
            } => format!("ended by the remote side: {text}"),
            Ending::TimedOut => "the session expired (ResumeSession refused)".to_owned(),
            Ending::Failed(reason) => reason.clone(),
        }
    }
}

/// Exit status when bosun itself fails, as ssh does.
pub const FAILURE: i32 = 255;

/// Which program's exit statuses a command keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitConvention {
    /// `bosun shell` and `bosun proxy`: like ssh.
    Ssh,
    /// The drop-in plugin: like session-manager-plugin.
    Plugin,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_reading_of_every_end() {
        let closed = Ok(SessionEnd::Closed(CloseReason::ChannelClosed {
            output: None,
        }));
        assert_eq!(
            Ending::of(&closed, Some(7)).exit_status(ExitConvention::Ssh),
            7
        );
        let left = Ending::of(&Ok(SessionEnd::Local), None);
        assert_eq!(left, Ending::Left { exit_code: None });
        assert!(
            left.needs_terminate(),
            "we left first: end it on the service side too"
        );
        assert!(!Ending::of(&closed, None).needs_terminate());
        let expired = Ending::of(&Ok(SessionEnd::Expired), None);
        assert_eq!(expired.exit_status(ExitConvention::Ssh), FAILURE);
        assert_eq!(expired.exit_status(ExitConvention::Plugin), 0);
        assert!(!expired.needs_terminate());
        let failed = Ending::of(&Ok(SessionEnd::Closed(CloseReason::HandshakeTimeout)), None);
        assert_eq!(failed.exit_status(ExitConvention::Plugin), 1);
        assert_eq!(failed.exit_status(ExitConvention::Ssh), FAILURE);
        assert!(failed.needs_terminate());
        assert_eq!(failed.describe(), "handshake timed out");
    }

    #[test]
    fn a_close_the_typing_does_not_explain_was_the_remote_sides() {
        let closed = Ok(SessionEnd::Closed(CloseReason::ChannelClosed {
            output: None,
        }));
        let start = Instant::now();
        let mut trail = InputTrail::default();
        let remote = Ending::of_interactive(&closed, None, &trail, start);
        assert_eq!(
            remote,
            Ending::EndedRemotely { message: None },
            "nothing typed yet"
        );
        assert_eq!(remote.exit_status(ExitConvention::Ssh), FAILURE);
        assert_eq!(remote.exit_status(ExitConvention::Plugin), 0);
        assert!(!remote.needs_terminate(), "the service ended it already");
        trail.typed(b"ls -l", start);
        assert!(!trail.explains_close(start), "no line was ended");
        trail.typed(b"exit\r", start);
        let soon = start + Duration::from_secs(2);
        assert_eq!(
            Ending::of_interactive(&closed, None, &trail, soon),
            Ending::Finished { exit_code: None }
        );
        let later = start + SHELL_EXIT_WINDOW + Duration::from_secs(1);
        assert_eq!(
            Ending::of_interactive(&closed, None, &trail, later),
            Ending::EndedRemotely { message: None }
        );
        let timed_out = Ok(SessionEnd::Closed(CloseReason::ChannelClosed {
            output: Some(
                "Your session timed out due to inactivity and has been terminated.".to_owned(),
            ),
        }));
        let said = Ending::of_interactive(&timed_out, None, &trail, soon);
        assert!(
            said.describe().contains("timed out due to inactivity"),
            "{said:?}"
        );
        assert_eq!(
            Ending::of_interactive(&closed, Some(3), &InputTrail::default(), start),
            Ending::Finished { exit_code: Some(3) },
            "an exit code says the command ended"
        );
    }

    #[test]
    fn leaving_by_escape_or_signal_ends_the_session_at_aws() {
        assert_eq!(Ending::Escaped.exit_status(ExitConvention::Ssh), 0);
        assert!(Ending::Escaped.needs_terminate());
        let signalled = Ending::Signalled {
            signal: "SIGTERM",
            status: 143,
        };
        assert_eq!(signalled.exit_status(ExitConvention::Plugin), 143);
        assert!(signalled.needs_terminate());
        assert_eq!(signalled.describe(), "ended by SIGTERM");
    }
}
