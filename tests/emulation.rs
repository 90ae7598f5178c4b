//! The pane emulator checked against a reference terminal. Fixtures recorded from real
//! programs (`scripts/record-terminal-fixtures`: vim, less, top, a coloured `ls`, `git log
//! --graph`, a whiptail box, 256-colour and truecolor tests, wide characters, attributes) are
//! replayed into bosun's emulator and into tmux at the same size. tmux's screen is read back
//! (`capture-pane -e`) by a reader of this file's own, which shares nothing with bosun's: a
//! small SGR parser and a width table. Against it, cell for cell, both what the emulator holds
//! (its vt100 model) and what the console draws of it (the ratatui buffer `Emulator::render`
//! fills, as a pane is drawn) must show the same text, colours and attributes, and the cursor
//! must be in the same place. The fixtures were verified with tmux `TMUX_VERIFIED`; another
//! version is named in the failure, since tmux's own rendering may differ.
//!
//! Accepted differences: strikethrough (SGR 9) and blink (SGR 5) are not shown by the console
//! (vt100 does not model them; the reference reads them, and they are left out of the
//! comparison); concealed text (SGR 8) is blank in both (`term/charset.rs` hides it); past the
//! end of a captured line tmux reports erased cells without the background they were erased
//! with (back-colour erase), so only their text is compared there; and a blank's foreground
//! colour, boldness or italics cannot be seen, so a blank is compared by what shows of it:
//! background, reverse video, underline.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use bosun::term::Emulator;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

/// The tmux the fixtures were verified with (`tmux -V`).
const TMUX_VERIFIED: &str = "tmux 3.3a";

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

/// A colour as a screen shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Colour {
    #[default]
    Default,
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// What a cell shows.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Shown {
    text: String,
    fg: Colour,
    bg: Colour,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    inverse: bool,
    wide: bool,
}

/// The attributes an SGR sequence sets, as the reference reads them.
#[derive(Clone, Default)]
struct Pen {
    shown: Shown,
    concealed: bool,
}

impl Pen {
    /// Applies one `ESC [ … m`'s parameters (`;`-separated; `:` sub-parameters as tmux writes
    /// them for colours).
    fn apply(&mut self, parameters: &str) {
        let numbers: Vec<u16> = if parameters.is_empty() {
            vec![0]
        } else {
            parameters
                .split([';', ':'])
                .map(|n| n.parse().unwrap_or(0))
                .collect()
        };
        let mut at = 0;
        while at < numbers.len() {
            let n = numbers[at];
            at += 1;
            let pen = &mut self.shown;
            match n {
                0 => *self = Pen::default(),
                1 => pen.bold = true,
                2 => pen.dim = true,
                3 => pen.italic = true,
                4 => pen.underline = true,
                7 => pen.inverse = true,
                8 => self.concealed = true,
                22 => (pen.bold, pen.dim) = (false, false),
                23 => pen.italic = false,
                24 => pen.underline = false,
                27 => pen.inverse = false,
                28 => self.concealed = false,
                30..=37 => pen.fg = Colour::Indexed((n - 30) as u8),
                39 => pen.fg = Colour::Default,
                40..=47 => pen.bg = Colour::Indexed((n - 40) as u8),
                49 => pen.bg = Colour::Default,
                90..=97 => pen.fg = Colour::Indexed((n - 90 + 8) as u8),
                100..=107 => pen.bg = Colour::Indexed((n - 100 + 8) as u8),
                38 | 48 => {
                    let colour = match numbers.get(at) {
                        Some(5) => {
                            at += 2;
                            Colour::Indexed(numbers.get(at - 1).copied().unwrap_or(0) as u8)
                        }
                        Some(2) => {
                            let c = |i: usize| numbers.get(at + i).copied().unwrap_or(0) as u8;
                            let rgb = Colour::Rgb(c(1), c(2), c(3));
                            at += 4;
                            rgb
                        }
                        _ => Colour::Default,
                    };
                    if n == 38 {
                        pen.fg = colour;
                    } else {
                        pen.bg = colour;
                    }
                }
                // Blink (5, 25) and strikethrough (9, 29) are read and not compared.
                _ => {}
            }
        }
    }
}

/// Columns a character takes: two for East Asian wide and fullwidth characters and emoji,
/// one otherwise (the ranges the fixtures use, from Unicode's East Asian Width property).
fn width(c: char) -> u16 {
    let wide = [
        (0x1100, 0x115F),
        (0x2E80, 0x303E),
        (0x3041, 0x33FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF),
        (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF),
        (0xFE30, 0xFE4F),
        (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6),
        (0x1F300, 0x1F64F),
        (0x1F680, 0x1F6FF),
        (0x1F900, 0x1F9FF),
        (0x20000, 0x3FFFD),
    ];
    let code = u32::from(c);
    if wide.iter().any(|&(from, to)| (from..=to).contains(&code)) {
        2
    } else {
        1
    }
}

/// tmux's screen as its capture shows it: each cell, and how far each line reaches (past it,
/// tmux reports erased cells without their background, so only their text is compared).
struct Reference {
    cells: Vec<Vec<Shown>>,
    reach: Vec<u16>,
}

fn read_capture(capture: &str) -> Reference {
    let blank = Shown {
        text: " ".into(),
        ..Shown::default()
    };
    let mut cells = vec![vec![blank; usize::from(COLS)]; usize::from(ROWS)];
    let mut reach = vec![0; usize::from(ROWS)];
    // The capture writes attribute changes only: a line goes on in the attributes the one
    // before it ended in.
    let mut pen = Pen::default();
    for (row, line) in capture.lines().take(usize::from(ROWS)).enumerate() {
        let mut col = 0u16;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                assert_eq!(chars.next(), Some('['), "only SGR sequences in a capture");
                let mut parameters = String::new();
                for p in chars.by_ref() {
                    if p == 'm' {
                        break;
                    }
                    assert!(
                        p.is_ascii_digit() || p == ';' || p == ':',
                        "SGR only: {p:?}"
                    );
                    parameters.push(p);
                }
                pen.apply(&parameters);
                continue;
            }
            let columns = width(c);
            if col + columns > COLS {
                break;
            }
            let cell = &mut cells[row][usize::from(col)];
            *cell = pen.shown.clone();
            cell.text = if pen.concealed {
                " ".into()
            } else {
                c.to_string()
            };
            cell.wide = columns == 2;
            if columns == 2 {
                cells[row][usize::from(col) + 1].text = String::new();
            }
            col += columns;
        }
        reach[row] = col;
    }
    Reference { cells, reach }
}

/// `path` replayed into a tmux pane of the same size; its screen as the capture shows it, and
/// its cursor (row, column).
fn tmux_screen(name: &str, path: &std::path::Path) -> (Reference, (u16, u16)) {
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
    (read_capture(&capture), (y, x))
}

fn from_vt100(colour: vt100::Color) -> Colour {
    match colour {
        vt100::Color::Default => Colour::Default,
        vt100::Color::Idx(i) => Colour::Indexed(i),
        vt100::Color::Rgb(r, g, b) => Colour::Rgb(r, g, b),
    }
}

/// What the emulator's model holds, cell by cell.
fn model(emulator: &Emulator) -> Vec<Vec<Shown>> {
    let screen = emulator.screen();
    (0..ROWS)
        .map(|row| {
            (0..COLS)
                .map(|col| {
                    let Some(c) = screen.cell(row, col) else {
                        return Shown::default();
                    };
                    let text = c.contents();
                    Shown {
                        text: if text.is_empty() && !c.is_wide_continuation() {
                            " ".into()
                        } else {
                            text.to_owned()
                        },
                        fg: from_vt100(c.fgcolor()),
                        bg: from_vt100(c.bgcolor()),
                        bold: c.bold(),
                        dim: c.dim(),
                        italic: c.italic(),
                        underline: c.underline(),
                        inverse: c.inverse(),
                        wide: c.is_wide(),
                    }
                })
                .collect()
        })
        .collect()
}

fn from_ratatui(colour: Option<Color>) -> Colour {
    match colour {
        None | Some(Color::Reset) => Colour::Default,
        Some(Color::Indexed(i)) => Colour::Indexed(i),
        Some(Color::Rgb(r, g, b)) => Colour::Rgb(r, g, b),
        Some(other) => panic!("a pane draws no named colour: {other:?}"),
    }
}

/// What the console draws of the emulator: the buffer a pane's drawing fills, cell by cell,
/// and where it puts the cursor.
fn drawn(emulator: &Emulator) -> (Vec<Vec<Shown>>, Option<(u16, u16)>) {
    let area = Rect::new(0, 0, COLS, ROWS);
    let mut buffer = Buffer::empty(area);
    let cursor = emulator.render(area, &mut buffer, Style::default());
    let cells = (0..ROWS)
        .map(|row| {
            (0..COLS)
                .map(|col| {
                    let cell = &buffer[(col, row)];
                    let modifiers = cell.modifier;
                    let next = (col + 1 < COLS).then(|| buffer[(col + 1, row)].symbol());
                    Shown {
                        text: cell.symbol().to_owned(),
                        fg: from_ratatui(Some(cell.fg)),
                        bg: from_ratatui(Some(cell.bg)),
                        bold: modifiers.contains(Modifier::BOLD),
                        dim: modifiers.contains(Modifier::DIM),
                        italic: modifiers.contains(Modifier::ITALIC),
                        underline: modifiers.contains(Modifier::UNDERLINED),
                        inverse: modifiers.contains(Modifier::REVERSED),
                        wide: next == Some("") && !cell.symbol().is_empty(),
                    }
                })
                .collect()
        })
        .collect();
    (cells, cursor.map(|p| (p.y, p.x)))
}

/// Where `ours` and the reference differ, one line per cell.
fn differences(ours: &[Vec<Shown>], reference: &Reference) -> Vec<String> {
    let mut found = Vec::new();
    for (row, (line, reference_line)) in ours.iter().zip(&reference.cells).enumerate() {
        for (col, (a, b)) in line.iter().zip(reference_line).enumerate() {
            // What shows of a blank: its background, reverse video, an underline.
            let blank = |c: &Shown| (c.bg, c.inverse, c.underline);
            let differ = if col >= usize::from(reference.reach[row]) {
                a.text != b.text
            } else if a.text == " " && b.text == " " {
                blank(a) != blank(b)
            } else {
                a != b
            };
            if differ {
                found.push(format!("row {row} col {col}: bosun {a:?} / tmux {b:?}"));
            }
        }
    }
    found
}

#[test]
fn real_programs_look_the_same_as_in_tmux() {
    let version = tmux("bosun-emulation-version", &["-V"]);
    assert_eq!(
        version.trim(),
        TMUX_VERIFIED,
        "the fixtures were verified against {TMUX_VERIFIED}; with another tmux, check its \
         differences by hand (scripts/record-terminal-fixtures) and name it here"
    );
    let mut failures = Vec::new();
    for name in FIXTURES {
        let (path, bytes) = fixture(name);
        let mut emulator = Emulator::new(ROWS, COLS);
        // In protocol-sized chunks, as a pane receives them.
        for chunk in bytes.chunks(1024) {
            emulator.process(chunk);
        }
        let (reference, cursor) = tmux_screen(name, &path);
        let (buffer, drawn_cursor) = drawn(&emulator);
        for (what, cells) in [("model", model(&emulator)), ("drawn", buffer)] {
            let found = differences(&cells, &reference);
            if !found.is_empty() {
                failures.push(format!(
                    "{name} ({what}): {} cells differ, first: {}",
                    found.len(),
                    found.iter().take(4).cloned().collect::<Vec<_>>().join("; ")
                ));
            }
        }
        if emulator.screen().cursor_position() != cursor {
            failures.push(format!(
                "{name}: cursor at {:?}, tmux at {cursor:?}",
                emulator.screen().cursor_position()
            ));
        }
        if drawn_cursor.is_some_and(|at| at != cursor) {
            failures.push(format!(
                "{name}: the cursor drawn at {drawn_cursor:?}, tmux at {cursor:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The reference reader itself, on a capture written by hand: colours in each form tmux
/// writes, attributes on and off, concealed text, wide characters.
#[test]
fn the_reference_reads_a_capture_as_written() {
    let capture = "\x1b[1;31mab\x1b[22;39m c\x1b[38;5;200;48;2;1;2;3md\x1b[0m漢e\x1b[8mhid\x1b[28m!\n\x1b[7mx";
    let screen = read_capture(capture);
    let row = &screen.cells[0];
    assert_eq!(
        (row[0].text.as_str(), row[0].bold, row[0].fg),
        ("a", true, Colour::Indexed(1))
    );
    assert_eq!(
        (row[2].text.as_str(), row[2].bold, row[2].fg),
        (" ", false, Colour::Default)
    );
    assert_eq!(row[4].fg, Colour::Indexed(200));
    assert_eq!(row[4].bg, Colour::Rgb(1, 2, 3));
    assert_eq!(
        (row[5].text.as_str(), row[5].wide, row[5].bg),
        ("漢", true, Colour::Default)
    );
    assert_eq!(row[6].text, "");
    assert_eq!(row[7].text, "e");
    assert_eq!(row[8].text, " ", "concealed");
    assert_eq!(row[11].text, "!");
    assert_eq!(screen.reach[0], 12);
    assert!(screen.cells[1][0].inverse);
}
