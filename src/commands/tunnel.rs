//! `bosun tunnel` and `bosun proxy`. A tunnel from the command line or a saved tunnel (or
//! group) from the configuration runs through the tunnel service until Ctrl-C; the first line
//! on stdout says where it listens. `bosun proxy` is the SSH ProxyCommand byte pipe: an
//! AWS-StartSSHSession on stdin/stdout.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;

use crate::aws;
use crate::cli::{GlobalArgs, ProxyArgs, ShellArgs, TunnelArgs};
use crate::config::SavedTunnel;
use crate::model::tunnel::TunnelDef;
use crate::services::session::FAILURE;
use crate::services::tunnel::{self, Say, TunnelStats};

/// `bosun proxy TARGET PORT`: AWS-StartSSHSession on this process's stdin/stdout.
pub async fn proxy(global: &GlobalArgs, args: &ProxyArgs) -> i32 {
    let shell = ShellArgs {
        target: args.target.clone(),
        document: "AWS-StartSSHSession".to_owned(),
        param: vec![("portNumber".to_owned(), args.port.to_string())],
    };
    super::shell::run(global, &shell).await
}

pub async fn run(global: &GlobalArgs, args: &TunnelArgs) -> i32 {
    if global.read_only {
        eprintln!("bosun tunnel: refused by --read-only (a tunnel starts sessions)");
        return 2;
    }
    let specs = match args.remote_port {
        Some(remote_port) => vec![TunnelDef {
            name: args.target.clone(),
            target: args.target.clone(),
            remote_host: args.remote_host.clone(),
            remote_port,
            local_port: args.local_port,
            bind: args.bind,
            profile: None,
            region: None,
            sessions: args.sessions,
        }],
        None => {
            let config = match super::load_config(global) {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("bosun tunnel: {error}");
                    return 2;
                }
            };
            match config.tunnels_named(&args.target) {
                Some(saved) => saved.into_iter().map(SavedTunnel::to_def).collect(),
                None => {
                    eprintln!(
                        "bosun tunnel: no saved tunnel or group is named {:?} in {}; to tunnel to an instance, give --remote-port",
                        args.target,
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
    let results =
        futures_util::future::join_all(specs.iter().map(|spec| run_one(global, spec))).await;
    results.into_iter().max().unwrap_or(0)
}

async fn run_one(global: &GlobalArgs, args: &TunnelDef) -> i32 {
    if !args.bind.is_loopback() {
        eprintln!(
            "bosun tunnel: WARNING: listening on {}, not loopback: anyone who can reach this machine can use the tunnel",
            args.bind
        );
    }
    let config = aws::load_config(
        args.profile
            .as_deref()
            .or(global.profile.first().map(String::as_str)),
        args.region
            .as_deref()
            .or(global.region.first().map(String::as_str)),
        global.endpoint_url.as_deref(),
    )
    .await;
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop_tx.send(true);
        }
    });
    let say: Say = Arc::new(|text: &str| eprintln!("bosun tunnel{text}"));
    let stats = Arc::new(TunnelStats::default());
    let listening = |local: SocketAddr, instance_id: &str, destination: &str| {
        // The first line is for people and scripts alike.
        println!("Listening on {local} -> {instance_id} -> {destination}");
    };
    match tunnel::serve(&config, args, stats, say, stop, listening).await {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("bosun tunnel: {error}");
            FAILURE
        }
    }
}
