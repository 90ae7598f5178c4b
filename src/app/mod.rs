//! The console's pure core. The contract: `update(&mut State, Input) -> Vec<Effect>`, facts
//! and intents in, what the runtime must do out. No terminal, no sockets, no clock: time
//! arrives inside inputs.
//!
//! - `State` (here): what every view shares (`state::Frame`), the view in front, at most one
//!   overlay, and each view's own state.
//! - `action`, `input`, `effect`: the reducer's vocabulary; `editor`: the one line editor and
//!   its keys.
//! - `update`: the dispatcher, the only place that crosses views (they answer outcomes).
//! - `views/`: one folder a view (state, update, keys); `overlays/`: what opens over them.
//! - `keymap/`: the key-table engine; `route`: a key to an input in the state now; `layout`:
//!   the geometry the reducer and the runtime share.

pub mod action;
pub mod editor;
pub mod effect;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod overlays;
pub mod route;
pub mod state;
#[cfg(test)]
pub(crate) mod test_support;
mod update;
pub mod views;

pub use action::Action;
pub use effect::Effect;
pub use input::{Input, MouseKind};
pub use layout::{pane_area, pane_content, table_rows_for};
pub use state::{Frame, Mode};
pub use update::update;
pub use views::View;
pub use views::panes::PaneMode;

use ratatui::layout::Rect;

use self::overlays::{DoctorView, Overlay};
use self::views::containers::ContainersView;
use self::views::files::FilesView;
use self::views::fleet::FleetView;
use self::views::nodes::NodesView;
use self::views::panes::PanesView;
use self::views::recordings::RecordingsView;
use self::views::runs::{RunCompose, RunConfirm, RunsView};
use self::views::sessions::SessionsView;
use self::views::tunnels::{TunnelForm, Tunnels};

/// The console's whole state: what every view shares, the view in front, the overlay over it
/// (at most one), and each view's own state.
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
    pub files: FilesView,
    pub nodes: NodesView,
    pub recordings: RecordingsView,
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
            files: FilesView::default(),
            nodes: NodesView::default(),
            recordings: RecordingsView::default(),
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
            Some(Overlay::FilesPrompt(_)) => Mode::FilesPrompt,
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
