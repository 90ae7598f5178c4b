//! The AWS SDK side: configuration resolved exactly as the AWS CLI resolves it (profiles, SSO,
//! credential_process, AWS_ENDPOINT_URL), and the SDK-backed implementations of the session
//! hooks — ResumeSession for the transport, GenerateDataKey/Decrypt for KMS sessions.

pub mod sdk;
pub mod target;

pub use sdk::{KmsKeyProvider, SsmResume, load_config, terminate_session};
