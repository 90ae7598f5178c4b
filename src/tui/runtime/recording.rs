//! Recording panes for postmortems: `ctrl-] R` (or `record_panes = true` for every pane)
//! writes the pane's output, with its timing and resizes, to an asciicast v2 file in the
//! state directory (`recordings/`, readable by the user alone). Only what the instance sent
//! is written, never the keys typed.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use super::Console;
use crate::app::Input;
use crate::model::pane::PaneId;
use crate::term::asciicast::Recorder;

/// One pane's recording in progress.
pub(super) struct Recording {
    recorder: Recorder<BufWriter<File>>,
    started: Instant,
    path: PathBuf,
}

impl Console {
    /// Starts recording `pane`, or stops it when it is recording; the reducer hears which.
    pub(super) fn toggle_recording(&mut self, pane: PaneId) {
        if self.recordings.contains_key(&pane) {
            self.stop_recording(pane);
            return;
        }
        let input = match self.start_recording(pane) {
            Ok(path) => Input::Recording {
                pane,
                path: Some(path.display().to_string()),
                saved: None,
                error: None,
            },
            Err(error) => Input::Recording {
                pane,
                path: None,
                saved: None,
                error: Some(error),
            },
        };
        self.reduce(input);
    }

    fn start_recording(&mut self, pane: PaneId) -> Result<PathBuf, String> {
        let target = self
            .state
            .panes
            .workspace
            .panes
            .get(&pane)
            .map(|p| p.target.clone())
            .ok_or("no such pane")?;
        let dir = crate::logging::log_dir()
            .ok_or("no state directory to write to")?
            .join("recordings");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        crate::logging::private(&dir, 0o700);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let stamp = utc_stamp(now);
        let name = if target.name.is_empty() {
            target.instance_id.clone()
        } else {
            target.name.replace(['/', ' '], "_")
        };
        let path = dir.join(format!("{name}-{}-{stamp}-{pane}.cast", target.instance_id));
        let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        crate::logging::private(&path, 0o600);
        let (rows, cols) = self.sizes.get(&pane).copied().unwrap_or((24, 80));
        let title = format!("bosun: {name} ({})", target.instance_id);
        let mut recorder = Recorder::start(BufWriter::new(file), cols, rows, now, &title)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        recorder.instance(&target.instance_id);
        // Recording a pane whose session runs already: its id is known (otherwise it comes
        // with the session's report, before its output).
        let session = self.state.panes.workspace.panes.get(&pane);
        if let Some(session_id) = session.and_then(|p| p.session_id.as_deref()) {
            recorder.session(session_id);
        }
        self.recordings.insert(
            pane,
            Recording {
                recorder,
                started: Instant::now(),
                path: path.clone(),
            },
        );
        Ok(path)
    }

    /// Ends `pane`'s recording, if any, and says where it is.
    pub(super) fn stop_recording(&mut self, pane: PaneId) {
        let Some(recording) = self.recordings.remove(&pane) else {
            return;
        };
        let path = recording.path.display().to_string();
        let input = match recording.recorder.finish() {
            Ok(_) => Input::Recording {
                pane,
                path: None,
                saved: Some(path),
                error: None,
            },
            Err(error) => Input::Recording {
                pane,
                path: None,
                saved: None,
                error: Some(format!("{path}: {error}")),
            },
        };
        self.reduce(input);
    }

    /// Output `pane` received, for its recording (a write that fails ends the recording and
    /// says why).
    pub(super) fn record_output(&mut self, pane: PaneId, bytes: &[u8]) {
        let Some(recording) = self.recordings.get_mut(&pane) else {
            return;
        };
        let at = recording.started.elapsed();
        if let Err(error) = recording.recorder.output(at, bytes) {
            let path = recording.path.display().to_string();
            self.recordings.remove(&pane);
            self.reduce(Input::Recording {
                pane,
                path: None,
                saved: None,
                error: Some(format!("{path}: {error}")),
            });
        }
    }

    /// `pane`'s session has this id: its recording's header says so.
    pub(super) fn record_session(&mut self, pane: PaneId, session_id: &str) {
        if let Some(recording) = self.recordings.get_mut(&pane) {
            recording.recorder.session(session_id);
        }
    }

    /// `pane`'s terminal took a new size.
    pub(super) fn record_resize(&mut self, pane: PaneId, rows: u16, cols: u16) {
        if let Some(recording) = self.recordings.get_mut(&pane) {
            let at = recording.started.elapsed();
            let _ = recording.recorder.resize(at, cols, rows);
        }
    }

    /// Every recording written out (bosun is quitting).
    pub(super) fn stop_all_recordings(&mut self) {
        let panes: Vec<PaneId> = self.recordings.keys().copied().collect();
        for pane in panes {
            self.stop_recording(pane);
        }
    }
}

/// `YYYYmmdd-HHMMSS` in UTC, from seconds since the epoch.
fn utc_stamp(unix: u64) -> String {
    let iso = crate::model::format::iso8601(i64::try_from(unix).unwrap_or(i64::MAX));
    // 2025-11-29T22:30:45.000Z
    let digits: String = iso[..19].chars().filter(char::is_ascii_digit).collect();
    format!("{}-{}", &digits[..8], &digits[8..])
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamps_are_utc_civil_time() {
        assert_eq!(super::utc_stamp(0), "19700101-000000");
        assert_eq!(super::utc_stamp(1_764_455_445), "20251129-223045");
    }
}
