//! From a StartSession answer to a running client session: the protocol session, the
//! WebSocket driver with ResumeSession and KMS wired to the SDK, and the channels the caller
//! talks through. `bosun shell`, `bosun tunnel` and the plugin all start sessions this way.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{KmsKeyProvider, SsmResume};
use crate::protocol::{CLIENT_VERSION, ClientParams, Session, SessionConfig};
use crate::transport::{
    self, DriverConfig, DriverEvent, Input, SessionEnd, StreamTarget, TransportError,
};

/// What StartSession (or the AWS CLI, for the plugin) handed over.
pub struct Started {
    pub session_id: String,
    pub stream_url: String,
    pub token: String,
    /// The StartSession Target (part of KMS encryption contexts).
    pub target: String,
}

impl Started {
    /// The three fields a usable StartSession answer has; `None` if any is missing.
    pub fn from_response(
        output: &aws_sdk_ssm::operation::start_session::StartSessionOutput,
        target: &str,
    ) -> Option<Started> {
        Some(Started {
            session_id: output.session_id()?.to_owned(),
            stream_url: output.stream_url()?.to_owned(),
            token: output.token_value()?.to_owned(),
            target: target.to_owned(),
        })
    }
}

/// A session being driven: send `Input`s, receive `DriverEvent`s, await the driver's end.
pub struct Driven {
    pub session_id: String,
    pub input: mpsc::Sender<Input>,
    pub events: mpsc::Receiver<DriverEvent>,
    pub driver: JoinHandle<Result<SessionEnd, TransportError>>,
}

/// Starts driving `started` over its WebSocket.
pub fn drive(started: Started, ssm: &aws_sdk_ssm::Client, kms: aws_sdk_kms::Client) -> Driven {
    let stream = StreamTarget {
        session_id: started.session_id.clone(),
        stream_url: started.stream_url,
        token: started.token,
        client_id: Uuid::new_v4().hyphenated().to_string(),
        client_version: CLIENT_VERSION.to_owned(),
    };
    let session = Session::client(
        SessionConfig::default(),
        ClientParams {
            session_id: started.session_id.clone(),
            target: started.target,
            client_version: CLIENT_VERSION.to_owned(),
        },
        Instant::now(),
        transport::unix_ms(),
    );
    let (input, input_rx) = mpsc::channel(64);
    let (events_tx, events) = mpsc::channel(256);
    let driver = tokio::spawn(transport::run_client(
        stream,
        session,
        Arc::new(SsmResume::new(ssm.clone())),
        Some(Arc::new(KmsKeyProvider::new(kms))),
        input_rx,
        events_tx,
        DriverConfig::default(),
    ));
    Driven {
        session_id: started.session_id,
        input,
        events,
        driver,
    }
}
