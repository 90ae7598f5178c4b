//! SDK clients and the adapters that let the sans-IO protocol and the transport call AWS.

use std::collections::HashMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_kms::primitives::Blob;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{Connector, tls};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use futures_util::future::BoxFuture;

use super::errors;
use crate::protocol::crypto::{
    DATA_KEY_LENGTH, DataKey, DataKeyRequest, DecryptKeyRequest, KeyProvider, KeyProviderError,
};
use crate::transport::{ResumeHook, Resumed, network};

/// Loads the shared SDK configuration. Empty strings count as "not given", as the AWS CLI
/// passes an empty profile to the plugin when `--profile` was not used.
pub async fn load_config(
    profile: Option<&str>,
    region: Option<&str>,
    endpoint_url: Option<&str>,
) -> SdkConfig {
    let profile = profile.filter(|p| !p.is_empty());
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region.filter(|r| !r.is_empty()) {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(endpoint) = endpoint_url.filter(|e| !e.is_empty()) {
        loader = loader.endpoint_url(endpoint);
    }
    let mut client = None;
    if let Some(path) = network::ca_bundle_path(profile) {
        match network::read_ca_bundle(&path) {
            Ok(pem) => {
                network::trust_ca_bundle(&pem);
                client = https_client(tls::TrustStore::default().with_pem_certificate(pem));
            }
            // Calls then fail on the certificate, as the AWS CLI's would; the log says why.
            Err(error) => tracing::warn!(%error, "CA bundle not used"),
        }
    }
    if let Some(client) = client.or_else(shared_https_client) {
        loader = loader.http_client(client);
    }
    loader.load().await
}

/// One HTTPS client for every configuration of the process. Without it each service client
/// makes its own, and each of those reads and parses the system's root certificates: an
/// organisation's hundreds of account × region sources spent seconds of CPU on that alone.
fn shared_https_client() -> Option<SharedHttpClient> {
    static SHARED: std::sync::OnceLock<Option<SharedHttpClient>> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| https_client(tls::TrustStore::default()))
        .clone()
}

/// The SDK's default HTTPS client (rustls, the proxy from the environment) trusting `trust`:
/// the system's roots, and a CA bundle's certificates where one is configured.
fn https_client(trust: tls::TrustStore) -> Option<SharedHttpClient> {
    let context = match tls::TlsContext::builder().with_trust_store(trust).build() {
        Ok(context) => context,
        Err(error) => {
            tracing::warn!(%error, "TLS settings not used");
            return None;
        }
    };
    Some(
        aws_smithy_http_client::Builder::new().build_with_connector_fn(
            move |settings, components| {
                // Called without settings or components only to check the client when a
                // service client is made; the connector is then dropped. A real one reads and
                // parses the system's root certificates, which an organisation's hundreds of
                // clients cannot each afford: the check gets one without TLS. Requests get
                // theirs with settings, made once per timeout pair and kept by the client.
                if settings.is_none() && components.is_none() {
                    return Connector::builder().build_http();
                }
                let mut builder = Connector::builder()
                    .tls_provider(tls::Provider::Rustls(
                        tls::rustls_provider::CryptoMode::AwsLc,
                    ))
                    .tls_context(context.clone());
                builder.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    builder.set_sleep_impl(components.sleep_impl());
                }
                builder.set_proxy_config(Some(ProxyConfig::from_env()));
                builder.build()
            },
        ),
    )
}

/// Configuration for a simulator the tests start: its endpoint, fixed demo credentials.
pub async fn demo_config(endpoint_url: &str, region: &str) -> SdkConfig {
    sim_config(endpoint_url, region, "demo", "demo").await
}

/// Configuration for a simulator: its endpoint, and a key pair it knows.
pub async fn sim_config(
    endpoint_url: &str,
    region: &str,
    access_key: &str,
    secret: &str,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(client) = shared_https_client() {
        loader = loader.http_client(client);
    }
    loader
        .endpoint_url(endpoint_url)
        .region(Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            access_key,
            secret,
            None,
            None,
            "bosun-simulator",
        ))
        .load()
        .await
}

/// ResumeSession through the SSM API: the transport's way back after a drop.
pub struct SsmResume {
    client: aws_sdk_ssm::Client,
    /// Named in the login command when the credentials have expired.
    profile: Option<String>,
}

impl SsmResume {
    pub fn new(client: aws_sdk_ssm::Client, profile: Option<String>) -> SsmResume {
        SsmResume { client, profile }
    }
}

impl ResumeHook for SsmResume {
    fn resume<'a>(&'a self, session_id: &'a str) -> BoxFuture<'a, Result<Option<Resumed>, String>> {
        Box::pin(async move {
            let output = match self
                .client
                .resume_session()
                .session_id(session_id)
                .send()
                .await
            {
                Ok(output) => output,
                // Terminated or timed out on the service's side: nothing left to resume.
                Err(error)
                    if aws_sdk_ssm::error::ProvideErrorMetadata::code(&error)
                        == Some("DoesNotExistException") =>
                {
                    return Ok(None);
                }
                Err(error) => return Err(errors::describe_for(&error, self.profile.as_deref())),
            };
            let stream_url = output.stream_url.filter(|url| !url.is_empty());
            Ok(output
                .token_value
                .filter(|token| !token.is_empty())
                .map(|token| Resumed { token, stream_url }))
        })
    }
}

/// Ends a session on the service side (ssm:TerminateSession).
pub async fn terminate_session(
    client: &aws_sdk_ssm::Client,
    session_id: &str,
) -> Result<(), String> {
    client
        .terminate_session()
        .session_id(session_id)
        .send()
        .await
        .map(|_| ())
        .map_err(|error| errors::describe(&error))
}

/// KMS data keys for encrypted sessions.
pub struct KmsKeyProvider {
    client: aws_sdk_kms::Client,
}

impl KmsKeyProvider {
    pub fn new(client: aws_sdk_kms::Client) -> KmsKeyProvider {
        KmsKeyProvider { client }
    }
}

fn context_map(context: &std::collections::BTreeMap<String, String>) -> HashMap<String, String> {
    context
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl KeyProvider for KmsKeyProvider {
    fn generate_data_key<'a>(
        &'a self,
        request: &'a DataKeyRequest,
    ) -> BoxFuture<'a, Result<DataKey, KeyProviderError>> {
        Box::pin(async move {
            let output = self
                .client
                .generate_data_key()
                .key_id(&request.key_id)
                .number_of_bytes(DATA_KEY_LENGTH as i32)
                .set_encryption_context(Some(context_map(&request.encryption_context)))
                .send()
                .await
                .map_err(|error| {
                    KeyProviderError(format!(
                        "kms:GenerateDataKey failed: {}",
                        errors::describe(&error)
                    ))
                })?;
            let plaintext = output.plaintext.map(Blob::into_inner).unwrap_or_default();
            let ciphertext = output
                .ciphertext_blob
                .map(Blob::into_inner)
                .unwrap_or_default();
            Ok(DataKey {
                plaintext,
                ciphertext,
            })
        })
    }

    fn decrypt_data_key<'a>(
        &'a self,
        request: &'a DecryptKeyRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>, KeyProviderError>> {
        Box::pin(async move {
            let output = self
                .client
                .decrypt()
                .key_id(&request.key_id)
                .ciphertext_blob(Blob::new(request.ciphertext.clone()))
                .set_encryption_context(Some(context_map(&request.encryption_context)))
                .send()
                .await
                .map_err(|error| {
                    KeyProviderError(format!("kms:Decrypt failed: {}", errors::describe(&error)))
                })?;
            Ok(output.plaintext.map(Blob::into_inner).unwrap_or_default())
        })
    }
}

/// A one-line account of an SDK error for a pane or a status line: a sentence with the next
/// step for what a person can fix (credentials, clock, proxy), AWS's code and message for the
/// rest ("TargetNotConnected: i-… is not connected"); see `errors`.
pub fn short_error<E, R>(error: &aws_sdk_ssm::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    errors::describe(error)
}

/// An SDK error kept as the cause of one of bosun's errors: shared, so that the events which
/// carry it can be cloned.
pub type Cause = std::sync::Arc<dyn std::error::Error + Send + Sync>;

/// AWS's one-line account of `error` (see `short_error`), and the error itself as the cause.
pub fn explain<E, R>(error: aws_sdk_ssm::error::SdkError<E, R>) -> (String, Cause)
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let message = short_error(&error);
    (message, std::sync::Arc::new(error))
}
