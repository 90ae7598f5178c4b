//! The user's configuration file (TOML in the XDG config dir, `bosun config path` prints it):
//! default profiles and regions, refresh rate, theme, and saved tunnels and tunnel groups. A
//! broken file is reported with its path, line and key; it never crashes bosun.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub mod check;
pub mod keys;
pub mod theme;

use serde::Deserialize;

/// Where the configuration lives: `$XDG_CONFIG_HOME/bosun/config.toml` (or the platform's).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "bosun")
        .map(|dirs| dirs.config_dir().join("config.toml"))
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Profiles the console and `bosun ls` read when none is given on the command line.
    #[serde(default)]
    pub profiles: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    /// Seconds between inventory refreshes in the console.
    #[serde(default = "default_refresh")]
    pub refresh_seconds: u64,
    /// A built-in theme name or a theme file's path.
    #[serde(default)]
    pub theme: Option<String>,
    /// The SSM document console shell panes start (default SSM-SessionManagerRunShell), e.g.
    /// a team's own shell document with logging or a run-as user.
    #[serde(default)]
    pub shell_document: Option<String>,
    /// Above this many targets, Run Command wants the target count typed to confirm.
    #[serde(default = "confirm_above")]
    pub run_confirm_above: usize,
    /// The fleet table's columns, in order: names from `model::column` or `tag:KEY`.
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// Extra keys: `action = "key"` or `["key", …]`, and `prefix = "ctrl-a"`.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyList>,
    #[serde(default, rename = "tunnel")]
    pub tunnels: Vec<SavedTunnel>,
    /// Named groups of saved tunnels, started together: `payments = ["payments-db", "payments-cache"]`.
    #[serde(default, rename = "tunnel_group")]
    pub tunnel_groups: BTreeMap<String, Vec<String>>,
    /// Lines of history each shell pane keeps. Each line costs 32 bytes a column: the
    /// default 5,000 lines is 26 MB at 160 columns.
    #[serde(default = "default_scrollback")]
    pub scrollback_lines: usize,
    /// Record every console pane's output from its start (asciicast files in the state
    /// directory's `recordings/`); `ctrl-] R` records one pane.
    #[serde(default)]
    pub record_panes: bool,
    /// Recordings older than this many days are deleted when the console starts (0 keeps
    /// them all).
    #[serde(default = "default_keep_days")]
    pub recordings_keep_days: u64,
    /// Settings for one profile's panes: `[profile.prod]` with `scrollback_lines = 20000`.
    #[serde(default, rename = "profile")]
    pub profile_settings: BTreeMap<String, ProfileSettings>,
    /// The escape character of `bosun shell` and the plugin on a terminal, as ssh's: `~`
    /// (the default), `^]` for a control key, or `none`.
    #[serde(default)]
    pub escape_char: Option<String>,
    /// The organisation (`--org`): whether to read it always, and the roles to take in each
    /// account.
    #[serde(default)]
    pub org: OrgSettings,
}

/// `[org]`: reading the whole organisation through one SSO login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettings {
    /// As if `--org` were given to every command.
    #[serde(default)]
    pub enabled: bool,
    /// Roles to list instances with, the first an account offers (default: the profile's
    /// `sso_role_name`, then ReadOnly, ReadOnlyAccess, ViewOnlyAccess).
    #[serde(default)]
    pub inventory_roles: Vec<String>,
    /// Roles for sessions, tunnels and commands (default: the profile's role, then the
    /// inventory's).
    #[serde(default)]
    pub session_roles: Vec<String>,
    /// Without an SSO login: the role assumed in each account found through Organizations
    /// (default `OrganizationAccountAccessRole`).
    #[serde(default)]
    pub assume_role: Option<String>,
    /// Whether to read AWS's index of the organisation's nodes (`ListNodes` with the
    /// resource data sync): `auto` where the profile can, `always` (say why not), `never`.
    #[serde(default)]
    pub index: IndexUse,
    /// The resource data sync the index is (default Quick Setup's `AWS-QuickSetup-ManagedNode`).
    #[serde(default)]
    pub sync_name: Option<String>,
}

/// `[org] index`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexUse {
    #[default]
    Auto,
    Always,
    Never,
}

/// What one profile changes: `[profile.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    pub scrollback_lines: Option<usize>,
}

/// The most history a pane may keep: 100,000 lines is 512 MB at 160 columns.
pub const MAX_SCROLLBACK_LINES: usize = 100_000;

fn default_scrollback() -> usize {
    crate::term::SCROLLBACK_LINES
}

/// Each pane's history, by the profile it was opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrollbackLines {
    pub default: usize,
    pub by_profile: BTreeMap<String, usize>,
}

impl Default for ScrollbackLines {
    fn default() -> Self {
        ScrollbackLines {
            default: default_scrollback(),
            by_profile: BTreeMap::new(),
        }
    }
}

impl ScrollbackLines {
    pub fn for_profile(&self, profile: &str) -> usize {
        self.by_profile
            .get(profile)
            .copied()
            .unwrap_or(self.default)
    }
}

fn default_refresh() -> u64 {
    30
}

/// The shortest refresh the console takes: faster would spend the account's API rate on lists.
pub const MIN_REFRESH_SECONDS: u64 = 5;

impl Default for Config {
    fn default() -> Self {
        Config {
            profiles: Vec::new(),
            regions: Vec::new(),
            refresh_seconds: default_refresh(),
            theme: None,
            shell_document: None,
            columns: None,
            run_confirm_above: confirm_above(),
            keys: BTreeMap::new(),
            tunnels: Vec::new(),
            tunnel_groups: BTreeMap::new(),
            scrollback_lines: default_scrollback(),
            record_panes: false,
            recordings_keep_days: default_keep_days(),
            profile_settings: BTreeMap::new(),
            escape_char: None,
            org: OrgSettings::default(),
        }
    }
}

fn default_keep_days() -> u64 {
    30
}

/// The most parallel sessions one tunnel may use.
pub const MAX_TUNNEL_SESSIONS: u8 = 16;

/// One key or several, as the `[keys]` table allows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl Config {
    /// The panes' history lengths: the global one, and each profile's own.
    pub fn scrollback(&self) -> ScrollbackLines {
        ScrollbackLines {
            default: self.scrollback_lines,
            by_profile: self
                .profile_settings
                .iter()
                .filter_map(|(name, settings)| Some((name.clone(), settings.scrollback_lines?)))
                .collect(),
        }
    }

    /// The `[keys]` table with every entry as a list.
    pub fn keys_table(&self) -> Result<BTreeMap<String, Vec<String>>, String> {
        Ok(self
            .keys
            .iter()
            .map(|(action, keys)| {
                let keys = match keys {
                    KeyList::One(key) => vec![key.clone()],
                    KeyList::Many(keys) => keys.clone(),
                };
                (action.clone(), keys)
            })
            .collect())
    }
}

/// A tunnel remembered by name: `bosun tunnel NAME`, or one key in the console.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedTunnel {
    pub name: String,
    /// An instance id, a Name tag value, or `tag:KEY=VALUE` (an Online instance with that tag).
    pub target: String,
    #[serde(default)]
    pub remote_host: Option<String>,
    pub remote_port: u16,
    #[serde(default)]
    pub local_port: u16,
    /// Where the tunnel listens: any loopback address (127.0.0.2 lets every database keep
    /// its standard port); `local_address` is the same key under the name the README uses.
    #[serde(default = "loopback", alias = "local_address")]
    pub bind: IpAddr,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Parallel sessions to spread connections over, for more aggregate throughput: each
    /// session's agent paces its own output (1–16, default 1).
    #[serde(default = "one_session")]
    pub sessions: u8,
    /// The organisation's account the target is in, by name or id (through `--org`'s login).
    #[serde(default)]
    pub account: Option<String>,
    /// Start the session only when the first connection arrives (background tunnels).
    #[serde(default)]
    pub lazy: bool,
    /// End the session after this many minutes without a connection (fractions allowed).
    #[serde(default)]
    pub idle_minutes: Option<f64>,
}

impl SavedTunnel {
    /// `idle_minutes` as a duration (a tenth of a second at least).
    pub fn idle_after(&self) -> Option<std::time::Duration> {
        self.idle_minutes
            .filter(|minutes| minutes.is_finite() && *minutes > 0.0)
            .map(|minutes| std::time::Duration::from_secs_f64((minutes * 60.0).max(0.1)))
    }

    /// The tunnel as the console and `bosun tunnel` run it.
    pub fn to_def(&self) -> crate::model::tunnel::TunnelDef {
        crate::model::tunnel::TunnelDef {
            name: self.name.clone(),
            target: self.target.clone(),
            remote_host: self.remote_host.clone(),
            remote_port: self.remote_port,
            local_port: self.local_port,
            bind: self.bind,
            profile: self.profile.clone(),
            region: self.region.clone(),
            sessions: self.sessions,
            account: self.account.clone(),
            lazy: self.lazy,
            idle_after: self.idle_after(),
        }
    }
}

fn confirm_above() -> usize {
    crate::model::run::CONFIRM_BY_COUNT_ABOVE
}

fn one_session() -> u8 {
    1
}

fn loopback() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

/// A configuration problem, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Config {
    /// Reads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, &path.display().to_string()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(error) => Err(ConfigError {
                file: path.display().to_string(),
                line: None,
                message: error.to_string(),
            }),
        }
    }

    /// Reads `text`; the first problem found, saying how many more `bosun config check` lists.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let (config, problems) = Config::check(text, file);
        match (config, problems.into_iter().collect::<Vec<_>>().as_slice()) {
            (Some(config), []) => Ok(config),
            (_, [first, rest @ ..]) => {
                let mut first = first.clone();
                if !rest.is_empty() {
                    first.message += &format!(
                        " (and {} more: `bosun config check` lists them)",
                        rest.len()
                    );
                }
                Err(first)
            }
            (None, []) => unreachable!("a file serde refused has a problem"),
        }
    }

    /// Every problem of `text`, each at its line, and the configuration it gives when its
    /// shape is right (problems of meaning, such as a group naming no tunnel, leave it read).
    pub fn check(text: &str, file: &str) -> (Option<Config>, Vec<ConfigError>) {
        let located = |at: Option<usize>, message: String| ConfigError {
            file: file.to_owned(),
            line: at.map(|at| text[..at].matches('\n').count() + 1),
            message,
        };
        let shape = check::shape_problems(text);
        if !shape.is_empty() {
            let problems = shape
                .into_iter()
                .map(|found| located(found.at, found.message))
                .collect();
            return (None, problems);
        }
        let config: Config = match toml::from_str(text) {
            Ok(config) => config,
            Err(error) => {
                let at = error.span().map(|span| span.start);
                return (None, vec![located(at, error.message().to_owned())]);
            }
        };
        let problems = config
            .meaning_problems()
            .into_iter()
            .map(|(path, message)| {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                located(check::offset_of(text, &path), message)
            })
            .collect();
        (Some(config), problems)
    }

    /// What the shape check cannot see, each with the key path it is about.
    fn meaning_problems(&self) -> Vec<(Vec<String>, String)> {
        let mut problems = Vec::new();
        let mut problem = |path: &[&str], message: String| {
            problems.push((path.iter().map(|s| (*s).to_owned()).collect(), message))
        };
        if let Some(columns) = &self.columns
            && let Err(e) = crate::model::column::Column::parse_list(columns)
        {
            problem(&["columns"], format!("columns: {e}"));
        }
        // The chords are checked here; which actions they name, by the console's key tables
        // (`app::keymap::KeyBindings::from_config`), when the file is loaded for use.
        for (name, keys) in self.keys_table().unwrap_or_default() {
            if name == "prefix" && keys.len() != 1 {
                problem(&["keys", &name], "keys.prefix takes one key".to_owned());
            }
            for key in &keys {
                if let Err(e) = keys::KeyChord::parse(key) {
                    problem(&["keys", &name], format!("keys.{name}: {e}"));
                }
            }
        }
        if let Some(text) = &self.escape_char
            && let Err(e) = crate::term::escape::EscapeChar::parse(text)
        {
            problem(&["escape_char"], format!("escape_char: {e}"));
        }
        let mut names = std::collections::HashSet::new();
        for (index, tunnel) in self.tunnels.iter().enumerate() {
            if !names.insert(tunnel.name.as_str()) {
                problem(
                    &["tunnel", &index.to_string()],
                    format!("tunnel {:?} is defined twice", tunnel.name),
                );
            }
        }
        for (group, members) in &self.tunnel_groups {
            if names.contains(group.as_str()) {
                problem(
                    &["tunnel_group", group],
                    format!("tunnel_group {group:?} has the name of a tunnel"),
                );
            }
            for missing in members.iter().filter(|m| !names.contains(m.as_str())) {
                let near = crate::model::instance::closest_names(missing, names.iter().copied(), 1);
                let hint = near
                    .first()
                    .map(|n| format!("; did you mean {n:?}?"))
                    .unwrap_or_default();
                problem(
                    &["tunnel_group", group],
                    format!("tunnel_group {group:?} names no tunnel called {missing:?}{hint}"),
                );
            }
        }
        problems
    }

    /// The escape character `bosun shell` and the plugin read typing for (`~` unless set).
    pub fn escape(&self) -> crate::term::escape::EscapeChar {
        self.escape_char
            .as_deref()
            .and_then(|text| crate::term::escape::EscapeChar::parse(text).ok())
            .unwrap_or_default()
    }

    /// The saved tunnels `name` stands for: one tunnel, or a group's members.
    pub fn tunnels_named(&self, name: &str) -> Option<Vec<&SavedTunnel>> {
        if let Some(tunnel) = self.tunnels.iter().find(|t| t.name == name) {
            return Some(vec![tunnel]);
        }
        let members = self.tunnel_groups.get(name)?;
        Some(
            members
                .iter()
                .filter_map(|m| self.tunnels.iter().find(|t| &t.name == m))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
profiles = ["prod"]
regions = ["us-east-1", "eu-west-1"]

[[tunnel]]
name = "payments-db"
target = "payments-bastion"
remote_host = "payments-db.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com"
remote_port = 5432
local_port = 15432

[[tunnel]]
name = "payments-cache"
target = "tag:Role=bastion"
remote_port = 6379

[tunnel_group]
payments = ["payments-db", "payments-cache"]
"#;

    #[test]
    fn a_full_file_parses() {
        let config = Config::parse(SAMPLE, "config.toml").expect("valid");
        assert_eq!(config.refresh_seconds, 30);
        assert_eq!(config.tunnels.len(), 2);
        assert_eq!(config.tunnels[1].bind, IpAddr::from([127, 0, 0, 1]));
        let group = config.tunnels_named("payments").expect("group");
        assert_eq!(
            group.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["payments-db", "payments-cache"]
        );
        assert_eq!(
            config.tunnels_named("payments-db").map(|t| t.len()),
            Some(1)
        );
        assert!(config.tunnels_named("nope").is_none());
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        let broken = "regions = [\"us-east-1\"]\n\n[[tunnel]]\nname = \"x\"\ntarget = \"i-1\"\nremote_port = \"fifty\"\n";
        let error =
            Config::parse(broken, "/home/me/.config/bosun/config.toml").expect_err("invalid");
        assert_eq!(error.line, Some(6));
        let text = error.to_string();
        assert!(
            text.starts_with("/home/me/.config/bosun/config.toml:6:"),
            "{text}"
        );
        let unknown = Config::parse("refresh = 5\n", "c.toml").expect_err("unknown key");
        assert!(unknown.to_string().contains("refresh"), "{unknown}");
        let group =
            Config::parse("[tunnel_group]\ng = [\"missing\"]\n", "c.toml").expect_err("dangling");
        assert!(
            group.to_string().contains("no tunnel called \"missing\""),
            "{group}"
        );
    }

    #[test]
    fn columns_and_keys_are_checked() {
        let good = "columns = [\"name\", \"tag:Team\", \"region\"]\n[keys]\nprefix = \"ctrl-a\"\nshell = [\"S\", \"f5\"]\n";
        let config = Config::parse(good, "config.toml").expect("valid");
        assert_eq!(config.keys_table().expect("keys")["shell"], ["S", "f5"]);
        let error = Config::parse("columns = [\"colour\"]\n", "c.toml").expect_err("bad column");
        assert!(
            error.to_string().contains("unknown column \"colour\""),
            "{error}"
        );
        let error = Config::parse(
            "[[tunnel]]\nname = \"db\"\ntarget = \"i-1\"\nremote_port = 5432\nsessions = 40\n",
            "c.toml",
        )
        .expect_err("too many sessions");
        assert!(
            error.to_string().contains("sessions must be 1 to 16"),
            "{error}"
        );
        let error = Config::parse("[keys]\nshell = \"hyper-x\"\n", "c.toml").expect_err("bad key");
        assert!(error.to_string().contains("is not a key"), "{error}");
    }

    /// History per pane: the global length, each profile's own, and a refusal (with the
    /// key) for lengths that would take gigabytes.
    #[test]
    fn scrollback_is_set_globally_and_per_profile() {
        let config = Config::parse(
            "scrollback_lines = 2000\n[profile.prod]\nscrollback_lines = 20000\n[profile.dev]\n",
            "c.toml",
        )
        .expect("parses");
        let lines = config.scrollback();
        assert_eq!(lines.for_profile("prod"), 20_000);
        assert_eq!(lines.for_profile("dev"), 2_000);
        assert_eq!(lines.for_profile("other"), 2_000);
        assert_eq!(Config::default().scrollback().for_profile("x"), 5_000);
        let error = Config::parse("[profile.prod]\nscrollback_lines = 500000\n", "c.toml")
            .expect_err("too long");
        assert!(
            error
                .to_string()
                .contains("profile.prod.scrollback_lines must be 0 to 100000 lines"),
            "{error}"
        );
        let error = Config::parse("[profile.prod]\nscrolback = 5\n", "c.toml").expect_err("typo");
        assert!(error.to_string().contains("c.toml:2"), "{error}");
    }

    #[test]
    fn a_missing_file_is_an_empty_configuration() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            Config::load(&dir.path().join("none.toml")),
            Ok(Config::default())
        );
    }
}
