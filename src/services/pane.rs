//! The session behind one console pane: StartSession with the chosen document, the driven
//! WebSocket session, its output (to the pane's own queue, [`super::pane_output`]) and
//! connection changes sent to the console's main loop (which owns the pane's emulator), and
//! on close the session flushed and ended with TerminateSession. A pane the console cannot
//! keep up with stops being read, and the protocol stops acknowledging, so backpressure
//! reaches the agent; keystrokes still go through meanwhile (ctrl-c in a flood). A pane whose
//! target is a recording plays it instead (`services::replay`), with the same commands.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::Handle;
use super::pane_output::{NotQueued, OutputHub};
use super::replay;
use super::session::{self, Ending, StartRequest, Started};
use super::sources::ClientsBySource;
use crate::aws::terminate_session;
use crate::model::container::CONTAINER_SHELL;
use crate::model::document::Document;
use crate::model::pane::{EndReason, PaneId, PaneStatus, PaneTarget};
use crate::protocol::SizeData;
use crate::term::player::keys_of;
use crate::transport::{self, DriverEvent, SessionEnd};

/// Commands a pane's session queues at most: keystrokes arrive one event at a time (a paste is
/// one), so a full queue means the session has stopped taking input altogether.
pub const COMMAND_QUEUE: usize = 1024;

/// What the console asks of a pane's session.
#[derive(Debug)]
pub enum PaneCommand {
    /// Keystrokes, already encoded for the terminal.
    Data(Bytes),
    /// The pane's terminal size (rows, cols).
    Size(u16, u16),
    /// End the session (TerminateSession) and stop.
    Close,
}

/// What a pane's session reports to the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneReport {
    Status {
        pane: PaneId,
        status: PaneStatus,
    },
    /// The pane's session has this id (so that the Sessions view can tell it apart).
    Session {
        pane: PaneId,
        session_id: String,
    },
}

/// A running pane session: where its commands go, and its task.
pub type PaneHandle = Handle<PaneCommand>;

/// Everything a pane session needs besides its target.
#[derive(Clone)]
pub struct PaneContext {
    pub clients: Arc<ClientsBySource>,
    pub document: String,
    /// Connection changes and the session id.
    pub reports: mpsc::Sender<PaneReport>,
    /// Output, one bounded queue per pane.
    pub outputs: OutputHub,
}

/// Starts the session for `pane`.
pub fn spawn(pane: PaneId, target: PaneTarget, context: PaneContext) -> PaneHandle {
    let (commands, commands_rx) = mpsc::channel(COMMAND_QUEUE);
    let task = tokio::spawn(async move {
        let status = match &target.replay {
            Some(recording) => play_recording(pane, recording.clone(), &context, commands_rx).await,
            None => run(pane, &target, &context, commands_rx).await,
        };
        if let Some(status) = status {
            let _ = context
                .reports
                .send(PaneReport::Status { pane, status })
                .await;
        }
    });
    Handle::new(commands, task)
}

/// Why a session ended, for the pane's banner.
fn ended(reason: impl Into<String>) -> Option<PaneStatus> {
    Some(PaneStatus::ended(reason))
}

/// Runs the session; returns the pane's final status, or `None` when the console closed it.
async fn run(
    pane: PaneId,
    target: &PaneTarget,
    context: &PaneContext,
    mut commands: mpsc::Receiver<PaneCommand>,
) -> Option<PaneStatus> {
    let report = async |status: PaneStatus| {
        let _ = context
            .reports
            .send(PaneReport::Status { pane, status })
            .await;
    };
    let key = (target.profile.clone(), target.region.clone());
    let Some(clients) = context.clients.get(&key).map(|lazy| lazy.get()) else {
        return ended(format!(
            "no credentials for profile {} in {}",
            target.profile, target.region
        ));
    };
    // A pane on a command (the Files view's `tail -F`) runs it instead of a shell.
    let request = match &target.command {
        Some(command) => StartRequest::document(
            &target.instance_id,
            Document::StartInteractiveCommand.name(),
        )
        .parameter("command", command.clone()),
        None => StartRequest::document(&target.instance_id, &context.document),
    };
    // A container's session comes from ECS Exec; an instance's from StartSession.
    let start = async {
        match &target.container {
            Some(row) => {
                crate::aws::containers::execute_command(&clients.ecs, row, CONTAINER_SHELL)
                    .await
                    .map(|(session_id, stream_url, token)| Started {
                        session_id,
                        stream_url,
                        token,
                        target: row.ssm_target(),
                        document: Some(Document::StartInteractiveCommand.name().to_owned()),
                    })
            }
            None => session::start_session(&clients.ssm, &request)
                .await
                .map_err(|error| error.to_string()),
        }
    };
    // The user may close the pane while StartSession is still on its way: let it finish, so
    // a session AWS already made is terminated rather than left open.
    tokio::pin!(start);
    let mut closed_early = false;
    let started = tokio::select! {
        started = &mut start => started,
        () = wait_for_close(&mut commands) => {
            closed_early = true;
            start.await
        }
    };
    if closed_early {
        if let Ok(started) = &started {
            let _ = terminate_session(&clients.ssm, &started.session_id).await;
        }
        return None;
    }
    let started = match started {
        Ok(started) => started,
        Err(error) => return ended(error),
    };
    let mut driven = session::drive(started, clients);
    tracing::info!(pane, session = %driven.session_id, instance = %target.instance_id, "pane session started");
    let _ = context
        .reports
        .send(PaneReport::Session {
            pane,
            session_id: driven.session_id.clone(),
        })
        .await;
    let output = context.outputs.sender(pane);
    let mut pending: Option<transport::Input> = None;
    // Output the pane's queue had no room for: no more is read until it is queued, while
    // keystrokes keep going to the instance.
    let mut unqueued: Option<Bytes> = None;
    let mut closing = false;
    // What was typed, to tell the shell exiting from the service ending the session.
    let mut trail = session::InputTrail::default();
    loop {
        tokio::select! {
            () = output.space(), if unqueued.is_some() => {
                if let Some(bytes) = unqueued.take() {
                    match output.try_send(bytes) {
                        Ok(()) => {}
                        Err(NotQueued::Full(bytes)) => unqueued = Some(bytes),
                        Err(NotQueued::Gone) => {
                            closing = true;
                            break;
                        }
                    }
                }
            }
            event = driven.events.recv(), if unqueued.is_none() => {
                let Some(event) = event else { break };
                match event {
                    DriverEvent::Output(bytes) | DriverEvent::StdErr(bytes) => {
                        match output.try_send(bytes) {
                            Ok(()) => {}
                            Err(NotQueued::Full(bytes)) => unqueued = Some(bytes),
                            Err(NotQueued::Gone) => {
                                // The console is gone (quitting): end the session like a close.
                                closing = true;
                                break;
                            }
                        }
                    }
                    // The console answers Connected with the pane's size, which the agent
                    // needs before the shell draws its prompt.
                    DriverEvent::Ready(_) => report(PaneStatus::Connected).await,
                    DriverEvent::Reconnecting { attempt, reason } => {
                        tracing::info!(pane, attempt, %reason, "pane session resuming");
                        report(PaneStatus::Resuming { attempt, reason }).await;
                    }
                    DriverEvent::Reconnected => report(PaneStatus::Connected).await,
                    DriverEvent::Warning(warning) => tracing::warn!(pane, %warning, "pane session"),
                    DriverEvent::ExitCode(_) | DriverEvent::Flag(_) => {}
                }
            }
            command = commands.recv(), if pending.is_none() && !closing => {
                pending = Some(match command {
                    Some(PaneCommand::Data(bytes)) => {
                        trail.typed(&bytes, std::time::Instant::now());
                        transport::Input::Data(bytes)
                    }
                    Some(PaneCommand::Size(rows, cols)) => transport::Input::Size(SizeData {
                        cols: u32::from(cols),
                        rows: u32::from(rows),
                    }),
                    Some(PaneCommand::Close) | None => {
                        closing = true;
                        transport::Input::Close
                    }
                });
            }
            // Only take the next command once the driver has room for it: never block on a
            // full channel while the driver may be waiting for us to read its events.
            permit = driven.input.reserve(), if pending.is_some() => {
                match (permit, pending.take()) {
                    (Ok(permit), Some(input)) => permit.send(input),
                    _ => break,
                }
            }
        }
    }
    // Without its channels the driver ends even if it was waiting on us; a driver stuck in a
    // resume is not waited for long.
    drop(driven.input);
    drop(driven.events);
    let end = tokio::time::timeout(std::time::Duration::from_secs(2), driven.driver).await;
    let end = match end {
        Ok(end) => end,
        Err(_) => Ok(Ok(SessionEnd::Local)),
    };
    if closing {
        // The log says what TerminateSession answered, not what was asked.
        match terminate_session(&clients.ssm, &driven.session_id).await {
            Ok(()) => {
                tracing::info!(pane, session = %driven.session_id, "pane closed; session terminated");
            }
            Err(why) => {
                tracing::warn!(pane, session = %driven.session_id, %why, "pane closed; TerminateSession failed");
            }
        }
        return None;
    }
    let status = match end {
        // This side left (its driver was told to close): nothing to explain.
        Ok(end) => match Ending::of_interactive(&end, None, &trail, std::time::Instant::now()) {
            Ending::Left { .. } => PaneStatus::Ended {
                reason: EndReason::ClosedHere,
            },
            ending => PaneStatus::ended(ending.describe()),
        },
        Err(error) => PaneStatus::ended(format!("session task failed: {error}")),
    };
    // Whatever ended it on our side, make sure the service does not keep it open.
    let _ = terminate_session(&clients.ssm, &driven.session_id).await;
    Some(status)
}

/// Resolves when the console asks the pane to close (or goes away).
async fn wait_for_close(commands: &mut mpsc::Receiver<PaneCommand>) {
    while let Some(command) = commands.recv().await {
        if matches!(command, PaneCommand::Close) {
            return;
        }
    }
}

/// The pane whose target is `recording`: opens it, says Connected, plays it with the pane's
/// keys and size, and ends with the pane (or `q`, which leaves the pane ended).
async fn play_recording(
    pane: PaneId,
    recording: std::path::PathBuf,
    context: &PaneContext,
    mut commands: mpsc::Receiver<PaneCommand>,
) -> Option<PaneStatus> {
    let mut player = match replay::open(&recording).await {
        Ok(player) => player,
        Err(error) => return Some(PaneStatus::ended(error)),
    };
    let _ = context
        .reports
        .send(PaneReport::Status {
            pane,
            status: PaneStatus::Connected,
        })
        .await;
    let (to_player, from_pane) = mpsc::channel(64);
    let forward = tokio::spawn(async move {
        while let Some(command) = commands.recv().await {
            let close = matches!(command, PaneCommand::Close);
            let input = match command {
                PaneCommand::Data(bytes) => replay::PlayerInput::Keys(keys_of(&bytes)),
                PaneCommand::Size(rows, cols) => replay::PlayerInput::Size { rows, cols },
                PaneCommand::Close => replay::PlayerInput::Close,
            };
            if to_player.send(input).await.is_err() || close {
                return;
            }
        }
    });
    let output = context.outputs.sender(pane);
    let stopped = replay::drive(&mut player, (24, 80), from_pane, |frame| {
        match output.try_send(Bytes::from(frame)) {
            Ok(()) => replay::Shown::Yes,
            Err(NotQueued::Full(_)) => replay::Shown::Dropped,
            Err(NotQueued::Gone) => replay::Shown::Gone,
        }
    })
    .await;
    forward.abort();
    match stopped {
        // The pane stays, ended; `r` over it plays the recording again.
        replay::Stopped::Quit => Some(PaneStatus::Ended {
            reason: EndReason::Said("replay closed (q)".to_owned()),
        }),
        replay::Stopped::Closed | replay::Stopped::Gone => None,
    }
}
