//! Where a tunnel's remote host points, as SSM Agent 3.3.4851.0 and later judge it before
//! forwarding: the address canonicalised (decimal, octal and hex IPv4 forms, IPv4-mapped
//! IPv6, brackets, case), then compared with loopback and the container credential
//! endpoints.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a remote host is, for port forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// This instance itself: `localhost`, 127.0.0.0/8, ::1.
    Loopback,
    /// A container credential endpoint (ECS task role 169.254.170.2, EKS Pod Identity
    /// 169.254.170.23 and fd00:ec2::23): forwarding to it would hand out a role's credentials.
    CredentialEndpoint,
    /// Anything else (a name is judged by its spelling only; it resolves on the instance).
    Elsewhere,
}

const ECS_CREDENTIALS: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 2);
const EKS_POD_IDENTITY: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 23);
const EKS_POD_IDENTITY_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23);

/// Judges `host` as the agents do.
pub fn classify(host: &str) -> Destination {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&host);
    if host == "localhost" || host.ends_with(".localhost") {
        return Destination::Loopback;
    }
    let Some(address) = canonical_address(host) else {
        return Destination::Elsewhere;
    };
    match address {
        IpAddr::V4(v4) if v4.is_loopback() => Destination::Loopback,
        IpAddr::V4(v4) if v4 == ECS_CREDENTIALS || v4 == EKS_POD_IDENTITY => {
            Destination::CredentialEndpoint
        }
        IpAddr::V6(v6) if v6.is_loopback() => Destination::Loopback,
        IpAddr::V6(v6) if v6 == EKS_POD_IDENTITY_V6 => Destination::CredentialEndpoint,
        _ => Destination::Elsewhere,
    }
}

/// The address `text` spells, in any form a resolver accepts: dotted IPv4 with one to four
/// parts in decimal, octal (`0177`) or hex (`0x7f`), IPv6 (an IPv4-mapped one read as its
/// IPv4 address).
fn canonical_address(text: &str) -> Option<IpAddr> {
    if let Ok(v6) = text.parse::<Ipv6Addr>() {
        return Some(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        });
    }
    inet_aton(text).map(IpAddr::V4)
}

/// IPv4 as `inet_aton` reads it: `a.b.c.d`, `a.b.c` (c fills 16 bits), `a.b` (b fills 24),
/// `a` (32 bits), each part decimal, octal or hex.
fn inet_aton(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u64> = text.split('.').map(number).collect::<Option<Vec<u64>>>()?;
    let (last, leading) = parts.split_last()?;
    if leading.len() > 3 || leading.iter().any(|&p| p > 0xff) {
        return None;
    }
    let room = 8 * (4 - leading.len() as u32);
    if room < 64 && *last >= 1u64 << room {
        return None;
    }
    let value = leading
        .iter()
        .fold(0u64, |acc, &p| (acc << 8) | p)
        .checked_shl(room)?
        | last;
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

fn number(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    if let Some(hex) = part.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok();
    }
    if part.len() > 1
        && let Some(octal) = part.strip_prefix('0')
    {
        return u64::from_str_radix(octal, 8).ok();
    }
    part.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_loopback_is_loopback() {
        for host in [
            "localhost",
            "LOCALHOST.",
            "db.localhost",
            "127.0.0.1",
            "127.1",
            "127.0.0.2",
            "0x7f.0.0.1",
            "0177.0.0.1",
            "2130706433",
            "::1",
            "[::1]",
            "::ffff:127.0.0.1",
            "0:0:0:0:0:0:0:1",
        ] {
            assert_eq!(classify(host), Destination::Loopback, "{host}");
        }
    }

    #[test]
    fn the_credential_endpoints_in_any_form() {
        for host in [
            "169.254.170.2",
            "169.254.43522",
            "0xa9.0xfe.0xaa.0x2",
            "::ffff:169.254.170.2",
            "169.254.170.23",
            "fd00:ec2::23",
            "[FD00:EC2::23]",
        ] {
            assert_eq!(classify(host), Destination::CredentialEndpoint, "{host}");
        }
    }

    #[test]
    fn anything_else_is_elsewhere() {
        for host in [
            "payments-db.cluster-c1x2y3z4.us-east-1.rds.amazonaws.com",
            "10.0.0.5",
            "169.254.170.3",
            "128.0.0.1",
            "fd00:ec2::254",
            "1.2.3.4.5",
            "256.0.0.1",
            "localhost.example.com",
            "",
        ] {
            assert_eq!(classify(host), Destination::Elsewhere, "{host}");
        }
    }
}
