//! `bosun rdp` as a user meets it: a tunnel to the Windows instance's port 3389, the RDP
//! client from PATH started on it (a stand-in here that records what it was given and connects
//! through the tunnel), the Administrator password decrypted with the key pair's private key
//! (PKCS#8 or PKCS#1) and handed over on stdin, never on the command line; the session ended
//! at AWS when the client exits.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;

use base64::Engine as _;
use common::{bosun, demo_id, finish, start_sim};

/// A stand-in `xfreerdp` in a directory of its own: it writes its arguments and its stdin to
/// files beside it, connects to the address it was given, and exits 0.
fn stand_in_client(dir: &std::path::Path) {
    let script = dir.join("xfreerdp");
    std::fs::write(
        &script,
        format!(
            r#"#!/usr/bin/env bash
printf '%s\n' "$@" > {dir}/args
cat > {dir}/stdin
address="${{1#/v:}}"
if exec 3<>"/dev/tcp/${{address%:*}}/${{address##*:}}"; then echo connected > {dir}/connected; fi
exit 0
"#,
            dir = dir.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The PKCS#1 `RSA PRIVATE KEY` inside a PKCS#8 PEM (EC2 hands key pairs out as PKCS#1).
fn as_pkcs1(pkcs8_pem: &str) -> String {
    let body: String = pkcs8_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("base64");
    // SEQUENCE { INTEGER 0, AlgorithmIdentifier (15 bytes), OCTET STRING { PKCS#1 } }
    let header = 2 + if der[1] & 0x80 != 0 {
        usize::from(der[1] & 0x7f)
    } else {
        0
    };
    let octets = header + 3 + 15;
    assert_eq!(der[octets], 0x04, "an OCTET STRING");
    let length_bytes = if der[octets + 1] & 0x80 != 0 {
        usize::from(der[octets + 1] & 0x7f)
    } else {
        0
    };
    let pkcs1 = &der[octets + 2 + length_bytes..];
    let encoded = base64::engine::general_purpose::STANDARD.encode(pkcs1);
    format!("-----BEGIN RSA PRIVATE KEY-----\n{encoded}\n-----END RSA PRIVATE KEY-----\n")
}

#[tokio::test]
async fn rdp_starts_the_client_on_the_tunnel_with_the_decrypted_password_on_its_stdin() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    stand_in_client(dir.path());
    let key = dir.path().join("windows.pem");
    std::fs::write(&key, sim.windows_key_pem()).expect("key");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let child = bosun(&sim)
        .env("PATH", &path)
        .args(["rdp", "finance-reporting", "--password"])
        .arg(&key)
        .spawn()
        .expect("spawn");
    let (code, stdout, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let args = std::fs::read_to_string(dir.path().join("args")).expect("the client ran");
    assert!(args.starts_with("/v:127.0.0.1:"), "{args}");
    assert!(args.contains("/u:Administrator"), "{args}");
    assert!(args.contains("/from-stdin:force"), "{args}");
    let id = demo_id("finance-reporting");
    let password = format!("Sim-{}-Admin!", &id[id.len() - 6..]);
    assert!(!args.contains(&password), "never on the command line");
    assert!(!stdout.contains(&password), "handed over, not printed");
    let given = std::fs::read_to_string(dir.path().join("stdin")).expect("stdin");
    assert_eq!(given.trim_end(), password);
    assert!(
        dir.path().join("connected").exists(),
        "the client reached the tunnel"
    );
    // The client is gone: so is the session, at AWS.
    assert_eq!(common::active_sessions(&sim).await, 0);
}

#[tokio::test]
async fn rdp_prints_the_password_once_without_a_client_and_reads_an_ec2_pkcs1_key() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("windows-pkcs1.pem");
    std::fs::write(&key, as_pkcs1(&sim.windows_key_pem())).expect("key");
    let mut child = bosun(&sim)
        .args(["rdp", "finance-reporting", "--no-client", "--password"])
        .arg(&key)
        .spawn()
        .expect("spawn");
    // It waits for Ctrl-C once it has said where to connect.
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    while !printed.contains("password: ") {
        use tokio::io::AsyncBufReadExt;
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            stdout.read_line(&mut printed),
        )
        .await
        .expect("in time")
        .expect("read");
        assert!(read > 0, "it ended early: {printed}");
    }
    let id = demo_id("finance-reporting");
    assert!(
        printed.contains(&format!("password: Sim-{}-Admin!", &id[id.len() - 6..])),
        "{printed}"
    );
    assert!(printed.contains("address: 127.0.0.1:"), "{printed}");
    assert_eq!(common::active_sessions(&sim).await, 1);
    let pid = rustix::process::Pid::from_raw(child.id().expect("running") as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("signal");
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert_eq!(status.code(), Some(143));
    assert_eq!(common::active_sessions(&sim).await, 0);

    // A Linux instance has no password to give.
    let child = bosun(&sim)
        .args(["rdp", "payments-api-1", "--no-client", "--password"])
        .arg(&key)
        .spawn()
        .expect("spawn");
    let (code, _, stderr) = finish(child).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("EC2 has no password"), "{stderr}");
}
