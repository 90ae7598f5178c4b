//! The vocabulary every ring shares, pure: instances and their ping status, panes, the filter
//! language, tunnels, the documents bosun names, Run Command's statuses, the doctor's verdicts, Run Command's targets and requests, region names,
//! and how figures are formatted. No tokio, no SDK, no terminal.

pub mod agent;
pub mod canary;
pub mod column;
pub mod container;
pub mod der;
pub mod destination;
pub mod doctor;
pub mod document;
pub mod filter;
pub mod format;
pub mod instance;
pub mod node;
pub mod pane;
pub mod rdp;
pub mod recording;
pub mod region;
pub mod run;
pub mod run_groups;
pub mod run_lines;
pub mod run_shape;
pub mod session;
pub mod status;
pub mod transfer;
pub mod tunnel;
pub mod tunnel_api;
