//! The little DER bosun writes: an RSA private key in PKCS#1 form (`RSA PRIVATE KEY`, as EC2
//! hands key pairs out) wrapped as PKCS#8 (`PRIVATE KEY`), the form crypto libraries read.

/// rsaEncryption (1.2.840.113549.1.1.1) with its NULL parameters, as an AlgorithmIdentifier.
const RSA_ALGORITHM: [u8; 15] = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/// PKCS#8 PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING { the PKCS#1 key } }.
pub fn pkcs1_in_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    let mut key = vec![0x04];
    key.extend(length(pkcs1.len()));
    key.extend_from_slice(pkcs1);
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend_from_slice(&RSA_ALGORITHM);
    body.extend(key);
    let mut info = vec![0x30];
    info.extend(length(body.len()));
    info.extend(body);
    info
}

/// A DER length: short form below 128, else the count of big-endian bytes first.
fn length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes: Vec<u8> = len
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_take_the_short_and_the_long_form() {
        assert_eq!(length(5), [5]);
        assert_eq!(length(0x80), [0x81, 0x80]);
        assert_eq!(length(1190), [0x82, 0x04, 0xa6]);
    }

    #[test]
    fn a_small_key_is_wrapped_as_pkcs8() {
        let wrapped = pkcs1_in_pkcs8(&[0x30, 0x00]);
        assert_eq!(
            wrapped,
            [
                0x30, 0x16, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x02, 0x30, 0x00
            ]
        );
    }
}
