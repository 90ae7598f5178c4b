//! Each view's drawing, one file a view (the fleet, the panes, Run Command's watch and its
//! groups, the tunnels, the sessions, the containers).

pub mod containers;
pub mod fleet;
pub mod panes;
pub mod runs;
pub mod sessions;
pub mod tunnels;
