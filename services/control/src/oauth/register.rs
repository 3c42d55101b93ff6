//! Registering clients: dynamic client registration (RFC 7591, `POST /oauth/register`, open to anyone,
//! as MCP clients expect), and the operator's pre-registered clients (`POST|GET /api/v1/oauth/clients`,
//! `DELETE /api/v1/oauth/clients/{id}`), for clients that need a fixed id.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use berth_store::{ClientKind, NewOauthClient, OauthClient};
use serde::Deserialize;
use serde_json::{Value, json};

use super::clients::{MAX_REDIRECT_URIS, check_redirect_uri, display_name, shown};
use super::{MAX_OAUTH_BODY_BYTES, OauthError};
use crate::ApiError;
use crate::api::{ApiState, Authed, json_body};

/// Dynamically registered clients kept at most. Registration is open to anyone, so this bounds what
/// strangers can make the database hold; clients nobody consented to go after [`UNUSED_CLIENT_TTL_MS`].
pub const MAX_DYNAMIC_CLIENTS: i64 = 10_000;
/// How long a dynamically registered client that no user consented to is kept: a day covers any
/// sign-in; a client registers again when it needs to.
pub const UNUSED_CLIENT_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// Longest optional URL (client_uri, logo_uri, ...).
const MAX_URL_BYTES: usize = 2000;
/// Longest client id an operator may choose.
const MAX_CHOSEN_ID_BYTES: usize = 200;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/oauth/register", post(register))
}

pub(crate) fn operator_routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/oauth/clients", post(add).get(list))
        .route("/api/v1/oauth/clients/{id}", delete(remove))
}

/// Client metadata (RFC 7591 section 2), as much as Berth uses. Unknown fields are ignored, as the RFC
/// asks.
#[derive(Deserialize, Default)]
struct Metadata {
    redirect_uris: Option<Vec<String>>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    application_type: Option<String>,
    scope: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    tos_uri: Option<String>,
    policy_uri: Option<String>,
    software_id: Option<String>,
    software_version: Option<String>,
}

/// What a registration holds once checked.
#[derive(Debug)]
struct Checked {
    redirect_uris: Vec<String>,
    name: String,
    auth_method: &'static str,
    application_type: &'static str,
    extra: Value,
}

fn invalid(error: &'static str, description: impl Into<String>) -> OauthError {
    OauthError::bad(error, description)
}

fn check(m: Metadata) -> Result<Checked, OauthError> {
    let uris = m.redirect_uris.unwrap_or_default();
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid(
            "invalid_redirect_uri",
            format!("redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"),
        ));
    }
    // Without application_type, a client whose redirects are custom schemes or loopback is a native
    // application (as Claude Code, Cursor and VS Code are); RFC 7591's default, web, would refuse them.
    let application_type = match m.application_type.as_deref() {
        Some("web") => "web",
        Some("native") => "native",
        None if uris.iter().any(|u| !u.starts_with("https://")) => "native",
        None => "web",
        Some(other) => {
            return Err(invalid(
                "invalid_client_metadata",
                format!(
                    "application_type is `web` or `native`, not `{}`",
                    shown(other)
                ),
            ));
        }
    };
    for uri in &uris {
        check_redirect_uri(uri, application_type == "native")
            .map_err(|e| invalid("invalid_redirect_uri", e))?;
    }
    let auth_method = match m.token_endpoint_auth_method.as_deref() {
        None | Some("client_secret_basic") => "client_secret_basic",
        Some("none") => "none",
        Some("client_secret_post") => "client_secret_post",
        Some(other) => {
            return Err(invalid(
                "invalid_client_metadata",
                format!(
                    "token_endpoint_auth_method `{}` is not supported; use none, client_secret_post or client_secret_basic",
                    shown(other)
                ),
            ));
        }
    };
    for grant in m.grant_types.iter().flatten() {
        if !matches!(grant.as_str(), "authorization_code" | "refresh_token") {
            return Err(invalid(
                "invalid_client_metadata",
                format!(
                    "grant type `{}` is not supported; authorization_code and refresh_token are",
                    shown(grant)
                ),
            ));
        }
    }
    for response in m.response_types.iter().flatten() {
        if response != "code" {
            return Err(invalid(
                "invalid_client_metadata",
                format!(
                    "response type `{}` is not supported; only code is",
                    shown(response)
                ),
            ));
        }
    }
    let mut extra = serde_json::Map::new();
    for (field, value) in [
        ("client_uri", &m.client_uri),
        ("logo_uri", &m.logo_uri),
        ("tos_uri", &m.tos_uri),
        ("policy_uri", &m.policy_uri),
    ] {
        if let Some(value) = value {
            let ok = value.len() <= MAX_URL_BYTES
                && url::Url::parse(value).is_ok_and(|u| u.scheme() == "https");
            if !ok {
                return Err(invalid(
                    "invalid_client_metadata",
                    format!("{field} must be an https URL of at most {MAX_URL_BYTES} bytes"),
                ));
            }
            extra.insert(field.into(), value.clone().into());
        }
    }
    for (field, value) in [
        ("software_id", &m.software_id),
        ("software_version", &m.software_version),
        ("scope", &m.scope),
    ] {
        if let Some(value) = value {
            extra.insert(field.into(), display_name(value).into());
        }
    }
    // The consent page names the client; one without a name is named by where it sends the user.
    let name = m
        .client_name
        .as_deref()
        .map(display_name)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            let host = url::Url::parse(&uris[0])
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| uris[0].split(':').next().unwrap_or_default().to_string());
            format!("Unnamed client ({})", display_name(&host))
        });
    Ok(Checked {
        redirect_uris: uris,
        name,
        auth_method,
        application_type,
        extra: Value::Object(extra),
    })
}

/// The registration as answered (RFC 7591 section 3.2.1).
fn registration_json(c: &OauthClient, secret: Option<&str>) -> Value {
    let extra: Value = serde_json::from_str(&c.metadata_json).unwrap_or_else(|_| json!({}));
    let mut out = json!({
        "client_id": c.id,
        "client_id_issued_at": c.created_at / 1000,
        "client_name": c.name,
        "redirect_uris": c.redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": extra["token_endpoint_auth_method"].as_str().unwrap_or("none"),
        "application_type": c.application_type,
    });
    if let (Some(map), Some(extra)) = (out.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if let Some(secret) = secret {
        out["client_secret"] = secret.into();
        out["client_secret_expires_at"] = 0.into();
    }
    out
}

fn new_client(id: String, kind: ClientKind, checked: Checked) -> (NewOauthClient, Option<String>) {
    let secret =
        (checked.auth_method != "none").then(|| format!("berth_cs_{}", super::random_token()));
    let mut extra = checked.extra;
    extra["token_endpoint_auth_method"] = checked.auth_method.into();
    let new = NewOauthClient {
        id,
        kind,
        name: checked.name,
        redirect_uris: checked.redirect_uris,
        application_type: checked.application_type.into(),
        secret_hash: secret.as_deref().map(berth_store::hash_token),
        metadata_json: extra.to_string(),
    };
    (new, secret)
}

async fn register(State(state): State<ApiState>, body: Bytes) -> Result<Response, OauthError> {
    if body.len() > MAX_OAUTH_BODY_BYTES {
        return Err(invalid(
            "invalid_client_metadata",
            format!("a registration is at most {MAX_OAUTH_BODY_BYTES} bytes"),
        ));
    }
    let metadata: Metadata = serde_json::from_slice(&body).map_err(|e| {
        invalid(
            "invalid_client_metadata",
            format!("the body is not the JSON client metadata expected: {e}"),
        )
    })?;
    let checked = check(metadata)?;
    let store = state.queue.store();
    let count = store
        .prune_dynamic_clients(super::now_ms() - UNUSED_CLIENT_TTL_MS)
        .await?;
    if count >= MAX_DYNAMIC_CLIENTS {
        return Err(OauthError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "too many clients are registered here right now; try again later",
        ));
    }
    let id = format!("berth-client-{}", hex::encode(rand::random::<[u8; 16]>()));
    let (new, secret) = new_client(id, ClientKind::Dynamic, checked);
    let client = store.create_oauth_client(new).await?;
    tracing::info!(client = %client.id, name = %client.name, "OAuth client registered itself");
    let mut response = (
        StatusCode::CREATED,
        Json(registration_json(&client, secret.as_deref())),
    )
        .into_response();
    super::no_store(&mut response);
    Ok(response)
}

/// The operator's own account, or 403.
fn operator_only(state: &ApiState, user: &berth_store::User) -> Result<(), ApiError> {
    if state.operator.as_deref() == Some(user.id.as_str()) {
        return Ok(());
    }
    Err(ApiError::Forbidden(
        "only this Berth's operator manages pre-registered OAuth clients".into(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRegistered {
    /// The fixed id the client is configured with; a random one when absent.
    client_id: Option<String>,
    client_name: String,
    redirect_uris: Vec<String>,
    /// Whether it authenticates with a secret (shown once).
    #[serde(default)]
    confidential: bool,
    application_type: Option<String>,
    logo_uri: Option<String>,
    client_uri: Option<String>,
}

async fn add(
    State(state): State<ApiState>,
    Authed(user): Authed,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    operator_only(&state, &user)?;
    let req: NewRegistered = json_body(&body)?;
    let id = match req.client_id {
        Some(id) => {
            let plain = id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~:".contains(&b));
            if id.is_empty() || id.len() > MAX_CHOSEN_ID_BYTES || !plain || id.starts_with("https:")
            {
                return Err(ApiError::BadRequest(format!(
                    "a client id is 1 to {MAX_CHOSEN_ID_BYTES} letters, digits or `-._~:`, and not a URL"
                )));
            }
            id
        }
        None => format!("berth-client-{}", hex::encode(rand::random::<[u8; 16]>())),
    };
    let metadata = Metadata {
        redirect_uris: Some(req.redirect_uris),
        client_name: Some(req.client_name),
        token_endpoint_auth_method: Some(
            if req.confidential {
                "client_secret_basic"
            } else {
                "none"
            }
            .into(),
        ),
        application_type: req.application_type,
        logo_uri: req.logo_uri,
        client_uri: req.client_uri,
        ..Metadata::default()
    };
    let checked = check(metadata).map_err(|e| ApiError::BadRequest(e.description))?;
    let (new, secret) = new_client(id, ClientKind::Registered, checked);
    let client = state.queue.store().create_oauth_client(new).await?;
    tracing::info!(client = %client.id, "pre-registered OAuth client added");
    Ok((
        StatusCode::CREATED,
        Json(registration_json(&client, secret.as_deref())),
    ))
}

async fn list(
    State(state): State<ApiState>,
    Authed(user): Authed,
) -> Result<Json<Value>, ApiError> {
    operator_only(&state, &user)?;
    let clients = state
        .queue
        .store()
        .oauth_clients(ClientKind::Registered)
        .await?;
    let list: Vec<Value> = clients.iter().map(|c| registration_json(c, None)).collect();
    Ok(Json(json!({"clients": list})))
}

async fn remove(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    operator_only(&state, &user)?;
    let store = state.queue.store();
    match store.oauth_client(&id).await? {
        Some(c) if c.kind == ClientKind::Registered => {}
        _ => {
            return Err(ApiError::NotFound(format!(
                "no pre-registered client `{id}`"
            )));
        }
    }
    store.delete_oauth_client(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(v: Value) -> Metadata {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn native_clients_are_recognised_and_web_ones_held_to_https() {
        let cursor = check(metadata(json!({
            "client_name": "Cursor",
            "redirect_uris": ["cursor://anysphere.cursor-retrieval/oauth/user-x/callback"],
            "token_endpoint_auth_method": "none",
        })))
        .unwrap();
        assert_eq!(
            (cursor.application_type, cursor.auth_method),
            ("native", "none")
        );
        let claude = check(metadata(json!({
            "client_name": "Claude",
            "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
        })))
        .unwrap();
        assert_eq!(
            (claude.application_type, claude.auth_method),
            ("web", "client_secret_basic")
        );
        let err = check(metadata(json!({
            "client_name": "x", "application_type": "web",
            "redirect_uris": ["cursor://cb"],
        })))
        .unwrap_err();
        assert_eq!(err.error, "invalid_redirect_uri");
        let unnamed = check(metadata(
            json!({"redirect_uris": ["http://127.0.0.1:9/cb"]}),
        ))
        .unwrap();
        assert_eq!(unnamed.name, "Unnamed client (127.0.0.1)");
        for bad in [
            json!({"client_name": "x", "redirect_uris": []}),
            json!({"client_name": "x", "redirect_uris": ["http://evil.example/cb"]}),
            json!({"client_name": "x", "redirect_uris": ["javascript:alert(1)"]}),
            json!({"client_name": "x", "redirect_uris": ["https://a.example/cb"], "grant_types": ["client_credentials"]}),
            json!({"client_name": "x", "redirect_uris": ["https://a.example/cb"], "logo_uri": "http://a.example/logo.png"}),
        ] {
            assert!(check(metadata(bad.clone())).is_err(), "{bad}");
        }
    }
}
