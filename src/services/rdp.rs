//! The RDP client on this machine: which one `bosun rdp` and the console's `W` start, found on
//! PATH as the platform's (see `model::rdp`).

use crate::model::rdp::{RdpClient, client_for};

/// The client to run on `address` here, if one is installed.
pub fn client_here(address: &str, user: &str, with_password: bool) -> Option<RdpClient> {
    client_for(std::env::consts::OS, on_path, address, user, with_password)
}

/// Whether `program` is a file on PATH (or `program.exe`, on Windows).
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            let candidate = dir.join(program);
            candidate.is_file() || candidate.with_extension("exe").is_file()
        })
    })
}
