//! `bosun shell TARGET`: an interactive session in this terminal, like `aws ssm start-session`,
//! but with piped stdin supported and the remote exit code returned when the session reports
//! one (NonInteractiveCommands); otherwise 0 when the session ends normally.

use super::sdk_config;
use crate::aws::session::{self, Started};
use crate::aws::{self, target};
use crate::cli::{GlobalArgs, ShellArgs};
use crate::protocol::CloseReason;
use crate::stdio_session;
use crate::transport::SessionEnd;

/// Exit status when bosun itself fails (as opposed to the remote command).
const FAILURE: i32 = 255;

pub async fn run(global: &GlobalArgs, args: &ShellArgs) -> i32 {
    let config = sdk_config(global).await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let instance_id = match target::resolve(&ssm, &ec2, &args.target).await {
        Ok(id) => id,
        Err(error) => {
            eprintln!("bosun shell: {error}");
            return FAILURE;
        }
    };
    let mut request = ssm
        .start_session()
        .target(&instance_id)
        .document_name(&args.document);
    for (name, value) in &args.param {
        request = request.parameters(name, vec![value.clone()]);
    }
    let started = match request.send().await {
        Ok(started) => started,
        Err(error) => {
            eprintln!(
                "bosun shell: cannot start a session on {instance_id}: {}",
                aws_sdk_ssm::error::DisplayErrorContext(error)
            );
            return FAILURE;
        }
    };
    let Some(started) = Started::from_response(&started, &instance_id) else {
        eprintln!("bosun shell: StartSession returned no stream for {instance_id}");
        return FAILURE;
    };
    let driven = session::drive(started, &ssm, aws_sdk_kms::Client::new(&config));
    let session_id = driven.session_id.clone();
    let outcome = stdio_session::run(
        &session_id,
        stdio_session::ClosingMessage::Quiet,
        driven.input,
        driven.events,
        driven.driver,
    )
    .await;
    match outcome.end {
        Ok(SessionEnd::Closed(CloseReason::ChannelClosed { .. })) => outcome.exit_code.unwrap_or(0),
        Ok(SessionEnd::Local) => {
            // We left first (stdin closed on a pipe): end the session on the service side too.
            let _ = aws::terminate_session(&ssm, &session_id).await;
            outcome.exit_code.unwrap_or(0)
        }
        Ok(SessionEnd::Expired) => {
            eprintln!("bosun shell: session {session_id} timed out");
            FAILURE
        }
        Ok(SessionEnd::Closed(reason)) => {
            eprintln!("bosun shell: session {session_id} ended: {reason}");
            let _ = aws::terminate_session(&ssm, &session_id).await;
            FAILURE
        }
        Err(error) => {
            eprintln!("bosun shell: session {session_id}: {error}");
            let _ = aws::terminate_session(&ssm, &session_id).await;
            FAILURE
        }
    }
}
