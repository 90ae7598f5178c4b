//! The Session Manager data-channel protocol, sans-IO (docs/protocol.md): frame codec, payloads,
//! KMS crypto, reliability and the session state machine in both roles. No tokio, no sockets,
//! no clock: time is passed in, frames are handed in and polled out. The client role is what
//! bosun speaks to AWS; the agent role is what the simulator speaks to bosun, so the two are
//! tested against each other in memory.

pub mod codec;
pub mod crypto;
pub mod error;
pub mod event;
pub mod message;
pub mod payload;
mod reliability;
mod session;
mod timer;
pub mod version;

pub use error::ProtocolError;
pub use event::{CloseReason, Event, SessionInfo};
pub use message::{Message, MessageType, PayloadType, PortFlag};
pub use payload::{CLIENT_VERSION, SizeData};
pub use reliability::RttConfig;
pub use session::{AgentParams, ClientParams, Session, SessionConfig};

/// Which end of the data channel a session plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// bosun, the plugin: sends `input_stream_data`.
    Client,
    /// The SSM agent (the simulator): sends `output_stream_data`.
    Agent,
}
