//! `bosun recordings [search TEXT]`: the recordings in the state directory (`ctrl-] R`,
//! `record_panes`), newest first, and every moment a text was printed in them
//! (`term::replay::moments_of`), to find what ran on a box and when.

use std::path::PathBuf;

use crate::cli::{RecordingsArgs, RecordingsCommand};
use crate::model::format::{bytes, iso8601};
use crate::term::replay::{Recording, moments_of};

/// One recording read: its file, size and contents.
struct Found {
    path: PathBuf,
    size: u64,
    recording: Recording,
}

pub fn run(args: &RecordingsArgs) -> i32 {
    let Some(dir) = crate::logging::log_dir().map(|dir| dir.join("recordings")) else {
        eprintln!("bosun recordings: no state directory to read recordings from");
        return 2;
    };
    let (found, unreadable) = read_all(&dir);
    for (path, why) in &unreadable {
        eprintln!("bosun recordings: {}: {why}", path.display());
    }
    match &args.search {
        Some(RecordingsCommand::Search { text, json }) => search(&found, text, *json),
        None => list(&found, args.json, &dir),
    }
}

/// Every `.cast` file of `dir`, newest first, and those that could not be read, with why.
fn read_all(dir: &std::path::Path) -> (Vec<Found>, Vec<(PathBuf, String)>) {
    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (found, unreadable);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "cast") {
            continue;
        }
        let read = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| Recording::parse(&text).map(|r| (text.len() as u64, r)));
        match read {
            Ok((size, recording)) => found.push(Found {
                path,
                size,
                recording,
            }),
            Err(why) => unreadable.push((path, why)),
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.recording.started));
    (found, unreadable)
}

/// The instance id a title names (`bosun: web-1 (i-0abc…)`).
fn instance_of(title: &str) -> &str {
    title
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or("")
}

/// `1:02:03` or `2:03`.
fn clock(seconds: f64) -> String {
    let whole = seconds.max(0.0) as u64;
    match whole / 3600 {
        0 => format!("{}:{:02}", whole / 60, whole % 60),
        hours => format!("{hours}:{:02}:{:02}", (whole / 60) % 60, whole % 60),
    }
}

fn list(found: &[Found], json: bool, dir: &std::path::Path) -> i32 {
    if json {
        for f in found {
            let line = serde_json::json!({
                "file": f.path.display().to_string(),
                "title": f.recording.title,
                "instance": instance_of(&f.recording.title),
                "start": f.recording.started,
                "seconds": f.recording.length(),
                "bytes": f.size,
            });
            println!("{line}");
        }
        return 0;
    }
    if found.is_empty() {
        println!(
            "no recordings in {} (ctrl-] R records a pane; record_panes = true records every one)",
            dir.display()
        );
        return 0;
    }
    let mut lines = vec![vec![
        "STARTED".to_owned(),
        "LENGTH".to_owned(),
        "SIZE".to_owned(),
        "TITLE".to_owned(),
        "FILE".to_owned(),
    ]];
    for f in found {
        lines.push(vec![
            iso8601(f.recording.started)
                .get(..16)
                .unwrap_or_default()
                .replace('T', " "),
            clock(f.recording.length()),
            bytes(f.size),
            f.recording.title.clone(),
            f.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ]);
    }
    print!("{}", super::ls::aligned(&lines));
    0
}

fn search(found: &[Found], text: &str, json: bool) -> i32 {
    let mut any = false;
    for f in found {
        for at in moments_of(&f.recording, text) {
            any = true;
            if json {
                let line = serde_json::json!({
                    "file": f.path.display().to_string(),
                    "title": f.recording.title,
                    "at": at,
                });
                println!("{line}");
            } else {
                println!(
                    "{}  at {}  {}  (bosun replay {} --dump --at {at:.1})",
                    iso8601(f.recording.started + at as i64)
                        .get(..19)
                        .unwrap_or_default()
                        .replace('T', " "),
                    clock(at),
                    f.recording.title,
                    f.path.display()
                );
            }
        }
    }
    if !any && !json {
        eprintln!("bosun recordings: {text:?} was printed in none of the recordings");
        return 1;
    }
    0
}
