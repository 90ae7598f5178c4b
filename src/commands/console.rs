//! Starting the console: sources from `--profile`/`--region` (or the configuration file's
//! defaults), or the in-process simulated fleet for `--demo`; the theme; then the TUI. A
//! broken configuration or theme file is shown inside the console, which still starts.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::app::keymap::KeyBindings;
use crate::aws;
use crate::cli::GlobalArgs;
use crate::config::Config;
use crate::config::SavedTunnel;
use crate::config::theme::Theme;
use crate::model::column::{Column, DEFAULT_COLUMNS};
use crate::model::document::Document;
use crate::model::tunnel::TunnelDef;
use crate::services::sources::{Source, SourceFactory, Sources, simulator_sources_with};
use crate::sim::{self, SimConfig};
use crate::tui::{self, ConsoleOptions};
use std::collections::BTreeMap;

/// The document a shell pane starts unless the configuration names another.
pub const DEFAULT_SHELL_DOCUMENT: &str = Document::SessionManagerRunShell.name();

/// The demo organisation's member accounts, besides the demo fleet's own.
const DEMO_MEMBER_ACCOUNTS: usize = 3;

pub async fn run(global: &GlobalArgs, demo: bool) -> i32 {
    let mut notices = Vec::new();
    let config = match super::load_config(global) {
        Ok(config) => config,
        Err(error) => {
            notices.push(format!("configuration ignored: {error}"));
            Config::default()
        }
    };
    // Old recordings go before new ones are made (`recordings_keep_days`, 30 by default).
    let pruned = crate::logging::prune_recordings(config.recordings_keep_days);
    if pruned > 0 {
        tracing::info!(pruned, "recordings past recordings_keep_days deleted");
    }
    let theme_name = global
        .theme
        .clone()
        .or(config.theme.clone())
        .unwrap_or_else(|| "default".to_owned());
    let themes_dir = super::config_path(global).and_then(|p| p.parent().map(|d| d.join("themes")));
    let (theme, theme_error) = Theme::load(&theme_name, themes_dir.as_deref());
    if let Some(error) = theme_error {
        notices.push(format!("theme: {error} (using the default theme)"));
    }

    let keys = match config
        .keys_table()
        .and_then(|t| KeyBindings::from_config(&t))
    {
        Ok(keys) => keys,
        Err(error) => {
            notices.push(format!("keys ignored: {error}"));
            KeyBindings::default()
        }
    };
    let columns = match &config.columns {
        Some(names) => Column::parse_list(names).unwrap_or_else(|error| {
            notices.push(format!("columns ignored: {error}"));
            DEFAULT_COLUMNS.to_vec()
        }),
        // The organisation's accounts are what one most needs to tell apart.
        None if global.org || config.org.enabled => {
            let mut columns: Vec<Column> = DEFAULT_COLUMNS
                .iter()
                .filter(|c| **c != Column::Account)
                .cloned()
                .collect();
            columns.insert(1, Column::OrgAccount);
            columns
        }
        None => DEFAULT_COLUMNS.to_vec(),
    };

    // The simulator lives as long as the console when it is the demo.
    let mut _simulator = None;
    let connect: SourceFactory = if demo {
        // A key pair only this process knows: no other local program gets the demo's shells.
        let keys = match sim::random_key_pair() {
            Ok(keys) => keys,
            Err(error) => {
                eprintln!("bosun --demo: {error}");
                return 1;
            }
        };
        // The demo is a small organisation too, when asked for (`bosun --demo --org`): its
        // member accounts are made only then.
        let org_wanted = global.org || config.org.enabled;
        let demo_config = SimConfig {
            accounts: if org_wanted { DEMO_MEMBER_ACCOUNTS } else { 0 },
            ..SimConfig::for_own_clients(keys.clone())
        };
        let handle = match sim::start(demo_config).await {
            Ok(handle) => handle,
            Err(error) => {
                eprintln!("bosun --demo: {error}");
                return 1;
            }
        };
        let endpoint = handle.endpoint_url();
        let portal = handle.portal_login();
        _simulator = Some(handle);
        match portal {
            Some((start_url, token)) if org_wanted => {
                super::org::org_sources(Arc::new(move || {
                    let (endpoint, keys) = (endpoint.clone(), keys.clone());
                    let (start_url, token) = (start_url.clone(), token.clone());
                    Box::pin(async move {
                        super::org::demo_reach(&endpoint, &keys, start_url, token).await
                    })
                }))
            }
            _ => simulator_sources_with(endpoint, keys),
        }
    } else if global.org || config.org.enabled {
        let global = global.clone();
        super::org::org_sources(Arc::new(move || {
            let global = global.clone();
            Box::pin(async move { super::org::reach(&global).await })
        }))
    } else {
        let endpoint_url = global.endpoint_url.clone();
        let default_profiles = config.profiles.clone();
        let default_regions = config.regions.clone();
        Arc::new(move |profiles: Vec<String>, regions: Vec<String>| {
            let endpoint_url = endpoint_url.clone();
            let profiles = first_non_empty(&profiles, &default_profiles);
            let regions = first_non_empty(&regions, &default_regions);
            Box::pin(async move {
                let mut sources = Vec::new();
                for profile in &profiles {
                    for region in &regions {
                        let config = aws::load_config(
                            profile.as_deref(),
                            region.as_deref(),
                            endpoint_url.as_deref(),
                        )
                        .await;
                        sources.push(Source {
                            profile: profile.clone().unwrap_or_else(|| "default".to_owned()),
                            config,
                        });
                    }
                }
                let label = sources
                    .iter()
                    .map(|s| {
                        format!(
                            "{}/{}",
                            s.profile,
                            s.config
                                .region()
                                .map(ToString::to_string)
                                .unwrap_or_else(|| "?".to_owned())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                Sources { sources, label }
            }) as BoxFuture<'static, Sources>
        })
    };
    // Saved tunnels for the Tunnels view. The demo brings the one-key RDS tunnel of its
    // fleet (through payments-bastion) when the configuration has none.
    let (tunnels, tunnel_groups) = if config.tunnels.is_empty() && demo {
        demo_tunnels()
    } else {
        (
            config.tunnels.iter().map(SavedTunnel::to_def).collect(),
            config.tunnel_groups.clone(),
        )
    };
    tui::run(ConsoleOptions {
        connect,
        tunnels,
        tunnel_groups,
        confirm_above: config.run_confirm_above,
        profiles: global.profile.clone(),
        regions: global.region.clone(),
        theme,
        themes_dir,
        keys,
        columns,
        notice: (!notices.is_empty()).then(|| notices.join("; ")),
        refresh: Duration::from_secs(
            config
                .refresh_seconds
                .max(crate::config::MIN_REFRESH_SECONDS),
        ),
        shell_document: config
            .shell_document
            .clone()
            .unwrap_or_else(|| DEFAULT_SHELL_DOCUMENT.to_owned()),
        read_only: global.read_only,
        scrollback: config.scrollback(),
        profile_exists: (!demo).then_some(aws::profiles::check as tui::ProfileCheck),
        // The demo's simulated AWS ends with the console: nothing to keep in the background.
        background: (!demo)
            .then(super::tunnel::socket_path)
            .flatten()
            .map(|socket| tui::BackgroundTunnels {
                socket,
                config_file: global.config.clone(),
                context: super::tunnel::context_of(global),
            }),
        record_panes: config.record_panes,
    })
    .await
}

/// The demo fleet's database and cache behind payments-bastion, as a group.
fn demo_tunnels() -> (Vec<TunnelDef>, BTreeMap<String, Vec<String>>) {
    let through_bastion = |name: &str, host: &str, port: u16| TunnelDef {
        name: name.to_owned(),
        target: "payments-bastion".to_owned(),
        remote_host: Some(host.to_owned()),
        remote_port: port,
        local_port: 0,
        bind: std::net::IpAddr::from([127, 0, 0, 1]),
        profile: None,
        region: Some("us-east-1".to_owned()),
        sessions: 1,
        account: None,
        lazy: false,
        idle_after: None,
    };
    let tunnels = vec![
        through_bastion(
            "payments-db",
            "payments-db.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com",
            5432,
        ),
        through_bastion(
            "payments-cache",
            "payments-cache.abc123.use1.cache.amazonaws.com",
            6379,
        ),
    ];
    let groups = [(
        "payments".to_owned(),
        vec!["payments-db".to_owned(), "payments-cache".to_owned()],
    )]
    .into_iter()
    .collect();
    (tunnels, groups)
}

/// The command line's values, else the configuration file's, else one "not given" entry.
fn first_non_empty(cli: &[String], file: &[String]) -> Vec<Option<String>> {
    let chosen = if cli.is_empty() { file } else { cli };
    if chosen.is_empty() {
        vec![None]
    } else {
        chosen.iter().cloned().map(Some).collect()
    }
}
