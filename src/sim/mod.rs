//! The simulated AWS endpoint (docs/architecture.md §9): one loopback HTTP + WebSocket server
//! speaking SSM and KMS (JSON 1.1), EC2 (query/XML) and the ssmmessages data channel, backed by a
//! simulated fleet whose agents run real shells in scratch homes. `bosun sim` serves it
//! standalone; `--demo` and the tests run it in-process.

pub mod admin;
mod api;
mod caller_api;
mod documents;
mod ec2_api;
mod ecs;
mod ecs_api;
pub mod faults;
pub mod fleet;
mod iam_api;
mod json;
mod kms_api;
mod network;
mod oidc;
pub mod org;
mod org_api;
mod port;
mod process;
mod query;
mod remote_hosts;
mod runcmd;
mod security_groups;
mod server;
mod session_agent;
mod session_kind;
mod shell;
pub mod sigv4;
mod specs;
mod start;
mod upgrade_auth;
pub mod windows;

pub use start::start;

pub use upgrade_auth::UpgradeAuth;
mod ssm_api;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

pub use faults::Faults;
pub use fleet::{Fleet, Instance, PingStatus, Platform};

/// How the simulated agents pace their output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgentPacing {
    /// As fast as the protocol's window allows.
    #[default]
    Off,
    /// The real agent's quirks: 1 KiB chunks with a 1 ms pause after each.
    Real,
}

/// The real agent's output pacing: 1 KiB, then `time.Sleep(1ms)`, which lands at about
/// 1.05 ms per chunk (docs/protocol.md §9). Paced against a schedule rather than with a sleep per
/// chunk: tokio's timer rounds every sleep up to the next millisecond, which would halve the
/// rate and make the simulator slower than a real agent.
pub(crate) struct Pacer {
    next: tokio::time::Instant,
}

impl Pacer {
    pub const CHUNK: usize = 1024;
    const INTERVAL: std::time::Duration = std::time::Duration::from_micros(1050);

    pub fn new() -> Pacer {
        Pacer {
            next: tokio::time::Instant::now(),
        }
    }

    /// Waits until the next chunk may go. A timer that fires late is made up for by sending
    /// the next chunks sooner, but idle time is banked only up to a few milliseconds, so the
    /// agent never bursts more than a few KiB.
    pub async fn wait(&mut self) {
        const MAX_CATCH_UP: std::time::Duration = std::time::Duration::from_millis(4);
        let now = tokio::time::Instant::now();
        let earliest = now.checked_sub(MAX_CATCH_UP).unwrap_or(now);
        self.next = self.next.max(earliest) + Self::INTERVAL;
        if self.next > now {
            tokio::time::sleep_until(self.next).await;
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub fleet: Fleet,
    pub seed: u64,
    pub pacing: AgentPacing,
    pub faults: Faults,
    /// Key pairs of the simulated account (access key, secret): a data-channel upgrade signed
    /// with one of them is verified and refused when wrong; other keys are accepted as
    /// everywhere else.
    pub credentials: Vec<(String, String)>,
    /// Hand out StreamUrls that are already presigned (their query carries X-Amz-*), as
    /// some gateways do: a client must dial them as they are.
    pub presigned_stream_urls: bool,
    /// Let in only clients that sign with one of `credentials` (`bosun sim`, `--demo`):
    /// the simulator runs real shells for whoever gets a session, so a stranger on the same
    /// machine must not. Off for the tests' own simulators, which take any key as before.
    pub require_signatures: bool,
    /// The address clients reach the simulator by, when it is not its own: behind a
    /// TLS-terminating proxy (`https://sim.test`), StreamUrls must name the proxy's side
    /// (`wss://sim.test/…`) for the data channel to take the same road.
    pub public_endpoint: Option<String>,
    /// Data channels on a listener of their own (`SimHandle::data_channel_url`), as a VPC
    /// endpoint for `ssmmessages` is: the API's listener then refuses them.
    pub data_channel_apart: bool,
    /// Serve an organisation of this many member accounts besides the simulator's own (the
    /// management account), each with a fleet of its own, and the SSO portal that reaches them
    /// (`bosun sim --accounts N`); 0 for one account.
    pub accounts: usize,
    /// How many instances each member account has, and the regions they are spread over (none:
    /// the generator's two).
    pub member_instances: usize,
    pub member_regions: Vec<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            fleet: Fleet::demo(),
            seed: 1,
            pacing: AgentPacing::Off,
            faults: Faults::default(),
            // The demo's own key pair (aws::demo_config), so the console's sessions are
            // checked too.
            credentials: vec![("demo".to_owned(), "demo".to_owned())],
            presigned_stream_urls: false,
            require_signatures: false,
            public_endpoint: None,
            data_channel_apart: false,
            accounts: 0,
            member_instances: org::MEMBER_FLEET,
            member_regions: Vec::new(),
        }
    }
}

impl SimConfig {
    /// A simulator that lets in only clients signing with `keys` (`bosun sim`, `--demo`).
    pub fn for_own_clients(keys: (String, String)) -> SimConfig {
        SimConfig {
            credentials: vec![keys],
            require_signatures: true,
            ..SimConfig::default()
        }
    }
}

/// A fresh key pair for a simulator that lets in only its own clients: (access key, secret).
/// Without randomness from the system there is none: a guessable key would let another local
/// user into the shells.
pub fn random_key_pair() -> Result<(String, String), SimError> {
    let mut bytes = [0u8; 30];
    getrandom::fill(&mut bytes).map_err(|error| SimError::NoRandomness(error.to_string()))?;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let access: String = bytes[..16]
        .iter()
        .map(|b| alphabet[usize::from(b % 32)] as char)
        .collect();
    Ok((
        format!("ASIM{access}"),
        hex::encode(&bytes[16..]) + &hex::encode(&bytes[..8]),
    ))
}

/// One data-channel upgrade the simulator answered, and what it made of its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRecord {
    pub session_id: String,
    pub auth: UpgradeAuth,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(
        "refusing to listen on {0}: the simulator runs real shells for whoever holds a session token, so it only listens on loopback (127.0.0.1 or ::1)"
    )]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create the scratch directory: {0}")]
    Scratch(std::io::Error),
    #[error(
        "the system gives no randomness ({0}): the simulator's keys and session tokens must not be guessable, so it does not start"
    )]
    NoRandomness(String),
}

/// Per-run scratch space (shell homes), removed when the simulator stops.
#[derive(Debug)]
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn create() -> std::io::Result<ScratchDir> {
        let dir = std::env::temp_dir().join(format!(
            "bosun-sim-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)?;
        // Shell homes for whoever holds a session token: not readable by other local users.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(ScratchDir(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Everything the request handlers share.
pub(crate) struct SimState {
    /// The account this simulated AWS is (GetCallerIdentity says it).
    pub account_id: String,
    pub fleet: Fleet,
    /// The ECS services' running tasks, derived once from the fleet.
    pub ecs_tasks: Vec<ecs::Task>,
    /// Indices into `fleet.instances` of SSM-managed instances, per region, in fleet order:
    /// DescribeInstanceInformation pages walk these instead of the whole fleet.
    pub managed_by_region: std::collections::HashMap<String, Vec<usize>>,
    pub pacing: AgentPacing,
    pub endpoint: String,
    /// What StreamUrls are built on: `public_endpoint`, else `endpoint`.
    pub stream_base: String,
    pub faults: Mutex<Faults>,
    pub sessions: Mutex<session_agent::SessionRegistry>,
    pub kms: Mutex<kms_api::KeyStore>,
    pub commands: Mutex<runcmd::CommandStore>,
    /// Run Command processes running at once, across all commands.
    pub processes: Arc<tokio::sync::Semaphore>,
    /// Requests served, per operation (`ssm:StartSession`, `ec2:DescribeInstances`, …).
    pub counters: Mutex<BTreeMap<String, u64>>,
    pub started: SystemTime,
    /// The simulated account's key pairs, by access key.
    pub known_keys: std::collections::HashMap<String, String>,
    pub presigned_stream_urls: bool,
    pub require_signatures: bool,
    /// Every data-channel upgrade answered, in order.
    pub upgrades: Mutex<Vec<UpgradeRecord>>,
    /// Agent versions installed by AWS-UpdateSSMAgent since the start, by instance id (the
    /// fleet file stays as it was loaded).
    pub agent_updates: Mutex<std::collections::HashMap<String, String>>,
    /// What each session's program wrote for the client, in order: its SHA-256 so far and its
    /// length (`GET /_sim/output/SESSION`), so a client can prove it got every byte once.
    pub outputs: Mutex<std::collections::HashMap<String, (sha2::Sha256, u64)>>,
    scratch: ScratchDir,
    rng: Mutex<u64>,
}

impl SimState {
    pub fn count(&self, operation: &str) {
        if let Ok(mut counters) = self.counters.lock() {
            *counters.entry(operation.to_owned()).or_default() += 1;
        }
    }

    /// A uniform number in [0, 1) from the seeded generator (fault decisions).
    pub fn random(&self) -> f64 {
        let Ok(mut state) = self.rng.lock() else {
            return 0.5;
        };
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn home_for(&self, instance_id: &str) -> PathBuf {
        self.scratch.path().join(instance_id)
    }

    /// The instance's agent version now: the fleet file's, or what Run Command updated it to.
    pub fn agent_version(&self, instance: &Instance) -> String {
        self.agent_updates
            .lock()
            .ok()
            .and_then(|updates| updates.get(&instance.id).cloned())
            .unwrap_or_else(|| instance.agent_version.clone())
    }

    /// Instances a fault has taken offline, read once per request (not once per instance).
    pub fn offline(&self) -> Offline {
        Offline(
            self.faults
                .lock()
                .map(|f| f.offline.iter().cloned().collect())
                .unwrap_or_default(),
        )
    }

    /// Whether sessions and commands can reach the instance now.
    pub fn is_online(&self, instance: &Instance) -> bool {
        self.offline().is_online(instance)
    }
}

/// The instances that `offline=` faults have disconnected, at one moment.
pub(crate) struct Offline(std::collections::HashSet<String>);

impl Offline {
    /// The instance's ping status: its fleet status, unless a fault took it offline.
    pub fn ping_of(&self, instance: &Instance) -> Option<PingStatus> {
        match instance.ping {
            Some(_) if self.0.contains(&instance.id) => Some(PingStatus::ConnectionLost),
            other => other,
        }
    }

    pub fn is_online(&self, instance: &Instance) -> bool {
        self.ping_of(instance) == Some(PingStatus::Online) && instance.state == "running"
    }
}

/// A running simulator. Dropping it stops the server and removes its scratch directory.
pub struct SimHandle {
    pub addr: SocketAddr,
    /// The data channels' own listener, when they have one.
    data_channel_addr: Option<SocketAddr>,
    state: Arc<SimState>,
    /// The organisation's member accounts (`--accounts`), each a simulated AWS of its own.
    org: Option<Arc<org::Organization>>,
    shutdown: watch::Sender<bool>,
}

impl SimHandle {
    /// The private key (PKCS#8 PEM) of the key pair every simulated Windows instance was
    /// launched with: what decrypts GetPasswordData's answer.
    pub fn windows_key_pem(&self) -> String {
        windows::key_pem()
    }
}

impl SimState {
    /// The simulated AWS clock: the machine's, moved by the `clock_skew` fault.
    pub(crate) fn now(&self) -> SystemTime {
        let skew = self
            .faults
            .lock()
            .map_or(0.0, |faults| faults.clock_skew_secs);
        let by = Duration::from_secs_f64(skew.abs());
        let now = SystemTime::now();
        if skew >= 0.0 { now + by } else { now - by }
    }
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint_url(&self) -> String {
        self.state.endpoint.clone()
    }

    /// Where data channels are served: their own listener, or the API's.
    pub fn data_channel_url(&self) -> String {
        self.data_channel_addr
            .map_or_else(|| self.endpoint_url(), |addr| format!("http://{addr}"))
    }

    /// Requests served per operation.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.state
            .counters
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// The data-channel upgrades answered so far, and how each was signed.
    pub fn upgrades(&self) -> Vec<UpgradeRecord> {
        self.state
            .upgrades
            .lock()
            .map(|u| u.clone())
            .unwrap_or_default()
    }

    /// With an organisation (`accounts` > 0): writes a login to it as `aws sso login` leaves
    /// one (an AWS config file in `dir` with a profile `org`, the token under `home`), and
    /// returns the config file's path.
    pub fn write_sso_login(&self, dir: &Path, home: &Path) -> Option<std::io::Result<PathBuf>> {
        let org = self.org.as_ref()?;
        Some(org.write_login(&self.endpoint_url(), dir, home, self.state.now()))
    }

    /// The organisation's portal: its start URL and the bearer token a login gets.
    pub fn portal_login(&self) -> Option<(String, String)> {
        self.org
            .as_ref()
            .map(|org| (org.start_url.clone(), org.token.clone()))
    }

    /// The organisation's accounts: id, name and OU path, the management account first.
    pub fn accounts(&self) -> Vec<(String, String, String)> {
        self.org
            .iter()
            .flat_map(|org| org.accounts.iter())
            .map(|a| (a.id.clone(), a.name.clone(), a.ou.clone()))
            .collect()
    }

    /// The calls answered by every account of the organisation (or the one account), by
    /// `service:Operation`, summed.
    pub fn request_counts_everywhere(&self) -> BTreeMap<String, u64> {
        let mut counts = self.request_counts();
        for account in self.org.iter().flat_map(|org| org.accounts.iter().skip(1)) {
            for (call, n) in account
                .state
                .counters
                .lock()
                .map(|c| c.clone())
                .unwrap_or_default()
            {
                *counts.entry(call).or_default() += n;
            }
        }
        counts
    }

    /// Faults for every account of the organisation (the one account without one).
    pub fn set_faults_everywhere(&self, faults: Faults) {
        for account in self.org.iter().flat_map(|org| org.accounts.iter().skip(1)) {
            if let Ok(mut current) = account.state.faults.lock() {
                *current = faults.clone();
            }
        }
        self.set_faults(faults);
    }

    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut current) = self.state.faults.lock() {
            *current = faults;
        }
    }

    /// Runs SSM Agent `version` on `instance_id` from now on, as AWS-UpdateSSMAgent would.
    pub fn set_agent_version(&self, instance_id: &str, version: &str) {
        if let Ok(mut updates) = self.state.agent_updates.lock() {
            updates.insert(instance_id.to_owned(), version.to_owned());
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        session_agent::terminate_all(&self.state);
        for account in self.org.iter().flat_map(|org| org.accounts.iter().skip(1)) {
            session_agent::terminate_all(&account.state);
        }
    }
}
