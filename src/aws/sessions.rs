//! DescribeSessions, read whole, with each target's Name tag from one DescribeInstances.

use std::collections::HashMap;

use aws_sdk_ssm::types::SessionState;

use super::errors;
use crate::model::session::SessionRow;

/// The active sessions (or, with `history`, the ended ones) of this region.
pub async fn list(
    ssm: &aws_sdk_ssm::Client,
    ec2: &aws_sdk_ec2::Client,
    history: bool,
) -> Result<Vec<SessionRow>, String> {
    let state = if history {
        SessionState::History
    } else {
        SessionState::Active
    };
    let mut rows = Vec::new();
    let mut pages = ssm
        .describe_sessions()
        .state(state)
        .max_results(200)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| errors::describe(&error))?;
        rows.extend(page.sessions().iter().map(|s| {
            SessionRow {
                session_id: s.session_id().unwrap_or_default().to_owned(),
                target: s.target().unwrap_or_default().to_owned(),
                name: String::new(),
                owner: s.owner().unwrap_or_default().to_owned(),
                document: s.document_name().unwrap_or_default().to_owned(),
                start: s.start_date().map(|d| d.secs()),
                end: s.end_date().map(|d| d.secs()),
                status: s
                    .status()
                    .map(|st| st.as_str().to_owned())
                    .unwrap_or_default(),
                reason: s.reason().unwrap_or_default().to_owned(),
                account: None,
            }
        }));
    }
    let names = names_of(ec2, &rows).await;
    for row in &mut rows {
        if let Some(name) = names.get(&row.target) {
            row.name = name.clone();
        }
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.start));
    Ok(rows)
}

/// The active session `session_id`'s target and owner, as DescribeSessions lists it; `None`
/// when it is not active (ended, or never was).
pub async fn active(
    ssm: &aws_sdk_ssm::Client,
    session_id: &str,
) -> Result<Option<(String, String)>, String> {
    let filter = aws_sdk_ssm::types::SessionFilter::builder()
        .key(aws_sdk_ssm::types::SessionFilterKey::SessionId)
        .value(session_id)
        .build()
        .map_err(|error| error.to_string())?;
    let page = ssm
        .describe_sessions()
        .state(SessionState::Active)
        .filters(filter)
        .send()
        .await
        .map_err(|error| errors::describe(&error))?;
    Ok(page
        .sessions()
        .iter()
        .find(|s| s.session_id() == Some(session_id))
        .map(|s| {
            (
                s.target().unwrap_or_default().to_owned(),
                s.owner().unwrap_or_default().to_owned(),
            )
        }))
}

/// Name tags of the EC2 targets; none when EC2 cannot be read (the list still stands).
async fn names_of(ec2: &aws_sdk_ec2::Client, rows: &[SessionRow]) -> HashMap<String, String> {
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r.target.clone())
        .filter(|t| t.starts_with("i-"))
        .collect();
    ids.sort();
    ids.dedup();
    let mut names = HashMap::new();
    for chunk in ids.chunks(200) {
        let Ok(output) = ec2
            .describe_instances()
            .set_instance_ids(Some(chunk.to_vec()))
            .send()
            .await
        else {
            continue;
        };
        for instance in output.reservations().iter().flat_map(|r| r.instances()) {
            if let (Some(id), Some(name)) = (
                instance.instance_id(),
                instance
                    .tags()
                    .iter()
                    .find(|t| t.key() == Some("Name"))
                    .and_then(|t| t.value()),
            ) {
                names.insert(id.to_owned(), name.to_owned());
            }
        }
    }
    names
}
