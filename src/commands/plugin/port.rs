//! The plugin's port forwarding (AWS-StartPortForwardingSession and …ToRemoteHost): the
//! session the AWS CLI started is served by the tunnel service, the same code as `bosun
//! tunnel` (many connections at once over smux, or one at a time with old agents; resume on
//! drops; a session that fails replaced from the original request), and stdout carries the
//! official plugin's lines:
//!
//! ```text
//! multiplexed  "Port P opened for sessionId S." "\nWaiting for connections...\n"
//!              "\nConnection accepted for session [S]\n"          (first connection only)
//! basic        "Port P opened for sessionId S.\n"
//!              "Connection accepted for session S.\n"             (first connection only)
//! Unix socket  "Unix socket PATH opened for sessionId S." instead of the port line
//! Ctrl-C       "Terminate signal received, exiting.\n" "\n\nExiting session with sessionId: S.\n\n"
//!              (SIGINT, SIGQUIT, SIGTSTP: status 0; SIGTERM, SIGHUP, which kill the official
//!              plugin where it stands: the same lines, the session ended, status 128 + N)
//! closed       "\n\nExiting session with sessionId: S.\n\n"
//!              or, when the service gave its words, "\n\nSessionId: S : WORDS\n\n"
//! refused      "\nConnection to destination port failed, check SSM Agent logs.\n"
//! ```
//!
//! Where the official plugin hangs on a local port already in use (its multiplexed mode waits
//! forever), bosun tells the agent to end, terminates the session and says why.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::sync::mpsc;

use super::{StartArgs, print_flushed};
use crate::protocol::SessionInfo;
use crate::services::session::{Driven, StartRequest};
use crate::services::sources::SessionClients;
use crate::services::tunnel::{self, Attached, ListenOn, PortSession, TunnelCommand, TunnelEvent};

/// Serves the port session until it ends, Ctrl-C, or it cannot listen.
pub(super) async fn forward(
    start: StartArgs,
    clients: SessionClients,
    driven: Driven,
    info: SessionInfo,
    mut outside: crate::signals::Signals,
) -> i32 {
    let session_id = start.response.session_id.clone();
    let multiplexed = info
        .agent_version
        .as_deref()
        .is_some_and(crate::model::agent::multiplexes);
    let listen = listen_on(&info);
    let request = start.document.clone().map(|document| StartRequest {
        target: start.target.clone(),
        document,
        // The local port is the listener's, filled in by the tunnel.
        parameters: start
            .parameters
            .iter()
            .filter(|(name, _)| name != "localPortNumber")
            .cloned()
            .collect(),
    });
    let (events_tx, mut events) = mpsc::channel(64);
    let attached = Attached {
        clients,
        session: PortSession::ready(driven, info),
        listen,
        instance_id: start.target.clone(),
        request,
    };
    let tunnel = tunnel::spawn_attached(attached, 0, events_tx);
    let mut signals = Signals::new();
    let mut accepted = false;
    let mut explained = false;
    let mut interrupted = false;
    // A signal death's status for SIGTERM and SIGHUP; the official plugin's 0 for the rest.
    let mut signal_status = None;
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = signals.next(), if !interrupted => {
                interrupted = true;
                print_flushed("Terminate signal received, exiting.\n");
                tunnel.commands.send(TunnelCommand::Stop);
                continue;
            }
            leave = outside.next(), if !interrupted => {
                interrupted = true;
                if leave != crate::signals::Leave::Quit {
                    signal_status = Some(leave.exit_status());
                }
                print_flushed("Terminate signal received, exiting.\n");
                tunnel.commands.send(TunnelCommand::Stop);
                continue;
            }
        };
        let Some((_, event)) = event else {
            return 1;
        };
        match event {
            TunnelEvent::Listening { local, .. } => {
                let opened = match &local {
                    ListenOn::Tcp(address) => {
                        format!("Port {} opened for sessionId {session_id}.", address.port())
                    }
                    ListenOn::Unix(path) => format!(
                        "Unix socket {} opened for sessionId {session_id}.",
                        path.display()
                    ),
                };
                if multiplexed {
                    print_flushed(&format!("{opened}\nWaiting for connections...\n"));
                } else {
                    print_flushed(&format!("{opened}\n"));
                }
            }
            TunnelEvent::Accepted { session_id, .. } if !accepted => {
                accepted = true;
                if multiplexed {
                    print_flushed(&format!(
                        "\nConnection accepted for session [{session_id}]\n"
                    ));
                } else {
                    print_flushed(&format!("Connection accepted for session {session_id}.\n"));
                }
            }
            TunnelEvent::Accepted { .. } | TunnelEvent::SessionReady { .. } => {}
            TunnelEvent::DestinationFailed => {
                print_flushed("\nConnection to destination port failed, check SSM Agent logs.\n");
            }
            TunnelEvent::Said { session, text } => tracing::info!("session{session}: {text}"),
            TunnelEvent::Problem(text) => say!("[bosun] {}", text),
            // The plugin's words for a close the service explains (the agent refused the
            // destination): in place of the exiting line.
            TunnelEvent::ClosedByService { session_id, words } => {
                print_flushed(&format!("\n\nSessionId: {session_id} : {words}\n\n"));
                explained = true;
            }
            TunnelEvent::Stopped(Ok(())) => {
                if !explained {
                    print_flushed(&format!(
                        "\n\nExiting session with sessionId: {session_id}.\n\n"
                    ));
                }
                return signal_status.unwrap_or(0);
            }
            TunnelEvent::Stopped(Err(error)) => {
                print_flushed(&format!("Cannot perform start session: {error}\n"));
                return 1;
            }
        }
    }
}

/// Where the official plugin listens: the Unix socket when the session asks for one
/// (`localConnectionType` "unix" with `localUnixSocket`), else `localPortNumber` on the
/// loopback address (0 or absent: a free port).
fn listen_on(info: &SessionInfo) -> ListenOn {
    let property = |name: &str| {
        info.properties
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    };
    if property("localConnectionType") == Some("unix")
        && let Some(path) = property("localUnixSocket")
    {
        return ListenOn::Unix(PathBuf::from(path));
    }
    let port = property("localPortNumber")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(0);
    ListenOn::Tcp(SocketAddr::from(([127, 0, 0, 1], port)))
}

/// The signals that end a port session in the official plugin with status 0: SIGINT and
/// SIGTSTP here, SIGQUIT through the signals every session command listens for.
struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            // SIGTSTP's number differs between Linux (20) and macOS (18, where 20 is SIGCHLD).
            let kinds = [
                SignalKind::interrupt(),
                SignalKind::from_raw(rustix::process::Signal::TSTP.as_raw()),
            ];
            Signals {
                streams: kinds.into_iter().filter_map(|k| signal(k).ok()).collect(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Resolves at the next of them.
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                std::future::pending::<()>().await;
            }
            let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            let _ = futures_util::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(properties: serde_json::Value) -> SessionInfo {
        SessionInfo {
            session_type: "Port".to_owned(),
            properties,
            ..SessionInfo::default()
        }
    }

    #[test]
    fn the_listener_follows_the_session_properties() {
        let port =
            info(serde_json::json!({"type": "LocalPortForwarding", "localPortNumber": "15432"}));
        assert_eq!(
            listen_on(&port),
            ListenOn::Tcp(SocketAddr::from(([127, 0, 0, 1], 15432)))
        );
        let any = info(serde_json::json!({"type": "LocalPortForwarding", "localPortNumber": ""}));
        assert_eq!(listen_on(&any).port(), Some(0), "empty: a free port");
        let unix = info(serde_json::json!({
            "type": "LocalPortForwarding",
            "localConnectionType": "unix",
            "localUnixSocket": "/tmp/db.sock"
        }));
        assert_eq!(
            listen_on(&unix),
            ListenOn::Unix(PathBuf::from("/tmp/db.sock"))
        );
    }
}
