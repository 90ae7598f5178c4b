//! The tunnel's local end: a TCP port (127.0.0.1 unless told otherwise) or a Unix socket (the
//! plugin's `localUnixSocket`), and the connections accepted on it.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};

/// Where a tunnel listens: the address asked for, or (once bound) the one it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenOn {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl fmt::Display for ListenOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenOn::Tcp(address) => address.fmt(f),
            ListenOn::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl ListenOn {
    /// The local port, for a TCP listener.
    pub fn port(&self) -> Option<u16> {
        match self {
            ListenOn::Tcp(address) => Some(address.port()),
            ListenOn::Unix(_) => None,
        }
    }
}

/// A bound listener. A Unix socket's file is removed when it is dropped.
pub(super) enum LocalListener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener, PathBuf),
}

impl LocalListener {
    /// Binds `on`; a stale Unix socket file left by an earlier run is replaced, as the
    /// official plugin does.
    pub(super) async fn bind(on: &ListenOn) -> io::Result<LocalListener> {
        match on {
            ListenOn::Tcp(address) => Ok(LocalListener::Tcp(TcpListener::bind(address).await?)),
            #[cfg(unix)]
            ListenOn::Unix(path) => {
                let _ = std::fs::remove_file(path);
                Ok(LocalListener::Unix(UnixListener::bind(path)?, path.clone()))
            }
            #[cfg(not(unix))]
            ListenOn::Unix(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "Unix sockets need a Unix system",
            )),
        }
    }

    /// Where it listens (a TCP port asked as 0 is the one the system chose).
    pub(super) fn local(&self) -> io::Result<ListenOn> {
        match self {
            LocalListener::Tcp(listener) => Ok(ListenOn::Tcp(listener.local_addr()?)),
            #[cfg(unix)]
            LocalListener::Unix(_, path) => Ok(ListenOn::Unix(path.clone())),
        }
    }

    pub(super) async fn accept(&self) -> io::Result<LocalStream> {
        match self {
            LocalListener::Tcp(listener) => {
                let (tcp, _) = listener.accept().await?;
                // Keystrokes and small requests must not wait for Nagle.
                let _ = tcp.set_nodelay(true);
                Ok(LocalStream::Tcp(tcp))
            }
            #[cfg(unix)]
            LocalListener::Unix(listener, _) => {
                let (unix, _) = listener.accept().await?;
                Ok(LocalStream::Unix(unix))
            }
        }
    }
}

impl Drop for LocalListener {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let LocalListener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One accepted local connection.
pub(super) enum LocalStream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

/// The two halves of a local connection, each used by its own task.
pub(super) type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
pub(super) type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

impl LocalStream {
    /// Who connected, for the log.
    pub(super) fn peer(&self) -> String {
        match self {
            LocalStream::Tcp(tcp) => tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
            #[cfg(unix)]
            LocalStream::Unix(_) => "a Unix socket client".to_owned(),
        }
    }

    /// Owned halves without a lock between them.
    pub(super) fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            LocalStream::Tcp(tcp) => {
                let (read, write) = tcp.into_split();
                (Box::new(read), Box::new(write))
            }
            #[cfg(unix)]
            LocalStream::Unix(unix) => {
                let (read, write) = unix.into_split();
                (Box::new(read), Box::new(write))
            }
        }
    }
}

impl AsyncRead for LocalStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LocalStream::Tcp(tcp) => Pin::new(tcp).poll_read(cx, buf),
            #[cfg(unix)]
            LocalStream::Unix(unix) => Pin::new(unix).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for LocalStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            LocalStream::Tcp(tcp) => Pin::new(tcp).poll_write(cx, buf),
            #[cfg(unix)]
            LocalStream::Unix(unix) => Pin::new(unix).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LocalStream::Tcp(tcp) => Pin::new(tcp).poll_flush(cx),
            #[cfg(unix)]
            LocalStream::Unix(unix) => Pin::new(unix).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LocalStream::Tcp(tcp) => Pin::new(tcp).poll_shutdown(cx),
            #[cfg(unix)]
            LocalStream::Unix(unix) => Pin::new(unix).poll_shutdown(cx),
        }
    }
}
