//! The console's tunnels at runtime: started with their profile's credentials, what they say
//! passed to the reducer as facts, and their gauges sampled into it each second. The reducer's
//! tunnel entries are the one record of a tunnel; here is only what the runtime needs to run
//! one (its handle, its start's number) and to turn byte counters into rates.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::Console;
use crate::app::Input;
use crate::app::views::tunnels::{TunnelFact, TunnelGauges, TunnelId};
use crate::services::tunnel::{self, TunnelConfig, TunnelEvent, TunnelHandle};

/// A tunnel task the console runs.
pub(super) struct TunnelTask {
    pub(super) handle: TunnelHandle,
    /// This start's number: the events of an earlier start of the same tunnel (still ending)
    /// name another and are dropped.
    start: u64,
    started: Instant,
    /// Bytes up and down at the last sample, and when: the rates.
    last: (u64, u64, Instant),
    /// Its task had finished at the last sample (one that finishes without saying it stopped
    /// panicked, and is said so at the next).
    finished: bool,
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
        // Under --org the sources are the organisation's accounts, named by name or id: a
        // tunnel's `account` picks its own.
        let profiles = def
            .account
            .clone()
            .or_else(|| def.profile.clone())
            .map_or_else(|| self.state.frame.profiles.clone(), |p| vec![p]);
        let regions = def
            .region
            .clone()
            .map_or_else(|| self.state.frame.regions.clone(), |r| vec![r]);
        let connect = self.connect.clone();
        let missing = match &def.account {
            Some(account) => format!(
                "no account {account} in what the console reads (a tunnel's account is the organisation's: start bosun with --org)"
            ),
            None => "no credentials for the tunnel's profile and region".to_owned(),
        };
        let config: TunnelConfig = Box::pin(async move {
            let sources = connect(profiles, regions).await;
            sources
                .sources
                .into_iter()
                .next()
                .map(|source| source.config)
                .ok_or(missing)
        });
        let start = self.tunnel_starts.advance();
        let handle = tunnel::spawn(config, def, start, self.tunnel_events.clone());
        let now = Instant::now();
        self.tunnels.insert(
            id,
            TunnelTask {
                handle,
                start,
                started: now,
                last: (0, 0, now),
                finished: false,
            },
        );
    }

    /// What a tunnel's start `start` said, to the reducer (lines for people to the log: the
    /// Tunnels view shows the state, not a transcript).
    pub(super) fn tunnel_event(&mut self, start: u64, event: TunnelEvent) {
        let Some((&id, _)) = self.tunnels.iter().find(|(_, t)| t.start == start) else {
            return;
        };
        let fact = match event {
            TunnelEvent::Listening {
                local, instance_id, ..
            } => TunnelFact::Listening {
                local: local.to_string(),
                instance_id,
            },
            TunnelEvent::Said { session, text } => {
                let name = self.state.tunnels.get(id).map(|e| e.def.name.clone());
                tracing::info!(tunnel = ?name, "session{session}: {text}");
                return;
            }
            TunnelEvent::Problem(text) | TunnelEvent::ClosedByService { words: text, .. } => {
                TunnelFact::Problem(text)
            }
            TunnelEvent::DestinationFailed => TunnelFact::DestinationFailed,
            TunnelEvent::SessionReady { session_id } => TunnelFact::SessionReady(session_id),
            TunnelEvent::Accepted { .. } => return,
            TunnelEvent::Stopped(result) => TunnelFact::Stopped {
                failed: result.err().map(|error| error.to_string()),
            },
        };
        let stopped = matches!(fact, TunnelFact::Stopped { .. });
        self.reduce(Input::TunnelFact { id, fact });
        if stopped {
            self.tunnels.remove(&id);
        }
    }

    /// Reads every running tunnel's gauges into the reducer (each second).
    pub(super) fn sample_tunnels(&mut self) {
        let mut inputs = Vec::new();
        let mut vanished = Vec::new();
        for (&id, task) in &mut self.tunnels {
            let gauges = &task.handle.gauges;
            let up = gauges.bytes_up.load(Ordering::Relaxed);
            let down = gauges.bytes_down.load(Ordering::Relaxed);
            let now = Instant::now();
            let seconds = now.duration_since(task.last.2).as_secs_f64().max(0.001);
            let rate = |now: u64, then: u64| (now.saturating_sub(then) as f64 / seconds) as u64;
            inputs.push(Input::TunnelGauges {
                id,
                gauges: TunnelGauges {
                    sessions_ready: gauges.sessions_ready.load(Ordering::Relaxed),
                    resuming: gauges.reconnecting.load(Ordering::Relaxed),
                    active: gauges.active.load(Ordering::Relaxed),
                    connections: gauges.connections.load(Ordering::Relaxed),
                    bytes_up: up,
                    bytes_down: down,
                    rate_up: rate(up, task.last.0),
                    rate_down: rate(down, task.last.1),
                    uptime_secs: task.started.elapsed().as_secs(),
                },
            });
            task.last = (up, down, now);
            // The end is its Stopped event, which the task sends before it finishes (and which
            // removes it); a task still here that finished without one (it panicked) is
            // noticed at the next sample.
            let finished = task.handle.commands.is_finished();
            if finished && task.finished {
                vanished.push(id);
            }
            task.finished = finished;
        }
        for input in inputs {
            self.reduce(input);
        }
        for id in vanished {
            self.tunnels.remove(&id);
            self.reduce(Input::TunnelFact {
                id,
                fact: TunnelFact::Stopped {
                    failed: Some("the tunnel stopped unexpectedly (see the log)".to_owned()),
                },
            });
        }
    }
}
