//! KMS session encryption (docs/protocol.md §5.5): the 64-byte data key split per direction,
//! AES-256-GCM with `nonce || ciphertext || tag` on the wire, and the key-provider trait that
//! the AWS SDK (the client) and the simulator (the agent) each implement.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use futures_util::future::BoxFuture;

use super::Role;

/// Length of the KMS data key: two AES-256 keys.
pub const DATA_KEY_LENGTH: usize = 64;
const NONCE_LENGTH: usize = 12;
const TAG_LENGTH: usize = 16;

/// Encryption-context keys (docs/protocol.md §5.5).
pub const CONTEXT_SESSION_ID: &str = "aws:ssm:SessionId";
pub const CONTEXT_TARGET_ID: &str = "aws:ssm:TargetId";
pub const CONTEXT_RANDOM_CHALLENGE: &str = "aws:ssm:RandomChallenge";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the data key has {0} bytes, expected 64")]
    BadKeyLength(usize),
    #[error("encrypted payload of {0} bytes is too short for nonce and tag")]
    TooShort(usize),
    #[error("payload failed authentication (wrong data key or corrupted data)")]
    Authentication,
    #[error("the system random number generator failed")]
    Random,
}

/// A plaintext data key with its KMS ciphertext. The plaintext never appears in `Debug`.
#[derive(Clone)]
pub struct DataKey {
    pub plaintext: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("plaintext", &"<redacted>")
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.plaintext.iter_mut().for_each(|byte| *byte = 0);
    }
}

/// The client asks for a fresh data key (kms:GenerateDataKey, 64 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyRequest {
    pub key_id: String,
    pub encryption_context: BTreeMap<String, String>,
}

/// The agent asks for the plaintext of the client's data key (kms:Decrypt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptKeyRequest {
    pub key_id: String,
    pub ciphertext: Vec<u8>,
    pub encryption_context: BTreeMap<String, String>,
}

/// Why a key provider failed, as text for the handshake's error field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyProviderError(pub String);

/// Supplies KMS data keys. The session never calls it: it emits a request event and the driver
/// (which may await the network) answers with `Session::handle_data_key`.
pub trait KeyProvider: Send + Sync {
    fn generate_data_key<'a>(
        &'a self,
        request: &'a DataKeyRequest,
    ) -> BoxFuture<'a, Result<DataKey, KeyProviderError>>;

    fn decrypt_data_key<'a>(
        &'a self,
        request: &'a DecryptKeyRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>, KeyProviderError>>;
}

/// How this side picks nonces: the client draws random ones, the agent counts up from a random
/// start (little-endian increment), as the real peers do.
enum NonceSource {
    Random,
    Counter([u8; NONCE_LENGTH]),
}

/// The two directional ciphers of one encrypted session.
pub struct SessionCipher {
    outgoing: Aes256Gcm,
    incoming: Aes256Gcm,
    nonces: NonceSource,
}

impl fmt::Debug for SessionCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionCipher(<keys redacted>)")
    }
}

impl SessionCipher {
    /// Bytes 0..32 encrypt agent → client, bytes 32..64 client → agent.
    pub fn new(data_key: &[u8], role: Role) -> Result<SessionCipher, CryptoError> {
        if data_key.len() != DATA_KEY_LENGTH {
            return Err(CryptoError::BadKeyLength(data_key.len()));
        }
        let agent_to_client = Aes256Gcm::new_from_slice(&data_key[..32])
            .map_err(|_| CryptoError::BadKeyLength(data_key.len()))?;
        let client_to_agent = Aes256Gcm::new_from_slice(&data_key[32..])
            .map_err(|_| CryptoError::BadKeyLength(data_key.len()))?;
        Ok(match role {
            Role::Client => SessionCipher {
                outgoing: client_to_agent,
                incoming: agent_to_client,
                nonces: NonceSource::Random,
            },
            Role::Agent => {
                let mut start = [0u8; NONCE_LENGTH];
                random_fill(&mut start)?;
                SessionCipher {
                    outgoing: agent_to_client,
                    incoming: client_to_agent,
                    nonces: NonceSource::Counter(start),
                }
            }
        })
    }

    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce_bytes = self.next_nonce()?;
        self.seal(nonce_bytes, plaintext)
    }

    /// `nonce || ciphertext || tag`, the wire form both official peers use.
    fn seal(
        &self,
        nonce_bytes: [u8; NONCE_LENGTH],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .outgoing
            .encrypt(&nonce, plaintext)
            .map_err(|_| CryptoError::Authentication)?;
        let mut wire = Vec::with_capacity(NONCE_LENGTH + sealed.len());
        wire.extend_from_slice(&nonce_bytes);
        wire.extend_from_slice(&sealed);
        Ok(wire)
    }

    pub fn decrypt(&self, wire: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if wire.len() < NONCE_LENGTH + TAG_LENGTH {
            return Err(CryptoError::TooShort(wire.len()));
        }
        let mut nonce_bytes = [0u8; NONCE_LENGTH];
        nonce_bytes.copy_from_slice(&wire[..NONCE_LENGTH]);
        self.incoming
            .decrypt(&Nonce::from(nonce_bytes), &wire[NONCE_LENGTH..])
            .map_err(|_| CryptoError::Authentication)
    }

    fn next_nonce(&mut self) -> Result<[u8; NONCE_LENGTH], CryptoError> {
        match &mut self.nonces {
            NonceSource::Random => {
                let mut nonce = [0u8; NONCE_LENGTH];
                random_fill(&mut nonce)?;
                Ok(nonce)
            }
            NonceSource::Counter(counter) => {
                let current = *counter;
                for byte in counter.iter_mut() {
                    let (next, overflow) = byte.overflowing_add(1);
                    *byte = next;
                    if !overflow {
                        break;
                    }
                }
                Ok(current)
            }
        }
    }
}

pub(crate) fn random_fill(buffer: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buffer).map_err(|_| CryptoError::Random)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> Vec<u8> {
        (0..64).map(|i| seed.wrapping_add(i)).collect()
    }

    #[test]
    fn each_direction_uses_its_half() {
        let mut client = SessionCipher::new(&key(1), Role::Client).expect("key");
        let mut agent = SessionCipher::new(&key(1), Role::Agent).expect("key");
        let up = client.encrypt(b"keystrokes").expect("encrypts");
        assert_eq!(agent.decrypt(&up).expect("agent decrypts"), b"keystrokes");
        let down = agent.encrypt(b"output").expect("encrypts");
        assert_eq!(client.decrypt(&down).expect("client decrypts"), b"output");
        // A message cannot be reflected back to its sender: the halves differ.
        assert_eq!(client.decrypt(&up), Err(CryptoError::Authentication));
    }

    #[test]
    fn wrong_key_fails_authentication() {
        let mut agent = SessionCipher::new(&key(1), Role::Agent).expect("key");
        let client = SessionCipher::new(&key(2), Role::Client).expect("key");
        let sealed = agent.encrypt(b"secret").expect("encrypts");
        assert_eq!(client.decrypt(&sealed), Err(CryptoError::Authentication));
        assert_eq!(
            client.decrypt(&sealed[..10]),
            Err(CryptoError::TooShort(10))
        );
    }

    #[test]
    fn agent_nonces_count_up_little_endian() {
        let mut agent = SessionCipher::new(&key(1), Role::Agent).expect("key");
        agent.nonces = NonceSource::Counter([0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let first = agent.encrypt(b"a").expect("encrypts");
        let second = agent.encrypt(b"b").expect("encrypts");
        assert_eq!(&first[..3], &[0xff, 0xff, 0]);
        assert_eq!(&second[..3], &[0, 0, 1]);
    }

    /// The official plugin's and agent's own encryption of the same data with the same key
    /// and nonce (`tests/fixtures/kms-vectors.txt`): bosun's bytes are theirs.
    #[test]
    fn encryption_matches_the_official_vectors() {
        let vectors = include_str!("../../tests/fixtures/kms-vectors.txt");
        let value = |label: &str| {
            let text = vectors
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{label}: ")))
                .unwrap_or_else(|| panic!("no {label}"));
            hex::decode(text.trim()).expect("hex")
        };
        let key = value("key");
        let nonce: [u8; NONCE_LENGTH] = value("nonce").try_into().expect("12 bytes");
        // The plugin draws a fresh nonce each time; with the vectors' nonce it seals the same.
        let client = SessionCipher::new(&key, Role::Client).expect("client");
        assert_eq!(
            client.seal(nonce, b"ls\r").expect("seals"),
            value("client_to_agent \"ls\\r\"")
        );
        assert_eq!(
            client.seal(nonce, b"0123456789abcdefghij").expect("seals"),
            value("client_to_agent \"0123456789abcdefghij\"")
        );
        // The agent counts from its first nonce, little-endian.
        let mut agent = SessionCipher::new(&key, Role::Agent).expect("agent");
        agent.nonces = NonceSource::Counter(nonce);
        assert_eq!(
            agent.encrypt(b"ls\r").expect("seals"),
            value("agent_to_client \"ls\\r\"")
        );
        assert_eq!(
            agent.encrypt(b"ls\r").expect("seals"),
            value("agent_to_client_second \"ls\\r\"")
        );
    }

    #[test]
    fn data_key_debug_hides_plaintext() {
        let key = DataKey {
            plaintext: vec![7; 64],
            ciphertext: vec![1, 2, 3],
        };
        assert!(!format!("{key:?}").contains('7'));
    }
}
