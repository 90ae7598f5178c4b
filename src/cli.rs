//! The command line (DESIGN.md §1). Only what exists is declared: subcommands arrive with the
//! features behind them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "bosun",
    version,
    about = "A terminal fleet console for AWS Systems Manager",
    long_about = None
)]
pub struct Cli {
    /// Run on the built-in simulated fleet (no AWS account needed).
    #[arg(long)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The simulated AWS endpoint (SSM, EC2, KMS, data channels) on loopback, for tests, the
    /// demo and other clients. Prints `AWS_ENDPOINT_URL=…` first, then serves until killed.
    Sim(SimArgs),
    /// Drop-in for the official session-manager-plugin (the AWS CLI's argv contract), so that
    /// `aws ssm start-session` runs through bosun. Also used when bosun is invoked under the
    /// name `session-manager-plugin`.
    #[command(name = "session-manager-plugin", disable_help_flag = true)]
    SessionManagerPlugin {
        /// The arguments the AWS CLI passes: response, region, operation, profile, parameters,
        /// endpoint.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (loopback only); port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,
    /// A fleet file (TOML; see assets/demo-fleet.toml). Default: the demo fleet.
    #[arg(long, conflicts_with = "instances")]
    pub fleet: Option<PathBuf>,
    /// Generate a fleet of N instances instead (up to 50,000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    pub instances: Option<u32>,
    /// Seed for generated fleets and fault decisions.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// `real` reproduces the agent's 1 KiB + 1 ms output pacing.
    #[arg(long, value_enum, default_value_t = Pacing::Off)]
    pub agent_pacing: Pacing,
    /// Faults, e.g. `throttle=0.2,deny=StartSession,slow=150ms,drop_after_secs=30`.
    #[arg(long, default_value = "")]
    pub faults: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pacing {
    Real,
    Off,
}
