//! What the test binaries share: the in-process simulator with the demo fleet, demo instance
//! ids by name, and a loopback echo server.

#![allow(dead_code)] // each binary uses its own part

use bosun::sim::{self, Fleet, SimConfig, SimHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub async fn start_sim() -> SimHandle {
    sim::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

/// The id of the demo fleet's instance named `name`.
pub fn demo_id(name: &str) -> String {
    Fleet::demo()
        .instances
        .iter()
        .find(|i| i.name() == name)
        .map(|i| i.id.clone())
        .expect("in the demo fleet")
}

/// A loopback server that echoes every connection; its port.
pub async fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                while let Ok(n) = stream.read(&mut buffer).await {
                    if n == 0 || stream.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}
