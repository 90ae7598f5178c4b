//! Protocol tests: golden frames from the official serializer, codec properties, and client ↔
//! agent sessions wired through an in-memory link on a virtual clock.

mod bounds;
mod codec;
mod harness;
mod hostile;
mod official;
mod schedules;
mod sessions;
