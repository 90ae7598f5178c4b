//! The replay player: a recording with keyframes (the screen every few seconds of it, built
//! once), where it stands, how fast it plays, search; keys in, frames out. Pure: the caller
//! says how much time went by, which keys came and how big the viewport is, and writes the
//! frame (terminal bytes) wherever the player is shown — this terminal or a console pane.

use super::Emulator;
use super::replay::{Event, Recording, moments_of};

/// Idle gaps longer than this are shortened to it when playing.
pub const LONGEST_GAP: f64 = 2.0;
/// The speeds `+` and `-` step through.
pub const SPEEDS: [f64; 3] = [1.0, 2.0, 8.0];
/// A keyframe is taken after this much recorded time or this much output, whichever comes
/// first: a seek replays at most that much from the keyframe before it.
const KEYFRAME_SECONDS: f64 = 5.0;
const KEYFRAME_BYTES: usize = 32 * 1024;
/// `←`/`→` and `[`/`]` move this far.
pub const SMALL_STEP: f64 = 5.0;
pub const BIG_STEP: f64 = 60.0;

/// What a key asks of the player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Left,
    Right,
    Enter,
    Backspace,
    Escape,
    /// ctrl-c
    Interrupt,
}

/// Whether the player goes on after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Quit,
}

/// The screen after the first `applied` events.
struct Keyframe {
    applied: usize,
    screen: vt100::Screen,
}

/// What `/` found, and which hit the player stands on.
#[derive(Debug, Default)]
struct Search {
    text: String,
    moments: Vec<f64>,
}

pub struct Player {
    recording: Recording,
    keyframes: Vec<Keyframe>,
    screen: Emulator,
    /// Events applied to `screen`.
    applied: usize,
    /// Seconds from the recording's start.
    position: f64,
    speed: usize,
    paused: bool,
    search: Search,
    /// The search being typed after `/`.
    prompt: Option<String>,
    /// A line for the status bar (what a search found).
    message: String,
}

impl Player {
    /// Builds the keyframes (one pass over the recording) and stands at its start, playing.
    pub fn new(recording: Recording) -> Player {
        let mut scratch = Emulator::with_scrollback(recording.rows, recording.cols, 0);
        let mut keyframes = vec![Keyframe {
            applied: 0,
            screen: scratch.snapshot(),
        }];
        let (mut since_at, mut since_bytes) = (0.0, 0usize);
        for (index, (at, event)) in recording.events.iter().enumerate() {
            if at - since_at >= KEYFRAME_SECONDS || since_bytes >= KEYFRAME_BYTES {
                keyframes.push(Keyframe {
                    applied: index,
                    screen: scratch.snapshot(),
                });
                (since_at, since_bytes) = (*at, 0);
            }
            since_bytes += apply(&mut scratch, event);
        }
        let screen = Emulator::with_scrollback(recording.rows, recording.cols, 0);
        let message = if recording.cut_short {
            "its last line was cut short (the recording was not finished)".to_owned()
        } else {
            String::new()
        };
        Player {
            recording,
            keyframes,
            screen,
            applied: 0,
            position: 0.0,
            speed: 0,
            paused: false,
            search: Search::default(),
            prompt: None,
            message,
        }
    }

    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    /// Seconds from the start.
    pub fn position(&self) -> f64 {
        self.position
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed]
    }

    /// The recorded screen at the position.
    pub fn screen(&self) -> &Emulator {
        &self.screen
    }

    pub fn keyframes(&self) -> usize {
        self.keyframes.len()
    }

    /// Whether time moves: playing and not at the end.
    pub fn playing(&self) -> bool {
        !self.paused && !self.at_end()
    }

    fn at_end(&self) -> bool {
        self.applied >= self.recording.events.len()
    }

    /// Plays at the speed of [`SPEEDS`] nearest `speed`.
    pub fn set_speed(&mut self, speed: f64) {
        let distance = |index: usize| (SPEEDS[index] - speed).abs();
        self.speed = (0..SPEEDS.len())
            .min_by(|a, b| distance(*a).total_cmp(&distance(*b)))
            .unwrap_or(0);
    }

    /// Stands at `seconds`, paused (a moment `bosun recordings search` named).
    pub fn start_at(&mut self, seconds: f64) {
        self.seek(seconds);
        self.paused = true;
    }

    /// Moves to `seconds` from the start (clamped): the screen is the keyframe before it with
    /// the events up to it applied.
    pub fn seek(&mut self, seconds: f64) {
        let to = seconds.clamp(0.0, self.recording.length());
        let events = &self.recording.events;
        // Events at or before `to` are shown; the first after it is not.
        let upto = events.partition_point(|(at, _)| *at <= to);
        let keyframe = self.keyframes.partition_point(|k| k.applied <= upto) - 1;
        let keyframe = &self.keyframes[keyframe];
        // Going on from here is cheaper when no keyframe lies between.
        if !(self.applied <= upto && keyframe.applied <= self.applied) {
            self.screen.restore(&keyframe.screen);
            self.applied = keyframe.applied;
        }
        while self.applied < upto {
            apply(&mut self.screen, &events[self.applied].1);
            self.applied += 1;
        }
        self.position = to;
    }

    /// `wall` seconds went by: plays that much (times the speed), idle gaps over
    /// [`LONGEST_GAP`] shortened to it. At the end it stops there.
    pub fn advance(&mut self, wall: f64) {
        if self.paused {
            return;
        }
        let mut budget = wall * self.speed();
        let events = &self.recording.events;
        while let Some((next, event)) = events.get(self.applied) {
            let previous = match self.applied {
                0 => 0.0,
                n => events[n - 1].0,
            };
            let waited = (self.position - previous).max(0.0);
            let wait = ((next - previous).min(LONGEST_GAP) - waited).max(0.0);
            if budget < wait {
                self.position += budget;
                return;
            }
            budget -= wait;
            apply(&mut self.screen, event);
            self.applied += 1;
            self.position = *next;
        }
        self.position = self.recording.length();
    }

    /// Takes keys (the pane's bytes, decoded by [`keys_of`], or a terminal's key events).
    pub fn key(&mut self, key: Key) -> Outcome {
        if let Some(prompt) = &mut self.prompt {
            match key {
                Key::Char(c) => prompt.push(c),
                Key::Backspace => {
                    prompt.pop();
                }
                Key::Enter => {
                    let text = std::mem::take(prompt);
                    self.prompt = None;
                    self.find(text);
                }
                Key::Escape | Key::Interrupt => self.prompt = None,
                Key::Left | Key::Right => {}
            }
            return Outcome::Continue;
        }
        // What a search said holds until another key moves the player.
        if !matches!(
            key,
            Key::Char('n' | 'N' | '/' | ' ' | '+' | '=' | '-' | '_')
        ) {
            self.message.clear();
        }
        match key {
            Key::Char('q') | Key::Interrupt => return Outcome::Quit,
            Key::Char(' ') => {
                if self.at_end() {
                    // At the end, space plays it again.
                    self.seek(0.0);
                    self.paused = false;
                } else {
                    self.paused = !self.paused;
                }
            }
            Key::Char('+' | '=') => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Key::Char('-' | '_') => self.speed = self.speed.saturating_sub(1),
            Key::Right | Key::Char('l') => self.seek(self.position + SMALL_STEP),
            Key::Left | Key::Char('h') => self.seek(self.position - SMALL_STEP),
            Key::Char(']') => self.seek(self.position + BIG_STEP),
            Key::Char('[') => self.seek(self.position - BIG_STEP),
            Key::Char('g') => self.seek(0.0),
            Key::Char('G') => self.seek(self.recording.length()),
            Key::Char('/') => self.prompt = Some(String::new()),
            Key::Char('n') => self.hit(true),
            Key::Char('N') => self.hit(false),
            _ => {}
        }
        Outcome::Continue
    }

    /// Searches for `text` and stands, paused, on its first appearance from here on (or the
    /// first of all when none comes later).
    fn find(&mut self, text: String) {
        if text.is_empty() {
            return;
        }
        let moments = moments_of(&self.recording, &text);
        self.search = Search { text, moments };
        if self.search.moments.is_empty() {
            self.message = format!("{:?} is never printed", self.search.text);
            return;
        }
        let at = self
            .search
            .moments
            .iter()
            .copied()
            .find(|at| *at >= self.position)
            .unwrap_or(self.search.moments[0]);
        self.stand_on(at);
    }

    /// `n` (forward) or `N`: the next appearance after (before) the position, wrapping.
    fn hit(&mut self, forward: bool) {
        let moments = &self.search.moments;
        if moments.is_empty() {
            self.message = if self.search.text.is_empty() {
                "/ searches first".to_owned()
            } else {
                format!("{:?} is never printed", self.search.text)
            };
            return;
        }
        let at = if forward {
            moments.iter().copied().find(|at| *at > self.position)
        } else {
            moments.iter().rev().copied().find(|at| *at < self.position)
        };
        let wrapped = at.is_none();
        let at = at.unwrap_or(if forward {
            moments[0]
        } else {
            moments[moments.len() - 1]
        });
        self.stand_on(at);
        if wrapped {
            self.message.push_str(" (wrapped)");
        }
    }

    fn stand_on(&mut self, at: f64) {
        self.seek(at);
        self.paused = true;
        let moments = &self.search.moments;
        let index = moments.iter().position(|m| *m >= at).unwrap_or(0);
        self.message = format!(
            "{:?} {} of {} at {}",
            self.search.text,
            index + 1,
            moments.len(),
            clock(at)
        );
    }

    /// The status line, `width` columns: play state, speed, time, the timeline, and what a
    /// search found or the prompt being typed.
    pub fn status(&self, width: u16) -> String {
        let width = usize::from(width);
        let state = if self.at_end() && !self.paused {
            "■"
        } else if self.paused {
            "❚❚"
        } else {
            "▶"
        };
        let left = format!(
            " {state} {}× {} / {} ",
            self.speed(),
            clock(self.position),
            clock(self.recording.length())
        );
        const HELP: &str = " space pause  ←→ 5s  [ ] 1m  +- speed  / search  q quit ";
        let right = match &self.prompt {
            Some(text) => format!(" /{text}█ "),
            None if !self.message.is_empty() => format!(" {} ", self.message),
            // The help only where the timeline still has room beside it.
            None if left.chars().count() + HELP.chars().count() + 20 <= width => HELP.to_owned(),
            None => String::new(),
        };
        let used = left.chars().count() + right.chars().count();
        let bar = width.saturating_sub(used);
        let timeline = if bar >= 10 {
            timeline(
                self.position,
                self.recording.length(),
                bar,
                &self.search.moments,
            )
        } else {
            " ".repeat(bar)
        };
        let mut line = format!("{left}{timeline}{right}");
        if line.chars().count() > width {
            line = line.chars().take(width).collect();
        }
        line
    }

    /// The whole viewport, `rows`×`cols`, as terminal bytes: the recorded screen from its
    /// top-left corner (cut to fit), the status line at the bottom.
    pub fn frame(&self, rows: u16, cols: u16) -> Vec<u8> {
        let mut out = Vec::with_capacity(usize::from(rows) * usize::from(cols) * 2);
        out.extend_from_slice(b"\x1b[?25l\x1b[0m");
        let shown = rows.saturating_sub(1);
        let screen = self.screen.screen();
        let mut lines = screen.rows_formatted(0, cols);
        for row in 0..shown {
            // Cleared first: erasing after a full row would take its last character.
            out.extend_from_slice(format!("\x1b[{};1H\x1b[0m\x1b[2K", row + 1).as_bytes());
            if let Some(line) = lines.next() {
                out.extend_from_slice(line.as_bytes());
            }
        }
        if rows > 0 {
            out.extend_from_slice(format!("\x1b[{rows};1H\x1b[0m\x1b[2K\x1b[7m").as_bytes());
            let status = self.status(cols);
            let pad = usize::from(cols).saturating_sub(status.chars().count());
            out.extend_from_slice(status.as_bytes());
            out.extend(std::iter::repeat_n(b' ', pad));
            out.extend_from_slice(b"\x1b[0m");
        }
        out
    }
}

/// Applies one event to `screen`; the output bytes it carried.
fn apply(screen: &mut Emulator, event: &Event) -> usize {
    match event {
        Event::Output(text) => {
            screen.process(text.as_bytes());
            text.len()
        }
        Event::Resize { cols, rows } => {
            screen.resize(*rows, *cols);
            0
        }
        Event::Marker(_) => 0,
    }
}

/// `━━━━●──◆──` over `width` columns: the dot where `position` stands in `length`, a diamond
/// where the search found its text.
fn timeline(position: f64, length: f64, width: usize, hits: &[f64]) -> String {
    let column = |at: f64| {
        let fraction = if length > 0.0 {
            (at / length).clamp(0.0, 1.0)
        } else {
            1.0
        };
        ((width - 1) as f64 * fraction).round() as usize
    };
    let dot = column(position);
    let mut bar: Vec<char> = (0..width)
        .map(|at| if at < dot { '━' } else { '─' })
        .collect();
    for hit in hits {
        bar[column(*hit)] = '◆';
    }
    bar[dot] = '●';
    bar.into_iter().collect()
}

/// `1:02:03` or `2:03`.
pub fn clock(seconds: f64) -> String {
    let whole = seconds.max(0.0) as u64;
    match whole / 3600 {
        0 => format!("{}:{:02}", whole / 60, whole % 60),
        hours => format!("{hours}:{:02}:{:02}", (whole / 60) % 60, whole % 60),
    }
}

/// The keys a pane's bytes carry: characters, arrows (`ESC [ C`, `ESC O C`), Enter,
/// backspace, a lone escape, ctrl-c. Other sequences are dropped.
pub fn keys_of(bytes: &[u8]) -> Vec<Key> {
    let text = String::from_utf8_lossy(bytes);
    let mut keys = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        keys.push(match c {
            '\u{1b}' => match chars.peek() {
                Some('[' | 'O') => {
                    chars.next();
                    // Parameters, then the final byte.
                    let mut last = None;
                    for c in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&c) {
                            last = Some(c);
                            break;
                        }
                    }
                    match last {
                        Some('C') => Key::Right,
                        Some('D') => Key::Left,
                        _ => continue,
                    }
                }
                _ => Key::Escape,
            },
            '\r' | '\n' => Key::Enter,
            '\u{7f}' | '\u{8}' => Key::Backspace,
            '\u{3}' => Key::Interrupt,
            c if c.is_control() => continue,
            c => Key::Char(c),
        });
    }
    keys
}

#[cfg(test)]
mod tests;
