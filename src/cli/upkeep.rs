//! The arguments of the commands that look after the fleet and look back at it: `bosun agent`
//! (status, update, restart) and `bosun replay`.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording (asciicast v2).
    pub file: std::path::PathBuf,
    /// Print the screen at a moment as text (the end unless --at says when) and exit.
    #[arg(long)]
    pub dump: bool,
    /// A moment, in seconds from the start: with --dump the screen then; playing, where it
    /// starts (paused there).
    #[arg(long, value_name = "SECONDS", conflicts_with = "at_end")]
    pub at: Option<f64>,
    /// With --dump: the screen at the end (the default).
    #[arg(long, requires = "dump")]
    pub at_end: bool,
    /// Playing: this many times as fast (idle gaps are shortened to 2 s first); in a terminal
    /// the player starts at the nearest of 1, 2 and 8 (`+`/`-` change it).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// The agents of this profile and region's instances: the versions in use and how many
    /// run each, how many SSM knows a newer one for, and what each old one lacks.
    Status(AgentStatusArgs),
    /// AWS-UpdateSSMAgent on TARGETS through Run Command, one canary first (when there are
    /// several), with the blast radius; the versions before and after.
    Update(AgentChangeArgs),
    /// Restart the agent on TARGETS (a delayed restart through Run Command, so the command
    /// reports before the agent goes), canary first; the versions and pings after.
    Restart(AgentChangeArgs),
}

#[derive(Debug, Args)]
pub struct AgentStatusArgs {
    /// Only the instances this filter lets through (the fleet's filter language).
    #[arg(long)]
    pub filter: Option<String>,
    /// One JSON object per version in use.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AgentChangeArgs {
    /// Instances: ids, Names, Kubernetes node names or k8s:CLUSTER/NODE.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Run on this many (N) or this share (N%) first, and on the rest only if they all
    /// succeed; "0" runs on all at once. Default: 1 when there are several targets.
    #[arg(long, value_name = "N|N%")]
    pub canary: Option<String>,
    /// Do not ask before running.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RecordingsArgs {
    #[command(subcommand)]
    pub search: Option<RecordingsCommand>,
    /// One JSON object a recording (file, title, instance_id, name, session_id, start,
    /// seconds, bytes; its session and the others on the instance, as `bosun sessions` gives
    /// them).
    #[arg(long)]
    pub json: bool,
    /// Only the recordings matching EXPR: words anywhere, `key:value` (instance, name, title,
    /// file, id, owner, document, status, reason, others), `!` negates.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Leave the session history out (no AWS call).
    #[arg(long)]
    pub local: bool,
}

#[derive(Debug, Subcommand)]
pub enum RecordingsCommand {
    /// Every recording and moment where TEXT was printed on the screen.
    Search {
        text: String,
        /// One JSON object a moment (file, title, at).
        #[arg(long)]
        json: bool,
    },
}
