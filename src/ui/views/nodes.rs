//! The Nodes view: each cluster's node groups (and Karpenter pools) — how many nodes, how
//! many online and lost, the region, the agents they run (newest first, the count of each) —
//! the cluster named on its first group's row, marked groups marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Cell, Row, TableState};

use crate::app::State;
use crate::config::theme::Theme;
use crate::model::node::NodeGroup;
use crate::ui::columns::{Claim, constraints, kept, share, widest};
use crate::ui::widgets::{fit, note};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = &state.nodes;
    let [title, body, notice, status] = crate::ui::widgets::list_areas(area);
    let clusters = {
        let mut names: Vec<&str> = view.groups.iter().map(|g| g.cluster.as_str()).collect();
        names.dedup();
        names.len()
    };
    let nodes: usize = view.groups.iter().map(|g| g.nodes.len()).sum();
    let online: usize = view.groups.iter().map(NodeGroup::online).sum();
    let marked = if view.marks.is_empty() {
        String::new()
    } else {
        format!(", {} marked", view.marks.len())
    };
    frame.render_widget(
        crate::ui::widgets::view_title(
            state,
            theme,
            format!(
                "nodes: {nodes} in {clusters} cluster{} ({online} online){marked}",
                if clusters == 1 { "" } else { "s" }
            ),
        ),
        title,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.border));
    if view.groups.is_empty() {
        let text = if state.fleet.loaded_at.is_none() {
            "loading…"
        } else {
            "No Kubernetes nodes in these profiles and regions (instances tagged eks:cluster-name \
             or kubernetes.io/cluster/NAME)."
        };
        note(frame, body, block, text, theme);
    } else {
        let texts: Vec<[String; 8]> = view
            .groups
            .iter()
            .enumerate()
            .map(|(i, group)| {
                let first_of_cluster = i == 0 || view.groups[i - 1].cluster != group.cluster;
                let agents: Vec<String> = group
                    .agents()
                    .into_iter()
                    .map(|(version, count)| match count {
                        1 => version,
                        n => format!("{version} ×{n}"),
                    })
                    .collect();
                [
                    if view.is_marked(group) { "●" } else { " " }.to_owned(),
                    if first_of_cluster {
                        group.cluster.clone()
                    } else {
                        String::new()
                    },
                    if group.group.is_empty() {
                        "-".to_owned()
                    } else {
                        group.group.clone()
                    },
                    group.nodes.len().to_string(),
                    group.online().to_string(),
                    group.lost().to_string(),
                    group.regions().join(", "),
                    agents.join(", "),
                ]
            })
            .collect();
        let longest = |column: usize, min: u16| widest(&texts, column, min);
        let widths = share(
            &[
                Claim::fixed(1, 0),
                Claim::new(8, longest(1, 8).min(32), 1),
                Claim::new(9, longest(2, 9).min(32), 2),
                Claim::fixed(5, 3),
                Claim::fixed(6, 3),
                Claim::fixed(4, 3),
                Claim::fixed(longest(6, 6), 5),
                Claim::new(12, u16::MAX, 4),
            ],
            body.width.saturating_sub(2),
        );
        let width_of = |column: usize| usize::from(widths[column].unwrap_or(0));
        let header = Row::new(kept(
            &widths,
            [
                " ",
                "CLUSTER",
                "NODEGROUP",
                "NODES",
                "ONLINE",
                "LOST",
                "REGION",
                "AGENTS",
            ]
            .map(Cell::from),
        ))
        .style(crate::ui::widgets::header_style(theme));
        let rows: Vec<Row> = texts
            .into_iter()
            .map(|text| {
                let lost = text[5] != "0";
                let cells: Vec<Cell> = text
                    .into_iter()
                    .enumerate()
                    .map(|(column, value)| {
                        let cell = Cell::from(fit(&value, width_of(column)));
                        match column {
                            1 => cell.style(Style::default().fg(theme.accent)),
                            5 if lost => cell.style(Style::default().fg(theme.warning)),
                            _ => cell,
                        }
                    })
                    .collect();
                Row::new(kept(&widths, cells))
            })
            .collect();
        let table =
            crate::ui::widgets::selectable_table(rows, constraints(&widths), header, block, theme);
        let mut table_state = TableState::default()
            .with_offset(view.offset)
            .with_selected(Some(view.selected));
        frame.render_stateful_widget(table, body, &mut table_state);
    }
    crate::ui::widgets::notice_and_hints(
        frame,
        notice,
        status,
        state,
        &crate::app::views::nodes::keys::NODES,
        theme,
    );
}
