//! `bosun recordings [search TEXT]`: the recordings in the state directory (`ctrl-] R`,
//! `record_panes`, `bosun shell --record` into it), newest first, beside the session history
//! AWS keeps (who, document, reason, how it ended, who else was on the box); and every
//! moment a text was printed in them (`term::replay::moments_of`), to find what ran on a box
//! and when.

use std::path::Path;

use super::sessions::matching;
use crate::cli::{GlobalArgs, RecordingsArgs, RecordingsCommand};
use crate::model::format::{bytes, iso8601};
use crate::model::recording::{RecordingRow, join};
use crate::model::session::SessionRow;
use crate::services::recordings::{read_all, scan};
use crate::services::sources::SessionClients;
use crate::term::player::clock;
use crate::term::replay::moments_of;

pub async fn run(global: &GlobalArgs, args: &RecordingsArgs) -> i32 {
    let Some(dir) = crate::logging::log_dir().map(|dir| dir.join("recordings")) else {
        eprintln!("bosun recordings: no state directory to read recordings from");
        return 2;
    };
    match &args.search {
        Some(RecordingsCommand::Search { text, json }) => search(&dir, text, *json),
        None => list(global, args, &dir).await,
    }
}

fn say_unreadable(unreadable: &[(std::path::PathBuf, String)]) {
    for (path, why) in unreadable {
        eprintln!("bosun recordings: {}: {why}", path.display());
    }
}

/// The session history to join with: this profile and region's (or every account's under
/// --org), open and ended. None, said, when it cannot be read: the list stands without it.
async fn history(global: &GlobalArgs) -> Option<Vec<SessionRow>> {
    if super::org::wanted(global) {
        let (mut rows, mut errors) = super::org::read_sessions(global, true).await;
        let (open, more) = super::org::read_sessions(global, false).await;
        rows.extend(open);
        errors.extend(more);
        for error in &errors {
            eprintln!("bosun recordings: session history: {error}");
        }
        return Some(rows);
    }
    let config = super::sdk_config(global).await;
    if config.region().is_none() {
        eprintln!(
            "bosun recordings: session history not read: no region (AWS_REGION or --region; --local leaves it out)"
        );
        return None;
    }
    let clients = SessionClients::new(&config);
    match crate::services::recordings::history(&clients.ssm, &clients.ec2).await {
        Ok(rows) => Some(rows),
        Err(error) => {
            eprintln!(
                "bosun recordings: session history not read: {error} (--local leaves it out)"
            );
            None
        }
    }
}

async fn list(global: &GlobalArgs, args: &RecordingsArgs, dir: &Path) -> i32 {
    let (mut rows, unreadable) = scan(dir);
    say_unreadable(&unreadable);
    if !args.local
        && !rows.is_empty()
        && let Some(sessions) = history(global).await
    {
        join(&mut rows, &sessions, super::sessions::now_secs());
    }
    let filter = args.filter.clone().unwrap_or_default();
    let shown = match matching(rows, &filter, |row, filter| row.matches(filter)) {
        Ok(shown) => shown,
        Err(error) => {
            eprintln!("bosun recordings: --filter: {error}");
            return 2;
        }
    };
    if args.json {
        for row in &shown {
            if let Ok(line) = serde_json::to_string(row) {
                println!("{line}");
            }
        }
        return 0;
    }
    if shown.is_empty() {
        if filter.is_empty() {
            println!(
                "no recordings in {} (ctrl-] R records a pane; record_panes = true records every one)",
                dir.display()
            );
        } else {
            println!("no recording matches {filter:?}");
        }
        return 0;
    }
    print!("{}", table(&shown));
    0
}

/// The table: when, how long, where, who and how it ended, who else, the file.
pub fn table(rows: &[RecordingRow]) -> String {
    let mut lines = vec![
        [
            "STARTED", "LENGTH", "SIZE", "INSTANCE", "NAME", "WHO", "STATUS", "OTHERS", "FILE",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for row in rows {
        lines.push(vec![
            iso8601(row.start)
                .get(..16)
                .unwrap_or_default()
                .replace('T', " "),
            clock(row.seconds),
            bytes(row.bytes),
            dash(&row.instance_id),
            dash(&row.name),
            dash(row.who()),
            dash(&row.ended()),
            dash(&row.others_who().join(",")),
            row.file_name().to_owned(),
        ]);
    }
    super::ls::aligned(&lines)
}

fn dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}

fn search(dir: &Path, text: &str, json: bool) -> i32 {
    let (found, unreadable) = read_all(dir);
    say_unreadable(&unreadable);
    let mut any = false;
    for (path, recording) in &found {
        for at in moments_of(recording, text) {
            any = true;
            if json {
                let line = serde_json::json!({
                    "file": path.display().to_string(),
                    "title": recording.title,
                    "instance_id": recording.instance_id,
                    "session_id": recording.session_id,
                    "at": at,
                });
                println!("{line}");
            } else {
                // Rounded up: the tenth of a second after the moment still shows the text.
                let shown_at = (at * 10.0).ceil() / 10.0;
                println!(
                    "{}  at {}  {}  (bosun replay {} --at {shown_at:.1})",
                    iso8601(recording.started + at as i64)
                        .get(..19)
                        .unwrap_or_default()
                        .replace('T', " "),
                    clock(at),
                    recording.title,
                    path.display()
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
