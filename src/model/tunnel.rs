//! A tunnel as the configuration, `bosun tunnel` and the console describe it.

use std::net::IpAddr;

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
}

impl TunnelDef {
    /// `host:port` on the far side.
    pub fn remote(&self) -> String {
        format!(
            "{}:{}",
            self.remote_host.as_deref().unwrap_or("localhost"),
            self.remote_port
        )
    }
}
