//! `POST /oauth/token` (authorization code with PKCE, refresh tokens rotated on every use) and
//! `POST /oauth/revoke` (RFC 7009).
//!
//! A confidential client authenticates with HTTP Basic or `client_secret` in the form; a public one
//! names itself with `client_id`. Access tokens are ES256 JWTs bound to one project's canonical MCP URL
//! (`aud`); refresh tokens are random, kept by SHA-256, and descend from the code their line began with,
//! so a replayed code or a reused refresh token revokes the whole line.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use berth_store::{CodeRedemption, NewRefreshToken, Rotation, hash_token};
use serde::Serialize;

use super::access::may_use;
use super::authorize::{project_of_resource, s256};
use super::clients::{Client, resolve};
use super::{
    ACCESS_TOKEN_TTL, MAX_OAUTH_BODY_BYTES, OauthError, REFRESH_TOKEN_TTL, constant_time_eq,
};
use crate::api::ApiState;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
}

/// An access token's claims (RFC 9068).
#[derive(Serialize, serde::Deserialize, Debug, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    /// The user, by Berth's user id.
    pub sub: String,
    /// The project's canonical MCP URL.
    pub aud: String,
    pub client_id: String,
    pub scope: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

/// Fields a token or revocation request may have: the grant's half dozen and a few a client adds.
const MAX_FORM_FIELDS: usize = 32;

/// A form body's fields; each may appear once.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Result<Form, OauthError> {
        if body.len() > MAX_OAUTH_BODY_BYTES {
            return Err(OauthError::bad(
                "invalid_request",
                format!("the body is larger than {MAX_OAUTH_BODY_BYTES} bytes"),
            ));
        }
        let mut fields: Vec<(String, String)> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            if fields.len() == MAX_FORM_FIELDS {
                return Err(OauthError::bad(
                    "invalid_request",
                    format!("the body has more than {MAX_FORM_FIELDS} fields"),
                ));
            }
            if fields.iter().any(|(seen, _)| *seen == k) {
                return Err(OauthError::bad(
                    "invalid_request",
                    format!("`{}` appears more than once", super::clients::shown(&k)),
                ));
            }
            fields.push((k.into_owned(), v.into_owned()));
        }
        Ok(Form(fields))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn need(&self, key: &str) -> Result<&str, OauthError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| OauthError::bad("invalid_request", format!("`{key}` is missing")))
    }
}

fn invalid_client(why: &str) -> OauthError {
    OauthError::new(StatusCode::UNAUTHORIZED, "invalid_client", why)
}

/// The client the request comes from, authenticated as it registered.
async fn authenticate(
    state: &ApiState,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Client, OauthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .map(|b64| -> Result<(String, String), OauthError> {
            let bad = || invalid_client("the Basic credentials cannot be read");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| bad())?;
            let text = String::from_utf8(bytes).map_err(|_| bad())?;
            let (id, secret) = text.split_once(':').ok_or_else(bad)?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((decode(id), decode(secret)))
        })
        .transpose()?;
    let (client_id, secret) = match (&basic, form.get("client_id")) {
        (Some((id, _)), Some(form_id)) if id != form_id => {
            return Err(invalid_client(
                "client_id differs from the Basic credentials",
            ));
        }
        (Some((id, secret)), _) => (id.clone(), Some(secret.clone())),
        (None, Some(id)) => (
            id.to_string(),
            form.get("client_secret").map(str::to_string),
        ),
        (None, None) => return Err(invalid_client("name the client: client_id, or HTTP Basic")),
    };
    let client = resolve(&state.oauth, state.queue.store(), &client_id).await?;
    match (&client.secret_hash, secret) {
        (Some(hash), Some(secret))
            if constant_time_eq(hash_token(&secret).as_bytes(), hash.as_bytes()) =>
        {
            Ok(client)
        }
        (Some(_), _) => Err(invalid_client("the client secret is missing or wrong")),
        (None, None) => Ok(client),
        (None, Some(_)) => Err(invalid_client(
            "this client is public: it has no secret to send",
        )),
    }
}

fn invalid_grant(why: &str) -> OauthError {
    OauthError::bad("invalid_grant", why)
}

async fn token(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    match run_token(&state, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run_token(
    state: &ApiState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OauthError> {
    let form = Form::parse(body)?;
    let grant_type = form.need("grant_type")?;
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return Err(OauthError::bad(
            "unsupported_grant_type",
            "the grant types are authorization_code and refresh_token",
        ));
    }
    let client = authenticate(state, headers, &form).await?;
    match grant_type {
        "authorization_code" => exchange_code(state, &client, &form).await,
        _ => refresh(state, &client, &form).await,
    }
}

async fn exchange_code(
    state: &ApiState,
    client: &Client,
    form: &Form,
) -> Result<Response, OauthError> {
    let code = form.need("code")?;
    let verifier = form.need("code_verifier")?;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return Err(OauthError::bad(
            "invalid_request",
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
        ));
    }
    let store = state.queue.store();
    let code_hash = hash_token(code);
    let redeemed = match store.redeem_oauth_code(&code_hash, super::now_ms()).await? {
        CodeRedemption::Redeemed(c) => c,
        CodeRedemption::Replayed(revoked) => {
            tracing::warn!(client = %client.id, revoked, "an authorization code was presented twice; the tokens issued from it are revoked");
            return Err(invalid_grant(
                "this code was used already; the tokens issued from it are revoked",
            ));
        }
        CodeRedemption::Unknown => {
            return Err(invalid_grant("the code is unknown or expired"));
        }
    };
    if redeemed.client_id != client.id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if form.get("redirect_uri") != Some(redeemed.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri must be the one the authorization request used",
        ));
    }
    if !constant_time_eq(
        s256(verifier).as_bytes(),
        redeemed.code_challenge.as_bytes(),
    ) {
        return Err(invalid_grant(
            "the code_verifier does not match the code_challenge (PKCE)",
        ));
    }
    if let Some(resource) = form.get("resource")
        && resource != redeemed.resource
    {
        return Err(OauthError::bad(
            "invalid_target",
            "resource differs from the one the code was issued for",
        ));
    }
    let refresh = NewRefreshToken {
        token_hash: String::new(),
        grant_id: redeemed.grant_id.clone(),
        family: code_hash,
        client_id: client.id.clone(),
        resource: redeemed.resource.clone(),
        scopes: redeemed.scopes.clone(),
        expires_at: 0,
    };
    let (refresh_token, record) = new_refresh(refresh);
    store.create_refresh_token(record).await?;
    let _ = store
        .note_oauth_grant_used(&redeemed.grant_id, super::now_ms())
        .await;
    issue(
        state,
        &redeemed.user_id,
        client,
        &redeemed.resource,
        &redeemed.scopes,
        refresh_token,
    )
    .await
}

/// A fresh refresh token and its record (hash and expiry filled in).
fn new_refresh(mut record: NewRefreshToken) -> (String, NewRefreshToken) {
    let token = format!("berth_rt_{}", super::random_token());
    record.token_hash = hash_token(&token);
    record.expires_at = super::now_ms() + REFRESH_TOKEN_TTL.as_millis() as i64;
    (token, record)
}

async fn refresh(state: &ApiState, client: &Client, form: &Form) -> Result<Response, OauthError> {
    let presented = form.need("refresh_token")?;
    let store = state.queue.store();
    let now = super::now_ms();
    let old_hash = hash_token(presented);
    let Some(old) = store.refresh_token(&old_hash, now).await? else {
        return Err(invalid_grant(
            "the refresh token is unknown, expired or revoked",
        ));
    };
    if old.client_id != client.id {
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if let Some(resource) = form.get("resource")
        && resource != old.resource
    {
        return Err(OauthError::bad(
            "invalid_target",
            "resource differs from the one the refresh token was issued for",
        ));
    }
    if let Some(scope) = form.get("scope")
        && !scope
            .split_whitespace()
            .all(|s| old.scopes.iter().any(|o| o == s))
    {
        return Err(OauthError::bad(
            "invalid_scope",
            "a refresh may ask for the scopes granted, or fewer",
        ));
    }
    // The user may have lost access to the project, or the project gone.
    let project = project_of_resource(&state.oauth, store, &old.resource)
        .await?
        .filter(|p| p.id == old.project_id);
    let user = store.user(&old.user_id).await?;
    let allowed = match (&project, &user) {
        (Some(project), Some(user)) => may_use(store, user, project).await?,
        _ => false,
    };
    if !allowed {
        let _ = store.revoke_refresh_token(&old_hash, &client.id).await;
        return Err(invalid_grant("the user may no longer use this project"));
    }
    let (token, record) = new_refresh(NewRefreshToken {
        token_hash: String::new(),
        grant_id: old.grant_id.clone(),
        family: old.family.clone(),
        client_id: client.id.clone(),
        resource: old.resource.clone(),
        scopes: old.scopes.clone(),
        expires_at: 0,
    });
    match store.rotate_refresh_token(&old_hash, record, now).await? {
        Rotation::Rotated => {}
        Rotation::Reused(revoked) => {
            tracing::warn!(client = %client.id, revoked, "a spent refresh token was presented again; its line is revoked");
            return Err(invalid_grant(
                "this refresh token was used already; every token of its line is revoked",
            ));
        }
        Rotation::Unknown => {
            return Err(invalid_grant(
                "the refresh token is unknown, expired or revoked",
            ));
        }
    }
    let _ = store.note_oauth_grant_used(&old.grant_id, now).await;
    issue(
        state,
        &old.user_id,
        client,
        &old.resource,
        &old.scopes,
        token,
    )
    .await
}

/// Signs an access token and answers it with the refresh token.
async fn issue(
    state: &ApiState,
    user_id: &str,
    client: &Client,
    resource: &str,
    scopes: &[String],
    refresh_token: String,
) -> Result<Response, OauthError> {
    let now = super::now_ms() / 1000;
    let ttl = ACCESS_TOKEN_TTL.as_secs() as i64;
    let claims = AccessClaims {
        iss: state.oauth.issuer.to_string(),
        sub: user_id.to_string(),
        aud: resource.to_string(),
        client_id: client.id.clone(),
        scope: scopes.join(" "),
        exp: now + ttl,
        iat: now,
        jti: hex::encode(rand::random::<[u8; 16]>()),
    };
    let access = state
        .oauth
        .keys
        .sign(&claims)
        .await
        .map_err(OauthError::server)?;
    let body = serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token,
        "scope": claims.scope,
    });
    let mut response = (StatusCode::OK, Json(body)).into_response();
    super::no_store(&mut response);
    Ok(response)
}

async fn revoke(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    let run = async {
        let form = Form::parse(&body)?;
        let token = form.need("token")?;
        let client = authenticate(&state, &headers, &form).await?;
        // A refresh token (and its line) is revoked; an access token cannot be (the edge checks only
        // its signature) and expires within ACCESS_TOKEN_TTL. Unknown tokens are answered 200 too
        // (RFC 7009 section 2.2).
        let revoked = state
            .queue
            .store()
            .revoke_refresh_token(&hash_token(token), &client.id)
            .await?;
        if revoked {
            tracing::info!(client = %client.id, "refresh token revoked");
        }
        let mut response = StatusCode::OK.into_response();
        super::no_store(&mut response);
        Ok::<_, OauthError>(response)
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
