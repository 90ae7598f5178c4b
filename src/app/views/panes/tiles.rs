//! A tab's tiles, pure: a tree of splits (side by side or stacked) holding panes, how it shares
//! a screen area out (so the reducer, the renderer and the runtime's resize agree on where
//! each pane is), and the grid several panes open in.

use ratatui::layout::Rect;

use crate::model::pane::PaneId;

/// Side by side (`Right`) or one above the other (`Down`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitDirection {
    Right,
    Down,
}

/// Where focus moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Left,
    Right,
    Up,
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Pane(PaneId),
    /// Children share the space equally.
    Split {
        direction: SplitDirection,
        children: Vec<Node>,
    },
}

impl Node {
    fn panes(&self, out: &mut Vec<PaneId>) {
        match self {
            Node::Pane(id) => out.push(*id),
            Node::Split { children, .. } => children.iter().for_each(|c| c.panes(out)),
        }
    }

    /// Replaces the leaf `target` with a split of it and `new`. When the parent already
    /// splits the same way the new pane joins it, as tmux does.
    pub(super) fn split(&mut self, target: PaneId, new: PaneId, direction: SplitDirection) -> bool {
        match self {
            Node::Pane(id) if *id == target => {
                *self = Node::Split {
                    direction,
                    children: vec![Node::Pane(target), Node::Pane(new)],
                };
                true
            }
            Node::Pane(_) => false,
            Node::Split {
                direction: own,
                children,
            } => {
                if *own == direction
                    && let Some(index) = children
                        .iter()
                        .position(|c| matches!(c, Node::Pane(id) if *id == target))
                {
                    children.insert(index + 1, Node::Pane(new));
                    return true;
                }
                children
                    .iter_mut()
                    .any(|child| child.split(target, new, direction))
            }
        }
    }

    /// Removes the leaf `target`; returns false when this whole node is now empty.
    pub(super) fn remove(&mut self, target: PaneId) -> bool {
        match self {
            Node::Pane(id) => *id != target,
            Node::Split { children, .. } => {
                children.retain_mut(|child| child.remove(target));
                if children.len() == 1 {
                    let only = children.remove(0);
                    *self = only;
                }
                !matches!(self, Node::Split { children, .. } if children.is_empty())
            }
        }
    }

    fn layout(&self, area: Rect, out: &mut Vec<(PaneId, Rect)>) {
        match self {
            Node::Pane(id) => out.push((*id, area)),
            Node::Split {
                direction,
                children,
            } => {
                for (child, rect) in children.iter().zip(share(area, *direction, children.len())) {
                    child.layout(rect, out);
                }
            }
        }
    }
}

/// Splits `area` into `count` equal parts. Side-by-side parts leave one column between them
/// for the separator; stacked parts need none (each pane's title line separates them).
fn share(area: Rect, direction: SplitDirection, count: usize) -> Vec<Rect> {
    let count = u16::try_from(count.max(1)).unwrap_or(u16::MAX);
    let (total, gaps) = match direction {
        SplitDirection::Right => (area.width, count - 1),
        SplitDirection::Down => (area.height, 0),
    };
    let usable = total.saturating_sub(gaps);
    let base = usable / count;
    let extra = usable % count;
    let mut position = match direction {
        SplitDirection::Right => area.x,
        SplitDirection::Down => area.y,
    };
    (0..count)
        .map(|index| {
            // The last parts take the remainder, one cell each.
            let size = base + u16::from(index >= count - extra);
            let rect = match direction {
                SplitDirection::Right => Rect::new(position, area.y, size, area.height),
                SplitDirection::Down => Rect::new(area.x, position, area.width, size),
            };
            position += size + u16::from(direction == SplitDirection::Right);
            rect
        })
        .collect()
}

/// A grid of `ids`, rows of up to ⌈√n⌉ panes: tmux's "tiled" layout.
pub(super) fn grid(ids: &[PaneId]) -> Option<Node> {
    if ids.len() <= 1 {
        return ids.first().map(|&id| Node::Pane(id));
    }
    let columns = (1..).find(|c| c * c >= ids.len()).unwrap_or(1);
    let rows: Vec<Node> = ids
        .chunks(columns)
        .map(|row| match row {
            [single] => Node::Pane(*single),
            _ => Node::Split {
                direction: SplitDirection::Right,
                children: row.iter().map(|&id| Node::Pane(id)).collect(),
            },
        })
        .collect();
    Some(if rows.len() == 1 {
        rows.into_iter().next()?
    } else {
        Node::Split {
            direction: SplitDirection::Down,
            children: rows,
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    pub root: Node,
    pub focus: PaneId,
    pub zoomed: bool,
    /// Typing goes to every marked pane of the tab (all of them when none is marked).
    pub broadcast: bool,
}

impl Tab {
    pub fn panes(&self) -> Vec<PaneId> {
        let mut out = Vec::new();
        self.root.panes(&mut out);
        out
    }

    /// Where each pane of the tab goes in `area` (only the focused one when zoomed).
    pub fn layout(&self, area: Rect) -> Vec<(PaneId, Rect)> {
        if self.zoomed {
            return vec![(self.focus, area)];
        }
        let mut out = Vec::new();
        self.root.layout(area, &mut out);
        out
    }
}
