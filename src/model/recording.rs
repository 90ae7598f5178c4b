//! A recording as `bosun recordings` and the console's Recordings view list it: the file,
//! what it recorded (instance, name, session, when, how long), and beside it the session
//! history AWS keeps — its own session (who, document, reason, how it ended) and the others
//! that were on the same instance while it ran. Filtered like the Sessions view.

use serde::Serialize;

use super::session::{SessionRow, terms_match};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingRow {
    pub file: String,
    pub title: String,
    pub instance_id: String,
    /// The name the title gives the instance (`bosun: NAME (i-…)`), else empty.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Unix seconds.
    pub start: i64,
    pub seconds: f64,
    pub bytes: u64,
    /// Its own session as AWS lists it, where the ids match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionRow>,
    /// Other sessions on the same instance that overlapped it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<SessionRow>,
}

impl RecordingRow {
    /// The file's name, without its folder.
    pub fn file_name(&self) -> &str {
        self.file.rsplit(['/', '\\']).next().unwrap_or(&self.file)
    }

    /// Who was on the box: the session's owner, short (the ARN's last part).
    pub fn who(&self) -> &str {
        self.session.as_ref().map_or("", |s| short_owner(&s.owner))
    }

    /// How its session ended: `Terminated`, `Failed`…, with the reason when AWS has one.
    pub fn ended(&self) -> String {
        match &self.session {
            None => String::new(),
            Some(s) if s.reason.is_empty() => s.status.clone(),
            Some(s) => format!("{} ({})", s.status, s.reason),
        }
    }

    /// The owners of the other sessions, short, each once.
    pub fn others_who(&self) -> Vec<&str> {
        let mut who: Vec<&str> = self.others.iter().map(|s| short_owner(&s.owner)).collect();
        who.sort_unstable();
        who.dedup();
        who
    }

    fn field(&self, key: &str) -> Option<String> {
        let session = |pick: fn(&SessionRow) -> &str| {
            self.session
                .as_ref()
                .map(pick)
                .unwrap_or_default()
                .to_owned()
        };
        Some(match key {
            "instance" | "target" => self.instance_id.clone(),
            "name" => self.name.clone(),
            "title" => self.title.clone(),
            "file" => self.file_name().to_owned(),
            "id" | "session" => self.session_id.clone().unwrap_or_default(),
            "owner" | "who" => session(|s| &s.owner),
            "document" => session(|s| &s.document),
            "status" => session(|s| &s.status),
            "reason" => session(|s| &s.reason),
            "others" => self
                .others
                .iter()
                .map(|s| s.owner.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            _ => return None,
        })
    }

    /// Whether every term matches, in the session lists' filter language
    /// ([`terms_match`]).
    pub fn matches(&self, filter: &str) -> Result<bool, String> {
        const FIELDS: [&str; 10] = [
            "instance", "name", "title", "file", "id", "owner", "document", "status", "reason",
            "others",
        ];
        terms_match(filter, |key| self.field(key), &FIELDS, &FIELDS.join(", "))
    }
}

/// The name a recording's title gives: `bosun: web-1 (i-0abc)` → `web-1`.
pub fn name_in_title(title: &str) -> &str {
    let after = title.split_once(": ").map_or(title, |(_, rest)| rest);
    after.rsplit_once(" (").map_or(after, |(name, _)| name)
}

/// `arn:aws:sts::1:assumed-role/Ops/alice` → `alice`.
pub fn short_owner(owner: &str) -> &str {
    owner.rsplit('/').next().unwrap_or(owner)
}

/// Puts each recording beside the session history: its own session where the ids match,
/// and the other sessions on its instance whose time overlapped it (one still open counts
/// as running now).
pub fn join(rows: &mut [RecordingRow], sessions: &[SessionRow], now: i64) {
    for row in rows {
        row.session = row
            .session_id
            .as_ref()
            .and_then(|id| sessions.iter().find(|s| &s.session_id == id))
            .cloned();
        let from = row.start;
        let to = row.start + row.seconds.ceil() as i64;
        row.others = sessions
            .iter()
            .filter(|s| s.target == row.instance_id && !row.instance_id.is_empty())
            .filter(|s| Some(&s.session_id) != row.session_id.as_ref())
            .filter(|s| s.start.is_some_and(|start| start <= to) && s.end.unwrap_or(now) >= from)
            .cloned()
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, owner: &str, start: i64, end: Option<i64>) -> SessionRow {
        SessionRow {
            session_id: id.into(),
            target: "i-0abc".into(),
            name: "web-1".into(),
            owner: format!("arn:aws:sts::1:assumed-role/Ops/{owner}"),
            document: "SSM-SessionManagerRunShell".into(),
            start: Some(start),
            end,
            status: "Terminated".into(),
            reason: "incident 42".into(),
            account: None,
        }
    }

    fn recording() -> RecordingRow {
        RecordingRow {
            file: "/state/recordings/web-1-i-0abc-20260101-000000-1.cast".into(),
            title: "bosun: web-1 (i-0abc)".into(),
            instance_id: "i-0abc".into(),
            name: name_in_title("bosun: web-1 (i-0abc)").into(),
            session_id: Some("alice-1".into()),
            start: 1000,
            seconds: 600.0,
            bytes: 10,
            session: None,
            others: Vec::new(),
        }
    }

    #[test]
    fn a_recording_meets_its_session_and_who_else_was_on_the_box() {
        let mut rows = vec![recording()];
        let sessions = [
            session("alice-1", "alice", 1000, Some(1600)),
            session("bob-2", "bob", 1500, None),
            session("carol-3", "carol", 100, Some(999)),
            session("dave-4", "dave", 1700, Some(1800)),
        ];
        join(&mut rows, &sessions, 2000);
        let row = &rows[0];
        assert_eq!(row.name, "web-1");
        assert_eq!(row.who(), "alice");
        assert_eq!(row.ended(), "Terminated (incident 42)");
        assert_eq!(
            row.others_who(),
            ["bob"],
            "carol left before, dave came after"
        );
        assert_eq!(row.matches("owner:alice others:bob"), Ok(true));
        assert_eq!(row.matches("incident !carol"), Ok(true));
        assert_eq!(row.matches("file:web-1-i-0abc"), Ok(true));
        assert_eq!(row.matches("owner:bob"), Ok(false));
        assert!(row.matches("colour:red").is_err());
    }

    #[test]
    fn names_come_from_titles() {
        assert_eq!(name_in_title("bosun shell: web-1 (i-0abc)"), "web-1");
        assert_eq!(name_in_title("plain"), "plain");
        assert_eq!(short_owner("arn:aws:iam::1:user/alice"), "alice");
    }
}
