//! Run Command in the console, pure: the targets and their blast radius (shared with
//! `bosun run`), the compose form, the confirmation, and the watch grid of invocations with
//! their AWS life-cycle statuses, a summary, and the selected instance's output.

use std::collections::BTreeMap;

use crate::aws::inventory::{InstanceRow, Ping};

/// Above this many targets the user types the count to confirm (as for production).
pub const CONFIRM_BY_COUNT_ABOVE: usize = 10;

/// One target as the blast radius shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTarget {
    pub id: String,
    pub name: String,
    pub environment: String,
    pub team: String,
    pub windows: bool,
    pub online: bool,
}

impl RunTarget {
    pub fn from_row(row: &InstanceRow) -> RunTarget {
        let tag = |key: &str| row.tags.get(key).cloned().unwrap_or_default();
        RunTarget {
            id: row.instance_id.clone(),
            name: row.name.clone(),
            environment: tag("Environment"),
            team: tag("Team"),
            windows: row.platform.eq_ignore_ascii_case("windows"),
            online: row.ping == Ping::Online,
        }
    }

    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.id.clone()
        } else {
            format!("{} {}", self.name, self.id)
        }
    }

    pub fn is_production(&self) -> bool {
        matches!(
            self.environment.to_ascii_lowercase().as_str(),
            "production" | "prod" | "prd"
        )
    }
}

/// The user must type the count: many targets, or any in production.
pub fn needs_typed_count(targets: &[RunTarget]) -> bool {
    targets.len() > CONFIRM_BY_COUNT_ABOVE || targets.iter().any(RunTarget::is_production)
}

/// "production 3, staging 1" for one tag.
pub fn count_by(targets: &[RunTarget], key: impl Fn(&RunTarget) -> &str) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for target in targets {
        let value = key(target);
        *counts
            .entry(if value.is_empty() {
                "(untagged)"
            } else {
                value
            })
            .or_default() += 1;
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The blast radius, before anything runs: one line each.
pub fn blast_radius(targets: &[RunTarget], region: &str, script: &str) -> Vec<String> {
    let who = if targets.iter().any(|t| t.windows) {
        "root/SYSTEM"
    } else {
        "root"
    };
    let mut lines = vec![
        format!(
            "Runs as {who} on {} instance{} in {region}:",
            targets.len(),
            if targets.len() == 1 { "" } else { "s" },
        ),
        format!("  environments: {}", count_by(targets, |t| &t.environment)),
        format!("  teams: {}", count_by(targets, |t| &t.team)),
    ];
    let offline: Vec<&RunTarget> = targets.iter().filter(|t| !t.online).collect();
    if !offline.is_empty() {
        let names: Vec<String> = offline.iter().take(5).map(|t| t.label()).collect();
        let more = if offline.len() > 5 {
            format!(" and {} more", offline.len() - 5)
        } else {
            String::new()
        };
        lines.push(format!(
            "  offline, will be Undeliverable: {} ({}{more})",
            offline.len(),
            names.join(", ")
        ));
    }
    lines.push(format!("  command: {script}"));
    lines
}
