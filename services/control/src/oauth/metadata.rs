//! What the authorization server says about itself: RFC 8414 metadata at
//! `/.well-known/oauth-authorization-server`, the same as OpenID Connect discovery at
//! `/.well-known/openid-configuration` (some clients ask only there), and the signing keys' public
//! halves at `/oauth/jwks`. Public, and readable from any origin.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{MCP_SCOPE, Oauth, OauthError, keys::ALG};
use crate::api::ApiState;

pub const AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";

pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route(AUTHORIZATION_SERVER, get(oauth_metadata))
        .route(OPENID_CONFIGURATION, get(openid_configuration))
        .route("/oauth/jwks", get(jwks))
}

/// The RFC 8414 document.
pub fn document(oauth: &Oauth) -> Value {
    let auth_methods = ["none", "client_secret_post", "client_secret_basic"];
    json!({
        "issuer": &*oauth.issuer,
        "authorization_endpoint": oauth.endpoint("/oauth/authorize"),
        "token_endpoint": oauth.endpoint("/oauth/token"),
        "registration_endpoint": oauth.endpoint("/oauth/register"),
        "revocation_endpoint": oauth.endpoint("/oauth/revoke"),
        "jwks_uri": oauth.endpoint("/oauth/jwks"),
        "scopes_supported": [MCP_SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": oauth.endpoint("/"),
    })
}

fn public_json(body: &Value, max_age: u32) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

async fn oauth_metadata(State(state): State<ApiState>) -> Response {
    public_json(&document(&state.oauth), 3600)
}

async fn openid_configuration(State(state): State<ApiState>) -> Response {
    let mut doc = document(&state.oauth);
    // OpenID discovery's required fields. No ID tokens are issued; the subject is Berth's user id.
    doc["subject_types_supported"] = json!(["public"]);
    doc["id_token_signing_alg_values_supported"] = json!([ALG]);
    public_json(&doc, 3600)
}

async fn jwks(State(state): State<ApiState>) -> Result<Response, OauthError> {
    let keys = state.oauth.keys.jwks().await.map_err(OauthError::server)?;
    // Short caching: a key is published ten minutes before it signs (see `keys`).
    Ok(public_json(&json!({ "keys": keys }), 300))
}
