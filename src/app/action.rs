//! What a key asks for: the console's intents, the vocabulary of the key tables, the help and
//! the status-bar hints.

/// What a key asks for. The keymap, the help overlay and the status-bar hints share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    ToggleMark,
    Detail,
    Back,
    Help,
    SortNext,
    SortReverse,
    Refresh,
    Quit,
    /// A shell pane on the selected instance, or one per marked instance.
    OpenShell,
    /// From the fleet to the panes.
    ShowPanes,
    /// From the panes to the fleet (the sessions keep running).
    ShowFleet,
    /// The prefix chord: the next key is a console key, not typing.
    Prefix,
    /// Sends the prefix chord itself to the pane.
    SendPrefix,
    FocusLeft,
    FocusRight,
    FocusUp,
    FocusDown,
    SplitRight,
    SplitDown,
    Zoom,
    ClosePane,
    NewTab,
    NextTab,
    PreviousTab,
    /// Tab 1–9.
    SelectTab(u8),
    Retile,
    Broadcast,
    MarkPane,
    /// Scroll back through the focused pane's history with the keys.
    ScrollMode,
    /// A new session in an ended pane.
    Reconnect,
    /// The `:` command line (profile, region, theme, quit).
    Command,
    /// The Tunnels view.
    ShowTunnels,
    /// shift-f: a tunnel to the selected instance.
    OpenTunnelForm,
    /// Start or stop the selected tunnel or group.
    ToggleTunnel,
    /// Stop and forget a tunnel started from the fleet.
    RemoveTunnel,
    /// Compose a command for the marked rows (or every row the filter shows).
    OpenRun,
    /// The last command's watch view.
    ShowRun,
    /// CancelCommand for the command being watched.
    CancelRun,
    /// Run the command again on the targets that did not succeed.
    RerunFailed,
    /// Recent commands (ListCommands), to reopen.
    ShowHistory,
}

impl Action {
    /// How the help overlay describes it.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first instance",
            Action::Bottom => "last instance",
            Action::Filter => "filter: words, tag:K=V, status:lost, region:R, !negate",
            Action::ToggleMark => "mark / unmark for multi-instance actions",
            Action::Detail => "details of the instance",
            Action::Back => "back: close the overlay, clear the filter",
            Action::Help => "this help",
            Action::SortNext => "sort by the next column",
            Action::SortReverse => "reverse the sort",
            Action::Refresh => "refresh the inventory now",
            Action::Quit => "quit (asks again while shells are open)",
            Action::OpenShell => "shell pane on the instance (one per marked instance)",
            Action::ShowPanes => "show the shell panes",
            Action::ShowFleet => "back to the fleet (shells keep running)",
            Action::Prefix => "prefix: the next key is a console key",
            Action::SendPrefix => "send the prefix key itself to the pane",
            Action::FocusLeft => "focus the pane to the left",
            Action::FocusRight => "focus the pane to the right",
            Action::FocusUp => "focus the pane above",
            Action::FocusDown => "focus the pane below",
            Action::SplitRight => "split right: another shell on the same instance",
            Action::SplitDown => "split down: another shell on the same instance",
            Action::Zoom => "zoom the pane / unzoom",
            Action::ClosePane => "close the pane (terminates its session)",
            Action::NewTab => "new tab with a shell on the same instance",
            Action::NextTab => "next tab",
            Action::PreviousTab => "previous tab",
            Action::SelectTab(_) => "go to tab 1-9",
            Action::Retile => "tile the tab's panes as a grid",
            Action::Broadcast => "broadcast typing to the marked panes (all when none)",
            Action::MarkPane => "mark / unmark the pane for broadcast",
            Action::ScrollMode => "scroll back (↑↓ PgUp PgDn g G, esc to leave)",
            Action::Reconnect => "reconnect an ended pane",
            Action::Command => ":profile P,Q  :region R,S  :theme NAME  :tunnels  :quit",
            Action::ShowTunnels => "tunnels: saved ones, and those started here",
            Action::OpenTunnelForm => "tunnel to the instance (remote port, host, local port)",
            Action::ToggleTunnel => "start / stop the tunnel or group",
            Action::RemoveTunnel => "stop and remove a tunnel started from the fleet",
            Action::OpenRun => "Run Command on the marked instances (or all the filter shows)",
            Action::ShowRun => "watch the last command",
            Action::CancelRun => "cancel the command (CancelCommand)",
            Action::RerunFailed => "run it again on the instances that did not succeed",
            Action::ShowHistory => "recent commands, to watch again",
        }
    }
}
