//! `bosun sessions` and `bosun terminate`: who is on which instance now (or, with
//! `--history`, the sessions that ended), as a table or one JSON object a line; and
//! TerminateSession for the ones you name, asked first on a terminal (`--yes` elsewhere).

use std::io::{BufRead, IsTerminal, Write};

use crate::aws::{self, sessions};
use crate::cli::{GlobalArgs, SessionsArgs, TerminateArgs};
use crate::model::format::age;
use crate::model::session::SessionRow;
use crate::services::sources::SessionClients;

pub async fn list(global: &GlobalArgs, args: &SessionsArgs) -> i32 {
    let filter = args.filter.clone().unwrap_or_default();
    let mut failed = false;
    let rows = if super::org::wanted(global) {
        // Every account's sessions; an account that cannot be read is named, the rest shown.
        let (rows, errors) = super::org::read_sessions(global, args.history).await;
        for error in &errors {
            eprintln!("bosun sessions: {error}");
        }
        failed = !errors.is_empty();
        rows
    } else {
        let config = match super::regional_config(global, "sessions").await {
            Ok(config) => config,
            Err(code) => return code,
        };
        let clients = SessionClients::new(&config);
        match sessions::list(&clients.ssm, &clients.ec2, args.history).await {
            Ok(rows) => rows,
            Err(error) => {
                eprintln!("bosun sessions: {error}");
                return 1;
            }
        }
    };
    let shown = match matching(rows, &filter, |row, filter| row.matches(filter)) {
        Ok(shown) => shown,
        Err(error) => {
            eprintln!("bosun sessions: --filter: {error}");
            return 2;
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        for row in &shown {
            if let Ok(line) = serde_json::to_string(row) {
                let _ = writeln!(out, "{line}");
            }
        }
    } else {
        let _ = out.write_all(table(&shown, now_secs()).as_bytes());
    }
    i32::from(failed)
}

/// The rows `filter` lets through, in order, or the first thing its language does not
/// understand (`bosun sessions` and `bosun recordings` filter alike).
pub(super) fn matching<T>(
    rows: Vec<T>,
    filter: &str,
    matches: impl Fn(&T, &str) -> Result<bool, String>,
) -> Result<Vec<T>, String> {
    let mut shown = Vec::new();
    for row in rows {
        if matches(&row, filter)? {
            shown.push(row);
        }
    }
    Ok(shown)
}

/// Now, in Unix seconds.
pub(super) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The table: one row a session, newest first; ages rather than dates.
fn table(rows: &[SessionRow], now: i64) -> String {
    let ago = |secs: Option<i64>| {
        secs.map_or_else(
            || "-".to_owned(),
            |t| format!("{} ago", age(u64::try_from(now - t).unwrap_or(0))),
        )
    };
    let with_account = rows.iter().any(|r| r.account.is_some());
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                r.session_id.clone(),
                if r.name.is_empty() {
                    r.target.clone()
                } else {
                    format!("{} ({})", r.name, r.target)
                },
                r.owner.rsplit('/').next().unwrap_or(&r.owner).to_owned(),
                r.document.clone(),
                ago(r.start),
                r.status.clone(),
                if r.reason.is_empty() {
                    ago(r.end).replace('-', "")
                } else {
                    r.reason.clone()
                },
            ];
            if with_account {
                cells.insert(2, r.account.clone().unwrap_or_default());
            }
            cells
        })
        .collect();
    let mut header = vec![
        "SESSION",
        "TARGET",
        "OWNER",
        "DOCUMENT",
        "STARTED",
        "STATUS",
        "ENDED/REASON",
    ];
    if with_account {
        header.insert(2, "ACCOUNT");
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut push = |cells: &[String]| {
        let row: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(row.join("  ").trim_end());
        text.push('\n');
    };
    push(&header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    for line in &lines {
        push(line);
    }
    text
}

pub async fn terminate(global: &GlobalArgs, args: &TerminateArgs) -> i32 {
    if global.read_only {
        eprintln!("bosun terminate: refused by --read-only (it ends sessions)");
        return 2;
    }
    // Under --org each session is looked for in every account, and ended through its own.
    let single = if super::org::wanted(global) {
        None
    } else {
        match super::regional_config(global, "terminate").await {
            Ok(config) => Some(aws_sdk_ssm::Client::new(&config)),
            Err(code) => return code,
        }
    };
    let mut failed = 0;
    // Looked up first, so the question names whose session on which instance it ends.
    // TerminateSession answers the same for a made-up or long-ended id as for a live one:
    // only a session DescribeSessions lists as active is said to be terminated.
    let mut live = Vec::new();
    for id in &args.session_ids {
        let found = match &single {
            Some(ssm) => aws::sessions::active(ssm, id)
                .await
                .map(|found| found.map(|(target, owner)| (target, owner, ssm.clone()))),
            None => super::org::find_session(global, id).await,
        };
        match found {
            Ok(Some((target, owner, ssm))) => live.push((id, target, owner, ssm)),
            Ok(None) => {
                failed += 1;
                eprintln!("bosun terminate: no active session {id} (bosun sessions lists them)");
            }
            Err(error) => {
                failed += 1;
                eprintln!("bosun terminate: {id}: cannot look it up: {error}");
            }
        }
    }
    if live.is_empty() {
        return i32::from(failed > 0);
    }
    if !args.yes && !confirm(&live) {
        // Declined: nothing was done, as `bosun run` says when not run.
        eprintln!("bosun terminate: not terminated");
        return 2;
    }
    for (id, _, _, ssm) in live {
        match aws::terminate_session(&ssm, id).await {
            Ok(()) => println!("terminated {id}"),
            Err(error) => {
                failed += 1;
                eprintln!("bosun terminate: {id}: {error}");
            }
        }
    }
    i32::from(failed > 0)
}

/// y/N on a terminal, naming each session's target and owner; without one the answer is no
/// (`--yes` skips the question).
fn confirm(live: &[(&String, String, String, aws_sdk_ssm::Client)]) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!(
            "bosun terminate: stdin is not a terminal; pass --yes to terminate without asking"
        );
        return false;
    }
    for (id, target, owner, _) in live {
        let owner = owner.rsplit(['/', ':']).next().unwrap_or(owner);
        eprintln!("  {id} on {target}, {owner}'s");
    }
    eprint!("Terminate these {} session(s)? [y/N] ", live.len());
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_names_owners_and_ages() {
        let rows = [SessionRow {
            session_id: "alice-0abc".into(),
            target: "i-0123".into(),
            name: "payments-api-1".into(),
            owner: "arn:aws:iam::1:user/alice".into(),
            document: "SSM-SessionManagerRunShell".into(),
            start: Some(1_000),
            end: None,
            status: "Connected".into(),
            reason: String::new(),
            account: None,
        }];
        let text = table(&rows, 1_000 + 300);
        let mut lines = text.lines();
        assert!(lines.next().is_some_and(|h| h.starts_with("SESSION")));
        let row = lines.next().expect("a row");
        assert!(row.contains("payments-api-1 (i-0123)"), "{row}");
        assert!(row.contains("alice") && !row.contains("arn:"), "{row}");
        assert!(row.contains("5m ago") && row.contains("Connected"), "{row}");
    }
}
