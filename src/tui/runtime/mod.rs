//! The console's event loop: keys first, then service events (inventory, source switches,
//! Run Command, tunnels' figures each second), pane output last so a flooding pane never
//! starves the rest. Every fact goes through the reducer; its effects are carried out here
//! by starting, commanding and stopping services. The loop owns every pane's emulator.

mod background;
mod effects;
mod lookups;
mod panes;
mod recording;
mod tunnels;
mod typing;

use std::collections::HashMap;
use std::io::Stdout;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crossterm::event::{Event, EventStream, KeyEventKind, MouseEventKind};
use futures_util::StreamExt;
use futures_util::future::join_all;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use self::tunnels::TunnelTask;
use super::ConsoleOptions;
use super::terminal::TerminalGuard;
use crate::app::route::{self, Routed};
use crate::app::views::tunnels::TunnelId;
use crate::app::{self, Input, MouseKind, State};
use crate::config::theme::Theme;
use crate::model::pane::{PaneId, PaneStatus};
use crate::services::inventory::{self, InventoryCommand, InventoryLoaded};
use crate::services::lookups::{Answer, Lookups};
use crate::services::pane::{PaneCommand, PaneContext, PaneHandle, PaneReport};
use crate::services::runs::{RunCommand, RunEvent, RunEvents};
use crate::services::sources::{SourceFactory, Sources, session_clients};
use crate::services::tunnel::{TunnelCommand, TunnelEvent, TunnelEvents};
use crate::services::{Handle, Latest, Tagged};
use crate::signals::{Leave, Signals};
use crate::term::{Screens, keys};
use crate::ui;

/// How long the console waits for its sources before it draws without them (they are shown
/// when they come).
const FIRST_SOURCES_WAIT: std::time::Duration = std::time::Duration::from_millis(150);

/// New sources, once built, with the profiles and regions they are for.
type Switched = Tagged<(Sources, Vec<String>, Vec<String>)>;

/// Runs the console until the user quits. Returns the process exit code.
pub async fn run(options: ConsoleOptions) -> i32 {
    // First: from now on a signal gives the terminal back and ends the sessions.
    let signals = Signals::all();
    let guard = match TerminalGuard::enter() {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("bosun: cannot take over the terminal: {error}");
            return 1;
        }
    };
    let terminal = match Terminal::new(CrosstermBackend::new(std::io::stdout())) {
        Ok(terminal) => terminal,
        Err(error) => {
            drop(guard);
            eprintln!("bosun: cannot draw on the terminal: {error}");
            return 1;
        }
    };
    // Sources that take a while (an organisation: its accounts and each one's credentials)
    // arrive as a switch does; the console draws and takes keys meanwhile.
    let mut connecting = (options.connect)(options.profiles.clone(), options.regions.clone());
    let (Sources { sources, label }, still_connecting) =
        match tokio::time::timeout(FIRST_SOURCES_WAIT, &mut connecting).await {
            Ok(sources) => (sources, None),
            Err(_) => (
                Sources {
                    sources: Vec::new(),
                    label: "connecting…".to_owned(),
                },
                Some(connecting),
            ),
        };
    let clients = session_clients(&sources);
    let reading: Vec<(String, String)> = clients.keys().cloned().collect();
    let (answers_tx, answers) = mpsc::channel(16);
    let (run_events_tx, run_events) = mpsc::channel(16);
    let (tunnel_events_tx, tunnel_events) = mpsc::channel(64);
    let (background_news, background) = mpsc::channel(16);
    if let Some(link) = &options.background {
        background::spawn_reader(link, background_news.clone());
    }
    // Inventory loads carry the generation of the sources they came from, so a load from
    // sources switched away from is dropped however late it arrives.
    let (inventory_tx, inventory) = mpsc::channel::<Tagged<InventoryLoaded>>(4);
    let mut generations = Latest::default();
    let refresher = inventory::spawn(
        sources,
        options.refresh,
        generations.current(),
        inventory_tx.clone(),
    );
    // Connection changes go one way; output goes to each pane's own bounded queue, taken in
    // turn, so a flooding pane waits for the console without holding up the others.
    let (reports_tx, reports) = mpsc::channel(256);
    let (outputs_hub, outputs) = crate::services::pane_output::channel();
    let (switched_tx, switched) = mpsc::channel(1);
    if let Some(connecting) = still_connecting {
        // The empty sources' loads are dropped: theirs is no longer the current generation.
        let generation = generations.advance();
        let switched = switched_tx.clone();
        let (profiles, regions) = (options.profiles.clone(), options.regions.clone());
        tokio::spawn(async move {
            let sources = connecting.await;
            let switch = Tagged {
                generation,
                value: (sources, profiles, regions),
            };
            let _ = switched.send(switch).await;
        });
    }

    let mut state = State::new(label);
    state.frame.notice = options.notice;
    state.frame.read_only = options.read_only;
    state.frame.keys = options.keys;
    state.runs.confirm_above = options.confirm_above;
    state.fleet.columns = options.columns;
    state.frame.profiles = options.profiles;
    state.frame.regions = options.regions;
    for def in options.tunnels {
        state.tunnels.add(def, true);
    }
    state.tunnels.groups = options.tunnel_groups;
    let size = terminal.size().ok();
    let mut console = Console {
        terminal,
        state,
        theme: options.theme,
        scrollback: options.scrollback,
        screens: Screens::new(),
        handles: HashMap::new(),
        sizes: HashMap::new(),
        reading,
        context: PaneContext {
            clients: Arc::new(clients),
            document: options.shell_document,
            reports: reports_tx,
            outputs: outputs_hub,
        },
        outputs,
        recordings: HashMap::new(),
        record_panes: options.record_panes,
        mouse_captured: false,
        closing: Vec::new(),
        copies: Vec::new(),
        refresher,
        refresh_interval: options.refresh,
        lookups: Lookups::new(
            answers_tx,
            crate::logging::log_dir().map(|dir| dir.join("recordings")),
        ),
        inventory: inventory_tx,
        generations,
        connect: options.connect,
        switched: switched_tx,
        themes_dir: options.themes_dir,
        profile_exists: options.profile_exists,
        tunnels: HashMap::new(),
        run: None,
        run_generations: Latest::default(),
        run_events: run_events_tx,
        tunnel_events: tunnel_events_tx,
        tunnel_starts: Latest::default(),
        background: options.background,
        background_news,
        held: typing::HeldTyping::default(),
        quitting: false,
    };
    if let Some(size) = size {
        console.reduce(Input::Resized {
            width: size.width,
            height: size.height,
        });
    }
    let code = console
        .event_loop(Arrivals {
            signals,
            answers,
            inventory,
            reports,
            switched,
            run_events,
            tunnel_events,
            background,
        })
        .await;
    console.stop_all_recordings();
    // The terminal first: the user has their prompt back while the sessions end.
    drop(guard);
    console.close_all().await;
    console.refresher.abort();
    code
}

/// The runtime's state around the pure `State`: the terminal, pane emulators and sessions.
struct Console {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    /// The (profile, region) of each source read now: what the lookups ask (an
    /// organisation's sources are named by account, not by the profiles asked for).
    reading: Vec<(String, String)>,
    state: State,
    theme: Theme,
    /// Each pane's history length, by its profile.
    scrollback: crate::config::ScrollbackLines,
    screens: Screens,
    handles: HashMap<PaneId, PaneHandle>,
    /// The panes' output queues, taken in turn.
    outputs: crate::services::pane_output::OutputTaker,
    /// Panes being recorded (asciicast), and whether every pane is from its start.
    recordings: HashMap<PaneId, recording::Recording>,
    record_panes: bool,
    /// The size each pane's emulator and session were last given.
    sizes: HashMap<PaneId, (u16, u16)>,
    context: PaneContext,
    mouse_captured: bool,
    /// Sessions of closed panes still ending (TerminateSession on its way).
    closing: Vec<tokio::task::JoinHandle<()>>,
    /// The Files view's copies under way: their sessions end at AWS if the console quits.
    copies: Vec<crate::services::file_view::CopyUnderWay>,
    /// The inventory refresher, replaced when the profiles or regions change.
    refresher: Handle<InventoryCommand>,
    refresh_interval: Duration,
    /// The one-shot lookups, and which of their answers still count.
    lookups: Lookups,
    inventory: mpsc::Sender<Tagged<InventoryLoaded>>,
    /// Counts source switches: only the current sources' loads and the newest switch count.
    generations: Latest,
    connect: SourceFactory,
    /// New sources, once built: their generation, and the profiles and regions they are for.
    switched: mpsc::Sender<Switched>,
    themes_dir: Option<std::path::PathBuf>,
    profile_exists: Option<crate::tui::ProfileCheck>,
    tunnels: HashMap<TunnelId, TunnelTask>,
    /// The watched command's service.
    run: Option<Handle<RunCommand>>,
    /// Only the newest run's events count.
    run_generations: Latest,
    run_events: RunEvents,
    tunnel_events: TunnelEvents,
    /// Numbers each tunnel start: its events carry the number.
    tunnel_starts: Latest,
    /// The background tunnels' process, when offered.
    background: Option<crate::tui::BackgroundTunnels>,
    /// What it says, to the reducer.
    background_news: mpsc::Sender<Input>,
    /// Typing a pane's session has not taken yet, in order.
    held: typing::HeldTyping,
    /// An effect asked to quit (the loop leaves at its next turn).
    quitting: bool,
}

/// What carrying out an effect came to.
enum Applied {
    Done,
    Quit,
    /// A fact for the reducer.
    Learnt(Input),
}

/// What woke the event loop.
enum Wake {
    Input(Input),
    Key(crossterm::event::KeyEvent),
    Paste(String),
    Redraw,
    /// A signal: leave as the quit key does, with the signal's exit status.
    Signal(Leave),
}

/// Everything the event loop waits on besides the terminal.
struct Arrivals {
    signals: Signals,
    answers: mpsc::Receiver<Answer>,
    inventory: mpsc::Receiver<Tagged<InventoryLoaded>>,
    reports: mpsc::Receiver<PaneReport>,
    switched: mpsc::Receiver<Switched>,
    run_events: mpsc::Receiver<Tagged<RunEvent>>,
    tunnel_events: mpsc::Receiver<(u64, TunnelEvent)>,
    background: mpsc::Receiver<Input>,
}

impl Console {
    async fn event_loop(&mut self, arrivals: Arrivals) -> i32 {
        let Arrivals {
            mut signals,
            mut answers,
            mut inventory,
            mut reports,
            mut switched,
            mut run_events,
            mut tunnel_events,
            mut background,
        } = arrivals;
        const FRAME: Duration = Duration::from_millis(16);
        let mut events = EventStream::new();
        let mut dirty = true;
        let mut last_draw = Instant::now() - FRAME;
        // The "refreshed N s ago" line changes every second even when nothing else does.
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        loop {
            if self.quitting {
                return 0;
            }
            if dirty && last_draw.elapsed() >= FRAME {
                if let Err(error) = self.draw() {
                    // A terminal that takes no more output has gone (hung up, closed): leave
                    // as on SIGHUP, which may come just after.
                    tracing::warn!(%error, "drawing failed: the terminal has gone");
                    return Leave::Hangup.exit_status();
                }
                dirty = false;
                last_draw = Instant::now();
                // Debug builds only: the tests' way to check that a panic restores the terminal
                // (raw mode, alternate screen, cursor) before its message is printed.
                #[cfg(debug_assertions)]
                if std::env::var_os("BOSUN_DEBUG_PANIC_AFTER_DRAW").is_some() {
                    panic!("a panic on purpose (BOSUN_DEBUG_PANIC_AFTER_DRAW)");
                }
            }
            let until_frame = FRAME.saturating_sub(last_draw.elapsed());
            let held_room = self.room_for_held();
            let stalled = self.typing_stalled();
            // Keys first, pane output last: a pane printing flat out must never delay them.
            let wake = tokio::select! {
                biased;
                leave = signals.next() => Wake::Signal(leave),
                // Typing a pane held goes before new keys, so nothing overtakes it.
                room = held_room => {
                    self.release_held(room);
                    continue;
                }
                // While a pane holds all the typing it may, the terminal is not read: the
                // rest waits in its buffer, and nothing is lost.
                event = events.next(), if !stalled => match event {
                    Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Wake::Key(key),
                    Some(Ok(Event::Paste(text))) => Wake::Paste(text),
                    Some(Ok(Event::Resize(width, height))) => Wake::Input(Input::Resized { width, height }),
                    Some(Ok(Event::Mouse(mouse))) => match mouse.kind {
                        MouseEventKind::Down(_) => Wake::Input(Input::Mouse { kind: MouseKind::Press, column: mouse.column, row: mouse.row }),
                        MouseEventKind::Drag(_) => Wake::Input(Input::Mouse { kind: MouseKind::Drag, column: mouse.column, row: mouse.row }),
                        MouseEventKind::Up(_) => Wake::Input(Input::Mouse { kind: MouseKind::Release, column: mouse.column, row: mouse.row }),
                        MouseEventKind::ScrollUp => Wake::Input(Input::Mouse { kind: MouseKind::WheelUp, column: mouse.column, row: mouse.row }),
                        MouseEventKind::ScrollDown => Wake::Input(Input::Mouse { kind: MouseKind::WheelDown, column: mouse.column, row: mouse.row }),
                        _ => continue,
                    },
                    Some(Ok(_)) => Wake::Redraw,
                    // A terminal that cannot be read any more has gone (hung up, closed): leave
                    // as on SIGHUP, which may come just after.
                    Some(Err(error)) => {
                        tracing::warn!(%error, "reading the terminal failed: it has gone");
                        Wake::Signal(Leave::Hangup)
                    }
                    None => Wake::Signal(Leave::Hangup),
                },
                Some(answer) = answers.recv() => {
                    // A lookup overtaken by a newer one of its kind is dropped.
                    if !self.lookups.counts(&answer) {
                        continue;
                    }
                    Wake::Input(answer.value.1)
                }
                Some(event) = run_events.recv() => {
                    // A replaced watch's late events are dropped.
                    if !self.run_generations.is_current(event.generation) {
                        continue;
                    }
                    match effects::run_input(event.value) {
                        Some(input) => Wake::Input(input),
                        None => continue,
                    }
                }
                Some(loaded) = inventory.recv() => {
                    if !self.generations.is_current(loaded.generation) {
                        continue;
                    }
                    let InventoryLoaded { rows, pending, errors, expiring, at, throttled } =
                        loaded.value;
                    if pending == 0 && expiring != self.state.frame.expiring {
                        self.reduce(Input::CredentialsExpiring(expiring));
                    }
                    Wake::Input(Input::InventoryLoaded { rows, pending, errors, at, throttled })
                }
                Some(switch) = switched.recv() => {
                    // Only the latest switch counts, whichever finishes first.
                    if !self.generations.is_current(switch.generation) {
                        continue;
                    }
                    let (sources, profiles, regions) = switch.value;
                    Wake::Input(self.use_sources(sources, profiles, regions))
                }
                Some((start, event)) = tunnel_events.recv() => {
                    self.tunnel_event(start, event);
                    Wake::Redraw
                }
                Some(input) = background.recv() => Wake::Input(input),
                _ = clock.tick() => {
                    self.sample_tunnels();
                    Wake::Redraw
                }
                // Pane output after everything else: a flooding pane is always ready, and
                // must not starve the inventory, the clock or the tunnels' figures.
                Some(report) = reports.recv() => match report {
                    PaneReport::Status { pane, status } => {
                        // The pane's last output lands before its new status.
                        self.ingest_all_of(pane);
                        if status == PaneStatus::Connected {
                            self.send_size(pane);
                        }
                        if status.is_ended() {
                            self.forget_held(pane);
                        }
                        Wake::Input(Input::PaneStatus { pane, status })
                    }
                    PaneReport::Session { pane, session_id } => {
                        self.record_session(pane, &session_id);
                        Wake::Input(Input::PaneSession { pane, session_id })
                    }
                },
                () = self.outputs.ready() => {
                    self.ingest();
                    Wake::Redraw
                }
                () = tokio::time::sleep(until_frame), if dirty => continue,
            };
            dirty = true;
            let input = match wake {
                Wake::Signal(leave) => {
                    tracing::info!(signal = %leave, "leaving on a signal: the terminal restored, every session ended");
                    return leave.exit_status();
                }
                Wake::Redraw => continue,
                Wake::Input(input) => input,
                Wake::Paste(text) => {
                    if self.state.typing_to_pane() {
                        let modes = self.focused_modes();
                        self.type_into_panes(keys::encode_paste(&text, modes));
                    }
                    continue;
                }
                Wake::Key(key) => match route::route(key, &self.state) {
                    Some(Routed::App(input)) => input,
                    Some(Routed::Pane) => {
                        self.reduce(Input::TypedIntoPane);
                        if let Some(bytes) = keys::encode_key(key, self.focused_modes()) {
                            self.type_into_panes(bytes);
                        }
                        continue;
                    }
                    None => continue,
                },
            };
            self.reduce(input);
            self.sync_panes();
        }
    }

    /// The one way into the reducer: `input` in, and every effect it asks for carried out
    /// (what carrying one out learns, a theme that would not load, goes back in the same way).
    /// An effect that quits is noted; the loop leaves at its next turn.
    pub(super) fn reduce(&mut self, input: Input) {
        let mut inputs = vec![input];
        while let Some(input) = inputs.pop() {
            for effect in app::update(&mut self.state, input) {
                match self.apply(effect) {
                    Applied::Quit => self.quitting = true,
                    Applied::Learnt(input) => inputs.push(input),
                    Applied::Done => {}
                }
            }
        }
    }

    fn draw(&mut self) -> std::io::Result<()> {
        let Console {
            terminal,
            state,
            theme,
            screens,
            ..
        } = self;
        terminal.draw(|frame| ui::draw(frame, state, theme, SystemTime::now(), screens))?;
        Ok(())
    }

    /// Reads the new sources from now on: a new refresher, new clients for new panes (open
    /// panes keep their sessions). Returns what the reducer needs to know.
    fn use_sources(
        &mut self,
        sources: Sources,
        profiles: Vec<String>,
        regions: Vec<String>,
    ) -> Input {
        self.refresher.abort();
        let Sources { sources, label } = sources;
        // Keep the old clients too: a pane opened before the switch can still reconnect.
        let mut clients = (*self.context.clients).clone();
        let new_clients = session_clients(&sources);
        self.reading = new_clients.keys().cloned().collect();
        clients.extend(new_clients);
        self.context.clients = Arc::new(clients);
        self.refresher = inventory::spawn(
            sources,
            self.refresh_interval,
            self.generations.current(),
            self.inventory.clone(),
        );
        Input::SourcesChanged {
            label,
            profiles,
            regions,
        }
    }

    /// Ends every pane's session (TerminateSession) before the console exits, waiting a
    /// little for them so the service does not keep them open.
    async fn close_all(&mut self) {
        let mut tasks: Vec<_> = self
            .handles
            .drain()
            .map(|(_, handle)| {
                handle.send_later(PaneCommand::Close);
                handle.into_task()
            })
            .collect();
        for (_, tunnel) in self.tunnels.drain() {
            tunnel.handle.commands.send_later(TunnelCommand::Stop);
            tasks.push(tunnel.handle.commands.into_task());
        }
        tasks.append(&mut self.closing);
        // A copy cut short leaves nothing behind here (its temporary goes with its task) and
        // its sessions are ended, so the instance's shell removes its own.
        for copy in self.copies.drain(..) {
            if copy.task.is_finished() {
                continue;
            }
            copy.task.abort();
            tasks.push(tokio::spawn(async move {
                copy.open.end_all(&copy.ssm).await;
            }));
        }
        if tasks.is_empty() {
            return;
        }
        let _ = tokio::time::timeout(Duration::from_secs(3), join_all(tasks)).await;
    }
}
