//! The console's window on the background process (`bosun tunnel serve`): its tunnels read
//! each second into the reducer, and the starts and stops the Tunnels view asks of it. The
//! console never owns those tunnels: quitting leaves them running.

use std::time::Duration;

use tokio::sync::mpsc;

use super::Console;
use crate::app::Input;
use crate::model::tunnel::TunnelDef;
use crate::model::tunnel_api::{Request, TunnelSpec};
use crate::services::tunnel_host::api::{Client, connect_or_start};
use crate::tui::BackgroundTunnels;

/// How often the background process's tunnels are read.
const EVERY: Duration = Duration::from_secs(1);

/// Reads the background process's tunnels each second, for as long as the console runs.
pub(super) fn spawn_reader(link: &BackgroundTunnels, news: mpsc::Sender<Input>) {
    let socket = link.socket.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            let listed = list(&socket).await;
            if news.send(Input::BackgroundTunnels(listed)).await.is_err() {
                return;
            }
        }
    });
}

/// The background process's tunnels, or `None` when none answers.
async fn list(socket: &std::path::Path) -> Option<Vec<crate::model::tunnel_api::Status>> {
    let mut client = Client::connect(socket).await.ok()?;
    let answer = client
        .ask(&Request::List { names: Vec::new() })
        .await
        .ok()?;
    answer.ok.then_some(answer.tunnels)
}

impl Console {
    /// Hands tunnels to the background process (starting it if none runs); what it answers
    /// becomes the notice.
    pub(super) fn background_up(&self, defs: Vec<TunnelDef>) {
        let Some(link) = self.background.clone() else {
            self.say_unavailable();
            return;
        };
        let news = self.background_news.clone();
        tokio::spawn(async move {
            let said = match connect_or_start(&link.socket, link.config_file.as_deref()).await {
                Ok(mut client) => {
                    let request = Request::Up {
                        tunnels: defs.iter().map(TunnelSpec::from).collect(),
                        context: link.context.clone(),
                    };
                    match client.ask(&request).await {
                        Ok(answer) if answer.ok && answer.failed.is_empty() => {
                            answer
                                .tunnels
                                .iter()
                                .map(|s| {
                                    format!("{} on {}", s.name, s.address.as_deref().unwrap_or("-"))
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                                + " in the background: it stays after you quit"
                        }
                        Ok(answer) if answer.ok => answer
                            .failed
                            .iter()
                            .map(|f| format!("{} could not start: {}", f.name, f.error))
                            .collect::<Vec<_>>()
                            .join("; "),
                        Ok(answer) => answer.error.unwrap_or_default(),
                        Err(error) => {
                            format!("the background tunnels' process did not answer: {error}")
                        }
                    }
                }
                Err(error) => error,
            };
            let _ = news.send(Input::BackgroundSaid(said)).await;
            let _ = news
                .send(Input::BackgroundTunnels(list(&link.socket).await))
                .await;
        });
    }

    /// Stops background tunnels by name.
    pub(super) fn background_down(&self, names: Vec<String>) {
        let Some(link) = self.background.clone() else {
            self.say_unavailable();
            return;
        };
        let news = self.background_news.clone();
        tokio::spawn(async move {
            let said = match Client::connect(&link.socket).await {
                Ok(mut client) => match client.ask(&Request::Down { names, all: false }).await {
                    Ok(answer) if answer.ok => {
                        format!("{} stopped in the background", answer.stopped.join(", "))
                    }
                    Ok(answer) => answer.error.unwrap_or_default(),
                    Err(error) => {
                        format!("the background tunnels' process did not answer: {error}")
                    }
                },
                Err(_) => "no background tunnels are running".to_owned(),
            };
            let _ = news.send(Input::BackgroundSaid(said)).await;
            let _ = news
                .send(Input::BackgroundTunnels(list(&link.socket).await))
                .await;
        });
    }

    /// The system's RDP client on `address`, its output kept off the console's screen; what
    /// happened becomes the notice.
    pub(super) fn launch_rdp(&self, address: &str) {
        let client = crate::services::rdp::client_here(address, "Administrator", false);
        let said = match client {
            Some(client) => match std::process::Command::new(&client.program)
                .args(&client.args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
            {
                Ok(child) => {
                    // Collected when it exits; the tunnel stays until stopped in the view.
                    std::thread::spawn(move || {
                        let mut child = child;
                        let _ = child.wait();
                    });
                    format!(
                        "{} started on {address} (user Administrator); the tunnel stays until you stop it (t)",
                        client.program
                    )
                }
                Err(error) => format!(
                    "cannot start {}: {error}; connect an RDP client to {address}",
                    client.program
                ),
            },
            None => format!(
                "no RDP client found (mstsc, open, xfreerdp, remmina): connect yours to {address}"
            ),
        };
        let _ = self.background_news.try_send(Input::BackgroundSaid(said));
    }

    fn say_unavailable(&self) {
        let news = self.background_news.clone();
        let _ = news.try_send(Input::BackgroundSaid(
            "background tunnels need real AWS: the demo's simulated AWS ends with the console"
                .to_owned(),
        ));
    }
}
