//! The Sessions view: who is on which instance now.

pub mod keys;
pub(crate) mod update;

#[cfg(test)]
mod tests;
