//! The Tunnels view's share of the background process (`bosun tunnel serve`): its tunnels as
//! read each second, on the rows of the same names (saved tunnels) or rows of their own; and
//! what `b`, enter and `x` ask of it.

use std::net::IpAddr;

use super::{TunnelGauges, TunnelId, TunnelLive};
use crate::app::State;
use crate::app::effect::Effect;
use crate::model::tunnel::TunnelDef;
use crate::model::tunnel_api::Status;

/// Takes the background process's tunnels (`None`: none runs): each row of that name shows
/// its state there; one the console has no row for gets one; rows it no longer keeps go
/// back to what they were (a saved tunnel, stopped) or away.
pub(crate) fn listed(state: &mut State, listed: Option<Vec<Status>>) {
    let listed = listed.unwrap_or_default();
    let tunnels = &mut state.tunnels;
    let gone = |entry: &super::TunnelEntry| {
        entry.background.is_some() && !listed.iter().any(|s| s.name == entry.def.name)
    };
    // A row the configuration does not hold goes with its background tunnel; a saved one
    // stays, stopped.
    tunnels
        .entries
        .retain(|entry| !(gone(entry) && !entry.saved && !entry.running));
    for entry in &mut tunnels.entries {
        if gone(entry) {
            entry.background = None;
            entry.live = TunnelLive::default();
        }
    }
    for status in listed {
        // A tunnel running here keeps its row; the background one of the same name shows
        // beside it only when the names differ.
        let id = match tunnels
            .entries
            .iter()
            .find(|e| e.def.name == status.name && !e.running)
        {
            Some(entry) => entry.id,
            None if tunnels.entries.iter().any(|e| e.def.name == status.name) => continue,
            None => tunnels.add(def_of(&status), false),
        };
        if let Some(entry) = tunnels.get_mut(id) {
            let mut live = live_of(&status);
            // Read each second: the bytes since the last reading are the rate.
            if entry.background.is_some() {
                let before = &entry.live.gauges;
                live.gauges.rate_up = live.gauges.bytes_up.saturating_sub(before.bytes_up);
                live.gauges.rate_down = live.gauges.bytes_down.saturating_sub(before.bytes_down);
            }
            entry.background = Some(status.state);
            entry.live = live;
        }
    }
    let last = tunnels.rows().len().saturating_sub(1);
    tunnels.selected = tunnels.selected.min(last);
}

/// What the background process says of a tunnel, as the row shows it.
fn live_of(status: &Status) -> TunnelLive {
    TunnelLive {
        local: status.address.clone(),
        instance_id: status.instance_id.clone(),
        gauges: TunnelGauges {
            sessions_ready: status.sessions,
            resuming: usize::from(status.state == crate::model::tunnel_api::State::Reconnecting),
            active: status.active,
            connections: status.connections,
            bytes_up: status.bytes_up,
            bytes_down: status.bytes_down,
            rate_up: 0,
            rate_down: 0,
            uptime_secs: status.uptime_seconds,
        },
        last_error: status.last_error.clone(),
        session_ids: Vec::new(),
        failed: None,
    }
}

/// A row for a background tunnel the configuration does not name (`bosun tunnel up TARGET
/// --remote-port P`).
fn def_of(status: &Status) -> TunnelDef {
    let (host, port) = status
        .destination
        .rsplit_once(':')
        .map_or(("localhost", 0), |(host, port)| {
            (host, port.parse().unwrap_or(0))
        });
    let local: Option<std::net::SocketAddr> =
        status.address.as_deref().and_then(|a| a.parse().ok());
    TunnelDef {
        name: status.name.clone(),
        target: status.target.clone(),
        remote_host: (host != "localhost").then(|| host.to_owned()),
        remote_port: port,
        local_port: local.map_or(0, |a| a.port()),
        bind: local.map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip()),
        profile: None,
        region: None,
        sessions: status.sessions_wanted,
        account: None,
        lazy: status.lazy,
        idle_after: status
            .idle_minutes
            .map(|minutes| std::time::Duration::from_secs_f64(minutes * 60.0)),
    }
}

/// `b`: the selected tunnels not running here or there go to the background process.
pub(crate) fn send_to_background(state: &mut State, ids: &[TunnelId]) -> Vec<Effect> {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: a tunnel starts port-forwarding sessions".to_owned());
        return Vec::new();
    }
    let (here, there): (Vec<_>, Vec<_>) = ids
        .iter()
        .filter_map(|&id| state.tunnels.get(id))
        .partition(|entry| entry.running);
    let wanted: Vec<TunnelDef> = there
        .iter()
        .filter(|entry| entry.background.is_none())
        .map(|entry| entry.def.clone())
        .collect();
    state.frame.notice = Some(match (wanted.len(), here.len()) {
        (0, 0) => "already in the background: enter stops it there".to_owned(),
        (0, _) => "running here: stop it (enter) to run it in the background".to_owned(),
        (n, _) => format!(
            "starting {} in the background…",
            if n == 1 {
                wanted[0].name.clone()
            } else {
                format!("{n} tunnels")
            }
        ),
    });
    if wanted.is_empty() {
        Vec::new()
    } else {
        vec![Effect::BackgroundUp(wanted)]
    }
}

/// Enter or `x` over background tunnels: stop them there.
pub(crate) fn stop_in_background(state: &mut State, ids: &[TunnelId]) -> Vec<Effect> {
    let names: Vec<String> = ids
        .iter()
        .filter_map(|&id| state.tunnels.get(id))
        .filter(|entry| entry.background.is_some())
        .map(|entry| entry.def.name.clone())
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    state.frame.notice = Some(format!("stopping {} in the background…", names.join(", ")));
    vec![Effect::BackgroundDown(names)]
}
