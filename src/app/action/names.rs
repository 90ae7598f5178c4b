//! Each action's name in the configuration's `[keys]` table and its line in the help. The
//! one place either is written: the key tables say which keys, this says what.

use super::Action;

/// One action's name and help line.
pub struct ActionInfo {
    /// `SelectTab` stands for all nine tabs.
    pub action: Action,
    pub name: &'static str,
    pub describe: &'static str,
}

pub const ACTIONS: [ActionInfo; 81] = [
    ActionInfo {
        action: Action::Up,
        name: "up",
        describe: "move up",
    },
    ActionInfo {
        action: Action::Down,
        name: "down",
        describe: "move down",
    },
    ActionInfo {
        action: Action::PageUp,
        name: "page_up",
        describe: "page up",
    },
    ActionInfo {
        action: Action::PageDown,
        name: "page_down",
        describe: "page down",
    },
    ActionInfo {
        action: Action::Top,
        name: "top",
        describe: "first row",
    },
    ActionInfo {
        action: Action::Bottom,
        name: "bottom",
        describe: "last row",
    },
    ActionInfo {
        action: Action::Filter,
        name: "filter",
        describe: "filter: words, tag:K=V, status:lost, region:R, !negate",
    },
    ActionInfo {
        action: Action::ToggleMark,
        name: "mark",
        describe: "mark / unmark for multi-instance actions",
    },
    ActionInfo {
        action: Action::Detail,
        name: "details",
        describe: "details of the instance",
    },
    ActionInfo {
        action: Action::Back,
        name: "back",
        describe: "back: close the overlay, clear the filter",
    },
    ActionInfo {
        action: Action::Help,
        name: "help",
        describe: "this help",
    },
    ActionInfo {
        action: Action::SortNext,
        name: "sort",
        describe: "sort by the next column",
    },
    ActionInfo {
        action: Action::SortReverse,
        name: "sort_reverse",
        describe: "reverse the sort",
    },
    ActionInfo {
        action: Action::Refresh,
        name: "refresh",
        describe: "refresh the inventory now",
    },
    ActionInfo {
        action: Action::Quit,
        name: "quit",
        describe: "quit (asks again while shells are open)",
    },
    ActionInfo {
        action: Action::OpenShell,
        name: "shell",
        describe: "shell pane on the instance (one per marked instance)",
    },
    ActionInfo {
        action: Action::ShowPanes,
        name: "panes",
        describe: "show the shell panes",
    },
    ActionInfo {
        action: Action::ShowFleet,
        name: "fleet",
        describe: "back to the fleet (shells keep running)",
    },
    ActionInfo {
        action: Action::Prefix,
        name: "prefix",
        describe: "prefix: the next key is a console key",
    },
    ActionInfo {
        action: Action::SendPrefix,
        name: "send_prefix",
        describe: "send the prefix key itself to the pane",
    },
    ActionInfo {
        action: Action::FocusLeft,
        name: "focus_left",
        describe: "focus the pane to the left",
    },
    ActionInfo {
        action: Action::FocusRight,
        name: "focus_right",
        describe: "focus the pane to the right",
    },
    ActionInfo {
        action: Action::FocusUp,
        name: "focus_up",
        describe: "focus the pane above",
    },
    ActionInfo {
        action: Action::FocusDown,
        name: "focus_down",
        describe: "focus the pane below",
    },
    ActionInfo {
        action: Action::SplitRight,
        name: "split_right",
        describe: "split right: another shell on the same instance",
    },
    ActionInfo {
        action: Action::SplitDown,
        name: "split_down",
        describe: "split down: another shell on the same instance",
    },
    ActionInfo {
        action: Action::Zoom,
        name: "zoom",
        describe: "zoom the pane / unzoom",
    },
    ActionInfo {
        action: Action::ClosePane,
        name: "close_pane",
        describe: "close the pane (terminates its session)",
    },
    ActionInfo {
        action: Action::NewTab,
        name: "new_tab",
        describe: "new tab with a shell on the same instance",
    },
    ActionInfo {
        action: Action::NextTab,
        name: "next_tab",
        describe: "next tab",
    },
    ActionInfo {
        action: Action::PreviousTab,
        name: "previous_tab",
        describe: "previous tab",
    },
    ActionInfo {
        action: Action::SelectTab(1),
        name: "select_tab",
        describe: "go to tab 1-9",
    },
    ActionInfo {
        action: Action::Retile,
        name: "retile",
        describe: "tile the tab's panes as a grid",
    },
    ActionInfo {
        action: Action::Broadcast,
        name: "broadcast",
        describe: "broadcast typing to the marked panes (all when none)",
    },
    ActionInfo {
        action: Action::MarkPane,
        name: "mark_pane",
        describe: "mark / unmark the pane for broadcast",
    },
    ActionInfo {
        action: Action::ScrollMode,
        name: "scroll",
        describe: "copy mode: scroll back, select (v V), copy (y), search (/ ?)",
    },
    ActionInfo {
        action: Action::CursorLeft,
        name: "cursor_left",
        describe: "move the cursor left",
    },
    ActionInfo {
        action: Action::CursorRight,
        name: "cursor_right",
        describe: "move the cursor right",
    },
    ActionInfo {
        action: Action::Select,
        name: "select",
        describe: "select characters from the cursor (again: stop)",
    },
    ActionInfo {
        action: Action::SelectLines,
        name: "select_lines",
        describe: "select whole lines from the cursor",
    },
    ActionInfo {
        action: Action::CopySelection,
        name: "copy",
        describe: "copy the selection to the clipboard (OSC 52) and leave",
    },
    ActionInfo {
        action: Action::CopyFix,
        name: "copy_fix",
        describe: "copy the doctor's fix to the clipboard (OSC 52)",
    },
    ActionInfo {
        action: Action::SearchForward,
        name: "search_forward",
        describe: "search down the history (smart case)",
    },
    ActionInfo {
        action: Action::SearchBackward,
        name: "search_backward",
        describe: "search up the history (smart case)",
    },
    ActionInfo {
        action: Action::SearchNext,
        name: "search_next",
        describe: "the next match, the same way",
    },
    ActionInfo {
        action: Action::SearchPrevious,
        name: "search_previous",
        describe: "the next match, the other way",
    },
    ActionInfo {
        action: Action::Reconnect,
        name: "reconnect",
        describe: "reconnect an ended pane",
    },
    ActionInfo {
        action: Action::RecordPane,
        name: "record",
        describe: "record the pane's output to a file (asciicast; again to stop)",
    },
    ActionInfo {
        action: Action::Command,
        name: "command",
        describe: "command line: :profile P,Q (or :ctx) · :region R,S · :theme NAME · :tunnels · :sessions · :containers · :run · :history · :quit",
    },
    ActionInfo {
        action: Action::ShowTunnels,
        name: "tunnels",
        describe: "tunnels: saved ones, and those started here",
    },
    ActionInfo {
        action: Action::OpenTunnelForm,
        name: "tunnel_form",
        describe: "tunnel to the instance (remote port, host, local port)",
    },
    ActionInfo {
        action: Action::ToggleTunnel,
        name: "toggle_tunnel",
        describe: "start / stop the tunnel or group",
    },
    ActionInfo {
        action: Action::RemoveTunnel,
        name: "remove_tunnel",
        describe: "stop and remove a tunnel started from the fleet",
    },
    ActionInfo {
        action: Action::OpenRdp,
        name: "rdp",
        describe: "Remote Desktop to the Windows instance (tunnel + RDP client)",
    },
    ActionInfo {
        action: Action::BackgroundTunnel,
        name: "background_tunnel",
        describe: "keep the tunnel or group running in the background, past the console",
    },
    ActionInfo {
        action: Action::OpenRun,
        name: "run",
        describe: "Run Command on the marked instances (or all the filter shows)",
    },
    ActionInfo {
        action: Action::ShowRun,
        name: "watch",
        describe: "watch the last command",
    },
    ActionInfo {
        action: Action::OutputPageUp,
        name: "output_page_up",
        describe: "page back through the selected output",
    },
    ActionInfo {
        action: Action::OutputPageDown,
        name: "output_page_down",
        describe: "page on through the output (at its end it follows again)",
    },
    ActionInfo {
        action: Action::CancelRun,
        name: "cancel_run",
        describe: "cancel the command (CancelCommand)",
    },
    ActionInfo {
        action: Action::RerunFailed,
        name: "rerun_failed",
        describe: "run it again on the instances that did not succeed",
    },
    ActionInfo {
        action: Action::ToggleGroups,
        name: "toggle_groups",
        describe: "results grouped by what they came to, or each instance",
    },
    ActionInfo {
        action: Action::ToggleGroupBy,
        name: "toggle_group_by",
        describe: "group by exact output, or by its shape (numbers, ids, times set aside)",
    },
    ActionInfo {
        action: Action::ContinueRun,
        name: "continue_run",
        describe: "after a canary that passed: run on the remaining instances",
    },
    ActionInfo {
        action: Action::ShowContainers,
        name: "show_containers",
        describe: "ECS containers: shells and tunnels through ECS Exec",
    },
    ActionInfo {
        action: Action::JumpToInstance,
        name: "jump_to_instance",
        describe: "the EC2 instance an EC2-launched task runs on, in the fleet",
    },
    ActionInfo {
        action: Action::CompareRuns,
        name: "compare_runs",
        describe: "which instances changed group since the previous run of this command",
    },
    ActionInfo {
        action: Action::ShowHistory,
        name: "history",
        describe: "recent commands, to watch again",
    },
    ActionInfo {
        action: Action::WatchAgain,
        name: "watch_again",
        describe: "watch the command again (no SendCommand)",
    },
    ActionInfo {
        action: Action::Doctor,
        name: "doctor",
        describe: "doctor: why a session would not start, and the fix",
    },
    ActionInfo {
        action: Action::ShowSessions,
        name: "sessions",
        describe: "sessions on the fleet now: who is on which instance",
    },
    ActionInfo {
        action: Action::TerminateSession,
        name: "terminate_session",
        describe: "end the selected session (press twice)",
    },
    ActionInfo {
        action: Action::ShowFiles,
        name: "files",
        describe: "the instance's files: browse, follow, download, upload",
    },
    ActionInfo {
        action: Action::OpenEntry,
        name: "open_entry",
        describe: "into the selected folder",
    },
    ActionInfo {
        action: Action::GoUp,
        name: "go_up",
        describe: "the folder above",
    },
    ActionInfo {
        action: Action::FollowFile,
        name: "follow_file",
        describe: "follow the file (tail -F) in a new pane",
    },
    ActionInfo {
        action: Action::DownloadFile,
        name: "download_file",
        describe: "download the file here, SHA-256 checked (the path is asked)",
    },
    ActionInfo {
        action: Action::UpdateAgents,
        name: "update_agents",
        describe: "update the SSM Agent (AWS-UpdateSSMAgent) on the marked instances, canary first",
    },
    ActionInfo {
        action: Action::ShowNodes,
        name: "nodes",
        describe: "Kubernetes nodes by cluster and node group: online, lost, agents",
    },
    ActionInfo {
        action: Action::ShowRecordings,
        name: "recordings",
        describe: "the recordings here, beside who was on the box; Enter replays one",
    },
    ActionInfo {
        action: Action::UploadFile,
        name: "upload_file",
        describe: "upload a local file into this folder, SHA-256 checked",
    },
];

impl Action {
    fn info(self) -> &'static ActionInfo {
        let kind = std::mem::discriminant(&self);
        ACTIONS
            .iter()
            .find(|info| std::mem::discriminant(&info.action) == kind)
            .expect("every action has a row in ACTIONS (a test checks)")
    }

    /// How the help overlay describes it.
    pub fn describe(self) -> &'static str {
        self.info().describe
    }

    /// Its name in the `[keys]` table.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The action the `[keys]` table names; `prefix` and `select_tab` are not bound there
    /// (the prefix has its own entry; tabs are 1-9).
    pub fn named(name: &str) -> Option<Action> {
        ACTIONS
            .iter()
            .find(|info| {
                info.name == name && !matches!(info.action, Action::Prefix | Action::SelectTab(_))
            })
            .map(|info| info.action)
    }

    /// Every name `named` takes, for error messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        ACTIONS
            .iter()
            .filter(|info| !matches!(info.action, Action::Prefix | Action::SelectTab(_)))
            .map(|info| info.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_row_and_a_unique_name() {
        let mut names: Vec<&str> = ACTIONS.iter().map(|info| info.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ACTIONS.len(), "names are unique");
        for info in &ACTIONS {
            assert_eq!(info.action.describe(), info.describe);
            assert!(!info.describe.is_empty());
        }
        assert_eq!(Action::SelectTab(7).name(), "select_tab");
        assert_eq!(Action::named("shell"), Some(Action::OpenShell));
        assert_eq!(Action::named("prefix"), None);
    }
}
