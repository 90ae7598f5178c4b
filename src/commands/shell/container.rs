//! `bosun shell ecs:…`: a shell in an ECS container through ECS Exec (ExecuteCommand, then the
//! SSM session it hands out, driven as any other), with piped stdin supported. When exec
//! cannot work it says why and the fix, before any session: the task started without
//! enableExecuteCommand, its agent not running, a Fargate platform without exec, or (when ECS
//! refuses) a task role that cannot reach Session Manager.

use crate::aws::containers;
use crate::cli::{GlobalArgs, ShellArgs};
use crate::commands::stdio;
use crate::model::container::EcsTarget;
use crate::model::document::Document;
use crate::services::session::{self, ExitConvention, FAILURE, Started};
use crate::services::sources::Source;
use crate::signals::Signals;
use crate::term::escape::EscapeChar;

pub async fn run(
    global: &GlobalArgs,
    args: &ShellArgs,
    target: EcsTarget,
    escape: EscapeChar,
    mut signals: Signals,
) -> i32 {
    let command = args
        .command
        .as_deref()
        .unwrap_or(crate::model::container::CONTAINER_SHELL);
    // Under --org the container is looked for in every account, and reached through its own.
    let found = if crate::commands::org::wanted(global) {
        crate::commands::org::locate_container(global, &target).await
    } else {
        let config = match crate::commands::regional_config(global, "shell").await {
            Ok(config) => config,
            Err(code) => return code,
        };
        let profile = crate::commands::profile_name(global);
        let region = config.region().map(ToString::to_string).unwrap_or_default();
        let ecs = aws_sdk_ecs::Client::new(&config);
        containers::resolve(&ecs, &target, &profile, &region)
            .await
            .map(|row| (config, profile, row))
    };
    let (config, profile, row) = match found {
        Ok(found) => found,
        Err(error) => {
            say!("bosun shell: {error}");
            return FAILURE;
        }
    };
    let ecs = aws_sdk_ecs::Client::new(&config);
    // As for an instance, the recording's file is made before the session.
    let recording = match &args.record {
        Some(path) => match super::start_recording(path, &args.target, &row.label()) {
            Ok(recording) => Some(recording),
            Err(error) => {
                say!("bosun shell: cannot record to {}: {error}", path.display());
                return 2;
            }
        },
        None => None,
    };
    let (session_id, stream_url, token) =
        match containers::execute_command(&ecs, &row, command).await {
            Ok(session) => session,
            Err(error) => {
                say!("bosun shell: {error}");
                return FAILURE;
            }
        };
    let source = Source { profile, config };
    let clients = source.session_clients();
    let started = Started {
        session_id,
        stream_url,
        token,
        target: row.ssm_target(),
        document: Some(Document::StartInteractiveCommand.name().to_owned()),
    };
    let mut driven = session::drive(started, &clients);
    say!(
        "Starting session with SessionId: {} ({} in {})",
        driven.session_id,
        command,
        row.label()
    );
    let ready = match stdio::until_ready(&mut driven, &mut signals).await {
        Ok(info) => info,
        Err(ending) => {
            let session_id = driven.session_id.clone();
            say!(
                "bosun shell: session {session_id} ended before it began: {}",
                ending.describe()
            );
            if ending.needs_terminate() {
                super::end_at_aws(&clients, &session_id).await;
            }
            return ending.exit_status(ExitConvention::Ssh);
        }
    };
    let mut recording = recording;
    if let Some(recording) = &mut recording {
        recording.instance(&row.ssm_target());
        recording.session(&driven.session_id);
    }
    let attach = stdio::Attach {
        closing: stdio::ClosingMessage::Quiet,
        recording,
        escape,
        signals,
    };
    super::attach_until_the_end(driven, ready, attach, &clients).await
}
