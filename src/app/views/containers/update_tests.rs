//! The Containers view: loading, the filter, marks and one pane each, refusals with their
//! cause, the tunnel form, the jump to an EC2 task's instance.

use crate::app::test_support::*;
use crate::model::container::ContainerRow;

fn container(service: &str, name: &str, exec: bool, ec2: Option<&str>) -> ContainerRow {
    ContainerRow {
        profile: "default".to_owned(),
        region: "us-east-1".to_owned(),
        cluster: "shop".to_owned(),
        service: service.to_owned(),
        task_id: format!("{service}-task"),
        container: name.to_owned(),
        runtime_id: format!("{service}-{name}"),
        launch_type: if ec2.is_some() { "EC2" } else { "FARGATE" }.to_owned(),
        task_status: "RUNNING".to_owned(),
        exec_enabled: exec,
        exec_agent: exec.then(|| "RUNNING".to_owned()),
        ec2_instance: ec2.map(str::to_owned),
        ..ContainerRow::default()
    }
}

fn containers_loaded() -> State {
    let mut state = with_screen(loaded());
    assert_eq!(
        press(&mut state, KeyCode::Char('E'), KeyModifiers::SHIFT),
        vec![Effect::LoadContainers]
    );
    assert_eq!(state.view, View::Containers);
    let _ = update(
        &mut state,
        Input::ContainersLoaded {
            rows: vec![
                container("web", "app", true, None),
                container("web", "envoy", true, None),
                container("jobs", "worker", false, None),
                container("batch", "runner", true, Some("i-02")),
            ],
            errors: Vec::new(),
        },
    );
    state
}

#[test]
fn marked_containers_open_one_pane_each_and_refused_ones_say_why() {
    let mut state = containers_loaded();
    for _ in 0..3 {
        press(&mut state, KeyCode::Char(' '), KeyModifiers::NONE);
    }
    assert_eq!(state.containers.marks.len(), 3);
    let effects = press(&mut state, KeyCode::Char('s'), KeyModifiers::NONE);
    assert!(
        matches!(effects.as_slice(), [Effect::OpenPanes(ids)] if ids.len() == 2),
        "{effects:?}"
    );
    assert_eq!(state.view, View::Panes);
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n
                .contains("no shell in worker: the task was started without enableExecuteCommand")),
        "{:?}",
        state.frame.notice
    );
    let pane = state.panes.workspace.focused().expect("a pane");
    assert!(pane.target.container.is_some());
    assert!(pane.target.instance_id.starts_with("ecs:shop_"));
}

#[test]
fn the_filter_the_tunnel_form_and_the_jump_to_an_instance() {
    let mut state = containers_loaded();
    press(&mut state, KeyCode::Char('/'), KeyModifiers::NONE);
    for c in "service:web".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(state.containers.visible.len(), 2);
    press(&mut state, KeyCode::Char('F'), KeyModifiers::SHIFT);
    assert_eq!(state.mode(), Mode::TunnelForm);
    let form = state.tunnel_form().cloned().expect("the form");
    assert!(
        form.instance_id.starts_with("ecs:shop/"),
        "{}",
        form.instance_id
    );
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);

    // `e` on a Fargate task has nowhere to go; on an EC2 task it filters the fleet to it.
    press(&mut state, KeyCode::Char('e'), KeyModifiers::NONE);
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("FARGATE")),
        "{:?}",
        state.frame.notice
    );
    press(&mut state, KeyCode::Char('/'), KeyModifiers::NONE);
    for _ in 0.."service:web".len() {
        press(&mut state, KeyCode::Backspace, KeyModifiers::NONE);
    }
    for c in "batch".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    press(&mut state, KeyCode::Char('e'), KeyModifiers::NONE);
    assert_eq!(state.view, View::Fleet);
    assert_eq!(state.fleet.filter, "i-02");
    assert_eq!(
        state.fleet.selected_row().map(|r| r.instance_id.as_str()),
        Some("i-02")
    );
}

#[test]
fn read_only_refuses_container_shells_and_tunnels() {
    let mut state = containers_loaded();
    state.frame.read_only = true;
    assert!(press(&mut state, KeyCode::Char('s'), KeyModifiers::NONE).is_empty());
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("--read-only"))
    );
    press(&mut state, KeyCode::Char('F'), KeyModifiers::SHIFT);
    assert_eq!(state.tunnel_form(), None);
}

/// `exec:yes` is not a choice: the line says so and the last filter understood stays.
#[test]
fn a_filter_word_it_does_not_understand_is_refused_not_matched() {
    let mut state = containers_loaded();
    let everything = state.containers.rows.as_ref().map_or(0, Vec::len);
    press(&mut state, KeyCode::Char('/'), KeyModifiers::NONE);
    for c in "exec:on".chars() {
        press(&mut state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    assert_eq!(state.containers.filter_error, None);
    let reachable = state.containers.visible.len();
    assert!(reachable < everything);
    // As a paste would put it (typed, "exec" alone is a word in between).
    state.containers.set_filter("exec:on exec:yes");
    let said = state.containers.filter_error.clone().expect("refused");
    assert!(said.contains("exec:on or exec:off"), "{said}");
    assert_eq!(
        state.containers.visible.len(),
        reachable,
        "exec:on still in force"
    );
}

/// `D` on a container, in the view and over its pane (after the prefix), opens the doctor
/// with the container's own cause and fix at once, the prefix disarmed; an ended container
/// pane's why is the container's, never "there is no instance ecs:…".
#[test]
fn the_doctor_on_a_container_is_the_containers_own() {
    let mut state = containers_loaded();
    // In the order they came: web/app, web/envoy, jobs/worker (exec off), batch/runner.
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    let effects = press(&mut state, KeyCode::Char('D'), KeyModifiers::SHIFT);
    assert!(effects.is_empty(), "no call to AWS: {effects:?}");
    let report = state
        .doctor()
        .and_then(|d| d.report.clone())
        .expect("a report at once")
        .expect("ok");
    assert!(
        report.cause.contains("without enableExecuteCommand"),
        "{}",
        report.cause
    );
    assert!(
        report.fix.contains("--enable-execute-command"),
        "{}",
        report.fix
    );
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);

    // A pane on batch/runner: after the prefix, D opens its doctor and the prefix is spent.
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    let _ = press(&mut state, KeyCode::Char('s'), KeyModifiers::NONE);
    assert_eq!(state.view, View::Panes);
    let _ = update(&mut state, Input::Action(Action::Prefix));
    let effects = update(&mut state, Input::Action(Action::Doctor));
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(state.mode(), Mode::Doctor);
    assert_eq!(state.panes.mode, PaneMode::Typing, "the prefix is spent");
    let report = state
        .doctor()
        .and_then(|d| d.report.clone())
        .expect("a report")
        .expect("ok");
    assert!(report.would_start, "{report:?}");
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);

    // The pane's session never began: its why is the container's.
    let pane = state.panes.workspace.focused().expect("a pane").id;
    let effects = update(
        &mut state,
        Input::PaneStatus {
            pane,
            status: PaneStatus::Ended {
                reason: EndReason::Said("TargetNotConnected".to_owned()),
            },
        },
    );
    assert!(effects.is_empty(), "no instance doctor: {effects:?}");
    let cause = state.panes.workspace.panes[&pane]
        .cause
        .clone()
        .unwrap_or_default();
    assert!(cause.contains("ECS Exec should reach it"), "{cause}");
    assert!(!cause.contains("there is no instance"), "{cause}");
}
