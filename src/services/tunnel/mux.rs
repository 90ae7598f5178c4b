//! Multiplexed port forwarding (docs/protocol.md §7.3): smux over the session, one stream per
//! accepted connection, with the keep-alive the agent's version expects.

use std::num::NonZeroU64;
use std::sync::atomic::Ordering;

use async_smux::MuxBuilder;
use tokio::io::AsyncWriteExt;

use super::dispatch::{ActiveConnection, Registration};
use super::{
    AbortOnDrop, CHUNK, Ended, PortSession, Reporter, Resuming, SessionNumber, read_chunk,
};
use crate::protocol::PortFlag;
use crate::transport::{DriverEvent, Input};

/// smux over the session: one stream per accepted connection. Returns why it stopped.
pub(super) async fn serve_mux(
    registration: &mut Registration,
    session: &mut PortSession,
    say: &Reporter,
    label: SessionNumber,
) -> Ended {
    let stats = registration.dispatch.stats.clone();
    let mut resuming = Resuming::new(stats.clone());
    let (mux_side, channel_side) = tokio::io::duplex(1024 * 1024);
    let mut builder = MuxBuilder::client();
    let agent = session.info.agent_version.clone().unwrap_or_default();
    if crate::model::agent::wants_keepalive(&agent)
        && let Some(interval) = NonZeroU64::new(10)
    {
        builder.with_keep_alive_interval(interval);
    }
    let (connector, _acceptor, worker) = builder.with_connection(mux_side).build();
    tokio::spawn(worker);
    let (mut channel_read, mut channel_write) = tokio::io::split(channel_side);
    let input = session.input.clone();
    let counted = stats.clone();
    // Aborted when this future ends or is dropped (a stop while serving).
    let upload = AbortOnDrop(tokio::spawn(async move {
        while let Some(bytes) = read_chunk(&mut channel_read).await {
            counted
                .bytes_up
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            if input.send(Input::Data(bytes)).await.is_err() {
                return;
            }
        }
    }));
    let reason = loop {
        tokio::select! {
            accepted = registration.connections.recv() => {
                let Some(mut local) = accepted else { continue };
                let active = ActiveConnection::of(registration);
                let peer = local.peer();
                say.accepted(&session.session_id, peer.clone());
                match connector.connect() {
                    Ok(mut stream) => {
                        tokio::spawn(async move {
                            // 64 KiB buffers, not tokio's 8 KiB: at speed, an eighth
                            // of the syscalls and of the local client's wake-ups.
                            let result = tokio::io::copy_bidirectional_with_sizes(
                                &mut local, &mut stream, CHUNK, CHUNK,
                            )
                            .await;
                            tracing::debug!(%peer, ?result, "tunnel connection closed");
                            drop(active);
                        });
                    }
                    Err(error) => {
                        say.say(label, format!("cannot open a stream for {peer}: {error}"));
                        say.problem(format!("cannot open a stream: {error}"));
                    }
                }
            }
            event = session.events.recv() => match event {
                Some(DriverEvent::Output(bytes)) => {
                    stats.bytes_down.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    if channel_write.write_all(&bytes).await.is_err() {
                        break Ended {
                            reason: "the multiplexer stopped".to_owned(),
                            closed_by_service: false,
                            words: None,
                        };
                    }
                }
                Some(DriverEvent::Flag(PortFlag::ConnectToPortError)) => {
                    say.say(label, "the agent could not connect to the destination port; that connection was closed");
                    say.destination_failed();
                }
                Some(other) => resuming.follow(&other, say, label),
                None => break Ended::of(&mut session.driver).await,
            },
        }
    };
    drop(upload);
    reason
}
