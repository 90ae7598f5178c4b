//! `bosun shell TARGET`: an interactive session in this terminal, like `aws ssm start-session`,
//! but with piped stdin supported and the remote exit code returned when the session reports
//! one (NonInteractiveCommands); otherwise 0 when the session ends normally, 255 (as ssh)
//! when it fails.

use super::stdio;
use crate::aws::{self, target};
use crate::cli::{GlobalArgs, ShellArgs};
use crate::services::session::{self, Ending, ExitConvention, FAILURE, StartRequest};
use crate::services::sources::Source;

pub async fn run(global: &GlobalArgs, args: &ShellArgs) -> i32 {
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
    let (session_id, ending) =
        stdio::attach(driven, Some(ready), stdio::ClosingMessage::Quiet).await;
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
