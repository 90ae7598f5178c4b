//! The AWS SDK side: configuration resolved exactly as the AWS CLI resolves it (profiles, SSO,
//! credential_process, AWS_ENDPOINT_URL), the SDK-backed implementations of the session hooks
//! (ResumeSession for the transport, GenerateDataKey/Decrypt for KMS sessions), the joined
//! inventory and its filter language, and TARGET resolution.

pub mod containers;
pub mod diagnose;
pub mod endpoints;
pub mod errors;
pub mod inventory;
pub mod org;
pub mod profiles;
pub mod run_targets;
pub mod sdk;
pub mod sessions;
pub mod sso;
pub mod target;
pub mod upgrade;
pub mod windows_password;

pub use sdk::{KmsKeyProvider, SsmResume, demo_config, load_config, sim_config, terminate_session};
