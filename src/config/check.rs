//! The configuration file read against what bosun knows of it, before serde reads it: every
//! unknown key (with the nearest known one), value of the wrong kind, number out of range and
//! missing key, all at once and in the file's terms ("refresh_seconds wants a whole number"),
//! each at its line. Serde only reads a file this check passed.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// What a key's value must be.
pub enum Kind {
    Text,
    /// An IP address in quotes.
    Address,
    Texts,
    TextOrTexts,
    Flag,
    /// One of these words, in quotes.
    OneOf(&'static [&'static str]),
    /// A whole number in a range, and why the range (said when a number is outside it).
    Whole {
        min: i64,
        max: i64,
        why: &'static str,
    },
    /// A number of minutes above zero, whole or not (`0.5`).
    Minutes,
    /// A table of these keys.
    Table(&'static [Field]),
    /// `[[name]]`: a list of tables of these keys.
    Tables(&'static [Field]),
    /// A table whose keys the user names, each value of this kind.
    Named(&'static Kind),
}

/// One key bosun reads.
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn field(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

const fn needed(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const SCROLLBACK: Kind = Kind::Whole {
    min: 0,
    max: super::MAX_SCROLLBACK_LINES as i64,
    why: " lines (each costs 32 bytes a column)",
};

const PORT: Kind = Kind::Whole {
    min: 1,
    max: 65535,
    why: "",
};

const TUNNEL: [Field; 13] = [
    needed("name", Kind::Text),
    needed("target", Kind::Text),
    field("remote_host", Kind::Text),
    needed("remote_port", PORT),
    field(
        "local_port",
        Kind::Whole {
            min: 0,
            max: 65535,
            why: " (0 takes a free port)",
        },
    ),
    field("bind", Kind::Address),
    field("local_address", Kind::Address),
    field("profile", Kind::Text),
    field("region", Kind::Text),
    field("account", Kind::Text),
    field("lazy", Kind::Flag),
    field("idle_minutes", Kind::Minutes),
    field(
        "sessions",
        Kind::Whole {
            min: 1,
            max: super::MAX_TUNNEL_SESSIONS as i64,
            why: " sessions",
        },
    ),
];

const PROFILE: [Field; 1] = [field("scrollback_lines", SCROLLBACK)];

const ORG: [Field; 6] = [
    field("enabled", Kind::Flag),
    field("inventory_roles", Kind::Texts),
    field("session_roles", Kind::Texts),
    field("assume_role", Kind::Text),
    field("index", Kind::OneOf(&["auto", "always", "never"])),
    field("sync_name", Kind::Text),
];

/// Every key of the file, as `Config` reads it.
pub const FILE: [Field; 16] = [
    field("profiles", Kind::Texts),
    field("regions", Kind::Texts),
    field(
        "refresh_seconds",
        Kind::Whole {
            min: super::MIN_REFRESH_SECONDS as i64,
            max: 86_400,
            why: " seconds (faster lists spend the account's API rate)",
        },
    ),
    field("theme", Kind::Text),
    field("shell_document", Kind::Text),
    field(
        "run_confirm_above",
        Kind::Whole {
            min: 0,
            max: 1_000_000,
            why: " targets",
        },
    ),
    field("columns", Kind::Texts),
    field("keys", Kind::Named(&Kind::TextOrTexts)),
    field("tunnel", Kind::Tables(&TUNNEL)),
    field("tunnel_group", Kind::Named(&Kind::Texts)),
    field("scrollback_lines", SCROLLBACK),
    field("record_panes", Kind::Flag),
    field(
        "recordings_keep_days",
        Kind::Whole {
            min: 0,
            max: 36_500,
            why: " days (0 keeps every recording)",
        },
    ),
    field("profile", Kind::Named(&Kind::Table(&PROFILE))),
    field("escape_char", Kind::Text),
    field("org", Kind::Table(&ORG)),
];

/// A problem at a byte offset of the text (its line is counted by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub at: Option<usize>,
    pub message: String,
}

/// Every problem with the file's shape. A file TOML cannot read gives the one syntax error.
pub fn shape_problems(text: &str) -> Vec<Found> {
    match DeTable::parse(text) {
        Ok(document) => {
            let mut found = Vec::new();
            check_table(document.get_ref(), &FILE, "", &mut found);
            // The parser keeps tables' keys sorted; the file's order reads better.
            found.sort_by_key(|problem| problem.at.unwrap_or(usize::MAX));
            found
        }
        Err(error) => vec![Found {
            at: error.span().map(|span| span.start),
            message: error.message().trim().to_owned(),
        }],
    }
}

/// The byte offset where the key at `path` is written (`["tunnel", "2", "sessions"]`: the
/// third `[[tunnel]]`'s sessions), or the nearest enclosing key that is written.
pub fn offset_of(text: &str, path: &[&str]) -> Option<usize> {
    let document = DeTable::parse(text).ok()?;
    let mut table = document.get_ref();
    let mut at = None;
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        let (key, value) = table.get_key_value(*step)?;
        at = Some(key.span().start);
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            DeValue::Array(items) => {
                let Some(index) = steps.next().and_then(|i| i.parse::<usize>().ok()) else {
                    return at;
                };
                let item = items.get(index)?;
                at = Some(item.span().start);
                match item.get_ref() {
                    DeValue::Table(inner) => table = inner,
                    _ => return at,
                }
            }
            _ => return at,
        }
    }
    at
}

fn check_table(table: &DeTable<'_>, fields: &[Field], path: &str, found: &mut Vec<Found>) {
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let Some(field) = fields.iter().find(|f| f.name == name) else {
            found.push(Found {
                at: Some(key.span().start),
                message: unknown_key(name, fields, path),
            });
            continue;
        };
        check_value(value, &field.kind, &join(path, name), found);
    }
    for field in fields.iter().filter(|f| f.required) {
        if !table.contains_key(field.name) {
            let whose = if path.is_empty() {
                String::new()
            } else {
                format!("{path}: ")
            };
            found.push(Found {
                at: None,
                message: format!("{whose}{} is missing", field.name),
            });
        }
    }
}

fn unknown_key(name: &str, fields: &[Field], path: &str) -> String {
    let whose = if path.is_empty() {
        String::new()
    } else {
        format!(" in {path}")
    };
    let near = crate::model::instance::closest_names(name, fields.iter().map(|f| f.name), 2);
    let hint = if near.is_empty() {
        let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
        format!(" (known keys: {})", known.join(", "))
    } else {
        format!("; did you mean {}?", near.join(" or "))
    };
    format!("unknown key {name:?}{whose}{hint}")
}

fn check_value(value: &Spanned<DeValue<'_>>, kind: &Kind, path: &str, found: &mut Vec<Found>) {
    let at = Some(value.span().start);
    let mut wrong = |wants: String| {
        found.push(Found {
            at,
            message: format!("{path} wants {wants}, not {}", describe(value.get_ref())),
        })
    };
    match (kind, value.get_ref()) {
        (Kind::Text, DeValue::String(_)) | (Kind::Flag, DeValue::Boolean(_)) => {}
        (Kind::Text, _) => wrong("text in quotes".to_owned()),
        (Kind::Address, DeValue::String(text)) if text.parse::<std::net::IpAddr>().is_ok() => {}
        (Kind::Address, _) => wrong("an IP address in quotes, e.g. \"127.0.0.1\"".to_owned()),
        (Kind::Flag, _) => wrong("true or false".to_owned()),
        (Kind::OneOf(words), DeValue::String(text)) if words.contains(&text.as_ref()) => {}
        (Kind::OneOf(words), _) => wrong(format!(
            "one of {}",
            words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (Kind::TextOrTexts, DeValue::String(_)) => {}
        (Kind::Texts | Kind::TextOrTexts, DeValue::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                if !matches!(item.get_ref(), DeValue::String(_)) {
                    found.push(Found {
                        at: Some(item.span().start),
                        message: format!(
                            "{path}: item {} wants text in quotes, not {}",
                            index + 1,
                            describe(item.get_ref())
                        ),
                    });
                }
            }
        }
        (Kind::Texts, DeValue::String(text)) => {
            wrong(format!("a list, e.g. {} = [{text:?}]", last_key(path)))
        }
        (Kind::Texts, _) => wrong("a list of text, e.g. [\"a\", \"b\"]".to_owned()),
        (Kind::TextOrTexts, _) => wrong("a key in quotes or a list of them".to_owned()),
        (Kind::Minutes, DeValue::Integer(number)) if !number.as_str().starts_with(['-', '0']) => {}
        (Kind::Minutes, DeValue::Float(number))
            if number
                .as_str()
                .parse::<f64>()
                .is_ok_and(|n| n > 0.0 && n.is_finite()) => {}
        (Kind::Minutes, _) => wrong("a number of minutes above 0, e.g. 30 or 0.5".to_owned()),
        (Kind::Whole { min, max, why }, DeValue::Integer(number)) => {
            let digits = number.as_str().replace('_', "");
            match i64::from_str_radix(&digits, number.radix()) {
                Ok(n) if (*min..=*max).contains(&n) => {}
                _ => found.push(Found {
                    at,
                    message: format!("{path} must be {min} to {max}{why}, not {number}"),
                }),
            }
        }
        (Kind::Whole { min, max, .. }, _) => wrong(format!("a whole number from {min} to {max}")),
        (Kind::Table(fields), DeValue::Table(table)) => check_table(table, fields, path, found),
        (Kind::Table(_), _) => wrong(format!("a table, [{path}]")),
        (Kind::Named(inner), DeValue::Table(table)) => {
            for (key, value) in table.iter() {
                check_value(value, inner, &join(path, key.get_ref()), found);
            }
        }
        (Kind::Named(_), _) => wrong(format!("a table, [{path}]")),
        (Kind::Tables(fields), DeValue::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                let name = match item.get_ref() {
                    DeValue::Table(table) => table.get("name").and_then(|n| match n.get_ref() {
                        DeValue::String(name) => Some(format!("{path} {name:?}")),
                        _ => None,
                    }),
                    _ => None,
                };
                let label = name.unwrap_or_else(|| format!("{path} #{}", index + 1));
                match item.get_ref() {
                    DeValue::Table(table) => {
                        let before = found.len();
                        check_table(table, fields, &label, found);
                        // A missing key is said at the table that lacks it.
                        for problem in &mut found[before..] {
                            problem.at = problem.at.or(Some(item.span().start));
                        }
                    }
                    other => found.push(Found {
                        at: Some(item.span().start),
                        message: format!("{label} wants a table, not {}", describe(other)),
                    }),
                }
            }
        }
        (Kind::Tables(_), _) => wrong(format!("tables written [[{path}]]")),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn last_key(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// A value as the file shows it: `text "5"`, `the number 5.5`, `a list`…
fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(text) => format!("text {text:?}"),
        DeValue::Integer(number) => format!("the number {number}"),
        DeValue::Float(number) => format!("the number {number}"),
        DeValue::Boolean(flag) => format!("{flag}"),
        DeValue::Datetime(date) => format!("the date {date}"),
        DeValue::Array(_) => "a list".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        shape_problems(text)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn every_problem_is_said_in_the_files_terms() {
        let text = "refresh = 5\nprofiles = \"prod\"\nrefresh_seconds = \"30\"\nscrollback_lines = 500000\n\
                    [[tunnel]]\nname = \"db\"\ntarget = \"i-1\"\nremote_port = 70000\nsesions = 2\n\
                    [[tunnel]]\ntarget = \"i-2\"\n[keys]\nshell = 5\n[[tunnel]]\nname = \"web\"\ntarget = \"i-3\"\nremote_port = 80\nbind = \"localhost\"\n";
        let said = messages(text);
        assert_eq!(
            said,
            [
                "unknown key \"refresh\"; did you mean refresh_seconds?",
                "profiles wants a list, e.g. profiles = [\"prod\"], not text \"prod\"",
                "refresh_seconds wants a whole number from 5 to 86400, not text \"30\"",
                "scrollback_lines must be 0 to 100000 lines (each costs 32 bytes a column), not 500000",
                "tunnel \"db\".remote_port must be 1 to 65535, not 70000",
                "unknown key \"sesions\" in tunnel \"db\"; did you mean sessions?",
                "tunnel #2: name is missing",
                "tunnel #2: remote_port is missing",
                "keys.shell wants a key in quotes or a list of them, not the number 5",
                "tunnel \"web\".bind wants an IP address in quotes, e.g. \"127.0.0.1\", not text \"localhost\"",
            ],
            "{said:#?}"
        );
    }

    #[test]
    fn problems_carry_where_they_are_written() {
        let text = "regions = [\"us-east-1\"]\n\n[[tunnel]]\nname = \"x\"\ntarget = \"i-1\"\n";
        let found = shape_problems(text);
        assert_eq!(found.len(), 1);
        let line = text[..found[0].at.expect("located")].matches('\n').count() + 1;
        assert_eq!(line, 3, "the missing key is said at its [[tunnel]]");
        assert_eq!(
            offset_of(text, &["tunnel", "0", "target"]),
            text.find("target")
        );
        assert_eq!(offset_of(text, &["regions"]), Some(0));
    }

    #[test]
    fn a_well_formed_file_has_no_problems() {
        let text = "profiles = [\"prod\"]\nrefresh_seconds = 10\nrecord_panes = true\n\
                    [keys]\nprefix = \"ctrl-a\"\nshell = [\"S\", \"f5\"]\n[profile.prod]\nscrollback_lines = 20_000\n\
                    [[tunnel]]\nname = \"db\"\ntarget = \"tag:Role=bastion\"\nremote_port = 5432\n\
                    [tunnel_group]\nall = [\"db\"]\n";
        assert_eq!(messages(text), Vec::<String>::new());
        assert_eq!(messages("").len(), 0);
        let syntax = messages("regions = [\n");
        assert_eq!(syntax.len(), 1, "{syntax:?}");
    }
}
