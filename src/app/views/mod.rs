//! The console's views, one folder each: its state (`mod.rs`), what its keys and facts do to
//! it (`update.rs`), and its key table (`keys.rs`). A view never names another: what reaches
//! beyond it is an `Outcome` the dispatcher (`app::update`) carries out. This file is the
//! registry: which view takes an action, and which key table counts now.

pub mod containers;
pub mod files;
pub mod fleet;
pub mod key_check;
pub(crate) mod lists;
pub mod nodes;
pub mod panes;
pub mod recordings;
pub mod runs;
pub mod sessions;
pub mod tunnels;

use crate::app::State;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::keymap::KeyTable;
use crate::app::overlays::Overlay;
use crate::app::overlays::doctor::Examined;
use crate::model::instance::InstanceRow;
use crate::model::pane::PaneTarget;
use crate::model::run::RunGroup;

/// What fills the screen beneath the overlays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Fleet,
    Panes,
    Tunnels,
    /// Watching a command's invocations.
    Run,
    /// Recent commands.
    History,
    /// Sessions on the fleet now: who is on which instance.
    Sessions,
    /// ECS containers: shells and tunnels through ECS Exec.
    Containers,
    /// One instance's folders, over a session.
    Files,
    /// The fleet's Kubernetes nodes by cluster and node group.
    Nodes,
    /// The recordings here, beside the session history.
    Recordings,
}

/// What a view's key comes to, when it reaches beyond the view.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done within the view: what the runtime must do.
    Done(Vec<Effect>),
    /// Another action, taken as a key would be (the `:` line's verbs).
    Act(Action),
    /// Shell panes on these targets, one beside the focused pane or a new tab of several.
    OpenShells(Vec<PaneTarget>),
    /// Another view in front (the panes typing into the focused one, a list loaded afresh).
    Show(View),
    /// Run Command's form for these targets (`agents`: set for AWS-UpdateSSMAgent, canary
    /// first).
    ComposeRun {
        groups: Vec<RunGroup>,
        chosen_by: String,
        agents: bool,
    },
    /// The tunnel form for one target.
    TunnelForm(TunnelTo),
    /// Remote Desktop to one Windows target: a tunnel to 3389, then the RDP client.
    Rdp(TunnelTo),
    /// The fleet, filtered to one instance.
    ShowInFleet(String),
    /// The Files view on an instance.
    Files(files::FilesAt),
}

impl Outcome {
    pub fn nothing() -> Outcome {
        Outcome::Done(Vec::new())
    }
}

/// What the tunnel form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelTo {
    /// The session's target: an instance id, or a container's `ecs:` target.
    pub target: String,
    pub name: String,
    pub profile: String,
    pub region: String,
    /// The target's SSM Agent, when the fleet knows it (what it will forward to).
    pub agent_version: Option<String>,
}

/// Hands an action to the view in front.
pub(crate) fn act(state: &mut State, action: Action) -> Outcome {
    match state.view {
        View::Panes => panes::update::act_on_panes(state, action),
        View::Tunnels => tunnels::update::act_on_tunnels(state, action),
        View::Run => runs::update::act_on_run(state, action),
        View::History => runs::update::act_on_history(state, action),
        View::Sessions => sessions::update::act_on_sessions(state, action),
        View::Containers => containers::update::act_on_containers(state, action),
        View::Files => files::update::act_on_files(state, action),
        View::Nodes => nodes::update::act_on_nodes(state, action),
        View::Recordings => recordings::update::act_on_recordings(state, action),
        View::Fleet => fleet::update::act_on(state, action),
    }
}

/// The table whose keys count now, if a table decides; `None` while a text field is open, or
/// while keys go to a pane.
pub fn table_for(state: &State) -> Option<&'static KeyTable> {
    match &state.overlay {
        Some(overlay) if overlay.editor().is_some() => return None,
        Some(Overlay::Help { .. }) => return Some(&crate::app::overlays::help_table::HELP),
        _ => {}
    }
    match state.view {
        View::Tunnels => Some(&tunnels::keys::TUNNELS),
        View::Run => Some(&runs::keys::RUN),
        View::History => Some(&runs::keys::HISTORY),
        View::Sessions => Some(&sessions::keys::SESSIONS),
        View::Containers => Some(&containers::keys::CONTAINERS),
        View::Files => Some(&files::keys::FILES),
        View::Nodes => Some(&nodes::keys::NODES),
        View::Recordings => Some(&recordings::keys::RECORDINGS),
        View::Panes if !state.panes.workspace.is_empty() => match state.panes.mode {
            panes::PaneMode::Typing => {
                let ended = state
                    .panes
                    .workspace
                    .focused()
                    .is_some_and(|p| p.status.is_ended());
                let broadcast = state.panes.workspace.tab().is_some_and(|t| t.broadcast);
                (ended && !broadcast).then_some(&panes::keys::ENDED_PANE)
            }
            panes::PaneMode::Prefix => Some(&panes::keys::PANES),
            panes::PaneMode::Scroll => Some(&panes::keys::SCROLL),
        },
        View::Panes | View::Fleet => Some(&fleet::keys::FLEET),
    }
}

/// The table the help lists: the view in front's (the panes' prefix keys over the panes).
pub fn help_table(state: &State) -> &'static KeyTable {
    match state.view {
        View::Panes if !state.panes.workspace.is_empty() => &panes::keys::PANES,
        View::Tunnels => &tunnels::keys::TUNNELS,
        View::Run if state.runs.watch.is_some() => &runs::keys::RUN,
        View::History => &runs::keys::HISTORY,
        View::Sessions => &sessions::keys::SESSIONS,
        View::Containers => &containers::keys::CONTAINERS,
        View::Files => &files::keys::FILES,
        View::Nodes => &nodes::keys::NODES,
        View::Recordings => &recordings::keys::RECORDINGS,
        _ => &fleet::keys::FLEET,
    }
}

/// The instance the doctor examines from the view in front: the fleet's selected row, the
/// selected session or invocation, the focused pane's; none where a view has none.
pub fn examined(state: &State) -> Option<Examined> {
    let from_row = |row: &InstanceRow| Examined {
        instance_id: row.instance_id.clone(),
        name: row.name.clone(),
        profile: row.profile.clone(),
        region: row.region.clone(),
    };
    match state.view {
        View::Panes => state
            .panes
            .workspace
            .focused()
            .filter(|pane| pane.target.container.is_none())
            .map(|pane| Examined {
                instance_id: pane.target.instance_id.clone(),
                name: pane.target.name.clone(),
                profile: pane.target.profile.clone(),
                region: pane.target.region.clone(),
            }),
        View::Fleet => state.fleet.selected_row().map(from_row),
        View::Sessions => state.sessions.selected_entry().map(|entry| Examined {
            instance_id: entry.row.target.clone(),
            name: entry.row.name.clone(),
            profile: entry.profile.clone(),
            region: entry.region.clone(),
        }),
        // The selected invocation's instance, with the clients its fleet row was read with.
        View::Run => state
            .runs
            .watch
            .as_ref()
            .and_then(|watch| watch.selected_invocation())
            .and_then(|invocation| state.fleet.row_of(&invocation.instance_id))
            .map(from_row),
        // Containers say why not in their own view (the doctor examines instances).
        View::Files => state.files.at.as_ref().map(|at| Examined {
            instance_id: at.instance_id.clone(),
            name: at.name.clone(),
            profile: at.profile.clone(),
            region: at.region.clone(),
        }),
        // The recorded instance, where the fleet has it.
        View::Recordings => state
            .recordings
            .selected_row()
            .and_then(|row| state.fleet.row_of(&row.instance_id))
            .map(from_row),
        View::Tunnels | View::History | View::Containers | View::Nodes => None,
    }
}

/// The view a Show action brings forward from the fleet.
pub fn shown_by(action: Action) -> Option<View> {
    match action {
        Action::ShowHistory => Some(View::History),
        Action::ShowSessions => Some(View::Sessions),
        Action::ShowContainers => Some(View::Containers),
        Action::ShowNodes => Some(View::Nodes),
        Action::ShowRecordings => Some(View::Recordings),
        Action::ShowTunnels => Some(View::Tunnels),
        Action::ShowRun => Some(View::Run),
        Action::ShowPanes => Some(View::Panes),
        _ => None,
    }
}

/// Brings `view` to the front, as it wants to be shown (the lists load afresh).
pub(crate) fn show(state: &mut State, view: View) -> Vec<Effect> {
    match view {
        View::Panes => panes::update::show_panes(state),
        View::History => runs::update::show_history(state),
        View::Sessions => sessions::update::show_sessions(state),
        View::Containers => containers::update::show_containers(state),
        View::Run => runs::update::show_run(state),
        View::Recordings => recordings::update::show_recordings(state),
        View::Nodes => {
            state.nodes.regroup(&state.fleet.rows);
            state.view = view;
            state.close_overlay();
            Vec::new()
        }
        View::Fleet | View::Tunnels | View::Files => {
            state.view = view;
            state.close_overlay();
            Vec::new()
        }
    }
}

/// Every key table, for the tests that hold them to their promises.
pub static ALL_TABLES: [&crate::app::keymap::KeyTable; 13] = [
    &fleet::keys::FLEET,
    &panes::keys::PANES,
    &panes::keys::SCROLL,
    &panes::keys::ENDED_PANE,
    &tunnels::keys::TUNNELS,
    &runs::keys::RUN,
    &runs::keys::HISTORY,
    &sessions::keys::SESSIONS,
    &containers::keys::CONTAINERS,
    &files::keys::FILES,
    &nodes::keys::NODES,
    &recordings::keys::RECORDINGS,
    &crate::app::overlays::help_table::HELP,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Action;
    use crate::app::keymap::table::Key;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use fleet::keys::FLEET;
    use panes::keys::PANES;
    use runs::keys::RUN;

    #[test]
    fn every_hint_names_keys_its_table_binds() {
        for table in ALL_TABLES {
            for hint in table.hints {
                for &action in hint.actions {
                    assert!(
                        table.binds(action),
                        "{}: the hint {:?} names {action:?}, which the table does not bind",
                        table.title,
                        hint.text
                    );
                }
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_table() {
        for table in ALL_TABLES {
            let mut seen: Vec<(Key, Action)> = Vec::new();
            for binding in table.all() {
                for &key in binding.keys {
                    if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                        panic!(
                            "{}: {} is bound to {first:?} and to {:?}",
                            table.title,
                            key.label(),
                            binding.action
                        );
                    }
                    seen.push((key, binding.action));
                }
            }
        }
    }

    #[test]
    fn hints_read_their_keys_from_the_table() {
        let pairs = FLEET.hint_pairs("ctrl-]", false);
        assert_eq!(pairs[0], ("/".to_owned(), "filter"));
        assert_eq!(pairs[2], ("s".to_owned(), "shell"));
        let panes = PANES.hint_pairs("ctrl-]", false);
        assert_eq!(panes[0], ("←↑↓→".to_owned(), "focus"));
        assert_eq!(panes[1], ("| -".to_owned(), "split"));
        assert_eq!(
            RUN.hint_pairs("ctrl-]", false)[0],
            ("↑↓".to_owned(), "instance")
        );
        // Under --read-only the bar offers nothing it would refuse.
        let read_only: Vec<&str> = FLEET
            .hint_pairs("ctrl-]", true)
            .iter()
            .map(|p| p.1)
            .collect();
        for refused in ["shell", "tunnel", "run"] {
            assert!(!read_only.contains(&refused), "{read_only:?}");
        }
        assert!(read_only.contains(&"filter") && read_only.contains(&"tunnels"));
    }

    #[test]
    fn after_the_prefix_a_held_ctrl_still_picks_the_letter() {
        let ctrl_n = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL);
        assert_eq!(PANES.action_for(ctrl_n, false), Some(Action::NextTab));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            RUN.action_for(ctrl_c, false),
            Some(Action::Quit),
            "not cancel"
        );
    }

    #[test]
    fn digits_select_tabs() {
        let event = KeyEvent::new(KeyCode::Char('4'), KeyModifiers::NONE);
        assert_eq!(PANES.action_for(event, false), Some(Action::SelectTab(4)));
        assert_eq!(FLEET.action_for(event, false), None);
    }
}
