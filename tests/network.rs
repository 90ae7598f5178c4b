//! Corporate networks: every connection bosun makes — the SDK's calls, KMS, the data-channel
//! WebSocket — goes through `HTTPS_PROXY` and trusts `AWS_CA_BUNDLE` (or a profile's
//! `ca_bundle`), checked against a TLS-intercepting proxy with its own CA, as such proxies
//! stand between laptops and AWS in many companies. The simulator sits behind the proxy as
//! `https://sim.test`, a name only the proxy can reach.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use bosun::sim::{self, SimConfig, SimHandle};
use common::{demo_id, plugin_on_path, run_with_input};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

const PUBLIC_HOST: &str = "sim.test";

/// A proxy that answers CONNECT, presents a certificate for the host signed by its own CA,
/// and relays the decrypted stream to the simulator: what a TLS-inspecting proxy does.
struct InterceptingProxy {
    url: String,
    /// Every CONNECT target, in order.
    connects: Arc<Mutex<Vec<String>>>,
    ca_file: tempfile::NamedTempFile,
}

async fn start_intercepting_proxy(upstream: SocketAddr) -> InterceptingProxy {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Intercepting proxy test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec![PUBLIC_HOST.to_owned()])
        .expect("params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    let mut ca_file = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut ca_file, ca_cert.pem().as_bytes()).expect("write CA");

    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let connects = Arc::new(Mutex::new(Vec::new()));
    let seen = connects.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read_u8().await {
                        Ok(byte) => head.push(byte),
                        Err(_) => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let Some(target) = head
                    .strip_prefix("CONNECT ")
                    .and_then(|rest| rest.split_whitespace().next())
                else {
                    let _ = client.write_all(b"HTTP/1.1 405 CONNECT only\r\n\r\n").await;
                    return;
                };
                seen.lock().expect("lock").push(target.to_owned());
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let Ok(mut tls) = acceptor.accept(client).await else {
                    return;
                };
                let Ok(mut simulator) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut simulator).await;
            });
        }
    });
    InterceptingProxy {
        url,
        connects,
        ca_file,
    }
}

/// The simulator, reachable only through the proxy.
async fn simulator_behind_a_proxy() -> (SimHandle, InterceptingProxy) {
    let sim = sim::start(SimConfig {
        public_endpoint: Some(format!("https://{PUBLIC_HOST}")),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let upstream: SocketAddr = sim
        .endpoint_url()
        .trim_start_matches("http://")
        .parse()
        .expect("loopback address");
    let proxy = start_intercepting_proxy(upstream).await;
    (sim, proxy)
}

/// The environment of a laptop on such a network (no CA bundle yet), and nothing of the
/// runner's (no other proxy, CA bundle, profile or endpoint variable).
fn behind(command: &mut Command, proxy: &InterceptingProxy, home: &std::path::Path) {
    common::sealed(command)
        .env("AWS_ENDPOINT_URL", format!("https://{PUBLIC_HOST}"))
        .env("HTTPS_PROXY", &proxy.url)
        .env("AWS_ACCESS_KEY_ID", "demo")
        .env("AWS_SECRET_ACCESS_KEY", "demo")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("HOME", home)
        .env("XDG_STATE_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
}

fn connects(proxy: &InterceptingProxy) -> Vec<String> {
    proxy.connects.lock().expect("lock").clone()
}

#[tokio::test]
async fn a_kms_shell_and_a_listing_go_through_an_intercepting_proxy_with_its_ca_bundle() {
    let (_sim, proxy) = simulator_behind_a_proxy().await;
    let home = tempfile::tempdir().expect("home");

    // Without the proxy's CA, the certificate is refused, as the AWS CLI would refuse it.
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command.args(["ls", "--json"]);
    behind(&mut command, &proxy, home.path());
    let (code, out, err) = run_with_input(command, "").await;
    assert_ne!(code, 0, "an unknown issuer is not trusted: {out}");
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );

    // With AWS_CA_BUNDLE, the listing and a KMS-encrypted shell both work.
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command.args(["ls", "--json"]);
    behind(&mut command, &proxy, home.path());
    command.env("AWS_CA_BUNDLE", proxy.ca_file.path());
    let (code, out, err) = run_with_input(command, "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("platform-vault-1"), "{out}");

    let before = connects(&proxy).len();
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command.args(["shell", "platform-vault-1"]);
    behind(&mut command, &proxy, home.path());
    command.env("AWS_CA_BUNDLE", proxy.ca_file.path());
    let (code, out, err) = run_with_input(command, "echo vault-$((40+2))\nexit\n").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("vault-42"), "{out}\n{err}");
    let during = connects(&proxy)[before..].to_vec();
    assert!(
        during.len() >= 2 && during.iter().all(|target| target == "sim.test:443"),
        "the API calls, KMS and the data channel all went through the proxy: {during:?}"
    );
}

#[tokio::test]
async fn a_profiles_ca_bundle_is_used_as_the_aws_cli_uses_it() {
    let (_sim, proxy) = simulator_behind_a_proxy().await;
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[default]\nregion = us-east-1\n\n[profile corp]\nregion = us-east-1\nca_bundle = {}\n",
            proxy.ca_file.path().display()
        ),
    )
    .expect("write config");
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command.args(["ls", "--json", "--profile", "corp"]);
    behind(&mut command, &proxy, home.path());
    command.env("AWS_CONFIG_FILE", &config);
    let (code, out, err) = run_with_input(command, "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("platform-vault-1"), "{out}");
}

/// The case that failed before: the AWS CLI (which follows the proxy and the CA bundle) hands
/// the session to bosun as its plugin; bosun's KMS call and data channel must follow too.
#[tokio::test]
async fn the_plugin_follows_the_proxy_and_the_ca_bundle_for_kms_and_the_data_channel() {
    let (_sim, proxy) = simulator_behind_a_proxy().await;
    let home = tempfile::tempdir().expect("home");
    let (_bin, path) = plugin_on_path();
    let mut command = Command::new("aws");
    command.args([
        "ssm",
        "start-session",
        "--target",
        &demo_id("platform-vault-1"),
    ]);
    behind(&mut command, &proxy, home.path());
    command
        .env("AWS_CA_BUNDLE", proxy.ca_file.path())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("PATH", &path);
    let (code, out, err) = run_with_input(command, "echo vault-$((40+2))\nexit\n").await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("vault-42"), "{out}\n{err}");
    assert!(
        connects(&proxy).len() >= 3,
        "StartSession (the CLI), KMS and the data channel (bosun) went through the proxy: {:?}",
        connects(&proxy)
    );
}

/// A network that reaches AWS only through VPC endpoints (PrivateLink, private DNS off): each
/// service's endpoint is set for the SDK, and the StreamUrls the service hands out name a
/// public host this network cannot resolve. With `AWS_ENDPOINT_URL_SSMMESSAGES` the data
/// channel is dialled at its own endpoint (a listener that serves nothing else), and `bosun
/// doctor` shows where each service is reached.
#[tokio::test]
async fn a_private_network_reaches_the_data_channel_through_its_own_endpoint() {
    let sim = sim::start(SimConfig {
        public_endpoint: Some("http://ssmmessages.us-east-1.amazonaws.invalid".to_owned()),
        data_channel_apart: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let home = tempfile::tempdir().expect("home");
    let private = |command: &mut Command, data_channel: bool| {
        common::sealed(command)
            .env("AWS_ACCESS_KEY_ID", "demo")
            .env("AWS_SECRET_ACCESS_KEY", "demo")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("HOME", home.path())
            .env("XDG_STATE_HOME", home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for service in ["SSM", "EC2", "KMS", "STS", "IAM", "ECS"] {
            command.env(format!("AWS_ENDPOINT_URL_{service}"), sim.endpoint_url());
        }
        if data_channel {
            command.env("AWS_ENDPOINT_URL_SSMMESSAGES", sim.data_channel_url());
        }
    };

    // Without the data channel's endpoint, the StreamUrl's host cannot be reached.
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command.args(["shell", "payments-api-1"]);
    private(&mut command, false);
    let (code, _, err) = run_with_input(command, "echo unreachable\nexit\n").await;
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("ended before it began"), "{err}");

    // With it, the shell works through the data channel's own listener.
    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command.args(["shell", "payments-api-1"]);
    private(&mut command, true);
    let (code, out, err) = run_with_input(command, "echo private-$((40+2))\nexit\n").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("private-42"), "{out}\n{err}");

    let mut command = Command::new(env!("CARGO_BIN_EXE_bosun"));
    command.args(["doctor", "payments-api-1"]);
    private(&mut command, true);
    let (_, out, err) = run_with_input(command, "").await;
    let line = |service: &str| {
        out.lines()
            .find(|line| line.split_whitespace().next() == Some(service))
            .unwrap_or_else(|| panic!("no {service} endpoint line in {out}\n{err}"))
            .to_owned()
    };
    assert!(
        line("ssmmessages").contains(&sim.data_channel_url())
            && line("ssmmessages").contains("AWS_ENDPOINT_URL_SSMMESSAGES"),
        "{out}"
    );
    assert!(
        line("ssm").contains(&sim.endpoint_url()) && line("ssm").contains("AWS_ENDPOINT_URL_SSM)"),
        "{out}"
    );
}
