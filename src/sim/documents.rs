//! The simulated GetDocument, for the one document a client reads: the Region's Session
//! Manager preferences (`SSM-SessionManagerRunShell`), which exists once preferences have been
//! saved (`[[session_preferences]]` in the fleet file) and says whether sessions are
//! KMS-encrypted. Other names answer InvalidDocument, as an account's missing documents do.

use serde_json::{Value, json};

use super::SimState;
use super::api::{ApiError, ApiResult, Params};
use super::sigv4::Credential;

/// The preferences document's name.
pub const PREFERENCES: &str = "SSM-SessionManagerRunShell";

/// The KMS key the Region's preferences encrypt shell sessions with, if any.
pub(crate) fn preferred_kms_key(state: &SimState, region: &str) -> Option<String> {
    state
        .fleet
        .session_preferences
        .iter()
        .find(|p| p.region == region)
        .and_then(|p| p.kms_key_id.clone())
        .filter(|key| !key.is_empty())
}

pub(crate) fn get_document(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(
        input,
        &["Name", "VersionName", "DocumentVersion", "DocumentFormat"],
    )?;
    let name = params.required_str("Name")?;
    let saved = state
        .fleet
        .session_preferences
        .iter()
        .any(|p| p.region == credential.region);
    if name != PREFERENCES || !saved {
        return Err(ApiError::new(
            400,
            "InvalidDocument",
            "The specified document does not exist.",
        ));
    }
    let content = json!({
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": "",
            "s3KeyPrefix": "",
            "s3EncryptionEnabled": true,
            "cloudWatchLogGroupName": "",
            "cloudWatchEncryptionEnabled": true,
            "idleSessionTimeout": "20",
            "maxSessionDuration": "",
            "kmsKeyId": preferred_kms_key(state, &credential.region).unwrap_or_default(),
            "runAsEnabled": false,
            "runAsDefaultUser": "",
            "shellProfile": {"windows": "", "linux": ""}
        }
    });
    Ok(json!({
        "Name": PREFERENCES,
        "DocumentVersion": "1",
        "Status": "Active",
        "Content": content.to_string(),
        "DocumentType": "Session",
        "DocumentFormat": "JSON",
    }))
}
