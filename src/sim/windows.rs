//! The simulated Windows instances' Administrator passwords: EC2 GetPasswordData answers each
//! Windows instance's password encrypted (RSA, PKCS#1 v1.5, as EC2 does) to the key pair
//! every simulated Windows instance was launched with, `bosun-sim-windows`. Its private key is
//! one per process, made when first asked for, and handed to whoever runs the simulator
//! (`SimHandle::windows_key_pem`, and `bosun sim`'s `EC2_KEY_FILE`).

use std::fmt::Write as _;
use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, Pkcs1PublicEncryptingKey, PrivateDecryptingKey};
use base64::Engine as _;

use super::api::ApiError;
use super::query::{Query, escape};
use super::sigv4::Credential;
use super::{Platform, SimState};

fn key() -> &'static PrivateDecryptingKey {
    static KEY: OnceLock<PrivateDecryptingKey> = OnceLock::new();
    KEY.get_or_init(|| {
        PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("an RSA key can be generated")
    })
}

/// The key pair's private key, PKCS#8 PEM, as `bosun rdp --password` reads it.
pub fn key_pem() -> String {
    let der = key().as_der().expect("the key encodes");
    let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// A Windows instance's Administrator password: its own, the same on every ask.
pub(crate) fn password_of(instance_id: &str) -> String {
    let tail = &instance_id[instance_id.len().saturating_sub(6)..];
    format!("Sim-{tail}-Admin!")
}

/// GetPasswordData: the password encrypted to the key pair (base64), or empty for an instance
/// that is not Windows, as EC2 answers.
pub(crate) fn get_password_data(
    state: &SimState,
    credential: &Credential,
    query: &Query,
) -> Result<String, ApiError> {
    let Some(id) = query.get("InstanceId") else {
        return Err(ApiError::new(
            400,
            "MissingParameter",
            "The request must contain the parameter InstanceId",
        ));
    };
    let Some(instance) = state
        .fleet
        .instances
        .iter()
        .find(|i| i.id == id && i.region == credential.region && i.is_ec2())
    else {
        return Err(ApiError::new(
            400,
            "InvalidInstanceID.NotFound",
            format!("The instance ID '{id}' does not exist"),
        ));
    };
    let data = if instance.platform == Platform::Windows {
        let public = Pkcs1PublicEncryptingKey::new(key().public_key())
            .map_err(|_| ApiError::new(500, "InternalError", "the key pair is unusable"))?;
        let mut sealed = vec![0u8; public.ciphertext_size()];
        let sealed = public
            .encrypt(password_of(id).as_bytes(), &mut sealed)
            .map_err(|_| ApiError::new(500, "InternalError", "the password could not be sealed"))?;
        base64::engine::general_purpose::STANDARD.encode(sealed)
    } else {
        String::new()
    };
    let mut xml = String::new();
    let _ = write!(
        xml,
        "<instanceId>{}</instanceId><timestamp>{}</timestamp><passwordData>{}</passwordData>",
        escape(id),
        crate::model::format::iso8601(super::api::epoch_seconds(state.started) as i64),
        data
    );
    Ok(xml)
}
