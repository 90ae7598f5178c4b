//! The Nodes view: `K` groups the loaded fleet by cluster and node group, with online and lost
//! counts; a marked group opens one pane per online node; Enter shows a group's nodes in the
//! fleet; an inventory read while it shows regroups it, keeping the selection.

use crate::app::test_support::*;

fn node(name: &str, id: &str, ping: Ping, cluster: &str, group: &str, dns: &str) -> InstanceRow {
    let mut row = row(name, id, ping, "us-east-1", "shop");
    row.tags.insert("eks:cluster-name".into(), cluster.into());
    row.tags.insert("eks:nodegroup-name".into(), group.into());
    row.private_dns = Some(dns.to_owned());
    row
}

fn with_nodes() -> State {
    let mut state = with_screen(loaded());
    let mut rows = state.fleet.rows.clone();
    rows.extend([
        node(
            "g",
            "i-n1",
            Ping::Online,
            "shop",
            "general",
            "ip-10-0-0-1.ec2.internal",
        ),
        node(
            "g",
            "i-n2",
            Ping::ConnectionLost,
            "shop",
            "general",
            "ip-10-0-0-2.ec2.internal",
        ),
        node(
            "s",
            "i-n3",
            Ping::Online,
            "shop",
            "spot",
            "ip-10-0-0-3.ec2.internal",
        ),
        node(
            "b",
            "i-n4",
            Ping::Online,
            "data",
            "batch",
            "ip-10-0-0-4.ec2.internal",
        ),
    ]);
    load(&mut state, rows);
    press(&mut state, KeyCode::Char('K'), KeyModifiers::SHIFT);
    assert_eq!(state.view, View::Nodes);
    state
}

#[test]
fn the_fleet_groups_by_cluster_and_node_group_with_its_counts() {
    let state = with_nodes();
    let groups: Vec<(&str, &str, usize, usize, usize)> = state
        .nodes
        .groups
        .iter()
        .map(|g| {
            (
                g.cluster.as_str(),
                g.group.as_str(),
                g.nodes.len(),
                g.online(),
                g.lost(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("data", "batch", 1, 1, 0),
            ("shop", "general", 2, 1, 1),
            ("shop", "spot", 1, 1, 0)
        ]
    );
}

#[test]
fn a_marked_group_opens_a_pane_per_online_node_and_says_who_was_left_out() {
    let mut state = with_nodes();
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Char(' '), KeyModifiers::NONE);
    assert_eq!(state.nodes.marks.len(), 1);
    let effects = press(&mut state, KeyCode::Char('s'), KeyModifiers::NONE);
    assert!(
        matches!(effects.as_slice(), [Effect::OpenPanes(ids)] if ids.len() == 1),
        "{effects:?}"
    );
    let pane = state.panes.workspace.focused().expect("a pane");
    assert_eq!(pane.target.name, "ip-10-0-0-1.ec2.internal");
    assert!(
        state
            .frame
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("1 node left out"),
        "{:?}",
        state.frame.notice
    );
    // --read-only opens none.
    let mut state = with_nodes();
    state.frame.read_only = true;
    assert!(press(&mut state, KeyCode::Char('s'), KeyModifiers::NONE).is_empty());
    assert!(state.panes.workspace.is_empty());
}

#[test]
fn enter_shows_the_groups_nodes_in_the_fleet_and_a_new_read_keeps_the_selection() {
    let mut state = with_nodes();
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    // The inventory again, the data cluster gone: the selection stays on shop/spot.
    let rows: Vec<InstanceRow> = state
        .fleet
        .rows
        .iter()
        .filter(|r| r.eks_cluster() != Some("data"))
        .cloned()
        .collect();
    load(&mut state, rows);
    assert_eq!(state.nodes.groups.len(), 2);
    assert_eq!(
        state.nodes.selected_group().map(|g| g.group.as_str()),
        Some("spot")
    );
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(state.view, View::Fleet);
    assert_eq!(state.fleet.filter.text(), "cluster:shop nodegroup:spot");
    assert_eq!(names(&state), ["s"]);
}
