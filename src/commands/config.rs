//! `bosun config path` and `bosun config check`.

use super::config_path;
use crate::app::views::key_check::key_findings;
use crate::cli::{ConfigCommand, GlobalArgs};
use crate::config::theme::{Theme, ThemeError};
use crate::config::{Config, ConfigError};

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
        ConfigCommand::Check => check(&path),
    }
}

/// `bosun config check`: every problem in the file (its shape, its meaning, the theme it
/// names, its keys against every view), each on a line with the file's line; notes are said
/// but pass. Exits 1 when there is a problem.
fn check(path: &std::path::Path) -> i32 {
    let file = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            println!("{file}: no file (bosun uses its defaults)");
            return 0;
        }
        Err(error) => {
            eprintln!("{file}: {error}");
            return 1;
        }
    };
    let (config, mut problems) = Config::check(&text, &file);
    let line_of = |path: &[&str]| {
        crate::config::check::offset_of(&text, path).map(|at| text[..at].matches('\n').count() + 1)
    };
    // The theme and the keys are checked even when the rest of the file's shape is wrong.
    let raw: toml::Table = toml::from_str(&text).unwrap_or_default();
    let mut notes = Vec::new();
    if let Some(name) = raw.get("theme").and_then(|t| t.as_str()) {
        let themes_dir = path.parent().map(|dir| dir.join("themes"));
        if let (_, Some(error)) = Theme::load(name, themes_dir.as_deref()) {
            problems.push(ConfigError {
                file: file.clone(),
                line: line_of(&["theme"]),
                message: format!("theme {name:?}: {}", theme_problem(&error, name)),
            });
        }
    }
    for finding in key_findings(&keys_of(&raw)) {
        let located = ConfigError {
            file: file.clone(),
            line: line_of(&["keys", &finding.entry]),
            message: finding.message,
        };
        if finding.note {
            notes.push(located);
        } else {
            problems.push(located);
        }
    }
    problems.sort_by_key(|problem| problem.line.unwrap_or(usize::MAX));
    for note in &notes {
        println!("{note} (a note)");
    }
    if problems.is_empty() {
        let config = config.unwrap_or_default();
        let count =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        println!(
            "{file}: ok ({}, {})",
            count(config.tunnels.len(), "saved tunnel", "saved tunnels"),
            count(config.tunnel_groups.len(), "group", "groups")
        );
        return 0;
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    let n = problems.len();
    eprintln!(
        "{n} {} in {file}",
        if n == 1 { "problem" } else { "problems" }
    );
    1
}

/// The `[keys]` entries written as a key or a list of keys (others are the shape's problem).
fn keys_of(raw: &toml::Table) -> std::collections::BTreeMap<String, Vec<String>> {
    let Some(keys) = raw.get("keys").and_then(|k| k.as_table()) else {
        return Default::default();
    };
    keys.iter()
        .filter_map(|(name, value)| {
            let labels = match value {
                toml::Value::String(one) => vec![one.clone()],
                toml::Value::Array(many) => many
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => return None,
            };
            Some((name.clone(), labels))
        })
        .collect()
}

/// A theme's error as the configuration's line says it: the theme file's own place when the
/// problem is inside it.
fn theme_problem(error: &ThemeError, name: &str) -> String {
    if error.file == name {
        error.message.clone()
    } else {
        error.to_string()
    }
}
