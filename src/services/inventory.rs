//! The fleet refresher: reads every source, joins the rows and reports them; again every
//! interval, at once on request, and less often (doubling, up to five minutes) while AWS is
//! throttling. Each report carries the generation the refresher was started with, so the
//! runtime drops what a replaced refresher still delivers.

use std::time::{Duration, SystemTime};

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

/// One finished read of every source.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryLoaded {
    pub rows: Vec<InstanceRow>,
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
    loop {
        let results = join_all(
            clients
                .iter()
                .map(|(profile, region, ssm, ec2)| inventory::fetch(ssm, ec2, profile, region)),
        )
        .await;
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let mut throttled = false;
        for result in results {
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
