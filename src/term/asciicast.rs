//! A pane's output as an asciicast v2 recording (a JSON header line, then one
//! `[seconds, "o", text]` line per output and `[seconds, "r", "COLSxROWS"]` per resize), for
//! postmortems: `asciinema play FILE` replays it. Only what the instance sent is written,
//! never the keys typed (a password typed with echo off stays out). Times are given by the
//! caller, so this stays free of clocks; the writer is the caller's too.
//!
//! The header also carries, beside asciicast's own fields, `instance_id` and `session_id`
//! (players ignore what they do not know), so that `bosun recordings` can put a recording
//! beside the session history AWS keeps. The file is made before the session, so the header
//! waits for the first event (or the end) to be written, by when the session id is known.

use std::io::Write;
use std::time::Duration;

use serde_json::json;

/// Writes one recording to `out`.
pub struct Recorder<W: Write> {
    out: W,
    /// The header, until it is written.
    header: Option<serde_json::Value>,
    /// The end of the last output when it stopped inside a UTF-8 sequence: the rest comes
    /// with the next output (asciicast text is UTF-8, output chunks are not cut on
    /// character boundaries).
    partial: Vec<u8>,
}

impl<W: Write> Recorder<W> {
    /// Starts a recording of a `cols`×`rows` terminal at `unix_seconds`, named `title`.
    pub fn start(
        out: W,
        cols: u16,
        rows: u16,
        unix_seconds: u64,
        title: &str,
    ) -> std::io::Result<Recorder<W>> {
        let header = json!({
            "version": 2,
            "width": cols,
            "height": rows,
            "timestamp": unix_seconds,
            "title": title,
            "env": { "TERM": "xterm-256color" },
        });
        Ok(Recorder {
            out,
            header: Some(header),
            partial: Vec::new(),
        })
    }

    /// The instance (or container target) recorded; said before the first event.
    pub fn instance(&mut self, instance_id: &str) {
        if let Some(header) = &mut self.header {
            header["instance_id"] = json!(instance_id);
        }
    }

    /// The SSM session recorded, once StartSession has answered; said before the first event
    /// (a recording started after it is told at once).
    pub fn session(&mut self, session_id: &str) {
        if let Some(header) = &mut self.header {
            header["session_id"] = json!(session_id);
        }
    }

    fn write_header(&mut self) -> std::io::Result<()> {
        match self.header.take() {
            // On disk at once: the Sessions view reads headers to mark recorded sessions.
            Some(header) => {
                writeln!(self.out, "{header}")?;
                self.out.flush()
            }
            None => Ok(()),
        }
    }

    /// Output `at` this long after the start.
    pub fn output(&mut self, at: Duration, bytes: &[u8]) -> std::io::Result<()> {
        let mut data = std::mem::take(&mut self.partial);
        data.extend_from_slice(bytes);
        let complete = complete_prefix(&data);
        self.partial = data[complete..].to_vec();
        if complete == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&data[..complete]);
        self.event(at, "o", &text)
    }

    /// The terminal was resized to `cols`×`rows`.
    pub fn resize(&mut self, at: Duration, cols: u16, rows: u16) -> std::io::Result<()> {
        self.event(at, "r", &format!("{cols}x{rows}"))
    }

    fn event(&mut self, at: Duration, code: &str, data: &str) -> std::io::Result<()> {
        // Microseconds are as much as players use.
        let seconds = (at.as_micros() as f64) / 1_000_000.0;
        self.write_header()?;
        writeln!(self.out, "{}", json!([seconds, code, data]))
    }

    /// Writes what is buffered and hands the writer back.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.write_header()?;
        if !self.partial.is_empty() {
            let rest = String::from_utf8_lossy(&self.partial).into_owned();
            writeln!(self.out, "{}", json!([0.0, "o", rest]))?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// How much of `data` ends on a character boundary: all of it, unless its last bytes begin
/// a UTF-8 sequence that is not finished yet.
fn complete_prefix(data: &[u8]) -> usize {
    // A sequence is at most 4 bytes: look at the last 3 for an unfinished start.
    for back in 1..=3.min(data.len()) {
        let byte = data[data.len() - back];
        if byte & 0b1100_0000 == 0b1000_0000 {
            continue; // a continuation byte: keep looking for its start
        }
        let needed = match byte {
            b if b & 0b1110_0000 == 0b1100_0000 => 2,
            b if b & 0b1111_0000 == 0b1110_0000 => 3,
            b if b & 0b1111_1000 == 0b1111_0000 => 4,
            _ => return data.len(),
        };
        return if back < needed {
            data.len() - back
        } else {
            data.len()
        };
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect()
    }

    #[test]
    fn writes_a_header_output_and_resizes() {
        let mut recorder =
            Recorder::start(Vec::new(), 120, 30, 1_764_000_000, "web-1").expect("starts");
        recorder.instance("i-0abc");
        recorder
            .output(Duration::from_millis(250), b"$ uptime\r\n")
            .expect("writes");
        recorder.session("too-late");
        recorder
            .resize(Duration::from_millis(1500), 100, 20)
            .expect("writes");
        let out = recorder.finish().expect("finishes");
        let lines = lines(&out);
        assert_eq!(lines[0]["version"], 2);
        assert_eq!(lines[0]["width"], 120);
        assert_eq!(lines[0]["height"], 30);
        assert_eq!(lines[0]["title"], "web-1");
        assert_eq!(lines[0]["instance_id"], "i-0abc");
        assert!(
            lines[0].get("session_id").is_none(),
            "the header was written with the first output"
        );
        assert_eq!(lines[1], json!([0.25, "o", "$ uptime\r\n"]));
        assert_eq!(lines[2], json!([1.5, "r", "100x20"]));
    }

    /// A session id known before the first event is in the header; with no event at all
    /// the header is still written.
    #[test]
    fn the_session_said_before_output_is_in_the_header() {
        let mut recorder = Recorder::start(Vec::new(), 80, 24, 0, "t").expect("starts");
        recorder.session("alice-0123456789abcdef0");
        let lines = lines(&recorder.finish().expect("finishes"));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["session_id"], "alice-0123456789abcdef0");
    }

    /// A character cut between two outputs is written whole, with the second.
    #[test]
    fn characters_split_across_outputs_stay_whole() {
        let mut recorder = Recorder::start(Vec::new(), 80, 24, 0, "t").expect("starts");
        let text = "✓ done";
        let bytes = text.as_bytes();
        recorder
            .output(Duration::from_millis(1), &bytes[..2])
            .expect("writes");
        recorder
            .output(Duration::from_millis(2), &bytes[2..])
            .expect("writes");
        let lines = lines(&recorder.finish().expect("finishes"));
        assert_eq!(lines.len(), 2, "the partial character waited: {lines:?}");
        assert_eq!(lines[1][2], text);
        assert_eq!(complete_prefix(b"abc"), 3);
        assert_eq!(complete_prefix(&"é".as_bytes()[..1]), 0);
        assert_eq!(complete_prefix("é".as_bytes()), 2);
        assert_eq!(complete_prefix(&[0xff]), 1, "invalid bytes pass (lossy)");
    }
}
