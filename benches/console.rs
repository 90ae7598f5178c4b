//! The console at fleet scale: `bosun sim --instances 10000` (`BOSUN_BENCH_INSTANCES=N` for
//! another size, e.g. an organisation's 20,000) as its own process, then in this
//! process the joined inventory fetch, the first frame, and each filter keystroke (reducer +
//! draw on a 200x50 `TestBackend`), and the memory that holds it all. Prints figures; asserts
//! nothing about speed unless asked: with `-- --check` it holds them to their budgets (ready in
//! 2 s, a keystroke in 16 ms at worst, 150 MB) and the inventory to every instance;
//! `BOSUN_BENCH_CHECK=counts` holds the count alone.
//!
//! cargo bench --bench console [-- --check]

mod common;

use std::time::{Duration, Instant, SystemTime};

use bosun::app::editor::TextInput;
use bosun::app::{self, Action, Input, State};
use bosun::aws::inventory;
use bosun::config::theme::Theme;
use bosun::term::Screens;
use bosun::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// `bosun sim --instances 10000`: the managed instances, both regions together.
const INSTANCES: usize = 10_000;

/// The size asked for (`BOSUN_BENCH_INSTANCES`), else `INSTANCES`.
fn instances() -> usize {
    std::env::var("BOSUN_BENCH_INSTANCES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(INSTANCES)
}

fn main() {
    let mut verdicts = common::Verdicts::new();
    let size = instances().to_string();
    let (mut sim, endpoint) = common::demo_keyed_sim(&["--instances", &size]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let memory_before = common::rss_mb();

    let start = Instant::now();
    let rows = runtime.block_on(async {
        let mut all = Vec::new();
        let fetches = ["us-east-1", "eu-west-1"].map(|region| {
            let endpoint = endpoint.clone();
            async move {
                let config = bosun::aws::demo_config(&endpoint, region).await;
                let ssm = aws_sdk_ssm::Client::new(&config);
                let ec2 = aws_sdk_ec2::Client::new(&config);
                inventory::fetch(&ssm, &ec2, "bench", region)
                    .await
                    .expect("inventory")
            }
        });
        for rows in futures_util::future::join_all(fetches).await {
            all.extend(rows);
        }
        all
    });
    let fetched = start.elapsed();
    let count = rows.len();
    let mut state = State::new("bench");
    let _ = app::update(
        &mut state,
        Input::InventoryLoaded {
            rows,
            pending: 0,
            errors: Vec::new(),
            at: SystemTime::now(),
            throttled: false,
        },
    );
    let theme = Theme::default();
    let screens = Screens::new();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let _ = app::update(
        &mut state,
        Input::Resized {
            width: 200,
            height: 50,
        },
    );
    terminal
        .draw(|frame| ui::draw(frame, &state, &theme, SystemTime::now(), &screens))
        .expect("draw");
    let ready = start.elapsed();
    println!("console at {count} instances (bosun sim --instances {size}, both regions joined)");
    println!(
        "  inventory fetched (SSM + EC2)    {:>8.0} ms",
        fetched.as_secs_f64() * 1000.0
    );
    println!(
        "  fleet table ready (first frame)  {:>8.0} ms",
        ready.as_secs_f64() * 1000.0
    );

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let _ = app::update(&mut state, Input::Action(Action::Filter));
    let mut keystrokes = Vec::new();
    for c in "tag:Team=payments !status:lost".chars() {
        let begin = Instant::now();
        let _ = app::update(&mut state, Input::Text(TextInput::Char(c)));
        terminal
            .draw(|frame| ui::draw(frame, &state, &theme, SystemTime::now(), &screens))
            .expect("draw");
        keystrokes.push(begin.elapsed());
    }
    keystrokes.sort();
    println!(
        "  filter keystroke (reduce + draw) {:>8.2} ms median, {:.2} ms worst of {}",
        ms(keystrokes[keystrokes.len() / 2]),
        ms(keystrokes[keystrokes.len() - 1]),
        keystrokes.len()
    );
    let begin = Instant::now();
    for _ in 0..100 {
        let _ = app::update(&mut state, Input::Action(Action::Down));
        terminal
            .draw(|frame| ui::draw(frame, &state, &theme, SystemTime::now(), &screens))
            .expect("draw");
    }
    println!(
        "  move + redraw                    {:>8.2} ms each",
        ms(begin.elapsed()) / 100.0
    );
    // `:nodes`: the fleet's Kubernetes nodes grouped, from the rows already loaded.
    let begin = Instant::now();
    let _ = app::update(&mut state, Input::Action(Action::ShowNodes));
    terminal
        .draw(|frame| ui::draw(frame, &state, &theme, SystemTime::now(), &screens))
        .expect("draw");
    let nodes_ready = begin.elapsed();
    let node_count: usize = state.nodes.groups.iter().map(|g| g.nodes.len()).sum();
    println!(
        "  :nodes ready ({node_count} nodes, {} groups) {:>6.2} ms",
        state.nodes.groups.len(),
        ms(nodes_ready)
    );
    // A node's name to its instance, from the loaded fleet: no API call.
    let last_node = state
        .fleet
        .rows
        .iter()
        .rev()
        .find_map(|row| row.node_name().map(str::to_owned));
    let begin = Instant::now();
    let found = last_node.as_deref().and_then(|name| {
        let target = bosun::model::node::NodeTarget::parse(name)?;
        bosun::model::node::find(&state.fleet.rows, &target).map(|row| row.instance_id.clone())
    });
    println!(
        "  node name → instance (loaded)    {:>8.3} ms, no API call",
        ms(begin.elapsed())
    );
    println!(
        "  memory                           {:>8.1} MB ({:.1} MB before loading)",
        common::rss_mb(),
        memory_before
    );
    verdicts.count(
        "Kubernetes nodes grouped",
        node_count >= instances() / 6 && found.is_some(),
        format!("{node_count} nodes, the last found: {found:?}"),
    );
    verdicts.at_most(":nodes ready", ms(nodes_ready), 50.0, "ms");
    // The simulator adds EC2 instances SSM does not manage, which the fleet shows too.
    verdicts.count(
        "instances in the fleet",
        count >= instances(),
        format!("{count}, must be at least {}", instances()),
    );
    verdicts.at_most("fleet table ready", ms(ready), 2000.0, "ms");
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
