//! What an SSM Agent can do, by its version: the one table every ring reads (the doctor's
//! verdict, the tunnel's mode and keep-alive, the plugin's console lines, the simulator's
//! agents). Versions compare as the official plugin compares them (PROTOCOL.md §6.1).

use crate::protocol::version::version_greater;

/// Session Manager needs SSM Agent 2.3.68.0 or later.
pub const FIRST_SESSION_AGENT: &str = "2.3.68.0";
/// Agents newer than this multiplex port forwarding (many connections per session, smux);
/// this one and older take one connection at a time (PROTOCOL.md §6.1).
pub const LAST_BASIC_ONLY_AGENT: &str = "3.0.196.0";
/// Agents newer than this expect no smux keep-alive from a client claiming bosun's version
/// (any newer than 1.2.331.0, PROTOCOL.md §6.3).
pub const LAST_KEEPALIVE_AGENT: &str = "3.1.1511.0";

/// Whether an agent of `version` can run sessions at all.
pub fn runs_sessions(version: &str) -> bool {
    !version_greater(FIRST_SESSION_AGENT, version)
}

/// Whether an agent of `version` multiplexes port forwarding.
pub fn multiplexes(version: &str) -> bool {
    version_greater(version, LAST_BASIC_ONLY_AGENT)
}

/// Whether an agent of `version` wants smux keep-alives from the client.
pub fn wants_keepalive(version: &str) -> bool {
    !version_greater(version, LAST_KEEPALIVE_AGENT)
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
        assert!(
            !multiplexes("not a version"),
            "unparseable: basic, as the plugin decides"
        );
    }
}
