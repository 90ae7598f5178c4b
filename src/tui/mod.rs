//! The console: owns the terminal (`terminal`: raw mode, the alternate screen, bracketed
//! paste, and mouse capture while panes show; all restored on exit, on error and on panic)
//! and runs the event loop (`runtime`): keys through the keymap into the reducer, the
//! reducer's effects carried out by the services, the services' events back in as inputs,
//! and the screen drawn from state only when something changed, at most about 60 times a
//! second.

mod runtime;
pub mod terminal;

pub use runtime::run;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::app::keymap::KeyBindings;
use crate::config::theme::Theme;
use crate::model::column::Column;
use crate::model::tunnel::TunnelDef;
use crate::services::sources::SourceFactory;

/// What the console starts with.
pub struct ConsoleOptions {
    pub connect: SourceFactory,
    /// The profiles and regions to start with (empty: the defaults).
    pub profiles: Vec<String>,
    pub regions: Vec<String>,
    pub theme: Theme,
    /// Where user themes live, for `:theme`.
    pub themes_dir: Option<PathBuf>,
    pub keys: KeyBindings,
    pub columns: Vec<Column>,
    /// Above this many targets, Run Command wants the count typed.
    pub confirm_above: usize,
    /// Saved tunnels and groups from the configuration, for the Tunnels view.
    pub tunnels: Vec<TunnelDef>,
    pub tunnel_groups: BTreeMap<String, Vec<String>>,
    /// Shown once in the console, e.g. a broken theme file.
    pub notice: Option<String>,
    pub refresh: Duration,
    /// The document shell panes start.
    pub shell_document: String,
    /// Refuse everything that changes something (shell panes included).
    pub read_only: bool,
    /// Each pane's history length, by its profile.
    pub scrollback: crate::config::ScrollbackLines,
    /// Record every pane's output from its start (asciicast, in the state directory).
    pub record_panes: bool,
    /// The background tunnels' process, shown and controlled in the Tunnels view (`None`:
    /// not offered, as in the demo).
    pub background: Option<BackgroundTunnels>,
    /// Says whether a profile `:profile` names exists before the console switches to it
    /// (`None` in the demo, whose profiles are its own).
    pub profile_exists: Option<ProfileCheck>,
}

/// Where the background tunnels' process answers, and what a tunnel started from the console
/// takes along.
#[derive(Debug, Clone)]
pub struct BackgroundTunnels {
    pub socket: PathBuf,
    /// The configuration file to start the process with (`--config`).
    pub config_file: Option<PathBuf>,
    /// The console's profile, region, endpoint and `--org`, for its tunnels' credentials.
    pub context: crate::model::tunnel_api::Context,
}

/// Whether a profile exists: `Err` says why not, in a sentence.
pub type ProfileCheck = fn(&str) -> Result<(), String>;
