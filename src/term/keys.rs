//! Keys and pastes to the bytes an xterm sends, so programs in a pane see what they would see
//! in a real terminal: control characters, Alt as an ESC prefix, cursor keys in normal or
//! application mode (DECCKM), xterm's `1;m` modifier parameters, function keys, and bracketed
//! paste when the program asked for it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The terminal modes key encoding depends on, read from the pane's emulator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyModes {
    /// DECCKM: cursor keys send `ESC O x` instead of `ESC [ x`.
    pub application_cursor: bool,
    /// The program enabled bracketed paste (`ESC [ ? 2004 h`).
    pub bracketed_paste: bool,
}

/// xterm's modifier parameter: 1 + shift + 2·alt + 4·ctrl; `None` without modifiers.
fn modifier_parameter(modifiers: KeyModifiers) -> Option<u8> {
    let value = 1
        + u8::from(modifiers.contains(KeyModifiers::SHIFT))
        + 2 * u8::from(modifiers.contains(KeyModifiers::ALT))
        + 4 * u8::from(modifiers.contains(KeyModifiers::CONTROL));
    (value > 1).then_some(value)
}

/// The control character Ctrl+`c` sends, as xterm maps it.
fn control_character(c: char) -> Option<u8> {
    match c {
        'a'..='z' => Some(c as u8 - b'a' + 1),
        'A'..='Z' => Some(c as u8 - b'A' + 1),
        '@' | ' ' | '2' => Some(0x00),
        '[' | '3' => Some(0x1b),
        '\\' | '4' => Some(0x1c),
        ']' | '5' => Some(0x1d),
        '^' | '6' => Some(0x1e),
        '_' | '-' | '7' => Some(0x1f),
        '?' | '8' => Some(0x7f),
        _ => None,
    }
}

/// The bytes for `key`, or `None` for keys a terminal sends nothing for.
pub fn encode_key(key: KeyEvent, modes: KeyModes) -> Option<Vec<u8>> {
    let modifiers = key.modifiers;
    let alt = modifiers.contains(KeyModifiers::ALT);
    let ctrl = modifiers.contains(KeyModifiers::CONTROL);
    // Keys with a plain-byte encoding take Alt as an ESC prefix.
    let plain = |bytes: Vec<u8>| {
        if alt {
            let mut prefixed = vec![0x1b];
            prefixed.extend(bytes);
            prefixed
        } else {
            bytes
        }
    };
    let csi = |body: &str| format!("\x1b[{body}").into_bytes();
    // Cursor-style keys: `ESC [ x` (or `ESC O x` in application mode), `ESC [ 1 ; m x` with
    // modifiers.
    let cursor = |final_byte: char, application: bool| match modifier_parameter(modifiers) {
        Some(m) => csi(&format!("1;{m}{final_byte}")),
        None if application => format!("\x1bO{final_byte}").into_bytes(),
        None => csi(&final_byte.to_string()),
    };
    // Tilde keys: `ESC [ n ~`, `ESC [ n ; m ~` with modifiers.
    let tilde = |number: u8| match modifier_parameter(modifiers) {
        Some(m) => csi(&format!("{number};{m}~")),
        None => csi(&format!("{number}~")),
    };
    let bytes = match key.code {
        KeyCode::Char(c) if ctrl => plain(vec![control_character(c)?]),
        KeyCode::Char(c) => plain(c.to_string().into_bytes()),
        KeyCode::Enter => plain(vec![b'\r']),
        KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => csi("Z"),
        KeyCode::Tab => plain(vec![b'\t']),
        KeyCode::BackTab => csi("Z"),
        KeyCode::Backspace if ctrl => plain(vec![0x08]),
        KeyCode::Backspace => plain(vec![0x7f]),
        KeyCode::Esc => plain(vec![0x1b]),
        KeyCode::Up => cursor('A', modes.application_cursor),
        KeyCode::Down => cursor('B', modes.application_cursor),
        KeyCode::Right => cursor('C', modes.application_cursor),
        KeyCode::Left => cursor('D', modes.application_cursor),
        KeyCode::Home => cursor('H', modes.application_cursor),
        KeyCode::End => cursor('F', modes.application_cursor),
        KeyCode::Insert => tilde(2),
        KeyCode::Delete => tilde(3),
        KeyCode::PageUp => tilde(5),
        KeyCode::PageDown => tilde(6),
        // F1–F4 are SS3 keys: `ESC O P` plain, `ESC [ 1 ; m P` with modifiers.
        KeyCode::F(n @ 1..=4) => cursor(char::from(b'P' + n - 1), true),
        KeyCode::F(n) => tilde(match n {
            5 => 15,
            6 => 17,
            7 => 18,
            8 => 19,
            9 => 20,
            10 => 21,
            11 => 23,
            12 => 24,
            _ => return None,
        }),
        _ => return None,
    };
    Some(bytes)
}

/// The bytes for pasted `text`: line ends become carriage returns (what a terminal sends for
/// Enter), wrapped in `ESC [ 200 ~` … `ESC [ 201 ~` when the program asked for bracketed
/// paste. An end marker inside the text is dropped so a paste cannot break out early.
pub fn encode_paste(text: &str, modes: KeyModes) -> Vec<u8> {
    let normalised = text.replace("\r\n", "\r").replace('\n', "\r");
    if modes.bracketed_paste {
        let inner = normalised.replace("\x1b[201~", "");
        format!("\x1b[200~{inner}\x1b[201~").into_bytes()
    } else {
        normalised.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
    const ALT: KeyModifiers = KeyModifiers::ALT;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;

    fn encoded(code: KeyCode, modifiers: KeyModifiers, application_cursor: bool) -> Vec<u8> {
        encode_key(
            KeyEvent::new(code, modifiers),
            KeyModes {
                application_cursor,
                bracketed_paste: false,
            },
        )
        .unwrap_or_default()
    }

    /// xterm's encodings, as listed in its ctlseqs documentation ("PC-Style Function Keys").
    #[test]
    fn key_encoding_table() {
        let table: Vec<(KeyCode, KeyModifiers, bool, &[u8])> = vec![
            (KeyCode::Char('a'), NONE, false, b"a"),
            (KeyCode::Char('A'), SHIFT, false, b"A"),
            (KeyCode::Char('é'), NONE, false, "é".as_bytes()),
            (KeyCode::Char('c'), CTRL, false, b"\x03"),
            (KeyCode::Char('d'), CTRL, false, b"\x04"),
            (KeyCode::Char(' '), CTRL, false, b"\x00"),
            (KeyCode::Char('5'), CTRL, false, b"\x1d"),
            (KeyCode::Char('4'), CTRL, false, b"\x1c"),
            (KeyCode::Char('7'), CTRL, false, b"\x1f"),
            (KeyCode::Char('x'), ALT, false, b"\x1bx"),
            (KeyCode::Char('b'), ALT | CTRL, false, b"\x1b\x02"),
            (KeyCode::Enter, NONE, false, b"\r"),
            (KeyCode::Enter, ALT, false, b"\x1b\r"),
            (KeyCode::Tab, NONE, false, b"\t"),
            (KeyCode::BackTab, SHIFT, false, b"\x1b[Z"),
            (KeyCode::Backspace, NONE, false, b"\x7f"),
            (KeyCode::Backspace, CTRL, false, b"\x08"),
            (KeyCode::Backspace, ALT, false, b"\x1b\x7f"),
            (KeyCode::Esc, NONE, false, b"\x1b"),
            (KeyCode::Up, NONE, false, b"\x1b[A"),
            (KeyCode::Down, NONE, false, b"\x1b[B"),
            (KeyCode::Right, NONE, false, b"\x1b[C"),
            (KeyCode::Left, NONE, false, b"\x1b[D"),
            (KeyCode::Up, NONE, true, b"\x1bOA"),
            (KeyCode::Left, NONE, true, b"\x1bOD"),
            (KeyCode::Up, SHIFT, false, b"\x1b[1;2A"),
            (KeyCode::Right, ALT, true, b"\x1b[1;3C"),
            (KeyCode::Left, CTRL, false, b"\x1b[1;5D"),
            (KeyCode::Down, CTRL | SHIFT, false, b"\x1b[1;6B"),
            (KeyCode::Home, NONE, false, b"\x1b[H"),
            (KeyCode::End, NONE, false, b"\x1b[F"),
            (KeyCode::Home, NONE, true, b"\x1bOH"),
            (KeyCode::End, CTRL, false, b"\x1b[1;5F"),
            (KeyCode::Insert, NONE, false, b"\x1b[2~"),
            (KeyCode::Delete, NONE, false, b"\x1b[3~"),
            (KeyCode::Delete, SHIFT, false, b"\x1b[3;2~"),
            (KeyCode::PageUp, NONE, false, b"\x1b[5~"),
            (KeyCode::PageDown, CTRL, false, b"\x1b[6;5~"),
            (KeyCode::F(1), NONE, false, b"\x1bOP"),
            (KeyCode::F(4), NONE, false, b"\x1bOS"),
            (KeyCode::F(2), SHIFT, false, b"\x1b[1;2Q"),
            (KeyCode::F(5), NONE, false, b"\x1b[15~"),
            (KeyCode::F(6), NONE, false, b"\x1b[17~"),
            (KeyCode::F(10), NONE, false, b"\x1b[21~"),
            (KeyCode::F(11), NONE, false, b"\x1b[23~"),
            (KeyCode::F(12), CTRL, false, b"\x1b[24;5~"),
        ];
        for (code, modifiers, application, expected) in table {
            assert_eq!(
                encoded(code, modifiers, application),
                expected,
                "{code:?} {modifiers:?} application={application}"
            );
        }
    }

    #[test]
    fn keys_without_an_encoding_send_nothing() {
        assert_eq!(
            encode_key(KeyEvent::new(KeyCode::F(13), NONE), KeyModes::default()),
            None
        );
        assert_eq!(
            encode_key(KeyEvent::new(KeyCode::Char('é'), CTRL), KeyModes::default()),
            None
        );
    }

    #[test]
    fn paste_is_bracketed_only_when_asked() {
        let plain = KeyModes::default();
        let bracketed = KeyModes {
            bracketed_paste: true,
            ..KeyModes::default()
        };
        assert_eq!(encode_paste("ls\nwho\r\n", plain), b"ls\rwho\r");
        assert_eq!(
            encode_paste("echo hi\n", bracketed),
            b"\x1b[200~echo hi\r\x1b[201~"
        );
        assert_eq!(
            encode_paste("a\x1b[201~rm -rf /\n", bracketed),
            b"\x1b[200~arm -rf /\r\x1b[201~"
        );
    }
}
