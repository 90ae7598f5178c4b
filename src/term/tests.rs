use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::Emulator;

/// Output a shell session might produce, one feature per fixture.
const FIXTURES: [(&str, &[u8]); 8] = [
    (
        "prompt and colours",
        b"\x1b[1;32muser@web-1\x1b[0m:\x1b[34m~\x1b[0m$ ls\r\nfile\r\n$ ",
    ),
    (
        "256 colours and truecolor",
        b"\x1b[38;5;208morange\x1b[0m \x1b[48;2;10;20;30mrgb-bg\x1b[0m \x1b[7minverse\x1b[0m",
    ),
    (
        "wide characters",
        "漢字 ok 🚀 done\r\n→ arrows ✓".as_bytes(),
    ),
    (
        "DEC line drawing",
        b"\x1b(0lqqqqk\r\nx    x\r\nmqqqqj\x1b(B plain q",
    ),
    (
        "cursor movement and erase",
        b"line one\r\nline two\x1b[1;6Hxx\x1b[2;1H\x1b[Kreplaced\x1b[5;5Hfar",
    ),
    (
        "alternate screen like vim",
        b"before\x1b[?1049h\x1b[2J\x1b[Hin vim\x1b[?1h\x1b[?2004h",
    ),
    (
        "scroll region",
        b"\x1b[2;4r\x1b[2;1Ha\r\nb\r\nc\r\nd\r\ne\x1b[r",
    ),
    ("title and bell", b"\x1b]0;deploy@web-1: ~\x07\x07text"),
];

fn rendered(emulator: &Emulator) -> Buffer {
    let area = Rect::new(0, 0, 30, 6);
    let mut buffer = Buffer::empty(area);
    emulator.render(area, &mut buffer, Style::default());
    buffer
}

fn screen_after(chunks: &[&[u8]]) -> (Buffer, String, Option<String>) {
    let mut emulator = Emulator::new(6, 30);
    for chunk in chunks {
        emulator.process(chunk);
    }
    let screen = emulator.screen();
    let state = format!(
        "{:?} cursor={:?} app_cursor={} paste={} alt={}",
        screen.contents(),
        screen.cursor_position(),
        screen.application_cursor(),
        screen.bracketed_paste(),
        screen.alternate_screen()
    );
    (
        rendered(&emulator),
        state,
        emulator.title().map(str::to_owned),
    )
}

#[test]
fn fixtures_split_at_every_byte_give_identical_screens() {
    for (name, bytes) in FIXTURES {
        let whole = screen_after(&[bytes]);
        for split in 0..=bytes.len() {
            let (left, right) = bytes.split_at(split);
            assert_eq!(
                screen_after(&[left, right]),
                whole,
                "{name}: split at {split}"
            );
        }
        // And one byte at a time.
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(screen_after(&singles), whole, "{name}: byte by byte");
    }
}

fn row_text(buffer: &Buffer, row: u16) -> String {
    (0..buffer.area.width)
        .map(|col| buffer[(col, row)].symbol())
        .collect::<String>()
}

#[test]
fn line_drawing_becomes_box_characters() {
    let (buffer, _, _) = screen_after(&[FIXTURES[3].1]);
    assert_eq!(row_text(&buffer, 0).trim_end(), "┌────┐");
    assert_eq!(row_text(&buffer, 1).trim_end(), "│    │");
    assert_eq!(row_text(&buffer, 2).trim_end(), "└────┘ plain q");
}

#[test]
fn colours_and_attributes_reach_the_buffer() {
    let (buffer, _, _) = screen_after(&[FIXTURES[1].1]);
    assert_eq!(buffer[(0, 0)].fg, Color::Indexed(208));
    assert_eq!(buffer[(7, 0)].bg, Color::Rgb(10, 20, 30));
    assert!(buffer[(14, 0)].modifier.contains(Modifier::REVERSED));
    let (buffer, _, _) = screen_after(&[FIXTURES[0].1]);
    assert_eq!(buffer[(0, 0)].fg, Color::Indexed(2));
    assert!(buffer[(0, 0)].modifier.contains(Modifier::BOLD));
}

#[test]
fn wide_characters_take_two_columns() {
    let (buffer, _, _) = screen_after(&[FIXTURES[2].1]);
    assert_eq!(buffer[(0, 0)].symbol(), "漢");
    assert_eq!(buffer[(2, 0)].symbol(), "字");
    assert_eq!(row_text(&buffer, 0).trim_end(), "漢字 ok 🚀 done");
}

#[test]
fn modes_and_title_are_reported() {
    let mut emulator = Emulator::new(6, 30);
    emulator.process(FIXTURES[5].1);
    let modes = emulator.key_modes();
    assert!(modes.application_cursor && modes.bracketed_paste);
    emulator.process(FIXTURES[7].1);
    assert_eq!(emulator.title(), Some("deploy@web-1: ~"));
}

#[test]
fn scrollback_keeps_history_and_clamps() {
    let mut emulator = Emulator::new(4, 20);
    for line in 0..50 {
        emulator.process(format!("line {line}\r\n").as_bytes());
    }
    emulator.scroll_by(10);
    assert_eq!(emulator.scrolled_back(), 10);
    let buffer = rendered(&emulator);
    assert_eq!(row_text(&buffer, 0).trim_end(), "line 37");
    emulator.scroll_by(1_000);
    assert_eq!(emulator.scrolled_back(), 47);
    emulator.scroll_by(-5_000);
    assert_eq!(emulator.scrolled_back(), 0);
}

/// A pane keeps the history it was given, and says when it is full (the oldest lines go).
#[test]
fn history_has_the_configured_length_and_says_when_full() {
    let mut emulator = Emulator::with_scrollback(4, 20, 30);
    for line in 0..20 {
        emulator.process(format!("line {line}\r\n").as_bytes());
    }
    assert_eq!(emulator.history_full(), None);
    for line in 20..100 {
        emulator.process(format!("line {line}\r\n").as_bytes());
    }
    assert_eq!(emulator.history_full(), Some(30));
    emulator.scroll_by(1_000);
    assert_eq!(emulator.scrolled_back(), 30, "no more than the 30 kept");
    assert_eq!(Emulator::with_scrollback(4, 20, 0).history_full(), None);
}

#[test]
fn resize_changes_the_grid() {
    let mut emulator = Emulator::new(6, 30);
    emulator.resize(10, 40);
    assert_eq!(emulator.size(), (10, 40));
    emulator.resize(0, 0);
    assert_eq!(emulator.size(), (1, 1));
}
