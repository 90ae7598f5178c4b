//! The WebSocket drivers over loopback: bosun's client driver against the agent driver, a
//! forced drop mid-transfer resumed through the hook, an expired session, `channel_closed`,
//! and the real `bosun session-manager-plugin` binary in shell and pipe modes.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bosun::protocol::{
    AgentParams, CLIENT_VERSION, ClientParams, CloseReason, Event, Session, SessionConfig, SizeData,
};
use bosun::transport::agent::{self, AgentInput, ChannelFaults, ConnectionEnd, HeldInput};
use bosun::transport::{
    DriverConfig, DriverEvent, Input, MAX_WEBSOCKET_MESSAGE, ResumeHook, Resumed, SessionEnd,
    StreamTarget, TransportError,
};
use bytes::Bytes;
use futures_util::SinkExt;
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

const SESSION_ID: &str = "user-0123456789abcdef0";

/// How the fake agent's application behaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum App {
    /// Echo every byte back (after a `$ ` prompt, unless it is a port session).
    Echo,
    /// A toy shell: prompt first, echo input, Ctrl-D ends the session.
    Shell,
    /// Say goodbye and close at once.
    CloseWith,
}

/// A loopback data-channel endpoint serving one agent session across reconnects.
struct FakeAgent {
    addr: SocketAddr,
    token: Arc<Mutex<String>>,
    opens: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    sizes: Arc<Mutex<Vec<SizeData>>>,
    cut: mpsc::Sender<()>,
}

impl FakeAgent {
    fn url(&self) -> String {
        format!(
            "ws://{}/v1/data-channel/{SESSION_ID}?role=publish_subscribe",
            self.addr
        )
    }
}

async fn start_agent(params: AgentParams, app: App) -> FakeAgent {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let token = Arc::new(Mutex::new("token-0".to_owned()));
    let opens = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let (cut, mut cut_rx) = mpsc::channel::<()>(4);
    let (agent_tx, mut agent_rx) = mpsc::channel::<AgentInput>(64);
    let (events_tx, mut events_rx) = mpsc::channel::<Event>(256);

    // The agent's application.
    let app_sizes = sizes.clone();
    let prompt = params.session_type != "Port";
    tokio::spawn(async move {
        if prompt && app != App::CloseWith {
            let _ = agent_tx
                .send(AgentInput::Output(Bytes::from_static(b"$ ")))
                .await;
        }
        if app == App::CloseWith {
            let _ = agent_tx
                .send(AgentInput::Output(Bytes::from_static(b"bye\r\n")))
                .await;
            let _ = agent_tx
                .send(AgentInput::Close(Some(
                    "Your session timed out due to inactivity.".into(),
                )))
                .await;
        }
        while let Some(event) = events_rx.recv().await {
            match event {
                // Input and the Ctrl-D after it may come in one message (the client sends
                // what is queued together): echo what came before it, then end.
                Event::Output(bytes) if app == App::Shell && bytes.contains(&0x04) => {
                    let before = bytes.split(|b| *b == 0x04).next().unwrap_or_default();
                    if !before.is_empty() {
                        let _ = agent_tx
                            .send(AgentInput::Output(Bytes::copy_from_slice(before)))
                            .await;
                    }
                    let _ = agent_tx.send(AgentInput::Close(None)).await;
                }
                Event::Output(bytes) => {
                    let _ = agent_tx.send(AgentInput::Output(bytes)).await;
                }
                Event::Size(size) => app_sizes.lock().expect("lock").push(size),
                _ => {}
            }
        }
    });

    let server_token = token.clone();
    let server_opens = opens.clone();
    let server_refused = refused.clone();
    tokio::spawn(async move {
        let mut session = Session::agent(
            SessionConfig::default(),
            params,
            Instant::now(),
            1_700_000_000_000,
        );
        let mut held = HeldInput::default();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else {
                continue;
            };
            let open = match agent::read_open_frame(&mut socket, Duration::from_secs(5)).await {
                Ok(open) => open,
                Err(_) => continue,
            };
            let expected = server_token.lock().expect("lock").clone();
            if !agent::tokens_match(&expected, &open.token_value) {
                server_refused.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            server_opens.fetch_add(1, Ordering::SeqCst);
            let cut_signal = async {
                cut_rx.recv().await;
                agent::Cut::Close
            };
            let mut faults = ChannelFaults::default();
            let end = agent::serve_connection(
                socket,
                &mut session,
                &mut agent_rx,
                &mut held,
                &events_tx,
                &mut faults,
                cut_signal,
            )
            .await;
            if let ConnectionEnd::SessionClosed(_) = end {
                return;
            }
        }
    });
    FakeAgent {
        addr,
        token,
        opens,
        refused,
        sizes,
        cut,
    }
}

/// ResumeSession against the fake agent: rotates its token, or reports the session expired.
struct Resume {
    token: Arc<Mutex<String>>,
    calls: AtomicUsize,
    expired: bool,
}

impl ResumeHook for Resume {
    fn resume<'a>(
        &'a self,
        _session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Resumed>, String>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if self.expired {
                return Ok(None);
            }
            let fresh = format!("token-{n}");
            *self.token.lock().expect("lock") = fresh.clone();
            Ok(Some(Resumed {
                token: fresh,
                stream_url: None,
            }))
        })
    }
}

fn shell_params() -> AgentParams {
    AgentParams {
        session_id: SESSION_ID.into(),
        target: "i-0123456789abcdef0".into(),
        session_type: "Standard_Stream".into(),
        properties: serde_json::Value::Null,
        agent_version: "3.3.987.0".into(),
        kms_key_id: None,
    }
}

struct Client {
    input: mpsc::Sender<Input>,
    events: mpsc::Receiver<DriverEvent>,
    driver: tokio::task::JoinHandle<Result<SessionEnd, TransportError>>,
    resume: Arc<Resume>,
}

fn start_client(agent: &FakeAgent, expired: bool) -> Client {
    let resume = Arc::new(Resume {
        token: agent.token.clone(),
        calls: AtomicUsize::new(0),
        expired,
    });
    let target = StreamTarget {
        session_id: SESSION_ID.into(),
        stream_url: agent.url(),
        token: "token-0".into(),
        client_id: uuid::Uuid::new_v4().to_string(),
        client_version: CLIENT_VERSION.into(),
        signer: None,
        endpoint: None,
    };
    let session = Session::client(
        SessionConfig::default(),
        ClientParams {
            session_id: SESSION_ID.into(),
            target: "i-0123456789abcdef0".into(),
            client_version: CLIENT_VERSION.into(),
        },
        Instant::now(),
        1_700_000_000_000,
    );
    let (input, input_rx) = mpsc::channel(16);
    let (events_tx, events) = mpsc::channel(64);
    let config = DriverConfig {
        backoff_initial: Duration::from_millis(10),
        ..DriverConfig::default()
    };
    let driver = tokio::spawn(bosun::transport::run_client(
        target,
        session,
        resume.clone(),
        None,
        input_rx,
        events_tx,
        config,
    ));
    Client {
        input,
        events,
        driver,
        resume,
    }
}

#[tokio::test]
async fn a_drop_mid_transfer_is_resumed_without_losing_a_byte() {
    let agent = start_agent(shell_params(), App::Echo).await;
    let mut client = start_client(&agent, false);
    // A plain shell has no handshake: the agent's prompt makes the client ready.
    let size = 8 * 1024 * 1024;
    let payload: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let expected = Sha256::digest(&payload);
    let sender = client.input.clone();
    let upload = Bytes::from(payload);
    tokio::spawn(async move {
        for chunk in upload.chunks(64 * 1024) {
            if sender
                .send(Input::Data(Bytes::copy_from_slice(chunk)))
                .await
                .is_err()
            {
                return;
            }
        }
    });

    let mut received = Vec::with_capacity(size + 2);
    let mut cut_done = false;
    let mut saw_reconnecting = false;
    let mut saw_reconnected = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while received.len() < size + 2 {
        let event = tokio::time::timeout_at(deadline, client.events.recv())
            .await
            .expect("transfer finished in time")
            .expect("driver alive");
        match event {
            DriverEvent::Output(bytes) => received.extend_from_slice(&bytes),
            DriverEvent::Reconnecting { .. } => saw_reconnecting = true,
            DriverEvent::Reconnected => saw_reconnected = true,
            _ => {}
        }
        if !cut_done && received.len() > size / 4 {
            agent.cut.send(()).await.expect("cut");
            cut_done = true;
        }
    }
    assert_eq!(&received[..2], b"$ ");
    assert_eq!(received.len(), size + 2);
    assert_eq!(
        Sha256::digest(&received[2..]),
        expected,
        "byte-exact after the drop"
    );
    assert!(saw_reconnecting && saw_reconnected);
    assert_eq!(
        agent.opens.load(Ordering::SeqCst),
        2,
        "one dial, one resume"
    );
    assert_eq!(client.resume.calls.load(Ordering::SeqCst), 1);
    assert_eq!(agent.refused.load(Ordering::SeqCst), 0);
    client.input.send(Input::Close).await.expect("close");
    let end = client.driver.await.expect("joined").expect("clean end");
    assert_eq!(end, SessionEnd::Local);
}

#[tokio::test]
async fn an_expired_session_ends_the_driver_with_a_clear_error() {
    let agent = start_agent(shell_params(), App::Echo).await;
    let mut client = start_client(&agent, true);
    client
        .input
        .send(Input::Data(Bytes::from_static(b"x")))
        .await
        .expect("send");
    // The session is up once the echo of "x" is back; then the connection is cut.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, client.events.recv())
            .await
            .expect("the echo in time")
            .expect("driver alive");
        if matches!(&event, DriverEvent::Output(bytes) if bytes.contains(&b'x')) {
            break;
        }
    }
    agent.cut.send(()).await.expect("cut");
    let result = tokio::time::timeout(Duration::from_secs(10), &mut client.driver)
        .await
        .expect("ended in time")
        .expect("joined");
    match result {
        Err(TransportError::ResumeFailed { reason, .. }) => {
            assert!(reason.contains("timed out"), "{reason}");
        }
        other => panic!("expected an expired session, got {other:?}"),
    }
    while client.events.try_recv().is_ok() {}
}

#[tokio::test]
async fn channel_closed_ends_the_client_with_the_services_message() {
    let agent = start_agent(shell_params(), App::CloseWith).await;
    let mut client = start_client(&agent, false);
    let result = tokio::time::timeout(Duration::from_secs(10), &mut client.driver)
        .await
        .expect("ended in time")
        .expect("joined");
    assert_eq!(
        result,
        Ok(SessionEnd::Closed(CloseReason::ChannelClosed {
            output: Some("Your session timed out due to inactivity.".into())
        }))
    );
    let mut output = Vec::new();
    while let Ok(event) = client.events.try_recv() {
        if let DriverEvent::Output(bytes) = event {
            output.extend_from_slice(&bytes);
        }
    }
    assert_eq!(output, b"bye\r\n", "output before the close arrives");
}

fn plugin_response(agent: &FakeAgent) -> String {
    serde_json::json!({
        "SessionId": SESSION_ID,
        "TokenValue": "token-0",
        "StreamUrl": agent.url(),
        "ResponseMetadata": {"RequestId": "r"},
    })
    .to_string()
}

fn plugin_command(agent: &FakeAgent, document: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bosun"));
    common::sealed(&mut command)
        .arg("session-manager-plugin")
        .arg("AWS_SSM_START_SESSION_RESPONSE")
        .arg("us-east-1")
        .arg("StartSession")
        .arg("")
        .arg(format!(
            r#"{{"Target": "i-0123456789abcdef0", "DocumentName": "{document}"}}"#
        ))
        .arg("http://127.0.0.1:9")
        .env("AWS_SSM_START_SESSION_RESPONSE", plugin_response(agent))
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn the_plugin_runs_a_shell_with_piped_stdin() {
    let agent = start_agent(shell_params(), App::Shell).await;
    let mut child = plugin_command(&agent, "SSM-SessionManagerRunShell")
        .spawn()
        .expect("spawn bosun");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"hello\n").await.expect("write");
    drop(stdin); // end of input: the plugin sends Ctrl-D and waits for the shell to exit
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("plugin exited in time")
        .expect("output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "status {:?}, stderr {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // The official plugin's first line, then the remote's output.
    let starting = format!("\nStarting session with SessionId: {SESSION_ID}\n");
    assert!(
        stdout.starts_with(&format!("{starting}$ hello\n")),
        "{stdout:?}"
    );
    assert!(
        stdout.contains(&format!("Exiting session with sessionId: {SESSION_ID}.")),
        "{stdout:?}"
    );
    // stdout is a pipe, so the plugin reports the official fallback size.
    assert_eq!(
        agent.sizes.lock().expect("lock").first(),
        Some(&SizeData {
            cols: 300,
            rows: 100
        })
    );
}

#[tokio::test]
async fn the_plugin_pipes_an_ssh_session_byte_exact() {
    let params = AgentParams {
        session_type: "Port".into(),
        properties: serde_json::json!({"portNumber": "22"}),
        ..shell_params()
    };
    let agent = start_agent(params, App::Echo).await;
    let mut child = plugin_command(&agent, "AWS-StartSSHSession")
        .spawn()
        .expect("spawn bosun");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    // SSH-like binary traffic, including lone newlines that must not become carriage returns.
    let mut exchange: Vec<u8> = b"SSH-2.0-OpenSSH_9.6\r\n".to_vec();
    exchange.extend((0..=255u8).cycle().take(300_000));
    exchange.push(b'\n');
    let writer = tokio::spawn({
        let exchange = exchange.clone();
        async move {
            stdin.write_all(b"\n").await.expect("lone newline");
            stdin.write_all(&exchange).await.expect("write");
            stdin
        }
    });
    // The official plugin's first line comes before the echo, as ssh expects (it skips lines
    // before the server's banner).
    let starting = format!("\nStarting session with SessionId: {SESSION_ID}\n");
    let mut first = vec![0u8; starting.len()];
    tokio::time::timeout(Duration::from_secs(20), stdout.read_exact(&mut first))
        .await
        .expect("starting line in time")
        .expect("read");
    assert_eq!(String::from_utf8_lossy(&first), starting);
    let mut echoed = vec![0u8; exchange.len() + 1];
    tokio::time::timeout(Duration::from_secs(20), stdout.read_exact(&mut echoed))
        .await
        .expect("echo in time")
        .expect("read");
    assert_eq!(echoed[0], b'\n', "a lone newline stays a newline");
    assert!(echoed[1..] == exchange[..], "byte-exact");
    drop(writer.await.expect("writer")); // ssh closes its end: the plugin exits
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exited in time")
        .expect("status");
    assert!(status.success());
}

/// A data-channel server that answers every connection with one message far past the size
/// any peer sends (8 MiB), as a broken or hostile endpoint might.
async fn start_oversized_sender() -> FakeAgent {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let opens = Arc::new(AtomicUsize::new(0));
    let server_opens = opens.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else {
                continue;
            };
            if agent::read_open_frame(&mut socket, Duration::from_secs(5))
                .await
                .is_err()
            {
                continue;
            }
            server_opens.fetch_add(1, Ordering::SeqCst);
            let huge = Bytes::from(vec![0u8; 8 * 1024 * 1024]);
            let _ = socket.send(WsMessage::Binary(huge)).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    });
    let (cut, _) = mpsc::channel(1);
    FakeAgent {
        addr,
        token: Arc::new(Mutex::new("token-0".to_owned())),
        opens,
        refused: Arc::new(AtomicUsize::new(0)),
        sizes: Arc::new(Mutex::new(Vec::new())),
        cut,
    }
}

#[tokio::test]
async fn a_message_past_the_size_limit_is_refused_unread_and_the_connection_resumed() {
    let server = start_oversized_sender().await;
    let mut client = start_client(&server, false);
    let reason = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match client.events.recv().await {
                Some(DriverEvent::Reconnecting { reason, .. }) => return reason,
                Some(_) => {}
                None => panic!("the driver ended instead of resuming"),
            }
        }
    })
    .await
    .expect("the oversized message counts as a dropped connection");
    // Refused from its header, before 8 MiB was buffered.
    assert!(
        reason.contains("too long") && reason.contains(&MAX_WEBSOCKET_MESSAGE.to_string()),
        "{reason}"
    );
    assert!(server.opens.load(Ordering::SeqCst) >= 1);
    tokio::time::timeout(Duration::from_secs(10), async {
        while client.resume.calls.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("resumed through ResumeSession");
    client.driver.abort();
}
