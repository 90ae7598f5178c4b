//! The console's whole state: the fleet table with its filter, sort, marks and selection; the
//! view and mode; the panes' workspace; tunnels; Run Command's form, confirmation and watch.

use std::collections::BTreeSet;
use std::time::SystemTime;

use ratatui::layout::Rect;

use super::keymap;
use crate::app::views::panes::Workspace;
use crate::app::views::runs::{RunCompose, RunConfirm, RunWatch};
use crate::app::views::tunnels::{TunnelForm, Tunnels};
use crate::model::column::{Column, DEFAULT_COLUMNS};
use crate::model::filter::Filter;
use crate::model::instance::{InstanceRow, Ping};
use crate::model::pane::PaneTarget;
use crate::model::run::{CONFIRM_BY_COUNT_ABOVE, HistoryEntry};

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
    /// The doctor's report on an instance is open.
    Doctor,
    /// Copy mode's search prompt (`/` or `?`) is open.
    PaneSearch,
}

/// The doctor's overlay: which instance, and its report once it came.
#[derive(Debug, Clone, PartialEq)]
pub struct DoctorView {
    pub instance_id: String,
    pub name: String,
    /// `None` while the checks run.
    pub report: Option<Result<crate::model::doctor::Report, String>>,
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
    /// Sessions on the fleet now: who is on which instance.
    Sessions,
    /// ECS containers: shells and tunnels through ECS Exec.
    Containers,
}

/// A session in the Sessions view, with the source it was read from (to end it there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEntry {
    pub row: crate::model::session::SessionRow,
    pub profile: String,
    pub region: String,
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
    /// The help overlay's first line on screen.
    pub help_scroll: usize,
    /// Copy mode's search prompt: what is typed, and whether it searches downward.
    pub pane_search: (String, bool),
    /// Where a mouse press landed in a pane (pane, row, column of its content), and whether
    /// the pointer has moved since: a drag selects within that pane.
    pub drag: Option<(crate::model::pane::PaneId, (u16, u16), bool)>,
    /// `w` with nothing run here yet: watch the newest command once the history loads.
    pub watch_newest: bool,
    pub filter_text: String,
    pub filter_error: Option<String>,
    pub(super) filter: Filter,
    pub marks: BTreeSet<String>,
    /// The table's columns, in order (from the configuration, or the defaults).
    pub columns: Vec<Column>,
    pub sort: Column,
    pub descending: bool,
    pub loaded_at: Option<SystemTime>,
    pub loading: bool,
    pub throttled: bool,
    pub errors: Vec<String>,
    /// The doctor's overlay, while open.
    pub doctor: Option<DoctorView>,
    /// Credentials that expire soon (or have), with the command that renews them.
    pub expiring: Vec<String>,
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
    /// Two runs of one command compared (`=` in the history), shown over the history.
    pub comparison: Option<crate::model::run_groups::Comparison>,
    /// The Sessions view's rows, once loaded.
    pub sessions: Option<Vec<SessionEntry>>,
    pub sessions_selected: usize,
    /// The session the next terminate key ends (the first press only asks).
    pub terminate_armed: Option<String>,
    /// The Containers view.
    pub containers: crate::app::views::containers::ContainersView,
}

impl State {
    pub fn new(source: impl Into<String>) -> State {
        State {
            rows: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            offset: 0,
            mode: Mode::Table,
            help_scroll: 0,
            pane_search: (String::new(), true),
            drag: None,
            watch_newest: false,
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
            doctor: None,
            expiring: Vec::new(),
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
            confirm_above: CONFIRM_BY_COUNT_ABOVE,
            history: None,
            history_selected: 0,
            comparison: None,
            sessions: None,
            sessions_selected: 0,
            terminate_armed: None,
            containers: crate::app::views::containers::ContainersView::default(),
        }
    }

    /// The field being typed into in the open form (its error cleared: it is being fixed).
    pub(super) fn focused_field(&mut self) -> Option<&mut String> {
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
            && self.mode != Mode::Doctor
            && !self.workspace.is_empty()
    }

    pub(super) fn pane_target(row: &InstanceRow) -> PaneTarget {
        PaneTarget {
            instance_id: row.instance_id.clone(),
            name: row.name.clone(),
            profile: row.profile.clone(),
            region: row.region.clone(),
            ping: row.ping,
            container: None,
        }
    }

    pub fn selected_row(&self) -> Option<&InstanceRow> {
        self.visible.get(self.selected).map(|&i| &self.rows[i])
    }

    /// Rebuilds `visible` after the filter or sort changed, keeping the selection.
    pub(super) fn rebuild(&mut self) {
        let keep = self.selected_row().map(|r| r.instance_id.clone());
        self.rebuild_keeping(keep);
    }

    /// Rebuilds `visible`, selecting `keep` (an instance id) when it is still shown.
    pub(super) fn rebuild_keeping(&mut self, keep: Option<String>) {
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

    pub(super) fn set_filter(&mut self) {
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
    pub(super) fn scroll_to_selection(&mut self) {
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
