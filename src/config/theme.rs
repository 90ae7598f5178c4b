//! Themes as data (docs/architecture.md §5, television's model): a TOML palette of named colours,
//! then semantic slots the UI draws with. Built-in themes are embedded; a file of the same name in
//! `<config dir>/themes/` overrides a built-in key by key; `--theme` also takes a path (such a
//! theme, and a new name in the themes folder, is laid over `default` the same way). A broken
//! theme is reported with file, line and key, and the default is used instead.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::Color;
use toml::Table;

/// Built-in themes: name and embedded TOML.
pub const BUILT_IN: [(&str, &str); 5] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("dracula", include_str!("../../themes/dracula.toml")),
    ("nord", include_str!("../../themes/nord.toml")),
];

/// Every slot a theme must resolve, in the order of `Theme`'s fields.
pub const SLOTS: [&str; 18] = [
    "background",
    "text",
    "muted",
    "border",
    "title",
    "header",
    "selection",
    "selection_text",
    "accent",
    "online",
    "connection_lost",
    "inactive",
    "not_managed",
    "warning",
    "error",
    "marked",
    "status_bar",
    "status_text",
];

/// The resolved colours the UI draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub background: Color,
    pub text: Color,
    pub muted: Color,
    pub border: Color,
    pub title: Color,
    pub header: Color,
    pub selection: Color,
    pub selection_text: Color,
    pub accent: Color,
    pub online: Color,
    pub connection_lost: Color,
    pub inactive: Color,
    pub not_managed: Color,
    pub warning: Color,
    pub error: Color,
    pub marked: Color,
    pub status_bar: Color,
    pub status_text: Color,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default(), key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default())]
pub struct ThemeError {
    pub file: String,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl Default for Theme {
    fn default() -> Self {
        // The embedded default is tested to resolve; this fallback only guards against a
        // broken build and uses the terminal's own colours.
        Theme::built_in("default").unwrap_or(Theme {
            background: Color::Reset,
            text: Color::Reset,
            muted: Color::DarkGray,
            border: Color::DarkGray,
            title: Color::Blue,
            header: Color::Cyan,
            selection: Color::DarkGray,
            selection_text: Color::White,
            accent: Color::Blue,
            online: Color::Green,
            connection_lost: Color::Red,
            inactive: Color::Yellow,
            not_managed: Color::Magenta,
            warning: Color::Yellow,
            error: Color::Red,
            marked: Color::Yellow,
            status_bar: Color::DarkGray,
            status_text: Color::White,
        })
    }
}

impl Theme {
    pub fn built_in(name: &str) -> Option<Theme> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        Theme::from_toml(text, &format!("themes/{name}.toml"), None).ok()
    }

    /// Loads `name_or_path`: a path to a theme file, or a built-in name possibly overridden by
    /// `<themes_dir>/<name>.toml`. On error the default theme is returned with the error.
    pub fn load(name_or_path: &str, themes_dir: Option<&Path>) -> (Theme, Option<ThemeError>) {
        match Theme::try_load(name_or_path, themes_dir) {
            Ok(theme) => (theme, None),
            Err(error) => (Theme::default(), Some(error)),
        }
    }

    fn try_load(name_or_path: &str, themes_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|error| ThemeError {
                file: path.display().to_string(),
                line: None,
                key: None,
                message: error.to_string(),
            })
        };
        let built_in = BUILT_IN
            .iter()
            .find(|(n, _)| *n == name_or_path)
            .map(|(_, t)| *t);
        // A theme of the user's own (by path, or a new name in the themes folder) is laid over
        // the default as a built-in's file is over the built-in: it need set only what it changes.
        let over_default = || parse_table(BUILT_IN[0].1, "themes/default.toml");
        if built_in.is_none() && (name_or_path.contains('/') || name_or_path.ends_with(".toml")) {
            let path = Path::new(name_or_path);
            return Theme::from_toml(
                &read(path)?,
                &path.display().to_string(),
                Some(over_default()?),
            );
        }
        let user_file = themes_dir
            .map(|dir| dir.join(format!("{name_or_path}.toml")))
            .filter(|path| path.exists());
        match (built_in, user_file) {
            (Some(base), Some(path)) => {
                let base = parse_table(base, &format!("themes/{name_or_path}.toml"))?;
                Theme::from_toml(&read(&path)?, &path.display().to_string(), Some(base))
            }
            (Some(base), None) => {
                Theme::from_toml(base, &format!("themes/{name_or_path}.toml"), None)
            }
            (None, Some(path)) => Theme::from_toml(
                &read(&path)?,
                &path.display().to_string(),
                Some(over_default()?),
            ),
            (None, None) => Err(ThemeError {
                file: name_or_path.to_owned(),
                line: None,
                key: None,
                message: format!(
                    "no such theme (built in: {})",
                    BUILT_IN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// Parses a theme; with `base`, the text overrides the base's palette and slots key by key.
    pub fn from_toml(text: &str, file: &str, base: Option<Table>) -> Result<Theme, ThemeError> {
        let overlay = parse_table(text, file)?;
        let mut merged = base.unwrap_or_default();
        for section in ["palette", "slots"] {
            let Some(value) = overlay.get(section) else {
                continue;
            };
            let Some(entries) = value.as_table() else {
                return Err(located(
                    text,
                    file,
                    "",
                    section,
                    format!("[{section}] must be a table"),
                ));
            };
            let target = merged
                .entry(section.to_owned())
                .or_insert_with(|| toml::Value::Table(Table::new()));
            if let Some(target) = target.as_table_mut() {
                for (key, value) in entries {
                    target.insert(key.clone(), value.clone());
                }
            }
        }
        if let Some(unknown) = overlay
            .keys()
            .find(|k| !["palette", "slots", "name"].contains(&k.as_str()))
        {
            return Err(located(
                text,
                file,
                "",
                unknown,
                format!("unknown section {unknown:?} (a theme has [palette] and [slots])"),
            ));
        }
        let palette: BTreeMap<String, String> = string_table(&merged, "palette", text, file)?;
        let slots: BTreeMap<String, String> = string_table(&merged, "slots", text, file)?;
        if let Some(unknown) = slots.keys().find(|k| !SLOTS.contains(&k.as_str())) {
            return Err(located(
                text,
                file,
                "slots",
                unknown,
                format!("unknown slot {unknown:?}"),
            ));
        }
        let mut colours = Vec::with_capacity(SLOTS.len());
        for slot in SLOTS {
            let value = slots.get(slot).ok_or_else(|| {
                located(
                    text,
                    file,
                    "slots",
                    slot,
                    format!("slot {slot:?} is not set"),
                )
            })?;
            let colour = match palette.get(value) {
                // A palette entry that is no colour is reported where the entry is written
                // (or at the slot, when the entry comes from the built-in theme underneath).
                Some(named) => parse_colour(named).ok_or_else(|| {
                    let message = format!(
                        "palette.{value} = {named:?} is not a colour (#rrggbb, idx:N or a colour name); slot {slot:?} uses it"
                    );
                    let at_entry = located(text, file, "palette", value, message.clone());
                    if at_entry.line.is_some() {
                        at_entry
                    } else {
                        located(text, file, "slots", slot, message)
                    }
                })?,
                None => parse_colour(value).ok_or_else(|| {
                    located(
                        text,
                        file,
                        "slots",
                        slot,
                        format!("{value:?} is neither a palette entry nor a colour"),
                    )
                })?,
            };
            colours.push(colour);
        }
        Ok(Theme {
            background: colours[0],
            text: colours[1],
            muted: colours[2],
            border: colours[3],
            title: colours[4],
            header: colours[5],
            selection: colours[6],
            selection_text: colours[7],
            accent: colours[8],
            online: colours[9],
            connection_lost: colours[10],
            inactive: colours[11],
            not_managed: colours[12],
            warning: colours[13],
            error: colours[14],
            marked: colours[15],
            status_bar: colours[16],
            status_text: colours[17],
        })
    }
}

fn parse_table(text: &str, file: &str) -> Result<Table, ThemeError> {
    text.parse::<Table>().map_err(|error| ThemeError {
        file: file.to_owned(),
        line: error
            .span()
            .map(|span| text[..span.start].matches('\n').count() + 1),
        key: None,
        message: error.message().to_owned(),
    })
}

fn string_table(
    merged: &Table,
    section: &str,
    text: &str,
    file: &str,
) -> Result<BTreeMap<String, String>, ThemeError> {
    let Some(table) = merged.get(section).and_then(|v| v.as_table()) else {
        return Err(ThemeError {
            file: file.to_owned(),
            line: None,
            key: Some(section.to_owned()),
            message: format!("[{section}] is missing"),
        });
    };
    table
        .iter()
        .map(|(key, value)| match value.as_str() {
            Some(text_value) => Ok((key.clone(), text_value.to_owned())),
            None => Err(located(
                text,
                file,
                section,
                key,
                format!("{section}.{key} must be a string"),
            )),
        })
        .collect()
}

/// An error at the line where `key` is set in `text` under `[section]` (`""`: at the top
/// level, or as a section of its own), when it is set there at all: the same key in another
/// section (a palette entry named like a slot) is not the line meant.
fn located(text: &str, file: &str, section: &str, key: &str, message: String) -> ThemeError {
    let mut current = String::new();
    let line = text
        .lines()
        .position(|l| {
            let l = l.trim();
            if let Some(name) = l.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                current = name.trim().to_owned();
                return section.is_empty() && current == key;
            }
            let sets_key = l
                .strip_prefix(key)
                .or_else(|| l.strip_prefix(&format!("\"{key}\"")))
                .is_some_and(|rest| rest.trim_start().starts_with('='));
            sets_key && current == section
        })
        .map(|n| n + 1);
    ThemeError {
        file: file.to_owned(),
        line,
        key: Some(key.to_owned()),
        message,
    }
}

/// `#rrggbb`, `idx:N`, an ANSI colour name, or `reset`.
pub fn parse_colour(text: &str) -> Option<Color> {
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() != 6 {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        return Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?));
    }
    if let Some(index) = text.strip_prefix("idx:") {
        return index.parse().ok().map(Color::Indexed);
    }
    Some(match text.to_ascii_lowercase().as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_resolves_every_slot() {
        for (name, text) in BUILT_IN {
            let theme = Theme::from_toml(text, name, None);
            assert!(theme.is_ok(), "{name}: {theme:?}");
        }
    }

    #[test]
    fn a_user_file_overrides_a_built_in_key_by_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("nord.toml"),
            "[slots]\nonline = \"#00ff00\"\n",
        )
        .expect("write");
        let (theme, error) = Theme::load("nord", Some(dir.path()));
        assert_eq!(error, None);
        assert_eq!(theme.online, Color::Rgb(0, 255, 0));
        assert_eq!(
            theme.background,
            Color::Rgb(0x2e, 0x34, 0x40),
            "the rest is Nord"
        );
    }

    /// The line named is the bad value's own: a palette entry that is no colour is reported
    /// on its palette line, not where a slot uses it; a key set in two sections is found in
    /// the one meant.
    #[test]
    fn theme_errors_name_the_line_of_the_bad_value() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dracula.toml");
        let text = "# my theme\n[palette]\nerror = \"#ff5555\"\nred = \"#ff00\"\n\n[slots]\nonline = \"#00ff00\"\nerror = \"red\"\n";
        std::fs::write(&path, text).expect("write");
        let (_, error) = Theme::load("dracula", Some(dir.path()));
        let error = error.expect("an error");
        assert_eq!(error.line, Some(4), "{error}");
        assert!(
            error
                .message
                .contains("palette.red = \"#ff00\" is not a colour"),
            "{error}"
        );
        assert!(error.message.ends_with("uses it"), "{error}");

        let fixed = text.replace("#ff00\"", "#ff0000\"") + "muted = \"greyish\"\n";
        std::fs::write(&path, &fixed).expect("write");
        let (_, error) = Theme::load("dracula", Some(dir.path()));
        let error = error.expect("muted is still wrong");
        assert_eq!(error.line, Some(9), "{error}");
        assert_eq!(error.key.as_deref(), Some("muted"));
    }

    #[test]
    fn broken_themes_name_file_line_and_key_and_fall_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dracula.toml");
        std::fs::write(
            &path,
            "[palette]\nred = \"#ff0000\"\n\n[slots]\nonline = \"chartreuse-ish\"\n",
        )
        .expect("write");
        let (theme, error) = Theme::load("dracula", Some(dir.path()));
        let error = error.expect("an error");
        assert_eq!(error.line, Some(5));
        assert_eq!(error.key.as_deref(), Some("online"));
        assert!(
            error.to_string().contains("dracula.toml:5 (online)"),
            "{error}"
        );
        assert_eq!(theme, Theme::default(), "the default theme is used instead");
        let standalone = dir.path().join("mine.toml");
        std::fs::write(
            &standalone,
            "[palette]\nsnow = \"#ffffff\"\n[slots]\ntext = \"snow\"\n",
        )
        .expect("write");
        let (mine, error) = Theme::load(&standalone.display().to_string(), None);
        assert_eq!(error, None, "a theme by path is laid over the default");
        assert_eq!(mine.text, Color::Rgb(255, 255, 255));
        assert_eq!(mine.background, Theme::default().background);

        let syntax = Theme::from_toml("[slots\n", "bad.toml", None).expect_err("syntax");
        assert_eq!(syntax.line, Some(1));
        let missing = Theme::from_toml(
            "[palette]\n[slots]\ntext = \"white\"\n",
            "partial.toml",
            None,
        )
        .expect_err("missing slots");
        assert!(missing.message.contains("is not set"), "{missing}");
        let (_, unknown) = Theme::load("no-such-theme", None);
        assert!(
            unknown
                .expect("error")
                .message
                .contains("built in: default, light")
        );
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_colour("#0a0B0c"), Some(Color::Rgb(10, 11, 12)));
        assert_eq!(parse_colour("idx:208"), Some(Color::Indexed(208)));
        assert_eq!(parse_colour("LightBlue"), Some(Color::LightBlue));
        assert_eq!(parse_colour("#12345"), None);
        assert_eq!(parse_colour("ultraviolet"), None);
    }
}
