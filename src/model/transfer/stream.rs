//! Reading a download's output as it arrives: the header line, the list of places the file
//! holds the bytes EF BF BD, the range's bytes, the end line. The agent passes a command's
//! output through its UTF-8 reader, which sends a U+FFFD's first byte and drops the other two
//! (amazon-ssm-agent's `processStdoutData`); knowing where the file holds them, the reader puts
//! them back, so what is written is the file as it is, which its SHA-256 then proves.

/// What the first session's header says about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub size: u64,
    /// Into how many ranges the file is read (the script chose it from `--sessions`).
    pub count: u64,
    pub sha256: String,
    /// Where the file holds EF BF BD, in ascending order.
    pub altered_at: Vec<u64>,
}

impl Header {
    /// The ranges the file is read in: the script's own arithmetic.
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        let length = self.size.div_ceil(self.count.max(1));
        (0..self.count.max(1))
            .map(|i| (i * length, length.min(self.size.saturating_sub(i * length))))
            .collect()
    }
}

/// What a piece of output turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Header(Header),
    /// The file's bytes, restored, in order.
    Bytes(Vec<u8>),
    /// The range is complete.
    End,
    /// A line before the header of a folder's download (`bosun-cp-tree …`, `bosun-cp-sum …`),
    /// as bytes: names need not be UTF-8.
    Listed(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    HeaderLine,
    OffsetsLine {
        size: u64,
        count: u64,
        sha256: String,
    },
    RangeLine,
    Bytes,
    EndLine,
    Done,
}

/// Reads one session's output of a download, fed as it arrives.
#[derive(Debug)]
pub struct Reader {
    stage: Stage,
    line: Vec<u8>,
    /// The file offset of the next byte and where this range ends.
    at: u64,
    end: u64,
    /// The places of EF BF BD this range restores (wholly inside it), next first.
    altered: std::collections::VecDeque<u64>,
}

/// The longest line read before the bytes (the offsets line may be long; this bounds it).
const LONGEST_LINE: usize = 64 << 20;

impl Reader {
    /// The first session's output: header, offsets, the first range.
    pub fn first() -> Reader {
        Reader::at(Stage::HeaderLine)
    }

    /// A later range's output, the header (from the first session) known.
    pub fn range(header: &Header) -> Reader {
        let mut reader = Reader::at(Stage::RangeLine);
        reader.altered = header.altered_at.iter().copied().collect();
        reader
    }

    fn at(stage: Stage) -> Reader {
        Reader {
            stage,
            line: Vec::new(),
            at: 0,
            end: 0,
            altered: Default::default(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Takes the next output, returning what it completed.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<Vec<Piece>, String> {
        let mut pieces = Vec::new();
        while !input.is_empty() {
            match self.stage.clone() {
                Stage::Bytes => {
                    let (restored, used) = self.restore(input);
                    input = &input[used..];
                    if !restored.is_empty() {
                        pieces.push(Piece::Bytes(restored));
                    }
                    if self.at >= self.end {
                        self.stage = Stage::EndLine;
                        self.line.clear();
                    }
                }
                Stage::Done => return Err("output after the end of the copy".to_owned()),
                _ => {
                    let Some(newline) = input.iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(input);
                        if self.line.len() > LONGEST_LINE {
                            return Err("a header line without end".to_owned());
                        }
                        break;
                    };
                    self.line.extend_from_slice(&input[..newline]);
                    input = &input[newline + 1..];
                    let line = std::mem::take(&mut self.line);
                    if let Some(piece) = self.line_done(&line)? {
                        pieces.push(piece);
                    }
                }
            }
        }
        Ok(pieces)
    }

    fn line_done(&mut self, line: &[u8]) -> Result<Option<Piece>, String> {
        if self.stage == Stage::HeaderLine
            && (line.starts_with(b"bosun-cp-tree ") || line.starts_with(b"bosun-cp-sum "))
        {
            return Ok(Some(Piece::Listed(line.to_vec())));
        }
        let text = std::str::from_utf8(line).map_err(|_| "a header line that is not text")?;
        let words: Vec<&str> = text.split_whitespace().collect();
        let number = |word: Option<&&str>| -> Result<u64, String> {
            word.and_then(|w| w.parse().ok())
                .ok_or_else(|| format!("an unexpected line from the instance: {text:?}"))
        };
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::HeaderLine => {
                if words.first() != Some(&"bosun-cp") || words.get(1) != Some(&"1") {
                    return Err(format!("an unexpected line from the instance: {text:?}"));
                }
                let sha256 = words.get(4).map(|w| (*w).to_owned()).unwrap_or_default();
                if sha256.len() != 64 {
                    return Err(format!("no SHA-256 in the instance's answer: {text:?}"));
                }
                self.stage = Stage::OffsetsLine {
                    size: number(words.get(2))?,
                    count: number(words.get(3))?.max(1),
                    sha256,
                };
                Ok(None)
            }
            Stage::OffsetsLine {
                size,
                count,
                sha256,
            } => {
                let mut altered_at = words
                    .iter()
                    .map(|w| number(Some(w)))
                    .collect::<Result<Vec<_>, _>>()?;
                altered_at.sort_unstable();
                let header = Header {
                    size,
                    count,
                    sha256,
                    altered_at,
                };
                let (start, length) = header.ranges()[0];
                self.altered = header.altered_at.iter().copied().collect();
                self.begin(start, length);
                Ok(Some(Piece::Header(header)))
            }
            Stage::RangeLine => {
                if words.first() != Some(&"bosun-cp-range") {
                    return Err(format!("an unexpected line from the instance: {text:?}"));
                }
                self.begin(number(words.get(1))?, number(words.get(2))?);
                Ok(None)
            }
            Stage::EndLine => {
                // The line after the bytes is empty: the end line follows.
                if text.is_empty() {
                    self.stage = Stage::EndLine;
                    return Ok(None);
                }
                if text != "bosun-cp-end" {
                    return Err(
                        "the file changed while it was copied (more bytes than its size)"
                            .to_owned(),
                    );
                }
                Ok(Some(Piece::End))
            }
            Stage::Bytes | Stage::Done => unreachable!("lines are not read in these stages"),
        }
    }

    /// Starts the bytes of the range `start..start + length`.
    fn begin(&mut self, start: u64, length: u64) {
        self.at = start;
        self.end = start + length;
        // Only an EF BF BD wholly inside the range reaches the agent's reader in one piece:
        // one cut by the range's edge is followed by a newline or preceded by nothing, and
        // passes as three undecodable bytes.
        self.altered
            .retain(|&at| at >= start && at + 3 <= start + length);
        self.stage = if length == 0 {
            Stage::EndLine
        } else {
            Stage::Bytes
        };
    }

    /// Restores what the agent took from `input` up to the range's end: returns the bytes and
    /// how many of `input` were used.
    fn restore(&mut self, input: &[u8]) -> (Vec<u8>, usize) {
        let mut restored = Vec::with_capacity(input.len() + 16);
        let mut used = 0;
        while used < input.len() && self.at < self.end {
            let next_altered = self.altered.front().copied().unwrap_or(u64::MAX);
            // Plain bytes up to the next altered place, in one copy.
            let plain = (next_altered - self.at)
                .min(self.end - self.at)
                .min((input.len() - used) as u64) as usize;
            if plain > 0 {
                restored.extend_from_slice(&input[used..used + plain]);
                used += plain;
                self.at += plain as u64;
                continue;
            }
            // At an altered place the agent sent EF alone.
            restored.extend_from_slice(&[input[used], 0xbf, 0xbd]);
            used += 1;
            self.at += 3;
            self.altered.pop_front();
        }
        (restored, used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes as the agent sends them: each EF BF BD wholly inside `data` becomes EF.
    fn as_sent(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            if data[i..].starts_with(&[0xef, 0xbf, 0xbd]) {
                out.push(0xef);
                i += 3;
            } else {
                out.push(data[i]);
                i += 1;
            }
        }
        out
    }

    fn offsets(data: &[u8]) -> String {
        data.windows(3)
            .enumerate()
            .filter(|(_, w)| *w == [0xef, 0xbf, 0xbd])
            .map(|(i, _)| format!("{i} "))
            .collect()
    }

    fn read_all(reader: &mut Reader, output: &[u8], step: usize) -> (Option<Header>, Vec<u8>) {
        let mut header = None;
        let mut bytes = Vec::new();
        for chunk in output.chunks(step) {
            for piece in reader.feed(chunk).unwrap() {
                match piece {
                    Piece::Header(h) => header = Some(h),
                    Piece::Bytes(b) => bytes.extend(b),
                    Piece::End | Piece::Listed(_) => {}
                }
            }
        }
        (header, bytes)
    }

    #[test]
    fn the_bytes_the_agent_altered_are_put_back_in_every_range() {
        let data: Vec<u8> = b"x\xef\xbf\xbdyz\xef\xbf\xbd\xef\xbf\xbdw\n\xef\xbf\xbd"
            .repeat(7)
            .into_iter()
            .chain(*b"\xef\xbf")
            .collect();
        let size = data.len() as u64;
        let sha = "a".repeat(64);
        for step in [1, 2, 5, 64, 4096] {
            // Three ranges: the first session carries the header and range 0.
            let header_line = format!("bosun-cp 1 {size} 3 {sha}\n{}\n", offsets(&data));
            let length = size.div_ceil(3) as usize;
            let first_output = [
                header_line.as_bytes(),
                &as_sent(&data[..length]),
                b"\nbosun-cp-end\n",
            ]
            .concat();
            let mut first = Reader::first();
            let (header, mut whole) = read_all(&mut first, &first_output, step);
            assert!(first.is_done());
            let header = header.unwrap();
            assert_eq!(header.ranges().len(), 3);
            for &(start, len) in &header.ranges()[1..] {
                let (s, e) = (start as usize, (start + len) as usize);
                let output = [
                    format!("bosun-cp-range {start} {len}\n").as_bytes(),
                    &as_sent(&data[s..e]),
                    b"\nbosun-cp-end\n",
                ]
                .concat();
                let mut reader = Reader::range(&header);
                let (_, bytes) = read_all(&mut reader, &output, step);
                assert!(reader.is_done(), "step {step}");
                whole.extend(bytes);
            }
            assert_eq!(whole, data, "step {step}");
        }
    }

    #[test]
    fn a_file_that_grew_or_a_strange_answer_is_an_error() {
        let mut reader = Reader::first();
        let sha = "b".repeat(64);
        let grew = format!("bosun-cp 1 3 1 {sha}\n\nabcdef\nbosun-cp-end\n");
        assert!(reader.feed(grew.as_bytes()).is_err());
        assert!(Reader::first().feed(b"hello\n").is_err());
        let mut empty = Reader::first();
        let (_, bytes) = read_all(
            &mut empty,
            format!("bosun-cp 1 0 1 {sha}\n\n\nbosun-cp-end\n").as_bytes(),
            3,
        );
        assert!(bytes.is_empty() && empty.is_done());
    }
}
