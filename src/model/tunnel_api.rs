//! The background tunnels' local API, as `bosun tunnel serve` answers it on its socket: one
//! JSON object a line each way. A request names its `op`; every answer carries `ok` (and
//! `error`, a sentence, when false). The CLI, the console and other programs speak the same.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::tunnel::TunnelDef;

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Is it there, and which process.
    Ping,
    /// Every tunnel's state and counters (or only the ones named).
    List {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        names: Vec<String>,
    },
    /// Start these tunnels (a name already up is left as it is). The answer comes once each
    /// listens and, unless lazy, has its first session ready, or could not start.
    Up {
        tunnels: Vec<TunnelSpec>,
        #[serde(default)]
        context: Context,
    },
    /// Stop these tunnels (or all), ending their sessions at AWS.
    Down {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        names: Vec<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        all: bool,
    },
    /// A tunnel's recent lines (session ready, dropped, resumed, replaced, errors).
    Logs { name: String },
    /// Every tunnel's state now, then a line each time one changes, until the client leaves.
    Watch,
}

/// Where a tunnel's credentials come from, as the command line that asked said it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// The target is looked for across the organisation (`--org`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub org: bool,
}

/// A tunnel as the API takes it: a saved tunnel's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunnelSpec {
    pub name: String,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_host: Option<String>,
    pub remote_port: u16,
    #[serde(default)]
    pub local_port: u16,
    #[serde(default = "loopback", alias = "bind")]
    pub local_address: IpAddr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default = "one")]
    pub sessions: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default)]
    pub lazy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<f64>,
}

fn loopback() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

fn one() -> u8 {
    1
}

impl From<&TunnelDef> for TunnelSpec {
    fn from(def: &TunnelDef) -> TunnelSpec {
        TunnelSpec {
            name: def.name.clone(),
            target: def.target.clone(),
            remote_host: def.remote_host.clone(),
            remote_port: def.remote_port,
            local_port: def.local_port,
            local_address: def.bind,
            profile: def.profile.clone(),
            region: def.region.clone(),
            sessions: def.sessions,
            account: def.account.clone(),
            lazy: def.lazy,
            idle_minutes: def.idle_after.map(|idle| idle.as_secs_f64() / 60.0),
        }
    }
}

impl TunnelSpec {
    /// The tunnel the service runs; `Err` says what is wrong with the spec.
    pub fn to_def(&self) -> Result<TunnelDef, String> {
        if self.name.trim().is_empty() {
            return Err("a tunnel needs a name".to_owned());
        }
        if self.remote_port == 0 {
            return Err(format!(
                "tunnel {:?}: remote_port must be 1 to 65535",
                self.name
            ));
        }
        let idle_after = match self.idle_minutes {
            None => None,
            Some(minutes) if minutes.is_finite() && minutes > 0.0 => {
                Some(Duration::from_secs_f64((minutes * 60.0).max(0.1)))
            }
            Some(minutes) => {
                return Err(format!(
                    "tunnel {:?}: idle_minutes must be above 0, not {minutes}",
                    self.name
                ));
            }
        };
        Ok(TunnelDef {
            name: self.name.clone(),
            target: self.target.clone(),
            remote_host: self.remote_host.clone(),
            remote_port: self.remote_port,
            local_port: self.local_port,
            bind: self.local_address,
            profile: self.profile.clone(),
            region: self.region.clone(),
            sessions: self.sessions.clamp(1, 16),
            account: self.account.clone(),
            lazy: self.lazy,
            idle_after,
        })
    }
}

/// Where a background tunnel is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Listening; its first session is starting.
    Starting,
    /// Listening with no session: a lazy tunnel before its first connection, or after it
    /// went idle. The next connection starts one.
    Idle,
    /// Sessions ready, carrying connections.
    Up,
    /// A session dropped and is being resumed or replaced.
    Reconnecting,
    /// No session could start; trying again with backoff (`last_error` says why).
    Retrying,
    /// Over: stopped, or it could not run (`last_error`).
    Stopped,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Idle => "idle",
            State::Up => "up",
            State::Reconnecting => "reconnecting",
            State::Retrying => "retrying",
            State::Stopped => "stopped",
        }
    }
}

/// One background tunnel, as `list` and `watch` report it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub name: String,
    pub target: String,
    /// The instance it runs through, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// `host:port` on the far side.
    pub destination: String,
    /// Where it listens (`127.0.0.2:5432`), once bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub state: State,
    pub lazy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<f64>,
    /// Sessions ready now, and how many it keeps while in use.
    pub sessions: usize,
    pub sessions_wanted: u8,
    /// Connections open now, and since it started.
    pub active: usize,
    pub connections: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub uptime_seconds: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// How to connect, where the port says what listens there (`psql -h 127.0.0.2 -p 5432`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// What the daemon answers: `ok`, and what was asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `ping`: the daemon's process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// `list`, `up`, `watch`: tunnels' states (for `watch`, one a line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tunnels: Vec<Status>,
    /// `up`: the tunnels that could not start, each with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<Failure>,
    /// `down`: the tunnels stopped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stopped: Vec<String>,
    /// `logs`: the tunnel's recent lines, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

impl Answer {
    pub fn ok() -> Answer {
        Answer {
            ok: true,
            ..Answer::default()
        }
    }

    pub fn error(error: impl Into<String>) -> Answer {
        Answer {
            ok: false,
            error: Some(error.into()),
            ..Answer::default()
        }
    }
}

/// A tunnel `up` could not start, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub name: String,
    pub error: String,
}

/// How to connect to a tunnel whose remote port says what listens there: a client's command
/// line for the common databases and caches, the address otherwise.
pub fn hint(remote_port: u16, address: &str) -> Option<String> {
    let (host, port) = address.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some(match remote_port {
        5432 => format!("psql -h {host} -p {port}"),
        3306 => format!("mysql -h {host} -P {port}"),
        6379 => format!("redis-cli -h {host} -p {port}"),
        27017 => format!("mongosh --host {host} --port {port}"),
        1433 => format!("sqlcmd -S {host},{port}"),
        1521 => format!("sqlplus USER@//{host}:{port}/SERVICE"),
        9200 | 80 | 8080 => format!("curl http://{host}:{port}/"),
        443 | 8443 => format!("curl -k https://{host}:{port}/"),
        3389 => format!("bosun rdp, or an RDP client on {host}:{port}"),
        22 => format!("ssh -p {port} USER@{host}"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_as_other_programs_write_them() {
        let up: Request = serde_json::from_str(
            r#"{"op":"up","tunnels":[{"name":"db","target":"tag:Role=bastion","remote_port":5432,"local_address":"127.0.0.2","local_port":5432,"lazy":true,"idle_minutes":30}]}"#,
        )
        .expect("an up request");
        let Request::Up { tunnels, context } = up else {
            panic!("not up");
        };
        assert_eq!(context, Context::default());
        let def = tunnels[0].to_def().expect("a tunnel");
        assert_eq!(def.bind, IpAddr::from([127, 0, 0, 2]));
        assert_eq!(def.idle_after, Some(Duration::from_secs(1800)));
        assert!(def.lazy);
        assert_eq!(
            serde_json::from_str::<Request>(r#"{"op":"down","all":true}"#).expect("down"),
            Request::Down {
                names: vec![],
                all: true
            }
        );
        assert!(serde_json::from_str::<Request>(r#"{"op":"explode"}"#).is_err());
    }

    #[test]
    fn a_spec_that_cannot_run_says_why() {
        let mut spec = TunnelSpec::from(&TunnelDef::new("db", "i-0123456789abcdef0", 5432));
        spec.idle_minutes = Some(-1.0);
        assert!(spec.to_def().expect_err("refused").contains("idle_minutes"));
        spec.idle_minutes = None;
        spec.remote_port = 0;
        assert!(spec.to_def().expect_err("refused").contains("remote_port"));
    }

    #[test]
    fn hints_name_the_client_by_its_port() {
        assert_eq!(
            hint(5432, "127.0.0.2:5432").as_deref(),
            Some("psql -h 127.0.0.2 -p 5432")
        );
        assert_eq!(
            hint(3306, "127.0.0.1:40000").as_deref(),
            Some("mysql -h 127.0.0.1 -P 40000")
        );
        assert_eq!(hint(7777, "127.0.0.1:7777"), None);
    }
}
