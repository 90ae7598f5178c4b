//! Where things go on screen, as the reducer and the runtime both need it: rows of the fleet
//! table, the panes' area and each pane's terminal.

use ratatui::layout::Rect;

/// Rows of the fleet table that fit in a screen `height` lines tall: the title, filter and
/// status lines, the table's two borders and its header take six.
pub fn table_rows_for(height: u16) -> usize {
    usize::from(height.saturating_sub(6)).max(1)
}

/// The first row on screen after the selection moved: it moves just enough that `selected`
/// is among the `rows` shown from `offset`.
pub fn scrolled(selected: usize, offset: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + rows {
        selected + 1 - rows
    } else {
        offset
    }
}

/// Where the panes go on a screen of `screen` size: all but the tab bar and status line.
pub fn pane_area(screen: Rect) -> Rect {
    Rect::new(
        screen.x,
        screen.y + 1,
        screen.width,
        screen.height.saturating_sub(2),
    )
}

/// The part of a pane's rectangle its terminal gets: below the pane's title line.
pub fn pane_content(rect: Rect) -> Rect {
    Rect::new(
        rect.x,
        rect.y + 1,
        rect.width,
        rect.height.saturating_sub(1),
    )
}

/// Smallest useful pane content; a split that would go below opens a tab instead.
pub(crate) const MIN_PANE: (u16, u16) = (20, 3);

/// Rows inside the Run Command watch view's output box on a screen `height` tall: what the
/// title, summary, notice and status lines, the grid (45 % of the screen, rounded as the
/// layout rounds) and the box's border leave.
pub fn run_output_rows(height: u16) -> usize {
    let height = usize::from(height);
    let grid = (height * 45 + 50) / 100;
    height.saturating_sub(4 + grid).saturating_sub(2).max(1)
}
