//! `bosun agent status|update|restart`: how far behind the fleet's SSM Agents are (the
//! versions in use, what SSM knows is newer, what each old one lacks, from the one table of
//! what a version can do), and bringing them up to date (AWS-UpdateSSMAgent) or restarting
//! them through the one Run Command pipeline — blast radius, confirmation, canary first —
//! with the versions before and after.

use std::collections::BTreeMap;

use clap::Parser;

use crate::aws::target;
use crate::cli::{AgentChangeArgs, AgentCommand, AgentStatusArgs, Cli, Command, GlobalArgs};
use crate::model::agent::{RESTART_LINUX, RESTART_WINDOWS, lacks};
use crate::model::filter::Filter;
use crate::model::instance::InstanceRow;
use crate::services::session::FAILURE;

pub async fn run(global: &GlobalArgs, command: &AgentCommand) -> i32 {
    match command {
        AgentCommand::Status(args) => status(global, args).await,
        AgentCommand::Update(args) => change(global, args, Change::Update).await,
        AgentCommand::Restart(args) => change(global, args, Change::Restart).await,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Update,
    Restart,
}

/// One version in use, as `status` reports it.
#[derive(Debug, serde::Serialize)]
struct InUse {
    version: String,
    platform: String,
    instances: usize,
    /// How many of them SSM says have a newer agent available.
    behind: usize,
    /// What this version cannot do that a current one does.
    lacks: Vec<&'static str>,
}

async fn status(global: &GlobalArgs, args: &AgentStatusArgs) -> i32 {
    let filter = match Filter::parse(args.filter.as_deref().unwrap_or("")) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("bosun agent: {error}");
            return 2;
        }
    };
    let config = match super::regional_config(global, "agent").await {
        Ok(config) => config,
        Err(code) => return code,
    };
    let region = config.region().map(ToString::to_string).unwrap_or_default();
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let rows = match crate::aws::inventory::fetch(&ssm, &ec2, &super::profile_name(global), &region)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            eprintln!("bosun agent: {error}");
            return FAILURE;
        }
    };
    let managed: Vec<&InstanceRow> = rows
        .iter()
        .filter(|row| row.agent_version.is_some() && filter.matches(row))
        .collect();
    let in_use = summarise(&managed);
    if args.json {
        for version in &in_use {
            if let Ok(line) = serde_json::to_string(version) {
                println!("{line}");
            }
        }
        return 0;
    }
    let behind: usize = in_use.iter().map(|v| v.behind).sum();
    println!(
        "{} managed instance{} in {region}: {} agent version{} in use, {behind} behind the newest SSM knows",
        managed.len(),
        plural(managed.len()),
        in_use.len(),
        plural(in_use.len()),
    );
    let mut lines = vec![vec![
        "VERSION".to_owned(),
        "PLATFORM".to_owned(),
        "INSTANCES".to_owned(),
        "BEHIND".to_owned(),
        "LACKS".to_owned(),
    ]];
    for version in &in_use {
        lines.push(vec![
            version.version.clone(),
            version.platform.clone(),
            version.instances.to_string(),
            version.behind.to_string(),
            if version.lacks.is_empty() {
                "-".to_owned()
            } else {
                version.lacks.join("; ")
            },
        ]);
    }
    print!("{}", super::ls::aligned(&lines));
    if behind > 0 {
        println!(
            "bring them up to date: `bosun agent update TARGET…` (canary first), or mark them in the console and press U"
        );
    }
    0
}

/// The versions in use per platform, newest first.
fn summarise(rows: &[&InstanceRow]) -> Vec<InUse> {
    let mut by_version: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for row in rows {
        let version = row.agent_version.clone().unwrap_or_default();
        let entry = by_version
            .entry((row.platform.clone(), version))
            .or_default();
        entry.0 += 1;
        entry.1 += usize::from(row.agent_outdated);
    }
    let mut in_use: Vec<InUse> = by_version
        .into_iter()
        .map(|((platform, version), (instances, behind))| InUse {
            lacks: lacks(&version).into_iter().map(|(_, why)| why).collect(),
            version,
            platform,
            instances,
            behind,
        })
        .collect();
    in_use.sort_by(|a, b| {
        a.platform
            .cmp(&b.platform)
            .then_with(|| crate::model::agent::newest_first(&a.version, &b.version))
    });
    in_use
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What SSM says of an instance's agent.
struct Agent {
    version: String,
    platform: String,
    ping: String,
}

async fn agents(ssm: &aws_sdk_ssm::Client, ids: &[String]) -> BTreeMap<String, Agent> {
    let mut found = BTreeMap::new();
    for chunk in ids.chunks(50) {
        let Ok(filter) = aws_sdk_ssm::types::InstanceInformationStringFilter::builder()
            .key("InstanceIds")
            .set_values(Some(chunk.to_vec()))
            .build()
        else {
            continue;
        };
        let Ok(page) = ssm
            .describe_instance_information()
            .filters(filter)
            .send()
            .await
        else {
            continue;
        };
        for info in page.instance_information_list() {
            if let Some(id) = info.instance_id() {
                found.insert(
                    id.to_owned(),
                    Agent {
                        version: info.agent_version().unwrap_or("-").to_owned(),
                        platform: info
                            .platform_type()
                            .map(|p| p.as_str().to_owned())
                            .unwrap_or_default(),
                        ping: info
                            .ping_status()
                            .map(|p| p.as_str().to_owned())
                            .unwrap_or_default(),
                    },
                );
            }
        }
    }
    found
}

async fn change(global: &GlobalArgs, args: &AgentChangeArgs, change: Change) -> i32 {
    if global.read_only {
        eprintln!("bosun agent: refused by --read-only (Run Command changes instances)");
        return 2;
    }
    let config = match super::regional_config(global, "agent").await {
        Ok(config) => config,
        Err(code) => return code,
    };
    let ssm = aws_sdk_ssm::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let mut ids: Vec<(String, String)> = Vec::with_capacity(args.targets.len());
    for wanted in &args.targets {
        match target::resolve(&ssm, &ec2, wanted).await {
            Ok(id) => ids.push((id, wanted.clone())),
            Err(error) => {
                eprintln!("bosun agent: {error}");
                return 2;
            }
        }
    }
    let only_ids: Vec<String> = ids.iter().map(|(id, _)| id.clone()).collect();
    let before = agents(&ssm, &only_ids).await;
    // A restart's text is the platform's own: one run per platform.
    let runs: Vec<(Vec<String>, Option<&str>)> = match change {
        Change::Update => vec![(only_ids.clone(), None)],
        Change::Restart => {
            let windows = |id: &String| before.get(id).is_some_and(|a| a.platform == "Windows");
            let (on_windows, others): (Vec<String>, Vec<String>) =
                only_ids.iter().cloned().partition(windows);
            [
                (others, Some(RESTART_LINUX)),
                (on_windows, Some(RESTART_WINDOWS)),
            ]
            .into_iter()
            .filter(|(ids, _)| !ids.is_empty())
            .collect()
        }
    };
    let mut code = 0;
    for (targets, command) in runs {
        let mut argv: Vec<String> = vec!["bosun".into(), "run".into()];
        for id in &targets {
            argv.extend(["--instance".into(), id.clone()]);
        }
        let canary = args
            .canary
            .clone()
            .unwrap_or_else(|| if targets.len() > 1 { "1" } else { "" }.to_owned());
        if !canary.is_empty() && canary != "0" {
            argv.extend(["--canary".into(), canary]);
        }
        if args.yes {
            argv.push("--yes".into());
        }
        match command {
            None => argv.extend(["--document".into(), "AWS-UpdateSSMAgent".into()]),
            Some(text) => argv.extend(["--".into(), text.to_owned()]),
        }
        let Ok(Cli {
            command: Some(Command::Run(run_args)),
            ..
        }) = Cli::try_parse_from(&argv)
        else {
            eprintln!("bosun agent: could not build the run");
            return 2;
        };
        code = code.max(super::run::run(global, &run_args).await);
    }
    let after = agents(&ssm, &only_ids).await;
    eprintln!("agents before and after:");
    for (id, asked) in &ids {
        let was = before.get(id).map_or("-", |a| a.version.as_str());
        let now = after.get(id);
        let is = now.map_or("-", |a| a.version.as_str());
        let ping = now.map_or("", |a| a.ping.as_str());
        let shown = if asked == id {
            id.clone()
        } else {
            format!("{asked} ({id})")
        };
        let verdict = match change {
            Change::Update if was == is => format!("{was} (unchanged)"),
            Change::Update => format!("{was} → {is}"),
            Change::Restart => format!("{is}, {ping}"),
        };
        eprintln!("  {shown}: {verdict}");
    }
    code
}
