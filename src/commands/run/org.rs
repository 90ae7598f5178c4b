//! `bosun run --org`: the targets found across the organisation (`--instance` by id or Name,
//! `--tag KEY=VALUE`), sent per account × region through the one Run Command pipeline, each
//! account as its session role; the blast radius names the accounts.

use std::collections::BTreeMap;

use crate::cli::{GlobalArgs, RunArgs};
use crate::model::instance::{InstanceRow, Ping};
use crate::model::run::{RunGroup, RunTarget};

/// Whether `row` is one of the targets the arguments name.
fn chosen(row: &InstanceRow, args: &RunArgs) -> bool {
    let by_instance = args
        .instance
        .iter()
        .any(|wanted| row.instance_id == *wanted || row.name == *wanted);
    let by_tag = args
        .tag
        .iter()
        .any(|(key, value)| row.tags.get(key).is_some_and(|v| v == value));
    by_instance || by_tag
}

pub(super) async fn run(global: &GlobalArgs, args: &RunArgs) -> i32 {
    let (rows, errors) = crate::commands::org::read_instances(global).await;
    for error in &errors {
        eprintln!("bosun run: {error}");
    }
    let rows: Vec<&InstanceRow> = rows.iter().filter(|row| chosen(row, args)).collect();
    // Every id asked for must be somewhere: an unknown one is a mistake, not a smaller run.
    let missing: Vec<&String> = args
        .instance
        .iter()
        .filter(|wanted| {
            !rows
                .iter()
                .any(|r| r.instance_id == **wanted || r.name == **wanted)
        })
        .collect();
    if !missing.is_empty() {
        let missing: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        eprintln!(
            "bosun run: no account of the organisation has {}",
            missing.join(", ")
        );
        return 2;
    }
    let unmanaged: Vec<String> = rows
        .iter()
        .filter(|r| r.ping == Ping::NotManaged)
        .map(|r| r.instance_id.clone())
        .collect();
    if !unmanaged.is_empty() {
        eprintln!(
            "bosun run: not managed by SSM, so Run Command cannot reach them: {}",
            unmanaged.join(", ")
        );
        return 2;
    }
    if rows.is_empty() {
        eprintln!("bosun run: no managed instance of the organisation matches those targets");
        return 2;
    }
    // SendCommand is per account and region: one group each, the account as its name.
    let mut groups: BTreeMap<(String, String), Vec<RunTarget>> = BTreeMap::new();
    for row in &rows {
        let account = row
            .account_name
            .clone()
            .unwrap_or_else(|| row.profile.clone());
        groups
            .entry((account, row.region.clone()))
            .or_default()
            .push(RunTarget::from_row(row));
    }
    let first_region = groups
        .keys()
        .next()
        .map(|(_, r)| r.clone())
        .unwrap_or_default();
    let mut request = match super::request_of(args, &first_region, Vec::new()) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("bosun run: {error}");
            return 2;
        }
    };
    request.groups = groups
        .into_iter()
        .map(|((profile, region), targets)| RunGroup {
            profile,
            region,
            targets,
        })
        .collect();
    if let Some(count) =
        crate::model::canary::canary_count(args.canary.as_deref().unwrap_or(""), rows.len())
            .ok()
            .flatten()
    {
        request.canary = crate::model::canary::pick_canary(&request, count);
    }
    let global_for_sources = global.clone();
    let connect = crate::commands::org::org_sources(std::sync::Arc::new(move || {
        let global = global_for_sources.clone();
        Box::pin(async move { crate::commands::org::reach(&global).await })
    }));
    // The doctor, for instances not reached, looks from the first group's account.
    let first = request
        .groups
        .first()
        .map(|g| (g.profile.clone(), g.region.clone()));
    let config = match first {
        Some((account, region)) => connect(vec![account], vec![region])
            .await
            .sources
            .into_iter()
            .next()
            .map(|s| s.config),
        None => None,
    };
    let Some(config) = config else {
        eprintln!("bosun run: no credentials for the targets' account");
        return 1;
    };
    super::go(global, args, request, connect, config).await
}
