//! Reading an asciicast v2 recording back (bosun's own, or any asciinema file): its header,
//! its output and resize events, and the screen at any moment, as the pane's own emulator
//! draws it. Pure: the file's text in, screens out.

use super::Emulator;

/// One event of a recording.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Output(String),
    /// The terminal became `cols`×`rows`.
    Resize {
        cols: u16,
        rows: u16,
    },
    /// A marker (asciinema's `m` events), with its label.
    Marker(String),
}

/// An event line as asciicast writes it: `[seconds, code, data]`.
#[derive(serde::Deserialize)]
struct RawEvent<'a>(f64, #[serde(borrow)] std::borrow::Cow<'a, str>, String);

/// A recording's header and length, read without its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The header (its `events` are left empty).
    pub header: Recording,
    pub length: f64,
}

/// A recording, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub cols: u16,
    pub rows: u16,
    /// When it began, Unix seconds (0 when the header does not say).
    pub started: i64,
    pub title: String,
    /// The instance recorded: the header's `instance_id`, else the one the title names in
    /// parentheses (`bosun: web-1 (i-0abc…)`), else empty.
    pub instance_id: String,
    /// The SSM session recorded (the header's `session_id`), when bosun wrote it.
    pub session_id: Option<String>,
    /// Each event with its time in seconds from the start, in order.
    pub events: Vec<(f64, Event)>,
    /// Its last line was cut (the writer stopped mid-line) and is left out.
    pub cut_short: bool,
}

impl Recording {
    /// Reads the file's text: a JSON header line, then one JSON array a line. A line that is
    /// not an event is an error naming it; input events (`i`) are skipped.
    pub fn parse(text: &str) -> Result<Recording, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or("the file is empty")?;
        let mut recording = Recording::header(header)?;
        let mut last = 0.0f64;
        let mut lines = lines.peekable();
        while let Some((index, line)) = lines.next() {
            let bad = |why: &str| format!("line {}: {why}", index + 1);
            // Read as the tuple it should be (an hour is 7,200 lines; a search reads hundreds
            // of hours); only a line that is not one is read again to say what it is.
            let (at, code, data) = match serde_json::from_str::<RawEvent>(line) {
                Ok(RawEvent(at, code, data)) => (at, code, data),
                Err(_) => {
                    let json = serde_json::from_str::<serde_json::Value>(line);
                    // A writer that died mid-line (bosun killed, the laptop's battery) leaves
                    // its last line cut: the recording up to it still stands.
                    if json.is_err() && lines.peek().is_none() && line.starts_with('[') {
                        recording.cut_short = true;
                        break;
                    }
                    json.map_err(|e| bad(&format!("not JSON ({e})")))?;
                    return Err(bad("not an event [seconds, code, data]"));
                }
            };
            let code: &str = &code;
            // A writer's leftovers (time 0 after later events) keep the order they came in.
            let at = at.max(last);
            last = at;
            let event = match code {
                "o" => Event::Output(data),
                "r" => {
                    let (cols, rows) = data
                        .split_once('x')
                        .and_then(|(c, r)| Some((c.parse().ok()?, r.parse().ok()?)))
                        .filter(|(c, r): &(u16, u16)| *c > 0 && *r > 0)
                        .ok_or_else(|| bad(&format!("a resize that is not COLSxROWS: {data:?}")))?;
                    Event::Resize { cols, rows }
                }
                "m" => Event::Marker(data),
                _ => continue,
            };
            recording.events.push((at, event));
        }
        Ok(recording)
    }

    /// The header line alone: a recording with no events yet.
    fn header(line: &str) -> Result<Recording, String> {
        let header: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("line 1: not an asciicast header ({e})"))?;
        if header["version"] != 2 {
            return Err(format!(
                "line 1: asciicast version {} (bosun reads version 2)",
                header["version"]
            ));
        }
        let size = |name: &str| {
            header[name]
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("line 1: the header has no {name}"))
        };
        let title = header["title"].as_str().unwrap_or_default().to_owned();
        Ok(Recording {
            cols: size("width")?,
            rows: size("height")?,
            started: header["timestamp"].as_i64().unwrap_or(0),
            instance_id: match header["instance_id"].as_str() {
                Some(id) => id.to_owned(),
                None => instance_named_in(&title).to_owned(),
            },
            title,
            session_id: header["session_id"].as_str().map(str::to_owned),
            events: Vec::new(),
            cut_short: false,
        })
    }

    /// What `bosun recordings` lists without reading every event: the header, and the
    /// length from the last events.
    pub fn summarize(text: &str) -> Result<Summary, String> {
        let header = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .ok_or("the file is empty")?;
        let header = Recording::header(header)?;
        // The last lines: a writer's leftovers may come last, stamped 0.
        let length = text
            .lines()
            .rev()
            .take(4)
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|event| event[0].as_f64())
            .fold(0.0f64, f64::max);
        Ok(Summary { header, length })
    }

    /// How long it lasts, in seconds.
    pub fn length(&self) -> f64 {
        self.events.last().map_or(0.0, |(at, _)| *at)
    }

    /// The screen `seconds` after the start (everything up to and including that moment).
    pub fn screen_at(&self, seconds: f64) -> Emulator {
        let mut screen = Emulator::with_scrollback(self.rows, self.cols, 0);
        for (at, event) in &self.events {
            if *at > seconds {
                break;
            }
            match event {
                Event::Output(text) => screen.process(text.as_bytes()),
                Event::Resize { cols, rows } => screen.resize(*rows, *cols),
                Event::Marker(_) => {}
            }
        }
        screen
    }
}

/// The instance id a title names in its last parentheses (`bosun: web-1 (i-0abc…)`).
fn instance_named_in(title: &str) -> &str {
    title
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or("")
}

/// The moments (seconds from the start) at which `text` was printed: each output event that
/// completes an occurrence, escape sequences aside (a word coloured halfway is still found).
pub fn moments_of(recording: &Recording, text: &str) -> Vec<f64> {
    let needle: Vec<char> = text.chars().collect();
    if needle.is_empty() {
        return Vec::new();
    }
    let mut carry: Vec<char> = Vec::new();
    let mut found = Vec::new();
    let mut escape = Escape::Text;
    for (at, event) in &recording.events {
        let Event::Output(output) = event else {
            continue;
        };
        let before = carry.len();
        for c in output.chars() {
            let was = escape;
            escape = escape.next(c);
            if was == Escape::Text && escape == Escape::Text {
                carry.push(c);
            }
        }
        let fresh = carry.len() - before;
        // An occurrence counts at the event that printed its last character.
        let first_end = carry.len() - fresh;
        let hits = (needle.len()..=carry.len())
            .filter(|&end| end > first_end && carry[end - needle.len()..end] == needle[..])
            .count();
        found.extend(std::iter::repeat_n(*at, hits));
        let keep = needle.len().saturating_sub(1).min(carry.len());
        carry.drain(..carry.len() - keep);
    }
    found
}

/// Where a character stands in the output: plain text, or inside an escape sequence (CSI
/// until its final byte, OSC until BEL or ST, others one character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    Text,
    Started,
    Csi,
    Osc,
    OscEsc,
}

impl Escape {
    fn next(self, c: char) -> Escape {
        match (self, c) {
            (Escape::Text, '\u{1b}') => Escape::Started,
            (Escape::Text, _) => Escape::Text,
            (Escape::Started, '[') => Escape::Csi,
            (Escape::Started, ']') => Escape::Osc,
            (Escape::Started, _) => Escape::Text,
            (Escape::Csi, '\u{40}'..='\u{7e}') => Escape::Text,
            (Escape::Csi, _) => Escape::Csi,
            (Escape::Osc, '\u{7}') => Escape::Text,
            (Escape::Osc, '\u{1b}') => Escape::OscEsc,
            (Escape::Osc, _) => Escape::Osc,
            (Escape::OscEsc, _) => Escape::Text,
        }
    }
}

/// The screen's text, one line a row, trailing blanks and blank last rows left out.
pub fn screen_text(screen: &Emulator) -> String {
    let (rows, cols) = screen.size();
    let mut lines: Vec<String> = screen
        .screen()
        .rows(0, cols)
        .take(usize::from(rows))
        .map(|row| row.trim_end().to_owned())
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"version": 2, "width": 30, "height": 5, "timestamp": 1790000000, "title": "web-1"}
[0.5, "o", "MARK-A\r\n"]
[1.0, "i", "typed"]
[5.0, "o", "\u001b[2J\u001b[HMARK-B"]
[6.0, "r", "12x3"]
[7.0, "m", "here"]
[7.5, "o", "\r\nMARK-C-IS-LONGER-THAN-TWELVE"]
"#;

    #[test]
    fn the_screen_at_a_moment_holds_what_came_before_it_and_resizes_count() {
        let recording = Recording::parse(FILE).expect("parses");
        assert_eq!((recording.cols, recording.rows), (30, 5));
        assert_eq!(recording.title, "web-1");
        assert_eq!(recording.instance_id, "");
        assert_eq!(recording.session_id, None);
        assert_eq!(recording.events.len(), 5, "the input event is skipped");
        assert_eq!(recording.length(), 7.5);
        let summary = Recording::summarize(FILE).expect("summarizes");
        assert_eq!(summary.length, 7.5);
        assert_eq!(summary.header.title, "web-1");
        assert!(summary.header.events.is_empty());
        assert_eq!(screen_text(&recording.screen_at(0.0)), "\n");
        assert_eq!(screen_text(&recording.screen_at(2.0)), "MARK-A\n");
        assert_eq!(screen_text(&recording.screen_at(5.0)), "MARK-B\n");
        let end = recording.screen_at(recording.length());
        assert_eq!(end.size(), (3, 12));
        let text = screen_text(&end);
        assert!(text.contains("MARK-C-IS-LO"), "{text}");
        assert!(
            text.lines().all(|line| line.chars().count() <= 12),
            "{text}"
        );
    }

    #[test]
    fn text_is_found_at_the_moment_it_was_printed_escapes_aside() {
        let recording = Recording::parse(FILE).expect("parses");
        assert_eq!(moments_of(&recording, "MARK-B"), [5.0]);
        assert_eq!(moments_of(&recording, "MARK-"), [0.5, 5.0, 7.5]);
        assert!(
            moments_of(&recording, "typed").is_empty(),
            "input is not output"
        );
        let split = Recording::parse(concat!(
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n",
            "[1.0, \"o\", \"sudo syst\"]\n",
            "[2.0, \"o\", \"\\u001b[1mem\\u001b[0mctl restart\"]\n",
        ))
        .expect("parses");
        assert_eq!(moments_of(&split, "systemctl"), [2.0]);
    }

    #[test]
    fn what_is_not_a_recording_is_said_by_its_line() {
        assert!(Recording::parse("").is_err());
        let old = Recording::parse(r#"{"version": 1, "width": 80, "height": 24}"#);
        assert!(old.expect_err("v1").contains("version 1"));
        let bad = Recording::parse(
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1.0, \"r\", \"wide\"]\n",
        );
        assert!(bad.expect_err("resize").starts_with("line 2: a resize"));
        let not_json = Recording::parse(
            "{\"version\": 2, \"width\": 80, \"height\": 24}\nnope\n[1.0, \"o\", \"x\"]\n",
        );
        assert!(not_json.expect_err("json").starts_with("line 2: not JSON"));
        let cut = Recording::parse(
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1.0, \"o\", \"kept\"]\n[2.0, \"o\", \"hal",
        )
        .expect("a cut last line leaves the rest readable");
        assert!(cut.cut_short);
        assert_eq!(cut.events.len(), 1);
    }
}
