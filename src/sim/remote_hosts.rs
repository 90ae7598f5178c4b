//! The services behind the fleet's instances that port forwards reach: the remote hosts a
//! bastion forwards to (a database that echoes, a banner), started on loopback ports, and
//! where a forward's destination resolves.

use std::collections::HashMap;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::SimState;
use super::fleet::Fleet;

/// Loopback only: `localhost` and loopback addresses reach this machine's ports; fleet remote
/// hosts reach the services the simulator started; anything else cannot be dialled.
pub(crate) fn resolve_destination(
    state: &SimState,
    host: Option<&str>,
    port: u16,
) -> Option<SocketAddr> {
    match host {
        None | Some("localhost") => Some(SocketAddr::from(([127, 0, 0, 1], port))),
        Some(host) => {
            if let Ok(ip) = host.parse::<std::net::IpAddr>() {
                return ip.is_loopback().then_some(SocketAddr::new(ip, port));
            }
            let registry = state.sessions.lock().ok()?;
            registry.remote_hosts.get(&(host.to_owned(), port)).copied()
        }
    }
}

/// Starts the fleet's remote hosts (e.g. the database behind the bastion) on loopback ports.
pub(crate) async fn start_remote_hosts(fleet: &Fleet) -> HashMap<(String, u16), SocketAddr> {
    let mut hosts = HashMap::new();
    for remote in &fleet.remote_hosts {
        let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else {
            continue;
        };
        let Ok(addr) = listener.local_addr() else {
            continue;
        };
        let banner = (remote.service == "banner")
            .then(|| format!("{} ready (simulated by bosun)\r\n", remote.host));
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let banner = banner.clone();
                tokio::spawn(async move {
                    if let Some(banner) = banner {
                        let _ = stream.write_all(banner.as_bytes()).await;
                    }
                    let mut buffer = vec![0u8; 64 * 1024];
                    while let Ok(n) = stream.read(&mut buffer).await {
                        if n == 0 || stream.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        hosts.insert((remote.host.clone(), remote.port), addr);
    }
    hosts
}
