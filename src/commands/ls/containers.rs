//! `bosun ls --containers`: the ECS containers of every `--profile` × `--region` pair (cluster,
//! service, task, container, launch type, status, health, whether ECS Exec can reach it and
//! why not, image, CPU/memory, the EC2 instance of an EC2-launched task), as a table or one
//! JSON object a line. A pair that fails is named on stderr; the rest is listed; status 1.

use std::io::Write;

use crate::aws::containers;
use crate::cli::{GlobalArgs, LsArgs};
use crate::model::container::ContainerRow;

pub async fn run(global: &GlobalArgs, args: &LsArgs) -> i32 {
    let filter = args.filter.clone().unwrap_or_default();
    if let Err(error) = crate::model::container::check_filter(&filter) {
        eprintln!("bosun ls: --filter: {error}");
        return 2;
    }
    let (rows, failed) = super::read_every_pair(global, async |config, profile, region| {
        containers::fetch(&aws_sdk_ecs::Client::new(&config), &profile, &region).await
    })
    .await;
    let rows: Vec<ContainerRow> = rows
        .into_iter()
        .filter(|row| row.matches(&filter))
        .collect();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        for row in &rows {
            let mut value = serde_json::to_value(row).unwrap_or_default();
            value["target"] = serde_json::json!(row.label());
            value["exec_problem"] = serde_json::json!(row.exec_problem().map(|p| p.cause));
            let _ = writeln!(stdout, "{value}");
        }
    } else if !rows.is_empty() || !failed {
        // Every pair failed: the errors say so, without a bare header above them.
        let _ = stdout.write_all(
            table(
                &rows,
                super::several_profiles(rows.iter().map(|r| r.profile.as_str())),
            )
            .as_bytes(),
        );
    }
    i32::from(failed)
}

fn table(rows: &[ContainerRow], with_profile: bool) -> String {
    let mut header = vec![
        "CLUSTER",
        "SERVICE",
        "TASK",
        "CONTAINER",
        "LAUNCH",
        "STATUS",
        "HEALTH",
        "EXEC",
        "IMAGE",
        "CPU/MEM",
        "EC2",
        "REGION",
    ];
    if with_profile {
        header.push("PROFILE");
    }
    let dash = || "-".to_owned();
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for row in rows {
        let exec = match row.exec_problem() {
            None => "ok".to_owned(),
            Some(problem) => format!("no: {}", problem.cause),
        };
        let mut line = vec![
            row.cluster.clone(),
            if row.service.is_empty() {
                dash()
            } else {
                row.service.clone()
            },
            row.task_id.clone(),
            row.container.clone(),
            row.launch_type.clone(),
            row.task_status.clone(),
            row.health.clone(),
            exec,
            row.image.clone(),
            format!("{}/{}", row.cpu, row.memory),
            row.ec2_instance.clone().unwrap_or_else(dash),
            row.region.clone(),
        ];
        if with_profile {
            line.push(row.profile.clone());
        }
        lines.push(line);
    }
    super::aligned(&lines)
}
