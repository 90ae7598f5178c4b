//! Asks the instance's shell whether it has what a copy needs (`model::transfer::probe`), for
//! the doctor.

use super::{CopyError, Remote, follow, start};
use crate::model::document::Document;
use crate::model::transfer::probe;

/// What the instance lacks for copies (empty: nothing); `None` when its shell did not run the
/// check (not a POSIX shell).
pub async fn lacks(remote: &Remote) -> Result<Option<Vec<String>>, CopyError> {
    let mut driven = start(
        remote,
        Document::StartNonInteractiveCommand.name(),
        probe::script(),
    )
    .await?;
    let mut output = Vec::new();
    follow(remote, &mut driven, |bytes| {
        // A few short lines are expected; more is not this script's answer.
        if output.len() < 4096 {
            output.extend_from_slice(&bytes);
        }
        Ok(())
    })
    .await?;
    Ok(probe::missing(&output))
}
