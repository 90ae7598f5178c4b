//! The `[keys]` table read against every view's keys, for `bosun config check`: actions that
//! do not exist (with the nearest), two of the user's actions on one key in one view (only one
//! can win), and a user's key that takes a view's own key from another action (said as a note:
//! it may be meant).

use std::collections::BTreeMap;

use crate::app::Action;
use crate::app::keymap::table::KeyTable;
use crate::config::keys::KeyChord;

/// What the check says of one `[keys]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFinding {
    /// The entry it is about (`shell`, `prefix`…), for its line in the file.
    pub entry: String,
    pub message: String,
    /// A note is said but does not fail the check.
    pub note: bool,
}

/// Every finding of the `[keys]` table against the views' key tables.
pub fn key_findings(keys: &BTreeMap<String, Vec<String>>) -> Vec<KeyFinding> {
    let mut findings = Vec::new();
    let mut bound: Vec<(String, KeyChord, Action)> = Vec::new();
    for (name, labels) in keys {
        if name == "prefix" {
            continue;
        }
        let Some(action) = Action::named(name) else {
            let near = crate::model::instance::closest_names(name, Action::names(), 2);
            let hint = if near.is_empty() {
                " (`bosun --help` and `?` in the console list the actions)".to_owned()
            } else {
                format!("; did you mean {}?", near.join(" or "))
            };
            findings.push(KeyFinding {
                entry: name.clone(),
                message: format!("keys.{name}: no such action{hint}"),
                note: false,
            });
            continue;
        };
        for label in labels {
            if let Ok(chord) = KeyChord::parse(label) {
                bound.push((name.clone(), chord, action));
            }
        }
    }
    // What each view finds, by (entry, finding): one line names every view it holds in
    // (VIEWS in the message).
    let mut by_finding: Vec<(String, String, bool, Vec<String>)> = Vec::new();
    let mut found = |entry: &str, message: String, note: bool, view: String| match by_finding
        .iter_mut()
        .find(|(e, m, _, _)| e == entry && *m == message)
    {
        Some((_, _, _, views)) => views.push(view),
        None => by_finding.push((entry.to_owned(), message, note, vec![view])),
    };
    for table in super::ALL_TABLES {
        let view = view_name(table);
        let mine: Vec<&(String, KeyChord, Action)> =
            bound.iter().filter(|(_, _, a)| table.binds(*a)).collect();
        for (index, (name, chord, action)) in mine.iter().enumerate() {
            let event = chord.to_event();
            if let Some((other, _, _)) = mine[..index]
                .iter()
                .find(|(_, c, a)| a != action && c.matches(event))
            {
                let message = format!(
                    "keys: {:?} is bound to both {other} and {name} in VIEWS; only {other} would run",
                    chord.label()
                );
                found(name, message, false, view.clone());
                continue;
            }
            if let Some(taken) = table.action_for(event, false)
                && taken != *action
                && !matches!(taken, Action::SelectTab(_))
            {
                let message = format!(
                    "keys.{name} = {:?} takes the key from {} in VIEWS",
                    chord.label(),
                    taken.name()
                );
                found(name, message, true, view.clone());
            }
        }
    }
    findings.extend(
        by_finding
            .into_iter()
            .map(|(entry, message, note, views)| KeyFinding {
                entry,
                message: message.replace("VIEWS", &in_views(&views)),
                note,
            }),
    );
    findings
}

/// "the Fleet view", "the Fleet and Containers views", "copy mode and the Panes view".
fn in_views(views: &[String]) -> String {
    let names: Vec<&str> = views.iter().map(String::as_str).collect();
    let (last, rest) = names.split_last().expect("a finding has a view");
    let all_views: Option<Vec<&str>> = names.iter().map(|v| bare_view(v)).collect();
    match (rest, all_views) {
        ([], _) => (*last).to_owned(),
        (_, Some(bare)) => {
            let (last, rest) = bare.split_last().expect("non-empty");
            format!("the {} and {last} views", rest.join(", "))
        }
        (_, None) => format!("{} and {last}", rest.join(", ")),
    }
}

/// "Fleet" of "the Fleet view".
fn bare_view(view: &str) -> Option<&str> {
    view.strip_prefix("the ")?.strip_suffix(" view")
}

/// A table's title as a view's name: "the Fleet view", "Copy mode".
fn view_name(table: &KeyTable) -> String {
    let title = table
        .title
        .split([':', '('])
        .next()
        .unwrap_or(table.title)
        .trim();
    if title.contains(' ') {
        title.to_lowercase()
    } else {
        format!("the {title} view")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        entries
            .iter()
            .map(|(name, keys)| {
                (
                    (*name).to_owned(),
                    keys.iter().map(|k| (*k).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn keys_bound_twice_in_a_view_are_said() {
        let findings = key_findings(&table(&[
            ("shell", &["f5"]),
            ("tunnel_form", &["f5"]),
            ("shel", &["x"]),
            ("quit", &["ctrl-q"]),
        ]));
        let said: Vec<(&str, bool)> = findings
            .iter()
            .map(|f| (f.message.as_str(), f.note))
            .collect();
        assert!(
            said.iter().any(|(m, note)| !note
                && m.contains("\"f5\" is bound to both shell and tunnel_form")
                && m.contains("in the Fleet and Containers views")),
            "{said:#?}"
        );
        assert!(
            said.contains(&(
                "keys.shel: no such action; did you mean shell or help?",
                false
            )),
            "{said:#?}"
        );
        assert!(
            !said.iter().any(|(m, _)| m.contains("quit")),
            "a free key is no finding: {said:#?}"
        );
        let taken = key_findings(&table(&[("shell", &["q"])]));
        assert!(
            taken
                .iter()
                .any(|f| f.note && f.message == "keys.shell = \"q\" takes the key from quit in the Fleet, Containers and Nodes views"),
            "{taken:#?}"
        );
    }
}
