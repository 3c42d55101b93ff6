//! A project's API keys, for the headless clients of a private project:
//! `POST|GET /api/v1/projects/{slug}/api-keys`, `DELETE /api/v1/projects/{slug}/api-keys/{id}`.
//!
//! A key is `berth_pk_` and 43 URL-safe Base64 characters (32 random bytes), shown once when it is made;
//! the store keeps only its SHA-256. Only the project's owner manages its keys. Every change is published
//! to the project's live deployments (production and previews) at once, as the project's [`Access`]: a
//! revoked key is refused from the next request on. Uses are noted off the request path ([`KeyUses`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use berth_core::Access;
use berth_store::{ApiKey, NewApiKey, Project, Store};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::ApiError;
use crate::api::{ApiState, Authed, json_body, owned_project};

/// What every key starts with, so a leaked key is recognisable (secret scanners, logs).
pub const API_KEY_PREFIX: &str = "berth_pk_";
/// The scopes a key may have. `mcp`: call the project's MCP endpoint.
pub const SCOPES: &[&str] = &["mcp"];
/// The scope a key gets when none is asked for.
const DEFAULT_SCOPE: &str = "mcp";
/// Keys a project may have: one per client or machine is plenty, and every live key is held by every
/// edge serving the project.
pub const MAX_API_KEYS_PER_PROJECT: usize = 100;
/// Longest key name accepted (as for API tokens).
const MAX_KEY_NAME_BYTES: usize = 100;
/// Key uses waiting to be written. Each key is reported at most once a minute per edge, so this holds
/// a minute's uses of a thousand busy keys; past it a use is dropped (its time is only informative).
const KEY_USES_QUEUED: usize = 1024;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/projects/{slug}/api-keys", post(create).get(list))
        .route("/api/v1/projects/{slug}/api-keys/{id}", delete(revoke))
}

/// A new API key: [`API_KEY_PREFIX`] and 32 random bytes as URL-safe Base64 without padding.
pub fn new_api_key() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Who may call the project: anyone when it is public; when private, holders of its live keys that
/// have the `mcp` scope.
pub async fn access_for(store: &Store, project: &Project) -> Result<Access, ApiError> {
    if !project.private {
        return Ok(Access::public());
    }
    let keys = store.api_key_hashes(&project.id).await?;
    let live = keys.into_iter().filter_map(|(key, hash)| {
        if !key.scopes.iter().any(|s| s == DEFAULT_SCOPE) {
            return None;
        }
        let mut bytes = [0u8; 32];
        match hex::decode_to_slice(&hash, &mut bytes) {
            Ok(()) => Some((key.id, bytes)),
            Err(e) => {
                tracing::error!(key = %key.id, error = %e, "an API key's stored hash is unreadable; the key is refused");
                None
            }
        }
    });
    Ok(Access::new(true, live))
}

/// Writes the times API keys were last used, off the request path: [`KeyUses::note`] never waits, and
/// one task writes the uses one after another. Cheap to clone.
#[derive(Clone)]
pub struct KeyUses {
    tx: mpsc::Sender<KeyUse>,
}

enum KeyUse {
    /// Key id, unix ms.
    Used(String, i64),
    /// Answered once every use queued before it is written.
    Flush(tokio::sync::oneshot::Sender<()>),
}

impl KeyUses {
    /// Starts the writer on the current tokio runtime.
    pub fn start(store: Store) -> KeyUses {
        let (tx, mut rx) = mpsc::channel::<KeyUse>(KEY_USES_QUEUED);
        tokio::spawn(async move {
            while let Some(next) = rx.recv().await {
                match next {
                    KeyUse::Used(key, at) => {
                        if let Err(e) = store.note_api_key_used(&key, at).await {
                            tracing::warn!(key, error = %e, "cannot note an API key's use");
                        }
                    }
                    KeyUse::Flush(done) => {
                        let _ = done.send(());
                    }
                }
            }
        });
        KeyUses { tx }
    }

    /// Notes that key `key_id` was used at `at_ms` (unix ms); dropped when the writer is behind.
    pub fn note(&self, key_id: &str, at_ms: i64) {
        if self
            .tx
            .try_send(KeyUse::Used(key_id.to_string(), at_ms))
            .is_err()
        {
            tracing::debug!(
                key = key_id,
                "an API key's use was not noted: the writer is behind"
            );
        }
    }

    /// Returns once the uses noted before it are written (at shutdown, and for tests).
    pub async fn flush(&self) {
        let (done, written) = tokio::sync::oneshot::channel();
        if self.tx.send(KeyUse::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

fn key_json(k: &ApiKey) -> Value {
    json!({"id": k.id, "name": k.name, "scopes": k.scopes, "createdAt": k.created_at, "lastUsedAt": k.last_used_at})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    scopes: Option<Vec<String>>,
}

/// The scopes asked for, each one known, without repeats; [`DEFAULT_SCOPE`] when none are named.
fn scopes(asked: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let asked = asked.unwrap_or_default();
    if asked.is_empty() {
        return Ok(vec![DEFAULT_SCOPE.to_string()]);
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in asked {
        if !SCOPES.contains(&scope.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "`{}` is not a scope; the scopes are: {}",
                scope.escape_debug(),
                SCOPES.join(", ")
            )));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > MAX_KEY_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "name the key (what uses it, e.g. `ci`) in 1 to {MAX_KEY_NAME_BYTES} bytes, without control characters"
        )));
    }
    Ok(())
}

/// Creates a key and answers it, once, with its token.
async fn create(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let p = owned_project(&state, &user, &slug).await?;
    let req: NewKey = json_body(&body)?;
    let name = req.name.trim();
    check_name(name)?;
    let scopes = scopes(req.scopes)?;
    let store = state.queue.store();
    if store.api_keys(&p.id).await?.len() >= MAX_API_KEYS_PER_PROJECT {
        return Err(ApiError::Conflict(format!(
            "project `{slug}` already has {MAX_API_KEYS_PER_PROJECT} API keys; revoke some first"
        )));
    }
    let token = new_api_key();
    let key = store
        .create_api_key(NewApiKey {
            project_id: p.id.clone(),
            name: name.to_string(),
            scopes,
            key_hash: berth_store::hash_token(&token),
        })
        .await?;
    // A key the edges do not know would be shown but refused: take it back if it cannot be published.
    let applied = match state.queue.republish(&p.id).await {
        Ok(applied) => applied,
        Err(e) => {
            if let Err(undo) = store.revoke_api_key(&p.id, &key.id).await {
                tracing::error!(key = %key.id, error = %undo, "cannot take back an unpublished API key");
            }
            return Err(e);
        }
    };
    tracing::info!(project = %p.slug, key = %key.id, "API key created");
    let mut json = key_json(&key);
    json["token"] = token.into();
    json["liveDeploymentsUpdated"] = applied.into();
    Ok((StatusCode::CREATED, Json(json)))
}

async fn list(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = owned_project(&state, &user, &slug).await?;
    let keys = state.queue.store().api_keys(&p.id).await?;
    Ok(Json(
        json!({"apiKeys": keys.iter().map(key_json).collect::<Vec<_>>()}),
    ))
}

/// Revokes a key: refused by the project's live deployments from the next request on.
async fn revoke(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let p = owned_project(&state, &user, &slug).await?;
    state
        .queue
        .store()
        .revoke_api_key(&p.id, &id)
        .await
        .map_err(|e| match e {
            berth_store::StoreError::NotFound(_) => {
                ApiError::NotFound(format!("project `{slug}` has no API key `{id}`"))
            }
            other => other.into(),
        })?;
    state.queue.republish(&p.id).await?;
    tracing::info!(project = %p.slug, key = %id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_random_url_safe_base64() {
        let (a, b) = (new_api_key(), new_api_key());
        assert_ne!(a, b);
        let body = a.strip_prefix(API_KEY_PREFIX).expect("the prefix");
        assert_eq!(body.len(), 43, "{a}");
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
    }

    #[test]
    fn scopes_default_to_mcp_and_unknown_ones_are_named() {
        assert_eq!(scopes(None).unwrap(), ["mcp"]);
        assert_eq!(scopes(Some(vec![])).unwrap(), ["mcp"]);
        assert_eq!(
            scopes(Some(vec!["mcp".into(), "mcp".into()])).unwrap(),
            ["mcp"]
        );
        let err = scopes(Some(vec!["admin".into()])).unwrap_err().to_string();
        assert_eq!(err, "`admin` is not a scope; the scopes are: mcp");
    }
}
