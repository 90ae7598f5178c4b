//! The three rings, checked (docs/architecture.md §2, `src/lib.rs`): the pure core imports nothing
//! from the effects ring or the shell, the effects ring nothing from the shell; inside the core,
//! imports go one way (`protocol`, `model`, `term`, `config`, `app`, `ui`); a console view never
//! names another; no two files import each other, however roundabout (a module and its own children
//! aside); the core uses no tokio, no sockets, no SDK and no clock outside its tests; and no file
//! grows past the size the design allows. The checks read the source as text: `crate::`, `super::`
//! and `self::` paths, `{…}` groups expanded; test modules (`#[cfg(test)] mod …`) are left out, and
//! the ways around the checks are refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which ring each top-level module belongs to.
const CORE: [&str; 6] = ["model", "protocol", "term", "config", "app", "ui"];
const EFFECTS: [&str; 5] = ["transport", "aws", "services", "sim", "platform"];
const SHELL: [&str; 7] = [
    "tui", "commands", "cli", "logging", "signals", "main", "lib",
];

/// Lines a source file may have; the protocol's session state machine may have more.
const MOST_LINES: usize = 600;

/// The core's folders in the order imports may go: each names only those before it.
const CORE_ORDER: [&str; 6] = ["protocol", "model", "term", "config", "app", "ui"];
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

/// The file's code without its inline test module (it sits last: `#[cfg(test)] mod tests {`)
/// and without comments. Test modules in files of their own are left out whole
/// (`test_only_modules`).
fn code_of(text: &str) -> String {
    let code = match test_attributes(text).find(|(_, item)| item.inline) {
        Some((at, _)) => &text[..at],
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

/// What a column-0 `#[cfg(test)]` stands on.
struct TestItem {
    /// A module, and its name.
    module: Option<String>,
    /// An inline module (`mod tests {`), not a file of its own (`mod tests;`).
    inline: bool,
}

/// Every column-0 `#[cfg(test)]`, where it is and what it stands on.
fn test_attributes(text: &str) -> impl Iterator<Item = (usize, TestItem)> + '_ {
    text.match_indices("\n#[cfg(test)]").map(|(at, attribute)| {
        let after = text[at + attribute.len()..].trim_start();
        let after = after
            .strip_prefix("pub(crate) ")
            .or_else(|| after.strip_prefix("pub "))
            .unwrap_or(after);
        let module = after.strip_prefix("mod ").map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        });
        let inline = module.as_ref().is_some_and(|name| {
            after["mod ".len() + name.len()..]
                .trim_start()
                .starts_with('{')
        });
        (at, TestItem { module, inline })
    })
}

/// Ways around these checks, refused outright: a `super::{super::…}` group (climbs the
/// checks do not follow), `crate` renamed (`use crate as …`), and a column-0 `#[cfg(test)]`
/// on anything but a test module (the code after an inline one is not read).
fn evasions(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let squeezed: String = code.split_whitespace().collect();
    if squeezed.contains("super::{super") || squeezed.contains("super::{self") {
        found.push("a super::{super::…} group");
    }
    if squeezed.contains("usecrateas") || squeezed.contains("crate::{selfas") {
        found.push("crate renamed with `as`");
    }
    if test_attributes(text).any(|(_, item)| item.module.is_none()) {
        found.push("a column-0 #[cfg(test)] on something other than a test module");
    }
    found
}

/// Every path the code names, crate-absolute: `crate::a::b`, `super::` chains from the file's
/// own module, `self::` paths, with `{…}` groups expanded. `module` is the file's module path
/// (a `mod.rs` file's is its folder's).
fn named_paths(code: &str, module: &[String]) -> BTreeSet<Vec<String>> {
    let mut named = BTreeSet::new();
    let starts_here = |at: usize| {
        code[..at]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
    };
    for (at, _) in code.match_indices("crate::") {
        if starts_here(at) {
            named.extend(path_trees(&code[at + "crate::".len()..]));
        }
    }
    for (at, _) in code.match_indices("super::") {
        if !starts_here(at) {
            continue;
        }
        let mut rest = &code[at..];
        let mut climbs = 0;
        while let Some(after) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = after;
        }
        let base = &module[..module.len().saturating_sub(climbs)];
        for path in path_trees(rest) {
            named.insert(base.iter().cloned().chain(path).collect());
        }
    }
    for (at, _) in code.match_indices("self::") {
        if starts_here(at) {
            for path in path_trees(&code[at + "self::".len()..]) {
                named.insert(module.iter().cloned().chain(path).collect());
            }
        }
    }
    named.retain(|path: &Vec<String>| !path.is_empty());
    named
}

/// The paths a `use` tree at the start of `text` names: `a::b`, or `a::{b, c::{d, e}}`.
fn path_trees(text: &str) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    let mut rest = text;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut paths = Vec::new();
            for item in top_level_items(group) {
                for path in path_trees(item.trim_start()) {
                    paths.push(prefix.iter().cloned().chain(path).collect());
                }
            }
            return paths;
        }
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            break;
        }
        rest = &rest[ident.len()..];
        if ident != "self" {
            prefix.push(ident);
        }
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    vec![prefix]
}

/// The comma-separated items of a `{…}` group (its text after the `{`), up to its `}`.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
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

/// A module path for resolving names: the crate root's files stand for the root itself.
fn crate_path(module: &[String]) -> Vec<String> {
    if module == ["lib"] {
        Vec::new()
    } else {
        module.to_vec()
    }
}

/// The modules declared as tests in files of their own (`#[cfg(test)] mod name;`).
fn test_only_modules(sources: &[Source]) -> BTreeSet<Vec<String>> {
    sources
        .iter()
        .flat_map(|source| {
            let module = crate_path(&source.module);
            test_attributes(&source.text)
                .filter_map(|(_, item)| item.module.filter(|_| !item.inline))
                .map(move |name| module.iter().cloned().chain([name]).collect())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The core folders `module`'s code names that come after its own in `CORE_ORDER`.
fn core_order_violations(module: &[String], code: &str) -> Vec<String> {
    let Some(level) = CORE_ORDER.iter().position(|m| *m == module[0]) else {
        return Vec::new();
    };
    named_modules(code, module)
        .into_iter()
        .filter(|named| CORE_ORDER.iter().position(|m| m == named) > Some(level))
        .collect()
}

/// The other views a file of view `module` names (`views` lists the view folders).
fn other_views_named(module: &[String], code: &str, views: &BTreeSet<String>) -> Vec<String> {
    let [app, folder, own, ..] = module else {
        return Vec::new();
    };
    if app != "app" || folder != "views" || !views.contains(own) {
        return Vec::new();
    }
    named_paths(code, module)
        .into_iter()
        .filter_map(|path| match path.as_slice() {
            [a, v, other, ..] if a == "app" && v == "views" && views.contains(other) => {
                (other != own).then(|| other.clone())
            }
            _ => None,
        })
        .collect()
}

/// The files in an import circle: each reaches itself through `edges`.
fn circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    edges
        .keys()
        .filter(|from| {
            let mut seen = BTreeSet::new();
            let mut todo: Vec<&Vec<String>> = edges[*from].iter().collect();
            while let Some(next) = todo.pop() {
                if next == *from {
                    return true;
                }
                if seen.insert(next) {
                    todo.extend(edges.get(next).into_iter().flatten());
                }
            }
            false
        })
        .cloned()
        .collect()
}

/// Which file each file's code names, by module path (a module and its own children are not
/// edges: a folder's `mod.rs` and the files beneath it go together).
fn file_edges(sources: &[Source]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let tests = test_only_modules(sources);
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| crate_path(&s.module)).collect();
    let file_of = |path: &[String]| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|prefix| modules.contains(prefix))
    };
    let mut edges = BTreeMap::new();
    for source in sources {
        let module = crate_path(&source.module);
        if source.module == ["main"] || tests.contains(&module) {
            continue;
        }
        let targets: BTreeSet<Vec<String>> = named_paths(&code_of(&source.text), &module)
            .into_iter()
            .filter_map(|path| file_of(&path))
            .filter(|target| {
                !tests.contains(target)
                    && !target.starts_with(&module)
                    && !module.starts_with(target)
            })
            .collect();
        edges.insert(module, targets);
    }
    edges
}

#[test]
fn inside_the_core_imports_go_one_way() {
    let wrong: Vec<String> = sources()
        .iter()
        .flat_map(|source| {
            core_order_violations(&source.module, &code_of(&source.text))
                .into_iter()
                .map(|named| format!("{} names crate::{named}", source.path))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "the core imports {} in that order only:\n{}",
        CORE_ORDER.join(" < "),
        wrong.join("\n")
    );
}

#[test]
fn a_view_never_names_another() {
    let sources = sources();
    let tests = test_only_modules(&sources);
    let views: BTreeSet<String> = sources
        .iter()
        .filter_map(|s| match s.module.as_slice() {
            [a, v, view, _, ..] if a == "app" && v == "views" => Some(view.clone()),
            [a, v, view] if a == "app" && v == "views" && s.path.ends_with("mod.rs") => {
                Some(view.clone())
            }
            _ => None,
        })
        .collect();
    assert!(
        views.contains("fleet") && views.contains("panes"),
        "{views:?}"
    );
    let wrong: Vec<String> = sources
        .iter()
        .filter(|s| !tests.contains(&s.module))
        .flat_map(|source| {
            other_views_named(&source.module, &code_of(&source.text), &views)
                .into_iter()
                .map(|other| format!("{} names the view {other}", source.path))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "what crosses views goes through app/update.rs as an outcome:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_files_import_each_other() {
    let circles: Vec<String> = circles(&file_edges(&sources()))
        .into_iter()
        .map(|module| module.join("::"))
        .collect();
    assert!(
        circles.is_empty(),
        "files in an import circle (move the piece they share to where both can reach it):\n{}",
        circles.join("\n")
    );
}

#[test]
fn nothing_goes_around_the_checks() {
    let wrong: Vec<String> = sources()
        .iter()
        .flat_map(|source| {
            evasions(&source.text)
                .into_iter()
                .map(|evasion| format!("{}: {evasion}", source.path))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
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
    // A test module in a file of its own is a declaration: the code after it still counts.
    assert!(code_of("use a;\n#[cfg(test)]\nmod tests;\nuse crate::tui;").contains("crate::tui"));

    // Paths, groups expanded, from `crate::`, `super::` and `self::`.
    let runs_update: Vec<String> = ["app", "views", "runs", "update"]
        .map(str::to_owned)
        .to_vec();
    let named = named_paths(
        "use crate::app::{editor::TextInput, views::{fleet, Outcome}};\nuse super::RunWatch;\nuse self::x::y;",
        &runs_update,
    );
    let path = |p: &str| p.split("::").map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        named,
        BTreeSet::from([
            path("app::editor::TextInput"),
            path("app::views::fleet"),
            path("app::views::Outcome"),
            path("app::views::runs::RunWatch"),
            path("app::views::runs::update::x::y"),
        ])
    );

    // Inside the core, imports go one way.
    let model = vec!["model".to_owned(), "run".to_owned()];
    assert_eq!(
        core_order_violations(&model, "use crate::app::State;"),
        ["app"]
    );
    assert!(core_order_violations(&model, "use crate::protocol::Session;").is_empty());

    // A view naming another, and its own names, and shared pieces.
    let views = BTreeSet::from(["fleet".to_owned(), "runs".to_owned()]);
    assert_eq!(
        other_views_named(
            &runs_update,
            "use crate::app::views::fleet::FleetView;",
            &views
        ),
        ["fleet"]
    );
    assert!(
        other_views_named(
            &runs_update,
            "use crate::app::views::runs::RunWatch;\nuse crate::app::views::lists;",
            &views
        )
        .is_empty()
    );

    // A circle of three files, and a module with its child (no circle).
    let edges = BTreeMap::from([
        (path("a"), BTreeSet::from([path("b")])),
        (path("b"), BTreeSet::from([path("c")])),
        (path("c"), BTreeSet::from([path("a")])),
        (path("d"), BTreeSet::from([path("a")])),
    ]);
    assert_eq!(circles(&edges), [path("a"), path("b"), path("c")]);

    // The ways around the checks.
    assert_eq!(
        evasions("use super::{super::tui};"),
        ["a super::{super::…} group"]
    );
    assert_eq!(evasions("use crate as root;"), ["crate renamed with `as`"]);
    assert_eq!(
        evasions("use a;\n#[cfg(test)]\nuse crate::tui;"),
        ["a column-0 #[cfg(test)] on something other than a test module"]
    );
    assert!(evasions("use a;\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod more {}").is_empty());
}
