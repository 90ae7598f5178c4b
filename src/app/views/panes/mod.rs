//! The panes view: shells in tiles and tabs, the prefix, copy mode.

pub mod keys;
pub(crate) mod update;
pub mod workspace;

pub use workspace::*;

#[cfg(test)]
mod tests;
