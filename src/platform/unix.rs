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

/// The background tunnels' endpoint: a Unix socket only its user can open.
pub mod local_api {
    use std::io;
    use std::path::Path;

    use tokio::net::{UnixListener, UnixStream};

    /// What a server accepts: one byte stream each way.
    pub type Stream = UnixStream;
    /// What a client connects.
    pub type ClientStream = UnixStream;

    /// The bound socket, and the lock that makes its server the user's only one.
    pub struct Listener {
        socket: UnixListener,
        _only: std::fs::File,
    }

    /// Takes the socket at `path`: its directory made private (0700), a lock beside it held
    /// for the server's life (a second server gets `AddrInUse`), a stale socket left by a
    /// server that died replaced, the socket itself 0600.
    pub fn bind(path: &Path) -> io::Result<Listener> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        super::restrict(dir, 0o700);
        let lock_path = path.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        super::restrict(&lock_path, 0o600);
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("the process holding {} serves them", lock_path.display()),
                ));
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(error),
        }
        let _ = std::fs::remove_file(path);
        let socket = UnixListener::bind(path)?;
        super::restrict(path, 0o600);
        Ok(Listener {
            socket,
            _only: lock,
        })
    }

    impl Listener {
        pub async fn accept(&mut self) -> io::Result<Stream> {
            Ok(self.socket.accept().await?.0)
        }
    }

    /// Connects to the server at `path`.
    pub async fn connect(path: &Path) -> io::Result<ClientStream> {
        UnixStream::connect(path).await
    }

    /// `$XDG_RUNTIME_DIR/bosun/tunnels.sock`, when there is such a directory.
    pub fn default_path() -> Option<std::path::PathBuf> {
        let dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty())?;
        Some(
            std::path::PathBuf::from(dir)
                .join("bosun")
                .join("tunnels.sock"),
        )
    }

    /// Removes what the server left at `path` (new clients then start a new server).
    pub fn unbind(path: &Path) {
        let _ = std::fs::remove_file(path);
    }
}

/// A child that outlives this terminal leaves its session itself (`leave_terminal_session`).
pub fn detach(_command: &mut std::process::Command) {}

/// A shell to run interactively, and a sentence for the session when it is not the usual one.
pub struct Shell {
    pub program: &'static str,
    pub args: &'static [&'static str],
    pub note: Option<&'static str>,
}

/// bash without the user's start-up files; `sh` where there is no bash, saying so.
pub fn interactive_shell() -> Shell {
    if std::path::Path::new("/bin/bash").exists() {
        Shell {
            program: "/bin/bash",
            args: &["--noprofile", "--norc", "-i"],
            note: None,
        }
    } else {
        Shell {
            program: "/bin/sh",
            args: &["-i"],
            note: Some("(no bash on this machine: this is /bin/sh)"),
        }
    }
}

/// `command` run by the system's shell (`/bin/sh -c`).
pub fn shell_command(command: &str) -> tokio::process::Command {
    let mut shell = tokio::process::Command::new("/bin/sh");
    shell.arg("-c").arg(command);
    shell
}

/// Nothing of this process's environment is needed by a shell started with a clean one.
pub fn shell_environment() -> Vec<(String, String)> {
    Vec::new()
}

/// A file's permission bits (what an upload gives the copy, less the instance's umask).
pub fn file_mode(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o777
}

/// A file name from the bytes another machine gave it (Unix names are bytes).
pub fn os_string_from_bytes(bytes: Vec<u8>) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(bytes)
}
