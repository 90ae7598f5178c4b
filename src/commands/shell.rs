//! `bosun shell TARGET`: an interactive session in this terminal, like `aws ssm start-session`,
//! but with piped stdin supported and the remote exit code returned when the session reports
//! one (NonInteractiveCommands); otherwise 0 when the session ends normally, 255 (as ssh)
//! when it fails.

use super::stdio;
use crate::aws::{self, target};
use crate::cli::{GlobalArgs, ShellArgs};
use crate::protocol::SessionInfo;
use crate::services::session::{self, Driven, Ending, ExitConvention, FAILURE, StartRequest};
use crate::services::sources::{SessionClients, Source};

pub async fn run(global: &GlobalArgs, args: &ShellArgs) -> i32 {
    match crate::model::container::EcsTarget::parse(&args.target) {
        Some(Ok(_)) if !args.param.is_empty() || args.document != "SSM-SessionManagerRunShell" => {
            eprintln!(
                "bosun shell: --document and --param are for instances; a container's shell comes from ECS Exec (--command chooses its program)"
            );
            return 2;
        }
        Some(Ok(target)) => return super::shell_container::run(global, args, target).await,
        Some(Err(error)) => {
            eprintln!("bosun shell: {error}");
            return 2;
        }
        None => {}
    }
    let config = match super::regional_config(global, "shell").await {
        Ok(config) => config,
        Err(code) => return code,
    };
    let source = Source {
        profile: super::profile_name(global),
        config,
    };
    let clients = source.session_clients();
    let ec2 = aws_sdk_ec2::Client::new(&source.config);
    let instance_id = match target::resolve(&clients.ssm, &ec2, &args.target).await {
        Ok(id) => id,
        Err(error) => {
            eprintln!("bosun shell: {error}");
            return FAILURE;
        }
    };
    // The recording's file is made before the session, so that a path that cannot be
    // written costs no session.
    let recording = match &args.record {
        Some(path) => match start_recording(path, &args.target, &instance_id) {
            Ok(recording) => Some(recording),
            Err(error) => {
                eprintln!("bosun shell: cannot record to {}: {error}", path.display());
                return 2;
            }
        },
        None => None,
    };
    let mut request = StartRequest::document(&instance_id, &args.document);
    for (name, value) in &args.param {
        request = request.parameter(name, value.clone());
    }
    let driven = match session::start(&clients, &request).await {
        Ok(driven) => driven,
        Err(error) => {
            eprintln!("bosun shell: {error}");
            let failure = error.to_string();
            if let Some(hint) =
                super::doctor::start_failure_hint(&source.config, &instance_id, &failure).await
            {
                eprintln!("{hint}");
            }
            return FAILURE;
        }
    };
    // On stderr: stdout carries only the remote's output (scripts and ssh read it).
    eprintln!("Starting session with SessionId: {}", driven.session_id);
    let mut driven = driven;
    let ready = match stdio::until_ready(&mut driven).await {
        Ok(info) => info,
        Err(ending) => {
            // The service took the session but the instance's agent never joined it (it
            // cannot reach ssmmessages, say): what the doctor finds says why.
            let session_id = driven.session_id.clone();
            let reason = ending.describe();
            eprintln!("bosun shell: session {session_id} ended before it began: {reason}");
            if let Some(hint) =
                super::doctor::start_failure_hint(&source.config, &instance_id, &reason).await
            {
                eprintln!("{hint}");
            }
            if ending.needs_terminate() {
                let _ = aws::terminate_session(&clients.ssm, &session_id).await;
            }
            return ending.exit_status(ExitConvention::Ssh);
        }
    };
    attach_until_the_end(driven, ready, recording, &clients).await
}

/// The ready session on this terminal until it ends: how it ended said, TerminateSession when
/// it is still open at AWS, and the exit status as ssh gives it.
pub(super) async fn attach_until_the_end(
    driven: Driven,
    ready: SessionInfo,
    recording: Option<stdio::Recording>,
    clients: &SessionClients,
) -> i32 {
    let (session_id, ending) =
        stdio::attach(driven, Some(ready), stdio::ClosingMessage::Quiet, recording).await;
    match &ending {
        Ending::TimedOut => eprintln!("bosun shell: session {session_id} timed out"),
        Ending::Failed(reason) => eprintln!("bosun shell: session {session_id} ended: {reason}"),
        Ending::Finished { .. } | Ending::Left { .. } => {}
    }
    if ending.needs_terminate() {
        let _ = aws::terminate_session(&clients.ssm, &session_id).await;
    }
    ending.exit_status(ExitConvention::Ssh)
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
