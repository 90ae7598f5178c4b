//! Transfers through a tunnel for the benches: loopback servers that sink, source or echo
//! a pattern that shows a lost, doubled or reordered chunk, uploads and downloads that count
//! only what arrived intact, and the median of the runs.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

/// The byte at `offset` of every transfer: a pattern that does not repeat on chunk
/// boundaries, so a lost, doubled or reordered chunk is seen.
pub fn pattern_at(offset: usize) -> u8 {
    (offset % 251) as u8
}

pub fn fill_pattern(buffer: &mut [u8], from: usize) {
    for (i, byte) in buffer.iter_mut().enumerate() {
        *byte = pattern_at(from + i);
    }
}

/// Whether `bytes`, received from `from` on, are the pattern.
pub fn is_pattern(bytes: &[u8], from: usize) -> bool {
    bytes
        .iter()
        .enumerate()
        .all(|(i, b)| *b == pattern_at(from + i))
}

/// A loopback server: `sink` checks what it reads and replies with one byte at the end of
/// input (`!` intact, `x` changed); `source` writes `size` bytes of the pattern; `echo` echoes.
pub fn server(kind: &'static str, size: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = stream.set_nodelay(true);
                let mut buffer = vec![0u8; 256 * 1024];
                match kind {
                    "sink" => {
                        let mut total = 0;
                        let mut intact = true;
                        while total < size {
                            match stream.read(&mut buffer) {
                                Ok(0) | Err(_) => return,
                                Ok(n) => {
                                    intact &= is_pattern(&buffer[..n], total);
                                    total += n;
                                }
                            }
                        }
                        // `!`: everything came, as sent; `x`: it came changed.
                        let _ = stream.write_all(if intact { b"!" } else { b"x" });
                    }
                    "source" => {
                        let mut sent = 0;
                        let mut go = [0u8; 1];
                        if stream.read_exact(&mut go).is_err() {
                            return;
                        }
                        while sent < size {
                            let n = buffer.len().min(size - sent);
                            fill_pattern(&mut buffer[..n], sent);
                            if stream.write_all(&buffer[..n]).is_err() {
                                return;
                            }
                            sent += n;
                        }
                    }
                    _ => loop {
                        match stream.read(&mut buffer) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if stream.write_all(&buffer[..n]).is_err() {
                                    return;
                                }
                            }
                        }
                    },
                }
            });
        }
    });
    port
}

/// Uploads `size` bytes of the pattern; the rate once the far end confirmed it got them all,
/// unchanged, or why the transfer does not count.
pub fn upload(local: &str, size: usize) -> Result<f64, String> {
    let mut stream = TcpStream::connect(local).map_err(|e| format!("connect: {e}"))?;
    let mut chunk = vec![0u8; 256 * 1024];
    let start = Instant::now();
    let mut sent = 0;
    while sent < size {
        let n = chunk.len().min(size - sent);
        fill_pattern(&mut chunk[..n], sent);
        stream
            .write_all(&chunk[..n])
            .map_err(|e| format!("cut short after {sent} of {size} bytes: {e}"))?;
        sent += n;
    }
    let mut done = [0u8; 1];
    stream
        .read_exact(&mut done)
        .map_err(|e| format!("no confirmation from the far end: {e}"))?;
    if done[0] != b'!' {
        return Err("the far end received other bytes than were sent".to_owned());
    }
    Ok(size as f64 / start.elapsed().as_secs_f64() / 1e6)
}

/// Downloads `size` bytes and checks they are the pattern; the rate, or why the transfer does
/// not count (cut short, changed).
pub fn download(local: &str, size: usize) -> Result<f64, String> {
    let mut stream = TcpStream::connect(local).map_err(|e| format!("connect: {e}"))?;
    let start = Instant::now();
    stream.write_all(b"g").map_err(|e| format!("go: {e}"))?;
    let mut buffer = vec![0u8; 256 * 1024];
    let mut received = 0;
    while received < size {
        match stream.read(&mut buffer) {
            Ok(0) => return Err(format!("cut short after {received} of {size} bytes")),
            Err(e) => return Err(format!("cut short after {received} of {size} bytes: {e}")),
            Ok(n) => {
                if !is_pattern(&buffer[..n], received) {
                    return Err(format!("changed bytes at {received}"));
                }
                received += n;
            }
        }
    }
    Ok(received as f64 / start.elapsed().as_secs_f64() / 1e6)
}

/// The rates of the transfers that completed intact; each one that did not is said.
pub fn counted(label: &str, results: Vec<Result<f64, String>>) -> Vec<f64> {
    results
        .into_iter()
        .filter_map(|result| {
            result
                .map_err(|why| println!("  ({label}: a transfer not counted: {why})"))
                .ok()
        })
        .collect()
}

/// The median of the counted runs (0 when none completed: said above).
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}
