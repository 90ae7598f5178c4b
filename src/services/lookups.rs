//! The console's one-shot lookups: the fleet's active sessions (and ending one), the
//! recordings beside the session history, the ECS containers, the history of recent commands, two runs compared, the doctor on an instance.
//! Each runs on a task of its own and answers with the reducer's input, tagged with the
//! generation of its kind of request: a newer request of the same kind overtakes an older one
//! (`Lookups::counts` drops the late answer). The doctor's answers all count: several
//! instances may be asked about at once, and each answer names its instance.

use std::path::PathBuf;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::doctor;
use super::inventory::SOURCES_IN_FLIGHT;
use super::runs::{self, History};
use super::sources::{SessionClients, SourceFactory};
use super::{Latest, Tagged};
use crate::app::Input;
use crate::app::views::sessions::SessionEntry;
use crate::model::recording::join;
use crate::model::run::HistoryEntry;
use crate::model::run_groups::compare;

/// Which kind of lookup an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sessions,
    Recordings,
    Containers,
    History,
    Compare,
    Doctor,
    /// A folder for the Files view: only the newest counts.
    Files,
    /// A Files view copy's progress and end: every one counts.
    Copy,
}

/// An answer: the reducer's input, and the request it answers.
pub type Answer = Tagged<(Kind, Input)>;

/// A source the console reads: its profile, region and clients.
pub type Source = (String, String, SessionClients);

/// Asks, and tells which answers still count.
pub struct Lookups {
    answers: mpsc::Sender<Answer>,
    /// Where the recordings are (the Sessions view marks the sessions they carry).
    recordings_dir: Option<PathBuf>,
    sessions: Latest,
    recordings: Latest,
    containers: Latest,
    history: Latest,
    compare: Latest,
    files: Latest,
}

impl Lookups {
    pub fn new(answers: mpsc::Sender<Answer>, recordings_dir: Option<PathBuf>) -> Lookups {
        Lookups {
            answers,
            recordings_dir,
            sessions: Latest::default(),
            recordings: Latest::default(),
            containers: Latest::default(),
            history: Latest::default(),
            compare: Latest::default(),
            files: Latest::default(),
        }
    }

    /// Whether `answer` answers the newest request of its kind.
    pub fn counts(&self, answer: &Answer) -> bool {
        let latest = match answer.value.0 {
            Kind::Sessions => self.sessions,
            Kind::Recordings => self.recordings,
            Kind::Containers => self.containers,
            Kind::History => self.history,
            Kind::Compare => self.compare,
            Kind::Files => self.files,
            Kind::Doctor | Kind::Copy => return true,
        };
        latest.is_current(answer.generation)
    }

    /// A folder listed for the Files view (an older listing still on its way no longer counts).
    pub fn folder(
        &mut self,
        clients: Option<SessionClients>,
        at: crate::app::views::files::FilesAt,
        path: Vec<u8>,
    ) {
        let generation = self.files.advance();
        let answers = self.answers.clone();
        tokio::spawn(async move {
            let input = super::file_view::list(clients, at, path).await;
            answer(&answers, generation, Kind::Files, input).await;
        });
    }

    /// A copy the Files view asked for, under way (or why it could not start).
    pub fn copy_file(
        &self,
        clients: Option<SessionClients>,
        copy: crate::app::effect::FileCopy,
    ) -> Result<super::file_view::CopyUnderWay, String> {
        let answers = self.answers.clone();
        let say = move |input: Input| {
            let answers = answers.clone();
            async move { answer(&answers, 0, Kind::Copy, input).await }
        };
        super::file_view::copy(say, clients, copy)
    }

    /// The active sessions of every source, with `note` (a termination that failed) first
    /// among the errors.
    pub fn sessions(&mut self, sources: Vec<Source>, note: Option<String>) {
        let generation = self.sessions.advance();
        let answers = self.answers.clone();
        let dir = self.recordings_dir.clone();
        tokio::spawn(async move {
            let input = load_sessions(sources, note, dir).await;
            answer(&answers, generation, Kind::Sessions, input).await;
        });
    }

    /// The recordings here beside the session history (open and ended) of every source.
    pub fn recordings(&mut self, sources: Vec<Source>) {
        let generation = self.recordings.advance();
        let answers = self.answers.clone();
        let dir = self.recordings_dir.clone();
        tokio::spawn(async move {
            let input = load_recordings(sources, dir).await;
            answer(&answers, generation, Kind::Recordings, input).await;
        });
    }

    /// TerminateSession with `clients`, then the sessions again (with why, if it failed).
    pub fn terminate(
        &mut self,
        clients: Option<SessionClients>,
        session_id: String,
        sources: Vec<Source>,
    ) {
        let generation = self.sessions.advance();
        let answers = self.answers.clone();
        let dir = self.recordings_dir.clone();
        tokio::spawn(async move {
            let failed = match clients {
                Some(clients) => crate::aws::terminate_session(&clients.ssm, &session_id).await,
                None => Err("no credentials for its profile and region".to_owned()),
            };
            let note = failed
                .err()
                .map(|error| format!("could not end {session_id}: {error}"));
            let input = load_sessions(sources, note, dir).await;
            answer(&answers, generation, Kind::Sessions, input).await;
        });
    }

    /// The containers of every source, sorted by cluster, service, task and container.
    pub fn containers(&mut self, sources: Vec<Source>) {
        let generation = self.containers.advance();
        let answers = self.answers.clone();
        tokio::spawn(async move {
            let reads: Vec<_> = futures_util::stream::iter(sources)
                .map(|(profile, region, clients)| async move {
                    crate::aws::containers::fetch(&clients.ecs, &profile, &region).await
                })
                .buffered(SOURCES_IN_FLIGHT)
                .collect()
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
            let input = Input::ContainersLoaded { rows, errors };
            answer(&answers, generation, Kind::Containers, input).await;
        });
    }

    /// Recent commands of every profile and region (ListCommands).
    pub fn history(&mut self, connect: SourceFactory, profiles: Vec<String>, regions: Vec<String>) {
        let generation = self.history.advance();
        let answers = self.answers.clone();
        tokio::spawn(async move {
            let History { entries, errors } = runs::load_history(connect, profiles, regions).await;
            let input = Input::HistoryLoaded { entries, errors };
            answer(&answers, generation, Kind::History, input).await;
        });
    }

    /// The results of two runs of one command, read again and compared.
    pub fn compare(&mut self, connect: SourceFactory, older: HistoryEntry, newer: HistoryEntry) {
        let generation = self.compare.advance();
        let answers = self.answers.clone();
        tokio::spawn(async move {
            let (before, after) = futures_util::join!(
                runs::results_of(connect.clone(), &older),
                runs::results_of(connect, &newer)
            );
            let compared = before.and_then(|before| {
                after
                    .map(|after| compare((&older.command_id, &before), (&newer.command_id, &after)))
            });
            answer(
                &answers,
                generation,
                Kind::Compare,
                Input::RunsCompared(compared),
            )
            .await;
        });
    }

    /// The doctor on an instance, with the clients of its profile and region.
    pub fn diagnose(
        &self,
        clients: Option<SessionClients>,
        instance_id: String,
        profile: String,
        region: String,
    ) {
        let answers = self.answers.clone();
        tokio::spawn(async move {
            let report = match clients {
                Some(clients) => Ok(doctor::examine(&clients, &instance_id, &region).await),
                None => Err(format!("no credentials for {profile}/{region}")),
            };
            let input = Input::DoctorReport {
                instance_id,
                report,
            };
            answer(&answers, 0, Kind::Doctor, input).await;
        });
    }
}

async fn answer(answers: &mpsc::Sender<Answer>, generation: u64, kind: Kind, input: Input) {
    let _ = answers
        .send(Tagged {
            generation,
            value: (kind, input),
        })
        .await;
}

/// The recordings of `dir` (read off the async threads) joined with every source's session
/// history; files and sources that could not be read as errors.
async fn load_recordings(sources: Vec<Source>, dir: Option<PathBuf>) -> Input {
    let Some(dir) = dir else {
        return Input::RecordingsLoaded {
            rows: Vec::new(),
            errors: vec!["no state directory to read recordings from".to_owned()],
        };
    };
    let scanned = tokio::task::spawn_blocking(move || super::recordings::scan(&dir)).await;
    let (mut rows, unreadable) = scanned.unwrap_or_default();
    let mut errors: Vec<String> = unreadable
        .iter()
        .map(|(path, why)| format!("{}: {why}", path.display()))
        .collect();
    if !rows.is_empty() {
        let histories: Vec<_> = futures_util::stream::iter(sources)
            .map(|(profile, region, clients)| async move {
                let read = super::recordings::history(&clients.ssm, &clients.ec2).await;
                (profile, region, read)
            })
            .buffered(SOURCES_IN_FLIGHT)
            .collect()
            .await;
        let mut sessions = Vec::new();
        for (profile, region, read) in histories {
            match read {
                Ok(rows) => sessions.extend(rows),
                Err(error) => errors.push(format!("session history {profile}/{region}: {error}")),
            }
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        join(&mut rows, &sessions, now);
    }
    Input::RecordingsLoaded { rows, errors }
}

/// The active sessions of every source, at once, newest first; the sources that failed and
/// `note` as errors; the session ids the recordings of `dir` carry.
async fn load_sessions(sources: Vec<Source>, note: Option<String>, dir: Option<PathBuf>) -> Input {
    // An organisation's sources are hundreds: a few at a time, as the fleet reads them.
    let lists: Vec<_> = futures_util::stream::iter(sources)
        .map(|(profile, region, clients)| async move {
            let listed = crate::aws::sessions::list(&clients.ssm, &clients.ec2, false).await;
            (profile, region, listed)
        })
        .buffered(SOURCES_IN_FLIGHT)
        .collect()
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
    let recorded = match dir {
        Some(dir) => {
            tokio::task::spawn_blocking(move || super::recordings::recorded_sessions(&dir))
                .await
                .unwrap_or_default()
        }
        None => Default::default(),
    };
    Input::SessionsLoaded {
        entries,
        errors,
        recorded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_request_of_a_kind_counts_and_every_doctor_answer_does() {
        let (answers, _rx) = mpsc::channel(1);
        let mut lookups = Lookups::new(answers, None);
        let first = lookups.containers.advance();
        let second = lookups.containers.advance();
        let tagged = |generation, kind| Tagged {
            generation,
            value: (kind, Input::CopyReport(String::new())),
        };
        assert!(!lookups.counts(&tagged(first, Kind::Containers)));
        assert!(lookups.counts(&tagged(second, Kind::Containers)));
        assert!(lookups.counts(&tagged(0, Kind::Doctor)));
        assert!(
            !lookups.counts(&tagged(1, Kind::Sessions)),
            "no sessions were asked for"
        );
    }
}
