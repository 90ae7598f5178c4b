//! The console's tunnels, pure: the saved tunnels and groups from the configuration, tunnels
//! started from the fleet with shift-f, whether each runs, and what the runtime last measured
//! of it (local address, sessions, connections, bytes and rates, uptime, last error).

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::model::tunnel::TunnelDef;
use crate::model::tunnel_api::State as BackgroundState;

use crate::app::editor::LineEditor;
use crate::app::views::TunnelTo;

pub(crate) mod background;
pub mod keys;
pub(crate) mod update;

#[cfg(test)]
mod update_tests;

pub type TunnelId = u64;

/// What a running tunnel said: where it listens, a problem, a session ready, its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TunnelFact {
    Listening {
        local: String,
        instance_id: String,
    },
    /// A problem the row shows as the last error.
    Problem(String),
    /// The agent could not connect to the destination port (that connection closed).
    DestinationFailed,
    SessionReady(String),
    /// It stopped: why, when it could not run.
    Stopped {
        failed: Option<String>,
    },
}

/// What the runtime measures of a running tunnel each second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TunnelGauges {
    pub sessions_ready: usize,
    pub resuming: usize,
    pub active: usize,
    pub connections: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Bytes per second over the last second.
    pub rate_up: u64,
    pub rate_down: u64,
    pub uptime_secs: u64,
}

/// What is known of a running tunnel: what it said, and its gauges as last measured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TunnelLive {
    pub local: Option<String>,
    pub instance_id: Option<String>,
    /// As last measured.
    pub gauges: TunnelGauges,
    pub last_error: Option<String>,
    /// The ids of the sessions it has had (the Sessions view marks them as this console's).
    pub session_ids: Vec<String>,
    /// Why it stopped on its own (the port was taken, the target is unknown…).
    pub failed: Option<String>,
}

impl TunnelLive {
    /// Takes what a tunnel said.
    pub fn learn(&mut self, fact: TunnelFact) {
        match fact {
            TunnelFact::Listening { local, instance_id } => {
                self.local = Some(local);
                self.instance_id = Some(instance_id);
            }
            TunnelFact::Problem(text) => self.last_error = Some(text),
            TunnelFact::DestinationFailed => {
                self.last_error =
                    Some("the agent could not connect to the destination port".to_owned());
            }
            // Its sessions, newest last, so the Sessions view can tell them apart (a replaced
            // session's id stays until it falls off the end).
            TunnelFact::SessionReady(session_id) => {
                self.session_ids.push(session_id);
                if self.session_ids.len() > 32 {
                    self.session_ids.remove(0);
                }
            }
            TunnelFact::Stopped { failed } => self.failed = failed,
        }
    }

    /// Takes the gauges as measured.
    pub fn measured(&mut self, gauges: TunnelGauges) {
        self.gauges = gauges;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelEntry {
    pub id: TunnelId,
    pub def: TunnelDef,
    /// From the configuration file (kept when stopped), or started from the fleet.
    pub saved: bool,
    pub running: bool,
    pub live: TunnelLive,
    /// Why its sessions cannot start, from the doctor (asked once per failing spell).
    pub cause: Option<String>,
    pub asked_doctor: bool,
    /// It runs in the background process (`bosun tunnel up`), past the console: its state
    /// there. Its `live` is then the background process's account of it.
    pub background: Option<BackgroundState>,
    /// Start the RDP client once its first session is ready (`W` on a Windows instance).
    pub open_rdp: bool,
}

impl TunnelEntry {
    /// One word or two for the STATE column.
    pub fn state(&self) -> String {
        let live = &self.live;
        if let Some(background) = self.background {
            return format!("bg {}", background.word());
        }
        match (self.running, &live.failed) {
            (false, Some(_)) => "failed".to_owned(),
            (false, None) => "stopped".to_owned(),
            _ if live.local.is_none() => "starting".to_owned(),
            _ if live.gauges.resuming > 0 => "resuming".to_owned(),
            _ if live.gauges.sessions_ready == 0 && live.last_error.is_some() => {
                "retrying".to_owned()
            }
            _ if live.gauges.sessions_ready == 0 => "connecting".to_owned(),
            _ if self.def.sessions > 1 => {
                format!("ready {}/{}", live.gauges.sessions_ready, self.def.sessions)
            }
            _ => "ready".to_owned(),
        }
    }
}

/// A line of the Tunnels view: a group of saved tunnels, or one tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelRow<'a> {
    Group(&'a str, &'a [String]),
    Tunnel(&'a TunnelEntry),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tunnels {
    pub entries: Vec<TunnelEntry>,
    pub groups: BTreeMap<String, Vec<String>>,
    pub selected: usize,
    next_id: TunnelId,
}

impl Tunnels {
    pub fn add(&mut self, def: TunnelDef, saved: bool) -> TunnelId {
        self.next_id += 1;
        self.entries.push(TunnelEntry {
            id: self.next_id,
            def,
            saved,
            running: false,
            live: TunnelLive::default(),
            cause: None,
            asked_doctor: false,
            background: None,
            open_rdp: false,
        });
        self.next_id
    }

    /// Groups first, then every tunnel, as the view lists them.
    pub fn rows(&self) -> Vec<TunnelRow<'_>> {
        self.groups
            .iter()
            .map(|(name, members)| TunnelRow::Group(name, members))
            .chain(self.entries.iter().map(TunnelRow::Tunnel))
            .collect()
    }

    /// The running tunnel whose session this is, by name.
    pub fn tunnel_of_session(&self, session_id: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.running && e.live.session_ids.iter().any(|s| s == session_id))
            .map(|e| e.def.name.as_str())
    }

    pub fn get(&self, id: TunnelId) -> Option<&TunnelEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub fn get_mut(&mut self, id: TunnelId) -> Option<&mut TunnelEntry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }

    /// The tunnels the selected row stands for.
    pub fn selected_ids(&self) -> Vec<TunnelId> {
        match self.rows().get(self.selected) {
            Some(TunnelRow::Group(_, members)) => self
                .entries
                .iter()
                .filter(|e| members.contains(&e.def.name))
                .map(|e| e.id)
                .collect(),
            Some(TunnelRow::Tunnel(entry)) => vec![entry.id],
            None => Vec::new(),
        }
    }

    /// Tunnels the background process keeps (they outlive the console).
    pub fn background_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.background.is_some())
            .count()
    }

    pub fn running_count(&self) -> usize {
        self.entries.iter().filter(|e| e.running).count()
    }

    /// Running tunnels with a session that carries (or is resuming) connections; one still
    /// trying to start its first session is running, but serves nothing yet.
    pub fn serving_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| {
                e.running && (e.live.gauges.sessions_ready > 0 || e.live.gauges.resuming > 0)
            })
            .count()
    }
}

/// The shift-f form: a tunnel to one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelForm {
    pub instance_id: String,
    pub name: String,
    pub profile: String,
    pub region: String,
    /// Remote port, remote host, local port: what is typed in each.
    pub fields: [LineEditor; 3],
    pub focus: usize,
    pub error: Option<String>,
    /// The target's agent, when known: what it refuses is said before a session starts.
    pub agent_version: Option<String>,
}

pub const FORM_LABELS: [&str; 3] = [
    "remote port",
    "remote host (empty: the instance itself)",
    "local port (empty or 0: any free port)",
];

impl TunnelForm {
    pub fn new(to: TunnelTo) -> TunnelForm {
        TunnelForm {
            instance_id: to.target,
            name: to.name,
            profile: to.profile,
            region: to.region,
            agent_version: to.agent_version,
            fields: [
                LineEditor::default(),
                LineEditor::default(),
                LineEditor::default(),
            ],
            focus: 0,
            error: None,
        }
    }

    /// The tunnel the form describes, or what is wrong with it (a destination the target's
    /// agent refuses among it).
    pub fn to_def(&self) -> Result<TunnelDef, String> {
        let port = |text: &str, what: &str, zero_ok: bool| -> Result<u16, String> {
            let text = text.trim();
            if text.is_empty() && zero_ok {
                return Ok(0);
            }
            match text.parse::<u16>() {
                Ok(0) if !zero_ok => Err(format!("{what}: 1 to 65535")),
                Ok(port) => Ok(port),
                Err(_) => Err(format!("{what}: a port number, not {text:?}")),
            }
        };
        let remote_port = port(&self.fields[0], "remote port", false)?;
        let local_port = port(&self.fields[2], "local port", true)?;
        let host = self.fields[1].trim();
        let label = if self.name.is_empty() {
            &self.instance_id
        } else {
            &self.name
        };
        let def = TunnelDef {
            name: format!("{label}:{remote_port}"),
            target: self.instance_id.clone(),
            remote_host: (!host.is_empty()).then(|| host.to_owned()),
            remote_port,
            local_port,
            bind: IpAddr::from([127, 0, 0, 1]),
            profile: Some(self.profile.clone()),
            region: Some(self.region.clone()),
            sessions: 1,
            account: None,
            lazy: false,
            idle_after: None,
        };
        def.forward(self.agent_version.as_deref())?;
        Ok(def)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_checks_its_ports() {
        let mut form = TunnelForm::new(TunnelTo {
            target: "i-0abc".to_owned(),
            name: "db-bastion".to_owned(),
            profile: "prod".to_owned(),
            region: "us-east-1".to_owned(),
            agent_version: Some("3.3.5068.0".to_owned()),
        });
        assert!(form.to_def().is_err(), "the remote port is required");
        form.fields[0].set("5432");
        form.fields[1].set(" db.internal ");
        let def = form.to_def().expect("valid");
        assert_eq!(def.name, "db-bastion:5432");
        assert_eq!(def.remote(), "db.internal:5432");
        assert_eq!(def.local_port, 0);
        assert!(def.bind.is_loopback(), "the form never widens the bind");
        form.fields[2].set("70000");
        assert!(form.to_def().expect_err("too big").contains("local port"));
        // What the target's agent refuses is said in the form, before any session.
        form.fields[2].set("");
        form.fields[1].set("169.254.170.2");
        let refused = form.to_def().expect_err("a credential endpoint");
        assert!(refused.contains("credential endpoint"), "{refused}");
        form.fields[1].set("localhost");
        assert!(
            form.to_def().is_ok(),
            "loopback goes to the instance's own port"
        );
    }

    #[test]
    fn a_group_row_stands_for_its_members() {
        let mut tunnels = Tunnels::default();
        let def = |name: &str| TunnelDef::new(name, "i-1", 1);
        let db = tunnels.add(def("db"), true);
        let cache = tunnels.add(def("cache"), true);
        tunnels.add(def("other"), true);
        tunnels.groups.insert(
            "payments".to_owned(),
            vec!["db".to_owned(), "cache".to_owned()],
        );
        assert_eq!(tunnels.selected_ids(), vec![db, cache]);
        tunnels.selected = 2;
        assert_eq!(tunnels.selected_ids(), vec![cache]);
    }
}
