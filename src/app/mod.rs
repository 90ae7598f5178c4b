//! The console's pure core: its state, the intents a key can express (`Action`), and the
//! reducer that applies actions and facts (`Input`) and returns effects for the runtime to
//! carry out. No terminal, no sockets, no clock: time arrives inside inputs.

pub mod columns;
pub mod keymap;
pub mod panes;
pub mod runs;
pub mod tunnels;

use std::collections::BTreeSet;
use std::time::SystemTime;

use ratatui::layout::Rect;

use self::columns::{Column, DEFAULT_COLUMNS};
use self::panes::{Direction, PaneId, PaneStatus, PaneTarget, SplitDirection, Workspace};
use self::runs::{
    HistoryEntry, InvocationOutput, InvocationView, RunCompose, RunConfirm, RunRequest, RunTarget,
    RunWatch,
};
use self::tunnels::{TunnelForm, TunnelId, TunnelLive, Tunnels};
use crate::aws::filter::Filter;
use crate::aws::inventory::{InstanceRow, Ping};

/// What a key asks for. The keymap, the help overlay and the status-bar hints share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    ToggleMark,
    Detail,
    Back,
    Help,
    SortNext,
    SortReverse,
    Refresh,
    Quit,
    /// A shell pane on the selected instance, or one per marked instance.
    OpenShell,
    /// From the fleet to the panes.
    ShowPanes,
    /// From the panes to the fleet (the sessions keep running).
    ShowFleet,
    /// The prefix chord: the next key is a console key, not typing.
    Prefix,
    /// Sends the prefix chord itself to the pane.
    SendPrefix,
    FocusLeft,
    FocusRight,
    FocusUp,
    FocusDown,
    SplitRight,
    SplitDown,
    Zoom,
    ClosePane,
    NewTab,
    NextTab,
    PreviousTab,
    /// Tab 1–9.
    SelectTab(u8),
    Retile,
    Broadcast,
    MarkPane,
    /// Scroll back through the focused pane's history with the keys.
    ScrollMode,
    /// A new session in an ended pane.
    Reconnect,
    /// The `:` command line (profile, region, theme, quit).
    Command,
    /// The Tunnels view.
    ShowTunnels,
    /// shift-f: a tunnel to the selected instance.
    OpenTunnelForm,
    /// Start or stop the selected tunnel or group.
    ToggleTunnel,
    /// Stop and forget a tunnel started from the fleet.
    RemoveTunnel,
    /// Compose a command for the marked rows (or every row the filter shows).
    OpenRun,
    /// The last command's watch view.
    ShowRun,
    /// CancelCommand for the command being watched.
    CancelRun,
    /// Run the command again on the targets that did not succeed.
    RerunFailed,
    /// Recent commands (ListCommands), to reopen.
    ShowHistory,
}

impl Action {
    /// How the help overlay describes it.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first instance",
            Action::Bottom => "last instance",
            Action::Filter => "filter: words, tag:K=V, status:lost, region:R, !negate",
            Action::ToggleMark => "mark / unmark for multi-instance actions",
            Action::Detail => "details of the instance",
            Action::Back => "back: close the overlay, clear the filter",
            Action::Help => "this help",
            Action::SortNext => "sort by the next column",
            Action::SortReverse => "reverse the sort",
            Action::Refresh => "refresh the inventory now",
            Action::Quit => "quit (asks again while shells are open)",
            Action::OpenShell => "shell pane on the instance (one per marked instance)",
            Action::ShowPanes => "show the shell panes",
            Action::ShowFleet => "back to the fleet (shells keep running)",
            Action::Prefix => "prefix: the next key is a console key",
            Action::SendPrefix => "send the prefix key itself to the pane",
            Action::FocusLeft => "focus the pane to the left",
            Action::FocusRight => "focus the pane to the right",
            Action::FocusUp => "focus the pane above",
            Action::FocusDown => "focus the pane below",
            Action::SplitRight => "split right: another shell on the same instance",
            Action::SplitDown => "split down: another shell on the same instance",
            Action::Zoom => "zoom the pane / unzoom",
            Action::ClosePane => "close the pane (terminates its session)",
            Action::NewTab => "new tab with a shell on the same instance",
            Action::NextTab => "next tab",
            Action::PreviousTab => "previous tab",
            Action::SelectTab(_) => "go to tab 1-9",
            Action::Retile => "tile the tab's panes as a grid",
            Action::Broadcast => "broadcast typing to the marked panes (all when none)",
            Action::MarkPane => "mark / unmark the pane for broadcast",
            Action::ScrollMode => "scroll back (↑↓ PgUp PgDn g G, esc to leave)",
            Action::Reconnect => "reconnect an ended pane",
            Action::Command => ":profile P,Q  :region R,S  :theme NAME  :tunnels  :quit",
            Action::ShowTunnels => "tunnels: saved ones, and those started here",
            Action::OpenTunnelForm => "tunnel to the instance (remote port, host, local port)",
            Action::ToggleTunnel => "start / stop the tunnel or group",
            Action::RemoveTunnel => "stop and remove a tunnel started from the fleet",
            Action::OpenRun => "Run Command on the marked instances (or all the filter shows)",
            Action::ShowRun => "watch the last command",
            Action::CancelRun => "cancel the command (CancelCommand)",
            Action::RerunFailed => "run it again on the instances that did not succeed",
            Action::ShowHistory => "recent commands, to watch again",
        }
    }
}

/// Facts and intents the reducer takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Action(Action),
    /// A character typed while the filter line is open.
    FilterChar(char),
    FilterBackspace,
    /// Enter in the filter line: keep the filter, back to the table (in the command line: run
    /// the command).
    FilterDone,
    /// The console now reads other profiles or regions (after `:profile` or `:region`).
    SourcesChanged {
        label: String,
        profiles: Vec<String>,
        regions: Vec<String>,
    },
    /// A refresh finished: every row that was read, and the profile/regions that failed.
    InventoryLoaded {
        rows: Vec<InstanceRow>,
        errors: Vec<String>,
        at: SystemTime,
        /// Some calls were throttled; the refresher is backing off.
        throttled: bool,
    },
    /// The terminal's size changed (paging moves by a screenful; panes re-tile).
    Resized {
        width: u16,
        height: u16,
    },
    /// A pane's connection changed.
    PaneStatus {
        pane: PaneId,
        status: PaneStatus,
    },
    /// A key after the prefix chord that means nothing: back to typing.
    PrefixCancelled,
    /// Tab in a form: the next field (or the previous).
    FormNext,
    FormPrevious,
    /// Enter in a form whose first field takes several lines.
    FormEnter,
    /// The command was sent: its ids.
    RunSent {
        command_ids: Vec<String>,
    },
    /// The latest invocations of the command being watched.
    RunProgress {
        invocations: Vec<InvocationView>,
        throttled: bool,
    },
    RunOutput(InvocationOutput),
    RunError(String),
    /// Recent commands, newest first, and the sources that could not be read.
    HistoryLoaded {
        entries: Vec<HistoryEntry>,
        errors: Vec<String>,
    },
    /// What the runtime measured of a tunnel; `running` false once it stopped.
    TunnelUpdate {
        id: TunnelId,
        running: bool,
        live: TunnelLive,
    },
    /// A mouse press or wheel turn at a screen position.
    Mouse {
        kind: MouseKind,
        column: u16,
        row: u16,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    Press,
    WheelUp,
    WheelDown,
}

/// What the runtime must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Refresh,
    /// Ends every session and leaves.
    Quit,
    /// Start sessions for these panes (their targets are in the workspace).
    OpenPanes(Vec<PaneId>),
    /// End these panes' sessions (TerminateSession); they are gone from the workspace.
    ClosePanes(Vec<PaneId>),
    /// A new session for a pane whose session ended.
    Reconnect(PaneId),
    /// Scroll a pane's view by lines (positive: back into history).
    ScrollPane {
        pane: PaneId,
        lines: isize,
    },
    /// Back to the live screen.
    ScrollPaneToBottom(PaneId),
    /// Send the prefix chord's own byte to where typing goes.
    SendPrefix,
    /// Read these profiles and regions instead (`None`: keep the current ones).
    SwitchSources {
        profiles: Option<Vec<String>>,
        regions: Option<Vec<String>>,
    },
    SwitchTheme(String),
    StartTunnel(TunnelId),
    StopTunnel(TunnelId),
    /// SendCommand (in batches, per platform and region), then watch it.
    SendRun(RunRequest),
    CancelRun,
    /// Fetch and follow this instance's output (GetCommandInvocation).
    WatchOutput(String),
    /// ListCommands in every profile and region the console reads.
    LoadHistory,
    /// Watch a command from the history again (no SendCommand).
    ReopenRun(HistoryEntry),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Filter,
    Detail,
    Help,
    /// The `:` command line is open.
    Command,
    /// The shift-f tunnel form is open.
    TunnelForm,
    /// The Run Command form is open.
    RunCompose,
    /// The blast radius waits for confirmation.
    RunConfirm,
}

/// What fills the screen: the fleet table or the shell panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Fleet,
    Panes,
    Tunnels,
    /// Watching a command's invocations.
    Run,
    /// Recent commands.
    History,
}

/// How keys reach the panes view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneMode {
    /// Keys go to the focused pane (or the broadcast set).
    Typing,
    /// The prefix chord was pressed: the next key is a console key.
    Prefix,
    /// Keys scroll the focused pane's history.
    Scroll,
}

/// Rows of the fleet table that fit in a screen `height` lines tall: the title, filter and
/// status lines, the table's two borders and its header take six.
pub fn table_rows_for(height: u16) -> usize {
    usize::from(height.saturating_sub(6)).max(1)
}

/// Where the panes go on a screen of `screen` size: all but the tab bar and status line.
pub fn pane_area(screen: Rect) -> Rect {
    Rect::new(
        screen.x,
        screen.y + 1,
        screen.width,
        screen.height.saturating_sub(2),
    )
}

/// The part of a pane's rectangle its terminal gets: below the pane's title line.
pub fn pane_content(rect: Rect) -> Rect {
    Rect::new(
        rect.x,
        rect.y + 1,
        rect.width,
        rect.height.saturating_sub(1),
    )
}

/// Smallest useful pane content; a split that would go below opens a tab instead.
const MIN_PANE: (u16, u16) = (20, 3);

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub rows: Vec<InstanceRow>,
    /// Indices into `rows`, filtered and sorted: what the table shows.
    pub visible: Vec<usize>,
    /// Position in `visible`.
    pub selected: usize,
    /// The first row of `visible` on screen: the table draws only the rows that fit.
    pub offset: usize,
    pub mode: Mode,
    pub filter_text: String,
    pub filter_error: Option<String>,
    filter: Filter,
    pub marks: BTreeSet<String>,
    /// The table's columns, in order (from the configuration, or the defaults).
    pub columns: Vec<Column>,
    pub sort: Column,
    pub descending: bool,
    pub loaded_at: Option<SystemTime>,
    pub loading: bool,
    pub throttled: bool,
    pub errors: Vec<String>,
    /// Where the data comes from, for the title: "demo fleet", "prod/us-east-1"…
    pub source: String,
    pub table_rows: usize,
    /// A problem worth showing once (e.g. a broken theme file).
    pub notice: Option<String>,
    pub view: View,
    pub pane_mode: PaneMode,
    pub workspace: Workspace,
    /// The whole terminal, for pane geometry.
    pub screen: Rect,
    /// `q` was pressed with shells open; a second `q` quits.
    pub quit_armed: bool,
    /// `--read-only`: no shells (a shell can change anything on the instance).
    pub read_only: bool,
    /// The user's keys from the configuration.
    pub keys: keymap::KeyBindings,
    /// What is being typed after `:`.
    pub command_text: String,
    /// The profiles and regions being read (empty: the defaults), for `:profile`/`:region`.
    pub profiles: Vec<String>,
    pub regions: Vec<String>,
    pub tunnels: Tunnels,
    /// The shift-f form, while open.
    pub form: Option<TunnelForm>,
    pub compose: Option<RunCompose>,
    pub confirm: Option<RunConfirm>,
    /// The command being (or last) watched.
    pub run: Option<RunWatch>,
    /// Above this many targets, Run Command wants the count typed (`run_confirm_above`).
    pub confirm_above: usize,
    /// Recent commands, once loaded.
    pub history: Option<Vec<HistoryEntry>>,
    pub history_selected: usize,
}

impl State {
    pub fn new(source: impl Into<String>) -> State {
        State {
            rows: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            offset: 0,
            mode: Mode::Table,
            filter_text: String::new(),
            filter_error: None,
            filter: Filter::default(),
            marks: BTreeSet::new(),
            columns: DEFAULT_COLUMNS.to_vec(),
            sort: Column::Name,
            descending: false,
            loaded_at: None,
            loading: true,
            throttled: false,
            errors: Vec::new(),
            source: source.into(),
            table_rows: 20,
            notice: None,
            view: View::Fleet,
            pane_mode: PaneMode::Typing,
            workspace: Workspace::default(),
            screen: Rect::new(0, 0, 80, 24),
            quit_armed: false,
            read_only: false,
            keys: keymap::KeyBindings::default(),
            command_text: String::new(),
            profiles: Vec::new(),
            regions: Vec::new(),
            tunnels: Tunnels::default(),
            form: None,
            compose: None,
            confirm: None,
            run: None,
            confirm_above: runs::CONFIRM_BY_COUNT_ABOVE,
            history: None,
            history_selected: 0,
        }
    }

    /// The field being typed into in the open form (its error cleared: it is being fixed).
    fn focused_field(&mut self) -> Option<&mut String> {
        if let Some(form) = self.form.as_mut() {
            form.error = None;
            return form.fields.get_mut(form.focus);
        }
        let compose = self.compose.as_mut()?;
        compose.error = None;
        compose.fields.get_mut(compose.focus)
    }

    /// Keys go to a pane rather than the console.
    pub fn typing_to_pane(&self) -> bool {
        self.view == View::Panes
            && self.pane_mode == PaneMode::Typing
            && self.mode != Mode::Help
            && !self.workspace.is_empty()
    }

    fn pane_target(row: &InstanceRow) -> PaneTarget {
        PaneTarget {
            instance_id: row.instance_id.clone(),
            name: row.name.clone(),
            profile: row.profile.clone(),
            region: row.region.clone(),
            ping: row.ping,
        }
    }

    pub fn selected_row(&self) -> Option<&InstanceRow> {
        self.visible.get(self.selected).map(|&i| &self.rows[i])
    }

    /// Rebuilds `visible` after the filter or sort changed, keeping the selection.
    fn rebuild(&mut self) {
        let keep = self.selected_row().map(|r| r.instance_id.clone());
        self.rebuild_keeping(keep);
    }

    /// Rebuilds `visible`, selecting `keep` (an instance id) when it is still shown.
    fn rebuild_keeping(&mut self, keep: Option<String>) {
        let mut visible: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.filter.matches(&self.rows[i]))
            .collect();
        let rows = &self.rows;
        visible.sort_by(|&a, &b| {
            let (a, b) = (&rows[a], &rows[b]);
            let order = self
                .sort
                .compare(a, b)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.instance_id.cmp(&b.instance_id));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        self.visible = visible;
        self.selected = keep
            .and_then(|id| {
                self.visible
                    .iter()
                    .position(|&i| self.rows[i].instance_id == id)
            })
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
    }

    fn set_filter(&mut self) {
        match Filter::parse(&self.filter_text) {
            Ok(filter) => {
                self.filter = filter;
                self.filter_error = None;
                self.rebuild();
            }
            // Keep showing the last valid result while the user is still typing.
            Err(error) => self.filter_error = Some(error.to_string()),
        }
    }

    /// Scrolls just enough to keep the selection on screen.
    fn scroll_to_selection(&mut self) {
        let page = self.table_rows.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(self.visible.len().saturating_sub(page));
    }

    /// Counts per ping status among all rows, for the title.
    pub fn counts(&self) -> [(Ping, usize); 4] {
        let count = |p: Ping| self.rows.iter().filter(|r| r.ping == p).count();
        [
            (Ping::Online, count(Ping::Online)),
            (Ping::ConnectionLost, count(Ping::ConnectionLost)),
            (Ping::Inactive, count(Ping::Inactive)),
            (Ping::NotManaged, count(Ping::NotManaged)),
        ]
    }
}

/// Applies one input; returns what the runtime must do.
pub fn update(state: &mut State, input: Input) -> Vec<Effect> {
    match input {
        Input::InventoryLoaded {
            rows,
            errors,
            at,
            throttled,
        } => {
            // The selection is an index into the old rows: remember which instance it was.
            let keep = state.selected_row().map(|r| r.instance_id.clone());
            state.rows = rows;
            state.errors = errors;
            state.loaded_at = Some(at);
            state.loading = false;
            state.throttled = throttled;
            let ids: BTreeSet<&str> = state.rows.iter().map(|r| r.instance_id.as_str()).collect();
            state.marks.retain(|id| ids.contains(id.as_str()));
            state.rebuild_keeping(keep);
            Vec::new()
        }
        Input::Resized { width, height } => {
            state.screen = Rect::new(0, 0, width, height);
            state.table_rows = table_rows_for(height);
            state.scroll_to_selection();
            Vec::new()
        }
        Input::PaneStatus { pane, status } => {
            state.workspace.set_status(pane, status);
            Vec::new()
        }
        Input::Mouse { kind, column, row } => mouse(state, kind, column, row),
        Input::PrefixCancelled => {
            state.pane_mode = PaneMode::Typing;
            Vec::new()
        }
        Input::FilterChar(c) if matches!(state.mode, Mode::RunCompose | Mode::TunnelForm) => {
            if let Some(field) = state.focused_field() {
                field.push(c);
            }
            Vec::new()
        }
        Input::FilterBackspace if matches!(state.mode, Mode::RunCompose | Mode::TunnelForm) => {
            if let Some(field) = state.focused_field() {
                field.pop();
            }
            Vec::new()
        }
        Input::FormEnter => match state.compose.as_mut() {
            Some(compose) if compose.focus == 0 => {
                compose.fields[0].push('\n');
                Vec::new()
            }
            _ => submit_run(state),
        },
        Input::FilterDone if state.mode == Mode::RunCompose => submit_run(state),
        Input::FilterChar(c) if state.mode == Mode::RunConfirm => confirm_key(state, Some(c)),
        Input::FilterBackspace if state.mode == Mode::RunConfirm => {
            if let Some(confirm) = state.confirm.as_mut() {
                confirm.typed.pop();
            }
            Vec::new()
        }
        Input::FilterDone if state.mode == Mode::RunConfirm => confirm_key(state, None),
        Input::RunSent { command_ids } => {
            // Only the run just started takes ids: a late message from a replaced one does not.
            if let Some(run) = state.run.as_mut()
                && run.command_ids.is_empty()
            {
                run.command_ids = command_ids;
            }
            Vec::new()
        }
        Input::RunProgress {
            invocations,
            throttled,
        } => {
            let Some(run) = state.run.as_mut() else {
                return Vec::new();
            };
            // Progress of a command this view is not watching (a replaced run) is dropped.
            if invocations
                .iter()
                .any(|i| !run.command_ids.contains(&i.command_id))
            {
                return Vec::new();
            }
            let keep = run.selected_invocation().map(|i| i.instance_id.clone());
            let first = run.invocations.is_empty();
            let rows = &state.rows;
            let row_of = |id: &str| rows.iter().find(|r| r.instance_id == id);
            let mut invocations = invocations;
            for invocation in &mut invocations {
                if invocation.name.is_empty()
                    && let Some(row) = row_of(&invocation.instance_id)
                {
                    invocation.name = row.name.clone();
                }
                // A reopened command learns its targets from its invocations.
                if run.reopened
                    && let Some(group) = run.request.groups.first_mut()
                    && !group.targets.iter().any(|t| t.id == invocation.instance_id)
                {
                    group
                        .targets
                        .push(row_of(&invocation.instance_id).map_or_else(
                            || RunTarget {
                                id: invocation.instance_id.clone(),
                                name: invocation.name.clone(),
                                environment: String::new(),
                                team: String::new(),
                                windows: false,
                                online: true,
                            },
                            RunTarget::from_row,
                        ));
                }
            }
            run.invocations = invocations;
            run.throttled = throttled;
            run.selected = keep
                .and_then(|id| run.invocations.iter().position(|i| i.instance_id == id))
                .unwrap_or(0);
            match run.selected_invocation() {
                Some(selected) if first => vec![Effect::WatchOutput(selected.instance_id.clone())],
                _ => Vec::new(),
            }
        }
        Input::RunOutput(output) => {
            if let Some(run) = state.run.as_mut()
                && run
                    .selected_invocation()
                    .is_some_and(|i| i.instance_id == output.instance_id)
            {
                run.output = Some(output);
            }
            Vec::new()
        }
        Input::RunError(error) => {
            if let Some(run) = state.run.as_mut() {
                run.error = Some(error);
            }
            Vec::new()
        }
        Input::HistoryLoaded { entries, errors } => {
            state.history = Some(entries);
            state.history_selected = 0;
            state.notice = (!errors.is_empty()).then(|| errors.join("; "));
            Vec::new()
        }
        Input::FormNext | Input::FormPrevious => {
            let next = input == Input::FormNext;
            let step = |focus: usize, count: usize| {
                if next {
                    (focus + 1) % count
                } else {
                    (focus + count - 1) % count
                }
            };
            if let Some(form) = state.form.as_mut() {
                form.focus = step(form.focus, form.fields.len());
            }
            if let Some(compose) = state.compose.as_mut() {
                compose.focus = step(compose.focus, compose.fields.len());
            }
            Vec::new()
        }
        Input::FilterDone if state.mode == Mode::TunnelForm => submit_tunnel_form(state),
        Input::TunnelUpdate { id, running, live } => {
            if let Some(entry) = state.tunnels.get_mut(id) {
                entry.live = live;
                entry.running = running;
            }
            Vec::new()
        }
        Input::FilterChar(c) if state.mode == Mode::Command => {
            state.command_text.push(c);
            Vec::new()
        }
        Input::FilterBackspace if state.mode == Mode::Command => {
            state.command_text.pop();
            Vec::new()
        }
        Input::FilterDone if state.mode == Mode::Command => {
            state.mode = Mode::Table;
            let line = std::mem::take(&mut state.command_text);
            run_command(state, &line)
        }
        Input::FilterChar(c) => {
            state.filter_text.push(c);
            state.set_filter();
            Vec::new()
        }
        Input::FilterBackspace => {
            state.filter_text.pop();
            state.set_filter();
            Vec::new()
        }
        Input::FilterDone => {
            state.mode = Mode::Table;
            Vec::new()
        }
        Input::SourcesChanged {
            label,
            profiles,
            regions,
        } => {
            state.source = label;
            state.profiles = profiles;
            state.regions = regions;
            state.rows.clear();
            state.visible.clear();
            state.marks.clear();
            state.errors.clear();
            state.selected = 0;
            state.offset = 0;
            state.loaded_at = None;
            state.loading = true;
            Vec::new()
        }
        Input::Action(action) => act(state, action),
    }
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    // The prefix chord leads to the second `q` in the panes view; it must not disarm.
    let armed = if action == Action::Prefix {
        state.quit_armed
    } else {
        std::mem::take(&mut state.quit_armed)
    };
    let shells = state.workspace.panes.len();
    let tunnels = state.tunnels.running_count();
    if action == Action::Quit && !armed && shells + tunnels > 0 {
        state.quit_armed = true;
        state.notice = Some(format!(
            "{shells} shell session(s) and {tunnels} tunnel(s) open: press q again (ctrl-] q over the panes) to quit and end them"
        ));
        state.pane_mode = PaneMode::Typing;
        return Vec::new();
    }
    let effects = match state.view {
        _ if state.mode == Mode::Help => act_on(state, action),
        View::Panes => act_on_panes(state, action),
        View::Tunnels => act_on_tunnels(state, action),
        View::Run if state.mode == Mode::Table => act_on_run(state, action),
        View::History if state.mode == Mode::Table => act_on_history(state, action),
        View::Run | View::History | View::Fleet => act_on(state, action),
    };
    state.scroll_to_selection();
    effects
}

fn mouse(state: &mut State, kind: MouseKind, column: u16, row: u16) -> Vec<Effect> {
    if state.view != View::Panes {
        return Vec::new();
    }
    let area = pane_area(state.screen);
    match kind {
        MouseKind::Press => {
            state.workspace.focus_at(column, row, area);
            Vec::new()
        }
        MouseKind::WheelUp | MouseKind::WheelDown => {
            let Some(pane) = state.workspace.pane_at(column, row, area) else {
                return Vec::new();
            };
            let lines = if kind == MouseKind::WheelUp { 3 } else { -3 };
            vec![Effect::ScrollPane { pane, lines }]
        }
    }
}

/// Splitting the focused pane this way leaves both halves usable.
fn split_fits(state: &State, direction: SplitDirection) -> bool {
    let Some(tab) = state.workspace.tab() else {
        return true;
    };
    let area = pane_area(state.screen);
    let Some((_, rect)) = tab
        .layout(area)
        .into_iter()
        .find(|(id, _)| *id == tab.focus)
    else {
        return true;
    };
    let content = pane_content(rect);
    match direction {
        SplitDirection::Right => content.width.saturating_sub(1) / 2 >= MIN_PANE.0,
        SplitDirection::Down => rect.height / 2 > MIN_PANE.1,
    }
}

/// Opens a pane on `target` next to the focused one, or in a new tab when it would not fit.
fn open_beside(state: &mut State, target: PaneTarget, direction: Option<SplitDirection>) -> PaneId {
    let direction = direction.unwrap_or_else(|| {
        // Character cells are about twice as tall as wide: split the longer side.
        let tab = state.workspace.tab();
        let rect = tab.and_then(|tab| {
            tab.layout(pane_area(state.screen))
                .into_iter()
                .find(|(id, _)| *id == tab.focus)
        });
        match rect {
            Some((_, rect)) if rect.width < rect.height * 2 => SplitDirection::Down,
            _ => SplitDirection::Right,
        }
    });
    if state.workspace.is_empty() || split_fits(state, direction) {
        state.workspace.split(target, direction)
    } else {
        state.workspace.open_tab(vec![target])[0]
    }
}

fn open_shells(state: &mut State) -> Vec<Effect> {
    if state.read_only {
        state.notice =
            Some("refused by --read-only: a shell can change anything on the instance".to_owned());
        return Vec::new();
    }
    let chosen: Vec<&InstanceRow> = if state.marks.is_empty() {
        state.selected_row().into_iter().collect()
    } else {
        state
            .rows
            .iter()
            .filter(|r| state.marks.contains(&r.instance_id))
            .collect()
    };
    let (managed, unmanaged): (Vec<&InstanceRow>, Vec<&InstanceRow>) =
        chosen.into_iter().partition(|r| r.ping != Ping::NotManaged);
    let notice = (!unmanaged.is_empty()).then(|| {
        let names: Vec<&str> = unmanaged.iter().map(|r| r.instance_id.as_str()).collect();
        format!(
            "no shell on {}: not managed by SSM (no agent registered)",
            names.join(", ")
        )
    });
    let targets: Vec<PaneTarget> = managed.into_iter().map(State::pane_target).collect();
    state.notice = notice;
    if targets.is_empty() {
        return Vec::new();
    }
    let ids = if targets.len() == 1 {
        let target = targets
            .into_iter()
            .next()
            .map(|t| open_beside(state, t, None));
        target.into_iter().collect()
    } else {
        state.marks.clear();
        state.workspace.open_tab(targets)
    };
    state.view = View::Panes;
    state.pane_mode = PaneMode::Typing;
    state.mode = Mode::Table;
    vec![Effect::OpenPanes(ids)]
}

fn act_on_panes(state: &mut State, action: Action) -> Vec<Effect> {
    let area = pane_area(state.screen);
    let focus = state.workspace.tab().map(|tab| tab.focus);
    let focused_target = state.workspace.focused().map(|p| p.target.clone());
    // Scroll mode keeps its keys until it is left; everything else is one-shot, like tmux.
    let next_mode = if state.pane_mode == PaneMode::Scroll {
        PaneMode::Scroll
    } else {
        PaneMode::Typing
    };
    state.pane_mode = next_mode;
    let page = isize::try_from(pane_content(area).height.max(2) - 1).unwrap_or(1);
    let scroll = |lines: isize| {
        focus
            .map(|pane| vec![Effect::ScrollPane { pane, lines }])
            .unwrap_or_default()
    };
    match action {
        Action::Prefix => state.pane_mode = PaneMode::Prefix,
        Action::SendPrefix => return vec![Effect::SendPrefix],
        Action::Quit => return vec![Effect::Quit],
        Action::Help => state.mode = Mode::Help,
        Action::ShowFleet | Action::Back if next_mode == PaneMode::Typing => {
            state.view = View::Fleet;
        }
        Action::Back => {
            state.pane_mode = PaneMode::Typing;
            return focus
                .map(|pane| vec![Effect::ScrollPaneToBottom(pane)])
                .unwrap_or_default();
        }
        Action::ScrollMode => {
            state.pane_mode = PaneMode::Scroll;
            return scroll(page);
        }
        Action::Up if next_mode == PaneMode::Scroll => return scroll(1),
        Action::Down if next_mode == PaneMode::Scroll => return scroll(-1),
        Action::PageUp if next_mode == PaneMode::Scroll => return scroll(page),
        Action::PageDown if next_mode == PaneMode::Scroll => return scroll(-page),
        Action::Top if next_mode == PaneMode::Scroll => return scroll(isize::MAX / 2),
        Action::Bottom if next_mode == PaneMode::Scroll => return scroll(isize::MIN / 2),
        Action::FocusLeft => state.workspace.focus_toward(Direction::Left, area),
        Action::FocusRight => state.workspace.focus_toward(Direction::Right, area),
        Action::FocusUp => state.workspace.focus_toward(Direction::Up, area),
        Action::FocusDown => state.workspace.focus_toward(Direction::Down, area),
        Action::SplitRight | Action::SplitDown => {
            let direction = if action == Action::SplitRight {
                SplitDirection::Right
            } else {
                SplitDirection::Down
            };
            if let Some(target) = focused_target {
                let id = open_beside(state, target, Some(direction));
                return vec![Effect::OpenPanes(vec![id])];
            }
        }
        Action::NewTab => {
            if let Some(target) = focused_target {
                return vec![Effect::OpenPanes(state.workspace.open_tab(vec![target]))];
            }
        }
        Action::ClosePane => {
            if let Some(pane) = focus {
                state.workspace.close(pane);
                if state.workspace.is_empty() {
                    state.view = View::Fleet;
                }
                return vec![Effect::ClosePanes(vec![pane])];
            }
        }
        Action::Reconnect => {
            if let Some(pane) = state.workspace.focused()
                && matches!(pane.status, PaneStatus::Ended { .. })
            {
                let id = pane.id;
                state.workspace.set_status(id, PaneStatus::Connecting);
                return vec![Effect::Reconnect(id)];
            }
        }
        Action::Zoom => state.workspace.toggle_zoom(),
        Action::NextTab => state.workspace.next_tab(),
        Action::PreviousTab => state.workspace.previous_tab(),
        Action::SelectTab(number) => state.workspace.select_tab(usize::from(number)),
        Action::Retile => state.workspace.retile(),
        Action::Broadcast => state.workspace.toggle_broadcast(),
        Action::MarkPane => state.workspace.toggle_mark(),
        _ => {}
    }
    Vec::new()
}

/// Runs a `:` command line: k9s-style, a verb and its arguments.
fn run_command(state: &mut State, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    let list: Vec<String> = words
        .flat_map(|w| w.split(','))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    match verb {
        "" => Vec::new(),
        "q" | "quit" => act(state, Action::Quit),
        "profile" | "profiles" | "ctx" if !list.is_empty() => vec![Effect::SwitchSources {
            profiles: Some(list),
            regions: None,
        }],
        "region" | "regions" if !list.is_empty() => vec![Effect::SwitchSources {
            profiles: None,
            regions: Some(list),
        }],
        "theme" if list.len() == 1 => vec![Effect::SwitchTheme(list[0].clone())],
        "panes" => act(state, Action::ShowPanes),
        "tunnels" | "tunnel" | "pf" => act(state, Action::ShowTunnels),
        "run" => act(state, Action::OpenRun),
        "watch" => act(state, Action::ShowRun),
        "history" => act(state, Action::ShowHistory),
        "profile" | "profiles" | "ctx" | "region" | "regions" | "theme" => {
            state.notice = Some(format!(
                ":{verb} needs a value, e.g. :{verb} {}",
                match verb {
                    "theme" => "nord",
                    "region" | "regions" => "us-east-1,eu-west-1",
                    _ => "prod,staging",
                }
            ));
            Vec::new()
        }
        other => {
            state.notice = Some(format!(
                "unknown command :{other} (try :profile, :region, :theme, :quit)"
            ));
            Vec::new()
        }
    }
}

/// The compose form's submit: on to the confirmation, or say what is wrong.
fn submit_run(state: &mut State) -> Vec<Effect> {
    let Some(compose) = state.compose.as_mut() else {
        return Vec::new();
    };
    match compose.to_request() {
        Ok(request) => {
            state.compose = None;
            state.confirm = Some(RunConfirm::new(request, state.confirm_above));
            state.mode = Mode::RunConfirm;
        }
        Err(error) => compose.error = Some(error),
    }
    Vec::new()
}

/// A key in the confirmation: the typed count (many targets or production) or y/n; `None`
/// is Enter.
fn confirm_key(state: &mut State, key: Option<char>) -> Vec<Effect> {
    let Some(confirm) = state.confirm.as_mut() else {
        return Vec::new();
    };
    let targets = confirm.request.targets();
    let go = if confirm.strict() {
        match key {
            Some(c) if c.is_ascii_digit() => {
                confirm.typed.push(c);
                return Vec::new();
            }
            Some(_) => return Vec::new(),
            None => confirm.typed == targets.len().to_string(),
        }
    } else {
        match key {
            Some('y' | 'Y') | None => true,
            Some('n' | 'N') => {
                state.confirm = None;
                state.mode = Mode::Table;
                return Vec::new();
            }
            Some(_) => return Vec::new(),
        }
    };
    if !go {
        confirm.typed.clear();
        state.notice = Some(format!(
            "not run: type {} to run on {} instances",
            targets.len(),
            targets.len()
        ));
        return Vec::new();
    }
    let Some(confirm) = state.confirm.take() else {
        return Vec::new();
    };
    state.mode = Mode::Table;
    state.view = View::Run;
    state.notice = None;
    state.run = Some(RunWatch::new(confirm.request.clone()));
    vec![Effect::SendRun(confirm.request)]
}

fn act_on_run(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(run) = state.run.as_mut() else {
        state.view = View::Fleet;
        return Vec::new();
    };
    let last = run.invocations.len().saturating_sub(1);
    let before = run.selected;
    match action {
        Action::Up => run.selected = run.selected.saturating_sub(1),
        Action::Down => run.selected = (run.selected + 1).min(last),
        Action::Top => run.selected = 0,
        Action::Bottom => run.selected = last,
        Action::PageUp => run.selected = run.selected.saturating_sub(10),
        Action::PageDown => run.selected = (run.selected + 10).min(last),
        Action::CancelRun if !run.finished() && !run.cancelled => {
            run.cancelled = true;
            return vec![Effect::CancelRun];
        }
        Action::RerunFailed => match run.failed_request() {
            Some(request) => {
                state.confirm = Some(RunConfirm::new(request, state.confirm_above));
                state.mode = Mode::RunConfirm;
            }
            None => state.notice = Some("nothing to re-run: no invocation failed".to_owned()),
        },
        Action::ShowHistory => return show_history(state),
        Action::ShowFleet | Action::Back => state.view = View::Fleet,
        Action::Quit => return vec![Effect::Quit],
        Action::Help => state.mode = Mode::Help,
        Action::Command => {
            state.command_text.clear();
            state.mode = Mode::Command;
        }
        _ => {}
    }
    let Some(run) = state.run.as_mut() else {
        return Vec::new();
    };
    if run.selected == before {
        return Vec::new();
    }
    run.output = None;
    run.selected_invocation()
        .map(|selected| vec![Effect::WatchOutput(selected.instance_id.clone())])
        .unwrap_or_default()
}

/// The history view, loading it afresh.
fn show_history(state: &mut State) -> Vec<Effect> {
    state.view = View::History;
    state.mode = Mode::Table;
    state.history = None;
    vec![Effect::LoadHistory]
}

fn act_on_history(state: &mut State, action: Action) -> Vec<Effect> {
    let count = state.history.as_ref().map_or(0, Vec::len);
    let last = count.saturating_sub(1);
    match action {
        Action::Up => state.history_selected = state.history_selected.saturating_sub(1),
        Action::Down => state.history_selected = (state.history_selected + 1).min(last),
        Action::Top => state.history_selected = 0,
        Action::Bottom => state.history_selected = last,
        Action::Refresh => return show_history(state),
        Action::OpenShell | Action::Detail | Action::ToggleTunnel => {
            let entry = state
                .history
                .as_ref()
                .and_then(|h| h.get(state.history_selected))
                .cloned();
            if let Some(entry) = entry {
                state.run = Some(RunWatch::reopen(&entry));
                state.view = View::Run;
                return vec![Effect::ReopenRun(entry)];
            }
        }
        Action::ShowFleet | Action::Back => state.view = View::Fleet,
        Action::Quit => return vec![Effect::Quit],
        Action::Help => state.mode = Mode::Help,
        _ => {}
    }
    Vec::new()
}

/// The shift-f form's Enter: start the tunnel it describes, or say what is wrong.
fn submit_tunnel_form(state: &mut State) -> Vec<Effect> {
    let Some(form) = state.form.as_mut() else {
        state.mode = Mode::Table;
        return Vec::new();
    };
    match form.to_def() {
        Ok(def) => {
            state.form = None;
            state.mode = Mode::Table;
            let id = state.tunnels.add(def, false);
            state.view = View::Tunnels;
            state.tunnels.selected = state.tunnels.rows().len() - 1;
            start_tunnels(state, &[id])
        }
        Err(error) => {
            form.error = Some(error);
            Vec::new()
        }
    }
}

/// Marks `ids` running and asks the runtime to start them; `--read-only` refuses.
fn start_tunnels(state: &mut State, ids: &[TunnelId]) -> Vec<Effect> {
    if state.read_only {
        state.notice =
            Some("refused by --read-only: a tunnel starts port-forwarding sessions".to_owned());
        return Vec::new();
    }
    let mut effects = Vec::new();
    for &id in ids {
        if let Some(entry) = state.tunnels.get_mut(id)
            && !entry.running
        {
            entry.running = true;
            entry.live = TunnelLive::default();
            effects.push(Effect::StartTunnel(id));
        }
    }
    effects
}

/// The compose form for the marked rows, or every row the filter shows; `--read-only`
/// refuses, and instances SSM does not manage are left out (they cannot run anything).
fn open_run(state: &mut State) {
    if state.read_only {
        state.notice = Some("refused by --read-only: Run Command changes instances".to_owned());
        return;
    }
    let (rows, chosen_by): (Vec<&InstanceRow>, String) = if state.marks.is_empty() {
        let rows: Vec<&InstanceRow> = state.visible.iter().map(|&i| &state.rows[i]).collect();
        let how = if state.filter_text.is_empty() {
            "every instance shown (no marks, no filter)".to_owned()
        } else {
            format!("matching /{}", state.filter_text)
        };
        (rows, how)
    } else {
        let rows = state
            .rows
            .iter()
            .filter(|r| state.marks.contains(&r.instance_id))
            .collect();
        (rows, "marked".to_owned())
    };
    let managed: Vec<&InstanceRow> = rows
        .into_iter()
        .filter(|r| r.ping != Ping::NotManaged)
        .collect();
    if managed.is_empty() {
        state.notice = Some("no managed instance to run on".to_owned());
        return;
    }
    let groups = runs::groups_of(&managed);
    state.compose = Some(RunCompose::new(
        groups,
        format!("{} {chosen_by}", managed.len()),
    ));
    state.mode = Mode::RunCompose;
}

fn act_on_tunnels(state: &mut State, action: Action) -> Vec<Effect> {
    let last = state.tunnels.rows().len().saturating_sub(1);
    let tunnels = &mut state.tunnels;
    match action {
        Action::Up => tunnels.selected = tunnels.selected.saturating_sub(1),
        Action::Down => tunnels.selected = (tunnels.selected + 1).min(last),
        Action::Top => tunnels.selected = 0,
        Action::Bottom => tunnels.selected = last,
        Action::ToggleTunnel => {
            let ids = tunnels.selected_ids();
            let all_running = ids
                .iter()
                .all(|&id| tunnels.get(id).is_some_and(|e| e.running));
            if !all_running {
                return start_tunnels(state, &ids);
            }
            let mut effects = Vec::new();
            for id in ids {
                if let Some(entry) = tunnels.get_mut(id) {
                    entry.running = false;
                    effects.push(Effect::StopTunnel(id));
                }
            }
            return effects;
        }
        Action::RemoveTunnel => {
            let ids = tunnels.selected_ids();
            if let [id] = ids[..]
                && tunnels.get(id).is_some_and(|e| !e.saved)
            {
                let running = tunnels.get(id).is_some_and(|e| e.running);
                tunnels.entries.retain(|e| e.id != id);
                tunnels.selected = tunnels.selected.min(last.saturating_sub(1));
                return if running {
                    vec![Effect::StopTunnel(id)]
                } else {
                    Vec::new()
                };
            }
            state.notice = Some("saved tunnels stay: stop them with enter".to_owned());
        }
        Action::ShowFleet | Action::Back => state.view = View::Fleet,
        Action::Quit => return vec![Effect::Quit],
        Action::Help => state.mode = Mode::Help,
        Action::Command => {
            state.command_text.clear();
            state.mode = Mode::Command;
        }
        Action::ShowPanes if !state.workspace.is_empty() => {
            state.view = View::Panes;
            state.pane_mode = PaneMode::Typing;
        }
        _ => {}
    }
    Vec::new()
}

fn act_on(state: &mut State, action: Action) -> Vec<Effect> {
    let last = state.visible.len().saturating_sub(1);
    // Over the help, any key but these only closes it: Enter or `s` must not open a shell.
    if state.mode == Mode::Help
        && !matches!(
            action,
            Action::Quit | Action::Refresh | Action::Help | Action::Back
        )
    {
        state.mode = Mode::Table;
        return Vec::new();
    }
    match action {
        Action::ShowTunnels => {
            state.view = View::Tunnels;
            state.mode = Mode::Table;
        }
        Action::ShowRun if state.run.is_some() => {
            state.view = View::Run;
            state.mode = Mode::Table;
        }
        Action::OpenRun => open_run(state),
        Action::ShowHistory => return show_history(state),
        Action::OpenTunnelForm => {
            if state.read_only {
                state.notice = Some(
                    "refused by --read-only: a tunnel starts port-forwarding sessions".to_owned(),
                );
            } else if let Some(row) = state.selected_row() {
                if row.ping == Ping::NotManaged {
                    state.notice = Some(format!(
                        "no tunnel to {}: not managed by SSM",
                        row.instance_id
                    ));
                } else {
                    state.form = Some(TunnelForm::new(
                        &row.instance_id,
                        &row.name,
                        &row.profile,
                        &row.region,
                    ));
                    state.mode = Mode::TunnelForm;
                }
            }
        }
        Action::Command => {
            state.command_text.clear();
            state.mode = Mode::Command;
        }
        Action::Quit => return vec![Effect::Quit],
        Action::OpenShell => return open_shells(state),
        Action::ShowPanes | Action::Prefix if !state.workspace.is_empty() => {
            state.view = View::Panes;
            state.pane_mode = PaneMode::Typing;
            state.mode = Mode::Table;
        }
        Action::Refresh => {
            state.loading = true;
            return vec![Effect::Refresh];
        }
        Action::Help => {
            state.mode = if state.mode == Mode::Help {
                Mode::Table
            } else {
                Mode::Help
            }
        }
        Action::Back => match state.mode {
            Mode::Detail | Mode::Help => state.mode = Mode::Table,
            Mode::Command => {
                state.command_text.clear();
                state.mode = Mode::Table;
            }
            Mode::TunnelForm => {
                state.form = None;
                state.mode = Mode::Table;
            }
            Mode::RunCompose | Mode::RunConfirm => {
                state.compose = None;
                state.confirm = None;
                state.mode = Mode::Table;
            }
            Mode::Filter => {
                state.filter_text.clear();
                state.set_filter();
                state.mode = Mode::Table;
            }
            Mode::Table if !state.filter_text.is_empty() => {
                state.filter_text.clear();
                state.set_filter();
            }
            Mode::Table => state.marks.clear(),
        },
        _ if state.mode == Mode::Help => state.mode = Mode::Table,
        Action::Filter => state.mode = Mode::Filter,
        Action::Detail if state.selected_row().is_some() => {
            state.mode = if state.mode == Mode::Detail {
                Mode::Table
            } else {
                Mode::Detail
            };
        }
        Action::Up => state.selected = state.selected.saturating_sub(1),
        Action::Down => state.selected = (state.selected + 1).min(last),
        Action::PageUp => state.selected = state.selected.saturating_sub(state.table_rows),
        Action::PageDown => state.selected = (state.selected + state.table_rows).min(last),
        Action::Top => state.selected = 0,
        Action::Bottom => state.selected = last,
        Action::ToggleMark => {
            if let Some(id) = state.selected_row().map(|r| r.instance_id.clone()) {
                if !state.marks.remove(&id) {
                    state.marks.insert(id);
                }
                state.selected = (state.selected + 1).min(last);
            }
        }
        Action::SortNext => {
            // Every shown column sorts, in the order shown.
            let position = state.columns.iter().position(|c| *c == state.sort);
            let next = position.map_or(0, |p| (p + 1) % state.columns.len().max(1));
            if let Some(column) = state.columns.get(next) {
                state.sort = column.clone();
            }
            state.rebuild();
        }
        Action::SortReverse => {
            state.descending = !state.descending;
            state.rebuild();
        }
        // Pane actions mean nothing over the fleet table.
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
