//! The command-line subcommands other than the console and the simulator: each takes parsed
//! arguments, talks to AWS through the SDK and the session transport, and returns an exit code.

pub mod console;
pub mod ls;
pub mod plugin;
pub mod run;
pub mod shell;
pub mod stdio;
pub mod tunnel;

use crate::aws;
use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::{self, Config, ConfigError};

/// SDK configuration from the global flags: the first `--profile` and `--region` (several are
/// for the console), and `--endpoint-url`, on top of what the AWS CLI would resolve.
pub async fn sdk_config(global: &GlobalArgs) -> aws_config::SdkConfig {
    aws::load_config(
        global.profile.first().map(String::as_str),
        global.region.first().map(String::as_str),
        global.endpoint_url.as_deref(),
    )
    .await
}

/// The configuration file in use: `--config`, else the default path.
pub fn config_path(global: &GlobalArgs) -> Option<std::path::PathBuf> {
    global.config.clone().or_else(config::default_path)
}

/// Loads the configuration; no file means the defaults.
pub fn load_config(global: &GlobalArgs) -> Result<Config, ConfigError> {
    match config_path(global) {
        Some(path) => Config::load(&path),
        None => Ok(Config::default()),
    }
}

/// `bosun config path` and `bosun config check`.
pub fn config(global: &GlobalArgs, command: &ConfigCommand) -> i32 {
    let Some(path) = config_path(global) else {
        eprintln!("bosun config: no configuration directory on this system");
        return 1;
    };
    match command {
        ConfigCommand::Path => {
            println!("{}", path.display());
            0
        }
        ConfigCommand::Check => match Config::load(&path) {
            Ok(config) => {
                println!(
                    "{}: ok ({} saved tunnels, {} groups)",
                    path.display(),
                    config.tunnels.len(),
                    config.tunnel_groups.len()
                );
                0
            }
            Err(error) => {
                eprintln!("{error}");
                1
            }
        },
    }
}
