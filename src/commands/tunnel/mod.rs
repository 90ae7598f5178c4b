//! `bosun tunnel` and `bosun proxy`. A tunnel from the command line or a saved tunnel (or
//! group) from the configuration runs through the tunnel service until Ctrl-C; the first line
//! on stdout says where it listens. `bosun proxy` is the SSH ProxyCommand byte pipe: an
//! AWS-StartSSHSession on stdin/stdout. `background` asks the per-user process that keeps
//! tunnels past the terminal (`serve`).

mod background;
mod serve;

pub(crate) use background::{context_of, socket_path};

use std::io::Write;

use tokio::sync::mpsc;

use crate::aws;
use crate::aws::target::TargetError;
use crate::cli::{GlobalArgs, ProxyArgs, ShellArgs, TunnelArgs};
use crate::config::SavedTunnel;
use crate::model::document::Document;
use crate::model::tunnel::TunnelDef;
use crate::services::session::FAILURE;
use crate::services::tunnel::{self, TunnelCommand, TunnelError, TunnelEvent};
use crate::signals::Signals;

/// How long a signal's way out waits for AWS to confirm the sessions' ends.
const SIGNAL_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The credentials a tunnel runs with, and the tunnel as it runs: a saved tunnel's account's
/// session role (through the organisation's login), with --org the account that holds the
/// target (the target then its instance id), else its profile and region.
pub(crate) async fn tunnel_config(
    global: &GlobalArgs,
    mut def: TunnelDef,
) -> Result<(aws_config::SdkConfig, TunnelDef), String> {
    let config = if let Some(account) = &def.account {
        super::org::account_config(global, account, def.region.as_deref())
            .await
            .map_err(|error| error.to_string())?
    } else if super::org::wanted(global) {
        let (config, id) = super::org::locate(global, &def.target)
            .await
            .map_err(|error| error.to_string())?;
        def.target = id;
        config
    } else {
        aws::load_config(
            def.profile
                .as_deref()
                .or(global.profile.first().map(String::as_str)),
            def.region
                .as_deref()
                .or(global.region.first().map(String::as_str)),
            global.endpoint_url.as_deref(),
        )
        .await
    };
    Ok((config, def))
}

/// `bosun proxy TARGET PORT`: AWS-StartSSHSession on this process's stdin/stdout.
pub async fn proxy(global: &GlobalArgs, args: &ProxyArgs) -> i32 {
    let shell = ShellArgs {
        target: args.target.clone(),
        document: Document::StartSshSession.name().to_owned(),
        param: vec![("portNumber".to_owned(), args.port.to_string())],
        record: None,
        command: None,
        // ssh owns the terminal; the pipe never reads escapes.
        escape_char: Some("none".to_owned()),
    };
    super::shell::run(global, &shell).await
}

pub async fn run(global: &GlobalArgs, args: &TunnelArgs) -> i32 {
    if let Some(asked) = &args.background {
        return background::run(global, asked).await;
    }
    let Some(target) = args.target.clone() else {
        say!("bosun tunnel: name a TARGET (with --remote-port) or a saved tunnel");
        return 2;
    };
    if global.read_only {
        say!("bosun tunnel: refused by --read-only (a tunnel starts sessions)");
        return 2;
    }
    let specs = match args.remote_port {
        Some(remote_port) => vec![TunnelDef {
            name: target.clone(),
            target: target.clone(),
            remote_host: args.remote_host.clone(),
            remote_port,
            local_port: args.local_port,
            bind: args.bind,
            profile: None,
            region: None,
            sessions: args.sessions,
            account: None,
            lazy: false,
            idle_after: None,
        }],
        None => {
            let config = match super::load_config(global) {
                Ok(config) => config,
                Err(error) => {
                    say!("bosun tunnel: {error}");
                    return 2;
                }
            };
            match config.tunnels_named(&target) {
                Some(saved) => saved.into_iter().map(SavedTunnel::to_def).collect(),
                None => {
                    say!(
                        "bosun tunnel: no saved tunnel or group is named {:?} in {}; to tunnel to an instance, give --remote-port",
                        target,
                        super::config_path(global)
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    );
                    return 2;
                }
            }
        }
    };
    // A group's tunnels run side by side; Ctrl-C ends them all.
    // In a group each line names its tunnel, so the one that failed is known.
    let group = specs.len() > 1;
    let results = futures_util::future::join_all(
        specs
            .iter()
            .map(|spec| run_one(global, spec, args.retry, group)),
    )
    .await;
    results.into_iter().max().unwrap_or(0)
}

/// Runs one tunnel until Ctrl-C (status 0), or SIGTERM, SIGHUP or SIGQUIT (128 + N), either
/// way with its sessions ended at AWS. "Listening on …" is printed once the first session is ready,
/// so a script that waits for it can connect at once. When no session can start at first
/// (the target is not connected, stopped, denied…), it ends with the cause, the doctor's
/// view of it and status 1 — unless `retry`, which keeps trying with backoff.
async fn run_one(global: &GlobalArgs, args: &TunnelDef, retry: bool, group: bool) -> i32 {
    let who = if group {
        format!("bosun tunnel {}", args.name)
    } else {
        "bosun tunnel".to_owned()
    };
    let first = if group {
        format!("{}: ", args.name)
    } else {
        String::new()
    };
    if !args.bind.is_loopback() {
        say!(
            "{who}: WARNING: listening on {}, not loopback: anyone who can reach this machine can use the tunnel",
            args.bind
        );
    }
    let (config, args) = match tunnel_config(global, args.clone()).await {
        Ok(found) => found,
        Err(error) => {
            say!("{who}: {error}");
            return 2;
        }
    };
    let args = &args;
    let (events_tx, mut events) = mpsc::channel(64);
    let tunnel = tunnel::spawn(
        Box::pin(std::future::ready(Ok(config.clone()))),
        args.clone(),
        0,
        events_tx,
    );
    let mut listening: Option<String> = None;
    let mut serving = false;
    let mut failed: Option<(String, String)> = None;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut signals = Signals::outside();
    let mut stopping = false;
    // A signal's way out: its exit status, and how long the sessions' ends are waited for.
    let mut signalled: Option<(i32, tokio::time::Instant)> = None;
    loop {
        let give_up = async {
            match signalled {
                Some((_, deadline)) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let event = tokio::select! {
            event = events.recv() => event,
            _ = &mut ctrl_c, if !stopping => {
                stopping = true;
                tunnel.commands.send(TunnelCommand::Stop);
                continue;
            }
            leave = signals.next(), if signalled.is_none() => {
                say!("{who}: {leave}: ending the tunnel's sessions");
                stopping = true;
                signalled = Some((leave.exit_status(), tokio::time::Instant::now() + SIGNAL_PATIENCE));
                tunnel.commands.send(TunnelCommand::Stop);
                continue;
            }
            () = give_up => {
                say!("{who}: AWS did not confirm the end of every session in time");
                return signalled.map_or(FAILURE, |(status, _)| status);
            }
        };
        match event.map(|(_, event)| event) {
            // The first line is for people and scripts alike.
            Some(TunnelEvent::Listening {
                local,
                instance_id,
                destination,
            }) => listening = Some(format!("{local} -> {instance_id} -> {destination}")),
            Some(TunnelEvent::SessionReady { .. }) => {
                // The first line is for people and scripts alike: connections work now.
                if !serving && let Some(line) = &listening {
                    // Never a panic over a closed stdout (`| head -1`): the tunnel goes on.
                    let mut stdout = std::io::stdout().lock();
                    let _ = writeln!(stdout, "{first}Listening on {line}");
                    let _ = stdout.flush();
                }
                serving = true;
            }
            Some(TunnelEvent::Problem(problem)) if !serving && !retry && !stopping => {
                let instance_id = listening
                    .as_deref()
                    .and_then(|line| line.split(" -> ").nth(1))
                    .unwrap_or(&args.target)
                    .to_owned();
                failed = Some((problem, instance_id));
                stopping = true;
                tunnel.commands.send(TunnelCommand::Stop);
            }
            Some(TunnelEvent::ClosedByService { words, .. }) => {
                say!("{who}: the session ended: {words}");
            }
            Some(TunnelEvent::Said { .. }) if stopping => {}
            Some(TunnelEvent::Said { session, text }) => say!("{who}{session}: {text}"),
            Some(
                TunnelEvent::Problem(_)
                | TunnelEvent::Accepted { .. }
                | TunnelEvent::DestinationFailed,
            ) => {}
            Some(TunnelEvent::Stopped(Ok(()))) => {
                if let Some((status, _)) = signalled {
                    return status;
                }
                let Some((problem, instance_id)) = failed else {
                    return 0;
                };
                say!("{who}: {problem}");
                if let Some(hint) =
                    super::doctor::start_failure_hint(&config, &instance_id, &problem).await
                {
                    say!("{hint}");
                }
                say!("  (--retry keeps trying)");
                return 1;
            }
            Some(TunnelEvent::Stopped(Err(error))) => {
                say!("{who}: {error}");
                // Asked for what cannot be (no such instance, a destination its agent refuses):
                // 2, as everywhere; AWS or the network failing: 255.
                return match error {
                    TunnelError::Target(TargetError::Lookup { .. }) => FAILURE,
                    TunnelError::Target(_) | TunnelError::Refused(_) => 2,
                    _ => FAILURE,
                };
            }
            None => {
                say!("{who}: the tunnel stopped unexpectedly");
                return FAILURE;
            }
        }
    }
}
