//! Windows: files under the user's profile are the user's (its ACLs, not mode bits); a child
//! is killed with its handle (no process groups to signal); a detached process has no console
//! session to leave.

/// Opens `path` for writing (created or emptied); the profile's ACLs keep it the user's.
pub(super) fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

/// Makes `path` anew (never opening one already there).
pub(super) fn new_private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Mode bits do not exist here: the user profile's ACLs already keep the file the user's.
pub fn restrict(_path: &std::path::Path, _mode: u32) {}

/// No process groups: the child is killed through its own handle.
pub fn own_process_group(_command: &mut tokio::process::Command) {}

/// No process groups: the caller kills the child itself.
pub fn kill_process_group(_pid: u32) {}

/// A process started detached has no console session to leave.
pub fn leave_terminal_session() {}
