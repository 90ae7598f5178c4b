//! bosun: a terminal fleet console for AWS Systems Manager.
//!
//! The map of the crate (DESIGN.md §2 has the full picture):
//! - [`protocol`] — the pure core: the SSM data-channel protocol as a sans-IO state machine in
//!   both roles (client for bosun, agent for the simulator). No tokio, no sockets, no clock.
//! - [`transport`] — the effects ring: the WebSocket driver that pumps a protocol session over
//!   a real connection, pings, and resumes after drops.
//! - [`plugin`] — `bosun session-manager-plugin`: the official plugin's argv contract, so the
//!   AWS CLI can use bosun in its place.
//! - [`aws`] — the AWS SDK side: credentials and clients, the KMS key provider.
//! - [`stdio_session`] — a session on this process's terminal or pipes (raw mode, sizes,
//!   SIGWINCH, byte-exact pipe mode).
//! - [`term`] — a pane's terminal emulator (vt100 with DEC line drawing) and xterm key encoding.
//! - [`commands`] — the subcommands other than the console (`bosun shell`, ...).
//! - [`sim`] — the simulated AWS endpoint (`bosun sim`, `--demo`, the tests).
//! - [`config`] — the configuration file: defaults, saved tunnels and groups.
//! - [`app`], [`ui`], [`tui`] — the console: its pure state and reducer, drawing, and the
//!   runtime that owns the terminal; [`pane_session`] runs the session behind each shell pane,
//!   [`run_service`] sends and watches the console's Run Command.
//! - [`cli`], [`logging`] — the command line and the log file.

pub mod app;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod logging;
pub mod model;
pub mod protocol;
pub mod services;
pub mod sim;
pub mod term;
pub mod transport;
pub mod tui;
pub mod ui;
