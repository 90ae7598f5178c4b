//! bosun: a terminal fleet console for AWS Systems Manager.
//!
//! The crate is three rings, and imports only go inward (docs/architecture.md §2;
//! `tests/architecture.rs` fails the build when one goes outward):
//!
//! ```text
//!   shell     tui/  commands/  cli  logging  signals  (main.rs)
//!                 │ may use everything below
//!   effects   services/  transport/  aws/  sim/
//!                 │ may use the core, never the shell
//!   core      model/  protocol/  term/  config/  app/  ui/
//!                 no tokio, no sockets, no SDK, no clock: time and facts come in as values
//! ```
//!
//! The core:
//! - [`model`] — the shared vocabulary: instances and their ping status, the filter language,
//!   tunnels, Run Command's targets, requests and blast radius, formatting.
//! - [`protocol`] — the SSM data-channel protocol as a sans-IO state machine in both roles
//!   (client for bosun, agent for the simulator).
//! - [`term`] — a pane's terminal emulator (vt100 with DEC line drawing) and xterm keys.
//! - [`config`] — the configuration file, keymap entries and themes.
//! - [`app`] — the console's state and its pure reducer: actions and facts in, effects out;
//!   the key tables that routing, the help and the hints all read.
//! - [`ui`] — drawing the state, nothing else.
//!
//! The effects ring:
//! - [`services`] — long-lived tasks shared by the console and the CLI, on one contract
//!   (typed commands in, typed events out, bounded byte channels): the one session start,
//!   sources, the inventory refresher, pane sessions, the one Run Command pipeline, tunnels.
//! - [`transport`] — the WebSocket drivers that pump a protocol session: the client side,
//!   the agent side, and the connection plumbing they share.
//! - [`aws`] — the SDK: configuration resolved as the AWS CLI resolves it, the inventory
//!   fetch, TARGET and TARGETING resolution, the ResumeSession and KMS hooks.
//! - [`sim`] — the simulated AWS endpoint (`bosun sim`, `--demo`, the tests).
//!
//! The shell:
//! - [`tui`] — the console: the terminal guard and the event loop that carries out effects.
//! - [`commands`] — one thin file per subcommand, the plugin drop-in among them.
//! - [`cli`], [`logging`], [`signals`] — the command line, the log file, and the signals that
//!   end bosun from outside.

pub mod app;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod logging;
pub mod model;
pub mod platform;
pub mod protocol;
pub mod services;
pub mod signals;
pub mod sim;
pub mod term;
pub mod transport;
pub mod tui;
pub mod ui;
