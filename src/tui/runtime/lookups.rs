//! Which clients the console's lookups use: those of the profiles and regions it reads now
//! (older ones are kept for panes opened before a switch, but are not asked), and one
//! profile and region's own.

use super::Console;
use crate::services::lookups::Source;
use crate::services::sources::SessionClients;

impl Console {
    /// The sources the console reads now, with their clients.
    pub(super) fn session_sources(&self) -> Vec<Source> {
        self.context
            .clients
            .iter()
            .filter(|(key, _)| self.reading.contains(key))
            .map(|((profile, region), clients)| {
                (profile.clone(), region.clone(), clients.get().clone())
            })
            .collect()
    }

    /// The clients of one profile and region, when the console has them.
    pub(super) fn clients_of(&self, profile: &str, region: &str) -> Option<SessionClients> {
        self.context
            .clients
            .get(&(profile.to_owned(), region.to_owned()))
            .map(|clients| clients.get().clone())
    }
}
