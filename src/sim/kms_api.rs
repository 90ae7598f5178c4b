//! The simulated KMS API (JSON 1.1, `TrentService.*`): GenerateDataKey and Decrypt with
//! encryption-context checks, enough for KMS-encrypted sessions.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::SimState;
use super::api::{ApiError, ApiResult, Params, random_hex};
use super::sigv4::Credential;

/// Data keys handed out, by ciphertext blob: the plaintext and the context it is bound to.
#[derive(Default)]
pub(crate) struct KeyStore {
    keys: HashMap<Vec<u8>, StoredKey>,
}

struct StoredKey {
    key_arn: String,
    plaintext: Vec<u8>,
    context: BTreeMap<String, String>,
}

pub(crate) fn dispatch(
    state: &SimState,
    credential: &Credential,
    operation: &str,
    input: &Value,
) -> ApiResult {
    match operation {
        "GenerateDataKey" => generate_data_key(state, credential, input),
        "Decrypt" => decrypt(state, input),
        other => Err(ApiError::unknown_operation(other)),
    }
}

fn context(params: &Params) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(value) = params.get("EncryptionContext") else {
        return Ok(BTreeMap::new());
    };
    value
        .as_object()
        .ok_or_else(|| ApiError::serialization("EncryptionContext must be a map"))?
        .iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|v| (k.clone(), v.to_owned()))
                .ok_or_else(|| ApiError::serialization("EncryptionContext values must be strings"))
        })
        .collect()
}

fn key_arn(credential: &Credential, key_id: &str) -> String {
    if key_id.starts_with("arn:") {
        key_id.to_owned()
    } else if let Some(alias) = key_id.strip_prefix("alias/") {
        format!(
            "arn:aws:kms:{}:{}:alias/{alias}",
            credential.region,
            super::fleet::DEFAULT_ACCOUNT
        )
    } else {
        format!(
            "arn:aws:kms:{}:{}:key/{key_id}",
            credential.region,
            super::fleet::DEFAULT_ACCOUNT
        )
    }
}

fn generate_data_key(state: &SimState, credential: &Credential, input: &Value) -> ApiResult {
    let params = Params::new(
        input,
        &[
            "KeyId",
            "EncryptionContext",
            "NumberOfBytes",
            "KeySpec",
            "GrantTokens",
            "DryRun",
            "Recipient",
        ],
    )?;
    let key_id = params.required_str("KeyId")?;
    let length = match (
        params.bounded("NumberOfBytes", 1, 1024)?,
        params.str("KeySpec")?,
    ) {
        (Some(n), None) => n as usize,
        (None, Some("AES_256")) => 32,
        (None, Some("AES_128")) => 16,
        _ => {
            return Err(ApiError::validation(
                "Please specify either number of bytes or key spec.",
            ));
        }
    };
    let mut plaintext = vec![0u8; length];
    getrandom::fill(&mut plaintext)
        .map_err(|_| ApiError::new(500, "KMSInternalException", "no randomness"))?;
    let key_arn = key_arn(credential, key_id);
    let blob = format!("bosun-sim-kms:{}", random_hex(32)).into_bytes();
    if let Ok(mut store) = state.kms.lock() {
        store.keys.insert(
            blob.clone(),
            StoredKey {
                key_arn: key_arn.clone(),
                plaintext: plaintext.clone(),
                context: context(&params)?,
            },
        );
    }
    Ok(json!({
        "CiphertextBlob": BASE64.encode(&blob),
        "Plaintext": BASE64.encode(&plaintext),
        "KeyId": key_arn,
    }))
}

fn decrypt(state: &SimState, input: &Value) -> ApiResult {
    let params = Params::new(
        input,
        &[
            "CiphertextBlob",
            "EncryptionContext",
            "GrantTokens",
            "KeyId",
            "EncryptionAlgorithm",
            "DryRun",
            "Recipient",
        ],
    )?;
    let blob = BASE64
        .decode(params.required_str("CiphertextBlob")?)
        .map_err(|_| ApiError::serialization("CiphertextBlob is not base64"))?;
    let requested_context = context(&params)?;
    let store = state
        .kms
        .lock()
        .map_err(|_| ApiError::new(500, "KMSInternalException", "key store unavailable"))?;
    // KMS answers the same way for an unknown blob and for a context that does not match.
    let key = store
        .keys
        .get(&blob)
        .filter(|key| key.context == requested_context)
        .ok_or_else(|| ApiError::new(400, "InvalidCiphertextException", ""))?;
    Ok(json!({
        "KeyId": key.key_arn,
        "Plaintext": BASE64.encode(&key.plaintext),
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }))
}

/// The simulated agent's kms:Decrypt, with the same context check the API applies.
pub(crate) fn decrypt_for_agent(
    state: &SimState,
    ciphertext: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<Vec<u8>, String> {
    let store = state
        .kms
        .lock()
        .map_err(|_| "key store unavailable".to_owned())?;
    store
        .keys
        .get(ciphertext)
        .filter(|key| &key.context == context)
        .map(|key| key.plaintext.clone())
        .ok_or_else(|| {
            "InvalidCiphertextException: the data key or its encryption context does not match"
                .to_owned()
        })
}
