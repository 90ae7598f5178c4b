//! `bosun config path` and `bosun config check`.

use super::config_path;
use crate::cli::{ConfigCommand, GlobalArgs};

/// `bosun config path` and `bosun config check`.
pub fn run(global: &GlobalArgs, command: &ConfigCommand) -> i32 {
    let Some(path) = config_path(global) else {
        eprintln!("bosun config: no configuration directory on this system");
        return 1;
    };
    match command {
        ConfigCommand::Path => {
            println!("{}", path.display());
            0
        }
        ConfigCommand::Check => match super::load_config_file(&path) {
            Ok(config) => {
                let count = |n: usize, one: &str, many: &str| {
                    format!("{n} {}", if n == 1 { one } else { many })
                };
                println!(
                    "{}: ok ({}, {})",
                    path.display(),
                    count(config.tunnels.len(), "saved tunnel", "saved tunnels"),
                    count(config.tunnel_groups.len(), "group", "groups")
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
