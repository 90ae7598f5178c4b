//! `bosun shell TARGET`: an interactive session in this terminal, like `aws ssm start-session`,
//! but with piped stdin supported and the remote exit code returned when the session reports
//! one (NonInteractiveCommands); otherwise 0 when the session ends normally (the shell exited,
//! or `~.`), 255 (as ssh) when it fails or the remote side ends it, 128 + N on signal N, and 2
//! when it was asked wrongly (an unknown target, a flag that does not apply).

mod container;

use super::stdio;
use crate::aws::{self, target};
use crate::cli::{GlobalArgs, ShellArgs};
use crate::model::document::Document;
use crate::protocol::SessionInfo;
use crate::services::session::{self, Driven, Ending, ExitConvention, FAILURE, StartRequest};
use crate::services::sources::{SessionClients, Source};
use crate::signals::Signals;
use crate::term::escape::EscapeChar;

pub async fn run(global: &GlobalArgs, args: &ShellArgs) -> i32 {
    // First: a signal from now on ends what was started, and the terminal comes back.
    let mut signals = Signals::all();
    let Some(escape) = escape_char(global, args) else {
        return 2;
    };
    match crate::model::container::EcsTarget::parse(&args.target) {
        Some(Ok(_))
            if !args.param.is_empty()
                || args.document != Document::SessionManagerRunShell.name() =>
        {
            say!(
                "bosun shell: --document and --param are for instances; a container's shell comes from ECS Exec (--command chooses its program)"
            );
            return 2;
        }
        Some(Ok(target)) => {
            return container::run(global, args, target, escape, signals).await;
        }
        Some(Err(error)) => {
            say!("bosun shell: {error}");
            return 2;
        }
        None => {}
    }
    if let Some(command) = &args.command {
        say!(
            "bosun shell: --command is for containers (ecs:…); on an instance, run a command with --document AWS-StartNonInteractiveCommand --param command={}, or across instances with bosun run",
            shell_quoted(command)
        );
        return 2;
    }
    // With --org the target is looked for in every account; the session uses its account's
    // session role there.
    let in_org = super::org::wanted(global);
    let (config, located) =
        match super::org::config_for(global, &args.target, "shell", in_org).await {
            Ok(found) => found,
            Err(super::org::NoConfig::ToSay(error)) => {
                say!("bosun shell: {error}");
                return 2;
            }
            Err(super::org::NoConfig::Said(code)) => return code,
        };
    let source = Source {
        profile: super::profile_name(global),
        config,
    };
    let clients = source.session_clients();
    let ec2 = aws_sdk_ec2::Client::new(&source.config);
    let resolved = match &located {
        Some(id) => Ok(id.clone()),
        None => target::resolve(&clients.ssm, &ec2, &args.target).await,
    };
    let instance_id = match resolved {
        Ok(id) => id,
        Err(error) => {
            say!("bosun shell: {error}");
            // A target that names nothing (or too much) was asked wrongly, as `bosun run`
            // says of an unknown --instance; a lookup that failed is AWS's doing.
            return match error {
                target::TargetError::Lookup { .. } => FAILURE,
                _ => 2,
            };
        }
    };
    // The recording's file is made before the session, so that a path that cannot be
    // written costs no session.
    let recording = match &args.record {
        Some(path) => match start_recording(path, &args.target, &instance_id) {
            Ok(recording) => Some(recording),
            Err(error) => {
                say!("bosun shell: cannot record to {}: {error}", path.display());
                return 2;
            }
        },
        None => None,
    };
    let mut request = StartRequest::document(&instance_id, &args.document);
    for (name, value) in &args.param {
        request = request.parameter(name, value.clone());
    }
    // A command's stdout, stderr and exit code reach this side only with the document's
    // `separateOutputStream` (by default the agent merges them and sends no exit code): asked
    // for unless the user says otherwise.
    if args.document == Document::StartNonInteractiveCommand.name()
        && !args
            .param
            .iter()
            .any(|(name, _)| name == "separateOutputStream")
    {
        request = request.parameter("separateOutputStream", "true");
    }
    let driven = match session::start(&clients, &request).await {
        Ok(driven) => driven,
        Err(error) => {
            say!("bosun shell: {error}");
            let failure = error.to_string();
            if let Some(hint) =
                super::doctor::start_failure_hint(&source.config, &instance_id, &failure).await
            {
                say!("{hint}");
            }
            return FAILURE;
        }
    };
    // On stderr: stdout carries only the remote's output (scripts and ssh read it).
    say!("Starting session with SessionId: {}", driven.session_id);
    let mut driven = driven;
    let ready = match stdio::until_ready(&mut driven, &mut signals).await {
        Ok(info) => info,
        Err(ending) => {
            // The service took the session but the instance's agent never joined it (it
            // cannot reach ssmmessages, say): what the doctor finds says why.
            let session_id = driven.session_id.clone();
            let reason = ending.describe();
            say!("bosun shell: session {session_id} ended before it began: {reason}");
            // A signal is the user leaving, not the instance failing: no doctor.
            if !matches!(ending, Ending::Signalled { .. })
                && let Some(hint) =
                    super::doctor::start_failure_hint(&source.config, &instance_id, &reason).await
            {
                say!("{hint}");
            }
            if ending.needs_terminate() {
                end_at_aws(&clients, &session_id).await;
            }
            return ending.exit_status(ExitConvention::Ssh);
        }
    };
    let mut recording = recording;
    if let Some(recording) = &mut recording {
        recording.instance(&instance_id);
        recording.session(&driven.session_id);
    }
    let attach = stdio::Attach {
        closing: stdio::ClosingMessage::Quiet,
        recording,
        escape,
        signals,
    };
    attach_until_the_end(driven, ready, attach, &clients).await
}

/// The escape character: `-e`, else the configuration file's `escape_char`, else `~`. `None`
/// (said) when `-e` is not one.
pub(super) fn escape_char(global: &GlobalArgs, args: &ShellArgs) -> Option<EscapeChar> {
    if let Some(text) = &args.escape_char {
        return match EscapeChar::parse(text) {
            Ok(escape) => Some(escape),
            Err(error) => {
                say!("bosun shell: -e: {error}");
                None
            }
        };
    }
    match super::load_config(global) {
        Ok(config) => Some(config.escape()),
        Err(error) => {
            // The shell does not need the file; its problem is said, not fatal.
            say!("bosun shell: the configuration file is not used: {error}");
            Some(EscapeChar::default())
        }
    }
}

/// `text` as one word for a POSIX shell.
fn shell_quoted(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The ready session on this terminal until it ends: how it ended said, TerminateSession when
/// it is still open at AWS, and the exit status as ssh gives it.
pub(super) async fn attach_until_the_end(
    driven: Driven,
    ready: SessionInfo,
    attach: stdio::Attach,
    clients: &SessionClients,
) -> i32 {
    let leave_key = format!("{}.", attach.escape.shown());
    let (session_id, ending) = stdio::attach(driven, Some(ready), attach).await;
    match &ending {
        Ending::TimedOut => say!("bosun shell: session {session_id} timed out"),
        Ending::Failed(reason) => say!("bosun shell: session {session_id} ended: {reason}"),
        // On a line of their own: the cursor may be anywhere on the remote's last line.
        Ending::EndedRemotely { .. } => {
            say!(
                "\nbosun shell: session {session_id} was {}",
                ending.describe()
            );
        }
        Ending::Escaped => {
            say!("\nbosun shell: session {session_id} ended here with {leave_key}");
        }
        Ending::Signalled { .. } => {
            say!("\nbosun shell: session {session_id} {}", ending.describe());
        }
        Ending::Finished { .. } | Ending::Left { .. } => {}
    }
    if ending.needs_terminate() {
        end_at_aws(clients, &session_id).await;
    }
    ending.exit_status(ExitConvention::Ssh)
}

/// TerminateSession, waited for a few seconds at most: a signal's way out must stay bounded
/// when AWS does not answer.
pub(super) async fn end_at_aws(clients: &SessionClients, session_id: &str) {
    let ended = tokio::time::timeout(
        std::time::Duration::from_secs(4),
        aws::terminate_session(&clients.ssm, session_id),
    )
    .await;
    match ended {
        Ok(Ok(())) => tracing::info!(session = %session_id, "session terminated"),
        Ok(Err(error)) => tracing::warn!(session = %session_id, %error, "TerminateSession failed"),
        Err(_) => tracing::warn!(session = %session_id, "TerminateSession did not answer in 4 s"),
    }
}

/// An asciicast file at `path`, readable by the user alone, sized as this terminal.
pub(super) fn start_recording(
    path: &std::path::Path,
    target: &str,
    instance_id: &str,
) -> std::io::Result<stdio::Recording> {
    let file = std::fs::File::create(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let size = stdio::terminal_size();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::term::asciicast::Recorder::start(
        std::io::BufWriter::new(file),
        u16::try_from(size.cols).unwrap_or(u16::MAX),
        u16::try_from(size.rows).unwrap_or(u16::MAX),
        now,
        &format!("bosun shell: {target} ({instance_id})"),
    )
}
