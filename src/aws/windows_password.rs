//! A Windows instance's Administrator password: EC2 GetPasswordData, decrypted with the
//! private key of the key pair it was launched with (RSA, PKCS#1 v1.5, as EC2 encrypts it).
//! The key and the password stay in memory; neither is logged.

use aws_lc_rs::rsa::{Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use base64::Engine as _;

/// The instance's Administrator password, decrypted with `key_pem` (the key pair's private
/// key, PKCS#1 `RSA PRIVATE KEY` as EC2 hands it out, or PKCS#8 `PRIVATE KEY`).
pub async fn administrator_password(
    ec2: &aws_sdk_ec2::Client,
    instance_id: &str,
    key_pem: &str,
) -> Result<String, String> {
    let key = private_key(key_pem)?;
    let answer = ec2
        .get_password_data()
        .instance_id(instance_id)
        .send()
        .await
        .map_err(|error| super::errors::describe(&error))?;
    let sealed = answer.password_data().unwrap_or_default().trim();
    if sealed.is_empty() {
        return Err(format!(
            "EC2 has no password for {instance_id}: it is not Windows, or its password is not ready yet (a few minutes after launch)"
        ));
    }
    decrypt(&key, sealed)
}

/// The private key in `pem`, PKCS#1 or PKCS#8.
fn private_key(pem: &str) -> Result<PrivateDecryptingKey, String> {
    let (label, der) = pem_body(pem).ok_or_else(|| {
        "the key file is not a PEM private key (-----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)".to_owned()
    })?;
    let pkcs8 = match label.as_str() {
        "PRIVATE KEY" => der,
        "RSA PRIVATE KEY" => crate::model::der::pkcs1_in_pkcs8(&der),
        other => {
            return Err(format!(
                "the key file holds a {other}, not an RSA private key (EC2 encrypts Windows passwords to RSA key pairs)"
            ));
        }
    };
    PrivateDecryptingKey::from_pkcs8(&pkcs8)
        .map_err(|error| format!("the key file's RSA key cannot be read: {error}"))
}

/// The label and the decoded body of a PEM block.
fn pem_body(pem: &str) -> Option<(String, Vec<u8>)> {
    let begin = pem.find("-----BEGIN ")?;
    let rest = &pem[begin + "-----BEGIN ".len()..];
    let (label, rest) = rest.split_once("-----")?;
    let end = rest.find("-----END ")?;
    let body: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((label.to_owned(), der))
}

fn decrypt(key: &PrivateDecryptingKey, sealed: &str) -> Result<String, String> {
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .map_err(|_| "EC2's password data is not base64".to_owned())?;
    let key = Pkcs1PrivateDecryptingKey::new(key.clone())
        .map_err(|_| "the key cannot decrypt (not an RSA key of 2048 bits or more)".to_owned())?;
    let mut plain = vec![0u8; key.min_output_size()];
    let plain = key.decrypt(&sealed, &mut plain).map_err(|_| {
        "the password does not decrypt with this key: is it the key pair the instance was launched with?".to_owned()
    })?;
    String::from_utf8(plain.to_vec()).map_err(|_| "the decrypted password is not text".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_that_is_not_a_key_says_so() {
        let error = private_key("hello").expect_err("not PEM");
        assert!(error.contains("not a PEM private key"), "{error}");
        let error =
            private_key("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")
                .expect_err("not RSA");
        assert!(error.contains("EC PRIVATE KEY"), "{error}");
    }
}
