//! Starting the simulator: the listener (loopback only), the simulated AWS of each account it
//! serves (one; or an organisation's management account and its members, each with its own
//! fleet, keys and sessions), and the servers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::fleet::{DEFAULT_ACCOUNT, Fleet};
use super::org::{self, Account, Organization};
use super::server::{self, Router};
use super::{
    AgentPacing, Faults, ScratchDir, SimConfig, SimError, SimHandle, SimState, ecs, kms_api,
    random_key_pair, runcmd, session_agent,
};

/// What one account's simulated AWS is made of.
struct AccountSpec {
    account_id: String,
    fleet: Fleet,
    faults: Faults,
    credentials: Vec<(String, String)>,
    seed: u64,
}

/// What every account shares: how agents pace, how the endpoint is reached.
struct Shared {
    pacing: AgentPacing,
    endpoint: String,
    stream_base: String,
    presigned_stream_urls: bool,
    require_signatures: bool,
}

async fn account_state(spec: AccountSpec, shared: &Shared) -> Result<Arc<SimState>, SimError> {
    let scratch = ScratchDir::create().map_err(SimError::Scratch)?;
    let remote_hosts = super::remote_hosts::start_remote_hosts(&spec.fleet).await;
    let mut managed_by_region: std::collections::HashMap<String, Vec<usize>> =
        std::collections::HashMap::new();
    for (index, instance) in spec.fleet.instances.iter().enumerate() {
        if instance.is_managed() {
            managed_by_region
                .entry(instance.region.clone())
                .or_default()
                .push(index);
        }
    }
    Ok(Arc::new(SimState {
        account_id: spec.account_id,
        managed_by_region,
        ecs_tasks: ecs::tasks(&spec.fleet),
        fleet: spec.fleet,
        pacing: shared.pacing,
        endpoint: shared.endpoint.clone(),
        stream_base: shared.stream_base.clone(),
        faults: Mutex::new(spec.faults),
        sessions: Mutex::new(session_agent::SessionRegistry::new(remote_hosts)),
        kms: Mutex::new(kms_api::KeyStore::default()),
        commands: Mutex::new(runcmd::CommandStore::default()),
        processes: runcmd::process_slots(),
        counters: Mutex::new(BTreeMap::new()),
        started: SystemTime::now(),
        known_keys: spec.credentials.into_iter().collect(),
        presigned_stream_urls: shared.presigned_stream_urls,
        require_signatures: shared.require_signatures,
        upgrades: Mutex::new(Vec::new()),
        agent_updates: Mutex::new(std::collections::HashMap::new()),
        outputs: Mutex::new(std::collections::HashMap::new()),
        scratch,
        rng: Mutex::new(spec.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
    }))
}

/// (role, access key, secret) for each of `roles`, fresh.
fn role_keys(roles: &[&str]) -> Result<Vec<(String, String, String)>, SimError> {
    roles
        .iter()
        .map(|role| {
            let (key, secret) = random_key_pair()?;
            Ok(((*role).to_owned(), key, secret))
        })
        .collect()
}

/// The member accounts of an organisation of `count`, beside the management account `main`
/// (whose roles sign with `management_roles`).
async fn organization(
    count: usize,
    member_fleet: (usize, &[String]),
    member_faults: &Faults,
    main: &Arc<SimState>,
    management_roles: Vec<(String, String, String)>,
    seed: u64,
    shared: &Shared,
) -> Result<Organization, SimError> {
    let mut token = [0u8; 24];
    getrandom::fill(&mut token).map_err(|error| SimError::NoRandomness(error.to_string()))?;
    let (id, name) = org::management();
    let mut accounts = vec![Account {
        id,
        name,
        ou: "/".to_owned(),
        roles: management_roles,
        access_role: None,
        state: main.clone(),
    }];
    for n in 1..=count {
        let (id, name) = org::member(n);
        let roles = role_keys(&org::member_roles(n))?;
        let access_role = random_key_pair()?;
        let credentials = roles
            .iter()
            .map(|(_, key, secret)| (key.clone(), secret.clone()))
            .chain(std::iter::once(access_role.clone()))
            .collect();
        let spec = AccountSpec {
            account_id: id.clone(),
            fleet: org::member_fleet(n, seed, member_fleet.0, member_fleet.1),
            // Faults (`slow=`, denials) hold in every account, as a far region or an SCP would.
            faults: member_faults.clone(),
            credentials,
            seed: seed.wrapping_add(n as u64),
        };
        let ou = if name.contains("prod") {
            "/workloads/prod"
        } else {
            "/workloads/nonprod"
        };
        accounts.push(Account {
            id,
            name,
            ou: ou.to_owned(),
            roles,
            access_role: Some(access_role),
            state: account_state(spec, shared).await?,
        });
    }
    Ok(Organization {
        token: hex::encode(token),
        start_url: org::start_url(&shared.endpoint),
        accounts,
        oidc: std::sync::Mutex::new(super::oidc::Oidc::default()),
    })
}

/// Starts the simulator on `config.listen` (loopback only).
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    if !config.listen.ip().is_loopback() {
        return Err(SimError::NotLoopback(config.listen));
    }
    // Session tokens and ids come from the system's randomness: none, no simulator.
    getrandom::fill(&mut [0u8; 16]).map_err(|error| SimError::NoRandomness(error.to_string()))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: config.listen,
        source,
    })?;
    let shared = Shared {
        pacing: config.pacing,
        endpoint: format!("http://{addr}"),
        stream_base: config
            .public_endpoint
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned(),
        presigned_stream_urls: config.presigned_stream_urls,
        require_signatures: config.require_signatures,
    };
    // With an organisation, the management account's roles sign with keys of their own,
    // which its state knows besides the simulator's.
    let management_roles = if config.accounts > 0 {
        role_keys(&org::ROLES)?
    } else {
        Vec::new()
    };
    let mut credentials = config.credentials.clone();
    credentials.extend(
        management_roles
            .iter()
            .map(|(_, key, secret)| (key.clone(), secret.clone())),
    );
    let main_spec = AccountSpec {
        account_id: DEFAULT_ACCOUNT.to_owned(),
        fleet: config.fleet.clone(),
        faults: config.faults.clone(),
        credentials,
        seed: config.seed,
    };
    let state = account_state(main_spec, &shared).await?;
    let org = if config.accounts > 0 {
        let org = organization(
            config.accounts,
            (config.member_instances, &config.member_regions),
            &config.faults,
            &state,
            management_roles,
            config.seed,
            &shared,
        )
        .await?;
        Some(Arc::new(org))
    } else {
        None
    };
    let router = Router {
        main: state.clone(),
        org: org.clone(),
    };
    let (shutdown, shutdown_rx) = watch::channel(false);
    let data_channel_addr = if config.data_channel_apart {
        let apart = TcpListener::bind((config.listen.ip(), 0))
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let apart_addr = apart.local_addr().ok();
        tokio::spawn(server::serve(
            apart,
            router.clone(),
            shutdown_rx.clone(),
            server::Serves::DataChannels,
        ));
        apart_addr
    } else {
        None
    };
    let serves = if config.data_channel_apart {
        server::Serves::Api
    } else {
        server::Serves::Everything
    };
    tokio::spawn(server::serve(listener, router, shutdown_rx, serves));
    Ok(SimHandle {
        addr,
        data_channel_addr,
        state,
        org,
        shutdown,
    })
}
