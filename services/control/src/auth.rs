//! Signing in: the OAuth web flow against an [`IdentityProvider`] (GitHub, plugged in by the binary),
//! one-time local sign-in links for the embedded default, browser sessions, signing out, and API tokens.
//!
//! Routes: `GET /auth/github/login`, `GET /auth/github/callback`, `GET /auth/local?token=`,
//! `GET /auth/session`, `POST /auth/logout`, `POST /api/v1/sign-in-links`, and
//! `POST|GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{AUTHORIZATION, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use berth_store::{NewUser, User};
use serde::Deserialize;
use std::sync::Arc;

use crate::api::{ApiState, Authed, json_body};
use crate::session::{CSRF_HEADER, LOCAL_LINK_TTL, Sessions};
use crate::{ApiError, Keyring};

/// Longest API token name accepted.
const MAX_TOKEN_NAME: usize = 100;

/// Where to send the browser to sign in, and what to keep until it comes back. Its `Debug` hides the
/// state and the PKCE verifier.
#[derive(Clone)]
pub struct Authorization {
    /// The provider's authorize page, carrying `state` and the PKCE challenge (S256) of `pkce_verifier`.
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use berth_core::redact::Redacted;
        f.debug_struct("Authorization")
            .field("url", &self.url)
            .field("state", &Redacted)
            .field("pkce_verifier", &Redacted)
            .finish()
    }
}

/// Someone who vouches for who a user is: GitHub's OAuth web flow in production (the binary adapts
/// `berth_github::oauth::SignIn` and `GitHub::user` to it). Its redirect URI is
/// `<public URL>/auth/github/callback`.
#[async_trait::async_trait]
pub trait IdentityProvider: Send + Sync + 'static {
    /// Starts a sign-in: a fresh random state and PKCE verifier, and the authorize page's URL.
    fn authorize(&self) -> Result<Authorization, String>;
    /// Trades the callback's code (with the PKCE verifier) for who the user is. The error says why the
    /// provider refused.
    async fn sign_in(&self, code: &str, pkce_verifier: &str) -> Result<NewUser, String>;
}

/// How requests are authenticated.
#[derive(Clone)]
pub struct Auth {
    pub sessions: Sessions,
    /// `None` when no GitHub app is configured: then only local sign-in links and tokens work.
    pub identity: Option<Arc<dyn IdentityProvider>>,
}

impl Auth {
    /// Sessions signed with a key derived from the keyring (a random one, good until restart, without a
    /// key); cookies are `Secure` when the public URL is https. Sign-outs are recorded in `store`.
    pub fn new(keys: &Keyring, public_url: &str, store: berth_store::Store) -> Auth {
        let key = keys.derive("session cookies").unwrap_or_else(rand::random);
        Auth {
            sessions: Sessions::with_store(key, public_url.starts_with("https://"), store),
            identity: None,
        }
    }
}

pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/auth/github/login", get(github_login))
        .route("/auth/github/callback", get(github_callback))
        .route("/auth/local", get(local_sign_in))
        .route("/auth/session", get(session))
        .route("/auth/logout", post(logout))
        .route("/api/v1/sign-in-links", post(sign_in_link))
        .route("/api/v1/tokens", post(create_token).get(tokens))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
}

/// The user a request comes from: a Bearer token, or a session cookie (with its CSRF token in
/// `X-CSRF-Token` unless the method is safe).
pub(crate) async fn authenticate(parts: &Parts, state: &ApiState) -> Result<User, ApiError> {
    let store = state.queue.store();
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let user = store
            .user_by_token_hash(&berth_store::hash_token(token.trim()))
            .await?;
        return user.ok_or(ApiError::Unauthorized);
    }
    let session = state
        .auth
        .sessions
        .from_headers(&parts.headers)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !state.auth.sessions.check_csrf(&session, token) {
            return Err(csrf_refused());
        }
    }
    store
        .user(&session.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)
}

fn csrf_refused() -> ApiError {
    ApiError::Forbidden(
        "missing or wrong CSRF token: send the `csrfToken` from GET /auth/session in the X-CSRF-Token header \
         (or a `csrf` form field)"
            .into(),
    )
}

fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut headers = HeaderMap::new();
    for c in cookies {
        if let Ok(v) = c.parse() {
            headers.append(SET_COOKIE, v);
        }
    }
    if let Ok(v) = to.parse() {
        headers.insert(LOCATION, v);
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn github_login(
    State(state): State<ApiState>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    let identity = state.auth.identity.as_ref().ok_or_else(|| {
        ApiError::NotFound(
            "GitHub sign-in is not configured on this Berth: set its GitHub client id and secret, or sign in \
             with the one-time link `berth up` prints"
                .into(),
        )
    })?;
    let start = identity
        .authorize()
        .map_err(|e| ApiError::Upstream(format!("cannot start a GitHub sign-in: {e}")))?;
    let next = q.next.as_deref().unwrap_or("/");
    let cookie = state
        .auth
        .sessions
        .begin_sign_in(&start.state, &start.pkce_verifier, next);
    Ok(redirect(&start.url, &[cookie]))
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn github_callback(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let identity = state
        .auth
        .identity
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("GitHub sign-in is not configured".into()))?;
    if let Some(error) = q.error {
        let why = q.error_description.unwrap_or(error);
        return Err(ApiError::BadRequest(format!(
            "GitHub did not sign you in ({why}); try again at /auth/github/login"
        )));
    }
    let restart = || {
        ApiError::BadRequest(
            "this sign-in expired or did not start here; start again at /auth/github/login".into(),
        )
    };
    let pending = state
        .auth
        .sessions
        .finish_sign_in(&headers, q.state.as_deref().unwrap_or(""))
        .ok_or_else(restart)?;
    let code = q.code.ok_or_else(restart)?;
    let who = identity
        .sign_in(&code, &pending.verifier)
        .await
        .map_err(|e| ApiError::Upstream(format!("GitHub refused the sign-in: {e}")))?;
    let user = state.queue.store().upsert_user(who).await?;
    tracing::info!(user = %user.id, login = %user.login, "signed in with GitHub");
    let (_, cookie) = state.auth.sessions.start(&user.id);
    Ok(redirect(
        &pending.next,
        &[cookie, state.auth.sessions.clear_sign_in()],
    ))
}

#[derive(Deserialize)]
struct LocalQuery {
    token: Option<String>,
}

async fn local_sign_in(
    State(state): State<ApiState>,
    Query(q): Query<LocalQuery>,
) -> Result<Response, ApiError> {
    let user_id = q.token.as_deref().and_then(|t| state.auth.sessions.redeem_local_link(t)).ok_or_else(|| {
        ApiError::Forbidden(
            "this sign-in link was already used, has expired, or is wrong: restart `berth up` or ask for a new \
             one with POST /api/v1/sign-in-links"
                .into(),
        )
    })?;
    let (_, cookie) = state.auth.sessions.start(&user_id);
    Ok(redirect("/", &[cookie]))
}

async fn session(
    State(state): State<ApiState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = state
        .auth
        .sessions
        .from_headers(&headers)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let user = state
        .queue
        .store()
        .user(&session.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(serde_json::json!({
        "user": {"id": user.id, "login": user.login, "name": user.name, "avatarUrl": user.avatar_url},
        "csrfToken": state.auth.sessions.csrf_token(&session),
        "expiresAt": session.expires,
    })))
}

/// Signs the browser out. The CSRF token comes in the header or as a `csrf` form field.
async fn logout(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(session) = state.auth.sessions.from_headers(&headers).await? else {
        return Ok(redirect("/", &[]));
    };
    let header = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let field = || {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
    };
    let token = header.or_else(field).unwrap_or_default();
    if !state.auth.sessions.check_csrf(&session, &token) {
        return Err(csrf_refused());
    }
    let cleared = state.auth.sessions.end(&session).await?;
    Ok(redirect("/", &[cleared]))
}

/// A fresh one-time browser sign-in link for the caller (the CLI's way into the dashboard).
async fn sign_in_link(State(state): State<ApiState>, Authed(user): Authed) -> impl IntoResponse {
    let token = state.auth.sessions.local_link(&user.id);
    let url = format!(
        "{}/auth/local?token={token}",
        state.public_url.trim_end_matches('/')
    );
    (
        StatusCode::CREATED,
        Json(serde_json::json!({"url": url, "expiresInSeconds": LOCAL_LINK_TTL.as_secs()})),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
}

/// Makes an API token. Its value is in this answer only; the store keeps its SHA-256.
async fn create_token(
    State(state): State<ApiState>,
    Authed(user): Authed,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: NewToken = json_body(&body)?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > MAX_TOKEN_NAME {
        return Err(ApiError::BadRequest(format!(
            "a token needs a name of 1 to {MAX_TOKEN_NAME} bytes"
        )));
    }
    let token = new_api_token();
    let saved = state
        .queue
        .store()
        .create_token(&user.id, name, &berth_store::hash_token(&token))
        .await?;
    let json = serde_json::json!({"id": saved.id, "name": saved.name, "token": token, "createdAt": saved.created_at});
    Ok((StatusCode::CREATED, Json(json)))
}

/// A new API token: `berth_` and 48 random hex digits.
pub fn new_api_token() -> String {
    format!("berth_{}", hex::encode(rand::random::<[u8; 24]>()))
}

async fn tokens(
    State(state): State<ApiState>,
    Authed(user): Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    let list = state.queue.store().tokens(&user.id).await?;
    let list: Vec<_> = list
        .iter()
        .map(|t| serde_json::json!({"id": t.id, "name": t.name, "createdAt": t.created_at, "lastUsedAt": t.last_used_at}))
        .collect();
    Ok(Json(serde_json::json!({"tokens": list})))
}

async fn revoke_token(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.queue.store().revoke_token(&user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
