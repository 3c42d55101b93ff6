//! The keys that sign access tokens: ECDSA P-256 (`ES256`, the only algorithm issued or accepted),
//! made with ring, kept in the store with the private half sealed by the secret keyring, rotated, and
//! published as a JWKS (`/oauth/jwks`) and to the edges ([`TokenKeyPublisher`]).
//!
//! Rotation: a new key is made when the newest is [`ROTATE_AFTER`] less [`PUBLISH_AHEAD`] old. A key
//! signs only once it has been published for [`PUBLISH_AHEAD`] (every process reloads the keys each
//! [`RELOAD_EVERY`], so every edge knows a key before any token it signed arrives), and stays listed
//! until the last token it could have signed has expired.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use berth_store::{SigningKey, Store};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Keyring;

/// The one signing algorithm.
pub const ALG: &str = "ES256";
/// How long one key signs: a week, so a leaked key is useful for little time and the JWKS stays short.
pub const ROTATE_AFTER: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// How long a key is published before it signs: longer than [`RELOAD_EVERY`], so that every process
/// (and its edge) has loaded it first.
pub const PUBLISH_AHEAD: Duration = Duration::from_secs(10 * 60);
/// How often a process reloads the keys from the store (and publishes them to its edge).
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);

/// A public signing key as a JWK (RFC 7517), for `/oauth/jwks` and for the edges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    /// The point's coordinates, base64url without padding.
    pub x: String,
    pub y: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}

/// Tells the edges which keys sign valid access tokens (in one process, directly).
pub trait TokenKeyPublisher: Send + Sync + 'static {
    /// Replaces the set of verification keys.
    fn publish(&self, keys: &[PublicJwk]);
}

/// What the keys are, as of one load.
struct Loaded {
    /// The key that signs now: its id and its private key.
    signer: (String, Arc<EncodingKey>),
    jwks: Vec<PublicJwk>,
    loaded_at: i64,
}

/// The signing keys of this process: loaded from the store, made and rotated as due. Cheap to clone.
#[derive(Clone)]
pub struct SigningKeys {
    store: Store,
    keyring: Keyring,
    publisher: Option<Arc<dyn TokenKeyPublisher>>,
    loaded: Arc<Mutex<Option<Arc<Loaded>>>>,
    /// One load at a time in this process.
    loading: Arc<tokio::sync::Mutex<()>>,
}

/// What to do with the stored keys at `now`: made by [`plan`] from their creation times.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// Whether to make a new key first.
    pub make: bool,
    /// Which key signs (its index), once any new key is made.
    pub signer: Option<usize>,
    /// Keys older than this (unix ms) can have signed no token still valid: they go.
    pub retire_before: i64,
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// Decides from the keys' creation times (oldest first) which key signs and whether one is due.
pub fn plan(created: &[i64], now: i64) -> Plan {
    let retire_before =
        now - ms(ROTATE_AFTER) - ms(PUBLISH_AHEAD) - ms(super::ACCESS_TOKEN_TTL) - ms(RELOAD_EVERY);
    let live: Vec<(usize, i64)> = created
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, at)| *at >= retire_before)
        .collect();
    let newest = live.iter().map(|(_, at)| *at).max();
    let make = newest.is_none_or(|at| now - at >= ms(ROTATE_AFTER) - ms(PUBLISH_AHEAD));
    let published = live
        .iter()
        .filter(|(_, at)| now - at >= ms(PUBLISH_AHEAD))
        .max_by_key(|(_, at)| *at);
    let signer = published
        .or(live.iter().max_by_key(|(_, at)| *at))
        .map(|(i, _)| *i);
    Plan {
        make,
        signer,
        retire_before,
    }
}

impl SigningKeys {
    pub fn new(store: Store, keyring: Keyring) -> SigningKeys {
        SigningKeys {
            store,
            keyring,
            publisher: None,
            loaded: Arc::default(),
            loading: Arc::default(),
        }
    }

    /// Publishes every load's keys to `publisher` (the edge).
    pub fn with_publisher(mut self, publisher: Arc<dyn TokenKeyPublisher>) -> SigningKeys {
        self.publisher = Some(publisher);
        self
    }

    /// Loads the keys, making or retiring keys as due, and publishes them. Call it once at start (so
    /// the edge knows the keys before it serves) and then every [`RELOAD_EVERY`] ([`Self::start`]).
    pub async fn reload(&self) -> Result<(), String> {
        let _one = self.loading.lock().await;
        let now = super::now_ms();
        let mut stored = self.store.signing_keys().await.map_err(|e| e.to_string())?;
        let times: Vec<i64> = stored.iter().map(|k| k.created_at).collect();
        let first = plan(&times, now);
        if first.make {
            let key = self.make_key(now)?;
            self.store
                .add_signing_key(&key)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(kid = %key.kid, "made a new access token signing key");
            stored.push(key);
        }
        if stored.iter().any(|k| k.created_at < first.retire_before) {
            self.store
                .delete_signing_keys_before(first.retire_before)
                .await
                .map_err(|e| e.to_string())?;
            stored.retain(|k| k.created_at >= first.retire_before);
        }
        let times: Vec<i64> = stored.iter().map(|k| k.created_at).collect();
        let signer = plan(&times, now)
            .signer
            .ok_or("no signing key after making one")?;
        let mut jwks = Vec::new();
        for key in &stored {
            match serde_json::from_str::<PublicJwk>(&key.public_jwk) {
                Ok(jwk) if jwk.alg == ALG => jwks.push(jwk),
                _ => {
                    tracing::error!(kid = %key.kid, "a stored signing key is unreadable; it is not published")
                }
            }
        }
        let signing = &stored[signer];
        let private = self.open(signing)?;
        let loaded = Loaded {
            signer: (signing.kid.clone(), Arc::new(private)),
            jwks,
            loaded_at: now,
        };
        if let Some(publisher) = &self.publisher {
            publisher.publish(&loaded.jwks);
        }
        *lock(&self.loaded) = Some(Arc::new(loaded));
        Ok(())
    }

    /// Reloads the keys every [`RELOAD_EVERY`], on the current runtime.
    pub fn start(&self) {
        let keys = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RELOAD_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = keys.reload().await {
                    tracing::error!(error = %e, "cannot reload the access token signing keys");
                }
            }
        });
    }

    async fn current(&self) -> Result<Arc<Loaded>, String> {
        let fresh = |l: &Arc<Loaded>| super::now_ms() - l.loaded_at < ms(RELOAD_EVERY);
        if let Some(loaded) = lock(&self.loaded).as_ref().filter(|l| fresh(l)) {
            return Ok(loaded.clone());
        }
        self.reload().await?;
        lock(&self.loaded)
            .clone()
            .ok_or_else(|| "the signing keys did not load".to_string())
    }

    /// The public keys that verify valid tokens (the JWKS).
    pub async fn jwks(&self) -> Result<Vec<PublicJwk>, String> {
        Ok(self.current().await?.jwks.clone())
    }

    /// Signs `claims` as a JWT with the current key (`typ: at+jwt`, RFC 9068).
    pub async fn sign<T: Serialize>(&self, claims: &T) -> Result<String, String> {
        let loaded = self.current().await?;
        let (kid, key) = &loaded.signer;
        let header = Header {
            typ: Some("at+jwt".into()),
            kid: Some(kid.clone()),
            ..Header::new(Algorithm::ES256)
        };
        jsonwebtoken::encode(&header, claims, key).map_err(|e| format!("cannot sign: {e}"))
    }

    fn context(kid: &str) -> String {
        format!("oauth signing key\0{kid}")
    }

    fn make_key(&self, now: i64) -> Result<SigningKey, String> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| "cannot generate a signing key")?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| "cannot read the generated signing key")?;
        // An uncompressed point: 0x04, then X and Y (32 bytes each).
        let point = pair.public_key().as_ref();
        if point.len() != 65 || point[0] != 4 {
            return Err("unexpected public key form".into());
        }
        let kid = hex::encode(&ring::digest::digest(&ring::digest::SHA256, point).as_ref()[..12]);
        let jwk = PublicJwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: URL_SAFE_NO_PAD.encode(&point[1..33]),
            y: URL_SAFE_NO_PAD.encode(&point[33..]),
            kid: kid.clone(),
            alg: ALG.into(),
            use_: "sig".into(),
        };
        let sealed = self
            .keyring
            .seal(
                &Self::context(&kid),
                &STANDARD_NO_PAD.encode(pkcs8.as_ref()),
            )
            .map_err(|e| e.to_string())?;
        Ok(SigningKey {
            kid,
            alg: ALG.into(),
            private_sealed: sealed,
            public_jwk: serde_json::to_string(&jwk).map_err(|e| e.to_string())?,
            created_at: now,
        })
    }

    fn open(&self, key: &SigningKey) -> Result<EncodingKey, String> {
        let text = self
            .keyring
            .open(&Self::context(&key.kid), &key.private_sealed)
            .map_err(|e| format!("cannot open signing key {}: {e}", key.kid))?;
        let der = STANDARD_NO_PAD
            .decode(text)
            .map_err(|_| format!("signing key {} is damaged", key.kid))?;
        Ok(EncodingKey::from_ec_der(&der))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn the_first_key_signs_at_once_and_later_ones_after_being_published() {
        let now = 1_000_000_000_000;
        assert_eq!(
            plan(&[], now),
            Plan {
                make: true,
                signer: None,
                retire_before: plan(&[], now).retire_before
            }
        );
        // Only a brand-new key: it signs (there is nothing else), nothing is due.
        let p = plan(&[now], now);
        assert_eq!((p.make, p.signer), (false, Some(0)));
        let week = ms(ROTATE_AFTER);
        // Near the end of its week a successor is made; the old one signs until the new one has
        // been published for PUBLISH_AHEAD.
        let old = now - week + ms(PUBLISH_AHEAD) + MIN;
        assert!(!plan(&[old], now).make);
        let old = now - week + ms(PUBLISH_AHEAD);
        assert!(plan(&[old], now).make);
        let p = plan(&[old, now], now);
        assert_eq!((p.make, p.signer), (false, Some(0)));
        let later = now + ms(PUBLISH_AHEAD);
        assert_eq!(plan(&[old, now], later).signer, Some(1));
        // The old key stays until every token it signed has expired, then goes.
        assert!(old >= plan(&[old, now], later).retire_before);
        let much_later =
            old + week + ms(PUBLISH_AHEAD) + ms(super::super::ACCESS_TOKEN_TTL) + 2 * MIN;
        assert!(old < plan(&[old, now], much_later).retire_before);
    }
}
