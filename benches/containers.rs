//! The Containers view at scale: `bosun sim --instances 10 --ecs-services 2000` (three tasks
//! each, 6,000 containers over 20 clusters in two regions) as its own process, then in this
//! process the containers read (ListClusters, ListTasks, DescribeTasks, as the console reads
//! them), the view ready (first frame), each filter keystroke (reducer + draw on a 200x50
//! `TestBackend`) and the memory that holds it. Prints figures; with `-- --check` holds them to
//! their budgets (ready in 2 s, a keystroke in 16 ms at worst, 150 MB) and the read to every
//! container; `BOSUN_BENCH_CHECK=counts` holds the count alone.
//!
//! cargo bench --bench containers [-- --check]

mod common;

use std::time::{Duration, Instant, SystemTime};

use bosun::app::editor::TextInput;
use bosun::app::{self, Action, Input, State};
use bosun::aws::containers;
use bosun::config::theme::Theme;
use bosun::term::Screens;
use bosun::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 2,000 services of three tasks, a container each.
const CONTAINERS: usize = 6_000;

fn main() {
    let mut verdicts = common::Verdicts::new();
    let (mut sim, endpoint) =
        common::demo_keyed_sim(&["--instances", "10", "--ecs-services", "2000"]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let memory_before = common::rss_mb();

    let start = Instant::now();
    let rows = runtime.block_on(async {
        let reads = ["us-east-1", "eu-west-1"].map(|region| {
            let endpoint = endpoint.clone();
            async move {
                let config = bosun::aws::demo_config(&endpoint, region).await;
                let ecs = aws_sdk_ecs::Client::new(&config);
                containers::fetch(&ecs, "bench", region)
                    .await
                    .expect("containers")
            }
        });
        futures_util::future::join_all(reads).await.concat()
    });
    let fetched = start.elapsed();
    let count = rows.len();
    let mut state = State::new("bench");
    let _ = app::update(
        &mut state,
        Input::Resized {
            width: 200,
            height: 50,
        },
    );
    let _ = app::update(&mut state, Input::Action(Action::ShowContainers));
    let _ = app::update(
        &mut state,
        Input::ContainersLoaded {
            rows,
            errors: Vec::new(),
        },
    );
    let theme = Theme::default();
    let screens = Screens::new();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    terminal
        .draw(|frame| ui::draw(frame, &state, &theme, SystemTime::now(), &screens))
        .expect("draw");
    let ready = start.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "the Containers view at {count} containers (2,000 services x 3 tasks, 20 clusters, 2 regions)"
    );
    println!("  containers read (ECS)            {:>8.0} ms", ms(fetched));
    println!(
        "  view ready (first frame)         {:>8.0} ms (budget 2,000 ms)",
        ms(ready)
    );

    let _ = app::update(&mut state, Input::Action(Action::Filter));
    let mut keystrokes = Vec::new();
    for c in "cluster:cluster-007 exec:on 00".chars() {
        let begin = Instant::now();
        let _ = app::update(&mut state, Input::Text(TextInput::Char(c)));
        terminal
            .draw(|frame| ui::draw(frame, &state, &theme, SystemTime::now(), &screens))
            .expect("draw");
        keystrokes.push(begin.elapsed());
    }
    keystrokes.sort();
    println!(
        "  filter keystroke (reduce + draw) {:>8.2} ms median, {:.2} ms worst of {} (budget 16 ms)",
        ms(keystrokes[keystrokes.len() / 2]),
        ms(keystrokes[keystrokes.len() - 1]),
        keystrokes.len()
    );
    println!(
        "  memory                           {:>8.1} MB ({:.1} MB before loading; budget 150 MB)",
        common::rss_mb(),
        memory_before
    );
    verdicts.count(
        "containers read",
        count == CONTAINERS,
        format!("{count}, must be {CONTAINERS}"),
    );
    verdicts.at_most("view ready", ms(ready), 2000.0, "ms");
    verdicts.at_most(
        "filter keystroke (worst)",
        ms(keystrokes[keystrokes.len() - 1]),
        16.0,
        "ms",
    );
    verdicts.at_most("memory", common::rss_mb(), 150.0, "MB");
    let _ = sim.kill();
    let _ = sim.wait();
    verdicts.finish();
}
