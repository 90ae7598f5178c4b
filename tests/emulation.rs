//! The pane emulator checked against a reference terminal. Fixtures recorded from real
//! programs (`scripts/record-terminal-fixtures`: vim, less, top, a coloured `ls`, `git log
//! --graph`, a whiptail box, 256-colour and truecolor tests, wide characters, attributes) are
//! replayed into bosun's emulator and into tmux at the same size; text, colours and attributes
//! must match cell for cell, and the cursor must be in the same place.
//!
//! Accepted differences: strikethrough (SGR 9) and blink (SGR 5) are drawn as plain text, as
//! vt100 does not model them (nor does this comparison: tmux's screen is read back through the
//! same SGR vocabulary); concealed text (SGR 8) is blank in both (`term/charset.rs` hides it); past the end of a captured line tmux reports erased cells without the
//! background they were erased with (back-colour erase), so only their text is compared there;
//! and a blank's foreground colour, boldness or italics cannot be seen, so a blank is compared
//! by what shows of it: background, reverse video, underline.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use bosun::term::Emulator;

const ROWS: u16 = 30;
const COLS: u16 = 100;
const FIXTURES: [&str; 9] = [
    "vim",
    "less",
    "top",
    "ls-colours",
    "git-graph",
    "whiptail",
    "colours",
    "wide",
    "attributes",
];

fn fixture(name: &str) -> (std::path::PathBuf, Vec<u8>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/terminal")
        .join(format!("{name}.out"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, bytes)
}

fn tmux(socket: &str, args: &[&str]) -> String {
    // Sealed: no TMUX, TMUX_TMPDIR or SHELL of the runner's reaches the reference terminal.
    let output = Command::new("tmux")
        .env_clear()
        .envs(common::sealed_env())
        .args(["-L", socket, "-f", "/dev/null"])
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("tmux is the reference terminal here (apt-get install tmux): {e}")
        });
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `path` replayed into a tmux pane of the same size, its screen read back (capture-pane with
/// attributes) into a plain vt100 screen, and its cursor.
fn tmux_screen(name: &str, path: &std::path::Path) -> (Emulator, (u16, u16), Vec<u16>) {
    let socket = format!("bosun-emulation-{}-{name}", std::process::id());
    // No output processing on the way: the bytes reach tmux as the program sent them.
    // Nor echo: tmux answers the programs' queries (device attributes, cursor position) into
    // the pane's input, which the replaying shell must not print.
    let command = format!("stty -opost -echo; cat '{}'; sleep 60", path.display());
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-x",
            &COLS.to_string(),
            "-y",
            &ROWS.to_string(),
            &command,
        ],
    );
    // Read until two captures a moment apart agree.
    let started = Instant::now();
    let mut last = String::new();
    let capture = loop {
        std::thread::sleep(Duration::from_millis(150));
        let now = tmux(&socket, &["capture-pane", "-p", "-e", "-N"]);
        if now == last && !now.is_empty() || started.elapsed() > Duration::from_secs(10) {
            break now;
        }
        last = now;
    };
    let cursor = tmux(
        &socket,
        &["display-message", "-p", "#{cursor_x} #{cursor_y}"],
    );
    tmux(&socket, &["kill-server"]);
    let mut xy = cursor
        .split_whitespace()
        .map(|n| n.parse::<u16>().unwrap_or_default());
    let (x, y) = (xy.next().unwrap_or(0), xy.next().unwrap_or(0));
    // Read back through the pane emulator, so that tmux's concealed cells (the capture writes
    // their text under SGR 8) count as the blanks tmux shows.
    let mut parser = Emulator::new(ROWS, COLS);
    // How far each captured line reaches: past it, tmux reports erased cells without their
    // background (the capture drops it), so only their text is compared there.
    let mut reach = vec![0; usize::from(ROWS)];
    for (row, line) in capture.lines().take(usize::from(ROWS)).enumerate() {
        // The capture only writes attribute changes: a line goes on in the attributes the
        // one before it ended in.
        parser.process(format!("\x1b[{};1H", row + 1).as_bytes());
        parser.process(line.as_bytes());
        reach[row] = parser.screen().cursor_position().1;
        if parser.screen().cursor_position().0 != u16::try_from(row).unwrap_or(0) {
            reach[row] = COLS;
        }
    }
    (parser, (y, x), reach)
}

/// Where bosun's screen and the reference differ, one line per cell (at most a few).
fn differences(ours: &vt100::Screen, reference: &vt100::Screen, reach: &[u16]) -> Vec<String> {
    let mut found = Vec::new();
    for row in 0..ROWS {
        for col in 0..COLS {
            let (Some(a), Some(b)) = (ours.cell(row, col), reference.cell(row, col)) else {
                continue;
            };
            let text = |c: &vt100::Cell| {
                let t = c.contents();
                if t.is_empty() {
                    " ".to_owned()
                } else {
                    t.to_owned()
                }
            };
            let facts = |c: &vt100::Cell| {
                (
                    text(c),
                    c.fgcolor(),
                    c.bgcolor(),
                    c.bold(),
                    c.dim(),
                    c.italic(),
                    c.underline(),
                    c.inverse(),
                    c.is_wide(),
                )
            };
            // What shows of a blank: its background, reverse video, an underline.
            let blank = |c: &vt100::Cell| (c.bgcolor(), c.inverse(), c.underline());
            let differ = if col >= reach[usize::from(row)] {
                text(a) != text(b)
            } else if text(a) == " " && text(b) == " " {
                blank(a) != blank(b)
            } else {
                facts(a) != facts(b)
            };
            if differ {
                found.push(format!(
                    "row {row} col {col}: bosun {:?} / tmux {:?}",
                    facts(a),
                    facts(b)
                ));
            }
        }
    }
    found
}

#[test]
fn real_programs_look_the_same_as_in_tmux() {
    let mut failures = Vec::new();
    for name in FIXTURES {
        let (path, bytes) = fixture(name);
        let mut emulator = Emulator::new(ROWS, COLS);
        // In protocol-sized chunks, as a pane receives them.
        for chunk in bytes.chunks(1024) {
            emulator.process(chunk);
        }
        let (reference, cursor, reach) = tmux_screen(name, &path);
        let found = differences(emulator.screen(), reference.screen(), &reach);
        if !found.is_empty() {
            failures.push(format!(
                "{name}: {} cells differ, first: {}",
                found.len(),
                found.iter().take(4).cloned().collect::<Vec<_>>().join("; ")
            ));
        }
        if emulator.screen().cursor_position() != cursor {
            failures.push(format!(
                "{name}: cursor at {:?}, tmux at {cursor:?}",
                emulator.screen().cursor_position()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
