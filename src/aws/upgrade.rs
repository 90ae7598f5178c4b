//! SigV4 for the data channel's WebSocket upgrade, as plugins since 1.2.764.0 send it
//! (docs/protocol.md §2.3): a bare `GET StreamUrl` signed for the service `ssmmessages` in the
//! session's region with the caller's credentials, the payload hash that of an empty body,
//! and `Authorization`, `X-Amz-Date` (and `X-Amz-Security-Token` with temporary credentials)
//! added to the upgrade. The signed headers are `host` and `x-amz-date` (and the token), what
//! the SDKs' signers produce; the WebSocket's own headers are added after signing and are
//! not part of it. Signed with AWS's own signer (aws-sigv4); the simulator checks the
//! signature with an implementation of its own.

use std::time::SystemTime;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use futures_util::future::BoxFuture;

use crate::transport::{UpgradeSigner, clock};

/// The service name data channels are signed for.
pub const SERVICE: &str = "ssmmessages";

/// Signs upgrades with an SDK configuration's credentials and region.
pub struct SdkUpgradeSigner {
    credentials: SharedCredentialsProvider,
    region: String,
}

impl SdkUpgradeSigner {
    /// `None` without credentials or a region: the dial goes unsigned, as before 1.2.764.0.
    pub fn for_config(config: &aws_config::SdkConfig) -> Option<SdkUpgradeSigner> {
        Some(SdkUpgradeSigner {
            credentials: config.credentials_provider()?,
            region: config.region()?.to_string(),
        })
    }
}

impl UpgradeSigner for SdkUpgradeSigner {
    fn sign<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<Vec<(String, String)>, String>> {
        Box::pin(async move {
            let credentials = self
                .credentials
                .provide_credentials()
                .await
                .map_err(|error| format!("no credentials to sign the data channel: {error}"))?;
            signed_headers(url, credentials.into(), &self.region, clock::aws_now())
        })
    }
}

/// The headers that sign `GET url` at `time`.
fn signed_headers(
    url: &str,
    identity: Identity,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|error| error.to_string())?
        .into();
    let request = SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|error| error.to_string())?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|error| error.to_string())?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;

    #[test]
    fn the_upgrade_is_signed_for_ssmmessages_over_host_and_date() {
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_248_000);
        let headers = signed_headers(
            "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1?role=publish_subscribe",
            credentials.into(),
            "us-east-1",
            time,
        )
        .expect("signed");
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("x-amz-date"), Some("20261121T080000Z"));
        let authorization = header("authorization").expect("signed");
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/ssmmessages/aws4_request, SignedHeaders=host;x-amz-date, Signature="
            ),
            "{authorization}"
        );
        assert_eq!(header("x-amz-security-token"), None);
        let with_token = Credentials::new("ASIAEXAMPLE", "secret", Some("TOKEN".into()), None, "t");
        let headers = signed_headers(
            "wss://h/v1/data-channel/s",
            with_token.into(),
            "eu-west-1",
            time,
        )
        .expect("signed");
        assert!(
            headers
                .iter()
                .any(|(n, v)| n == "x-amz-security-token" && v == "TOKEN")
        );
    }
}
