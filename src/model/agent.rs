//! What an SSM Agent can do, by its version: one table every ring reads (the doctor's
//! verdict, the tunnel's mode, keep-alive and destination, the plugin's console lines, the
//! simulator's agents). Versions compare as the official plugin compares them (docs/protocol.md
//! §5.4).

use crate::protocol::version::version_greater;

/// Something an agent does from some release on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Session Manager sessions at all.
    Sessions,
    /// Port forwarding sessions (AWS-StartPortForwardingSession): tunnels at all.
    PortForwarding,
    /// Port forwarding with many connections per session (smux); older agents take one
    /// connection at a time (docs/protocol.md §7.1).
    MultiplexedTunnels,
    /// AWS-StartNonInteractiveCommand sessions.
    NonInteractiveCommands,
    /// No smux keep-alive expected from a client claiming bosun's version (any newer than
    /// 1.2.331.0, docs/protocol.md §7.3).
    NoSmuxKeepAlive,
    /// Remote-host port forwarding refuses loopback (`localhost`, 127.0.0.0/8, ::1) and the
    /// ECS/EKS credential endpoints, judged after the address is canonicalised.
    RefusesLocalForwards,
}

/// Where a capability begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begins {
    /// With this release.
    At(&'static str),
    /// With any release newer than this one (how the official plugin tests for it).
    After(&'static str),
}

/// One row of the table: the capability, where it begins, and the release to name to a person.
#[derive(Debug, Clone, Copy)]
struct Row {
    capability: Capability,
    begins: Begins,
    release: &'static str,
}

const TABLE: [Row; 6] = [
    Row {
        capability: Capability::Sessions,
        begins: Begins::At("2.3.68.0"),
        release: "2.3.68.0",
    },
    Row {
        capability: Capability::PortForwarding,
        begins: Begins::At("2.3.672.0"),
        release: "2.3.672.0",
    },
    Row {
        capability: Capability::MultiplexedTunnels,
        begins: Begins::After("3.0.196.0"),
        release: "3.0.222.0",
    },
    Row {
        capability: Capability::NonInteractiveCommands,
        begins: Begins::At("3.0.1124.0"),
        release: "3.0.1124.0",
    },
    Row {
        capability: Capability::NoSmuxKeepAlive,
        begins: Begins::After("3.1.1511.0"),
        release: "3.1.1575.0",
    },
    Row {
        capability: Capability::RefusesLocalForwards,
        begins: Begins::At("3.3.4851.0"),
        release: "3.3.4851.0",
    },
];

fn row(capability: Capability) -> Row {
    TABLE
        .into_iter()
        .find(|row| row.capability == capability)
        .unwrap_or(TABLE[0])
}

/// Whether an agent of `version` does `capability`. A version that does not parse has none
/// (the plugin decides the same way for multiplexing).
pub fn can(version: &str, capability: Capability) -> bool {
    match row(capability).begins {
        Begins::At(first) => !version_greater(first, version),
        Begins::After(last_without) => version_greater(version, last_without),
    }
}

/// The release that brought `capability`, as a person reads it ("3.0.222.0 or later").
pub fn since(capability: Capability) -> &'static str {
    row(capability).release
}

/// What an agent of `version` cannot do that a current one does, most important first, each
/// as a mark for the AGENT column (`✗tun` no tunnels, `1con` one connection a tunnel, `✗cp`
/// no non-interactive commands, `✗ses` no sessions) and a sentence for a summary.
pub fn lacks(version: &str) -> Vec<(&'static str, &'static str)> {
    [
        (
            Capability::Sessions,
            "✗ses",
            "no Session Manager sessions at all",
        ),
        (
            Capability::PortForwarding,
            "✗tun",
            "no port forwarding (tunnels)",
        ),
        (
            Capability::MultiplexedTunnels,
            "1con",
            "tunnels carry one connection at a time",
        ),
        (
            Capability::NonInteractiveCommands,
            "✗cp",
            "no non-interactive commands (bosun cp downloads, the file view)",
        ),
    ]
    .into_iter()
    .filter(|(capability, _, _)| !can(version, *capability))
    .map(|(_, short, sentence)| (short, sentence))
    .collect()
}

/// Restarts the agent from inside a Run Command invocation. Restarting it there ends the
/// invocation's own process, so the restart is detached and delayed: the invocation reports
/// success first.
pub const RESTART_LINUX: &str =
    "nohup sh -c \"sleep 5; sudo systemctl restart amazon-ssm-agent\" >/dev/null 2>&1 &";
pub const RESTART_WINDOWS: &str = "Start-Process powershell -ArgumentList \"-Command Start-Sleep 5; Restart-Service AmazonSSMAgent\"";

/// Agent versions newest first (versions that compare equal, by their text).
pub fn newest_first(a: &str, b: &str) -> std::cmp::Ordering {
    if version_greater(a, b) {
        std::cmp::Ordering::Less
    } else if version_greater(b, a) {
        std::cmp::Ordering::Greater
    } else {
        a.cmp(b)
    }
}

/// Whether an agent of `version` can run sessions at all.
pub fn runs_sessions(version: &str) -> bool {
    can(version, Capability::Sessions)
}

/// Whether an agent of `version` multiplexes port forwarding.
pub fn multiplexes(version: &str) -> bool {
    can(version, Capability::MultiplexedTunnels)
}

/// Whether an agent of `version` wants smux keep-alives from the client.
pub fn wants_keepalive(version: &str) -> bool {
    !can(version, Capability::NoSmuxKeepAlive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_of_what_agents_can_do() {
        assert!(!runs_sessions("2.3.50.0"));
        assert!(runs_sessions("2.3.68.0"));
        assert!(!multiplexes("3.0.196.0"));
        assert!(multiplexes("3.0.222.0"));
        assert!(wants_keepalive("3.1.1511.0"));
        assert!(!wants_keepalive("3.3.987.0"));
        assert!(!can("3.0.1000.0", Capability::NonInteractiveCommands));
        assert!(can("3.0.1124.0", Capability::NonInteractiveCommands));
        assert!(!can("3.3.4850.0", Capability::RefusesLocalForwards));
        assert!(can("3.3.4851.0", Capability::RefusesLocalForwards));
        assert!(can("3.3.5068.0", Capability::RefusesLocalForwards));
        assert!(
            !multiplexes("not a version"),
            "unparseable: basic, as the plugin decides"
        );
        assert!(!can("not a version", Capability::RefusesLocalForwards));
        assert_eq!(since(Capability::MultiplexedTunnels), "3.0.222.0");
        assert!(!can("2.3.539.0", Capability::PortForwarding));
        let short: Vec<&str> = lacks("2.3.539.0").iter().map(|(s, _)| *s).collect();
        assert_eq!(short, ["✗tun", "1con", "✗cp"]);
        assert!(lacks("3.3.987.0").is_empty());
    }
}
