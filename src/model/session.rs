//! Sessions as `bosun sessions` lists them: who is on which instance, since when, and how it
//! ended; and the little filter that picks some (words, and `key:value` for a field).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRow {
    pub session_id: String,
    pub target: String,
    /// The target's Name tag, when it has one.
    pub name: String,
    pub owner: String,
    pub document: String,
    /// Unix seconds.
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub status: String,
    pub reason: String,
    /// The account's name (`--org`), where the session was read through the organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl SessionRow {
    fn field(&self, key: &str) -> Option<&str> {
        Some(match key {
            "id" | "session" => &self.session_id,
            "target" | "instance" => &self.target,
            "name" => &self.name,
            "owner" => &self.owner,
            "document" => &self.document,
            "status" => &self.status,
            "reason" => &self.reason,
            "account" => self.account.as_deref().unwrap_or_default(),
            _ => return None,
        })
    }

    /// Whether every term matches: a word anywhere in the row, `key:value` in that field
    /// (both case-insensitive substrings), `!` before either negates it.
    pub fn matches(&self, filter: &str) -> Result<bool, String> {
        terms_match(
            filter,
            |key| self.field(key).map(str::to_owned),
            &[
                "id", "target", "name", "owner", "document", "status", "reason",
            ],
            "id, target, name, owner, document, status, reason, account",
        )
    }
}

/// The session lists' filter language (`bosun sessions`, `bosun recordings`): whether every
/// term of `filter` matches — a word in any of the `anywhere` fields, `key:value` in the field
/// `field(key)` gives (both case-insensitive substrings), `!` before either negates it. A key
/// `field` does not know is an error naming the `known` ones.
pub fn terms_match(
    filter: &str,
    field: impl Fn(&str) -> Option<String>,
    anywhere: &[&str],
    known: &str,
) -> Result<bool, String> {
    for term in filter.split_whitespace() {
        let (negated, term) = match term.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, term),
        };
        let term = term.to_lowercase();
        let hit = match term.split_once(':') {
            Some((key, value)) => match field(key) {
                Some(text) => text.to_lowercase().contains(value),
                None => return Err(format!("unknown field {key:?} ({known})")),
            },
            None => anywhere
                .iter()
                .filter_map(|key| field(key))
                .any(|text| text.to_lowercase().contains(&term)),
        };
        if hit == negated {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_words_fields_and_negations() {
        let row = SessionRow {
            session_id: "alice-0abc".into(),
            target: "i-0123".into(),
            name: "payments-api-1".into(),
            owner: "arn:aws:iam::1:user/alice".into(),
            document: "SSM-SessionManagerRunShell".into(),
            start: Some(1),
            end: None,
            status: "Connected".into(),
            reason: String::new(),
            account: Some("payments-prod".into()),
        };
        assert_eq!(row.matches(""), Ok(true));
        assert_eq!(row.matches("payments"), Ok(true));
        assert_eq!(row.matches("owner:alice status:connected"), Ok(true));
        assert_eq!(row.matches("owner:bob"), Ok(false));
        assert_eq!(row.matches("!owner:alice"), Ok(false));
        assert_eq!(row.matches("account:payments"), Ok(true));
        assert!(row.matches("colour:red").is_err());
    }
}
