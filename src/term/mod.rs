//! A pane's terminal emulator: the vt100 parser behind DEC line drawing, with scrollback, the
//! window title programs set, the key modes input encoding needs, and drawing of the visible
//! screen into a ratatui buffer (256 colours, truecolor, wide characters, attributes).

pub mod asciicast;
pub mod charset;
pub mod copy;
pub mod escape;
pub mod keys;
pub mod player;
pub mod replay;

use std::num::NonZeroU16;

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};

use self::charset::LineDrawing;
use self::keys::KeyModes;

/// Lines of history each pane keeps unless the configuration says otherwise. vt100 keeps
/// 32 bytes a cell, so a line costs 32 bytes a column: 5,000 lines is 12.8 MB at 80 columns,
/// 25.6 MB at 160, 38.4 MB at 240 (tmux keeps 2,000 by default).
pub const SCROLLBACK_LINES: usize = 5_000;

/// What the parser reports besides the screen: the title programs set (OSC 0/2).
#[derive(Debug, Default)]
struct Reports {
    title: Option<String>,
}

impl vt100::Callbacks for Reports {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        let title = String::from_utf8_lossy(title);
        // A title is one short line; control characters would break the pane's frame.
        let clean: String = title.chars().filter(|c| !c.is_control()).take(80).collect();
        self.title = (!clean.is_empty()).then_some(clean);
    }
}

pub struct Emulator {
    parser: vt100::Parser<Reports>,
    line_drawing: LineDrawing,
    /// Copy mode, while the user is in it.
    copy: Option<copy::CopyMode>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (rows, cols) = self.size();
        write!(f, "Emulator({rows}x{cols})")
    }
}

fn non_zero(value: u16) -> NonZeroU16 {
    NonZeroU16::new(value).unwrap_or(NonZeroU16::MIN)
}

impl Emulator {
    pub fn new(rows: u16, cols: u16) -> Emulator {
        Emulator::with_scrollback(rows, cols, SCROLLBACK_LINES)
    }

    /// An emulator keeping `lines` of history.
    pub fn with_scrollback(rows: u16, cols: u16, lines: usize) -> Emulator {
        Emulator {
            parser: vt100::Parser::new_with_callbacks(
                non_zero(rows),
                non_zero(cols),
                lines,
                Reports::default(),
            ),
            line_drawing: LineDrawing::default(),
            copy: None,
        }
    }

    /// The history's length when it is full (the oldest lines now go as new ones come).
    pub fn history_full(&self) -> Option<usize> {
        let screen = self.parser.screen();
        let capacity = screen.scrollback_capacity();
        (capacity > 0 && screen.scrollback_len() >= capacity).then_some(capacity)
    }

    /// Feeds output from the remote side.
    pub fn process(&mut self, bytes: &[u8]) {
        let parser = &mut self.parser;
        self.line_drawing.feed(bytes, |bytes| parser.process(bytes));
    }

    /// (rows, cols).
    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = self.parser.screen().size();
        (rows.get(), cols.get())
    }

    pub fn resize(&mut self, rows: u16, cols: u16) {
        if self.size() != (rows, cols) {
            self.parser.set_size(non_zero(rows), non_zero(cols));
        }
    }

    pub fn screen(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    /// The whole screen as it stands (both grids, modes, cursor), to come back to later: a
    /// replay's keyframe.
    pub fn snapshot(&self) -> vt100::Screen {
        self.parser.screen().clone()
    }

    /// Back to a [`Emulator::snapshot`], size included.
    pub fn restore(&mut self, screen: &vt100::Screen) {
        *self.parser.screen_mut() = screen.clone();
    }

    pub fn title(&self) -> Option<&str> {
        self.parser.callbacks().title.as_deref()
    }

    pub fn key_modes(&self) -> KeyModes {
        let screen = self.parser.screen();
        KeyModes {
            application_cursor: screen.application_cursor(),
            bracketed_paste: screen.bracketed_paste(),
        }
    }

    /// Lines scrolled back from the live screen (0 when following output).
    pub fn scrolled_back(&self) -> usize {
        self.parser.screen().scrollback()
    }

    /// Scrolls the view by `lines` (positive: back into history); clamped to what exists.
    pub fn scroll_by(&mut self, lines: isize) {
        let current = self.scrolled_back();
        let wanted = current.saturating_add_signed(lines);
        self.parser.screen_mut().set_scrollback(wanted);
    }

    pub fn scroll_to_bottom(&mut self) {
        self.parser.screen_mut().set_scrollback(0);
    }

    /// Draws the visible screen into `area` of `buffer`. `default` supplies the colours for
    /// cells that use the terminal's defaults (the theme's text and background). Returns where
    /// the cursor is, when it should be shown.
    pub fn render(&self, area: Rect, buffer: &mut Buffer, default: Style) -> Option<Position> {
        let screen = self.parser.screen();
        for row in 0..area.height {
            for col in 0..area.width {
                let position = Position::new(area.x + col, area.y + row);
                let Some(target) = buffer.cell_mut(position) else {
                    continue;
                };
                let Some(cell) = screen.cell(row, col) else {
                    target.reset();
                    target.set_style(default);
                    continue;
                };
                if cell.is_wide_continuation() {
                    // The wide character to the left covers this column.
                    target.set_symbol("");
                    continue;
                }
                if cell.is_wide() && col + 1 == area.width {
                    // Half a wide character cannot be drawn: leave the last column blank.
                    target.set_symbol(" ");
                    target.set_style(default);
                    continue;
                }
                let contents = cell.contents();
                target.set_symbol(if contents.is_empty() { " " } else { contents });
                target.set_style(cell_style(cell, default));
            }
        }
        let (row, col) = screen.cursor_position();
        let visible = !screen.hide_cursor()
            && screen.scrollback() == 0
            && row < area.height
            && col < area.width;
        visible.then(|| Position::new(area.x + col, area.y + row))
    }
}

fn colour(colour: vt100::Color, default: Option<Color>) -> Option<Color> {
    match colour {
        vt100::Color::Default => default,
        vt100::Color::Idx(index) => Some(Color::Indexed(index)),
        vt100::Color::Rgb(r, g, b) => Some(Color::Rgb(r, g, b)),
    }
}

fn cell_style(cell: &vt100::Cell, default: Style) -> Style {
    let mut modifiers = Modifier::empty();
    if cell.bold() {
        modifiers |= Modifier::BOLD;
    }
    if cell.dim() {
        modifiers |= Modifier::DIM;
    }
    if cell.italic() {
        modifiers |= Modifier::ITALIC;
    }
    if cell.underline() {
        modifiers |= Modifier::UNDERLINED;
    }
    if cell.inverse() {
        modifiers |= Modifier::REVERSED;
    }
    Style {
        fg: colour(cell.fgcolor(), default.fg),
        bg: colour(cell.bgcolor(), default.bg),
        add_modifier: modifiers,
        ..Style::default()
    }
}

/// Every pane's emulator, by pane. The console's main loop owns them: sessions send it bytes.
pub type Screens = std::collections::HashMap<crate::model::pane::PaneId, Emulator>;

#[cfg(test)]
mod tests;
