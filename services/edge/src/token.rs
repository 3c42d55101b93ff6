//! OAuth access tokens from Berth's authorization server: ES256 JWTs, checked here without the
//! database. The binary hands the edge the verification keys ([`TokenKeys`], filled from the
//! authorization server's signing keys as they load and rotate); a token passes when its signature is
//! one of theirs, its `alg` is ES256 (`none` and every other algorithm are refused before any key is
//! looked at), its issuer is this Berth, its audience is exactly this project's canonical MCP URL (a
//! token for one project is refused at every other), and it has not expired. A token that passed is
//! remembered (by the SHA-256 of it, the issuer and the audience) until it expires or the keys change,
//! so a client's later requests cost a hash, not a signature check.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// Leeway for `exp` and `nbf`, for clocks a little apart between the process that signed and this one.
pub const CLOCK_LEEWAY_SECS: u64 = 30;
/// Longest token looked at: a Berth access token is under 1 KiB.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// Tokens remembered as verified, so that a client's every request does not pay an ECDSA verification
/// (tens of microseconds, as much as the rest of the edge's work on a call): one per client is plenty,
/// and past this many the memory is cleared and refilled.
pub const MAX_VERIFIED_TOKENS: usize = 10_000;

/// The keys that verify access tokens, by key id, and the tokens they verified lately. Cheap to clone;
/// every clone sees [`TokenKeys::set_es256`].
#[derive(Clone, Default)]
pub struct TokenKeys {
    keys: Arc<RwLock<Arc<HashMap<String, DecodingKey>>>>,
    /// SHA-256 of (token, issuer, audience) -> its claims, for tokens that passed every check.
    verified: Arc<Mutex<HashMap<[u8; 32], TokenClaims>>>,
    /// The keys last set, as given: setting the same keys again (every reload) changes nothing.
    given: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = self.current();
        let mut kids: Vec<&String> = keys.keys().collect();
        kids.sort();
        f.debug_struct("TokenKeys").field("kids", &kids).finish()
    }
}

impl TokenKeys {
    pub fn new() -> TokenKeys {
        TokenKeys::default()
    }

    /// Replaces the keys with these P-256 public keys: `(kid, x, y)`, the coordinates base64url as in
    /// a JWK. A key that does not decode is skipped and named in the error (the others are kept).
    pub fn set_es256<'a>(
        &self,
        keys: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Result<(), String> {
        let mut given: Vec<(String, String, String)> = keys
            .into_iter()
            .map(|(k, x, y)| (k.to_string(), x.to_string(), y.to_string()))
            .collect();
        given.sort();
        {
            let mut last = self.given.lock().unwrap_or_else(|p| p.into_inner());
            if *last == given && !given.is_empty() {
                return Ok(());
            }
            *last = given.clone();
        }
        let mut map = HashMap::new();
        let mut bad = Vec::new();
        for (kid, x, y) in &given {
            match DecodingKey::from_ec_components(x, y) {
                Ok(key) => {
                    map.insert(kid.clone(), key);
                }
                Err(e) => bad.push(format!("{kid}: {e}")),
            }
        }
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
        // A token verified by a key that is gone must be checked again.
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        match bad.is_empty() {
            true => Ok(()),
            false => Err(format!("verification keys skipped: {}", bad.join(", "))),
        }
    }

    fn current(&self) -> Arc<HashMap<String, DecodingKey>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Who a valid token speaks for.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub sub: String,
    pub client_id: String,
    #[serde(default)]
    pub scope: String,
    pub exp: i64,
}

impl TokenClaims {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split_whitespace().any(|s| s == scope)
    }
}

/// Whether a bearer token has the shape of a JWT (three base64url parts), rather than an API key.
pub(crate) fn looks_like_jwt(token: &[u8]) -> bool {
    token.iter().filter(|b| **b == b'.').count() == 2
}

/// Checks a token for the resource `audience` issued by `issuer`. The error says why, in words that
/// do not help forge one.
pub fn verify(
    keys: &TokenKeys,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<TokenClaims, &'static str> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err("the access token is too long");
    }
    let mut hash = Sha256::new();
    for part in [token, issuer, audience] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let hash: [u8; 32] = hash.finalize().into();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    {
        let mut verified = keys.verified.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(claims) = verified.get(&hash) {
            if claims.exp + CLOCK_LEEWAY_SECS as i64 >= now {
                return Ok(claims.clone());
            }
            verified.remove(&hash);
            return Err("the access token has expired");
        }
    }
    let claims = verify_signed(keys, token, issuer, audience)?;
    let mut verified = keys.verified.lock().unwrap_or_else(|p| p.into_inner());
    if verified.len() >= MAX_VERIFIED_TOKENS {
        verified.clear();
    }
    verified.insert(hash, claims.clone());
    Ok(claims)
}

fn verify_signed(
    keys: &TokenKeys,
    token: &str,
    issuer: &str,
    audience: &str,
) -> Result<TokenClaims, &'static str> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| "the access token is malformed")?;
    if header.alg != Algorithm::ES256 {
        return Err("the access token is not signed with ES256");
    }
    let kid = header.kid.ok_or("the access token names no signing key")?;
    let keys = keys.current();
    let key = keys
        .get(&kid)
        .ok_or("the access token was not signed by this Berth (or its key has expired)")?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.leeway = CLOCK_LEEWAY_SECS;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<TokenClaims>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the access token has expired",
            jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                "the access token is for another resource (another project)"
            }
            jsonwebtoken::errors::ErrorKind::InvalidIssuer => {
                "the access token was issued by another server"
            }
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                "the access token's signature is not valid"
            }
            _ => "the access token is not valid",
        })
}
