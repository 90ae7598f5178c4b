//! A tunnel as the configuration, `bosun tunnel` and the console describe it, and how it
//! reaches its far end on a given agent.

use std::net::IpAddr;

use super::agent::{Capability, can, since};
use super::destination::{Destination, classify};
use super::document::Document;

/// What to tunnel to: the fields of a saved tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelDef {
    pub name: String,
    pub target: String,
    pub remote_host: Option<String>,
    pub remote_port: u16,
    pub local_port: u16,
    pub bind: IpAddr,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub sessions: u8,
    /// The organisation's account the target is in (name or id), reached through the login
    /// `--org` uses; its session role's credentials then carry the tunnel.
    pub account: Option<String>,
    /// The listener is there from the start, the first session only once a connection
    /// arrives (a background tunnel that costs nothing while unused).
    pub lazy: bool,
    /// Sessions end after this long without a connection (and start again with the next).
    pub idle_after: Option<std::time::Duration>,
}

impl TunnelDef {
    /// A tunnel named `name` to `target`'s `remote_port`, as a command line asks for one:
    /// a free local port on 127.0.0.1, one session, the caller's credentials, always on.
    pub fn new(name: impl Into<String>, target: impl Into<String>, remote_port: u16) -> TunnelDef {
        TunnelDef {
            name: name.into(),
            target: target.into(),
            remote_host: None,
            remote_port,
            local_port: 0,
            bind: IpAddr::from([127, 0, 0, 1]),
            profile: None,
            region: None,
            sessions: 1,
            account: None,
            lazy: false,
            idle_after: None,
        }
    }

    /// `host:port` on the far side.
    pub fn remote(&self) -> String {
        format!(
            "{}:{}",
            self.remote_host.as_deref().unwrap_or("localhost"),
            self.remote_port
        )
    }
}

/// How a tunnel reaches its far end: the session document and its `host` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub document: Document,
    /// The remote host, for AWS-StartPortForwardingSessionToRemoteHost only.
    pub host: Option<String>,
    pub port: u16,
}

impl TunnelDef {
    /// The document and parameters for this tunnel on an agent of `agent_version` (when
    /// known). A loopback remote host is the instance's own port, which every agent forwards
    /// through AWS-StartPortForwardingSession (agents from 3.3.4851.0 refuse loopback through
    /// the remote-host document); a credential endpoint on such an agent is refused here, in
    /// a sentence, before any session starts.
    pub fn forward(&self, agent_version: Option<&str>) -> Result<Forward, String> {
        let own_port = Forward {
            document: Document::StartPortForwardingSession,
            host: None,
            port: self.remote_port,
        };
        let Some(host) = self.remote_host.as_deref().filter(|h| !h.trim().is_empty()) else {
            return Ok(own_port);
        };
        match classify(host) {
            Destination::Loopback => Ok(own_port),
            Destination::CredentialEndpoint
                if agent_version.is_some_and(|v| can(v, Capability::RefusesLocalForwards)) =>
            {
                Err(format!(
                    "{host} is a container credential endpoint, and SSM Agent {} and later refuse to forward to it (the agent here is {}): read what you need on the instance instead (bosun shell {})",
                    since(Capability::RefusesLocalForwards),
                    agent_version.unwrap_or_default(),
                    self.target
                ))
            }
            Destination::CredentialEndpoint | Destination::Elsewhere => Ok(Forward {
                document: Document::StartPortForwardingSessionToRemoteHost,
                host: Some(host.to_owned()),
                port: self.remote_port,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(host: Option<&str>) -> TunnelDef {
        TunnelDef {
            remote_host: host.map(str::to_owned),
            ..TunnelDef::new("db", "payments-bastion", 5432)
        }
    }

    #[test]
    fn loopback_goes_to_the_instances_own_port_on_every_agent() {
        for agent in [None, Some("3.3.987.0"), Some("3.3.5068.0")] {
            for host in [None, Some("localhost"), Some("127.0.0.1"), Some("::1")] {
                let forward = def(host).forward(agent).expect("forwards");
                assert_eq!(forward.document, Document::StartPortForwardingSession);
                assert_eq!((forward.host, forward.port), (None, 5432));
            }
        }
    }

    #[test]
    fn a_credential_endpoint_is_refused_only_where_the_agent_refuses_it() {
        let endpoint = def(Some("169.254.170.2"));
        let refused = endpoint.forward(Some("3.3.4851.0")).expect_err("refused");
        assert!(refused.contains("3.3.4851.0 and later refuse"), "{refused}");
        for agent in [None, Some("3.3.987.0")] {
            let forward = endpoint.forward(agent).expect("an older agent forwards");
            assert_eq!(
                forward.document,
                Document::StartPortForwardingSessionToRemoteHost
            );
        }
        let db = def(Some("payments-db.internal"))
            .forward(Some("3.3.5068.0"))
            .expect("forwards");
        assert_eq!(db.host.as_deref(), Some("payments-db.internal"));
    }
}
