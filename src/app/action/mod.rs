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
    /// Copy mode: the cursor one column left / right.
    CursorLeft,
    CursorRight,
    /// Copy mode: select characters (`v`) or whole lines (`V`) from the cursor.
    Select,
    SelectLines,
    /// Copy mode: the selection to the clipboard (OSC 52), and back to the live screen.
    CopySelection,
    /// The doctor's fix (its commands) to the clipboard (OSC 52).
    CopyFix,
    /// Copy mode: search the history downward (`/`) or upward (`?`); again (`n`, `N`).
    SearchForward,
    SearchBackward,
    SearchNext,
    SearchPrevious,
    /// A new session in an ended pane.
    Reconnect,
    /// Start or stop recording the focused pane's output (asciicast).
    RecordPane,
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
    /// Keep the selected tunnel or group running in the background process, past the console.
    BackgroundTunnel,
    /// Remote Desktop to the selected Windows instance: a tunnel to its port 3389, then the
    /// system's RDP client on it.
    OpenRdp,
    /// Compose a command for the marked rows (or every row the filter shows).
    OpenRun,
    /// The last command's watch view.
    ShowRun,
    /// CancelCommand for the command being watched.
    CancelRun,
    /// Run the command again on the targets that did not succeed.
    RerunFailed,
    /// The watch view shows groups of results instead of invocations, or back.
    ToggleGroups,
    /// Groups are made by exact output, or by its shape.
    ToggleGroupBy,
    /// After a canary that passed: send the command to the remaining targets.
    ContinueRun,
    /// In the history: compare the selected run with the one before it of the same command.
    CompareRuns,
    /// The Containers view (ECS).
    ShowContainers,
    /// From a container of an EC2-launched task to its instance in the fleet.
    JumpToInstance,
    /// Page back through the selected invocation's output.
    OutputPageUp,
    /// Page on through the output; at its end it follows new lines again.
    OutputPageDown,
    /// Recent commands (ListCommands), to reopen.
    ShowHistory,
    /// Watch the selected recent command again (no SendCommand).
    WatchAgain,
    /// Why a session to the instance would not start, and the fix.
    Doctor,
    /// The Sessions view: who is on which instance now.
    ShowSessions,
    /// End the selected session (TerminateSession); the first press asks.
    TerminateSession,
    /// The Files view: the selected instance's folders, over a session.
    ShowFiles,
    /// In the Files view: into the selected folder.
    OpenEntry,
    /// In the Files view: the folder above.
    GoUp,
    /// The selected file followed (`tail -F`) in a new pane.
    FollowFile,
    /// The selected file copied here (the local path asked, the current folder offered).
    DownloadFile,
    /// A local file copied into the folder shown.
    UploadFile,
    /// The Nodes view: the fleet's Kubernetes nodes by cluster and node group.
    ShowNodes,
    /// The Recordings view: the recordings here beside the session history.
    ShowRecordings,
    /// Run Command's form for AWS-UpdateSSMAgent on the marked (or shown) instances, canary
    /// first.
    UpdateAgents,
}

impl Action {
    /// Whether the action starts or changes something at AWS or on an instance: what
    /// `--read-only` refuses, and so what its status bar does not offer.
    pub fn changes_something(self) -> bool {
        matches!(
            self,
            Action::OpenShell
                | Action::OpenTunnelForm
                | Action::ToggleTunnel
                | Action::BackgroundTunnel
                | Action::OpenRdp
                | Action::OpenRun
                | Action::CancelRun
                | Action::RerunFailed
                | Action::ContinueRun
                | Action::WatchAgain
                | Action::Reconnect
                | Action::TerminateSession
                | Action::UploadFile
                | Action::UpdateAgents
        )
    }
}

mod names;

pub use self::names::{ACTIONS, ActionInfo};
