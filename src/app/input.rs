//! What the reducer takes: a key's intent, typed text, and the facts services report.

use std::time::SystemTime;

use crate::app::action::Action;
use crate::app::editor::TextInput;
use crate::app::views::tunnels::{TunnelFact, TunnelGauges, TunnelId};
use crate::model::instance::InstanceRow;
use crate::model::pane::{PaneId, PaneStatus};
use crate::model::run::{HistoryEntry, InvocationOutput, InvocationView};
use crate::model::run_groups::{Comparison, RunResult};

/// Facts and intents the reducer takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Action(Action),
    /// A key in the open text field: the filter line, the `:` line, a form.
    Text(TextInput),
    /// The console now reads other profiles or regions (after `:profile` or `:region`).
    SourcesChanged {
        label: String,
        profiles: Vec<String>,
        regions: Vec<String>,
    },
    /// A refresh finished: every row that was read, and the profile/regions that failed; or,
    /// with `pending` above zero, rows to add while that many sources are still read.
    InventoryLoaded {
        rows: Vec<InstanceRow>,
        pending: usize,
        errors: Vec<String>,
        at: SystemTime,
        /// Some calls were throttled; the refresher is backing off.
        throttled: bool,
    },
    /// The terminal's size changed (paging moves by a screenful; panes re-tile).
    Resized {
        width: u16,
        height: u16,
    },
    /// A pane's connection changed.
    PaneStatus {
        pane: PaneId,
        status: PaneStatus,
    },
    /// A key after the prefix chord that means nothing: back to typing.
    PrefixCancelled,
    /// The command was sent: its ids.
    RunSent {
        command_ids: Vec<String>,
    },
    /// The latest invocations of the command being watched.
    RunProgress {
        invocations: Vec<InvocationView>,
        throttled: bool,
    },
    RunOutput(InvocationOutput),
    /// An invocation reached its final status: its result, with the output as the listing
    /// gave it.
    RunSettled(RunResult),
    /// Every canary invocation finished: whether all succeeded, and how many wait.
    RunCanaryDone {
        passed: bool,
        remaining: usize,
    },
    RunError(String),
    /// Two runs of one command compared: which instances changed group; or why not.
    RunsCompared(Result<Comparison, String>),
    /// Recent commands, newest first, and the sources that could not be read.
    HistoryLoaded {
        entries: Vec<HistoryEntry>,
        errors: Vec<String>,
    },
    /// What a tunnel said: where it listens, a problem, a session ready, its end.
    TunnelFact {
        id: TunnelId,
        fact: TunnelFact,
    },
    /// What the runtime measured of a running tunnel (each second).
    TunnelGauges {
        id: TunnelId,
        gauges: TunnelGauges,
    },
    /// The background process's tunnels, read each second (`None`: no such process runs).
    BackgroundTunnels(Option<Vec<crate::model::tunnel_api::Status>>),
    /// What the background process answered to a start or stop asked here.
    BackgroundSaid(String),
    /// A key went to a pane as typing (so it is not the second `q` of a quit).
    TypedIntoPane,
    /// `:theme NAME` was tried: the error when the theme would not load.
    /// `:profile` named a profile that does not exist: why, and nothing changed.
    SwitchRefused(String),
    ThemeSwitched {
        name: String,
        error: Option<String>,
    },
    /// A mouse press or wheel turn at a screen position.
    Mouse {
        kind: MouseKind,
        column: u16,
        row: u16,
    },
    /// The doctor's report on an instance (or why it could not run).
    DoctorReport {
        instance_id: String,
        report: Result<crate::model::doctor::Report, String>,
    },
    /// The containers of every source, and the sources that could not be read.
    ContainersLoaded {
        rows: Vec<crate::model::container::ContainerRow>,
        errors: Vec<String>,
    },
    /// The active sessions of every source, and the sources that could not be read; the
    /// session ids a local recording carries.
    SessionsLoaded {
        entries: Vec<crate::app::views::sessions::SessionEntry>,
        errors: Vec<String>,
        recorded: std::collections::BTreeSet<String>,
    },
    /// The recordings here beside the session history; files and sources not read, said.
    RecordingsLoaded {
        rows: Vec<crate::model::recording::RecordingRow>,
        errors: Vec<String>,
    },
    /// Sources whose credentials expire within 15 minutes (or have), as sentences with the
    /// command that renews them; empty once renewed.
    CredentialsExpiring(Vec<String>),
    /// A pane's recording started (`path`), stopped (`path` none, `saved` where it is), or
    /// failed (`error`).
    Recording {
        pane: PaneId,
        path: Option<String>,
        saved: Option<String>,
        error: Option<String>,
    },
    /// What copy mode came to (copied, no match), for the status line.
    CopyReport(String),
    /// A pane's session id, once StartSession gave it.
    PaneSession {
        pane: PaneId,
        session_id: String,
    },
    /// A remote folder's listing for the Files view, or why it could not be read.
    FolderListed {
        instance_id: String,
        path: Vec<u8>,
        result: Result<crate::model::transfer::browse::RemoteListing, String>,
    },
    FileCopy(CopySaid),
}

/// What a Files view copy says: its progress or its end; `reread` names the remote folder an
/// upload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySaid {
    pub text: String,
    pub reread: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    Press,
    /// The button held and moved: selects within the pane it was pressed in.
    Drag,
    Release,
    WheelUp,
    WheelDown,
}
