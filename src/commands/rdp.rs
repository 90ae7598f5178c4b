//! `bosun rdp TARGET`: Remote Desktop to a Windows instance in one command. A tunnel to its
//! port 3389 (the tunnel service, loopback only), then the system's RDP client on it; with
//! `--password KEYFILE`, the Administrator password from EC2 GetPasswordData decrypted with the
//! key pair's private key and handed to the client on its stdin, or printed once where the
//! client cannot take it. The tunnel ends (TerminateSession) when the client exits, on Ctrl-C,
//! or on a signal.

use std::io::Write as _;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::sync::mpsc;

use crate::cli::{GlobalArgs, RdpArgs};
use crate::model::rdp::RdpClient;
use crate::model::tunnel::TunnelDef;
use crate::services::session::FAILURE;
use crate::services::tunnel::{self, TunnelCommand, TunnelEvent, TunnelHandle};
use crate::signals::Signals;

const RDP_PORT: u16 = 3389;

pub async fn run(global: &GlobalArgs, args: &RdpArgs) -> i32 {
    if global.read_only {
        say!("bosun rdp: refused by --read-only (a tunnel starts sessions)");
        return 2;
    }
    let key = match &args.password {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(key) => Some(key),
            Err(error) => {
                say!(
                    "bosun rdp: cannot read the key file {}: {error}",
                    path.display()
                );
                return 2;
            }
        },
        None => None,
    };
    let def = TunnelDef {
        local_port: args.local_port,
        ..TunnelDef::new("rdp", args.target.clone(), RDP_PORT)
    };
    let (config, def) = match super::tunnel::tunnel_config(global, def).await {
        Ok(found) => found,
        Err(error) => {
            say!("bosun rdp: {error}");
            return 2;
        }
    };
    let mut signals = Signals::outside();
    let (events_tx, mut events) = mpsc::channel(64);
    let tunnel = tunnel::spawn(
        Box::pin(std::future::ready(Ok(config.clone()))),
        def.clone(),
        0,
        events_tx,
    );
    // Until the session is ready: where it listens, or why it cannot.
    let mut listening = None;
    let ready = loop {
        let event = tokio::select! {
            event = events.recv() => event.map(|(_, event)| event),
            _ = tokio::signal::ctrl_c() => break Err(None),
            leave = signals.next() => break Err(Some(leave.exit_status())),
        };
        match event {
            Some(TunnelEvent::Listening {
                local, instance_id, ..
            }) => listening = Some((local.to_string(), instance_id)),
            Some(TunnelEvent::SessionReady { .. }) => break Ok(()),
            Some(TunnelEvent::Problem(problem)) => {
                say!("bosun rdp: {problem}");
                if let Some((_, instance_id)) = &listening
                    && let Some(hint) =
                        super::doctor::start_failure_hint(&config, instance_id, &problem).await
                {
                    say!("{hint}");
                }
                break Err(Some(1));
            }
            Some(TunnelEvent::Stopped(Err(error))) => {
                say!("bosun rdp: {error}");
                return 2;
            }
            Some(TunnelEvent::Stopped(Ok(()))) | None => return FAILURE,
            Some(_) => {}
        }
    };
    let (address, instance_id) = match (ready, listening) {
        (Ok(()), Some(found)) => found,
        (Err(status), _) => return end(tunnel, &mut events, status.unwrap_or(0)).await,
        (Ok(()), None) => return end(tunnel, &mut events, FAILURE).await,
    };
    let password = match &key {
        Some(key) => {
            let ec2 = aws_sdk_ec2::Client::new(&config);
            match crate::aws::windows_password::administrator_password(&ec2, &instance_id, key)
                .await
            {
                Ok(password) => Some(password),
                Err(error) => {
                    say!("bosun rdp: {error}");
                    return end(tunnel, &mut events, 1).await;
                }
            }
        }
        None => None,
    };
    let client = (!args.no_client)
        .then(|| crate::services::rdp::client_here(&address, &args.user, password.is_some()))
        .flatten();
    let status = match client {
        Some(client) => {
            run_client(
                &client,
                &address,
                &args.user,
                password.as_deref(),
                &mut signals,
            )
            .await
        }
        None => {
            if !args.no_client {
                say!(
                    "bosun rdp: no RDP client found (mstsc, open, xfreerdp, remmina): connect yours"
                );
            }
            print_once(&address, &args.user, password.as_deref());
            say!("bosun rdp: Ctrl-C ends the tunnel");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => 0,
                leave = signals.next() => leave.exit_status(),
            }
        }
    };
    end(tunnel, &mut events, status).await
}

/// The client on the tunnel, until it exits (or, for a launcher that returns at once, until
/// Ctrl-C); its exit status, or a signal's.
async fn run_client(
    client: &RdpClient,
    address: &str,
    user: &str,
    password: Option<&str>,
    signals: &mut Signals,
) -> i32 {
    say!(
        "bosun rdp: {address} (user {user}): starting {}",
        client.program
    );
    if !client.password_on_stdin {
        // The client cannot take it safely: the user pastes it.
        if let Some(password) = password {
            print_once(address, user, Some(password));
        }
    }
    let mut command = tokio::process::Command::new(&client.program);
    command.args(&client.args).kill_on_drop(true);
    if client.password_on_stdin {
        command.stdin(std::process::Stdio::piped());
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            say!("bosun rdp: cannot start {}: {error}", client.program);
            print_once(address, user, password);
            return 1;
        }
    };
    if let (Some(password), Some(mut stdin)) = (password, child.stdin.take()) {
        let _ = stdin.write_all(format!("{password}\n").as_bytes()).await;
        drop(stdin);
    }
    if !client.waits {
        say!("bosun rdp: Ctrl-C ends the tunnel");
        return tokio::select! {
            _ = tokio::signal::ctrl_c() => 0,
            leave = signals.next() => leave.exit_status(),
        };
    }
    tokio::select! {
        status = child.wait() => status.ok().and_then(|s| s.code()).unwrap_or(1),
        _ = tokio::signal::ctrl_c() => 0,
        leave = signals.next() => leave.exit_status(),
    }
}

/// The address, the user and the password, once, on stdout.
fn print_once(address: &str, user: &str, password: Option<&str>) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "address: {address}");
    let _ = writeln!(stdout, "user: {user}");
    if let Some(password) = password {
        let _ = writeln!(stdout, "password: {password}");
    }
    let _ = stdout.flush();
}

/// Stops the tunnel and waits (a while) for its session to end at AWS; `status`.
async fn end(
    tunnel: TunnelHandle,
    events: &mut mpsc::Receiver<(u64, TunnelEvent)>,
    status: i32,
) -> i32 {
    tunnel.commands.send(TunnelCommand::Stop);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some((_, event)) = events.recv().await {
            if matches!(event, TunnelEvent::Stopped(_)) {
                return;
            }
        }
    })
    .await;
    status
}
