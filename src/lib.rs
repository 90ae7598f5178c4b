//! bosun (temporary)
pub mod protocol;
