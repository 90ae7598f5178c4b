//! How bosun's connections cross a corporate network, as the AWS CLI's do: the extra CA bundle
//! (`AWS_CA_BUNDLE`, or `ca_bundle` in the profile) for TLS-inspecting proxies, and
//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` for the data-channel WebSocket (the SDK's own client
//! reads the proxy variables itself). Dials through a proxy with HTTP CONNECT.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The CA bundle the AWS CLI would use for `profile`: `AWS_CA_BUNDLE`, else the profile's
/// `ca_bundle` in the config file (`AWS_CONFIG_FILE`, else `~/.aws/config`).
pub fn ca_bundle_path(profile: Option<&str>) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AWS_CA_BUNDLE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let config_file = std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".aws/config")))?;
    let text = std::fs::read_to_string(config_file).ok()?;
    let profile = profile
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".to_owned());
    profile_setting(&text, &profile, "ca_bundle").map(|value| expand_home(&value))
}

/// A setting of one profile in an AWS config file (`[default]` or `[profile NAME]`).
fn profile_setting(text: &str, profile: &str, key: &str) -> Option<String> {
    let mut in_profile = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let section = line.trim_start_matches('[').trim_end_matches(']').trim();
            let name = section.strip_prefix("profile ").map_or(section, str::trim);
            in_profile = name == profile;
            continue;
        }
        if !in_profile || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some((name, value)) = line.split_once('=')
            && name.trim() == key
        {
            return Some(value.trim().to_owned());
        }
    }
    None
}

fn expand_home(value: &str) -> PathBuf {
    match (value.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => PathBuf::from(value),
    }
}

/// Reads a PEM bundle and checks it holds at least one certificate.
pub fn read_ca_bundle(path: &Path) -> Result<Vec<u8>, String> {
    let pem = std::fs::read(path)
        .map_err(|error| format!("cannot read the CA bundle {}: {error}", path.display()))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .count();
    if certificates == 0 {
        return Err(format!(
            "the CA bundle {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(pem)
}

/// CA bundles named by the profiles in use. The data channel trusts the system's roots and
/// every one of these: its URL comes from the service, not from a profile, so a console with
/// several profiles cannot tell which profile's bundle a stream belongs to.
fn trusted_bundles() -> &'static Mutex<TrustedBundles> {
    static BUNDLES: OnceLock<Mutex<TrustedBundles>> = OnceLock::new();
    BUNDLES.get_or_init(|| Mutex::new(TrustedBundles::default()))
}

#[derive(Default)]
struct TrustedBundles {
    pems: Vec<Vec<u8>>,
    /// Built on first use after a change.
    config: Option<Arc<rustls::ClientConfig>>,
}

/// Adds a CA bundle to what the data channel trusts (once per distinct bundle).
pub fn trust_ca_bundle(pem: &[u8]) {
    if let Ok(mut bundles) = trusted_bundles().lock()
        && !bundles.pems.iter().any(|known| known == pem)
    {
        bundles.pems.push(pem.to_vec());
        bundles.config = None;
    }
}

/// The TLS configuration for the data channel when extra CAs are trusted; `None` leaves
/// tungstenite's own (the system's roots).
pub(crate) fn data_channel_tls() -> Option<Arc<rustls::ClientConfig>> {
    let mut bundles = trusted_bundles().lock().ok()?;
    if bundles.pems.is_empty() {
        return None;
    }
    if bundles.config.is_none() {
        let mut roots = rustls::RootCertStore::empty();
        for certificate in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(certificate);
        }
        for pem in &bundles.pems {
            for certificate in CertificateDer::pem_slice_iter(pem).filter_map(Result::ok) {
                let _ = roots.add(certificate);
            }
        }
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        bundles.config = Some(Arc::new(config));
    }
    bundles.config.clone()
}

/// An HTTP proxy to reach a host through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `Basic …` when the proxy URL carries a user and password.
    pub authorization: Option<String>,
}

/// The proxy for a connection to `host` (`secure`: TLS), from the environment as curl and
/// the AWS CLI read it: `HTTPS_PROXY` (or `HTTP_PROXY` for plain connections), unless
/// `NO_PROXY` names the host.
pub fn proxy_for(host: &str, secure: bool) -> Option<Proxy> {
    let variable = |name: &str| {
        std::env::var(name)
            .or_else(|_| std::env::var(name.to_ascii_lowercase()))
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    let url = variable(if secure { "HTTPS_PROXY" } else { "HTTP_PROXY" })?;
    if variable("NO_PROXY").is_some_and(|list| no_proxy_matches(&list, host)) {
        return None;
    }
    parse_proxy_url(&url)
}

/// Whether a `NO_PROXY` list names `host`: `*`, the host itself, or a domain it is under
/// (`example.com` and `.example.com` both cover `api.example.com`).
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    list.split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            let entry = entry.split(':').next().unwrap_or_default().to_owned();
            let domain = entry.trim_start_matches('.');
            entry == "*" || host == domain || host.ends_with(&format!(".{domain}"))
        })
}

/// `http://[user:password@]host[:port][/]` → where to dial and how to authenticate.
pub fn parse_proxy_url(url: &str) -> Option<Proxy> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let authority = rest.split('/').next()?;
    let (credentials, address) = match authority.rsplit_once('@') {
        Some((credentials, address)) => (Some(credentials), address),
        None => (None, authority),
    };
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || address.starts_with('[') => {
            (host, port.parse().ok()?)
        }
        _ => (address, 80),
    };
    if host.is_empty() {
        return None;
    }
    let authorization = credentials
        .map(|credentials| format!("Basic {}", BASE64.encode(percent_decode(credentials))));
    Some(Proxy {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port,
        authorization,
    })
}

/// `%40` → `@` (user names and passwords in proxy URLs are percent-encoded).
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    decoded
}

/// Why `host:port` could not be reached, with where to look.
fn unreachable(host: &str, port: u16, error: &std::io::Error) -> String {
    let text = error.to_string();
    if text.contains("lookup") || text.contains("resolve") || text.contains("Name or service") {
        format!("cannot resolve {host} (DNS: {text}): check the network, VPN or proxy")
    } else {
        format!("cannot connect to {host}:{port}: {text}")
    }
}

/// A TCP connection to `host:port`, through the proxy when there is one (HTTP CONNECT).
pub async fn dial(host: &str, port: u16, proxy: Option<&Proxy>) -> Result<TcpStream, String> {
    let Some(proxy) = proxy else {
        return TcpStream::connect((host, port))
            .await
            .map_err(|error| unreachable(host, port, &error));
    };
    let mut stream = TcpStream::connect((proxy.host.as_str(), proxy.port))
        .await
        .map_err(|error| {
            format!(
                "cannot connect to the proxy {}:{}: {error}",
                proxy.host, proxy.port
            )
        })?;
    let mut request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let Some(authorization) = &proxy.authorization {
        request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| format!("the proxy closed the connection: {error}"))?;
    // The proxy's answer, read byte by byte so nothing after its headers is consumed.
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() > 8 * 1024 {
            return Err("the proxy's answer to CONNECT is too long".to_owned());
        }
        let byte = stream
            .read_u8()
            .await
            .map_err(|error| format!("the proxy closed the connection: {error}"))?;
        answer.push(byte);
    }
    let status_line = String::from_utf8_lossy(&answer);
    let status_line = status_line.lines().next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status != "200" {
        return Err(format!(
            "the proxy {}:{} refused CONNECT {host}:{port}: {status_line}",
            proxy.host, proxy.port
        ));
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_lists_match_hosts_and_their_domains() {
        let list = "localhost, .internal.example,amazonaws.com:443,10.0.0.1";
        assert!(no_proxy_matches(list, "localhost"));
        assert!(no_proxy_matches(list, "ssm.internal.example"));
        assert!(no_proxy_matches(list, "internal.example"));
        assert!(no_proxy_matches(
            list,
            "ssmmessages.us-east-1.amazonaws.com"
        ));
        assert!(no_proxy_matches(list, "10.0.0.1"));
        assert!(!no_proxy_matches(list, "notamazonaws.com"));
        assert!(!no_proxy_matches(list, "example.org"));
        assert!(no_proxy_matches("*", "anything"));
        assert!(!no_proxy_matches("", "anything"));
    }

    #[test]
    fn proxy_urls_give_the_address_and_credentials() {
        assert_eq!(
            parse_proxy_url("http://proxy.corp:3128/"),
            Some(Proxy {
                host: "proxy.corp".into(),
                port: 3128,
                authorization: None
            })
        );
        let with_user = parse_proxy_url("http://alice:s%40cret@10.1.2.3:8080").expect("parses");
        assert_eq!(with_user.host, "10.1.2.3");
        assert_eq!(with_user.port, 8080);
        assert_eq!(
            with_user.authorization.as_deref(),
            Some(format!("Basic {}", BASE64.encode("alice:s@cret")).as_str())
        );
        assert_eq!(parse_proxy_url("proxy.corp").map(|p| p.port), Some(80));
        assert_eq!(
            parse_proxy_url("http://[::1]:3128").map(|p| p.host),
            Some("::1".to_owned())
        );
        assert_eq!(parse_proxy_url("http://"), None);
    }

    #[test]
    fn profile_settings_are_read_from_their_section() {
        let text = "[default]\nregion = us-east-1\n\n[profile corp]\nca_bundle = /etc/corp-ca.pem\n# ca_bundle = /nope\n[profile other]\nca_bundle=/other.pem\n";
        assert_eq!(
            profile_setting(text, "corp", "ca_bundle").as_deref(),
            Some("/etc/corp-ca.pem")
        );
        assert_eq!(
            profile_setting(text, "other", "ca_bundle").as_deref(),
            Some("/other.pem")
        );
        assert_eq!(profile_setting(text, "default", "ca_bundle"), None);
    }
}
