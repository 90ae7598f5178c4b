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

/// Every key table, for the tests that hold them to their promises.
pub static ALL_TABLES: [&crate::app::keymap::KeyTable; 10] = [
    &fleet::keys::FLEET,
    &panes::keys::PANES,
    &panes::keys::SCROLL,
    &panes::keys::ENDED_PANE,
    &tunnels::keys::TUNNELS,
    &runs::keys::RUN,
    &runs::keys::HISTORY,
    &sessions::keys::SESSIONS,
    &containers::keys::CONTAINERS,
    &crate::app::overlays::help_table::HELP,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Action;
    use crate::app::keymap::table::Key;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use fleet::keys::FLEET;
    use panes::keys::PANES;
    use runs::keys::RUN;

    #[test]
    fn every_hint_names_keys_its_table_binds() {
        for table in ALL_TABLES {
            for hint in table.hints {
                for &action in hint.actions {
                    assert!(
                        table.binds(action),
                        "{}: the hint {:?} names {action:?}, which the table does not bind",
                        table.title,
                        hint.text
                    );
                }
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_table() {
        for table in ALL_TABLES {
            let mut seen: Vec<(Key, Action)> = Vec::new();
            for binding in table.all() {
                for &key in binding.keys {
                    if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                        panic!(
                            "{}: {} is bound to {first:?} and to {:?}",
                            table.title,
                            key.label(),
                            binding.action
                        );
                    }
                    seen.push((key, binding.action));
                }
            }
        }
    }

    #[test]
    fn hints_read_their_keys_from_the_table() {
        let pairs = FLEET.hint_pairs("ctrl-]");
        assert_eq!(pairs[0], ("/".to_owned(), "filter"));
        assert_eq!(pairs[2], ("s".to_owned(), "shell"));
        let panes = PANES.hint_pairs("ctrl-]");
        assert_eq!(panes[0], ("←↑↓→".to_owned(), "focus"));
        assert_eq!(panes[1], ("| -".to_owned(), "split"));
        assert_eq!(RUN.hint_pairs("ctrl-]")[0], ("↑↓".to_owned(), "instance"));
    }

    #[test]
    fn after_the_prefix_a_held_ctrl_still_picks_the_letter() {
        let ctrl_n = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL);
        assert_eq!(PANES.action_for(ctrl_n, false), Some(Action::NextTab));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            RUN.action_for(ctrl_c, false),
            Some(Action::Quit),
            "not cancel"
        );
    }

    #[test]
    fn digits_select_tabs() {
        let event = KeyEvent::new(KeyCode::Char('4'), KeyModifiers::NONE);
        assert_eq!(PANES.action_for(event, false), Some(Action::SelectTab(4)));
        assert_eq!(FLEET.action_for(event, false), None);
    }
}
