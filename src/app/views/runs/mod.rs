//! Run Command's views: the compose form and its confirmation, the watch grid (with its
//! grouped mode) and the history of recent commands.

pub(crate) mod events;
pub mod grouping;
pub mod keys;
pub(crate) mod update;
pub mod watch;

pub use watch::*;

#[cfg(test)]
mod tests;
