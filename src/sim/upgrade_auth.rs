//! The simulator's check of SigV4 signatures, written apart from the SDKs' signers so that
//! each checks the other: the canonical request (method, path, sorted query, the headers the
//! signature names, the payload's hash), the string to sign for the credential's scope, and
//! HMAC-SHA256 down the key chain. Used for data-channel upgrades (docs/protocol.md §2.3: a
//! presigned or unsigned upgrade is left to the token, as the service does) and, when the
//! simulator lets in only its own clients, for every API call.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::api::parse_time;
use super::sigv4::parse_authorization;

/// How far a request's X-Amz-Date may be from the simulator's clock: SigV4's five minutes.
const MOST_SKEW: Duration = Duration::from_secs(5 * 60);

/// What the simulator made of a request's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpgradeAuth {
    /// No Authorization header (an older client, or a presigned StreamUrl).
    Unsigned,
    /// Signed with a key the simulated account knows, and the signature matches.
    Verified { access_key: String },
    /// Signed with a key the simulator does not know: not checked.
    UnknownKey { access_key: String },
    /// Signed, and wrong: the upgrade is refused (403).
    Refused(String),
}

/// The parts of the upgrade request the signature covers.
pub struct UpgradeRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// Header names in lowercase.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// The body (an upgrade has none).
    pub body: &'a [u8],
    /// The service the credential must be scoped to.
    pub service: &'a str,
}

/// Checks the SigV4 signature of an HTTP request (its head and body) for `service` against
/// the keys in `known`: API calls and the control endpoints alike.
pub fn check_parts(
    parts: &hyper::http::request::Parts,
    body: &[u8],
    service: &str,
    known: &HashMap<String, String>,
    now: SystemTime,
) -> UpgradeAuth {
    let lookup = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let request = UpgradeRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        header: &lookup,
        body,
        service,
    };
    check(&request, known, now)
}

/// Checks `request`'s signature against the keys in `known` (access key → secret).
pub fn check(
    request: &UpgradeRequest<'_>,
    known: &HashMap<String, String>,
    now: SystemTime,
) -> UpgradeAuth {
    let Some(authorization) = (request.header)("authorization") else {
        return UpgradeAuth::Unsigned;
    };
    let credential = match parse_authorization(Some(&authorization)) {
        Ok(credential) => credential,
        Err(error) => return UpgradeAuth::Refused(error.to_string()),
    };
    if credential.service != request.service {
        return UpgradeAuth::Refused(format!(
            "Credential should be scoped to correct service: '{}', not '{}'",
            request.service, credential.service
        ));
    }
    let Some(secret) = known.get(&credential.access_key) else {
        return UpgradeAuth::UnknownKey {
            access_key: credential.access_key,
        };
    };
    let field = |name: &str| {
        authorization
            .split(',')
            .map(str::trim)
            .find_map(|part| {
                part.strip_prefix("AWS4-HMAC-SHA256")
                    .map(str::trim)
                    .unwrap_or(part)
                    .strip_prefix(name)
            })
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let signed_headers = field("SignedHeaders=");
    let signature = field("Signature=");
    let Some(amz_date) = (request.header)("x-amz-date") else {
        return UpgradeAuth::Refused("the signed upgrade has no X-Amz-Date".to_owned());
    };
    match date_of(&amz_date) {
        Some(at) if skew(at, now) <= MOST_SKEW => {}
        _ => {
            return UpgradeAuth::Refused(format!(
                "Signature expired or not yet current: X-Amz-Date {amz_date}"
            ));
        }
    }
    if !amz_date.starts_with(&credential.date) {
        return UpgradeAuth::Refused("the credential scope's date is not X-Amz-Date's".to_owned());
    }
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let Some(value) = (request.header)(name) else {
            return UpgradeAuth::Refused(format!("the signed header {name} is missing"));
        };
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let payload_hash = (request.header)("x-amz-content-sha256")
        .unwrap_or_else(|| hex::encode(Sha256::digest(request.body)));
    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        request.method,
        canonical_path(request.path),
        canonical_query(request.query.unwrap_or_default()),
    );
    let scope = format!(
        "{}/{}/{}/aws4_request",
        credential.date, credential.region, credential.service
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{secret}").as_bytes(),
        credential.date.as_bytes(),
    );
    for part in [
        credential.region.as_str(),
        credential.service.as_str(),
        "aws4_request",
    ] {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    if constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        UpgradeAuth::Verified {
            access_key: credential.access_key,
        }
    } else {
        UpgradeAuth::Refused(
            "The request signature we calculated does not match the signature you provided."
                .to_owned(),
        )
    }
}

/// A time as `20261121T080000Z`.
pub(crate) fn amz_date(time: SystemTime) -> String {
    let epoch = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let iso = crate::model::format::iso8601(epoch);
    format!(
        "{}{}{}T{}{}{}Z",
        &iso[..4],
        &iso[5..7],
        &iso[8..10],
        &iso[11..13],
        &iso[14..16],
        &iso[17..19]
    )
}

/// `20261121T080000Z` as a time.
pub(crate) fn date_of(amz_date: &str) -> Option<SystemTime> {
    let (date, time) = amz_date.strip_suffix('Z')?.split_once('T')?;
    if date.len() != 8 || time.len() != 6 {
        return None;
    }
    parse_time(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        &date[..4],
        &date[4..6],
        &date[6..],
        &time[..2],
        &time[2..4],
        &time[4..]
    ))
}

fn skew(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b)
        .or_else(|_| b.duration_since(a))
        .unwrap_or_default()
}

/// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, everything else is
/// `%XX` in upper case.
fn uri_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Each segment of the path encoded (services other than S3 encode the path as sent).
fn canonical_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    path.split('/')
        .map(uri_encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// Query parameters decoded, encoded again and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                uri_encode(&percent_decode(name)),
                uri_encode(&percent_decode(value)),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// HMAC-SHA256 (RFC 2104).
fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_the_rfc_4231_vector() {
        // Test case 2: key "Jefe", "what do ya want for nothing?".
        assert_eq!(
            hex::encode(hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_query_is_sorted_and_encoded() {
        assert_eq!(
            canonical_query("role=publish_subscribe&cell-number=a%2Bb&a=1"),
            "a=1&cell-number=a%2Bb&role=publish_subscribe"
        );
        assert_eq!(
            canonical_path("/v1/data-channel/s-1"),
            "/v1/data-channel/s-1"
        );
    }

    #[test]
    fn unsigned_upgrades_are_left_to_the_token() {
        let header = |_: &str| None;
        let request = UpgradeRequest {
            method: "GET",
            path: "/v1/data-channel/s",
            query: None,
            header: &header,
            body: b"",
            service: "ssmmessages",
        };
        assert_eq!(
            check(&request, &HashMap::new(), SystemTime::now()),
            UpgradeAuth::Unsigned
        );
    }
}
