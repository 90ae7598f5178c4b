//! What Run Command says of a command or one invocation: its Status, or the StatusDetails that
//! say more, as one enum every ring reads instead of comparing strings.

use std::fmt;

/// A command's or an invocation's status. AWS's Status values and the StatusDetails bosun acts
/// on have a variant each; any other text AWS sends is kept as it came, so nothing is lost
/// when the service adds one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InvocationStatus {
    /// Also what an invocation is before AWS has said anything.
    #[default]
    Pending,
    Delayed,
    InProgress,
    Success,
    Failed,
    TimedOut,
    Cancelling,
    Cancelled,
    /// StatusDetails: the agent never received it (stopped instance, no agent).
    Undeliverable,
    /// StatusDetails: the instance was terminated while it ran.
    Terminated,
    /// StatusDetails: the document does not run on that platform.
    InvalidPlatform,
    /// StatusDetails: delivery did not happen in time.
    DeliveryTimedOut,
    /// StatusDetails: the script ran past its timeout.
    ExecutionTimedOut,
    /// StatusDetails: the instance's role may not run it.
    AccessDenied,
    Other(String),
}

/// The statuses an invocation passes through, in AWS's life-cycle order (a summary's order).
pub const LIFE_CYCLE: [InvocationStatus; 10] = [
    InvocationStatus::Pending,
    InvocationStatus::Delayed,
    InvocationStatus::InProgress,
    InvocationStatus::Success,
    InvocationStatus::Failed,
    InvocationStatus::TimedOut,
    InvocationStatus::Cancelled,
    InvocationStatus::Undeliverable,
    InvocationStatus::Terminated,
    InvocationStatus::InvalidPlatform,
];

impl InvocationStatus {
    pub fn parse(text: &str) -> InvocationStatus {
        use InvocationStatus::*;
        match text {
            "Pending" => Pending,
            "Delayed" => Delayed,
            "InProgress" => InProgress,
            "Success" => Success,
            "Failed" => Failed,
            "TimedOut" => TimedOut,
            "Cancelling" => Cancelling,
            "Cancelled" => Cancelled,
            "Undeliverable" => Undeliverable,
            "Terminated" => Terminated,
            "InvalidPlatform" => InvalidPlatform,
            "DeliveryTimedOut" => DeliveryTimedOut,
            "ExecutionTimedOut" => ExecutionTimedOut,
            "AccessDenied" => AccessDenied,
            other => Other(other.to_owned()),
        }
    }

    /// AWS's spelling.
    pub fn as_str(&self) -> &str {
        use InvocationStatus::*;
        match self {
            Pending => "Pending",
            Delayed => "Delayed",
            InProgress => "InProgress",
            Success => "Success",
            Failed => "Failed",
            TimedOut => "TimedOut",
            Cancelling => "Cancelling",
            Cancelled => "Cancelled",
            Undeliverable => "Undeliverable",
            Terminated => "Terminated",
            InvalidPlatform => "InvalidPlatform",
            DeliveryTimedOut => "DeliveryTimedOut",
            ExecutionTimedOut => "ExecutionTimedOut",
            AccessDenied => "AccessDenied",
            Other(text) => text,
        }
    }

    /// Still on its way: AWS will say more. An unknown text counts as settled only when it
    /// is not empty (an invocation with no status yet is pending).
    pub fn is_running(&self) -> bool {
        use InvocationStatus::*;
        match self {
            Pending | Delayed | InProgress | Cancelling => true,
            Other(text) => text.is_empty(),
            _ => false,
        }
    }

    /// Details that say more than the Status beside them, so the grid shows them instead.
    pub fn says_more(&self) -> bool {
        use InvocationStatus::*;
        matches!(self, Undeliverable | Terminated | InvalidPlatform)
    }

    /// The agent never ran it: the instance is worth a look before a re-run.
    pub fn never_delivered(&self) -> bool {
        use InvocationStatus::*;
        matches!(self, Undeliverable | DeliveryTimedOut | Terminated)
    }

    /// How it reads at a glance: a success, a failure, cancelled, or anything else (running).
    pub fn tone(&self) -> Tone {
        use InvocationStatus::*;
        match self {
            Success => Tone::Good,
            Failed | TimedOut | Undeliverable | Terminated | InvalidPlatform => Tone::Bad,
            Cancelled | Cancelling => Tone::Quiet,
            _ => Tone::Waiting,
        }
    }
}

/// A status's colour class, for the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Quiet,
    Waiting,
}

impl fmt::Display for InvocationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// As AWS spells it (`bosun run --json`).
impl serde::Serialize for InvocationStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl From<&str> for InvocationStatus {
    fn from(text: &str) -> InvocationStatus {
        InvocationStatus::parse(text)
    }
}

impl PartialEq<&str> for InvocationStatus {
    fn eq(&self, text: &&str) -> bool {
        self.as_str() == *text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_as_aws_spells_it() {
        for text in [
            "Pending",
            "Delayed",
            "InProgress",
            "Success",
            "Failed",
            "TimedOut",
            "Cancelling",
            "Cancelled",
            "Undeliverable",
            "Terminated",
            "InvalidPlatform",
            "DeliveryTimedOut",
            "ExecutionTimedOut",
            "AccessDenied",
            "SomethingNew",
        ] {
            let status = InvocationStatus::parse(text);
            assert_eq!(status.as_str(), text);
            assert_eq!(status.to_string(), text);
        }
        assert_eq!(
            InvocationStatus::parse("SomethingNew"),
            InvocationStatus::Other("SomethingNew".to_owned())
        );
    }

    #[test]
    fn running_and_settled() {
        assert!(InvocationStatus::parse("").is_running());
        assert!(InvocationStatus::Cancelling.is_running());
        assert!(!InvocationStatus::Success.is_running());
        assert!(!InvocationStatus::parse("Incomplete").is_running());
        assert!(InvocationStatus::DeliveryTimedOut.never_delivered());
        assert!(!InvocationStatus::ExecutionTimedOut.never_delivered());
    }
}
