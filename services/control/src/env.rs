//! A project's environment variables and secrets: `GET /api/v1/projects/{slug}/env`,
//! `PUT` and `DELETE /api/v1/projects/{slug}/env/{key}`.
//!
//! Secrets are sealed ([`crate::Keyring`]) before they reach the store and opened only by
//! [`environment_for`], to hand them to a deployment; the API never returns a secret's value. Every
//! change is published to the project's live deployments at once, so new requests see it without a
//! rebuild.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use berth_store::{EnvScope, EnvVar, Store};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::api::{ApiState, Authed, json_body, owned_project};
use crate::secrets::context;
use crate::{ApiError, Keyring};

/// Longest variable name accepted.
pub const MAX_ENV_KEY_BYTES: usize = 256;
/// Largest value accepted. Values are handed to every instance of the project, so they stay small
/// (and a sealed 32 KiB value still fits the store's 64 KiB limit).
pub const MAX_ENV_VALUE_BYTES: usize = 32 * 1024;
/// Variables a project may have, so one project cannot make every instance's environment huge.
pub const MAX_ENV_VARS: usize = 200;

pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/projects/{slug}/env", get(list))
        .route("/api/v1/projects/{slug}/env/{key}", put(set).delete(unset))
}

/// The environment a deployment sees: the project's variables for its scope (production or previews)
/// and for both, a scoped value winning over an unscoped one; secrets decrypted.
pub async fn environment_for(
    store: &Store,
    keys: &Keyring,
    project_id: &str,
    preview: bool,
) -> Result<Vec<(String, String)>, ApiError> {
    Ok(environment_and_secrets(store, keys, project_id, preview)
        .await?
        .0)
}

/// [`environment_for`], and the values of the secrets in it, for the runtime log to hide.
pub async fn environment_and_secrets(
    store: &Store,
    keys: &Keyring,
    project_id: &str,
    preview: bool,
) -> Result<(Vec<(String, String)>, berth_core::redact::SecretValues), ApiError> {
    let vars = store.env(project_id).await?;
    let mut secrets: Vec<(String, String)> = Vec::new();
    let mut env = BTreeMap::new();
    let (all, scoped): (Vec<_>, Vec<_>) = vars.into_iter().partition(|v| v.scope == EnvScope::All);
    let wanted = if preview {
        EnvScope::Preview
    } else {
        EnvScope::Production
    };
    for v in all
        .into_iter()
        .chain(scoped.into_iter().filter(|v| v.scope == wanted))
    {
        let value = if v.secret {
            let value = keys
                .open(&context(project_id, &v.key, v.scope), &v.value)
                .map_err(|e| {
                    ApiError::Conflict(format!(
                        "secret {} ({} scope) cannot be used: {e}; set it again",
                        v.key, v.scope
                    ))
                })?;
            secrets.push((v.key.clone(), value.clone()));
            value
        } else {
            v.value
        };
        env.insert(v.key, value);
    }
    let hidden = berth_core::redact::SecretValues::new(
        secrets.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    Ok((env.into_iter().collect(), hidden))
}

/// Checks a variable name: a POSIX environment name (letters, digits, underscores; not starting with
/// a digit).
pub fn check_key(key: &str) -> Result<(), ApiError> {
    let mut bytes = key.bytes();
    let first = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if !first
        || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        || key.len() > MAX_ENV_KEY_BYTES
    {
        return Err(ApiError::BadRequest(format!(
            "`{key}` is not a valid variable name: use letters, digits and underscores, not starting with a \
             digit, at most {MAX_ENV_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}

fn scope(text: Option<&str>) -> Result<Option<EnvScope>, ApiError> {
    text.map(|s| {
        EnvScope::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "scope `{s}` is not one of all, production, preview"
            ))
        })
    })
    .transpose()
}

fn var_json(v: &EnvVar) -> serde_json::Value {
    let mut json = serde_json::json!({"key": v.key, "scope": v.scope, "secret": v.secret, "updatedAt": v.updated_at});
    if !v.secret {
        json["value"] = serde_json::Value::String(v.value.clone());
    }
    json
}

async fn list(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = owned_project(&state, &user, &slug).await?;
    let vars = state.queue.store().env(&p.id).await?;
    Ok(Json(
        serde_json::json!({"env": vars.iter().map(var_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetVar {
    value: String,
    #[serde(default)]
    secret: bool,
    scope: Option<String>,
}

async fn set(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path((slug, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let req: SetVar = json_body(&body)?;
    check_key(&key)?;
    if req.value.len() > MAX_ENV_VALUE_BYTES {
        return Err(ApiError::TooLarge(format!(
            "the value of {key} is larger than {MAX_ENV_VALUE_BYTES} bytes"
        )));
    }
    if req.value.contains('\0') {
        return Err(ApiError::BadRequest(format!(
            "the value of {key} contains a NUL byte, which no environment can hold"
        )));
    }
    let scope = scope(req.scope.as_deref())?.unwrap_or(EnvScope::All);
    let p = owned_project(&state, &user, &slug).await?;
    let store = state.queue.store();
    let existing = store.env(&p.id).await?;
    let replaces = existing.iter().any(|v| v.key == key && v.scope == scope);
    if !replaces && existing.len() >= MAX_ENV_VARS {
        return Err(ApiError::Conflict(format!(
            "project `{slug}` already has {MAX_ENV_VARS} variables; unset some first"
        )));
    }
    let value = if req.secret {
        state
            .queue
            .secrets()
            .seal(&context(&p.id, &key, scope), &req.value)
            .map_err(|e| ApiError::Conflict(e.to_string()))?
    } else {
        req.value
    };
    store
        .set_env(
            &p.id,
            EnvVar {
                key: key.clone(),
                value,
                secret: req.secret,
                scope,
                updated_at: 0,
            },
        )
        .await?;
    let applied = state.queue.republish(&p.id).await?;
    let saved = store
        .env(&p.id)
        .await?
        .into_iter()
        .find(|v| v.key == key && v.scope == scope);
    let mut json = saved.as_ref().map(var_json).unwrap_or_default();
    json["liveDeploymentsUpdated"] = applied.into();
    Ok(Json(json))
}

#[derive(Deserialize)]
struct UnsetQuery {
    scope: Option<String>,
}

/// Removes a variable from one scope (`?scope=`), or from every scope.
async fn unset(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path((slug, key)): Path<(String, String)>,
    Query(q): Query<UnsetQuery>,
) -> Result<StatusCode, ApiError> {
    check_key(&key)?;
    let scopes = match scope(q.scope.as_deref())? {
        Some(s) => vec![s],
        None => EnvScope::ALL.to_vec(),
    };
    let p = owned_project(&state, &user, &slug).await?;
    let mut removed = false;
    for s in scopes {
        removed |= state.queue.store().unset_env(&p.id, &key, s).await?;
    }
    if !removed {
        let which = q
            .scope
            .map(|s| format!(" in scope {s}"))
            .unwrap_or_default();
        return Err(ApiError::NotFound(format!(
            "project `{slug}` has no variable {key}{which}"
        )));
    }
    state.queue.republish(&p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
