//! The console's tunnels at runtime: started with their profile's credentials, their events
//! kept, and their gauges sampled into the reducer each second.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::Console;
use crate::app::Input;
use crate::app::views::tunnels::{TunnelId, TunnelLive};
use crate::services::tunnel::{self, TunnelConfig, TunnelEvent, TunnelHandle};

/// A tunnel the console runs, and what its events said so far.
pub(super) struct RunningTunnel {
    pub(super) handle: TunnelHandle,
    /// This start's number: the events of an earlier start of the same tunnel (still
    /// ending) name another and are dropped.
    pub(super) start: u64,
    pub(super) started: Instant,
    /// Bytes up and down at the last sample, for the rates.
    pub(super) last: (u64, u64, Instant),
    pub(super) local: Option<String>,
    pub(super) instance_id: Option<String>,
    pub(super) last_error: Option<String>,
    /// Its sessions' ids, newest last (at most 32).
    pub(super) session_ids: Vec<String>,
    /// Set once it stopped: why, when it could not run.
    pub(super) stopped: Option<Result<(), String>>,
    /// Its task had finished at the last sample.
    pub(super) task_seen_finished: bool,
}

impl Console {
    /// Starts a tunnel with the credentials of its profile and region (the console's own
    /// when the tunnel names none).
    pub(super) fn start_tunnel(&mut self, id: TunnelId) {
        let Some(entry) = self.state.tunnels.get(id) else {
            return;
        };
        if self.state.frame.read_only {
            return;
        }
        let def = entry.def.clone();
        let profiles = def
            .profile
            .clone()
            .map_or_else(|| self.state.frame.profiles.clone(), |p| vec![p]);
        let regions = def
            .region
            .clone()
            .map_or_else(|| self.state.frame.regions.clone(), |r| vec![r]);
        let connect = self.connect.clone();
        let config: TunnelConfig = Box::pin(async move {
            let sources = connect(profiles, regions).await;
            sources
                .sources
                .into_iter()
                .next()
                .map(|source| source.config)
                .ok_or_else(|| "no credentials for the tunnel's profile and region".to_owned())
        });
        let start = self.tunnel_starts.advance();
        let handle = tunnel::spawn(config, def, start, self.tunnel_events.clone());
        let now = Instant::now();
        self.tunnels.insert(
            id,
            RunningTunnel {
                handle,
                start,
                started: now,
                last: (0, 0, now),
                local: None,
                instance_id: None,
                last_error: None,
                session_ids: Vec::new(),
                stopped: None,
                task_seen_finished: false,
            },
        );
    }

    /// Notes what a tunnel's start `start` said: where it listens, its problems, its end.
    /// Lines for people go to the log (the Tunnels view shows the state, not a transcript).
    pub(super) fn tunnel_event(&mut self, start: u64, event: TunnelEvent) {
        let Some((&id, tunnel)) = self.tunnels.iter_mut().find(|(_, t)| t.start == start) else {
            return;
        };
        match event {
            TunnelEvent::Listening {
                local, instance_id, ..
            } => {
                tunnel.local = Some(local.to_string());
                tunnel.instance_id = Some(instance_id);
            }
            TunnelEvent::Said(text) => {
                let name = self.state.tunnels.get(id).map(|e| e.def.name.clone());
                tracing::info!(tunnel = ?name, "{}", text.trim_start_matches(": "));
            }
            TunnelEvent::Problem(text) => tunnel.last_error = Some(text),
            TunnelEvent::DestinationFailed => {
                tunnel.last_error =
                    Some("the agent could not connect to the destination port".to_owned());
            }
            // The sessions it has had, newest last, so the Sessions view can tell them apart
            // (a replaced session's id stays until it falls off the end).
            TunnelEvent::SessionReady { session_id } => {
                tunnel.session_ids.push(session_id);
                if tunnel.session_ids.len() > 32 {
                    tunnel.session_ids.remove(0);
                }
            }
            TunnelEvent::Accepted { .. } => {}
            TunnelEvent::Stopped(result) => {
                tunnel.stopped = Some(result.map_err(|error| error.to_string()));
                self.sample_tunnels();
            }
        }
    }

    /// Reads every running tunnel's figures into the state (each second).
    pub(super) fn sample_tunnels(&mut self) {
        let mut finished = Vec::new();
        let mut updates = Vec::new();
        for (&id, tunnel) in &mut self.tunnels {
            let gauges = &tunnel.handle.gauges;
            let up = gauges.bytes_up.load(Ordering::Relaxed);
            let down = gauges.bytes_down.load(Ordering::Relaxed);
            let now = Instant::now();
            let seconds = now.duration_since(tunnel.last.2).as_secs_f64().max(0.001);
            let rate = |now: u64, then: u64| (now.saturating_sub(then) as f64 / seconds) as u64;
            let live = TunnelLive {
                local: tunnel.local.clone(),
                instance_id: tunnel.instance_id.clone(),
                sessions_ready: gauges.sessions_ready.load(Ordering::Relaxed),
                resuming: gauges.reconnecting.load(Ordering::Relaxed),
                active: gauges.active.load(Ordering::Relaxed),
                connections: gauges.connections.load(Ordering::Relaxed),
                bytes_up: up,
                bytes_down: down,
                rate_up: rate(up, tunnel.last.0),
                rate_down: rate(down, tunnel.last.1),
                uptime_secs: tunnel.started.elapsed().as_secs(),
                last_error: tunnel.last_error.clone(),
                session_ids: tunnel.session_ids.clone(),
                failed: match &tunnel.stopped {
                    Some(Err(error)) => Some(error.clone()),
                    Some(Ok(())) => None,
                    None if tunnel.task_seen_finished => {
                        Some("the tunnel stopped unexpectedly (see the log)".to_owned())
                    }
                    None => None,
                },
            };
            tunnel.last = (up, down, now);
            // The end is its Stopped event, which the task sends before it finishes; a task
            // that finished without one (it panicked) is noticed at the next sample.
            let vanished = tunnel.handle.commands.is_finished() && tunnel.task_seen_finished;
            tunnel.task_seen_finished = tunnel.handle.commands.is_finished();
            let running = tunnel.stopped.is_none() && !vanished;
            if !running {
                finished.push(id);
            }
            updates.push(Input::TunnelUpdate {
                id,
                running,
                live: Box::new(live),
            });
        }
        for id in finished {
            self.tunnels.remove(&id);
        }
        for update in updates {
            self.reduce(update);
        }
    }
}
