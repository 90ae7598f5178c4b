//! The recordings folder read: every `.cast` file summarised (header and length, not every
//! event) for the lists, read whole for a search, the session ids that have a recording;
//! and the session history AWS keeps, to put beside them (`model::recording::join`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::aws::sessions;
use crate::model::recording::{RecordingRow, name_in_title};
use crate::model::session::SessionRow;
use crate::term::replay::Recording;

/// A file that could not be read, and why.
pub type Unreadable = (PathBuf, String);

/// The `.cast` files of `dir`.
fn casts(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "cast"))
        .collect()
}

/// Every recording of `dir` as a row (no history yet), newest first, and those that could
/// not be read.
pub fn scan(dir: &Path) -> (Vec<RecordingRow>, Vec<Unreadable>) {
    let mut rows = Vec::new();
    let mut unreadable = Vec::new();
    for path in casts(dir) {
        let read = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| Recording::summarize(&text).map(|s| (text.len() as u64, s)));
        match read {
            Ok((bytes, summary)) => {
                let header = summary.header;
                rows.push(RecordingRow {
                    file: path.display().to_string(),
                    name: name_in_title(&header.title).to_owned(),
                    title: header.title,
                    instance_id: header.instance_id,
                    session_id: header.session_id,
                    start: header.started,
                    seconds: summary.length,
                    bytes,
                    session: None,
                    others: Vec::new(),
                });
            }
            Err(why) => unreadable.push((path, why)),
        }
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.start));
    (rows, unreadable)
}

/// Every recording of `dir` read whole (for a search), newest first.
pub fn read_all(dir: &Path) -> (Vec<(PathBuf, Recording)>, Vec<Unreadable>) {
    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    for path in casts(dir) {
        let read = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| Recording::parse(&text));
        match read {
            Ok(recording) => found.push((path, recording)),
            Err(why) => unreadable.push((path, why)),
        }
    }
    found.sort_by_key(|(_, recording)| std::cmp::Reverse(recording.started));
    (found, unreadable)
}

/// The SSM session ids `dir`'s recordings carry (their headers only).
pub fn recorded_sessions(dir: &Path) -> BTreeSet<String> {
    casts(dir)
        .iter()
        .filter_map(|path| {
            use std::io::BufRead as _;
            let file = std::fs::File::open(path).ok()?;
            let mut header = String::new();
            std::io::BufReader::new(file).read_line(&mut header).ok()?;
            let value: serde_json::Value = serde_json::from_str(&header).ok()?;
            value["session_id"].as_str().map(str::to_owned)
        })
        .collect()
}

/// The sessions AWS keeps for this region, open and ended: what recordings are joined with.
pub async fn history(
    ssm: &aws_sdk_ssm::Client,
    ec2: &aws_sdk_ec2::Client,
) -> Result<Vec<SessionRow>, String> {
    let mut rows = sessions::list(ssm, ec2, true).await?;
    rows.extend(sessions::list(ssm, ec2, false).await?);
    Ok(rows)
}
