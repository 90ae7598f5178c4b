//! What the reducer asks the runtime to do: start and end sessions, tunnels and commands,
//! switch sources and themes, scroll panes.

use crate::app::views::tunnels::TunnelId;
use crate::model::pane::PaneId;
use crate::model::run::{HistoryEntry, RunRequest};

/// What the runtime must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Refresh,
    /// Ends every session and leaves.
    Quit,
    /// Start sessions for these panes (their targets are in the workspace).
    OpenPanes(Vec<PaneId>),
    /// End these panes' sessions (TerminateSession); they are gone from the workspace.
    ClosePanes(Vec<PaneId>),
    /// A new session for a pane whose session ended.
    Reconnect(PaneId),
    /// Start recording this pane's output, or stop it when it is recording.
    ToggleRecording(PaneId),
    /// Scroll a pane's view by lines (positive: back into history).
    ScrollPane {
        pane: PaneId,
        lines: isize,
    },
    /// Copy mode in a pane: enter it, a key in it, copy the selection and leave, leave.
    EnterCopy(PaneId),
    CopyKey {
        pane: PaneId,
        key: crate::term::copy::CopyKey,
    },
    CopySelection(PaneId),
    LeaveCopy(PaneId),
    /// This text to the clipboard (OSC 52): the doctor's fix.
    CopyText(String),
    /// Send the prefix chord's own byte to where typing goes.
    SendPrefix,
    /// Read these profiles and regions instead (`None`: keep the current ones).
    SwitchSources {
        profiles: Option<Vec<String>>,
        regions: Option<Vec<String>>,
    },
    SwitchTheme(String),
    StartTunnel(TunnelId),
    StopTunnel(TunnelId),
    /// Hand these tunnels to the background process (started if need be).
    BackgroundUp(Vec<crate::model::tunnel::TunnelDef>),
    /// Stop these background tunnels, by name.
    BackgroundDown(Vec<String>),
    /// Start the system's RDP client on this local address (a tunnel's, now ready).
    LaunchRdp(String),
    /// SendCommand (in batches, per platform and region), then watch it.
    SendRun(RunRequest),
    CancelRun,
    /// After a canary that passed: send the command to the rest.
    ContinueRun,
    /// Read the results of two runs of one command, to compare them: (older, newer), boxed
    /// (two history entries are large beside the other effects).
    CompareRuns(Box<(HistoryEntry, HistoryEntry)>),
    /// Fetch and follow this instance's output (GetCommandInvocation).
    WatchOutput(String),
    /// ListCommands in every profile and region the console reads.
    LoadHistory,
    /// Watch a command from the history again (no SendCommand).
    ReopenRun(HistoryEntry),
    /// DescribeSessions (active) in every profile and region the console reads.
    LoadSessions,
    /// The recordings here and the session history of every profile and region the console
    /// reads, joined.
    LoadRecordings,
    /// The containers of every profile and region the console reads (ECS).
    LoadContainers,
    /// List this folder on this instance (for the Files view).
    ListFolder {
        at: FilesAt,
        path: Vec<u8>,
    },
    /// Copy a file to or from the instance the Files view browses.
    CopyFile(FileCopy),
    /// TerminateSession in this profile and region, then load the sessions again.
    TerminateSession {
        session_id: String,
        profile: String,
        region: String,
    },
    /// Run the doctor on an instance of this profile and region.
    Diagnose {
        instance_id: String,
        profile: String,
        region: String,
    },
}

/// A copy the Files view asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCopy {
    /// The remote file `remote` to the local path `local` (a folder takes the file's name).
    Down {
        at: FilesAt,
        remote: Vec<u8>,
        local: std::path::PathBuf,
    },
    /// The local file `local` into the remote folder `folder`.
    Up {
        at: FilesAt,
        folder: Vec<u8>,
        local: std::path::PathBuf,
    },
}

impl FileCopy {
    /// What the status line says while it starts: where from, where to.
    pub fn starting(&self) -> String {
        use crate::model::transfer::shown_bytes;
        match self {
            FileCopy::Down { at, remote, local } => format!(
                "downloading {}:{} to {}…",
                at.name,
                shown_bytes(remote),
                local.display()
            ),
            FileCopy::Up { at, folder, local } => format!(
                "uploading {} into {}:{}…",
                local.display(),
                at.name,
                shown_bytes(folder)
            ),
        }
    }
}

/// Which instance the Files view browses, with what its sessions need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesAt {
    pub instance_id: String,
    /// Its Name (or id), as a person calls it: `web-1:/var/log`.
    pub name: String,
    pub profile: String,
    pub region: String,
}
