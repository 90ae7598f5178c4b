//! The fleet view: every instance of the sources read, filtered, sorted and marked.

pub mod keys;
pub(crate) mod update;

#[cfg(test)]
mod tests;
