//! The fleet refresher: reads every source, a few at a time, joins the rows and reports them;
//! again every interval, at once on request, and less often (doubling, up to five minutes)
//! while AWS is throttling. With many sources (an organisation's accounts × regions) it reports
//! the rows so far every quarter second while the rest are read, so the table fills in as
//! they answer; a source not yet read again keeps its rows from the last read. Each report
//! carries the generation the refresher was started with, so the runtime drops what a
//! replaced refresher still delivers.

use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use futures_util::future::join_all;
use tokio::sync::mpsc;

use super::sources::Source;
use super::{Handle, Tagged};
use crate::aws::inventory;
use crate::model::instance::InstanceRow;

/// What the refresher can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryCommand {
    /// Read the fleet now rather than at the next interval.
    Refresh,
}

/// Sources read at once: each is an account × region's two or three calls in flight.
pub const SOURCES_IN_FLIGHT: usize = 32;

/// How often the rows so far are reported while sources are still being read.
const PARTIAL_EVERY: Duration = Duration::from_millis(250);

/// One read of every source, or (with `pending` above zero) the rows so far.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryLoaded {
    pub rows: Vec<InstanceRow>,
    /// Sources still being read; their rows are those of their last read.
    pub pending: usize,
    /// The profile/region reads that failed, as sentences.
    pub errors: Vec<String>,
    /// Credentials that expire within 15 minutes, with the command that renews them.
    pub expiring: Vec<String>,
    pub at: SystemTime,
    /// Some calls were throttled; the refresher is backing off.
    pub throttled: bool,
}

/// Starts refreshing `sources` every `interval`; reports go to `events`, tagged with
/// `generation`.
pub fn spawn(
    sources: Vec<Source>,
    interval: Duration,
    generation: u64,
    events: mpsc::Sender<Tagged<InventoryLoaded>>,
) -> Handle<InventoryCommand> {
    let (commands, requests) = mpsc::channel(1);
    let task = tokio::spawn(refresh(sources, interval, requests, events, generation));
    Handle::new(commands, task)
}

/// Credentials this close to their end are said with the command that renews them.
const EXPIRY_WARNING: Duration = Duration::from_secs(15 * 60);

/// "prod: the credentials expire in 12 min; renew them: `aws sso login --profile prod`",
/// when the source's credentials end within `EXPIRY_WARNING` (they are cached: no call).
async fn expiring_soon(source: &Source) -> Option<String> {
    use aws_credential_types::provider::ProvideCredentials;
    let provider = source.config.credentials_provider()?;
    let expiry = provider.provide_credentials().await.ok()?.expiry()?;
    let left = expiry
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    if left > EXPIRY_WARNING {
        return None;
    }
    let login = match source.profile.as_str() {
        "" | "default" => "aws sso login".to_owned(),
        profile => format!("aws sso login --profile {profile}"),
    };
    let label = if source.profile.is_empty() {
        "default"
    } else {
        &source.profile
    };
    Some(if left.is_zero() {
        format!("{label}: the credentials have expired; renew them: `{login}`")
    } else {
        format!(
            "{label}: the credentials expire in {} min; renew them: `{login}`",
            left.as_secs().div_ceil(60)
        )
    })
}

async fn refresh(
    sources: Vec<Source>,
    interval: Duration,
    mut requests: mpsc::Receiver<InventoryCommand>,
    events: mpsc::Sender<Tagged<InventoryLoaded>>,
    generation: u64,
) {
    let clients: Vec<(String, String, aws_sdk_ssm::Client, aws_sdk_ec2::Client)> = sources
        .iter()
        .map(|source| {
            (
                source.profile.clone(),
                source.region_or("(no region)"),
                aws_sdk_ssm::Client::new(&source.config),
                aws_sdk_ec2::Client::new(&source.config),
            )
        })
        .collect();
    let mut delay = interval;
    // Each source's rows from its last read, kept while it is read again.
    let mut last: Vec<Vec<InstanceRow>> = vec![Vec::new(); clients.len()];
    loop {
        let mut answered: Vec<Option<Result<Vec<InstanceRow>, inventory::InventoryError>>> =
            (0..clients.len()).map(|_| None).collect();
        // Owned clients (cheap: the SDK's share their connections), so the reads borrow
        // nothing across the task.
        let mut reads = futures_util::stream::iter(clients.clone().into_iter().enumerate())
            .map(|(index, (profile, region, ssm, ec2))| async move {
                (index, inventory::fetch(&ssm, &ec2, &profile, &region).await)
            })
            .buffer_unordered(SOURCES_IN_FLIGHT);
        let mut reported = Instant::now();
        let mut done = 0;
        while let Some((index, result)) = reads.next().await {
            answered[index] = Some(result);
            done += 1;
            if done < clients.len() && reported.elapsed() >= PARTIAL_EVERY {
                reported = Instant::now();
                let rows = answered
                    .iter()
                    .zip(&last)
                    .flat_map(|(answer, before)| match answer {
                        Some(Ok(rows)) => rows.clone(),
                        _ => before.clone(),
                    })
                    .collect();
                let partial = InventoryLoaded {
                    rows,
                    pending: clients.len() - done,
                    errors: Vec::new(),
                    expiring: Vec::new(),
                    at: SystemTime::now(),
                    throttled: false,
                };
                let tagged = Tagged {
                    generation,
                    value: partial,
                };
                if events.send(tagged).await.is_err() {
                    return;
                }
            }
        }
        drop(reads);
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let mut throttled = false;
        for (index, result) in answered.into_iter().enumerate() {
            match result {
                Some(Ok(found)) => {
                    rows.extend(found.iter().cloned());
                    last[index] = found;
                }
                Some(Err(error)) => {
                    throttled |= error.throttled;
                    tracing::warn!(%error, "inventory refresh failed");
                    errors.push(error.to_string());
                    last[index].clear();
                }
                None => {}
            }
        }
        let expiring = join_all(sources.iter().map(expiring_soon))
            .await
            .into_iter()
            .flatten()
            .collect();
        let loaded = InventoryLoaded {
            rows,
            pending: 0,
            errors,
            expiring,
            at: SystemTime::now(),
            throttled,
        };
        let tagged = Tagged {
            generation,
            value: loaded,
        };
        if events.send(tagged).await.is_err() {
            return;
        }
        delay = if throttled {
            (delay * 2).min(Duration::from_secs(300))
        } else {
            interval
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            request = requests.recv() => {
                if request.is_none() {
                    return;
                }
            }
        }
    }
}
