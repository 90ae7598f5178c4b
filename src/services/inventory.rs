//! The fleet refresher: reads every source, a few at a time, joins the rows and reports them;
//! again every interval, at once on request, and less often (doubling, up to five minutes)
//! while AWS is throttling. With many sources (an organisation's accounts × regions) its first
//! read reports the rows so far every quarter second while the rest are read, so the table
//! fills in as they answer; later reads replace the table when whole. Each report
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

/// One read of every source, or (with `pending` above zero) a part of the first: the rows of
/// the sources that answered since the part before, to add to those.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryLoaded {
    pub rows: Vec<InstanceRow>,
    /// Sources still being read (zero: this is the whole read).
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
    let mut delay = interval;
    // Only the first read reports its parts: later ones keep the table whole until they are.
    let mut first_read = true;
    loop {
        let mut answered: Vec<Option<Result<Vec<InstanceRow>, inventory::InventoryError>>> =
            (0..sources.len()).map(|_| None).collect();
        // Each read makes its clients and drops them: an organisation's hundreds of sources
        // would otherwise hold hundreds of idle SDK clients between reads.
        let owned: Vec<(usize, String, String, aws_config::SdkConfig)> = sources
            .iter()
            .enumerate()
            .map(|(index, source)| {
                let region = source.region_or("(no region)");
                (index, source.profile.clone(), region, source.config.clone())
            })
            .collect();
        let mut reads = futures_util::stream::iter(owned)
            .map(|(index, profile, region, config)| async move {
                let ssm = aws_sdk_ssm::Client::new(&config);
                let ec2 = aws_sdk_ec2::Client::new(&config);
                (index, inventory::fetch(&ssm, &ec2, &profile, &region).await)
            })
            .buffer_unordered(SOURCES_IN_FLIGHT);
        let mut reported = Instant::now();
        let mut done = 0;
        // Sources answered since the last part was reported.
        let mut unreported: Vec<usize> = Vec::new();
        while let Some((index, result)) = reads.next().await {
            answered[index] = Some(result);
            unreported.push(index);
            done += 1;
            if first_read && done < sources.len() && reported.elapsed() >= PARTIAL_EVERY {
                reported = Instant::now();
                // Only the new rows: each part adds to the ones before.
                let rows = unreported
                    .drain(..)
                    .filter_map(|index| match &answered[index] {
                        Some(Ok(rows)) => Some(rows.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                let partial = InventoryLoaded {
                    rows,
                    pending: sources.len() - done,
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
        first_read = false;
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let mut throttled = false;
        for result in answered.into_iter().flatten() {
            match result {
                Ok(found) => rows.extend(found),
                Err(error) => {
                    throttled |= error.throttled;
                    tracing::warn!(%error, "inventory refresh failed");
                    errors.push(error.to_string());
                }
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
