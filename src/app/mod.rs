//! The console's pure core: its state, the intents a key can express (`Action`), and the
//! reducer that applies actions and facts (`Input`) and returns effects for the runtime to
//! carry out. No terminal, no sockets, no clock: time arrives inside inputs.

pub mod keymap;

use std::collections::BTreeSet;
use std::time::SystemTime;

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
            Action::Quit => "quit",
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
    /// Enter in the filter line: keep the filter, back to the table.
    FilterDone,
    /// A refresh finished: every row that was read, and the profile/regions that failed.
    InventoryLoaded {
        rows: Vec<InstanceRow>,
        errors: Vec<String>,
        at: SystemTime,
        /// Some calls were throttled; the refresher is backing off.
        throttled: bool,
    },
    /// The visible table height changed (paging moves by a screenful).
    Resized {
        table_rows: usize,
    },
}

/// What the runtime must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Refresh,
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Filter,
    Detail,
    Help,
}

/// Columns the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Name,
    Ping,
    LastPing,
    Region,
    State,
}

impl SortColumn {
    fn next(self) -> SortColumn {
        match self {
            SortColumn::Name => SortColumn::Ping,
            SortColumn::Ping => SortColumn::LastPing,
            SortColumn::LastPing => SortColumn::Region,
            SortColumn::Region => SortColumn::State,
            SortColumn::State => SortColumn::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "name",
            SortColumn::Ping => "ping",
            SortColumn::LastPing => "last ping",
            SortColumn::Region => "region",
            SortColumn::State => "state",
        }
    }
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
    pub filter_text: String,
    pub filter_error: Option<String>,
    filter: Filter,
    pub marks: BTreeSet<String>,
    pub sort: SortColumn,
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
            sort: SortColumn::Name,
            descending: false,
            loaded_at: None,
            loading: true,
            throttled: false,
            errors: Vec::new(),
            source: source.into(),
            table_rows: 20,
            notice: None,
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
            let order = match self.sort {
                SortColumn::Name => a.name.cmp(&b.name),
                SortColumn::Ping => a.ping.cmp(&b.ping),
                SortColumn::LastPing => a
                    .last_ping_age
                    .unwrap_or(u64::MAX)
                    .cmp(&b.last_ping_age.unwrap_or(u64::MAX)),
                SortColumn::Region => a.region.cmp(&b.region),
                SortColumn::State => a.ec2_state.cmp(&b.ec2_state),
            }
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
        Input::Resized { table_rows } => {
            state.table_rows = table_rows.max(1);
            state.scroll_to_selection();
            Vec::new()
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
        Input::Action(action) => act(state, action),
    }
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let effects = act_on(state, action);
    state.scroll_to_selection();
    effects
}

fn act_on(state: &mut State, action: Action) -> Vec<Effect> {
    let last = state.visible.len().saturating_sub(1);
    match action {
        Action::Quit => return vec![Effect::Quit],
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
        Action::Detail => {
            if state.selected_row().is_some() {
                state.mode = if state.mode == Mode::Detail {
                    Mode::Table
                } else {
                    Mode::Detail
                };
            }
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
            state.sort = state.sort.next();
            state.rebuild();
        }
        Action::SortReverse => {
            state.descending = !state.descending;
            state.rebuild();
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
