//! `bosun doctor TARGET [--json]`: why a session to TARGET would not start, and the fix. Each
//! check prints ✓ / ✗ / ? with its evidence, then one cause line, one fix line, and the other ways onto the
//! instance (Run Command, serial console, Instance Connect) when they apply, and where each
//! service is reached (a VPC endpoint, or the Region's public one). Exit status
//! 0 when a session would start, 1 when it would not, 2 when the checks could not run.

use crate::aws::target;
use crate::cli::{DoctorArgs, GlobalArgs};
use crate::model::doctor::{Check, Report, Verdict};
use crate::services::doctor;
use crate::services::sources::SessionClients;

pub async fn run(global: &GlobalArgs, args: &DoctorArgs) -> i32 {
    // With --org the instance (or the container) is looked at from its own account (as its
    // session role).
    let in_org = super::org::wanted(global);
    let container_in_org = match crate::model::container::EcsTarget::parse(&args.target) {
        Some(Ok(target)) if in_org => Some(target),
        _ => None,
    };
    let found = match &container_in_org {
        Some(target) => super::org::locate_container(global, target)
            .await
            .map(|(config, _, _)| (config, None))
            .map_err(super::org::NoConfig::ToSay),
        None => {
            let instance_in_org = in_org && !args.target.starts_with("ecs:");
            super::org::config_for(global, &args.target, "doctor", instance_in_org).await
        }
    };
    let (config, located) = match found {
        Ok(found) => found,
        Err(super::org::NoConfig::ToSay(error)) => {
            eprintln!("bosun doctor: {error}");
            return 2;
        }
        Err(super::org::NoConfig::Said(code)) => return code,
    };
    let region = config.region().map(ToString::to_string).unwrap_or_default();
    // A container (`ecs:CLUSTER/TASK[/CONTAINER]`, `ecs:CLUSTER/SERVICE`): ECS Exec's doctor.
    match crate::model::container::EcsTarget::parse(&args.target) {
        Some(Ok(target)) => return container(global, args, &config, &target, &region).await,
        Some(Err(error)) => {
            eprintln!("bosun doctor: {error}");
            return 2;
        }
        None => {}
    }
    let clients = SessionClients::new(&config);
    let resolved = match &located {
        Some(id) => Ok(id.clone()),
        None => target::resolve(&clients.ssm, &clients.ec2, &args.target).await,
    };
    let instance_id = match resolved {
        Ok(id) => id,
        Err(error) => {
            eprintln!("bosun doctor: {error}");
            return 2;
        }
    };
    let mut report = doctor::examine(&clients, &instance_id, &region).await;
    report.endpoints = crate::aws::endpoints::resolved(&config).await;
    if args.files && report.would_start {
        report
            .checks
            .push(files_check(clients.clone(), &instance_id, &args.target).await);
    }
    // An id unknown here is looked for in the other regions, as a name is.
    if report.cause.starts_with("there is no instance") {
        let elsewhere = target::regions_with_id(&clients.ec2, &instance_id).await;
        if let Some(other) = elsewhere.first() {
            report.fix = format!(
                "it is in {}: `bosun doctor {instance_id} --region {other}`",
                elsewhere.join(", ")
            );
        }
    }
    say_report(&report, args.json)
}

/// `--files`: whether the instance's shell has what copies need, asked in one session.
async fn files_check(clients: SessionClients, instance_id: &str, target: &str) -> Check {
    let remote = crate::services::transfer::Remote {
        clients,
        instance_id: instance_id.to_owned(),
        container: None,
        target: target.to_owned(),
        open: crate::services::transfer::OpenSessions::default(),
    };
    let (verdict, evidence) = match crate::services::transfer::lacks(&remote).await {
        Ok(Some(lacks)) if lacks.is_empty() => (
            Verdict::Pass,
            "a SHA-256 tool, base64, tar and od: bosun cp and the file view can work".to_owned(),
        ),
        Ok(Some(lacks)) => (Verdict::Fail, lacks.join("; ")),
        Ok(None) => (
            Verdict::Unknown,
            "its shell did not run the POSIX check (a Windows instance: bosun cp speaks POSIX \
             shells only so far)"
                .to_owned(),
        ),
        Err(error) => (
            Verdict::Unknown,
            format!("the check could not run: {error}"),
        ),
    };
    Check {
        area: "files",
        name: "copy tools",
        verdict,
        evidence,
    }
}

/// The doctor on a container: the task as ECS describes it, judged as ECS Exec needs it.
async fn container(
    global: &GlobalArgs,
    args: &DoctorArgs,
    config: &aws_config::SdkConfig,
    target: &crate::model::container::EcsTarget,
    region: &str,
) -> i32 {
    let ecs = aws_sdk_ecs::Client::new(config);
    let profile = super::profile_name(global);
    let row = match crate::aws::containers::resolve(&ecs, target, &profile, region).await {
        Ok(row) => row,
        Err(error) => {
            eprintln!("bosun doctor: {error}");
            return 2;
        }
    };
    let report = crate::model::doctor::container::container_report(&row);
    say_report(&report, args.json)
}

/// The report as text or JSON on stdout; the doctor's exit status.
fn say_report(report: &Report, json: bool) -> i32 {
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(json) => println!("{json}"),
            Err(error) => {
                eprintln!("bosun doctor: {error}");
                return 2;
            }
        }
    } else {
        print!("{}", render(report));
    }
    exit_status(report)
}

/// After a start that failed because of the target (not connected, unknown to SSM): the
/// doctor's cause and fix, and the command for the full report. `None` for other failures
/// (access denied, throttling), whose message already says what to do.
pub async fn start_failure_hint(
    config: &aws_config::SdkConfig,
    instance_id: &str,
    failure: &str,
) -> Option<String> {
    let about_the_target = crate::model::doctor::failure_is_about_the_target(failure);
    if !about_the_target {
        return None;
    }
    let region = config.region()?.to_string();
    let report = doctor::examine(&SessionClients::new(config), instance_id, &region).await;
    Some(format!(
        "  cause: {}\n  fix:   {}\n  full report: bosun doctor {instance_id}{}",
        report.cause,
        report.fix,
        if region.is_empty() {
            String::new()
        } else {
            format!(" --region {region}")
        }
    ))
}

fn exit_status(report: &Report) -> i32 {
    if report.would_start {
        0
    } else if report.cause.starts_with("the checks could not run") {
        2
    } else {
        1
    }
}

/// The report as a person reads it: the instance, a line per check, the cause and the fix.
pub fn render(report: &Report) -> String {
    let mut text = format!("{} in {}\n", report.instance_id, report.region);
    let width = report
        .checks
        .iter()
        .map(|c| c.area.len() + c.name.len() + 1)
        .max()
        .unwrap_or(0);
    for check in &report.checks {
        let label = format!("{} {}", check.area, check.name);
        text.push_str(&format!(
            "  {} {label:<width$}  {}\n",
            check.verdict.mark(),
            check.evidence
        ));
    }
    let verdict = if report.would_start {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    text.push_str(&format!("{} cause: {}\n", verdict.mark(), report.cause));
    text.push_str(&format!("  fix:   {}\n", report.fix));
    for fallback in &report.fallbacks {
        text.push_str(&format!("  or:    {fallback}\n"));
    }
    if !report.endpoints.is_empty() {
        text.push_str("endpoints\n");
        let width = report
            .endpoints
            .iter()
            .map(|e| e.service.len())
            .max()
            .unwrap_or(0);
        for endpoint in &report.endpoints {
            text.push_str(&format!(
                "  {:<width$}  {}  ({})\n",
                endpoint.service, endpoint.url, endpoint.origin
            ));
        }
    }
    text
}
