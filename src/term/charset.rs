//! DEC Special Graphics (the VT100 line-drawing set) and concealed text (SGR 8) in front of
//! the vt100 parser, which implements neither. A small state machine follows the byte stream
//! — across chunk boundaries — to know when G0/G1 hold the line-drawing set and which set is
//! shifted in, and whether SGR has concealed what follows; it rewrites printable bytes to the
//! box-drawing characters they stand for, and concealed text to blanks (as xterm and tmux
//! hide it: a password a program prints concealed stays unseen). Bytes inside escape
//! sequences and OSC strings are never touched.

/// The character set designated into G0 or G1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Set {
    #[default]
    Ascii,
    LineDrawing,
}

/// Where the scanner is in the escape-sequence grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Scan {
    #[default]
    Ground,
    /// After ESC.
    Escape,
    /// After ESC and intermediates other than a designator, until the final byte.
    EscapeIntermediate,
    /// After `ESC (` (G0) or `ESC )` (G1): the next byte names the set. `None` for G2/G3,
    /// which we do not track.
    Designate(Option<usize>),
    /// Inside `ESC [`, until a final byte.
    Csi,
    /// Inside OSC, DCS, SOS, PM or APC, until BEL or ST.
    String,
    /// ESC seen inside a string: `\` ends it.
    StringEscape,
}

const ESC: u8 = 0x1b;
const SHIFT_OUT: u8 = 0x0e;
const SHIFT_IN: u8 = 0x0f;
const BEL: u8 = 0x07;
const CANCEL: u8 = 0x18;
const SUBSTITUTE: u8 = 0x1a;

/// Tracks G0/G1 and the shift state of one terminal.
#[derive(Debug, Clone, Default)]
pub struct LineDrawing {
    sets: [Set; 2],
    /// SO selected G1.
    shifted: bool,
    /// DECSC (ESC 7) saves the character sets with the cursor; DECRC (ESC 8) restores them.
    saved: Option<([Set; 2], bool)>,
    scan: Scan,
    /// SGR 8 is in effect (until 28 or a reset).
    concealed: bool,
    /// The parameter bytes of the CSI sequence being read (bounded).
    params: Vec<u8>,
    /// Reused for the rewritten chunk, so steady state allocates nothing.
    rewritten: Vec<u8>,
}

/// CSI parameters kept per sequence: SGR sequences are short; longer ones are not SGR 8.
const PARAMS_KEPT: usize = 64;

/// The Unicode character DEC Special Graphics shows for bytes 0x5f..=0x7e.
fn special_graphic(byte: u8) -> Option<char> {
    const TABLE: [char; 32] = [
        ' ', '◆', '▒', '␉', '␌', '␍', '␊', '°', '±', '␤', '␋', '┘', '┐', '┌', '└', '┼', '⎺', '⎻',
        '─', '⎼', '⎽', '├', '┤', '┴', '┬', '│', '≤', '≥', 'π', '≠', '£', '·',
    ];
    byte.checked_sub(0x5f)
        .and_then(|index| TABLE.get(usize::from(index)))
        .copied()
}

impl LineDrawing {
    fn active(&self) -> Set {
        self.sets[usize::from(self.shifted)]
    }

    /// Follows `input` and hands the bytes the emulator should see to `sink`: `input` itself
    /// when nothing needed rewriting (the common case), else a rewritten copy.
    pub fn feed(&mut self, input: &[u8], sink: impl FnOnce(&[u8])) {
        let mut rewritten = std::mem::take(&mut self.rewritten);
        rewritten.clear();
        let mut copied_up_to = 0;
        let mut any = false;
        for (index, &byte) in input.iter().enumerate() {
            // Concealed text: each character becomes a blank (UTF-8 continuation bytes go;
            // a concealed wide character takes one column, not two).
            if self.scan == Scan::Ground && self.concealed && (byte >= 0x20 && byte != 0x7f) {
                rewritten.extend_from_slice(&input[copied_up_to..index]);
                if !(0x80..=0xbf).contains(&byte) {
                    rewritten.push(b' ');
                }
                copied_up_to = index + 1;
                any = true;
                continue;
            }
            if self.scan == Scan::Ground
                && self.active() == Set::LineDrawing
                && let Some(symbol) = special_graphic(byte)
            {
                rewritten.extend_from_slice(&input[copied_up_to..index]);
                let mut utf8 = [0u8; 4];
                rewritten.extend_from_slice(symbol.encode_utf8(&mut utf8).as_bytes());
                copied_up_to = index + 1;
                any = true;
                continue;
            }
            self.step(byte);
        }
        if any {
            rewritten.extend_from_slice(&input[copied_up_to..]);
            sink(&rewritten);
        } else {
            sink(input);
        }
        self.rewritten = rewritten;
    }

    fn step(&mut self, byte: u8) {
        // ESC starts a new sequence from any state except where it may end a string; CAN and
        // SUB abort whatever sequence is open.
        if byte == ESC && self.scan != Scan::String && self.scan != Scan::StringEscape {
            self.scan = Scan::Escape;
            return;
        }
        // CAN and SUB abort any sequence, strings included, as in the parser.
        if byte == CANCEL || byte == SUBSTITUTE {
            self.scan = Scan::Ground;
            return;
        }
        // SO and SI act wherever a control character is executed: everywhere but in strings.
        if !matches!(self.scan, Scan::String | Scan::StringEscape) {
            match byte {
                SHIFT_OUT => self.shifted = true,
                SHIFT_IN => self.shifted = false,
                _ => {}
            }
        }
        self.scan = match self.scan {
            Scan::Ground => Scan::Ground,
            Scan::Escape => match byte {
                b'[' => {
                    self.params.clear();
                    Scan::Csi
                }
                b']' | b'P' | b'X' | b'^' | b'_' => Scan::String,
                b'(' => Scan::Designate(Some(0)),
                b')' => Scan::Designate(Some(1)),
                b'*' | b'+' => Scan::Designate(None),
                b'7' => {
                    self.saved = Some((self.sets, self.shifted));
                    Scan::Ground
                }
                b'8' => {
                    if let Some((sets, shifted)) = self.saved {
                        self.sets = sets;
                        self.shifted = shifted;
                    }
                    Scan::Ground
                }
                0x20..=0x2f => Scan::EscapeIntermediate,
                // Control characters inside an escape sequence are executed, not ends.
                0x00..=0x1f => Scan::Escape,
                b'c' => {
                    // RIS: a full reset restores ASCII everywhere.
                    *self = LineDrawing {
                        rewritten: std::mem::take(&mut self.rewritten),
                        ..LineDrawing::default()
                    };
                    Scan::Ground
                }
                _ => Scan::Ground,
            },
            Scan::EscapeIntermediate => match byte {
                0x00..=0x2f => Scan::EscapeIntermediate,
                _ => Scan::Ground,
            },
            Scan::Designate(slot) => {
                if let Some(slot) = slot {
                    self.sets[slot] = if byte == b'0' {
                        Set::LineDrawing
                    } else {
                        Set::Ascii
                    };
                }
                Scan::Ground
            }
            Scan::Csi => match byte {
                b'm' => {
                    self.select_graphic_rendition();
                    Scan::Ground
                }
                0x40..=0x7e => Scan::Ground,
                0x30..=0x3f if self.params.len() < PARAMS_KEPT => {
                    self.params.push(byte);
                    Scan::Csi
                }
                _ => Scan::Csi,
            },
            Scan::String => match byte {
                BEL => Scan::Ground,
                ESC => Scan::StringEscape,
                _ => Scan::String,
            },
            Scan::StringEscape => match byte {
                b'\\' => Scan::Ground,
                ESC => Scan::StringEscape,
                _ => Scan::String,
            },
        };
    }
}

impl LineDrawing {
    /// SGR: conceal (8) on, reveal (28) or reset (0, or no parameter) off. Colour parameters
    /// (38/48/58 with 5;n or 2;r;g;b) are skipped whole, so `38;5;8` is not a conceal.
    fn select_graphic_rendition(&mut self) {
        // Private sequences (`CSI > … m`, `CSI ? … m`) are not SGR.
        if self
            .params
            .first()
            .is_some_and(|b| (0x3c..=0x3f).contains(b))
        {
            return;
        }
        let text = String::from_utf8_lossy(&self.params).into_owned();
        if text.is_empty() {
            self.concealed = false;
            return;
        }
        let mut params = text
            .split([';', ':'])
            .map(|p| p.parse::<u16>().unwrap_or(0));
        while let Some(param) = params.next() {
            match param {
                0 | 28 => self.concealed = false,
                8 => self.concealed = true,
                38 | 48 | 58 => match params.next() {
                    Some(5) => {
                        params.next();
                    }
                    Some(2) => {
                        params.next();
                        params.next();
                        params.next();
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> String {
        let mut tracker = LineDrawing::default();
        let mut out = Vec::new();
        for chunk in chunks {
            tracker.feed(chunk, |bytes| out.extend_from_slice(bytes));
        }
        String::from_utf8(out).expect("utf-8")
    }

    /// Concealed text reaches the screen as blanks; colours that mention 8 do not conceal;
    /// reveal and reset end it, across chunk boundaries too.
    #[test]
    fn concealed_text_is_blank() {
        assert_eq!(
            run(&[b"pw: \x1b[8mhunter2\x1b[0m done"]),
            "pw: \x1b[8m       \x1b[0m done"
        );
        assert_eq!(run(&[b"\x1b[1;8ms\x1b[28mx"]), "\x1b[1;8m \x1b[28mx");
        assert_eq!(
            run(&[b"\x1b[38;5;8mgrey\x1b[48;2;8;8;8mbg"]),
            "\x1b[38;5;8mgrey\x1b[48;2;8;8;8mbg"
        );
        assert_eq!(
            run(&[b"\x1b[8", b"mab", b"c\x1b[m", b"d"]),
            "\x1b[8m   \x1b[md"
        );
        assert_eq!(run(&["\x1b[8m✓é\x1b[m".as_bytes()]), "\x1b[8m  \x1b[m");
        assert_eq!(
            run(&[b"\x1b[?8mvisible"]),
            "\x1b[?8mvisible",
            "private: not SGR"
        );
    }

    #[test]
    fn box_drawn_with_the_special_graphics_set() {
        assert_eq!(run(&[b"\x1b(0lqqk\x1b(B ok"]), "\x1b(0┌──┐\x1b(B ok");
    }

    #[test]
    fn shift_out_selects_g1() {
        assert_eq!(run(&[b"\x1b)0a\x0eqx\x0fq"]), "\x1b)0a\x0e─│\x0fq");
    }

    #[test]
    fn escape_sequences_are_not_rewritten() {
        // `m`, `H` and `q` are CSI finals here, and the OSC title holds letters.
        let input = b"\x1b(0\x1b[1;31m\x1b[2;3H\x1b]0;my title\x07q\x1b(B";
        assert_eq!(
            run(&[input]),
            "\x1b(0\x1b[1;31m\x1b[2;3H\x1b]0;my title\x07─\x1b(B"
        );
    }

    #[test]
    fn state_survives_every_split() {
        let input: &[u8] = b"a\x1b(0lq\x1b[0mk\x1b]2;t\x1b\\x\x1b(Bx";
        let whole = run(&[input]);
        for split in 0..=input.len() {
            let (left, right) = input.split_at(split);
            assert_eq!(run(&[left, right]), whole, "split at {split}");
        }
    }

    #[test]
    fn save_and_restore_keep_the_sets_and_cancel_ends_strings() {
        assert_eq!(
            run(&[b"\x1b(0\x1b7\x1b(Bq\x1b8q"]),
            "\x1b(0\x1b7\x1b(Bq\x1b8─"
        );
        // CAN ends an OSC string: what follows is text again.
        assert_eq!(
            run(&[b"\x1b(0\x1b]0;title\x18q"]),
            "\x1b(0\x1b]0;title\x18─"
        );
        // SO inside a CSI sequence still shifts.
        assert_eq!(run(&[b"\x1b)0\x1b[\x0e1mq"]), "\x1b)0\x1b[\x0e1m─");
    }

    #[test]
    fn full_reset_returns_to_ascii() {
        assert_eq!(run(&[b"\x1b(0q\x1bcq"]), "\x1b(0─\x1bcq");
    }
}
