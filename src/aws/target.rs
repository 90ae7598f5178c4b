//! Resolving what a user types as TARGET: an instance id (`i-…`, `mi-…`) as given, or a Name
//! tag value that must match exactly one instance.

use aws_sdk_ec2::types::Filter;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("no instance is named {0:?} (looked for the Name tag in this region)")]
    NoMatch(String),
    #[error("{name:?} names {count} instances ({ids}); use an instance id")]
    Ambiguous {
        name: String,
        count: usize,
        ids: String,
    },
    #[error("could not look up {name:?}: {reason}")]
    Lookup { name: String, reason: String },
}

/// True for strings that look like instance ids and need no lookup.
pub fn is_instance_id(text: &str) -> bool {
    let hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    text.strip_prefix("i-").is_some_and(hex) || text.strip_prefix("mi-").is_some_and(hex)
}

/// The instance id for `target`: ids pass through; anything else is looked up by Name tag
/// among instances that are not terminated.
pub async fn resolve(ec2: &aws_sdk_ec2::Client, target: &str) -> Result<String, TargetError> {
    if is_instance_id(target) {
        return Ok(target.to_owned());
    }
    let mut ids = Vec::new();
    let mut pages = ec2
        .describe_instances()
        .filters(Filter::builder().name("tag:Name").values(target).build())
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .values("stopping")
                .values("stopped")
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| TargetError::Lookup {
            name: target.to_owned(),
            reason: aws_sdk_ec2::error::DisplayErrorContext(error).to_string(),
        })?;
        for reservation in page.reservations() {
            ids.extend(
                reservation
                    .instances()
                    .iter()
                    .filter_map(|i| i.instance_id().map(str::to_owned)),
            );
        }
    }
    match ids.len() {
        0 => Err(TargetError::NoMatch(target.to_owned())),
        1 => Ok(ids.remove(0)),
        count => Err(TargetError::Ambiguous {
            name: target.to_owned(),
            count,
            ids: ids.join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_recognised() {
        assert!(is_instance_id("i-0123456789abcdef0"));
        assert!(is_instance_id("mi-0123456789abcdef0"));
        assert!(!is_instance_id("payments-api-1"));
        assert!(!is_instance_id("i-"));
        assert!(!is_instance_id("i-xyz"));
    }
}
