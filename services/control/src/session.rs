//! Browser sessions: signed cookies (HMAC-SHA256), their CSRF tokens, the short-lived cookie that
//! carries an OAuth sign-in's state and PKCE verifier, and one-time local sign-in links.
//!
//! A session cookie holds the user id, an expiry and a random nonce, signed with a key derived from the
//! secret keyring, so any control-plane process with the same key accepts it. Its CSRF token is an HMAC
//! of the nonce: a page that can read the token was served to the session's owner. Signing out revokes
//! the nonce: in this process, and in the store (by the nonce's SHA-256) when the sessions have one, so
//! that it holds across restarts and processes; the cookie is cleared too. Local sign-in links are
//! single use and kept in memory: they exist for the embedded default, which is one process.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "berth_session";
/// The cookie that carries an OAuth sign-in from `/auth/github/login` to its callback.
pub const OAUTH_COOKIE: &str = "berth_oauth";
/// The header a cookie-authenticated state-changing request carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a browser session lasts: a working week, as dashboards of this kind do.
const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a user may take on GitHub's consent page.
const OAUTH_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a one-time local sign-in link stays valid.
pub const LOCAL_LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// Unused local links kept at most (older ones are dropped first), so minting links cannot eat memory.
const MAX_LOCAL_LINKS: usize = 64;

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use berth_core::redact::Redacted;
        f.debug_struct("PendingSignIn")
            .field("state", &Redacted)
            .field("verifier", &Redacted)
            .field("next", &self.next)
            .field("expires", &self.expires)
            .finish()
    }
}

/// A signed-in browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    #[serde(rename = "u")]
    pub user_id: String,
    #[serde(rename = "n")]
    nonce: String,
    /// Unix milliseconds.
    #[serde(rename = "e")]
    pub expires: i64,
}

/// An OAuth sign-in under way: what the callback checks and needs. Its `Debug` hides the state and
/// the PKCE verifier.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    #[serde(rename = "s")]
    pub state: String,
    #[serde(rename = "v")]
    pub verifier: String,
    /// Where to go once signed in (a path on this site).
    #[serde(rename = "n")]
    pub next: String,
    #[serde(rename = "e")]
    expires: i64,
}

struct Inner {
    key: [u8; 32],
    /// Where signing out is recorded so that it outlives this process.
    store: Option<berth_store::Store>,
    secure: bool,
    links: Mutex<HashMap<String, (String, i64)>>,
    revoked: Mutex<HashMap<String, i64>>,
}

/// Issues and checks sessions. Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Inner>,
}

impl Sessions {
    /// `secure` marks cookies `Secure` (when the public URL is https). Signing out is remembered by
    /// this value only; see [`Sessions::with_store`].
    pub fn new(key: [u8; 32], secure: bool) -> Sessions {
        Self::build(key, secure, None)
    }

    /// Like [`Sessions::new`], recording sign-outs in `store`, so that a signed-out session stays
    /// signed out after a restart and in every process that shares the store.
    pub fn with_store(key: [u8; 32], secure: bool, store: berth_store::Store) -> Sessions {
        Self::build(key, secure, Some(store))
    }

    fn build(key: [u8; 32], secure: bool, store: Option<berth_store::Store>) -> Sessions {
        Sessions {
            inner: Arc::new(Inner {
                key,
                store,
                secure,
                links: Mutex::new(HashMap::new()),
                revoked: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn mac(&self, purpose: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.inner.key)
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac
    }

    fn sign<T: Serialize>(&self, purpose: &str, value: &T) -> String {
        let payload = B64.encode(serde_json::to_vec(value).unwrap_or_default());
        let mut mac = self.mac(purpose);
        mac.update(payload.as_bytes());
        format!("{payload}.{}", B64.encode(mac.finalize().into_bytes()))
    }

    fn verify<T: for<'de> Deserialize<'de>>(&self, purpose: &str, signed: &str) -> Option<T> {
        let (payload, tag) = signed.split_once('.')?;
        let mut mac = self.mac(purpose);
        mac.update(payload.as_bytes());
        mac.verify_slice(&B64.decode(tag).ok()?).ok()?;
        serde_json::from_slice(&B64.decode(payload).ok()?).ok()
    }

    fn cookie(&self, name: &str, value: &str, path: &str, max_age: Duration) -> String {
        let secure = if self.inner.secure { "; Secure" } else { "" };
        format!(
            "{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            max_age.as_secs()
        )
    }

    /// Starts a session for a user: the session and its `Set-Cookie` value.
    pub fn start(&self, user_id: &str) -> (Session, String) {
        let session = Session {
            user_id: user_id.to_string(),
            nonce: random_token(),
            expires: now_ms() + ms(SESSION_TTL),
        };
        let cookie = self.cookie(
            SESSION_COOKIE,
            &self.sign("session", &session),
            "/",
            SESSION_TTL,
        );
        (session, cookie)
    }

    /// The request's session, if it carries a valid, unexpired, not signed-out one.
    pub async fn from_headers(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<Session>, berth_store::StoreError> {
        let Some(session) = cookie_value(headers, SESSION_COOKIE)
            .and_then(|c| self.verify::<Session>("session", &c))
        else {
            return Ok(None);
        };
        if session.expires <= now_ms() || lock(&self.inner.revoked).contains_key(&session.nonce) {
            return Ok(None);
        }
        if let Some(store) = &self.inner.store
            && store.session_signed_out(&nonce_hash(&session)).await?
        {
            return Ok(None);
        }
        Ok(Some(session))
    }

    /// The CSRF token of a session: pages send it back in [`CSRF_HEADER`] or a `csrf` form field.
    pub fn csrf_token(&self, session: &Session) -> String {
        let mut mac = self.mac("csrf");
        mac.update(session.nonce.as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }

    /// Whether `token` is the session's CSRF token (compared in constant time).
    pub fn check_csrf(&self, session: &Session, token: &str) -> bool {
        let Ok(given) = B64.decode(token.trim()) else {
            return false;
        };
        let mut mac = self.mac("csrf");
        mac.update(session.nonce.as_bytes());
        mac.verify_slice(&given).is_ok()
    }

    /// Signs a session out; returns the `Set-Cookie` value that clears the cookie. With a store, the
    /// sign-out is recorded there first, and fails if it cannot be.
    pub async fn end(&self, session: &Session) -> Result<String, berth_store::StoreError> {
        if let Some(store) = &self.inner.store {
            store
                .sign_out_session(&nonce_hash(session), session.expires)
                .await?;
        }
        let mut revoked = lock(&self.inner.revoked);
        let now = now_ms();
        revoked.retain(|_, expires| *expires > now);
        revoked.insert(session.nonce.clone(), session.expires);
        Ok(self.clear(SESSION_COOKIE, "/"))
    }

    fn clear(&self, name: &str, path: &str) -> String {
        self.cookie(name, "", path, Duration::ZERO)
    }

    /// Remembers an OAuth sign-in the provider started (its state and PKCE verifier) until the callback:
    /// returns the cookie that carries it.
    pub fn begin_sign_in(&self, state: &str, verifier: &str, next: &str) -> String {
        let pending = PendingSignIn {
            state: state.to_string(),
            verifier: verifier.to_string(),
            next: safe_next(next).to_string(),
            expires: now_ms() + ms(OAUTH_TTL),
        };
        self.cookie(
            OAUTH_COOKIE,
            &self.sign("oauth", &pending),
            "/auth/github",
            OAUTH_TTL,
        )
    }

    /// The sign-in under way if its cookie is valid, unexpired and its state equals `state`.
    pub fn finish_sign_in(&self, headers: &HeaderMap, state: &str) -> Option<PendingSignIn> {
        let pending: PendingSignIn = self.verify("oauth", &cookie_value(headers, OAUTH_COOKIE)?)?;
        let same = constant_time_eq(pending.state.as_bytes(), state.as_bytes());
        (same && pending.expires > now_ms()).then_some(pending)
    }

    /// The `Set-Cookie` value that clears the OAuth cookie.
    pub fn clear_sign_in(&self) -> String {
        self.clear(OAUTH_COOKIE, "/auth/github")
    }

    /// A one-time sign-in token for `user_id`, valid for [`LOCAL_LINK_TTL`].
    pub fn local_link(&self, user_id: &str) -> String {
        let token = random_token();
        let mut links = lock(&self.inner.links);
        let now = now_ms();
        links.retain(|_, (_, expires)| *expires > now);
        while links.len() >= MAX_LOCAL_LINKS {
            let oldest = links
                .iter()
                .min_by_key(|(_, (_, e))| *e)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => links.remove(&k),
                None => break,
            };
        }
        links.insert(
            berth_store::hash_token(&token),
            (user_id.to_string(), now + ms(LOCAL_LINK_TTL)),
        );
        token
    }

    /// Uses up a local sign-in token: the user it signs in, if it is valid and unused.
    pub fn redeem_local_link(&self, token: &str) -> Option<String> {
        let (user, expires) = lock(&self.inner.links).remove(&berth_store::hash_token(token))?;
        (expires > now_ms()).then_some(user)
    }
}

/// Longest `next` kept; a longer one becomes `/`. Paths of Berth's pages are short.
const MAX_NEXT_BYTES: usize = 2048;

/// A path on this site to go to after signing in; anything else becomes `/`. Only printable ASCII
/// without spaces or backslashes passes, starting with one `/` not followed by `/` or `\`: browsers
/// drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or `/\\evil` would
/// lead to another site (`//evil`).
pub fn safe_next(next: &str) -> &str {
    let bytes = next.as_bytes();
    let on_this_site = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes.len() <= MAX_NEXT_BYTES
        && bytes.iter().all(|&b| b.is_ascii_graphic() && b != b'\\');
    if on_this_site { next } else { "/" }
}

/// What the store keeps of a signed-out session: the SHA-256 of its nonce.
fn nonce_hash(session: &Session) -> String {
    berth_store::hash_token(&session.nonce)
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether `a` equals `b`, in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_cookie(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).unwrap(),
        );
        h
    }

    #[tokio::test]
    async fn sessions_round_trip_and_refuse_forgeries() {
        let sessions = Sessions::new([1; 32], true);
        let (session, cookie) = sessions.start("u-1");
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Secure")
        );
        assert_eq!(
            sessions.from_headers(&with_cookie(&cookie)).await.unwrap(),
            Some(session.clone())
        );
        let other = Sessions::new([2; 32], true);
        assert_eq!(
            other.from_headers(&with_cookie(&cookie)).await.unwrap(),
            None,
            "another key's cookie"
        );
        let csrf = sessions.csrf_token(&session);
        assert!(sessions.check_csrf(&session, &csrf));
        assert!(!sessions.check_csrf(&session, "AAAA"));
        sessions.end(&session).await.unwrap();
        assert_eq!(
            sessions.from_headers(&with_cookie(&cookie)).await.unwrap(),
            None,
            "signed out"
        );
    }

    #[test]
    fn local_links_are_single_use() {
        let sessions = Sessions::new([1; 32], false);
        let token = sessions.local_link("u-1");
        assert_eq!(sessions.redeem_local_link(&token).as_deref(), Some("u-1"));
        assert_eq!(sessions.redeem_local_link(&token), None);
        assert_eq!(sessions.redeem_local_link("made-up"), None);
    }

    #[test]
    fn sign_in_state_must_match() {
        let sessions = Sessions::new([1; 32], false);
        let cookie = sessions.begin_sign_in("s1", "v1", "https://evil.example/");
        assert_eq!(
            sessions.finish_sign_in(&with_cookie(&cookie), "wrong"),
            None
        );
        let pending = sessions
            .finish_sign_in(&with_cookie(&cookie), "s1")
            .unwrap();
        assert_eq!(
            (pending.verifier.as_str(), pending.next.as_str()),
            ("v1", "/")
        );
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/projects"), "/projects");
    }

    #[test]
    fn next_is_a_path_on_this_site_or_nothing() {
        let hostile = [
            "",
            "evil.example",
            "https://evil.example/",
            "http://evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "\t//evil.example",
            " /projects",
            "/projects\u{0}",
            "/\u{7f}/evil.example",
            "/\u{3000}/evil.example",
            "/\u{2028}evil.example",
            "/é",
            "javascript:alert(1)",
            "/projects\\..\\..",
        ];
        for next in hostile {
            assert_eq!(safe_next(next), "/", "{next:?} must not be followed");
        }
        let too_long = format!("/{}", "a".repeat(MAX_NEXT_BYTES));
        assert_eq!(safe_next(&too_long), "/");
        for fine in [
            "/",
            "/projects",
            "/projects/hello?tab=logs#top",
            "/a/b/../c",
            "/%2F%2Fx",
        ] {
            assert_eq!(safe_next(fine), fine);
        }
    }
}
