//! The doctor's overlay: `D` over a row, over an ended pane, and after the prefix; the report
//! arrives; any key closes it and none of them quits or types.

use crate::app::test_support::*;
use crate::model::doctor::Report;

pub(crate) fn report(instance_id: &str) -> Report {
    Report {
        instance_id: instance_id.to_owned(),
        region: "us-east-1".to_owned(),
        checks: Vec::new(),
        would_start: false,
        cause: "the agent stopped reporting".to_owned(),
        fix: "restart it".to_owned(),
        fallbacks: Vec::new(),
        endpoints: Vec::new(),
    }
}

#[test]
fn d_over_a_row_asks_for_the_report_and_any_key_closes_it() {
    let mut state = with_screen(loaded());
    // Sorted by name: api-1 (ConnectionLost) first.
    let effects = press(&mut state, KeyCode::Char('D'), KeyModifiers::SHIFT);
    assert_eq!(
        effects,
        vec![Effect::Diagnose {
            instance_id: "i-01".to_owned(),
            profile: "default".to_owned(),
            region: "us-east-1".to_owned(),
        }]
    );
    assert_eq!(state.mode(), Mode::Doctor);
    assert_eq!(state.doctor().map(|d| d.report.is_none()), Some(true));
    // A late report for another instance does not land here.
    let _ = update(
        &mut state,
        Input::DoctorReport {
            instance_id: "i-02".to_owned(),
            report: Ok(report("i-02")),
        },
    );
    assert_eq!(state.doctor().map(|d| d.report.is_none()), Some(true));
    let _ = update(
        &mut state,
        Input::DoctorReport {
            instance_id: "i-01".to_owned(),
            report: Ok(report("i-01")),
        },
    );
    assert!(matches!(
        state.doctor().and_then(|d| d.report.as_ref()),
        Some(Ok(r)) if r.cause == "the agent stopped reporting"
    ));
    // `q` closes the overlay; it does not quit.
    assert_eq!(
        press(&mut state, KeyCode::Char('q'), KeyModifiers::NONE),
        Vec::new()
    );
    assert_eq!(state.mode(), Mode::Table);
    assert!(state.doctor().is_none());
}

#[test]
fn an_ended_pane_offers_the_doctor_and_keys_over_it_never_type() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let pane = state.panes.workspace.focused().expect("pane").id;
    let _ = update(
        &mut state,
        Input::PaneStatus {
            pane,
            status: PaneStatus::ended("cannot start a session on i-02: TargetNotConnected"),
        },
    );
    let effects = press(&mut state, KeyCode::Char('D'), KeyModifiers::SHIFT);
    assert!(
        matches!(effects.as_slice(), [Effect::Diagnose { instance_id, .. }] if instance_id == "i-02"),
        "{effects:?}"
    );
    assert!(!state.typing_to_pane(), "keys go to the overlay");
    assert_eq!(
        route::route(key(KeyCode::Char('a')), &state),
        Some(route::Routed::App(Input::Action(Action::Back)))
    );
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::Table);

    // On a live pane it is a console key after the prefix.
    let _ = update(
        &mut state,
        Input::PaneStatus {
            pane,
            status: PaneStatus::Connected,
        },
    );
    let effects = prefix(&mut state, KeyCode::Char('D'));
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(state.mode(), Mode::Doctor);
}

#[test]
fn a_pane_that_never_connected_asks_the_doctor_and_shows_its_cause() {
    let mut state = with_screen(loaded());
    let _ = update(&mut state, Input::Action(Action::Bottom));
    let _ = update(&mut state, Input::Action(Action::OpenShell));
    let pane = state.panes.workspace.focused().expect("pane").id;
    let ended = |reason: &str| Input::PaneStatus {
        pane,
        status: PaneStatus::ended(reason),
    };
    // A socket resumed before the agent ever answered is not a session that began.
    for status in [
        PaneStatus::Resuming {
            attempt: 1,
            reason: "nothing heard for 16 s".to_owned(),
        },
        PaneStatus::Connected,
    ] {
        let _ = update(&mut state, Input::PaneStatus { pane, status });
    }
    // Ended while connecting: the doctor is asked at once, without an overlay.
    let effects = update(&mut state, ended("the instance's agent never answered"));
    assert!(
        matches!(effects.as_slice(), [Effect::Diagnose { instance_id, .. }] if instance_id == "i-02"),
        "{effects:?}"
    );
    assert_eq!(state.mode(), Mode::Table, "no overlay opens by itself");
    let _ = update(
        &mut state,
        Input::DoctorReport {
            instance_id: "i-02".to_owned(),
            report: Ok(report("i-02")),
        },
    );
    let cause = |state: &State| state.panes.workspace.panes[&pane].cause.clone();
    assert_eq!(
        cause(&state).as_deref(),
        Some("the agent stopped reporting")
    );

    // A reconnect forgets it; a session that connected and then ended asks nothing.
    let _ = update(
        &mut state,
        Input::PaneStatus {
            pane,
            status: PaneStatus::Connecting,
        },
    );
    assert_eq!(cause(&state), None);
    let _ = update(
        &mut state,
        Input::PaneStatus {
            pane,
            status: PaneStatus::Connected,
        },
    );
    assert!(update(&mut state, ended("the shell exited")).is_empty());
    let _ = update(
        &mut state,
        Input::DoctorReport {
            instance_id: "i-02".to_owned(),
            report: Ok(report("i-02")),
        },
    );
    assert_eq!(cause(&state), None, "a report for another pane's failure");
}

/// `y` over a report copies its commands (each on a line) and leaves the report open; over a
/// report still on its way it does nothing; any other key still closes.
#[test]
fn y_copies_the_fix_and_keeps_the_report() {
    let mut state = with_screen(loaded());
    let _ = press(&mut state, KeyCode::Char('D'), KeyModifiers::SHIFT);
    assert_eq!(
        press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE),
        Vec::new(),
        "nothing to copy yet"
    );
    assert_eq!(state.mode(), Mode::Doctor);
    let mut two = report("i-01");
    two.fix = "turn private DNS on: `aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-1 --private-dns-enabled --region us-east-1`; `aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-2 --private-dns-enabled --region us-east-1`".to_owned();
    let _ = update(
        &mut state,
        Input::DoctorReport {
            instance_id: "i-01".to_owned(),
            report: Ok(two),
        },
    );
    assert_eq!(
        press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE),
        vec![Effect::CopyText(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-1 --private-dns-enabled --region us-east-1\naws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-2 --private-dns-enabled --region us-east-1".to_owned()
        )]
    );
    assert_eq!(state.mode(), Mode::Doctor, "the report stays");
    let _ = press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE);
    assert_eq!(state.mode(), Mode::Table);
}
