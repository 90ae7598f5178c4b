//! The background tunnels' API where there is no Unix socket (Windows, until a named pipe only
//! its user can open takes its place): every call says so, with what to do instead.

use std::io;
use std::path::Path;

use crate::model::tunnel_api::{Answer, Request};

const UNSUPPORTED: &str = "background tunnels need a Unix socket, which this platform build does not have yet: run `bosun tunnel NAME` in a terminal instead";

/// Stands in for the Unix client: it never connects.
pub struct Client;

impl Client {
    pub async fn connect(_path: &Path) -> io::Result<Client> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNSUPPORTED))
    }

    pub async fn ask(&mut self, _request: &Request) -> io::Result<Answer> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNSUPPORTED))
    }

    pub async fn next(&mut self) -> io::Result<Option<Answer>> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNSUPPORTED))
    }
}

pub async fn connect_or_start(
    _socket: &Path,
    _config_file: Option<&Path>,
) -> Result<Client, String> {
    Err(UNSUPPORTED.to_owned())
}
