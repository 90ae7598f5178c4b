//! The shell's thin layer: one file a subcommand, each taking parsed arguments, calling the
//! services (or the SDK through `aws`), printing, and returning an exit code. `stdio` puts a
//! session on this process's terminal or pipes for `shell`, `proxy` and the plugin.

/// A line on stderr that cannot fail: the commands that hold a session write through it, since
/// after a hang-up the terminal is gone, `eprintln!` would panic, and the session must still be
/// ended at AWS.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod agent;
pub mod completions;
pub mod config;
pub mod console;
pub mod cp;
pub mod doctor;
pub mod ls;
pub mod org;
pub mod plugin;
pub mod rdp;
pub mod recordings;
pub mod replay;
pub mod run;
pub mod sessions;
pub mod shell;
pub mod sim;
pub mod stdio;
pub mod tunnel;

use crate::aws;
use crate::cli::GlobalArgs;
use crate::config::{Config, ConfigError};

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

/// The SDK configuration for a command that talks to one region, or, when no region is set
/// anywhere (flag, environment, profile), the sentence that says where to set one and exit
/// status 2: a usage error, not a failure of AWS's.
pub async fn regional_config(
    global: &GlobalArgs,
    command: &str,
) -> Result<aws_config::SdkConfig, i32> {
    let config = sdk_config(global).await;
    crate::aws::errors::set_command_profile(&profile_name(global));
    // Said before the first call, which for a region that does not exist ends in DNS.
    if let Some(note) = config
        .region()
        .and_then(|region| crate::model::region::unknown_region_note(region.as_ref()))
    {
        eprintln!("bosun {command}: {note}");
    }
    if config.region().is_none() {
        let profile = profile_name(global);
        eprintln!(
            "bosun {command}: {}",
            crate::aws::errors::no_region(Some(&profile))
        );
        return Err(2);
    }
    Ok(config)
}

/// The profile the first `--profile` (else `AWS_PROFILE`) names, or "" for the default chain:
/// what error messages name in the command that renews credentials.
pub fn profile_name(global: &GlobalArgs) -> String {
    global
        .profile
        .first()
        .cloned()
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_default()
}

/// The configuration file in use: `--config`, else the default path.
pub fn config_path(global: &GlobalArgs) -> Option<std::path::PathBuf> {
    global.config.clone().or_else(crate::config::default_path)
}

/// Loads the configuration; no file means the defaults.
pub fn load_config(global: &GlobalArgs) -> Result<Config, ConfigError> {
    match config_path(global) {
        Some(path) => load_config_file(&path),
        None => Ok(Config::default()),
    }
}

/// Reads and checks the configuration at `path` as every command takes it: the file's own
/// checks, and that its `[keys]` name actions the console has.
pub fn load_config_file(path: &std::path::Path) -> Result<Config, ConfigError> {
    let config = Config::load(path)?;
    config
        .keys_table()
        .and_then(|table| crate::app::keymap::KeyBindings::from_config(&table))
        .map_err(|message| ConfigError {
            file: path.display().to_string(),
            line: None,
            message,
        })?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_name_no_action_are_a_configuration_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[keys]\nteleport = \"t\"\n").expect("write");
        let error = load_config_file(&path).expect_err("bad key");
        assert!(error.to_string().contains("no such action"), "{error}");
        std::fs::write(&path, "[keys]\nshell = [\"S\", \"f5\"]\n").expect("write");
        assert!(load_config_file(&path).is_ok());
    }
}
