//! The command line (DESIGN.md §1). Only what exists is declared: subcommands arrive with the
//! features behind them.

use clap::{Parser, Subcommand};

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
