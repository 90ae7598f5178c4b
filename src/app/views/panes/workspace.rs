//! The pane workspace, pure: tabs, each a tree of splits holding shell panes, the focused
//! pane, zoom, broadcast, and each pane's connection state. Geometry (which pane sits where
//! for a given screen area) is computed here too, so the reducer, the renderer and the
//! runtime's resize logic all agree on it.

use std::collections::BTreeMap;

use ratatui::layout::Rect;

use crate::model::pane::{PaneId, PaneStatus, PaneTarget};

use super::tiles::{Direction, SplitDirection, Tab, grid};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pane {
    pub id: PaneId,
    pub target: PaneTarget,
    pub status: PaneStatus,
    /// Marked panes are the ones broadcast input goes to.
    pub marked: bool,
    /// Whether this pane's current session ever connected.
    pub connected_once: bool,
    /// Why a session that never connected could not start: the doctor's one-line cause.
    pub cause: Option<String>,
    /// Its current session's id, once known.
    pub session_id: Option<String>,
    /// Where its output is being recorded, while it is.
    pub recording: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    pub panes: BTreeMap<PaneId, Pane>,
    pub tabs: Vec<Tab>,
    pub current: usize,
    next_id: PaneId,
}

impl Workspace {
    pub fn is_empty(&self) -> bool {
        self.tabs.is_empty()
    }

    /// Panes whose session has not ended: what quitting would end.
    pub fn live_count(&self) -> usize {
        self.panes.values().filter(|p| !p.status.is_ended()).count()
    }

    pub fn tab(&self) -> Option<&Tab> {
        self.tabs.get(self.current)
    }

    fn tab_mut(&mut self) -> Option<&mut Tab> {
        self.tabs.get_mut(self.current)
    }

    pub fn focused(&self) -> Option<&Pane> {
        self.tab().and_then(|tab| self.panes.get(&tab.focus))
    }

    fn new_pane(&mut self, target: PaneTarget) -> PaneId {
        self.next_id += 1;
        let id = self.next_id;
        self.panes.insert(
            id,
            Pane {
                id,
                target,
                status: PaneStatus::Connecting,
                marked: false,
                connected_once: false,
                cause: None,
                session_id: None,
                recording: None,
            },
        );
        id
    }

    /// A new tab with one pane per target, tiled; it becomes the current tab.
    pub fn open_tab(&mut self, targets: Vec<PaneTarget>) -> Vec<PaneId> {
        let ids: Vec<PaneId> = targets.into_iter().map(|t| self.new_pane(t)).collect();
        if let Some(root) = grid(&ids) {
            self.tabs.push(Tab {
                root,
                focus: ids[0],
                zoomed: false,
                broadcast: false,
            });
            self.current = self.tabs.len() - 1;
        }
        ids
    }

    /// A new pane next to the focused one (a new tab when there is none); it takes focus.
    pub fn split(&mut self, target: PaneTarget, direction: SplitDirection) -> PaneId {
        if self.tab().is_none() {
            return self.open_tab(vec![target])[0];
        }
        let id = self.new_pane(target);
        if let Some(tab) = self.tab_mut() {
            tab.root.split(tab.focus, id, direction);
            tab.focus = id;
            tab.zoomed = false;
        }
        id
    }

    /// Removes a pane; its tab goes when it was the last. Focus moves to the pane that took
    /// its place in reading order.
    pub fn close(&mut self, id: PaneId) {
        self.panes.remove(&id);
        let Some(index) = self.tabs.iter().position(|tab| tab.panes().contains(&id)) else {
            return;
        };
        let tab = &mut self.tabs[index];
        let before = tab.panes();
        if !tab.root.remove(id) {
            self.tabs.remove(index);
            if self.current >= index && self.current > 0 {
                self.current -= 1;
            }
            return;
        }
        if tab.focus == id {
            let position = before.iter().position(|&p| p == id).unwrap_or(0);
            let after = tab.panes();
            tab.focus = after[position.min(after.len() - 1)];
            tab.zoomed = false;
        }
    }

    /// Rebuilds the current tab as a grid of its panes.
    pub fn retile(&mut self) {
        if let Some(tab) = self.tab_mut()
            && let Some(root) = grid(&tab.panes())
        {
            tab.root = root;
            tab.zoomed = false;
        }
    }

    /// Moves focus to the nearest pane in `direction` of the focused one, in `area`.
    pub fn focus_toward(&mut self, direction: Direction, area: Rect) {
        let Some(tab) = self.tab_mut() else { return };
        if tab.zoomed {
            return;
        }
        let placed = tab.layout(area);
        let Some(&(_, from)) = placed.iter().find(|(id, _)| *id == tab.focus) else {
            return;
        };
        let centre = |r: Rect| {
            (
                i32::from(r.x) * 2 + i32::from(r.width),
                i32::from(r.y) * 2 + i32::from(r.height),
            )
        };
        let (fx, fy) = centre(from);
        let best = placed
            .iter()
            .filter(|(id, rect)| {
                *id != tab.focus
                    && match direction {
                        Direction::Left => rect.right() <= from.x,
                        Direction::Right => rect.x >= from.right(),
                        Direction::Up => rect.bottom() <= from.y,
                        Direction::Down => rect.y >= from.bottom(),
                    }
            })
            .min_by_key(|(_, rect)| {
                let (x, y) = centre(*rect);
                // Prefer panes in line with this one, then the closest.
                let (along, across) = match direction {
                    Direction::Left | Direction::Right => ((x - fx).abs(), (y - fy).abs()),
                    Direction::Up | Direction::Down => ((y - fy).abs(), (x - fx).abs()),
                };
                (across, along)
            });
        if let Some(&(id, _)) = best {
            tab.focus = id;
        }
    }

    /// Focuses the pane under a mouse click; returns it.
    pub fn focus_at(&mut self, column: u16, row: u16, area: Rect) -> Option<PaneId> {
        let tab = self.tab_mut()?;
        let (id, _) = tab
            .layout(area)
            .into_iter()
            .find(|(_, rect)| rect.contains(ratatui::layout::Position::new(column, row)))?;
        tab.focus = id;
        Some(id)
    }

    /// The pane under a point, without changing focus (for the mouse wheel).
    pub fn pane_at(&self, column: u16, row: u16, area: Rect) -> Option<PaneId> {
        self.tab()?
            .layout(area)
            .into_iter()
            .find(|(_, rect)| rect.contains(ratatui::layout::Position::new(column, row)))
            .map(|(id, _)| id)
    }

    pub fn toggle_zoom(&mut self) {
        if let Some(tab) = self.tab_mut() {
            tab.zoomed = !tab.zoomed;
        }
    }

    pub fn toggle_broadcast(&mut self) {
        if let Some(tab) = self.tab_mut() {
            tab.broadcast = !tab.broadcast;
        }
    }

    pub fn toggle_mark(&mut self) {
        if let Some(focus) = self.tab().map(|tab| tab.focus)
            && let Some(pane) = self.panes.get_mut(&focus)
        {
            pane.marked = !pane.marked;
        }
    }

    /// Where typing goes: the focused pane, or with broadcast on, the tab's marked panes (all
    /// of the tab's panes when none is marked). Ended sessions take no input.
    pub fn input_targets(&self) -> Vec<PaneId> {
        let Some(tab) = self.tab() else {
            return Vec::new();
        };
        let live = |id: &PaneId| self.panes.get(id).is_some_and(|p| !p.status.is_ended());
        if !tab.broadcast {
            return [tab.focus].into_iter().filter(live).collect();
        }
        let panes = tab.panes();
        let marked: Vec<PaneId> = panes
            .iter()
            .copied()
            .filter(|id| self.panes.get(id).is_some_and(|p| p.marked))
            .collect();
        let chosen = if marked.is_empty() { panes } else { marked };
        chosen.into_iter().filter(live).collect()
    }

    pub fn next_tab(&mut self) {
        if !self.tabs.is_empty() {
            self.current = (self.current + 1) % self.tabs.len();
        }
    }

    pub fn previous_tab(&mut self) {
        if !self.tabs.is_empty() {
            self.current = (self.current + self.tabs.len() - 1) % self.tabs.len();
        }
    }

    /// Selects tab `number` (1-based, as shown), if it exists.
    pub fn select_tab(&mut self, number: usize) {
        if (1..=self.tabs.len()).contains(&number) {
            self.current = number - 1;
        }
    }

    /// Sets a pane's status; true when its session has just ended without ever connecting
    /// (the moment to ask the doctor why).
    pub fn set_status(&mut self, id: PaneId, status: PaneStatus) -> bool {
        let Some(pane) = self.panes.get_mut(&id) else {
            return false;
        };
        match &status {
            PaneStatus::Connecting => {
                // A reconnect: a new session, with its own story.
                pane.connected_once = false;
                pane.cause = None;
            }
            // Ready after connecting; Connected after Resuming is only the socket back.
            PaneStatus::Connected if pane.status == PaneStatus::Connecting => {
                pane.connected_once = true;
            }
            PaneStatus::Connected | PaneStatus::Resuming { .. } | PaneStatus::Ended { .. } => {}
        }
        let never_began = status.is_ended() && !pane.status.is_ended() && !pane.connected_once;
        pane.status = status;
        never_began
    }

    /// The live pane whose session is `session_id`, if any.
    pub fn pane_of_session(&self, session_id: &str) -> Option<PaneId> {
        self.panes
            .values()
            .find(|p| p.session_id.as_deref() == Some(session_id) && !p.status.is_ended())
            .map(|p| p.id)
    }

    /// Gives the doctor's cause to the ended panes on `instance_id` that never connected.
    pub fn set_cause(&mut self, instance_id: &str, cause: &str) {
        for pane in self.panes.values_mut() {
            if pane.target.instance_id == instance_id
                && pane.status.is_ended()
                && !pane.connected_once
            {
                pane.cause = Some(cause.to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::views::panes::tiles::Node;
    use crate::model::instance::Ping;

    fn target(name: &str) -> PaneTarget {
        PaneTarget {
            instance_id: format!("i-{name}"),
            name: name.to_owned(),
            profile: "demo".to_owned(),
            region: "us-east-1".to_owned(),
            ping: Ping::Online,
            container: None,
            command: None,
            replay: None,
        }
    }

    const AREA: Rect = Rect::new(0, 0, 101, 40);

    #[test]
    fn four_targets_tile_as_a_two_by_two_grid() {
        let mut workspace = Workspace::default();
        let ids = workspace.open_tab(["a", "b", "c", "d"].map(target).to_vec());
        let placed = workspace.tab().expect("tab").layout(AREA);
        assert_eq!(
            placed,
            vec![
                (ids[0], Rect::new(0, 0, 50, 20)),
                (ids[1], Rect::new(51, 0, 50, 20)),
                (ids[2], Rect::new(0, 20, 50, 20)),
                (ids[3], Rect::new(51, 20, 50, 20)),
            ]
        );
    }

    #[test]
    fn splits_nest_and_closing_collapses_them() {
        let mut workspace = Workspace::default();
        let a = workspace.split(target("a"), SplitDirection::Right);
        let b = workspace.split(target("b"), SplitDirection::Right);
        let c = workspace.split(target("c"), SplitDirection::Down);
        let tab = workspace.tab().expect("tab");
        assert_eq!(tab.focus, c);
        assert_eq!(
            tab.root,
            Node::Split {
                direction: SplitDirection::Right,
                children: vec![
                    Node::Pane(a),
                    Node::Split {
                        direction: SplitDirection::Down,
                        children: vec![Node::Pane(b), Node::Pane(c)]
                    }
                ]
            }
        );
        workspace.close(c);
        let tab = workspace.tab().expect("tab");
        assert_eq!(tab.focus, b);
        assert_eq!(
            tab.root,
            Node::Split {
                direction: SplitDirection::Right,
                children: vec![Node::Pane(a), Node::Pane(b)]
            }
        );
        workspace.close(a);
        workspace.close(b);
        assert!(workspace.is_empty());
        assert!(workspace.panes.is_empty());
    }

    #[test]
    fn focus_moves_to_the_neighbour_in_line() {
        let mut workspace = Workspace::default();
        let ids = workspace.open_tab(["a", "b", "c", "d"].map(target).to_vec());
        workspace.focus_toward(Direction::Right, AREA);
        assert_eq!(workspace.tab().expect("tab").focus, ids[1]);
        workspace.focus_toward(Direction::Down, AREA);
        assert_eq!(workspace.tab().expect("tab").focus, ids[3]);
        workspace.focus_toward(Direction::Left, AREA);
        assert_eq!(workspace.tab().expect("tab").focus, ids[2]);
        workspace.focus_toward(Direction::Left, AREA);
        assert_eq!(
            workspace.tab().expect("tab").focus,
            ids[2],
            "nothing further left"
        );
        assert_eq!(workspace.focus_at(60, 5, AREA), Some(ids[1]));
    }

    #[test]
    fn zoom_gives_the_focused_pane_everything() {
        let mut workspace = Workspace::default();
        let ids = workspace.open_tab(["a", "b"].map(target).to_vec());
        workspace.toggle_zoom();
        assert_eq!(
            workspace.tab().expect("tab").layout(AREA),
            vec![(ids[0], AREA)]
        );
    }

    #[test]
    fn broadcast_goes_to_marked_live_panes() {
        let mut workspace = Workspace::default();
        let ids = workspace.open_tab(["a", "b", "c"].map(target).to_vec());
        assert_eq!(workspace.input_targets(), vec![ids[0]]);
        workspace.toggle_broadcast();
        assert_eq!(workspace.input_targets(), ids);
        workspace.toggle_mark();
        workspace.focus_toward(Direction::Right, AREA);
        workspace.toggle_mark();
        assert_eq!(workspace.input_targets(), vec![ids[0], ids[1]]);
        workspace.set_status(ids[1], PaneStatus::ended("exit"));
        assert_eq!(workspace.input_targets(), vec![ids[0]]);
    }

    #[test]
    fn tabs_cycle_and_close() {
        let mut workspace = Workspace::default();
        workspace.open_tab(vec![target("a")]);
        let second = workspace.open_tab(vec![target("b")]);
        assert_eq!(workspace.current, 1);
        workspace.next_tab();
        assert_eq!(workspace.current, 0);
        workspace.previous_tab();
        assert_eq!(workspace.current, 1);
        workspace.select_tab(1);
        assert_eq!(workspace.current, 0);
        workspace.select_tab(9);
        assert_eq!(workspace.current, 0);
        workspace.close(second[0]);
        assert_eq!(workspace.tabs.len(), 1);
    }
}
