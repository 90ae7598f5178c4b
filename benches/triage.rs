//! Run Command triage at fleet scale: grouping 1,000 invocations of 24,000 characters each
//! (exactly and by shape; all alike, three odd ones out, all different), and the console's
//! grouped watch view at 1,000 targets (each result settling, then a frame). Prints figures;
//! with `-- --check` holds them to their budgets (grouping 50 ms, a frame 16 ms) and each case
//! to the groups it must make; `BOSUN_BENCH_CHECK=counts` holds the groups alone.
//!
//! cargo bench --bench triage [-- --check]

mod common;

use std::time::{Duration, Instant, SystemTime};

use bosun::app::View;
use bosun::app::views::runs::RunWatch;
use bosun::app::{self, Action, Input, State};
use bosun::config::theme::Theme;
use bosun::model::run::{RunGroup, RunRequest, RunTarget};
use bosun::model::run_groups::{GroupBy, RunResult, group_results};
use bosun::model::run_shape::identities_of;
use bosun::term::Screens;
use bosun::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const INSTANCES: usize = 1_000;

fn instance(n: usize) -> (String, String, String) {
    (
        format!("i-0{n:016x}"),
        format!("web-{n}"),
        format!("10.{}.{}.{}", n / 65_536, n / 256 % 256, n % 256),
    )
}

/// `size` characters of log-like text for instance `n`; `odd` changes its words, `numbers`
/// its numbers and its own name (the same shape).
fn output(n: usize, size: usize, odd: bool, numbers: bool) -> String {
    let (id, name, _) = instance(n);
    let mut text = String::with_capacity(size + 100);
    let mut line = 0;
    while text.chars().count() < size {
        let stamp = if numbers { n * 7 + line } else { line };
        let word = if odd { "ERROR" } else { "INFO" };
        text.push_str(&format!(
            "2026-11-29T08:{:02}:{:02}Z {word} {} served request {stamp} in {} ms é\n",
            line / 60 % 60,
            line % 60,
            if numbers { &name } else { "web" },
            if numbers { stamp % 97 } else { 12 },
        ));
        line += 1;
    }
    let _ = id;
    text.chars().take(size).collect()
}

fn results(size: usize, odd: &[usize], numbers: bool) -> Vec<RunResult> {
    (0..INSTANCES)
        .map(|n| {
            let (id, name, ip) = instance(n);
            RunResult {
                identities: identities_of(&id, &name, &ip),
                instance_id: id,
                name,
                status: "Success".into(),
                exit_code: Some(0),
                output: output(n, size, odd.contains(&n), numbers),
                truncated: size >= 24_000,
            }
        })
        .collect()
}

fn median_ms(mut runs: Vec<Duration>) -> f64 {
    runs.sort();
    runs[runs.len() / 2].as_secs_f64() * 1000.0
}

fn time_grouping(
    verdicts: &mut common::Verdicts,
    label: &str,
    results: &[RunResult],
    by: GroupBy,
    expected: usize,
) {
    let mut runs = Vec::new();
    let mut groups = 0;
    for _ in 0..5 {
        let start = Instant::now();
        groups = group_results(results, by).len();
        runs.push(start.elapsed());
    }
    println!(
        "  {label:<44} {:>5} {:>8.1} ms median of 5 (budget 50 ms), {groups} groups",
        by.as_str(),
        median_ms(runs.clone())
    );
    let case = format!("{label} by {}", by.as_str());
    verdicts.count(
        &format!("{case}: groups"),
        groups == expected,
        format!("{groups}, must be {expected}"),
    );
    verdicts.at_most(&case, median_ms(runs), 50.0, "ms");
}

fn grouped_watch(verdicts: &mut common::Verdicts) {
    let targets: Vec<RunTarget> = (0..INSTANCES)
        .map(|n| {
            let (id, name, ip) = instance(n);
            RunTarget {
                id,
                name,
                private_ip: ip,
                online: true,
                ..RunTarget::default()
            }
        })
        .collect();
    let request = RunRequest {
        groups: vec![RunGroup {
            profile: "bench".to_owned(),
            region: "us-east-1".to_owned(),
            targets,
        }],
        script: "tail -n 40 /var/log/app.log".to_owned(),
        timeout_seconds: 600,
        max_concurrency: "50".to_owned(),
        max_errors: "0".to_owned(),
        ..RunRequest::default()
    };
    let mut state = State::new("bench");
    let _ = app::update(
        &mut state,
        Input::Resized {
            width: 200,
            height: 50,
        },
    );
    state.runs.watch = Some(RunWatch::new(request));
    state.view = View::Run;
    // What the console sees: the listing's output, cut at 2,500 characters.
    let listed = results(2_500, &[17, 480, 901], true);
    let theme = Theme::default();
    let screens = Screens::new();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let _ = app::update(&mut state, Input::Action(Action::ToggleGroups));
    let mut settling = Vec::new();
    let start = Instant::now();
    for result in listed {
        let begin = Instant::now();
        let _ = app::update(&mut state, Input::RunSettled(result));
        settling.push(begin.elapsed());
    }
    let all = start.elapsed();
    let mut frames = Vec::new();
    for by in [GroupBy::Exact, GroupBy::Shape] {
        if state
            .runs
            .watch
            .as_ref()
            .is_some_and(|r| r.grouping.by != by)
        {
            let _ = app::update(&mut state, Input::Action(Action::ToggleGroupBy));
        }
        for _ in 0..20 {
            let _ = app::update(&mut state, Input::Action(Action::Down));
            let begin = Instant::now();
            terminal
                .draw(|frame| ui::draw(frame, &state, &theme, SystemTime::now(), &screens))
                .expect("draw");
            frames.push(begin.elapsed());
        }
    }
    settling.sort();
    frames.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("the console's grouped watch view at {INSTANCES} targets (200x50)");
    println!(
        "  a result settles (regroup)        {:>6.2} ms median, {:.2} ms worst; all {INSTANCES}: {:.0} ms",
        ms(settling[settling.len() / 2]),
        ms(settling[settling.len() - 1]),
        ms(all)
    );
    println!(
        "  a frame (draw)                    {:>6.2} ms median, {:.2} ms worst of {} (budget 16 ms)",
        ms(frames[frames.len() / 2]),
        ms(frames[frames.len() - 1]),
        frames.len()
    );
    verdicts.at_most(
        "a frame of the grouped watch view (median)",
        ms(frames[frames.len() / 2]),
        16.0,
        "ms",
    );
}

fn main() {
    let mut verdicts = common::Verdicts::new();
    println!("grouping {INSTANCES} invocations of 24,000 characters each");
    let alike = results(24_000, &[], false);
    time_grouping(&mut verdicts, "all alike", &alike, GroupBy::Exact, 1);
    time_grouping(&mut verdicts, "all alike", &alike, GroupBy::Shape, 1);
    // The three odd ones say the same as each other.
    let three = results(24_000, &[17, 480, 901], false);
    time_grouping(
        &mut verdicts,
        "three odd ones out",
        &three,
        GroupBy::Exact,
        2,
    );
    time_grouping(
        &mut verdicts,
        "three odd ones out",
        &three,
        GroupBy::Shape,
        2,
    );
    // Every output differs to the letter; by shape only the three odd ones stand apart.
    let varied = results(24_000, &[17, 480, 901], true);
    let label = "numbers and names differ, each cut by AWS";
    time_grouping(&mut verdicts, label, &varied, GroupBy::Exact, INSTANCES);
    time_grouping(&mut verdicts, label, &varied, GroupBy::Shape, 2);
    drop((alike, three, varied));
    grouped_watch(&mut verdicts);
    verdicts.finish();
}
