//! What the console looks up on request and reports back as an input: the fleet's active
//! sessions (and ending one), and the doctor's report on an instance.

use tokio::sync::mpsc;

use super::Console;
use crate::app::Input;
use crate::app::views::sessions::SessionEntry;
use crate::services::doctor;
use crate::services::sources::SessionClients;

impl Console {
    /// The clients of the profiles and regions the console reads now (older ones are kept
    /// for panes opened before a switch, but are not listed).
    fn session_sources(&self) -> Vec<(String, String, SessionClients)> {
        let (profiles, regions) = (&self.state.frame.profiles, &self.state.frame.regions);
        self.context
            .clients
            .iter()
            .filter(|((profile, region), _)| {
                (profiles.is_empty() || profiles.contains(profile))
                    && (regions.is_empty() || regions.contains(region))
            })
            .map(|((profile, region), clients)| (profile.clone(), region.clone(), clients.clone()))
            .collect()
    }

    /// The containers of every source the console reads, for the Containers view.
    pub(super) fn load_containers(&self) {
        let (sources, inputs) = (self.session_sources(), self.inputs.clone());
        tokio::spawn(async move {
            let reads = futures_util::future::join_all(sources.into_iter().map(
                |(profile, region, clients)| async move {
                    crate::aws::containers::fetch(&clients.ecs, &profile, &region).await
                },
            ))
            .await;
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            for read in reads {
                match read {
                    Ok(found) => rows.extend(found),
                    Err(error) => errors.push(error.to_string()),
                }
            }
            rows.sort_by(|a, b| {
                (&a.cluster, &a.service, &a.task_id, &a.container).cmp(&(
                    &b.cluster,
                    &b.service,
                    &b.task_id,
                    &b.container,
                ))
            });
            let _ = inputs.send(Input::ContainersLoaded { rows, errors }).await;
        });
    }

    pub(super) fn load_sessions(&self, note: Option<String>) {
        let (sources, inputs) = (self.session_sources(), self.inputs.clone());
        tokio::spawn(load_sessions(sources, inputs, note));
    }

    /// TerminateSession in its source, then the sessions again (with why, if it failed).
    pub(super) fn terminate_session(&self, session_id: String, profile: &str, region: &str) {
        let clients = self
            .context
            .clients
            .get(&(profile.to_owned(), region.to_owned()))
            .cloned();
        let (sources, inputs) = (self.session_sources(), self.inputs.clone());
        tokio::spawn(async move {
            let failed = match clients {
                Some(clients) => crate::aws::terminate_session(&clients.ssm, &session_id).await,
                None => Err("no credentials for its profile and region".to_owned()),
            };
            let note = failed
                .err()
                .map(|error| format!("could not end {session_id}: {error}"));
            load_sessions(sources, inputs, note).await;
        });
    }

    /// The doctor on an instance of this source, reported when it is done.
    pub(super) fn diagnose(&self, instance_id: String, profile: &str, region: &str) {
        let clients = self
            .context
            .clients
            .get(&(profile.to_owned(), region.to_owned()))
            .cloned();
        let (profile, region) = (profile.to_owned(), region.to_owned());
        let inputs = self.inputs.clone();
        tokio::spawn(async move {
            let report = match clients {
                Some(clients) => Ok(doctor::examine(&clients, &instance_id, &region).await),
                None => Err(format!("no credentials for {profile}/{region}")),
            };
            let _ = inputs
                .send(Input::DoctorReport {
                    instance_id,
                    report,
                })
                .await;
        });
    }
}

/// The active sessions of every source, at once; reported with the sources that failed and
/// `note` (a termination that failed), for the Sessions view.
async fn load_sessions(
    sources: Vec<(String, String, SessionClients)>,
    inputs: mpsc::Sender<Input>,
    note: Option<String>,
) {
    let lists = futures_util::future::join_all(sources.into_iter().map(
        |(profile, region, clients)| async move {
            let listed = crate::aws::sessions::list(&clients.ssm, &clients.ec2, false).await;
            (profile, region, listed)
        },
    ))
    .await;
    let mut entries = Vec::new();
    let mut errors: Vec<String> = note.into_iter().collect();
    for (profile, region, listed) in lists {
        match listed {
            Ok(rows) => entries.extend(rows.into_iter().map(|row| SessionEntry {
                row,
                profile: profile.clone(),
                region: region.clone(),
            })),
            Err(error) => errors.push(format!("{profile}/{region}: {error}")),
        }
    }
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.row.start));
    let _ = inputs.send(Input::SessionsLoaded { entries, errors }).await;
}
