//! `bosun sim`: the simulated AWS endpoint, standalone. Its first line on stdout is
//! `AWS_ENDPOINT_URL=…` (scripts read it); it serves until Ctrl-C.

use crate::cli::{Pacing, SimArgs};
use crate::sim::{self, AgentPacing, Faults, Fleet, SimConfig};

/// Serves the simulator until Ctrl-C.
pub async fn run(args: SimArgs) -> i32 {
    let fleet = match (&args.fleet, args.instances) {
        (Some(path), _) => match Fleet::load(path) {
            Ok(fleet) => fleet,
            Err(error) => {
                eprintln!("bosun sim: {error}");
                return 2;
            }
        },
        (None, Some(count)) => {
            let mut fleet = Fleet::generate(count as usize, args.seed);
            if let Some(services) = args.ecs_services {
                fleet.add_generated_ecs(services as usize);
            }
            fleet
        }
        (None, None) => Fleet::demo(),
    };
    let faults = match Faults::parse(&args.faults) {
        Ok(faults) => faults,
        Err(error) => {
            eprintln!("bosun sim: --faults: {error}");
            return 2;
        }
    };
    let pacing = match args.agent_pacing {
        Pacing::Real => AgentPacing::Real,
        Pacing::Off => AgentPacing::Off,
    };
    let instances = fleet.instances.len();
    // It runs real shells for whoever gets a session: only clients with its key pair do.
    let keys = match (args.access_key_id, args.secret_access_key) {
        (Some(access), Some(secret)) => (access, secret),
        _ => match sim::random_key_pair() {
            Ok(keys) => keys,
            Err(error) => {
                eprintln!("bosun sim: {error}");
                return 2;
            }
        },
    };
    let config = SimConfig {
        listen: args.listen,
        fleet,
        seed: args.seed,
        pacing,
        faults,
        accounts: args.accounts.unwrap_or(0) as usize,
        ..SimConfig::for_own_clients(keys.clone())
    };
    let handle = match sim::start(config).await {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!("bosun sim: {error}");
            return 2;
        }
    };
    // Ctrl-C, or the SIGTERM of a supervisor (systemd, docker stop, a test harness): either way
    // the simulator stops and removes its scratch homes. Both are taken before the first line
    // is printed, so a script that signals as soon as it has read the lines is heard.
    let mut signals = crate::signals::Signals::all();
    // The first lines are the contract: scripts read them to find the endpoint and the keys
    // (`eval "$(bosun sim | head -3)"` in a shell that keeps it running elsewhere).
    println!("AWS_ENDPOINT_URL={}", handle.endpoint_url());
    println!("AWS_ACCESS_KEY_ID={}", keys.0);
    println!("AWS_SECRET_ACCESS_KEY={}", keys.1);
    // An organisation comes logged in: a config with a profile `org` and its token.
    let login_dir = std::env::temp_dir().join(format!("bosun-sim-login-{}", handle.addr.port()));
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    if let Some(written) = home
        .as_deref()
        .and_then(|home| handle.write_sso_login(&login_dir, home))
    {
        match written {
            Ok(path) => println!("AWS_CONFIG_FILE={}", path.display()),
            Err(error) => eprintln!("bosun sim: cannot write the organisation's login: {error}"),
        }
    }
    let accounts = handle.accounts();
    if !accounts.is_empty() {
        eprintln!(
            "bosun sim: an organisation of {} accounts (`bosun --profile org --org`):",
            accounts.len()
        );
        for (id, name, ou) in &accounts {
            eprintln!("  {id}  {name:<20} {ou}");
        }
    }
    // The Windows instances' key pair, for `bosun rdp --password` (GetPasswordData): made off
    // the serving thread, and said with a write that cannot fail (a script may have read the
    // first lines and closed the pipe by then).
    let key_file =
        std::env::temp_dir().join(format!("bosun-sim-windows-{}.pem", handle.addr.port()));
    let key_pem = tokio::task::spawn_blocking(sim::windows::key_pem)
        .await
        .unwrap_or_default();
    if !key_pem.is_empty()
        && crate::platform::write_private_new(&key_file, key_pem.as_bytes()).is_ok()
    {
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), "EC2_KEY_FILE={}", key_file.display());
    }
    eprintln!("bosun sim: {instances} instances; Ctrl-C stops it");
    let _ = signals.next().await;
    drop(handle);
    let _ = std::fs::remove_dir_all(&login_dir);
    let _ = std::fs::remove_file(&key_file);
    0
}
