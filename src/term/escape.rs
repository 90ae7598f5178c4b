//! ssh's escape sequences for a session on this terminal (`bosun shell`, the plugin): the
//! escape character (`~` unless configured) at the start of a line, then one key: `.` ends
//! the session from this side, whatever state the connection is in; `?` lists the escapes;
//! the escape character again sends it once; anything else is sent as typed, the escape
//! character with it. A line starts after Enter (`\r` or `\n`) and at the very beginning.
//! Only keyboards get this: piped input is never read for escapes.

/// What the user typed, once escapes are taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Bytes for the remote side, in order.
    Data(Vec<u8>),
    /// `~.`: end the session now.
    Leave,
    /// `~?`: show the escapes.
    Help,
}

/// The escape character: a byte, or none at all (`escape_char = "none"`, `-e none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscapeChar(Option<u8>);

impl Default for EscapeChar {
    fn default() -> Self {
        EscapeChar(Some(b'~'))
    }
}

impl EscapeChar {
    pub const NONE: EscapeChar = EscapeChar(None);

    /// As ssh reads `-e`: one character, `^X` for a control character, or `none`.
    pub fn parse(text: &str) -> Result<EscapeChar, String> {
        let bytes = text.as_bytes();
        match bytes {
            _ if text == "none" => Ok(EscapeChar::NONE),
            [byte] if byte.is_ascii() && !byte.is_ascii_control() => Ok(EscapeChar(Some(*byte))),
            [b'^', letter] if letter.is_ascii_alphabetic() || b"@[\\]^_".contains(letter) => {
                Ok(EscapeChar(Some(letter.to_ascii_uppercase() & 0x1f)))
            }
            _ => Err(format!(
                "{text:?} is not an escape character: give one character (~), ^X for a control key, or none"
            )),
        }
    }

    pub fn byte(self) -> Option<u8> {
        self.0
    }

    /// How the user writes it back: `~`, `^]`.
    pub fn shown(self) -> String {
        match self.0 {
            None => "none".to_owned(),
            Some(byte) if byte < 0x20 => format!("^{}", char::from(byte | 0x40)),
            Some(byte) => char::from(byte).to_string(),
        }
    }

    /// The `~?` list, for a raw terminal (`\r\n` line ends).
    pub fn help(self) -> String {
        let e = self.shown();
        format!(
            "\r\nEscapes (at the start of a line):\r\n {e}.  end the session here (TerminateSession) and leave\r\n {e}?  this list\r\n {e}{e}  send {e} once\r\n"
        )
    }
}

/// Where the reader stands between keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    LineStart,
    MidLine,
    /// The escape character was typed at the start of a line; the next key decides.
    AfterEscape,
}

/// Reads typed bytes for escapes, chunk by chunk (a key may end one chunk and the next key
/// begin another).
#[derive(Debug, Clone)]
pub struct EscapeReader {
    escape: EscapeChar,
    position: Position,
}

impl EscapeReader {
    pub fn new(escape: EscapeChar) -> EscapeReader {
        EscapeReader {
            escape,
            position: Position::LineStart,
        }
    }

    /// What `chunk` comes to. Nothing after a `Leave` counts.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Typed> {
        let Some(escape) = self.escape.byte() else {
            return vec![Typed::Data(chunk.to_vec())];
        };
        let mut typed = Vec::new();
        let mut data = Vec::with_capacity(chunk.len());
        for &byte in chunk {
            match self.position {
                Position::AfterEscape => match byte {
                    b'.' => {
                        flush(&mut data, &mut typed);
                        typed.push(Typed::Leave);
                        return typed;
                    }
                    b'?' => {
                        flush(&mut data, &mut typed);
                        typed.push(Typed::Help);
                        self.position = Position::LineStart;
                    }
                    _ if byte == escape => {
                        data.push(escape);
                        self.position = Position::MidLine;
                    }
                    _ => {
                        data.extend_from_slice(&[escape, byte]);
                        self.position = after(byte);
                    }
                },
                Position::LineStart if byte == escape => self.position = Position::AfterEscape,
                Position::LineStart | Position::MidLine => {
                    data.push(byte);
                    self.position = after(byte);
                }
            }
        }
        flush(&mut data, &mut typed);
        typed
    }
}

fn after(byte: u8) -> Position {
    if byte == b'\r' || byte == b'\n' {
        Position::LineStart
    } else {
        Position::MidLine
    }
}

fn flush(data: &mut Vec<u8>, typed: &mut Vec<Typed>) {
    if !data.is_empty() {
        typed.push(Typed::Data(std::mem::take(data)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(text: &str) -> Typed {
        Typed::Data(text.as_bytes().to_vec())
    }

    #[test]
    fn tilde_dot_at_the_start_leaves() {
        let mut reader = EscapeReader::new(EscapeChar::default());
        assert_eq!(reader.feed(b"~."), vec![Typed::Leave]);
        let mut reader = EscapeReader::new(EscapeChar::default());
        assert_eq!(
            reader.feed(b"ls\r~.rest"),
            vec![data("ls\r"), Typed::Leave],
            "after Enter, and nothing after it is sent"
        );
    }

    #[test]
    fn tilde_mid_line_is_just_a_tilde() {
        let mut reader = EscapeReader::new(EscapeChar::default());
        assert_eq!(reader.feed(b"cd ~."), vec![data("cd ~.")]);
    }

    #[test]
    fn a_key_split_across_reads_still_counts() {
        let mut reader = EscapeReader::new(EscapeChar::default());
        assert_eq!(reader.feed(b"echo\r~"), vec![data("echo\r")]);
        assert_eq!(reader.feed(b"."), vec![Typed::Leave]);
    }

    #[test]
    fn help_double_escape_and_anything_else() {
        let mut reader = EscapeReader::new(EscapeChar::default());
        assert_eq!(reader.feed(b"~?"), vec![Typed::Help]);
        assert_eq!(reader.feed(b"~~x"), vec![data("~x")], "~~ sends one ~");
        let mut reader = EscapeReader::new(EscapeChar::default());
        assert_eq!(reader.feed(b"~/bin\r"), vec![data("~/bin\r")]);
        assert_eq!(reader.feed(b"~\r~."), vec![data("~\r"), Typed::Leave]);
    }

    #[test]
    fn none_turns_escapes_off_and_others_can_be_chosen() {
        let mut reader = EscapeReader::new(EscapeChar::NONE);
        assert_eq!(reader.feed(b"~."), vec![data("~.")]);
        let caret = EscapeChar::parse("^]").expect("a control key");
        assert_eq!(caret.byte(), Some(0x1d));
        assert_eq!(caret.shown(), "^]");
        let mut reader = EscapeReader::new(caret);
        assert_eq!(reader.feed(b"~.\r\x1d."), vec![data("~.\r"), Typed::Leave]);
        assert_eq!(EscapeChar::parse("%").map(EscapeChar::byte), Ok(Some(b'%')));
        assert_eq!(EscapeChar::parse("none"), Ok(EscapeChar::NONE));
        assert!(EscapeChar::parse("ab").is_err());
        assert!(EscapeChar::parse("").is_err());
        assert!(
            EscapeChar::default()
                .help()
                .contains(" ~.  end the session")
        );
    }
}
