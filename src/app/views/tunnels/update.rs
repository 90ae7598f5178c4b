//! The Tunnels view's actions: start and stop saved tunnels and groups, the shift-f form,
//! remove a tunnel started from the fleet; what the runtime measured, and the doctor asked
//! when a tunnel's target refuses it.

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::TextInput;
use crate::app::effect::Effect;
use crate::app::overlays::Overlay;
use crate::app::views::lists;
use crate::app::views::{Outcome, View};

use super::{TunnelFact, TunnelForm, TunnelGauges, TunnelId, TunnelLive};

/// A key in the shift-f form: text in the focused field, the fields in turn (tab, ↑↓), Enter
/// starts the tunnel it describes (or says what is wrong), esc closes it.
pub(crate) fn form_input(state: &mut State, mut form: TunnelForm, text: TextInput) -> Outcome {
    match text {
        TextInput::Cancel => return Outcome::nothing(),
        TextInput::Enter | TextInput::Submit => match form.to_def() {
            Ok(def) => {
                let id = state.tunnels.add(def, false);
                state.view = View::Tunnels;
                state.tunnels.selected = state.tunnels.rows().len() - 1;
                return Outcome::Done(start_tunnels(state, &[id]));
            }
            Err(error) => form.error = Some(error),
        },
        TextInput::Next => form.focus = (form.focus + 1) % form.fields.len(),
        TextInput::Previous => {
            let count = form.fields.len();
            form.focus = (form.focus + count - 1) % count;
        }
        TextInput::Recall => {}
        text @ (TextInput::Char(_)
        | TextInput::Backspace
        | TextInput::ClearLine
        | TextInput::DeleteWord) => {
            // The field is being fixed: its error goes.
            form.error = None;
            form.fields[form.focus].edit(&text);
        }
    }
    state.overlay = Some(Overlay::TunnelForm(form));
    Outcome::nothing()
}

/// Marks `ids` running and asks the runtime to start them; `--read-only` refuses.
pub(crate) fn start_tunnels(state: &mut State, ids: &[TunnelId]) -> Vec<Effect> {
    if state.frame.read_only {
        state.frame.notice =
            Some("refused by --read-only: a tunnel starts port-forwarding sessions".to_owned());
        return Vec::new();
    }
    let mut effects = Vec::new();
    for &id in ids {
        if let Some(entry) = state.tunnels.get_mut(id)
            && !entry.running
        {
            entry.running = true;
            entry.live = TunnelLive::default();
            effects.push(Effect::StartTunnel(id));
        }
    }
    effects
}

pub(crate) fn act_on_tunnels(state: &mut State, action: Action) -> Outcome {
    Outcome::Done(act(state, action))
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let count = state.tunnels.rows().len();
    let last = count.saturating_sub(1);
    let page = state.frame.table_rows;
    let tunnels = &mut state.tunnels;
    match action {
        _ if let Some(to) = lists::moved(tunnels.selected, count, page, action) => {
            tunnels.selected = to;
        }
        Action::BackgroundTunnel => {
            let ids = tunnels.selected_ids();
            return super::background::send_to_background(state, &ids);
        }
        Action::ToggleTunnel
            if tunnels
                .selected_ids()
                .iter()
                .any(|&id| tunnels.get(id).is_some_and(|e| e.background.is_some())) =>
        {
            let ids = tunnels.selected_ids();
            return super::background::stop_in_background(state, &ids);
        }
        Action::ToggleTunnel => {
            let ids = tunnels.selected_ids();
            let all_running = ids
                .iter()
                .all(|&id| tunnels.get(id).is_some_and(|e| e.running));
            if !all_running {
                return start_tunnels(state, &ids);
            }
            let mut effects = Vec::new();
            for id in ids {
                if let Some(entry) = tunnels.get_mut(id) {
                    entry.running = false;
                    effects.push(Effect::StopTunnel(id));
                }
            }
            return effects;
        }
        Action::RemoveTunnel => {
            let ids = tunnels.selected_ids();
            if let [id] = ids[..]
                && tunnels.get(id).is_some_and(|e| e.background.is_some())
            {
                return super::background::stop_in_background(state, &ids);
            }
            if let [id] = ids[..]
                && tunnels.get(id).is_some_and(|e| !e.saved)
            {
                let running = tunnels.get(id).is_some_and(|e| e.running);
                tunnels.entries.retain(|e| e.id != id);
                tunnels.selected = tunnels.selected.min(last.saturating_sub(1));
                return if running {
                    vec![Effect::StopTunnel(id)]
                } else {
                    Vec::new()
                };
            }
            state.frame.notice = Some("saved tunnels stay: stop them with enter".to_owned());
        }
        _ => return lists::shared(state, action).unwrap_or_default(),
    }
    Vec::new()
}

/// What a tunnel said; it stops running once it says it stopped. An RDP tunnel's client
/// starts with its first ready session.
pub(crate) fn fact(state: &mut State, id: TunnelId, fact: TunnelFact) -> Vec<Effect> {
    let Some(entry) = state.tunnels.get_mut(id) else {
        return Vec::new();
    };
    if matches!(fact, TunnelFact::Stopped { .. }) {
        entry.running = false;
    }
    let ready = matches!(fact, TunnelFact::SessionReady(_));
    entry.live.learn(fact);
    let mut effects = Vec::new();
    if ready
        && entry.open_rdp
        && let Some(local) = entry.live.local.clone()
    {
        entry.open_rdp = false;
        effects.push(Effect::LaunchRdp(local));
    }
    effects.extend(ask_why_failing(state, id));
    effects
}

/// `W` over the fleet: a tunnel to the Windows instance's port 3389 (shown in the Tunnels
/// view, stopped there), and the RDP client on it once its session is ready.
pub(crate) fn rdp_to(state: &mut State, to: crate::app::views::TunnelTo) -> Vec<Effect> {
    let label = if to.name.is_empty() {
        to.target.clone()
    } else {
        to.name.clone()
    };
    let def = crate::model::tunnel::TunnelDef {
        profile: Some(to.profile.clone()),
        region: Some(to.region.clone()),
        ..crate::model::tunnel::TunnelDef::new(format!("{label}:rdp"), to.target.clone(), 3389)
    };
    // One RDP tunnel an instance: a second `W` opens the client on the running one.
    if let Some(entry) = state
        .tunnels
        .entries
        .iter_mut()
        .find(|e| e.def.name == def.name && e.running)
    {
        return match entry.live.local.clone() {
            Some(local) if entry.live.gauges.sessions_ready > 0 => vec![Effect::LaunchRdp(local)],
            _ => {
                entry.open_rdp = true;
                Vec::new()
            }
        };
    }
    let id = state.tunnels.add(def, false);
    let effects = start_tunnels(state, &[id]);
    if let Some(entry) = state.tunnels.get_mut(id) {
        entry.open_rdp = !effects.is_empty();
    }
    if !effects.is_empty() {
        state.frame.notice = Some(format!(
            "RDP to {label}: starting the tunnel; the client opens when it is ready (t shows it; the password: bosun rdp {label} --password KEYFILE)"
        ));
    }
    effects
}

/// What the runtime measured of a running tunnel.
pub(crate) fn gauges(state: &mut State, id: TunnelId, gauges: TunnelGauges) -> Vec<Effect> {
    let Some(entry) = state.tunnels.get_mut(id) else {
        return Vec::new();
    };
    entry.live.measured(gauges);
    ask_why_failing(state, id)
}

/// A tunnel whose sessions fail because of its target asks the doctor once per failing spell;
/// its cause shows in the row until it serves again.
fn ask_why_failing(state: &mut State, id: TunnelId) -> Vec<Effect> {
    let Some(entry) = state.tunnels.get_mut(id) else {
        return Vec::new();
    };
    let live = &entry.live;
    let failing = live.gauges.sessions_ready == 0
        && live
            .last_error
            .as_deref()
            .is_some_and(crate::model::doctor::failure_is_about_the_target);
    if !failing {
        entry.cause = None;
        entry.asked_doctor = false;
        return Vec::new();
    }
    if entry.asked_doctor {
        return Vec::new();
    }
    let Some(instance_id) = live.instance_id.clone() else {
        return Vec::new();
    };
    entry.asked_doctor = true;
    // The clients are the ones the instance's row was read with.
    state
        .fleet
        .row_of(&instance_id)
        .map(|row| Effect::Diagnose {
            instance_id: instance_id.clone(),
            profile: row.profile.clone(),
            region: row.region.clone(),
        })
        .into_iter()
        .collect()
}

/// The doctor's cause for an instance, in the rows of the tunnels that asked it.
pub(crate) fn doctor_said(state: &mut State, instance_id: &str, cause: &str) {
    for entry in &mut state.tunnels.entries {
        if entry.asked_doctor && entry.live.instance_id.as_deref() == Some(instance_id) {
            entry.cause = Some(cause.to_owned());
        }
    }
}
