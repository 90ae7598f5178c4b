//! Run Command at fleet scale through the console's service: 1,000 targets against the
//! simulator, the API calls each refresh cycle costs, how soon after the simulator finishes
//! the grid shows every final status, and what a frame of the watch view costs with 1,000
//! rows. Prints figures; with `-- --check` holds them to their budgets (every final status shown
//! within 2 refresh cycles of the simulator finishing, at most 25 API calls a cycle, a frame in
//! 16 ms) and the run to its counts (20 commands of at most 50 targets, 1,000 successes);
//! `BOSUN_BENCH_CHECK=counts` holds the counts and the calls alone.
//!
//! cargo bench --bench runs [-- --check]

mod common;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bosun::app::{self, Action, Input, State};
use bosun::config::theme::Theme;
use bosun::model::run::{RunGroup, RunRequest, RunTarget};
use bosun::model::status::InvocationStatus;
use bosun::services::runs::{RunCommand, RunEvent, RunOptions};
use bosun::sim::{self, Fleet, Platform, SimConfig};
use bosun::term::Screens;
use bosun::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

const TARGETS: usize = 1_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let mut verdicts = common::Verdicts::new();
    let fleet = Fleet::generate(2_600, 11);
    let chosen: Vec<&sim::Instance> = fleet
        .instances
        .iter()
        .filter(|i| i.region == "us-east-1" && i.platform == Platform::Linux && i.is_online())
        .take(TARGETS)
        .collect();
    assert_eq!(chosen.len(), TARGETS, "enough online Linux instances");
    let targets: Vec<RunTarget> = chosen
        .iter()
        .map(|i| RunTarget {
            id: i.id.clone(),
            name: i.name().to_owned(),
            environment: String::new(),
            team: String::new(),
            windows: false,
            online: true,
            ..RunTarget::default()
        })
        .collect();
    let sim = sim::start(SimConfig {
        fleet: fleet.clone(),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let connect = bosun::services::sources::simulator_sources(sim.endpoint_url());
    let request = RunRequest {
        groups: vec![RunGroup {
            profile: "bench".to_owned(),
            region: "us-east-1".to_owned(),
            targets,
        }],
        script: "echo done-$INSTANCE_ID".to_owned(),
        document: None,
        timeout_seconds: 60,
        max_concurrency: "100%".to_owned(),
        max_errors: "100%".to_owned(),
        comment: "bosun bench".to_owned(),
        output_s3: None,
        cloudwatch: None,
        parameters: Vec::new(),
        canary: Vec::new(),
    };
    let calls = |operation: &str| {
        sim.request_counts()
            .iter()
            .filter(|(op, _)| op.ends_with(operation))
            .map(|(_, n)| *n)
            .sum::<u64>()
    };
    let (inputs_tx, mut inputs) = mpsc::channel(64);
    let started = Instant::now();
    let run = bosun::services::runs::spawn(
        request.clone(),
        connect,
        RunOptions::default(),
        1,
        inputs_tx,
    );
    // Someone is looking at one instance's output, as in the console.
    let _ = run.send(RunCommand::Watch(request.groups[0].targets[0].id.clone()));
    let mut rounds = 0u64;
    let mut command_ids = Vec::new();
    let complete_at;
    let last = loop {
        match inputs.recv().await.expect("reports").value {
            RunEvent::Sent { command_ids: ids } => command_ids = ids,
            RunEvent::Progress { invocations, .. } => {
                rounds += 1;
                if invocations.len() >= TARGETS && invocations.iter().all(|i| i.finished()) {
                    complete_at = SystemTime::now();
                    break invocations;
                }
            }
            RunEvent::PollFailed(error) | RunEvent::Failed(error) => panic!("{error}"),
            _ => {}
        }
    };
    let elapsed = started.elapsed();
    run.abort();
    let lists = calls("ListCommandInvocations");
    let gets = calls("GetCommandInvocation");
    // When did the simulator finish? The latest plugin finish time across the invocations.
    let config = bosun::aws::demo_config(&sim.endpoint_url(), "us-east-1").await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let mut sim_done = 0f64;
    let mut batches = Vec::new();
    for id in &command_ids {
        let mut batch = 0;
        let mut pages = ssm
            .list_command_invocations()
            .command_id(id)
            .details(true)
            .into_paginator()
            .send();
        while let Some(Ok(page)) = pages.next().await {
            for invocation in page.command_invocations() {
                batch += 1;
                for plugin in invocation.command_plugins() {
                    if let Some(end) = plugin.response_finish_date_time() {
                        sim_done = sim_done.max(end.as_secs_f64());
                    }
                }
            }
        }
        batches.push(batch);
    }
    let shown = complete_at
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let behind = (shown - sim_done).max(0.0);
    println!(
        "Run Command, {TARGETS} targets through the console's service (bosun sim, pacing off)"
    );
    println!(
        "  commands sent                    {:>8} (batches of 50)",
        command_ids.len()
    );
    println!(
        "  all final statuses after         {:>8.2} s, {rounds} refresh cycles",
        elapsed.as_secs_f64()
    );
    println!(
        "  API calls per refresh cycle      {:>8.1} ({lists} ListCommandInvocations + {gets} GetCommandInvocation over {rounds} cycles)",
        (lists + gets) as f64 / rounds as f64
    );
    println!(
        "  grid complete after the last finish {:>5.0} ms ({:.2} refresh cycles of 1 s)",
        behind * 1000.0,
        behind
    );

    verdicts.count(
        "SendCommand calls",
        command_ids.len() == TARGETS.div_ceil(50)
            && calls("SendCommand") == command_ids.len() as u64,
        format!(
            "{} commands, {} calls",
            command_ids.len(),
            calls("SendCommand")
        ),
    );
    verdicts.count(
        "targets per command",
        batches.iter().all(|&n| n <= 50) && batches.iter().sum::<usize>() == TARGETS,
        format!("{batches:?}"),
    );
    let succeeded = last
        .iter()
        .filter(|i| i.status == InvocationStatus::Success)
        .count();
    verdicts.count(
        "invocations that succeeded",
        succeeded == TARGETS,
        format!("{succeeded} of {TARGETS}"),
    );
    verdicts.count(
        "API calls per refresh cycle",
        (lists + gets) as f64 / rounds as f64 <= 25.0,
        format!("{lists} + {gets} over {rounds} cycles, budget 25 a cycle"),
    );
    verdicts.at_most("grid complete after the last finish", behind, 2.0, "s");

    // A frame of the watch view with all 1,000 rows.
    let mut state = State::new("bench");
    state.runs.watch = Some(bosun::app::views::runs::RunWatch::new(request));
    state.view = app::View::Run;
    let _ = app::update(
        &mut state,
        Input::Resized {
            width: 200,
            height: 50,
        },
    );
    let _ = app::update(
        &mut state,
        Input::RunProgress {
            invocations: last.clone(),
            throttled: false,
        },
    );
    let theme = Theme::default();
    let screens = Screens::new();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let mut frames = Vec::new();
    for _ in 0..50 {
        let begin = Instant::now();
        let _ = app::update(
            &mut state,
            Input::RunProgress {
                invocations: last.clone(),
                throttled: false,
            },
        );
        let _ = app::update(&mut state, Input::Action(Action::Down));
        terminal
            .draw(|frame| ui::draw(frame, &state, &theme, SystemTime::now(), &screens))
            .expect("draw");
        frames.push(begin.elapsed());
    }
    frames.sort();
    println!(
        "  watch view frame, 1,000 rows     {:>8.2} ms median, {:.2} ms worst (update + draw)",
        frames[frames.len() / 2].as_secs_f64() * 1000.0,
        frames[frames.len() - 1].as_secs_f64() * 1000.0
    );
    verdicts.at_most(
        "watch view frame (median)",
        frames[frames.len() / 2].as_secs_f64() * 1000.0,
        16.0,
        "ms",
    );
    verdicts.finish();
}
