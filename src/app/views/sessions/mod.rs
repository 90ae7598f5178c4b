//! The Sessions view: who is on which instance now.

pub(crate) mod update;

#[cfg(test)]
mod tests;
