//! Where there is no Unix PTY (Windows, until a ConPTY takes its place): an interactive
//! session ends at once, saying why.

use tokio::sync::mpsc;

use super::super::AgentPacing;
use super::ShellHome;
use crate::protocol::Event;
use crate::transport::agent::AgentInput;

/// The session ends, saying there is no PTY here.
pub(crate) async fn run_pty(
    _home: ShellHome,
    _command: Option<String>,
    _pacing: AgentPacing,
    _events: mpsc::Receiver<Event>,
    output: mpsc::Sender<AgentInput>,
) {
    let _ = output
        .send(AgentInput::Close(Some(
            "the simulator's interactive shells need a Unix PTY, which this platform build does not have yet".to_owned(),
        )))
        .await;
}
