//! `bosun session-manager-plugin ARGS…` — a drop-in for the official plugin's argv contract
//! (docs/protocol.md §2.2), also when the binary is invoked under the name
//! `session-manager-plugin`, so that `aws ssm start-session` runs its sessions through bosun:
//! shells and commands (Standard_Stream, InteractiveCommands, NonInteractiveCommands) and the
//! stdin/stdout port mode (AWS-StartSSHSession) on this terminal, port forwarding (`port`) through
//! the tunnel service. What it prints on stdout is the official plugin's, line for line.
//!
//! Exit statuses: 0 when the session ends normally or times out, as the official plugin; the
//! remote exit code of NonInteractiveCommands (the official plugin prints it and exits 0); 1
//! when the session could not run (the official plugin exits 0 there too, which leaves
//! scripts blind).

mod port;

use std::fmt;
use std::io::Write;

use serde_json::Value;

use super::stdio;
use crate::aws;
use crate::protocol::CLIENT_VERSION;
use crate::services::session::{self, Ending, ExitConvention, Started};
use crate::services::sources::SessionClients;
use crate::services::tunnel::is_local_forwarding;
use crate::transport;

/// The name the AWS CLI looks for on PATH.
pub const PLUGIN_NAME: &str = "session-manager-plugin";
/// The prefix of the environment variable that carries the StartSession response.
const RESPONSE_ENV_PREFIX: &str = "AWS_SSM_START_SESSION_RESPONSE";

/// The three fields of the StartSession response the plugin uses. The token is redacted from
/// `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct StartSessionResponse {
    pub session_id: String,
    pub stream_url: String,
    pub token_value: String,
}

impl fmt::Debug for StartSessionResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartSessionResponse")
            .field("session_id", &self.session_id)
            .field("stream_url", &transport::dial::redact_url(&self.stream_url))
            .field("token_value", &"<redacted>")
            .finish()
    }
}

/// A parsed invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// No arguments: the plugin's installation check.
    Installed,
    Version,
    Start(Box<StartArgs>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartArgs {
    pub response: StartSessionResponse,
    pub region: String,
    pub profile: String,
    /// The StartSession `Target` (empty for the legacy four-argument form).
    pub target: String,
    /// The StartSession request's DocumentName and Parameters, when the AWS CLI passed them:
    /// what a port forward starts again if its session fails.
    pub document: Option<String>,
    pub parameters: Vec<(String, Vec<String>)>,
    /// The SSM endpoint for ResumeSession and TerminateSession.
    pub ssm_endpoint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    #[error("Unknown operation {0}")]
    UnknownOperation(String),
    #[error("Invalid Operation {0}: only StartSession is supported")]
    InvalidOperation(String),
    #[error("the StartSession response is not valid JSON: {0}")]
    BadResponse(String),
    #[error("the StartSession response has no {0}")]
    MissingField(&'static str),
    #[error("the environment variable {0} is not set")]
    MissingEnvironment(String),
    #[error("the StartSession parameters are not valid JSON or have no string Target: {0}")]
    BadParameters(String),
}

/// Parses the plugin's argv (without the program name). `env` looks up environment variables.
pub fn parse_args(
    args: &[String],
    env: impl Fn(&str) -> Option<String>,
) -> Result<Invocation, PluginError> {
    match args {
        [] => return Ok(Invocation::Installed),
        [flag] if flag == "--version" => return Ok(Invocation::Version),
        [first] | [first, _] => return Err(PluginError::UnknownOperation(first.clone())),
        _ => {}
    }
    let operation = &args[2];
    if operation != "StartSession" {
        return Err(PluginError::InvalidOperation(operation.clone()));
    }
    let response_text = if args[0].starts_with(RESPONSE_ENV_PREFIX) {
        // The AWS CLI passes the response through the environment to keep the token out of
        // process listings. The official plugin then unsets the variable; bosun starts no
        // child processes, so it cannot leak onward.
        env(&args[0]).ok_or_else(|| PluginError::MissingEnvironment(args[0].clone()))?
    } else {
        args[0].clone()
    };
    let response = parse_response(&response_text)?;
    let request = match args.get(4) {
        Some(parameters) => parse_request(parameters)?,
        None => Request::default(),
    };
    Ok(Invocation::Start(Box::new(StartArgs {
        response,
        region: args[1].clone(),
        profile: args.get(3).cloned().unwrap_or_default(),
        target: request.target,
        document: request.document,
        parameters: request.parameters,
        ssm_endpoint: args.get(5).filter(|url| !url.is_empty()).cloned(),
    })))
}

/// Reads SessionId, StreamUrl and TokenValue, matching keys case-insensitively as Go's
/// `encoding/json` does, and ignoring everything else (ResponseMetadata…).
fn parse_response(text: &str) -> Result<StartSessionResponse, PluginError> {
    let value: Value =
        serde_json::from_str(text).map_err(|error| PluginError::BadResponse(error.to_string()))?;
    let field = |name: &'static str| -> Result<String, PluginError> {
        value
            .as_object()
            .and_then(|object| {
                object
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .and_then(|(_, value)| value.as_str())
            })
            .map(str::to_owned)
            .ok_or(PluginError::MissingField(name))
    };
    Ok(StartSessionResponse {
        session_id: field("SessionId")?,
        stream_url: field("StreamUrl")?,
        token_value: field("TokenValue")?,
    })
}

/// What the plugin reads of the StartSession request the AWS CLI made.
#[derive(Default)]
struct Request {
    target: String,
    document: Option<String>,
    parameters: Vec<(String, Vec<String>)>,
}

/// Reads the request's Target (required, as the official plugin requires it), DocumentName
/// and Parameters (`{"name": ["value", …]}`).
fn parse_request(parameters: &str) -> Result<Request, PluginError> {
    let value: Value = serde_json::from_str(parameters)
        .map_err(|error| PluginError::BadParameters(error.to_string()))?;
    let target = value
        .get("Target")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| PluginError::BadParameters("Target is missing".to_owned()))?;
    let strings = |value: &Value| -> Vec<String> {
        match value {
            Value::Array(items) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            Value::String(text) => vec![text.clone()],
            _ => Vec::new(),
        }
    };
    let parameters = value
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|object| {
            object
                .iter()
                .map(|(name, values)| (name.clone(), strings(values)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Request {
        target,
        document: value
            .get("DocumentName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        parameters,
    })
}

/// Runs the plugin and returns the process exit code.
pub async fn run(args: &[String]) -> i32 {
    let invocation = match parse_args(args, |name| std::env::var(name).ok()) {
        Ok(invocation) => invocation,
        Err(error) => {
            say!("{error}");
            return 1;
        }
    };
    match invocation {
        Invocation::Installed => {
            println!(
                "\nThe Session Manager plugin was installed successfully. Use the AWS CLI to start a session.\n"
            );
            0
        }
        Invocation::Version => {
            println!("{CLIENT_VERSION}");
            0
        }
        Invocation::Start(start) => start_session(*start).await,
    }
}

async fn start_session(start: StartArgs) -> i32 {
    // First: from now on SIGTERM, SIGHUP and SIGQUIT end the session rather than the process.
    let mut signals = crate::signals::Signals::outside();
    let config = aws::load_config(Some(&start.profile), Some(&start.region), None).await;
    // ResumeSession and TerminateSession go to the endpoint the AWS CLI passed; KMS uses the
    // default resolution (docs/protocol.md §2.2).
    let mut ssm_config = aws_sdk_ssm::config::Builder::from(&config);
    ssm_config.set_endpoint_url(start.ssm_endpoint.clone());
    let clients =
        SessionClients::with_ssm(aws_sdk_ssm::Client::from_conf(ssm_config.build()), &config)
            .for_profile(&start.profile);
    let session_id = start.response.session_id.clone();
    // The official plugin's first line, before it dials: scripts wait for it.
    print_flushed(&format!(
        "\nStarting session with SessionId: {session_id}\n"
    ));
    let mut driven = session::drive(
        Started {
            session_id: session_id.clone(),
            stream_url: start.response.stream_url.clone(),
            token: start.response.token_value.clone(),
            target: start.target.clone(),
            document: start.document.clone(),
        },
        &clients,
    );
    let mut never_began = None;
    let ending = match stdio::until_ready(&mut driven, &mut signals).await {
        Ok(info) if is_local_forwarding(&info) => {
            return port::forward(start, clients, driven, info, signals).await;
        }
        Ok(info) => {
            let attach = stdio::Attach {
                closing: stdio::ClosingMessage::Plugin,
                recording: None,
                // The plugin's argv has no room for -e: the configuration file's, or `~`.
                escape: plugin_escape(),
                signals,
            };
            stdio::attach(driven, Some(info), attach).await.1
        }
        Err(ending) => {
            // Never ready: the agent did not join. The official plugin says nothing more;
            // bosun adds what the doctor finds (on stderr) for an instance target.
            let instance = start.target.starts_with("i-") || start.target.starts_with("mi-");
            if instance && !matches!(ending, Ending::Signalled { .. }) {
                never_began = crate::commands::doctor::start_failure_hint(
                    &config,
                    &start.target,
                    &ending.describe(),
                )
                .await;
            }
            ending
        }
    };
    match &ending {
        Ending::TimedOut => print_flushed(&format!("Session: {session_id} timed out.\n")),
        Ending::Failed(reason) => say!("\nSession {session_id} ended: {reason}"),
        Ending::Escaped | Ending::Signalled { .. } => {
            print_flushed(&format!(
                "\n\nExiting session with sessionId: {session_id}.\n\n"
            ));
        }
        Ending::Finished { .. } | Ending::Left { .. } | Ending::EndedRemotely { .. } => {}
    }
    // Like the plugin, end the session on the service side when the client gives up; and
    // when the user left it (`~.`, a signal).
    if matches!(
        ending,
        Ending::Failed(_) | Ending::Escaped | Ending::Signalled { .. }
    ) {
        super::shell::end_at_aws(&clients, &session_id).await;
    }
    if let Some(hint) = never_began {
        say!("{hint}");
    }
    ending.exit_status(ExitConvention::Plugin)
}

/// The escape character of the configuration file (`~` when it has none, or cannot be read).
fn plugin_escape() -> crate::term::escape::EscapeChar {
    crate::config::default_path()
        .and_then(|path| crate::config::Config::load(&path).ok())
        .map(|config| config.escape())
        .unwrap_or_default()
}

/// Writes one of the official plugin's lines to stdout at once: scripts and the AWS CLI wait
/// for them, and some end without a newline.
fn print_flushed(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    const RESPONSE: &str = r#"{"SessionId": "user-0abc", "TokenValue": "TOKEN", "StreamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/user-0abc?role=publish_subscribe", "ResponseMetadata": {"RequestId": "x"}}"#;

    #[test]
    fn no_arguments_is_the_installation_check() {
        assert_eq!(parse_args(&[], |_| None), Ok(Invocation::Installed));
        assert_eq!(
            parse_args(&args(&["--version"]), |_| None),
            Ok(Invocation::Version)
        );
        assert!(matches!(
            parse_args(&args(&["a", "b"]), |_| None),
            Err(PluginError::UnknownOperation(_))
        ));
    }

    #[test]
    fn the_cli_form_with_an_environment_variable() {
        let argv = args(&[
            "AWS_SSM_START_SESSION_RESPONSE",
            "us-east-1",
            "StartSession",
            "",
            r#"{"Target": "i-0123", "DocumentName": "AWS-StartSSHSession"}"#,
            "https://ssm.us-east-1.amazonaws.com",
        ]);
        let parsed = parse_args(&argv, |name| {
            (name == "AWS_SSM_START_SESSION_RESPONSE").then(|| RESPONSE.to_owned())
        });
        let Ok(Invocation::Start(start)) = parsed else {
            panic!("expected a start, got {parsed:?}");
        };
        assert_eq!(start.response.session_id, "user-0abc");
        assert_eq!(start.response.token_value, "TOKEN");
        assert_eq!(start.target, "i-0123");
        assert_eq!(start.region, "us-east-1");
        assert_eq!(start.profile, "");
        assert_eq!(
            start.ssm_endpoint.as_deref(),
            Some("https://ssm.us-east-1.amazonaws.com")
        );
        assert!(
            !format!("{start:?}").contains("TOKEN"),
            "the token is redacted"
        );
    }

    #[test]
    fn the_inline_response_form_matches_keys_case_insensitively() {
        let argv = args(&[
            r#"{"sessionid":"s-1","streamurl":"ws://127.0.0.1:1/x","tokenvalue":"t"}"#,
            "eu-west-1",
            "StartSession",
        ]);
        let Ok(Invocation::Start(start)) = parse_args(&argv, |_| None) else {
            panic!("expected a start");
        };
        assert_eq!(start.response.stream_url, "ws://127.0.0.1:1/x");
        assert_eq!(start.target, "", "the legacy form has no target");
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let op = args(&[RESPONSE, "us-east-1", "Stop"]);
        assert_eq!(
            parse_args(&op, |_| None),
            Err(PluginError::InvalidOperation("Stop".into()))
        );
        let missing = args(&["AWS_SSM_START_SESSION_RESPONSE_X", "r", "StartSession"]);
        assert!(matches!(
            parse_args(&missing, |_| None),
            Err(PluginError::MissingEnvironment(_))
        ));
        let no_target = args(&[RESPONSE, "r", "StartSession", "", "{}"]);
        assert!(matches!(
            parse_args(&no_target, |_| None),
            Err(PluginError::BadParameters(_))
        ));
        let no_token = args(&[r#"{"SessionId":"s","StreamUrl":"u"}"#, "r", "StartSession"]);
        assert_eq!(
            parse_args(&no_token, |_| None),
            Err(PluginError::MissingField("TokenValue"))
        );
    }
}
