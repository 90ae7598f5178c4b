//! Unix: permission bits, process groups and sessions.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

/// Opens `path` for writing (created or emptied), mode 0600 when created.
pub(super) fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

/// Makes `path` anew (never opening one already there), mode 0600.
pub(super) fn new_private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Narrows a file's or directory's permissions to `mode` (0600, 0700).
pub fn restrict(path: &std::path::Path, mode: u32) {
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// Starts `command` in a process group of its own, so all it starts can be killed together.
pub fn own_process_group(command: &mut tokio::process::Command) {
    command.process_group(0);
}

/// Kills the process group led by `pid` (the shell and whatever it started).
pub fn kill_process_group(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Leaves the terminal's session (setsid): a hang-up of the terminal is not this process's.
pub fn leave_terminal_session() {
    let _ = rustix::process::setsid();
}
