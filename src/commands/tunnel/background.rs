//! `bosun tunnel up|ls|down|logs`: asks the per-user process that keeps background tunnels
//! (`serve`), starting it when `up` finds none running.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{BackgroundTunnel, GlobalArgs, TunnelUpArgs};
use crate::config::SavedTunnel;
use crate::model::format::{age, bytes};
use crate::model::tunnel::TunnelDef;
use crate::model::tunnel_api::{Answer, Context, Request, Status, TunnelSpec};
use crate::services::tunnel_host::api::{Client, connect_or_start};

pub async fn run(global: &GlobalArgs, asked: &BackgroundTunnel) -> i32 {
    let Some(socket) = socket_path() else {
        say!(
            "bosun tunnel: there is no directory for the background tunnels' socket: set XDG_RUNTIME_DIR, HOME or BOSUN_TUNNELS_SOCKET"
        );
        return 2;
    };
    match asked {
        BackgroundTunnel::Serve => super::serve::run(global, &socket).await,
        BackgroundTunnel::Up(args) => up(global, args, &socket).await,
        BackgroundTunnel::Ls { json } => ls(&socket, *json).await,
        BackgroundTunnel::Down { names, all } => {
            let request = Request::Down {
                names: names.clone(),
                all: *all,
            };
            match ask_running(&socket, &request).await {
                Ok(Some(answer)) => {
                    for name in &answer.stopped {
                        println!("{name} stopped");
                    }
                    0
                }
                Ok(None) if *all => 0,
                Ok(None) => {
                    say!("bosun tunnel down: no background tunnels are running");
                    1
                }
                Err(error) => {
                    say!("bosun tunnel down: {error}");
                    1
                }
            }
        }
        BackgroundTunnel::Logs { name } => {
            let request = Request::Logs { name: name.clone() };
            match ask_running(&socket, &request).await {
                Ok(Some(answer)) => {
                    let mut stdout = std::io::stdout().lock();
                    for line in answer.lines {
                        let _ = writeln!(stdout, "{line}");
                    }
                    0
                }
                Ok(None) => {
                    say!("bosun tunnel logs: no background tunnels are running");
                    1
                }
                Err(error) => {
                    say!("bosun tunnel logs: {error}");
                    1
                }
            }
        }
    }
}

/// `bosun tunnel up`: the tunnels asked for, handed to the server (started if need be).
async fn up(global: &GlobalArgs, args: &TunnelUpArgs, socket: &Path) -> i32 {
    if global.read_only {
        say!("bosun tunnel up: refused by --read-only (a tunnel starts sessions)");
        return 2;
    }
    let defs = match wanted(global, args) {
        Ok(defs) => defs,
        Err(error) => {
            say!("bosun tunnel up: {error}");
            return 2;
        }
    };
    for def in &defs {
        if !def.bind.is_loopback() {
            say!(
                "bosun tunnel up {}: WARNING: listening on {}, not loopback: anyone who can reach this machine can use the tunnel",
                def.name,
                def.bind
            );
        }
    }
    let mut client = match connect_or_start(socket, global.config.as_deref()).await {
        Ok(client) => client,
        Err(error) => {
            say!("bosun tunnel up: {error}");
            return 1;
        }
    };
    let request = Request::Up {
        tunnels: defs.iter().map(TunnelSpec::from).collect(),
        context: context_of(global),
    };
    let answer = match client.ask(&request).await {
        Ok(answer) if answer.ok => answer,
        Ok(answer) => {
            say!("bosun tunnel up: {}", answer.error.unwrap_or_default());
            return 1;
        }
        Err(error) => {
            say!("bosun tunnel up: the background tunnels' process did not answer: {error}");
            return 1;
        }
    };
    let mut stdout = std::io::stdout().lock();
    for status in &answer.tunnels {
        let _ = writeln!(
            stdout,
            "{} {}",
            status.name,
            status.address.as_deref().unwrap_or("-")
        );
    }
    let _ = stdout.flush();
    for failure in &answer.failed {
        say!("bosun tunnel up {}: {}", failure.name, failure.error);
    }
    i32::from(!answer.failed.is_empty())
}

/// Where a tunnel's credentials come from, as this command would resolve them: its flags, else
/// the environment it runs in (the background process may have been started from another).
pub(crate) fn context_of(global: &GlobalArgs) -> Context {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    Context {
        profile: global
            .profile
            .first()
            .cloned()
            .or_else(|| env("AWS_PROFILE")),
        region: global
            .region
            .first()
            .cloned()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION")),
        endpoint_url: global
            .endpoint_url
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL")),
        org: super::super::org::wanted(global),
    }
}

/// The tunnels `up` names: saved tunnels and groups, or one TARGET with --remote-port; the
/// command line's --lazy and --idle-minutes apply to each.
fn wanted(global: &GlobalArgs, args: &TunnelUpArgs) -> Result<Vec<TunnelDef>, String> {
    let idle_after = match args.idle_minutes {
        None => None,
        Some(minutes) if minutes.is_finite() && minutes > 0.0 => {
            Some(Duration::from_secs_f64((minutes * 60.0).max(0.1)))
        }
        Some(minutes) => return Err(format!("--idle-minutes must be above 0, not {minutes}")),
    };
    let mut defs = match args.remote_port {
        Some(remote_port) => {
            let [target] = args.names.as_slice() else {
                return Err("with --remote-port, name one TARGET".to_owned());
            };
            vec![TunnelDef {
                remote_host: args.remote_host.clone(),
                local_port: args.local_port,
                bind: args.local_address,
                ..TunnelDef::new(
                    args.name
                        .clone()
                        .unwrap_or_else(|| format!("{target}:{remote_port}")),
                    target.clone(),
                    remote_port,
                )
            }]
        }
        None => {
            let config = super::super::load_config(global).map_err(|error| error.to_string())?;
            let mut defs = Vec::new();
            for name in &args.names {
                let saved = config.tunnels_named(name).ok_or_else(|| {
                    format!(
                        "no saved tunnel or group is named {name:?} in {}; to tunnel to an instance, give TARGET and --remote-port",
                        super::super::config_path(global)
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    )
                })?;
                defs.extend(saved.into_iter().map(SavedTunnel::to_def));
            }
            defs
        }
    };
    for def in &mut defs {
        def.lazy |= args.lazy;
        def.idle_after = idle_after.or(def.idle_after);
    }
    Ok(defs)
}

/// The server's answer to `request`, or `None` when no server runs.
async fn ask_running(socket: &Path, request: &Request) -> Result<Option<Answer>, String> {
    let Ok(mut client) = Client::connect(socket).await else {
        return Ok(None);
    };
    match client.ask(request).await {
        Ok(answer) if answer.ok => Ok(Some(answer)),
        Ok(answer) => Err(answer.error.unwrap_or_default()),
        Err(error) => Err(format!(
            "the background tunnels' process did not answer: {error}"
        )),
    }
}

/// `bosun tunnel ls`: a table (or JSON lines) of the background tunnels, then how to
/// connect to each where its port says.
async fn ls(socket: &Path, json: bool) -> i32 {
    let tunnels = match ask_running(socket, &Request::List { names: vec![] }).await {
        Ok(Some(answer)) => answer.tunnels,
        Ok(None) => Vec::new(),
        Err(error) => {
            say!("bosun tunnel ls: {error}");
            return 1;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if json {
        for status in &tunnels {
            let _ = writeln!(
                stdout,
                "{}",
                serde_json::to_string(status).unwrap_or_default()
            );
        }
        return 0;
    }
    if tunnels.is_empty() {
        let _ = writeln!(
            stdout,
            "No background tunnels: `bosun tunnel up NAME` starts one."
        );
        return 0;
    }
    let _ = write!(stdout, "{}", table(&tunnels));
    let hints: Vec<_> = tunnels
        .iter()
        .filter_map(|status| Some((&status.name, status.hint.as_ref()?)))
        .collect();
    if !hints.is_empty() {
        let _ = writeln!(stdout);
        for (name, hint) in hints {
            let _ = writeln!(stdout, "{name}: {hint}");
        }
    }
    0
}

fn table(tunnels: &[Status]) -> String {
    let mut lines = vec![
        [
            "NAME",
            "STATE",
            "ADDRESS",
            "TARGET",
            "DESTINATION",
            "SESSIONS",
            "CONNS",
            "UP/DOWN",
            "UPTIME",
            "LAST ERROR",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for status in tunnels {
        lines.push(vec![
            status.name.clone(),
            status.state.word().to_owned(),
            status.address.clone().unwrap_or_else(|| "-".to_owned()),
            match &status.instance_id {
                Some(id) if *id != status.target => format!("{} ({id})", status.target),
                _ => status.target.clone(),
            },
            status.destination.clone(),
            format!("{}/{}", status.sessions, status.sessions_wanted),
            format!("{} ({} total)", status.active, status.connections),
            format!("{}/{}", bytes(status.bytes_up), bytes(status.bytes_down)),
            age(status.uptime_seconds),
            status.last_error.clone().unwrap_or_default(),
        ]);
    }
    crate::commands::ls::aligned(&lines)
}

/// The local API's endpoint: `$BOSUN_TUNNELS_SOCKET`, else the platform's place for it
/// (`$XDG_RUNTIME_DIR/bosun/tunnels.sock`; on Windows the pipe `\\.\pipe\bosun-tunnels-USER`),
/// else `tunnels.sock` in bosun's state directory (beside its logs).
pub(crate) fn socket_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BOSUN_TUNNELS_SOCKET").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    crate::platform::local_api::default_path()
        .or_else(|| Some(crate::logging::log_dir()?.join("tunnels.sock")))
}
