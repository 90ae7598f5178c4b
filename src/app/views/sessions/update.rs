//! The Sessions view: the fleet's active sessions, loaded afresh on the way in and after each
//! termination; the terminate key asks once ("press x again") before it ends one.

use crate::app::State;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::views::lists;
use crate::app::views::{Outcome, View};

/// The Sessions view, loading it afresh.
pub(crate) fn show_sessions(state: &mut State) -> Vec<Effect> {
    state.view = View::Sessions;
    state.close_overlay();
    state.sessions.entries = None;
    state.sessions.terminate_armed = None;
    vec![Effect::LoadSessions]
}

pub(crate) fn act_on_sessions(state: &mut State, action: Action) -> Outcome {
    Outcome::Done(act(state, action))
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let count = state.sessions.entries.as_ref().map_or(0, Vec::len);
    if action != Action::TerminateSession {
        state.sessions.terminate_armed = None;
    }
    match action {
        _ if let Some(to) = lists::moved(
            state.sessions.selected,
            count,
            state.frame.table_rows,
            action,
        ) =>
        {
            state.sessions.selected = to;
        }
        Action::Refresh => return show_sessions(state),
        Action::TerminateSession => return terminate(state),
        _ => return lists::shared(state, action).unwrap_or_default(),
    }
    Vec::new()
}

fn terminate(state: &mut State) -> Vec<Effect> {
    if state.frame.read_only {
        state.frame.notice = Some("refused by --read-only: terminating ends a session".to_owned());
        return Vec::new();
    }
    let Some(entry) = state.sessions.selected_entry().cloned() else {
        return Vec::new();
    };
    let id = entry.row.session_id.clone();
    // One of this console's own live panes: closing the pane ends it (and keeps the layout
    // honest); x here would leave a pane that only says "ended".
    if let Some(pane) = state.panes.workspace.pane_of_session(&id) {
        state.frame.notice = Some(format!(
            "{id} is this console's pane {pane}: close it over the panes (ctrl-] x)"
        ));
        return Vec::new();
    }
    if let Some(tunnel) = state.tunnels.tunnel_of_session(&id) {
        state.frame.notice = Some(format!(
            "{id} carries this console's tunnel {tunnel}: stop it in the Tunnels view (t, enter)"
        ));
        return Vec::new();
    }
    if state.sessions.terminate_armed.as_ref() != Some(&id) {
        let on = if entry.row.name.is_empty() {
            entry.row.target.clone()
        } else {
            entry.row.name.clone()
        };
        state.frame.notice = Some(format!(
            "press x again to end {id} on {on} ({})",
            entry
                .row
                .owner
                .rsplit('/')
                .next()
                .unwrap_or(&entry.row.owner)
        ));
        state.sessions.terminate_armed = Some(id);
        return Vec::new();
    }
    state.sessions.terminate_armed = None;
    state.frame.notice = Some(format!("ending {id}"));
    vec![Effect::TerminateSession {
        session_id: id,
        profile: entry.profile,
        region: entry.region,
    }]
}
