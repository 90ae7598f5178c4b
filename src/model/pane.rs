//! A console pane as every ring names it: its id, what it is a shell on, and the state of the
//! connection behind it (with why it ended). The console's workspace arranges panes; the
//! pane service drives their sessions; the emulators are keyed by their ids.

use std::fmt;

use super::container::ContainerRow;
use super::instance::Ping;

pub type PaneId = u64;

/// Which instance (or container) a pane is a shell on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneTarget {
    /// The session's target: an instance id, or a container's `ecs:CLUSTER_TASK_RUNTIME`.
    pub instance_id: String,
    pub name: String,
    pub profile: String,
    pub region: String,
    pub ping: Ping,
    /// A container: its session comes from ECS Exec (ExecuteCommand), not StartSession.
    pub container: Option<Box<ContainerRow>>,
    /// A command the pane runs instead of a shell (AWS-StartInteractiveCommand), e.g. the
    /// Files view's `tail -F`.
    pub command: Option<String>,
    /// A recording the pane plays back (`:recordings`, Enter) instead of any session.
    pub replay: Option<std::path::PathBuf>,
}

/// The connection behind a pane, for its indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneStatus {
    Connecting,
    Connected,
    /// The WebSocket dropped and ResumeSession is under way; `reason` is why the connection
    /// dropped (first try) or why the last try failed.
    Resuming {
        attempt: u32,
        reason: String,
    },
    /// The session is over. The pane stays until closed or reconnected.
    Ended {
        reason: EndReason,
    },
}

impl PaneStatus {
    /// The session ended or never began, with why as a sentence.
    pub fn ended(reason: impl Into<String>) -> PaneStatus {
        PaneStatus::Ended {
            reason: EndReason::Said(reason.into()),
        }
    }

    pub fn is_ended(&self) -> bool {
        matches!(self, PaneStatus::Ended { .. })
    }
}

/// Why a pane's session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// This side ended it: nothing to explain, nobody to ask.
    ClosedHere,
    /// It ended, or could not start: why, as a sentence.
    Said(String),
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndReason::ClosedHere => f.write_str("closed"),
            EndReason::Said(reason) => f.write_str(reason),
        }
    }
}
