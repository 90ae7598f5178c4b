//! The console's views, one folder each: its state (`mod.rs`), what its keys and facts do to
//! it (`update.rs`), and its key table (`keys.rs`). A view never names another: what crosses
//! views goes back to the dispatcher (`app::update`) as an outcome.

pub mod containers;
pub mod fleet;
pub(crate) mod lists;
pub mod panes;
pub mod runs;
pub mod sessions;
pub mod tunnels;
