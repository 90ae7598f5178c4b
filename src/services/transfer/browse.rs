//! A remote folder read for the console's file view: the listing script
//! (`model::transfer::browse`) run as a non-interactive command, its answer read back.

use super::{CopyError, Remote, follow, incomplete, start};
use crate::model::document::Document;
use crate::model::transfer::browse::{self, RemoteListing};

/// The most listing output read (hex, three characters a byte): about 2.8 MB of names, far
/// beyond the entries a listing keeps.
const MOST_OUTPUT: usize = 8 << 20;

/// Lists the folder `path` on the instance (folders first, then by name).
pub async fn list(remote: &Remote, path: &[u8]) -> Result<RemoteListing, CopyError> {
    let shown = crate::model::transfer::shown_bytes(path);
    let mut driven = start(
        remote,
        Document::StartNonInteractiveCommand.name(),
        browse::list(path),
    )
    .await?;
    let mut output = Vec::new();
    let mut cut = false;
    let finished = follow(remote, &mut driven, |bytes| {
        if output.len() + bytes.len() > MOST_OUTPUT {
            cut = true;
            return Err(CopyError::Session("enough".to_owned()));
        }
        output.extend_from_slice(&bytes);
        Ok(())
    })
    .await;
    match finished {
        // Cut short on purpose: what came is listed, the last record perhaps half there.
        // (`follow` has ended the session.)
        Err(_) if cut => {
            let whole_lines = output.iter().rposition(|&b| b == b'\n').unwrap_or(0);
            output.truncate(whole_lines);
            browse::parse_cut(&output).map_err(|why| listing_error(remote, &shown, why))
        }
        Err(error) => Err(error),
        Ok(finished) if finished.exit_code == Some(0) => {
            browse::parse(&output).map_err(|why| listing_error(remote, &shown, why))
        }
        Ok(finished) => Err(incomplete(remote, &shown, &finished)),
    }
}

fn listing_error(remote: &Remote, shown: &str, why: String) -> CopyError {
    CopyError::Session(format!("{}:{shown}: {why}", remote.target))
}
