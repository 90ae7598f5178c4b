//! The effects ring for sessions: drivers that pump a sans-IO protocol session over a real
//! WebSocket — the client side (what bosun dials at AWS) and the agent side (what the
//! simulator serves).

pub mod agent;
pub mod client;
pub mod connection;

pub use client::{
    DriverConfig, DriverEvent, Input, ResumeHook, SessionEnd, StreamTarget, TransportError,
    UpgradeSigner, open_data_channel_frame, run_client, unix_ms,
};
