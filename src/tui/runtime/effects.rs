//! Carrying out the reducer's effects: sessions started, closed and reconnected, copy mode,
//! the prefix sent on, sources and themes switched, Run Command sent, watched, continued and
//! cancelled, lookups asked, tunnels started and stopped.

use super::{Applied, Console};
use crate::app::{Effect, Input};
use crate::config::theme::Theme;
use crate::model::run_groups::RunResult;
use crate::services::Tagged;
use crate::services::inventory::InventoryCommand;
use crate::services::pane::PaneCommand;
use crate::services::runs::{self, RunCommand, RunEvent, RunOptions};
use crate::services::tunnel::TunnelCommand;
use crate::term::keys;

impl Console {
    /// Carries out one effect.
    pub(super) fn apply(&mut self, effect: Effect) -> Applied {
        match effect {
            Effect::Quit => return Applied::Quit,
            Effect::Refresh => {
                // A full queue already holds a refresh.
                let _ = self.refresher.send(InventoryCommand::Refresh);
            }
            Effect::OpenPanes(ids) => {
                for id in ids {
                    self.start_pane(id);
                }
            }
            Effect::ToggleRecording(id) => self.toggle_recording(id),
            Effect::Reconnect(id) => {
                if let Some(screen) = self.screens.get_mut(&id) {
                    screen.process(b"\r\n\x1b[2m[bosun: reconnecting]\x1b[0m\r\n");
                }
                self.start_pane(id);
            }
            Effect::ClosePanes(ids) => {
                for id in ids {
                    self.stop_recording(id);
                    self.forget_held(id);
                    self.outputs.forget(id);
                    self.screens.remove(&id);
                    self.sizes.remove(&id);
                    if let Some(handle) = self.handles.remove(&id) {
                        // The task flushes, sends TerminateSession and ends on its own; quit
                        // waits for it.
                        handle.send_later(PaneCommand::Close);
                        self.closing.retain(|task| !task.is_finished());
                        self.closing.push(handle.into_task());
                    }
                }
            }
            Effect::ScrollPane { pane, lines } => {
                if let Some(screen) = self.screens.get_mut(&pane) {
                    screen.scroll_by(lines);
                }
            }
            Effect::EnterCopy(pane) => {
                if let Some(screen) = self.screens.get_mut(&pane) {
                    screen.enter_copy();
                }
            }
            Effect::CopyKey { pane, key } => self.copy_key(pane, &key),
            Effect::CopySelection(pane) => self.copy_selection(pane),
            Effect::CopyText(text) => self.copy_text(&text),
            Effect::LeaveCopy(pane) => {
                if let Some(screen) = self.screens.get_mut(&pane) {
                    screen.leave_copy();
                }
            }
            Effect::SendPrefix => {
                // ctrl-] is 0x1d; a configured prefix is encoded like any key.
                let bytes = match &self.state.frame.keys.prefix {
                    Some(chord) => keys::encode_key(chord.to_event(), self.focused_modes()),
                    None => Some(vec![0x1d]),
                };
                if let Some(bytes) = bytes {
                    self.type_into_panes(bytes);
                }
            }
            Effect::SwitchSources { profiles, regions } => {
                // A profile the AWS files do not define is said now, and nothing switches.
                if let (Some(exists), Some(names)) = (self.profile_exists, &profiles)
                    && let Some(problem) = names.iter().find_map(|name| exists(name).err())
                {
                    return Applied::Learnt(Input::SwitchRefused(format!(
                        ":profile: {problem}; the profiles stay as they were"
                    )));
                }
                let profiles = profiles.unwrap_or_else(|| self.state.frame.profiles.clone());
                let regions = regions.unwrap_or_else(|| self.state.frame.regions.clone());
                let connect = self.connect.clone();
                let switched = self.switched.clone();
                let generation = self.generations.advance();
                // Credentials may take a moment (SSO, credential_process): not on this loop.
                tokio::spawn(async move {
                    let sources = connect(profiles.clone(), regions.clone()).await;
                    let switch = Tagged {
                        generation,
                        value: (sources, profiles, regions),
                    };
                    let _ = switched.send(switch).await;
                });
            }
            Effect::SendRun(request) => {
                if let Some(old) = self.run.take() {
                    // A new command replaces the watched one (which keeps running on AWS).
                    old.abort();
                }
                if !self.state.frame.read_only {
                    let generation = self.run_generations.advance();
                    self.run = Some(runs::spawn(
                        request,
                        self.connect.clone(),
                        RunOptions::default(),
                        generation,
                        self.run_events.clone(),
                    ));
                }
            }
            Effect::ReopenRun(entry) => {
                if let Some(old) = self.run.take() {
                    old.abort();
                }
                let generation = self.run_generations.advance();
                self.run = Some(runs::spawn_existing(
                    entry,
                    self.connect.clone(),
                    generation,
                    self.run_events.clone(),
                ));
            }
            Effect::LoadHistory => {
                let (profiles, regions) = (
                    self.state.frame.profiles.clone(),
                    self.state.frame.regions.clone(),
                );
                self.lookups
                    .history(self.connect.clone(), profiles, regions);
            }
            Effect::ContinueRun => {
                if let Some(run) = &self.run {
                    run.send_later(RunCommand::Continue);
                }
            }
            Effect::CompareRuns(runs) => {
                let (older, newer) = *runs;
                self.lookups.compare(self.connect.clone(), older, newer);
            }
            Effect::CancelRun => {
                if let Some(run) = &self.run {
                    // Never lost to a full queue: the reducer will not ask twice.
                    run.send_later(RunCommand::Cancel);
                }
            }
            Effect::WatchOutput(instance) => {
                if let Some(run) = &self.run {
                    let _ = run.send(RunCommand::Watch(instance));
                }
            }
            Effect::LoadSessions => {
                let sources = self.session_sources();
                self.lookups.sessions(sources, None);
            }
            Effect::LoadRecordings => {
                let sources = self.session_sources();
                self.lookups.recordings(sources);
            }
            Effect::ListFolder { at, path } => {
                let clients = self.clients_of(&at.profile, &at.region);
                self.lookups.folder(clients, at, path);
            }
            Effect::CopyFile(copy) => {
                let clients = match &copy {
                    crate::app::effect::FileCopy::Down { at, .. }
                    | crate::app::effect::FileCopy::Up { at, .. } => {
                        self.clients_of(&at.profile, &at.region)
                    }
                };
                self.copies.retain(|copy| !copy.task.is_finished());
                match self.lookups.copy_file(clients, copy) {
                    Ok(under_way) => self.copies.push(under_way),
                    Err(error) => {
                        self.state.frame.notice = Some(format!("copy failed: {error}"));
                    }
                }
            }
            Effect::LoadContainers => {
                let sources = self.session_sources();
                self.lookups.containers(sources);
            }
            Effect::TerminateSession {
                session_id,
                profile,
                region,
            } => {
                let (clients, sources) =
                    (self.clients_of(&profile, &region), self.session_sources());
                self.lookups.terminate(clients, session_id, sources);
            }
            Effect::Diagnose {
                instance_id,
                profile,
                region,
            } => {
                let clients = self.clients_of(&profile, &region);
                self.lookups.diagnose(clients, instance_id, profile, region);
            }
            Effect::StartTunnel(id) => self.start_tunnel(id),
            Effect::BackgroundUp(defs) => self.background_up(defs),
            Effect::BackgroundDown(names) => self.background_down(names),
            Effect::LaunchRdp(address) => self.launch_rdp(&address),
            Effect::StopTunnel(id) => {
                if let Some(tunnel) = self.tunnels.remove(&id) {
                    // Quit waits for its TerminateSession like a closing pane's.
                    tunnel.handle.commands.send_later(TunnelCommand::Stop);
                    self.closing.retain(|task| !task.is_finished());
                    self.closing.push(tunnel.handle.commands.into_task());
                }
            }
            Effect::SwitchTheme(name) => {
                let (theme, error) = Theme::load(&name, self.themes_dir.as_deref());
                if error.is_none() {
                    self.theme = theme;
                }
                let error = error.map(|e| e.to_string());
                return Applied::Learnt(Input::ThemeSwitched { name, error });
            }
        }
        Applied::Done
    }
}

/// What the reducer learns from a run's event; the console's grid needs no per-instance
/// settling or end-of-run notice (it sees both in the progress).
pub(super) fn run_input(event: RunEvent) -> Option<Input> {
    match event {
        RunEvent::Sent { command_ids } => Some(Input::RunSent { command_ids }),
        RunEvent::Progress {
            invocations,
            throttled,
        } => Some(Input::RunProgress {
            invocations,
            throttled,
        }),
        RunEvent::Output(output) => Some(Input::RunOutput(output)),
        RunEvent::PollFailed(error) | RunEvent::Failed(error) => {
            Some(Input::RunError(error.to_string()))
        }
        RunEvent::Settled {
            invocation,
            output,
            full: _,
        } => {
            // The console groups on what the listing gave (the whole output is fetched only
            // for the instance being viewed).
            let truncated = output.chars().count() >= runs::PLUGIN_OUTPUT_KEPT;
            Some(Input::RunSettled(RunResult::settled(
                &invocation,
                output,
                truncated,
            )))
        }
        RunEvent::CanaryDone { passed, remaining } => {
            Some(Input::RunCanaryDone { passed, remaining })
        }
        RunEvent::Done => None,
    }
}
