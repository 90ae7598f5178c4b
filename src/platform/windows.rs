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

/// The background tunnels' endpoint: a named pipe. Its default security grants full access to
/// the user who made it (and to SYSTEM and administrators) and only read access to everyone
/// else, so no other user can send it a request, and the server speaks only when asked;
/// remote clients are refused and the first instance is required, so a pipe another process
/// made first under the same name is never served behind (that server reports it instead).
pub mod local_api {
    use std::io;
    use std::path::Path;
    use std::time::Duration;

    use tokio::net::windows::named_pipe::{
        ClientOptions, NamedPipeClient, NamedPipeServer, ServerOptions,
    };

    /// The pipe's name: `path` itself when it names a pipe (`\\.\pipe\…`), else a pipe named
    /// after the path (separators made dashes), so each state directory has its own.
    pub fn pipe_name(path: &Path) -> String {
        let path = path.to_string_lossy();
        if path.starts_with(r"\\.\pipe\") {
            return path.into_owned();
        }
        let flat: String = path
            .chars()
            .map(|c| {
                if matches!(c, '\\' | '/' | ':') {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        format!(r"\\.\pipe\bosun-{}", flat.trim_matches('-'))
    }

    /// What a server accepts.
    pub type Stream = NamedPipeServer;
    /// What a client connects.
    pub type ClientStream = NamedPipeClient;

    /// The pipe instance the next client connects to.
    pub struct Listener {
        name: String,
        next: NamedPipeServer,
    }

    fn instance(name: &str, first: bool) -> io::Result<NamedPipeServer> {
        ServerOptions::new()
            .first_pipe_instance(first)
            .reject_remote_clients(true)
            .create(name)
    }

    /// Makes the pipe for `path`; `AddrInUse` when a server already has it.
    pub fn bind(path: &Path) -> io::Result<Listener> {
        let name = pipe_name(path);
        match instance(&name, true) {
            Ok(next) => Ok(Listener { name, next }),
            Err(error) if error.kind() == io::ErrorKind::PermissionDenied => Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("another process has made {name}"),
            )),
            Err(error) => Err(error),
        }
    }

    impl Listener {
        pub async fn accept(&mut self) -> io::Result<Stream> {
            self.next.connect().await?;
            let next = instance(&self.name, false)?;
            Ok(std::mem::replace(&mut self.next, next))
        }
    }

    /// Connects to the server's pipe for `path`, waiting a moment while every instance is busy.
    pub async fn connect(path: &Path) -> io::Result<ClientStream> {
        /// ERROR_PIPE_BUSY: the server is between two instances.
        const PIPE_BUSY: i32 = 231;
        let name = pipe_name(path);
        let mut tries = 0;
        loop {
            match ClientOptions::new().open(&name) {
                Err(error) if error.raw_os_error() == Some(PIPE_BUSY) && tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                opened => return opened,
            }
        }
    }

    /// `\\.\pipe\bosun-tunnels-USER`: one per user, a name other tools can find.
    pub fn default_path() -> Option<std::path::PathBuf> {
        let user = std::env::var("USERNAME").unwrap_or_else(|_| "user".to_owned());
        Some(format!(r"\\.\pipe\bosun-tunnels-{user}").into())
    }

    /// A pipe goes with its server's handles: nothing is left behind.
    pub fn unbind(_path: &Path) {}
}

/// Starts a child that outlives its console: no console of its own, and not in this one's
/// process group (Ctrl-C or Ctrl-Break typed here does not reach it).
pub fn detach(command: &mut std::process::Command) {
    use std::os::windows::process::CommandExt;
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
}

/// A shell to run interactively, and a sentence for the session when it is not the usual one.
pub struct Shell {
    pub program: String,
    pub args: &'static [&'static str],
    pub note: Option<&'static str>,
}

/// The command interpreter (`%COMSPEC%`, cmd.exe) without AutoRun commands, saying so: the
/// simulated instances are Linux machines, but here the shell is Windows'.
pub fn interactive_shell() -> Shell {
    Shell {
        program: std::env::var("COMSPEC").unwrap_or_else(|_| "cmd.exe".to_owned()),
        args: &["/d"],
        note: Some("(a Windows machine: this is cmd.exe)"),
    }
}

/// `command` run by the command interpreter (`cmd /d /s /c "…"`), its text passed as it is.
pub fn shell_command(command: &str) -> tokio::process::Command {
    let shell = interactive_shell();
    let mut command_line = tokio::process::Command::new(shell.program);
    command_line.raw_arg(format!("/d /s /c \"{command}\""));
    command_line
}

/// What cmd.exe and the programs it starts cannot run without, taken from this process: the
/// system's folders and search path (Windows' PATH, not the simulated Linux one).
pub fn shell_environment() -> Vec<(String, String)> {
    [
        "SystemRoot",
        "windir",
        "COMSPEC",
        "PATH",
        "PATHEXT",
        "TEMP",
        "TMP",
    ]
    .into_iter()
    .filter_map(|name| Some((name.to_owned(), std::env::var(name).ok()?)))
    .collect()
}

/// No mode bits here: a file others may read, as `cp` makes one under the usual umask.
pub fn file_mode(_metadata: &std::fs::Metadata) -> u32 {
    0o644
}

/// A file name from the bytes another machine gave it: Windows names are Unicode, so bytes
/// that are not UTF-8 become U+FFFD.
pub fn os_string_from_bytes(bytes: Vec<u8>) -> std::ffi::OsString {
    String::from_utf8_lossy(&bytes).into_owned().into()
}
