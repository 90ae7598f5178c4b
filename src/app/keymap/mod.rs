//! Keys to intents, the engine: a key table's rows (`table`), the user's own keys from the
//! configuration placed before a table's own, and the prefix chord (ctrl-] unless configured).
//! Each view's table is data in its `keys.rs`; routing (`app::route`), the help and the
//! status-bar hints all read the same tables, so they cannot disagree.

pub mod table;

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use self::table::KeyTable;
use super::Action;
pub use crate::config::keys::KeyChord;

/// The user's keys from the configuration: another prefix chord, and extra keys for actions
/// (they take precedence over the defaults, which stay).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyBindings {
    pub prefix: Option<KeyChord>,
    pub extra: Vec<(KeyChord, Action)>,
}

impl KeyBindings {
    /// Reads the `[keys]` table: `action = "key"` or `action = ["key", "key"]`, and
    /// `prefix = "ctrl-a"`.
    pub fn from_config(table: &BTreeMap<String, Vec<String>>) -> Result<KeyBindings, String> {
        let mut bindings = KeyBindings::default();
        for (name, keys) in table {
            if name == "prefix" {
                let [key] = keys.as_slice() else {
                    return Err("keys.prefix takes one key".to_owned());
                };
                bindings.prefix = Some(KeyChord::parse(key)?);
                continue;
            }
            let Some(action) = Action::named(name) else {
                let near = crate::model::instance::closest_names(name, Action::names(), 2);
                if !near.is_empty() {
                    return Err(format!(
                        "keys.{name}: no such action; did you mean {}?",
                        near.join(" or ")
                    ));
                }
                let known: Vec<&str> = Action::names().collect();
                return Err(format!(
                    "keys.{name}: no such action (known: prefix, {})",
                    known.join(", ")
                ));
            };
            for key in keys {
                let chord = KeyChord::parse(key).map_err(|e| format!("keys.{name}: {e}"))?;
                bindings.extra.push((chord, action));
            }
        }
        Ok(bindings)
    }

    pub fn is_prefix(&self, key: KeyEvent) -> bool {
        match &self.prefix {
            Some(chord) => chord.matches(key),
            None => is_prefix(key),
        }
    }

    pub fn prefix_label(&self) -> &str {
        self.prefix.as_ref().map_or(PREFIX_LABEL, KeyChord::label)
    }

    /// What `key` means in `table`: the user's keys for the table's actions first (they are
    /// entries of the table, placed before its own), then the table's.
    pub fn action_in(&self, table: &KeyTable, key: KeyEvent) -> Option<Action> {
        self.extra
            .iter()
            .find(|(chord, action)| chord.matches(key) && table.binds(*action))
            .map(|(_, action)| *action)
            .or_else(|| table.action_for(key, self.is_prefix(key)))
    }

    /// Every key for `action` in `table`, the user's first, as the help lists them.
    pub fn labels_in(&self, table: &KeyTable, action: Action) -> Vec<String> {
        let mut labels: Vec<String> = self
            .labels_for(action)
            .into_iter()
            .map(str::to_owned)
            .collect();
        labels.extend(table.labels(action, self.prefix_label()));
        labels
    }

    /// The table's hints with the configured prefix's name.
    pub fn hints(&self, table: &KeyTable) -> Vec<(String, &'static str)> {
        table.hint_pairs(self.prefix_label(), false)
    }

    /// The status bar's hints under `--read-only`: none for what it refuses.
    pub fn hints_for(&self, table: &KeyTable, read_only: bool) -> Vec<(String, &'static str)> {
        table.hint_pairs(self.prefix_label(), read_only)
    }

    /// The user's keys for `action`, for the help overlay.
    pub fn labels_for(&self, action: Action) -> Vec<&str> {
        self.extra
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(chord, _)| chord.label())
            .collect()
    }
}

/// The prefix chord, as the help and the status bar name it.
pub const PREFIX_LABEL: &str = "ctrl-]";

fn is_prefix(key: KeyEvent) -> bool {
    // Terminals send ctrl-] as 0x1d, which crossterm reports as ctrl-5.
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char(']') | KeyCode::Char('5'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::views::fleet::keys::FLEET;
    use crate::app::views::runs::keys::RUN;

    #[test]
    fn the_users_keys_are_entries_of_the_table() {
        let mut table = BTreeMap::new();
        table.insert("details".to_owned(), vec!["i".to_owned()]);
        table.insert("cancel_run".to_owned(), vec!["ctrl-x".to_owned()]);
        let keys = KeyBindings::from_config(&table).expect("valid");
        let i = KeyEvent::new(KeyCode::Char('i'), KeyModifiers::NONE);
        assert_eq!(keys.action_in(&FLEET, i), Some(Action::Detail));
        assert_eq!(
            keys.action_in(&RUN, i),
            None,
            "details is no key of the run view"
        );
        assert_eq!(keys.labels_in(&FLEET, Action::Detail), ["i", "d"]);
        let ctrl_x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL);
        assert_eq!(keys.action_in(&RUN, ctrl_x), Some(Action::CancelRun));
    }
}
