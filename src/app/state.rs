//! The console's whole state: what every view shares (`Frame`), the view in front, the overlay
//! over it (at most one), and each view's own state.

use ratatui::layout::Rect;

use super::editor::EditorKind;
use super::keymap;
use super::overlays::{DoctorView, Overlay};
use super::views::View;
use super::views::containers::ContainersView;
use super::views::fleet::FleetView;
use super::views::panes::{PaneMode, PanesView};
use super::views::runs::{RunCompose, RunConfirm, RunsView};
use super::views::sessions::SessionsView;
use super::views::tunnels::{TunnelForm, Tunnels};

/// What every view shares: the screen, the status line, where the data comes from, and the
/// user's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The whole terminal, for pane geometry.
    pub screen: Rect,
    /// Rows a table shows (a page).
    pub table_rows: usize,
    /// Where the data comes from, for the title: "demo fleet", "prod/us-east-1"…
    pub source: String,
    /// The profiles and regions being read (empty: the defaults), for `:profile`/`:region`.
    pub profiles: Vec<String>,
    pub regions: Vec<String>,
    /// A sentence worth showing once (a refusal, a result, a broken theme file).
    pub notice: Option<String>,
    /// Credentials that expire soon (or have), with the command that renews them.
    pub expiring: Vec<String>,
    /// `q` was pressed with shells open; a second `q` quits.
    pub quit_armed: bool,
    /// `--read-only`: no shells, tunnels, commands or terminations.
    pub read_only: bool,
    /// The user's keys from the configuration.
    pub keys: keymap::KeyBindings,
}

/// What has the keys now, read off the overlay (so the two can never disagree): the view
/// beneath (`Table`), or the overlay over it.
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

impl Mode {
    /// The kind of text field that has the keys, if one does.
    pub fn editor(self) -> Option<EditorKind> {
        match self {
            Mode::Filter | Mode::Command | Mode::PaneSearch => Some(EditorKind::Line),
            Mode::TunnelForm => Some(EditorKind::TunnelForm),
            Mode::RunCompose => Some(EditorKind::RunCompose),
            Mode::RunConfirm => Some(EditorKind::Confirm),
            Mode::Table | Mode::Detail | Mode::Help | Mode::Doctor => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub frame: Frame,
    pub view: View,
    pub overlay: Option<Overlay>,
    pub fleet: FleetView,
    pub panes: PanesView,
    pub runs: RunsView,
    pub sessions: SessionsView,
    pub containers: ContainersView,
    pub tunnels: Tunnels,
}

impl State {
    pub fn new(source: impl Into<String>) -> State {
        State {
            frame: Frame {
                screen: Rect::new(0, 0, 80, 24),
                table_rows: 20,
                source: source.into(),
                profiles: Vec::new(),
                regions: Vec::new(),
                notice: None,
                expiring: Vec::new(),
                quit_armed: false,
                read_only: false,
                keys: keymap::KeyBindings::default(),
            },
            view: View::Fleet,
            overlay: None,
            fleet: FleetView::default(),
            panes: PanesView::default(),
            runs: RunsView::default(),
            sessions: SessionsView::default(),
            containers: ContainersView::default(),
            tunnels: Tunnels::default(),
        }
    }

    /// What has the keys now.
    pub fn mode(&self) -> Mode {
        match &self.overlay {
            None => Mode::Table,
            Some(Overlay::Help { .. }) => Mode::Help,
            Some(Overlay::Detail) => Mode::Detail,
            Some(Overlay::Doctor(_)) => Mode::Doctor,
            Some(Overlay::Filter) => Mode::Filter,
            Some(Overlay::CommandLine(_)) => Mode::Command,
            Some(Overlay::TunnelForm(_)) => Mode::TunnelForm,
            Some(Overlay::RunCompose(_)) => Mode::RunCompose,
            Some(Overlay::RunConfirm(_)) => Mode::RunConfirm,
            Some(Overlay::PaneSearch { .. }) => Mode::PaneSearch,
        }
    }

    /// The help's first line on screen (0 when the help is closed).
    pub fn help_scroll(&self) -> usize {
        match self.overlay {
            Some(Overlay::Help { scroll }) => scroll,
            _ => 0,
        }
    }

    /// The doctor's overlay, while open.
    pub fn doctor(&self) -> Option<&DoctorView> {
        match &self.overlay {
            Some(Overlay::Doctor(view)) => Some(view),
            _ => None,
        }
    }

    /// The shift-f form, while open.
    pub fn tunnel_form(&self) -> Option<&TunnelForm> {
        match &self.overlay {
            Some(Overlay::TunnelForm(form)) => Some(form),
            _ => None,
        }
    }

    /// Run Command's form, while open.
    pub fn compose(&self) -> Option<&RunCompose> {
        match &self.overlay {
            Some(Overlay::RunCompose(compose)) => Some(compose),
            _ => None,
        }
    }

    /// The blast radius waiting for confirmation, while open.
    pub fn confirm(&self) -> Option<&RunConfirm> {
        match &self.overlay {
            Some(Overlay::RunConfirm(confirm)) => Some(confirm),
            _ => None,
        }
    }

    /// Closes whatever overlay is open.
    pub fn close_overlay(&mut self) {
        self.overlay = None;
    }

    /// Keys go to a pane rather than the console.
    pub fn typing_to_pane(&self) -> bool {
        self.view == View::Panes
            && self.panes.mode == PaneMode::Typing
            && !matches!(self.mode(), Mode::Help | Mode::Doctor)
            && !self.panes.workspace.is_empty()
    }

    /// Keeps the selection of the view in front on screen.
    pub fn scroll_to_selection(&mut self) {
        self.fleet.scroll_to_selection(self.frame.table_rows);
    }
}
