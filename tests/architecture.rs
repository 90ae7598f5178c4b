//! The three rings, checked (DESIGN.md §2, `src/lib.rs`): the pure core imports nothing from
//! the effects ring or the shell, the effects ring nothing from the shell; the core uses no
//! tokio, no sockets, no SDK and no clock outside its tests; and no file grows past the size
//! the design allows. The checks read the source as text: `crate::` paths and `super::`
//! paths that climb to the crate root.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Which ring each top-level module belongs to.
const CORE: [&str; 6] = ["model", "protocol", "term", "config", "app", "ui"];
const EFFECTS: [&str; 4] = ["transport", "aws", "services", "sim"];
const SHELL: [&str; 7] = [
    "tui", "commands", "cli", "logging", "signals", "main", "lib",
];

/// Lines a source file may have; the protocol's session state machine may have more.
const MOST_LINES: usize = 800;
const EXEMPT_FROM_SIZE: [&str; 1] = ["src/protocol/session/mod.rs"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ring {
    Core,
    Effects,
    Shell,
}

fn ring_of(module: &str) -> Option<Ring> {
    if CORE.contains(&module) {
        Some(Ring::Core)
    } else if EFFECTS.contains(&module) {
        Some(Ring::Effects)
    } else if SHELL.contains(&module) {
        Some(Ring::Shell)
    } else {
        None
    }
}

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("src/ is readable");
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The module path of a file under src/: src/app/update/mod.rs → [app, update].
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The file's code without its test module (tests sit last, after `#[cfg(test)]`) and
/// without comments.
fn code_of(text: &str) -> String {
    let code = match text.find("\n#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every top-level module the code names: `crate::x`, or `super::` chains that climb out of
/// the file's own top-level module.
fn named_modules(code: &str, module: &[String]) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let ident = |rest: &str| -> String {
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    // `x…`, or each first name in `{x…, y…}` (a group at the crate root).
    let names_at = |rest: &str| -> Vec<String> {
        let Some(group) = rest.strip_prefix('{') else {
            return vec![ident(rest)];
        };
        let mut names = Vec::new();
        let mut depth = 0;
        let mut start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if c.is_whitespace() => {}
                _ if start => {
                    names.push(ident(&group[i..]));
                    start = false;
                }
                _ => {}
            }
        }
        names
    };
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        named.extend(names_at(&code[at + "crate::".len()..]));
    }
    for (at, _) in code.match_indices("super::") {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // counted from the first `super::` of a chain
        }
        let mut rest = &code[at..];
        let mut climbs = 0;
        while let Some(after) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = after;
        }
        if climbs >= module.len() {
            named.extend(names_at(rest));
        }
    }
    named.retain(|name| !name.is_empty());
    named
}

struct Source {
    path: String,
    module: Vec<String>,
    text: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    source_files(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(root.join("src")).expect("under src/");
            Source {
                path: format!("src/{}", relative.display()),
                module: module_path(relative),
                text: std::fs::read_to_string(&path).expect("readable source"),
            }
        })
        .collect()
}

#[test]
fn imports_only_go_down_the_rings() {
    let mut wrong = Vec::new();
    for source in sources() {
        let top = &source.module[0];
        let Some(ring) = ring_of(top) else {
            wrong.push(format!(
                "{}: the module {top} belongs to no ring (add it to tests/architecture.rs)",
                source.path
            ));
            continue;
        };
        for named in named_modules(&code_of(&source.text), &source.module) {
            let Some(target) = ring_of(&named) else {
                wrong.push(format!(
                    "{}: names crate::{named}, which is in no ring",
                    source.path
                ));
                continue;
            };
            let allowed = match ring {
                Ring::Core => target == Ring::Core,
                Ring::Effects => target != Ring::Shell,
                Ring::Shell => true,
            };
            if !allowed {
                wrong.push(format!(
                    "{} ({ring:?}) names crate::{named} ({target:?})",
                    source.path
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the rings:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_folders_import_each_other() {
    use std::collections::BTreeMap;
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in sources() {
        let top = source.module[0].clone();
        let named = named_modules(&code_of(&source.text), &source.module);
        edges
            .entry(top.clone())
            .or_default()
            .extend(named.into_iter().filter(|n| *n != top));
    }
    // A folder that reaches back to itself through others is a circle.
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = edges.get(from).into_iter().flatten().cloned().collect();
        while let Some(next) = todo.pop() {
            if seen.insert(next.clone()) {
                todo.extend(edges.get(&next).into_iter().flatten().cloned());
            }
        }
        seen
    };
    let circles: Vec<String> = edges
        .keys()
        .filter(|top| reaches(top).contains(*top))
        .cloned()
        .collect();
    assert!(
        circles.is_empty(),
        "folders in an import circle: {circles:?}"
    );
}

#[test]
fn the_core_has_no_tokio_sockets_sdk_or_clock() {
    const FORBIDDEN: [&str; 7] = [
        "tokio::",
        "aws_sdk_",
        "aws_config",
        "std::net::TcpStream",
        "std::net::TcpListener",
        "SystemTime::now",
        "Instant::now",
    ];
    let mut wrong = Vec::new();
    for source in sources() {
        if ring_of(&source.module[0]) != Some(Ring::Core) {
            continue;
        }
        let code = code_of(&source.text);
        for forbidden in FORBIDDEN {
            if code.contains(forbidden) {
                wrong.push(format!("{} uses {forbidden}", source.path));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the core reaches out:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_source_file_outgrows_the_design() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|s| !EXEMPT_FROM_SIZE.contains(&s.path.as_str()))
        .map(|s| (s.text.lines().count(), s.path))
        .filter(|(lines, _)| *lines > MOST_LINES)
        .map(|(lines, path)| format!("{path}: {lines} lines"))
        .collect();
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}

/// The checks themselves: a core file naming the services is caught, and so is a `super::`
/// chain that climbs to the crate root.
#[test]
fn the_checks_catch_what_they_are_for() {
    let app_state = vec!["app".to_owned(), "state".to_owned()];
    let named = named_modules("use crate::services::pane;\nuse super::runs;", &app_state);
    assert_eq!(named, BTreeSet::from(["services".to_owned()]));
    let app_root = vec!["app".to_owned()];
    let named = named_modules("use super::tui::run;", &app_root);
    assert_eq!(named, BTreeSet::from(["tui".to_owned()]));
    let update = vec!["app".to_owned(), "update".to_owned()];
    let named = named_modules("use super::super::commands::x;", &update);
    assert_eq!(named, BTreeSet::from(["commands".to_owned()]));
    let named = named_modules(
        "use crate::{model::run, services::{pane, runs}};",
        &app_state,
    );
    assert_eq!(
        named,
        BTreeSet::from(["model".to_owned(), "services".to_owned()])
    );
    assert_eq!(
        code_of("use a;\n// crate::tui in a comment\n#[cfg(test)]\nmod tests { use crate::tui; }"),
        "use a;\n"
    );
}
