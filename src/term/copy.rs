//! Copy mode, tmux-like, over a pane's emulator: a cursor that moves through the screen and
//! its history (scrolling as it goes), a selection by characters (`v`) or whole lines (`V`),
//! the selected text, and search with smart case. vt100 shows only one screenful at a time,
//! so lines of the history are read by scrolling the view to them and back.
//!
//! Lines are counted from the oldest line kept (0) down to the screen's last row; when the
//! history is full and output goes on, the oldest lines go and a mark may slip by as many
//! lines (tmux's copy mode stops the pane instead; a pane here keeps its session running).

use super::Emulator;

/// What a key in a pane's copy mode asks of its emulator (this module carries it out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyKey {
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// `v`: select characters from here (again: stop selecting).
    Select,
    /// `V`: select whole lines from here.
    SelectLines,
    /// Search for `pattern` downward (`/`) or upward (`?`).
    Search {
        pattern: String,
        forward: bool,
    },
    /// `n`: the last search again, the same way; `N`: the other way.
    Next,
    Previous,
    /// A mouse drag in the view: select from one (row, column) to another.
    Drag {
        from: (u16, u16),
        to: (u16, u16),
    },
}

/// Where copy mode is: a cursor, an optional selection start, and the last search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyMode {
    /// (line, column).
    pub cursor: (usize, u16),
    /// Where the selection began, when one is being made.
    pub anchor: Option<(usize, u16)>,
    /// Whole lines (`V`) rather than characters (`v`).
    pub lines: bool,
    /// The last search, and whether it went forward (down).
    pub search: Option<(String, bool)>,
}

/// What a copy-mode key came to, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyOutcome {
    Moved,
    Found,
    NotFound(String),
}

impl Emulator {
    /// Enters copy mode with the cursor where the terminal's cursor is (or at the bottom
    /// left of the view when it is scrolled back).
    pub fn enter_copy(&mut self) {
        let top = self.top_line();
        let (row, col) = if self.scrolled_back() == 0 {
            self.parser.screen().cursor_position()
        } else {
            (self.size().0.saturating_sub(1), 0)
        };
        self.copy = Some(CopyMode {
            cursor: (top + usize::from(row), col),
            ..CopyMode::default()
        });
    }

    /// Leaves copy mode, back to the live screen.
    pub fn leave_copy(&mut self) {
        self.copy = None;
        self.scroll_to_bottom();
    }

    pub fn copy_mode(&self) -> Option<&CopyMode> {
        self.copy.as_ref()
    }

    /// Lines kept above the screen.
    pub fn history_len(&self) -> usize {
        self.parser.screen().scrollback_len()
    }

    /// The line shown on the view's first row.
    pub fn top_line(&self) -> usize {
        self.history_len().saturating_sub(self.scrolled_back())
    }

    fn last_line(&self) -> usize {
        self.history_len() + usize::from(self.size().0.saturating_sub(1))
    }

    /// Carries out a copy-mode key; `page` is how many rows a page moves.
    pub fn copy_key(&mut self, key: &CopyKey, page: usize) -> CopyOutcome {
        let Some(mut mode) = self.copy.take() else {
            return CopyOutcome::Moved;
        };
        let cols = self.size().1;
        let last = self.last_line();
        let (line, col) = mode.cursor;
        let mut outcome = CopyOutcome::Moved;
        match key {
            CopyKey::Up => mode.cursor = (line.saturating_sub(1), col),
            CopyKey::Down => mode.cursor = ((line + 1).min(last), col),
            CopyKey::Left => mode.cursor = (line, col.saturating_sub(1)),
            CopyKey::Right => mode.cursor = (line, (col + 1).min(cols.saturating_sub(1))),
            CopyKey::PageUp => mode.cursor = (line.saturating_sub(page), col),
            CopyKey::PageDown => mode.cursor = ((line + page).min(last), col),
            CopyKey::Top => mode.cursor = (0, 0),
            CopyKey::Bottom => mode.cursor = (last, 0),
            CopyKey::Select | CopyKey::SelectLines => {
                let lines = *key == CopyKey::SelectLines;
                mode.anchor = match mode.anchor {
                    Some(_) if mode.lines == lines => None,
                    Some(anchor) => Some(anchor),
                    None => Some(mode.cursor),
                };
                mode.lines = lines;
            }
            CopyKey::Search { pattern, forward } => {
                mode.search = Some((pattern.clone(), *forward));
                outcome = self.find(&mut mode, pattern, *forward);
            }
            CopyKey::Drag { from, to } => {
                let top = self.top_line();
                mode.anchor = Some((top + usize::from(from.0), from.1));
                mode.cursor = (top + usize::from(to.0), to.1);
                mode.lines = false;
            }
            CopyKey::Next | CopyKey::Previous => {
                if let Some((pattern, forward)) = mode.search.clone() {
                    let forward = forward == (*key == CopyKey::Next);
                    outcome = self.find(&mut mode, &pattern, forward);
                }
            }
        }
        self.reveal(mode.cursor.0);
        self.copy = Some(mode);
        outcome
    }

    /// Scrolls the view just enough for `line` to show.
    fn reveal(&mut self, line: usize) {
        let rows = usize::from(self.size().0);
        let top = self.top_line();
        let history = self.history_len();
        if line < top {
            self.parser.screen_mut().set_scrollback(history - line);
        } else if line >= top + rows {
            let new_top = line + 1 - rows;
            self.parser
                .screen_mut()
                .set_scrollback(history.saturating_sub(new_top));
        }
    }

    /// The next match of `pattern` from the cursor (wrapping around), the cursor put on it.
    fn find(&mut self, mode: &mut CopyMode, pattern: &str, forward: bool) -> CopyOutcome {
        if pattern.is_empty() {
            return CopyOutcome::Moved;
        }
        let last = self.last_line();
        let total = last + 1;
        let (line, col) = mode.cursor;
        for step in 0..=total {
            let at = if forward {
                (line + step) % total
            } else {
                (line + total - step % total) % total
            };
            let cells = self.line_cells(at);
            let hits = matches_in(&cells, pattern);
            let hit = if forward {
                hits.into_iter().find(|&(start, _)| step > 0 || start > col)
            } else {
                hits.into_iter()
                    .rev()
                    .find(|&(start, _)| step > 0 || start < col)
            };
            if let Some((start, _)) = hit {
                mode.cursor = (at, start);
                return CopyOutcome::Found;
            }
        }
        CopyOutcome::NotFound(pattern.to_owned())
    }

    /// Line `line`'s cells as (column, text), wide characters once, read by scrolling the
    /// view to it and back.
    pub(super) fn line_cells(&mut self, line: usize) -> Vec<(u16, String)> {
        self.at_line(line, |emulator, row| emulator.row_cells(row))
    }

    /// `read` of line `line`, the view scrolled to show it for the moment and then put back.
    fn at_line<T>(&mut self, line: usize, read: impl FnOnce(&Self, u16) -> T) -> T {
        let history = self.history_len();
        let saved = self.scrolled_back();
        let row = if line < history {
            self.parser.screen_mut().set_scrollback(history - line);
            0
        } else {
            self.parser.screen_mut().set_scrollback(0);
            u16::try_from(line - history).unwrap_or(u16::MAX)
        };
        let found = read(self, row);
        self.parser.screen_mut().set_scrollback(saved);
        found
    }

    /// A row of the view as (column, text) cells.
    pub(super) fn row_cells(&self, row: u16) -> Vec<(u16, String)> {
        let screen = self.parser.screen();
        let cols = self.size().1;
        (0..cols)
            .filter_map(|col| {
                let cell = screen.cell(row, col)?;
                if cell.is_wide_continuation() {
                    return None;
                }
                let text = cell.contents();
                Some((
                    col,
                    if text.is_empty() {
                        " ".to_owned()
                    } else {
                        text.to_owned()
                    },
                ))
            })
            .collect()
    }

    /// The selected text: lines joined by newlines (a row the terminal wrapped joins the
    /// next without one), trailing blanks dropped. `None` without a selection.
    pub fn selected_text(&mut self) -> Option<String> {
        let mode = self.copy.clone()?;
        let anchor = mode.anchor?;
        let (start, end) = if anchor <= mode.cursor {
            (anchor, mode.cursor)
        } else {
            (mode.cursor, anchor)
        };
        let mut text = String::new();
        for line in start.0..=end.0 {
            let cells = self.line_cells(line);
            let from = if mode.lines || line != start.0 {
                0
            } else {
                start.1
            };
            let to = if mode.lines || line != end.0 {
                u16::MAX
            } else {
                end.1
            };
            let part: String = cells
                .iter()
                .filter(|(col, _)| (from..=to).contains(col))
                .map(|(_, text)| text.as_str())
                .collect();
            text.push_str(part.trim_end());
            if line != end.0 && !self.line_wrapped(line) {
                text.push('\n');
            }
        }
        Some(text)
    }

    fn line_wrapped(&mut self, line: usize) -> bool {
        self.at_line(line, |emulator, row| {
            emulator.parser.screen().row_wrapped(row)
        })
    }

    /// Where the last search's pattern shows in the view: (row, first column, last column).
    pub fn visible_matches(&self) -> Vec<(u16, u16, u16)> {
        let Some((pattern, _)) = self.copy.as_ref().and_then(|m| m.search.as_ref()) else {
            return Vec::new();
        };
        (0..self.size().0)
            .flat_map(|row| {
                matches_in(&self.row_cells(row), pattern)
                    .into_iter()
                    .map(move |(start, end)| (row, start, end))
            })
            .collect()
    }
}

/// Where `pattern` occurs in a row of cells: (first column, last column) of each match.
/// Smart case: a pattern with no capital letter matches any case.
fn matches_in(cells: &[(u16, String)], pattern: &str) -> Vec<(u16, u16)> {
    let fold = !pattern.chars().any(char::is_uppercase);
    let norm = |text: &str| {
        if fold {
            text.to_lowercase()
        } else {
            text.to_owned()
        }
    };
    let wanted: Vec<String> = pattern.chars().map(|c| norm(&c.to_string())).collect();
    let texts: Vec<String> = cells.iter().map(|(_, text)| norm(text)).collect();
    let mut found = Vec::new();
    if wanted.is_empty() || wanted.len() > texts.len() {
        return found;
    }
    let mut start = 0;
    while start + wanted.len() <= texts.len() {
        if texts[start..start + wanted.len()] == wanted[..] {
            found.push((cells[start].0, cells[start + wanted.len() - 1].0));
            start += wanted.len();
        } else {
            start += 1;
        }
    }
    found
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal bosun runs in (and,
/// through SSH, of the machine in front of it): `ESC ] 52 ; c ; base64 BEL`.
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Forty numbered lines on a 5×20 terminal: 35 in the history, 5 on the screen.
    fn numbered() -> Emulator {
        let mut emulator = Emulator::with_scrollback(5, 20, 100);
        for n in 0..40 {
            emulator.process(format!("line {n:02} text\r\n").as_bytes());
        }
        emulator.process(b"$ ");
        emulator
    }

    #[test]
    fn the_cursor_starts_at_the_terminal_cursor_and_scrolls_at_the_edges() {
        let mut emulator = numbered();
        emulator.enter_copy();
        let mode = emulator.copy_mode().cloned().expect("in copy mode");
        assert_eq!(mode.cursor, (emulator.history_len() + 4, 2));
        for _ in 0..5 {
            emulator.copy_key(&CopyKey::Up, 4);
        }
        assert_eq!(emulator.scrolled_back(), 1, "one line above the screen");
        emulator.copy_key(&CopyKey::Top, 4);
        assert_eq!(emulator.copy_mode().map(|m| m.cursor), Some((0, 0)));
        assert_eq!(emulator.top_line(), 0);
        emulator.copy_key(&CopyKey::Bottom, 4);
        assert_eq!(emulator.scrolled_back(), 0);
        emulator.leave_copy();
        assert!(emulator.copy_mode().is_none());
    }

    #[test]
    fn characters_and_lines_are_selected_and_copied() {
        let mut emulator = numbered();
        emulator.enter_copy();
        emulator.copy_key(&CopyKey::Top, 4);
        for _ in 0..5 {
            emulator.copy_key(&CopyKey::Right, 4);
        }
        emulator.copy_key(&CopyKey::Select, 4);
        emulator.copy_key(&CopyKey::Down, 4);
        for _ in 0..2 {
            emulator.copy_key(&CopyKey::Left, 4);
        }
        assert_eq!(emulator.selected_text().as_deref(), Some("00 text\nline"));
        emulator.copy_key(&CopyKey::SelectLines, 4);
        assert_eq!(
            emulator.selected_text().as_deref(),
            Some("line 00 text\nline 01 text")
        );
        emulator.copy_key(&CopyKey::SelectLines, 4);
        assert_eq!(emulator.selected_text(), None, "V again ends the selection");
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn search_finds_up_and_down_with_smart_case_and_wraps() {
        let mut emulator = numbered();
        emulator.enter_copy();
        let outcome = emulator.copy_key(
            &CopyKey::Search {
                pattern: "LINE 1".to_owned(),
                forward: false,
            },
            4,
        );
        assert_eq!(
            outcome,
            CopyOutcome::NotFound("LINE 1".to_owned()),
            "capitals: exact"
        );
        let outcome = emulator.copy_key(
            &CopyKey::Search {
                pattern: "line 1".to_owned(),
                forward: false,
            },
            4,
        );
        assert_eq!(outcome, CopyOutcome::Found);
        let found = emulator.copy_mode().map(|m| m.cursor).expect("cursor");
        assert_eq!(
            emulator.line_cells(found.0)[..7]
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<String>(),
            "line 19"
        );
        emulator.copy_key(&CopyKey::Next, 4);
        let next = emulator.copy_mode().map(|m| m.cursor).expect("cursor");
        assert_eq!(next.0, found.0 - 1, "n goes on upward");
        emulator.copy_key(&CopyKey::Previous, 4);
        assert_eq!(emulator.copy_mode().map(|m| m.cursor), Some(found));
        let visible = emulator.visible_matches();
        assert!(
            visible
                .iter()
                .any(|&(_, start, end)| start == 0 && end == 5),
            "{visible:?}"
        );
        // Past the top it wraps to the bottom.
        emulator.copy_key(&CopyKey::Top, 4);
        emulator.copy_key(
            &CopyKey::Search {
                pattern: "$".to_owned(),
                forward: false,
            },
            4,
        );
        assert_eq!(
            emulator.copy_mode().map(|m| m.cursor.0),
            Some(emulator.history_len() + 4)
        );
    }
}
