//! The doctor's overlay: `D` over an instance in the fleet, a session, an invocation of the
//! watched run (one that was not reached, say), or after the prefix over a pane, opens it and
//! asks the runtime for the report; any key closes it.

use crate::app::effect::Effect;

/// The doctor's overlay: which instance, and its report once it came.
#[derive(Debug, Clone, PartialEq)]
pub struct DoctorView {
    pub instance_id: String,
    pub name: String,
    /// `None` while the checks run.
    pub report: Option<Result<crate::model::doctor::Report, String>>,
}
use crate::app::State;
use crate::app::overlays::Overlay;
use crate::app::views::View;
use crate::app::views::panes::PaneMode;

/// Opens the doctor on the selected instance (the focused pane's in the panes view).
pub(crate) fn open(state: &mut State) -> Vec<Effect> {
    let target = match state.view {
        View::Panes => state
            .panes
            .workspace
            .focused()
            .filter(|pane| pane.target.container.is_none())
            .map(|pane| {
                let t = &pane.target;
                (
                    t.instance_id.clone(),
                    t.name.clone(),
                    t.profile.clone(),
                    t.region.clone(),
                )
            }),
        View::Fleet => state.fleet.selected_row().map(|row| {
            (
                row.instance_id.clone(),
                row.name.clone(),
                row.profile.clone(),
                row.region.clone(),
            )
        }),
        View::Sessions => state.sessions.selected_entry().map(|entry| {
            (
                entry.row.target.clone(),
                entry.row.name.clone(),
                entry.profile.clone(),
                entry.region.clone(),
            )
        }),
        // The selected invocation's instance, with the clients its fleet row was read with.
        View::Run => state
            .runs
            .watch
            .as_ref()
            .and_then(|watch| watch.selected_invocation())
            .and_then(|invocation| {
                state
                    .fleet
                    .rows
                    .iter()
                    .find(|row| row.instance_id == invocation.instance_id)
            })
            .map(|row| {
                (
                    row.instance_id.clone(),
                    row.name.clone(),
                    row.profile.clone(),
                    row.region.clone(),
                )
            }),
        // Containers say why not in their own view (the doctor examines instances).
        View::Tunnels | View::History | View::Containers => None,
    };
    let Some((instance_id, name, profile, region)) = target else {
        return Vec::new();
    };
    state.panes.mode = PaneMode::Typing;
    state.overlay = Some(Overlay::Doctor(DoctorView {
        instance_id: instance_id.clone(),
        name,
        report: None,
    }));
    vec![Effect::Diagnose {
        instance_id,
        profile,
        region,
    }]
}
