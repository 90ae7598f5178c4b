//! The console's pure core: its state, the intents a key can express (`Action`), and the
//! reducer that applies actions and facts (`Input`) and returns effects for the runtime to
//! carry out. No terminal, no sockets, no clock: time arrives inside inputs.
//!
//! `action`, `input` and `effect` are the reducer's vocabulary; `state` and the per-view
//! state (`panes`, `runs`, `tunnels`, `columns`) what it changes; `update` the reducer;
//! `keymap` the key tables; `layout` the geometry the reducer and the runtime share.

pub mod action;
pub mod editor;
pub mod effect;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod overlays;
pub mod state;
#[cfg(test)]
pub(crate) mod test_support;
mod update;
pub mod views;

pub use action::Action;
pub use effect::Effect;
pub use input::{Input, MouseKind};
pub use layout::{pane_area, pane_content, table_rows_for};
pub use state::{Mode, State};
pub use update::update;
pub use views::View;
pub use views::panes::PaneMode;
