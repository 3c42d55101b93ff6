//! Berth's OAuth 2.1 authorization server, as MCP's authorization spec asks of one: MCP clients of a
//! private project get a short-lived access token bound to that project, after its user signs in and
//! consents.
//!
//! - Metadata: RFC 8414 at `/.well-known/oauth-authorization-server` and OpenID discovery at
//!   `/.well-known/openid-configuration`, `issuer` exactly Berth's public URL ([`metadata`]).
//! - Clients ([`clients`]): pre-registered by the operator, Client ID Metadata Documents (an https
//!   `client_id`, fetched under the guest egress address policy, [`documents`]), and dynamic client
//!   registration (RFC 7591, `POST /oauth/register`, [`register`]).
//! - `GET|POST /oauth/authorize` ([`authorize`]): authorization code with PKCE S256 only, `resource`
//!   (RFC 8707) one project's canonical MCP URL, exact redirect URIs (loopback on any port), `iss` in
//!   the answer (RFC 9207); the dashboard's sign-in and a consent page, remembered per user, client and
//!   project.
//! - `POST /oauth/token` ([`token`]): code exchange (single use; a replay revokes what it issued),
//!   refresh tokens rotated on every use, access tokens as ES256 JWTs ([`keys`]); `POST /oauth/revoke`
//!   (RFC 7009); the signing keys' public halves at `/oauth/jwks`.
//!
//! Everything it remembers is in the store, so a restart or a second process loses nothing.

pub mod access;
mod authorize;
pub(crate) mod clients;
pub mod documents;
mod grants;
pub mod keys;
mod metadata;
mod register;
mod token;

use axum::Json;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

use crate::api::ApiState;
pub use documents::{ClientDocuments, DocumentFetcher, Fetched, HttpDocuments};
pub use keys::{PublicJwk, SigningKeys, TokenKeyPublisher};

/// The one scope there is: call the project's MCP endpoint.
pub const MCP_SCOPE: &str = "mcp";
/// How long an access token lives. Short, because it cannot be revoked (the edge checks its signature,
/// not the database): revoking a consent stops refreshes at once and its access tokens within this.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a refresh token lives (each use rotates it and starts a new period).
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// How long an authorization code may wait for its exchange: a client exchanges it at once; minutes
/// cover a slow client, a restart of Berth between consent and exchange, and clock skew.
pub const CODE_TTL: Duration = Duration::from_secs(5 * 60);
/// Largest form or JSON body the OAuth endpoints read.
pub const MAX_OAUTH_BODY_BYTES: usize = 16 * 1024;

/// The authorization server's parts that outlive a request. Cheap to clone.
#[derive(Clone)]
pub struct Oauth {
    /// Berth's public URL without a trailing `/`: the `issuer`, and the base of every project's URL.
    pub issuer: Arc<str>,
    pub keys: SigningKeys,
    pub documents: ClientDocuments,
}

impl Oauth {
    pub fn new(issuer: &str, keys: SigningKeys, documents: ClientDocuments) -> Oauth {
        Oauth {
            issuer: issuer.trim_end_matches('/').into(),
            keys,
            documents,
        }
    }

    /// A project's canonical MCP URL: the `resource` its tokens are bound to (`aud`).
    pub fn resource_of(&self, slug: &str) -> String {
        format!("{}/{slug}/mcp", self.issuer)
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

pub(crate) fn routes() -> Router<ApiState> {
    // Browser-based clients read metadata and call the token endpoints from other origins. No cookies
    // are involved there (the client authenticates in the body or with Basic), so any origin may.
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::any())
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            axum::http::HeaderName::from_static("mcp-protocol-version"),
        ])
        .max_age(Duration::from_secs(24 * 60 * 60));
    let public = metadata::routes()
        .merge(register::routes())
        .merge(token::routes())
        .layer(cors);
    public
        .merge(authorize::routes())
        .merge(grants::routes())
        .merge(access::routes())
}

/// An OAuth error answer (RFC 6749 section 5.2): `{"error": ..., "error_description": ...}`, never
/// cached.
#[derive(Debug)]
pub(crate) struct OauthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl OauthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OauthError {
            status,
            error,
            description: description.into(),
        }
    }

    pub fn bad(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    pub fn server(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "OAuth endpoint failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error; see the server log",
        )
    }
}

impl From<berth_store::StoreError> for OauthError {
    fn from(e: berth_store::StoreError) -> Self {
        OauthError::server(format!("{e:?}"))
    }
}

impl IntoResponse for OauthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, Json(body)).into_response();
        no_store(&mut response);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"berth\""),
            );
        }
        response
    }
}

/// Marks an answer that carries tokens or codes as never to be cached.
pub(crate) fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

// Tokens, times and comparisons as the sign-in sessions make them.
pub(crate) use crate::session::{constant_time_eq, now_ms, random_token};
