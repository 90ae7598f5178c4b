//! The doctor's overlay: `D` over an instance in the fleet, a session, an invocation of the
//! watched run (one that was not reached, say), or after the prefix over a pane, opens it and
//! asks the runtime for the report; any key closes it.

use crate::app::State;
use crate::app::effect::Effect;
use crate::app::overlays::Overlay;

/// The doctor's overlay: which instance, and its report once it came.
#[derive(Debug, Clone, PartialEq)]
pub struct DoctorView {
    pub instance_id: String,
    pub name: String,
    /// `None` while the checks run.
    pub report: Option<Result<crate::model::doctor::Report, String>>,
}

/// The instance the doctor examines, with the clients it was read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Examined {
    pub instance_id: String,
    pub name: String,
    pub profile: String,
    pub region: String,
}

/// Opens the doctor on `examined` (the view in front's choice) and asks for the report.
pub(crate) fn open(state: &mut State, examined: Option<Examined>) -> Vec<Effect> {
    let Some(Examined {
        instance_id,
        name,
        profile,
        region,
    }) = examined
    else {
        return Vec::new();
    };
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

/// Opens the doctor over a container with its report, which needs no call to AWS.
pub(crate) fn show(state: &mut State, row: &crate::model::container::ContainerRow) {
    let report = crate::model::doctor::container::container_report(row);
    state.overlay = Some(Overlay::Doctor(DoctorView {
        instance_id: report.instance_id.clone(),
        name: row.container.clone(),
        report: Some(Ok(report)),
    }));
}
