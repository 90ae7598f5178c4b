//! Where a TARGET lives in the organisation: the account (and region) holding it, for the
//! one-instance commands under `--org`.

use futures_util::StreamExt;

use super::{IN_FLIGHT, Reach, reach};
use crate::aws::org::{OrgAccount, find_in_index};
use crate::cli::GlobalArgs;
use crate::config::IndexUse;

/// An instance found in an account: its account's configuration, its id, and the account as
/// a person reads it.
type Located = (aws_config::SdkConfig, String, String);

/// Where `target` (an instance id, a Name, a node name, `k8s:` or `tag:K=V`) lives in the organisation: the
/// configuration of its account, as the session role, in its region, and the instance's id.
/// A name held in several accounts is refused with them named, as a name held twice in one
/// account is.
pub async fn locate(
    global: &GlobalArgs,
    target: &str,
) -> Result<(aws_config::SdkConfig, String), String> {
    use crate::aws::target::{self, TargetError};
    let reach = reach(global).await?;
    if target::is_instance_id(target)
        && let Some(found) = indexed(&reach, target).await
    {
        return found;
    }
    // Owned pairs: the lookup's future stays Send for a caller that spawns it (the
    // background tunnels' process).
    let pairs: Vec<(OrgAccount, String)> = reach
        .accounts
        .iter()
        .filter(|a| a.session_role.is_some())
        .flat_map(|account| {
            reach
                .regions
                .iter()
                .map(move |region| (account.clone(), region.clone()))
        })
        .collect();
    let found: Vec<Result<Option<Located>, String>> = futures_util::stream::iter(pairs)
        .map(|(account, region)| {
            let access = &reach.access;
            async move {
                let role = account.session_role.as_deref().unwrap_or_default();
                let config = access
                    .account_config(&account.id, role)
                    .await?
                    .to_builder()
                    .region(aws_types::region::Region::new(region.clone()))
                    .build();
                let ssm = aws_sdk_ssm::Client::new(&config);
                let ec2 = aws_sdk_ec2::Client::new(&config);
                let here = if target::is_instance_id(target) {
                    let answer = ec2
                        .describe_instances()
                        .filters(
                            aws_sdk_ec2::types::Filter::builder()
                                .name("instance-id")
                                .values(target)
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(|e| crate::aws::errors::describe(&e))?;
                    let known = answer
                        .reservations()
                        .iter()
                        .any(|r| !r.instances().is_empty());
                    known.then(|| target.to_owned())
                } else {
                    match target::resolve(&ssm, &ec2, target).await {
                        Ok(id) => Some(id),
                        // A node name is not here, or here but in another cluster (private
                        // DNS names repeat across VPCs: k8s:CLUSTER/NODE tells them apart).
                        Err(
                            TargetError::NoMatch { .. }
                            | TargetError::NoNode { .. }
                            | TargetError::OtherCluster { .. },
                        ) => None,
                        Err(other) => return Err(other.to_string()),
                    }
                };
                let label = format!("{} ({})", account.name, account.id);
                Ok(here.map(|id| (config, id, label)))
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut hits = Vec::new();
    let mut errors = Vec::new();
    for result in found {
        match result {
            Ok(Some(hit)) => hits.push(hit),
            Ok(None) => {}
            Err(error) => errors.push(error),
        }
    }
    match hits.len() {
        1 => {
            let (config, id, _) = hits.remove(0);
            Ok((config, id))
        }
        0 => Err(format!(
            "no account of the organisation has {target:?} in {}{}",
            reach.regions.join(", "),
            errors
                .first()
                .map(|e| format!(" (and one could not be read: {e})"))
                .unwrap_or_default()
        )),
        _ => Err(format!(
            "{target:?} names instances in {} accounts: {}; use an instance id",
            hits.len(),
            hits.iter()
                .map(|(_, id, label)| format!("{id} in {label}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// An instance id the organisation's index knows: its account's configuration as the session
/// role, in its region. `None` where the index is not to be read or does not know it (every
/// account is then asked).
async fn indexed(
    reach: &Reach,
    id: &str,
) -> Option<Result<(aws_config::SdkConfig, String), String>> {
    if reach.index == IndexUse::Never {
        return None;
    }
    let found = find_in_index(reach.access.base(), &reach.sync_name, id).await;
    let (account_id, region) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return None,
        Err(why) => {
            tracing::debug!(%why, "asking every account instead of the organisation's index");
            return None;
        }
    };
    let Some(account) = reach.accounts.iter().find(|a| a.id == account_id) else {
        return Some(Err(format!(
            "{id} is in account {account_id}, which this login does not reach"
        )));
    };
    let Some(role) = account.session_role.as_deref() else {
        return Some(Err(format!(
            "{id} is in {} ({account_id}), where this login has no session role: set [org] session_roles",
            account.name
        )));
    };
    Some(
        reach
            .access
            .account_config(&account.id, role)
            .await
            .map(|config| {
                let config = config
                    .to_builder()
                    .region(aws_types::region::Region::new(region))
                    .build();
                (config, id.to_owned())
            }),
    )
}

/// The configuration of the organisation's account `account` (its name or id) as its session
/// role, in `region` (else the first region `--org` reads): where a saved tunnel with an
/// `account` runs.
pub async fn account_config(
    global: &GlobalArgs,
    account: &str,
    region: Option<&str>,
) -> Result<aws_config::SdkConfig, String> {
    let reach = reach(global).await?;
    let Some(found) = reach
        .accounts
        .iter()
        .find(|a| a.name == account || a.id == account)
    else {
        let known: Vec<&str> = reach.accounts.iter().map(|a| a.name.as_str()).collect();
        return Err(format!(
            "the organisation has no account {account:?} (`bosun accounts` lists them: {})",
            known.join(", ")
        ));
    };
    let role = found.session_role.as_deref().ok_or_else(|| {
        format!(
            "{} ({}) has no role this login may take for sessions: set [org] session_roles",
            found.name, found.id
        )
    })?;
    let region = region
        .map(str::to_owned)
        .or_else(|| reach.regions.first().cloned())
        .unwrap_or_else(|| "us-east-1".to_owned());
    Ok(reach
        .access
        .account_config(&found.id, role)
        .await?
        .to_builder()
        .region(aws_types::region::Region::new(region))
        .build())
}

/// The container `target` names, in whichever account has its cluster: that account's
/// configuration (its session role, in its region), the account's name, and the container.
/// An account without the cluster answers ClusterNotFound; the first other answer is said
/// when none has it.
pub async fn locate_container(
    global: &GlobalArgs,
    target: &crate::model::container::EcsTarget,
) -> Result<
    (
        aws_config::SdkConfig,
        String,
        crate::model::container::ContainerRow,
    ),
    String,
> {
    let reach = reach(global).await?;
    let results = super::across(
        &reach,
        super::RoleFor::Acting,
        |config, account, region| async move {
            let ecs = aws_sdk_ecs::Client::new(&config);
            let row = crate::aws::containers::resolve(&ecs, target, &account.name, &region).await?;
            Ok((config, account.name.clone(), row))
        },
    )
    .await;
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(found) => return Ok(found),
            Err(error) => errors.push(error),
        }
    }
    let telling = errors
        .iter()
        .find(|e| !e.contains("ClusterNotFound") && !e.contains("Cluster not found"));
    Err(match telling {
        Some(error) => error.clone(),
        None => format!(
            "no account of the organisation has the cluster {} in {}",
            target.cluster(),
            reach.regions.join(", ")
        ),
    })
}
