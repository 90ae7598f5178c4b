//! The console's runtime: owns the terminal (raw mode and the alternate screen, restored on
//! exit, on error and on panic), reads keys, runs the inventory refresher, feeds the reducer
//! and draws from state — only when something changed, at most about 60 times a second.

use std::io::Stdout;
use std::time::{Duration, Instant, SystemTime};

use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use futures_util::StreamExt;
use futures_util::future::join_all;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use crate::app::{self, Effect, Input, State, keymap};
use crate::aws::inventory;
use crate::config::theme::Theme;
use crate::ui;

/// One source of inventory: a label (the profile) and its SDK configuration.
pub struct Source {
    pub profile: String,
    pub config: aws_config::SdkConfig,
}

pub struct ConsoleOptions {
    pub sources: Vec<Source>,
    /// What the title says the console is looking at.
    pub label: String,
    pub theme: Theme,
    /// Shown once in the console, e.g. a broken theme file.
    pub notice: Option<String>,
    pub refresh: Duration,
}

/// Restores the terminal when dropped (and from the panic hook, before the panic message).
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> std::io::Result<TerminalGuard> {
        crossterm::terminal::enable_raw_mode()?;
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            crossterm::cursor::Hide
        )?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |panic| {
            restore();
            previous(panic);
        }));
        Ok(TerminalGuard)
    }
}

fn restore() {
    let _ = execute!(
        std::io::stdout(),
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = crossterm::terminal::disable_raw_mode();
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Runs the console until the user quits. Returns the process exit code.
pub async fn run(options: ConsoleOptions) -> i32 {
    let _guard = match TerminalGuard::enter() {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("bosun: cannot take over the terminal: {error}");
            return 1;
        }
    };
    let mut terminal = match Terminal::new(CrosstermBackend::new(std::io::stdout())) {
        Ok(terminal) => terminal,
        Err(error) => {
            drop(_guard);
            eprintln!("bosun: cannot draw on the terminal: {error}");
            return 1;
        }
    };
    let (inputs_tx, mut inputs) = mpsc::channel::<Input>(16);
    let (refresh_tx, refresh_rx) = mpsc::channel::<()>(1);
    let refresher = tokio::spawn(refresh_inventory(
        options.sources,
        options.refresh,
        refresh_rx,
        inputs_tx,
    ));

    let mut state = State::new(options.label);
    state.notice = options.notice;
    if let Ok(size) = terminal.size() {
        app::update(
            &mut state,
            Input::Resized {
                table_rows: ui::table_rows(size.height),
            },
        );
    }
    let code = event_loop(
        &mut terminal,
        &mut state,
        &options.theme,
        &mut inputs,
        &refresh_tx,
    )
    .await;
    refresher.abort();
    code
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    state: &mut State,
    theme: &Theme,
    inputs: &mut mpsc::Receiver<Input>,
    refresh: &mpsc::Sender<()>,
) -> i32 {
    const FRAME: Duration = Duration::from_millis(16);
    let mut keys = EventStream::new();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    // The "refreshed N s ago" line changes every second even when nothing else does.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    loop {
        if dirty && last_draw.elapsed() >= FRAME {
            let drawn = terminal.draw(|frame| ui::draw(frame, state, theme, SystemTime::now()));
            if let Err(error) = drawn {
                tracing::error!(%error, "drawing failed");
                return 1;
            }
            dirty = false;
            last_draw = Instant::now();
        }
        let until_frame = FRAME.saturating_sub(last_draw.elapsed());
        let input = tokio::select! {
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => keymap::input_for(key, state.mode),
                Some(Ok(Event::Resize(_, height))) => Some(Input::Resized { table_rows: ui::table_rows(height) }),
                Some(Ok(_)) => {
                    dirty = true;
                    None
                }
                Some(Err(error)) => {
                    tracing::error!(%error, "reading the terminal failed");
                    return 1;
                }
                None => return 0,
            },
            Some(input) = inputs.recv() => Some(input),
            _ = clock.tick() => {
                dirty = true;
                None
            }
            () = tokio::time::sleep(until_frame), if dirty => None,
        };
        if let Some(input) = input {
            dirty = true;
            for effect in app::update(state, input) {
                match effect {
                    Effect::Quit => return 0,
                    Effect::Refresh => {
                        let _ = refresh.try_send(());
                    }
                }
            }
        }
    }
}

/// Reads every source, joins the rows, and reports them; again every `interval`, at once on
/// request, and less often (doubling, up to five minutes) while AWS is throttling.
async fn refresh_inventory(
    sources: Vec<Source>,
    interval: Duration,
    mut requests: mpsc::Receiver<()>,
    inputs: mpsc::Sender<Input>,
) {
    let clients: Vec<(String, String, aws_sdk_ssm::Client, aws_sdk_ec2::Client)> = sources
        .iter()
        .map(|source| {
            let region = source
                .config
                .region()
                .map(ToString::to_string)
                .unwrap_or_else(|| "(no region)".to_owned());
            (
                source.profile.clone(),
                region,
                aws_sdk_ssm::Client::new(&source.config),
                aws_sdk_ec2::Client::new(&source.config),
            )
        })
        .collect();
    let mut delay = interval;
    loop {
        let results = join_all(
            clients
                .iter()
                .map(|(profile, region, ssm, ec2)| inventory::fetch(ssm, ec2, profile, region)),
        )
        .await;
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let mut throttled = false;
        for result in results {
            match result {
                Ok(found) => rows.extend(found),
                Err(error) => {
                    throttled |= error.throttled;
                    tracing::warn!(%error, "inventory refresh failed");
                    errors.push(error.to_string());
                }
            }
        }
        let loaded = Input::InventoryLoaded {
            rows,
            errors,
            at: SystemTime::now(),
            throttled,
        };
        if inputs.send(loaded).await.is_err() {
            return;
        }
        delay = if throttled {
            (delay * 2).min(Duration::from_secs(300))
        } else {
            interval
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            request = requests.recv() => {
                if request.is_none() {
                    return;
                }
            }
        }
    }
}
