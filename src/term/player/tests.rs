use super::*;
use crate::term::replay::screen_text;

/// Ten minutes with a line every half second, markers at known moments, a screen clear at
/// 300 s and a resize at 400 s: what a seek anywhere must get right.
fn long_recording() -> Recording {
    let mut text = String::from("{\"version\": 2, \"width\": 40, \"height\": 6}\n");
    for tick in 1..=1200u32 {
        let at = f64::from(tick) * 0.5;
        let line = match tick {
            240 => "MARK-AT-120".to_owned(),
            600 => "\u{1b}[2J\u{1b}[HMARK-AT-300".to_owned(),
            1000 => "MARK-AT-500".to_owned(),
            _ => format!("tick {tick}"),
        };
        text.push_str(&serde_json::json!([at, "o", format!("{line}\r\n")]).to_string());
        text.push('\n');
        if tick == 800 {
            text.push_str("[400.0, \"r\", \"20x4\"]\n");
        }
    }
    Recording::parse(&text).expect("parses")
}

#[test]
fn a_seek_anywhere_shows_what_replaying_from_the_start_shows() {
    let recording = long_recording();
    let mut player = Player::new(recording.clone());
    assert!(player.keyframes() > 100, "{} keyframes", player.keyframes());
    // Back and forth, across keyframes, the clear and the resize.
    for at in [
        599.0, 0.0, 120.0, 119.9, 300.0, 450.25, 400.0, 399.9, 10.0, 600.0, 250.0, 251.0, 0.5,
    ] {
        player.seek(at);
        assert_eq!(player.position(), at);
        assert_eq!(
            screen_text(player.screen()),
            screen_text(&recording.screen_at(at)),
            "at {at}"
        );
        assert_eq!(player.screen().size(), recording.screen_at(at).size());
    }
    player.seek(1e9);
    assert_eq!(player.position(), recording.length());
    assert_eq!(player.screen().size(), (4, 20), "the resize is honoured");
}

#[test]
fn keys_step_seek_and_change_speed() {
    let mut player = Player::new(long_recording());
    player.key(Key::Char(']'));
    assert_eq!(player.position(), 60.0);
    player.key(Key::Right);
    player.key(Key::Right);
    assert_eq!(player.position(), 70.0);
    player.key(Key::Left);
    player.key(Key::Char('['));
    assert_eq!(player.position(), 5.0);
    player.key(Key::Char('G'));
    assert_eq!(player.position(), 600.0);
    assert!(!player.playing(), "the end stops time");
    player.key(Key::Char(' '));
    assert_eq!(player.position(), 0.0, "space at the end plays it again");
    assert!(player.playing());
    player.key(Key::Char(' '));
    assert!(player.paused());
    player.key(Key::Char('+'));
    player.key(Key::Char('+'));
    player.key(Key::Char('+'));
    assert_eq!(player.speed(), 8.0);
    player.key(Key::Char('-'));
    assert_eq!(player.speed(), 2.0);
    assert_eq!(player.key(Key::Char('q')), Outcome::Quit);
}

#[test]
fn playing_shortens_idle_gaps_and_honours_the_speed() {
    let recording = Recording::parse(concat!(
        "{\"version\": 2, \"width\": 20, \"height\": 3}\n",
        "[0.5, \"o\", \"one \"]\n",
        "[100.0, \"o\", \"two \"]\n",
        "[101.0, \"o\", \"three\"]\n",
    ))
    .expect("parses");
    let mut player = Player::new(recording);
    player.advance(2.0);
    assert_eq!(screen_text(player.screen()), "one\n");
    assert_eq!(player.position(), 2.0, "1.5 s into a gap shortened to 2 s");
    player.advance(0.5);
    assert_eq!(player.position(), 100.0, "the 99.5 s gap took 2 s");
    assert_eq!(screen_text(player.screen()), "one two\n");
    player.key(Key::Char('+'));
    player.advance(0.5);
    assert_eq!(player.position(), 101.0, "at 2x, half a second is one");
    assert!(!player.playing());
    player.key(Key::Char(' '));
    assert_eq!(player.position(), 0.0, "space at the end starts again");
    player.advance(1.0);
    assert_eq!(
        player.position(),
        2.0,
        "at 2x: 0.5 s to the first, 1.5 s into the gap"
    );
    player.key(Key::Char(' '));
    player.advance(5.0);
    assert_eq!(player.position(), 2.0, "paused, time stands");
}

#[test]
fn search_lands_on_the_moment_the_text_appeared_and_n_steps_through() {
    let mut player = Player::new(long_recording());
    player.seek(200.0);
    for key in keys_of(b"/MARK-AT\r") {
        player.key(key);
    }
    assert_eq!(player.position(), 300.0, "the first after the position");
    assert!(player.paused());
    assert!(screen_text(player.screen()).contains("MARK-AT-300"));
    assert!(
        player.status(120).contains("2 of 3"),
        "{}",
        player.status(120)
    );
    player.key(Key::Char('n'));
    assert_eq!(player.position(), 500.0);
    player.key(Key::Char('n'));
    assert_eq!(player.position(), 120.0, "wrapped");
    assert!(player.status(120).contains("wrapped"));
    player.key(Key::Char('N'));
    assert_eq!(player.position(), 500.0);
    for key in keys_of(b"/never there\r") {
        player.key(key);
    }
    assert!(player.status(120).contains("never printed"));
    assert_eq!(player.position(), 500.0, "a miss does not move");
    for key in keys_of(b"/abc\x7f\x7f\x1b") {
        player.key(key);
    }
    assert!(
        !player.status(120).contains("/a"),
        "escape leaves the prompt"
    );
}

#[test]
fn keys_come_from_a_panes_bytes() {
    assert_eq!(
        keys_of(b"\x1b[C\x1bOD q\x1b[1;5A/x\r\x7f\x03\x1b"),
        [
            Key::Right,
            Key::Left,
            Key::Char(' '),
            Key::Char('q'),
            Key::Char('/'),
            Key::Char('x'),
            Key::Enter,
            Key::Backspace,
            Key::Interrupt,
            Key::Escape,
        ]
    );
}

#[test]
fn a_frame_is_the_screen_cut_to_fit_and_the_status_line() {
    let mut player = Player::new(long_recording());
    player.seek(300.0);
    let frame = player.frame(4, 30);
    let mut shown = Emulator::with_scrollback(4, 30, 0);
    shown.process(&frame);
    let text = screen_text(&shown);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "MARK-AT-300");
    assert!(lines[3].contains("5:00 / 10:00"), "{text}");
    assert!(lines[3].contains('●'), "the timeline: {text}");
    assert_eq!(clock(3723.0), "1:02:03");
    assert_eq!(timeline(5.0, 10.0, 11, &[]), "━━━━━●─────");
    assert_eq!(timeline(5.0, 10.0, 11, &[2.0, 8.0]), "━━◆━━●──◆──");
}
