//! The Recordings view's actions: loading (the files and the session history), moving, the
//! filter, and Enter replaying the selected recording in a pane.

use crate::app::State;
use crate::app::action::Action;
use crate::app::editor::TextInput;
use crate::app::effect::Effect;
use crate::app::overlays::Overlay;
use crate::app::views::{Outcome, View, lists};

/// The Recordings view, read afresh.
pub(crate) fn show_recordings(state: &mut State) -> Vec<Effect> {
    state.view = View::Recordings;
    state.close_overlay();
    state.recordings.rows = None;
    vec![Effect::LoadRecordings]
}

pub(crate) fn filter_input(state: &mut State, text: &TextInput) {
    let view = &mut state.recordings;
    if let Some(filter) = lists::filter_edit(&view.filter, &mut view.filter_before, text) {
        view.set_filter(&filter);
    }
}

pub(crate) fn act_on_recordings(state: &mut State, action: Action) -> Outcome {
    let view = &mut state.recordings;
    match action {
        _ if let Some(to) = lists::moved(
            view.selected,
            view.visible.len(),
            state.frame.table_rows,
            action,
        ) =>
        {
            view.selected = to;
        }
        Action::Filter => {
            view.filter_before = Some(view.filter.text().to_owned());
            view.set_filter("");
            state.overlay = Some(Overlay::Filter);
        }
        Action::Refresh => return Outcome::Done(show_recordings(state)),
        Action::OpenEntry => return replay(state),
        _ => return Outcome::Done(lists::shared(state, action).unwrap_or_default()),
    }
    state.recordings.keep_in_view(state.frame.table_rows);
    Outcome::nothing()
}

/// The selected recording in a pane beside the focused one (a replay changes nothing, so
/// --read-only lets it).
fn replay(state: &mut State) -> Outcome {
    let Some(row) = state.recordings.selected_row() else {
        return Outcome::nothing();
    };
    // The instance's own profile and region when the fleet has it (the doctor over the pane
    // asks there), else the console's first.
    let (profile, region) = match state.fleet.row_of(&row.instance_id) {
        Some(fleet_row) => (fleet_row.profile.clone(), fleet_row.region.clone()),
        None => (String::new(), String::new()),
    };
    let target = super::pane_target(row, &profile, &region);
    Outcome::OpenShells(vec![target])
}
