//! Secrets at rest: AES-256-GCM with a random nonce per value, bound to the project, variable and scope
//! it belongs to, and tagged with the id of the key that sealed it so keys can rotate.
//!
//! A sealed value reads `berth-secret:v1:<key id>:<base64(nonce ‖ ciphertext)>`. The key id is derived
//! from the key itself (the first 8 hex digits of its SHA-256), so configuring a new current key and
//! keeping the old ones for reading is all a rotation takes.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// What every sealed value starts with; the version says how the rest is laid out.
const PREFIX: &str = "berth-secret:v1:";
/// AES-GCM's standard nonce length.
const NONCE_BYTES: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "this Berth has no secret key configured, so it cannot store secrets; set one (BERTH_SECRET_KEY)"
    )]
    NoKey,
    #[error(
        "a secret key must be 64 hex digits (32 bytes); generate one with `openssl rand -hex 32`"
    )]
    BadKey,
    #[error("the secret was sealed with key {0}, which is not configured; add it to the keyring")]
    UnknownKey(String),
    #[error("the secret cannot be decrypted: it was altered, or moved from another variable")]
    Tampered,
}

/// One AES-256 key and its id.
#[derive(Clone)]
struct Key {
    id: String,
    bytes: [u8; 32],
}

/// The keys secrets are sealed with: the first seals, all of them open.
#[derive(Clone, Default)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Keyring {
    /// A keyring that holds no key: plain variables work, secrets are refused.
    pub fn empty() -> Keyring {
        Keyring::default()
    }

    /// A keyring from raw keys; the first is the current one.
    pub fn new(keys: impl IntoIterator<Item = [u8; 32]>) -> Keyring {
        let keys = keys
            .into_iter()
            .map(|bytes| Key {
                id: hex::encode(&Sha256::digest(bytes)[..4]),
                bytes,
            })
            .collect();
        Keyring { keys }
    }

    /// Parses keys written as hex, separated by commas or whitespace; the first is the current one.
    pub fn from_hex(text: &str) -> Result<Keyring, SecretError> {
        let keys = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .map(|k| {
                let bytes = hex::decode(k).map_err(|_| SecretError::BadKey)?;
                <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| SecretError::BadKey)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(SecretError::BadKey);
        }
        Ok(Keyring::new(keys))
    }

    /// A fresh random key, as 64 hex digits.
    pub fn generate_hex() -> String {
        hex::encode(rand::random::<[u8; 32]>())
    }

    /// The current key's id, if there is a key.
    pub fn current_id(&self) -> Option<&str> {
        self.keys.first().map(|k| k.id.as_str())
    }

    /// A 32-byte key for another purpose (signing session cookies, say), derived from the current key;
    /// `None` without a key.
    pub fn derive(&self, purpose: &str) -> Option<[u8; 32]> {
        let key = self.keys.first()?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.bytes).ok()?;
        mac.update(b"berth derive v1\0");
        mac.update(purpose.as_bytes());
        Some(mac.finalize().into_bytes().into())
    }

    /// Encrypts `plaintext` for the variable identified by `context` (project, key, scope), so the
    /// result cannot be moved to another variable.
    pub fn seal(&self, context: &str, plaintext: &str) -> Result<String, SecretError> {
        let key = self.keys.first().ok_or(SecretError::NoKey)?;
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let cipher = Aes256Gcm::new((&key.bytes).into());
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Tampered)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}:{}", key.id, B64.encode(blob)))
    }

    /// Decrypts a value made by [`Keyring::seal`] with the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, SecretError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(SecretError::Tampered)?;
        let (id, blob) = rest.split_once(':').ok_or(SecretError::Tampered)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| SecretError::UnknownKey(id.to_string()))?;
        let blob = B64.decode(blob).map_err(|_| SecretError::Tampered)?;
        if blob.len() < NONCE_BYTES {
            return Err(SecretError::Tampered);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_BYTES);
        let cipher = Aes256Gcm::new((&key.bytes).into());
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Tampered)?;
        String::from_utf8(plain).map_err(|_| SecretError::Tampered)
    }
}

/// What a sealed value is bound to: the project, the variable's name and its scope.
pub fn context(project_id: &str, key: &str, scope: berth_store::EnvScope) -> String {
    format!("{project_id}\0{key}\0{scope}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_with_fresh_nonces() {
        let ring = Keyring::new([[7u8; 32]]);
        let a = ring.seal("p\0K\0all", "hunter2").unwrap();
        let b = ring.seal("p\0K\0all", "hunter2").unwrap();
        assert_ne!(a, b, "every value gets its own nonce");
        assert!(!a.contains("hunter2"));
        assert_eq!(ring.open("p\0K\0all", &a).unwrap(), "hunter2");
    }

    #[test]
    fn refuses_tampering_other_contexts_and_unknown_keys() {
        let ring = Keyring::new([[7u8; 32]]);
        let sealed = ring.seal("p\0K\0all", "hunter2").unwrap();
        assert_eq!(ring.open("q\0K\0all", &sealed), Err(SecretError::Tampered));
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            ring.open("p\0K\0all", &String::from_utf8(bytes).unwrap()),
            Err(SecretError::Tampered)
        );
        let other = Keyring::new([[8u8; 32]]);
        assert!(matches!(
            other.open("p\0K\0all", &sealed),
            Err(SecretError::UnknownKey(_))
        ));
        assert_eq!(Keyring::empty().seal("c", "v"), Err(SecretError::NoKey));
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = Keyring::new([[1u8; 32]]);
        let sealed = old.seal("c", "v").unwrap();
        let rotated = Keyring::new([[2u8; 32], [1u8; 32]]);
        assert_eq!(rotated.open("c", &sealed).unwrap(), "v");
        assert!(
            rotated
                .seal("c", "v")
                .unwrap()
                .contains(rotated.current_id().unwrap())
        );
    }

    #[test]
    fn parses_hex_keys() {
        let hex = Keyring::generate_hex();
        assert_eq!(
            Keyring::from_hex(&format!("{hex}, {hex}"))
                .unwrap()
                .keys
                .len(),
            2
        );
        assert_eq!(Keyring::from_hex("abcd").unwrap_err(), SecretError::BadKey);
        assert_eq!(Keyring::from_hex("").unwrap_err(), SecretError::BadKey);
    }
}
