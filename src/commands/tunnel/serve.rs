//! `bosun tunnel serve`: the per-user process that keeps background tunnels. It leaves the
//! terminal's session (closing the terminal does not end it), takes the socket, answers the
//! local API, and ends when its last tunnel is down or when told to stop (SIGTERM, SIGINT,
//! SIGQUIT), ending every session at AWS first. SIGHUP is ignored: it has no terminal.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::GlobalArgs;
use crate::model::tunnel_api::Context;
use crate::services::tunnel_host::api::{self, BindError};
use crate::services::tunnel_host::{Host, Resolve};
use crate::signals::{Leave, Signals};

/// How long a server nobody gives a tunnel waits before it ends.
const UNUSED: Duration = Duration::from_secs(60);

pub async fn run(global: &GlobalArgs, socket: &Path) -> i32 {
    let mut signals = Signals::all();
    // Its own session, no controlling terminal: the terminal's hang-up is not its end.
    crate::platform::leave_terminal_session();
    let listener = match api::bind(socket) {
        Ok(bound) => bound,
        Err(error @ BindError::AlreadyServed(_)) => {
            say!("bosun tunnel serve: {error}");
            return 0;
        }
        Err(error) => {
            say!("bosun tunnel serve: {error}");
            return 1;
        }
    };
    tracing::info!(socket = %socket.display(), "serving background tunnels");
    let base = global.clone();
    let resolve: Resolve = Arc::new(move |def, context| {
        let global = asked_by(&base, &context);
        Box::pin(async move { super::tunnel_config(&global, def).await })
    });
    let host = Host::new(resolve);
    let server = tokio::spawn(api::serve(host.clone(), listener));
    let mut count = host.count();
    let mut status = 0;
    let unused = tokio::time::sleep(UNUSED);
    tokio::pin!(unused);
    let mut used = false;
    loop {
        tokio::select! {
            changed = count.changed() => {
                if changed.is_err() {
                    break;
                }
                let tunnels = *count.borrow_and_update();
                used |= tunnels > 0;
                if used && tunnels == 0 {
                    tracing::info!("the last background tunnel is down");
                    break;
                }
            }
            leave = signals.next() => {
                if leave == Leave::Hangup {
                    continue;
                }
                tracing::info!(signal = %leave, "ending every background tunnel");
                status = leave.exit_status();
                break;
            }
            () = &mut unused, if !used => {
                tracing::info!("no tunnel was asked for");
                break;
            }
        }
    }
    // New clients start a new server from here on; this one ends its sessions.
    api::unbind(socket);
    server.abort();
    host.down(&[], true).await;
    status
}

/// The global options a tunnel was asked for with: the server's own, with the asking
/// command's profile, region, endpoint and --org.
fn asked_by(base: &GlobalArgs, context: &Context) -> GlobalArgs {
    let mut global = base.clone();
    global.profile = context.profile.iter().cloned().collect();
    global.region = context.region.iter().cloned().collect();
    global.endpoint_url = context.endpoint_url.clone();
    global.org = context.org;
    global
}
