//! A user's connected clients: `GET /api/v1/oauth/grants` lists the consents they gave (client,
//! project, scopes, when last used); `DELETE /api/v1/oauth/grants/{id}` revokes one, which ends its
//! refresh tokens and codes at once (its access tokens expire within the hour, see
//! [`super::ACCESS_TOKEN_TTL`]). The operator's pre-registered clients are managed from here too.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::ApiError;
use crate::api::{ApiState, Authed};

pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/oauth/grants", get(list))
        .route("/api/v1/oauth/grants/{id}", delete(revoke))
        .merge(super::register::operator_routes())
}

async fn list(
    State(state): State<ApiState>,
    Authed(user): Authed,
) -> Result<Json<Value>, ApiError> {
    let store = state.queue.store();
    let grants = store.oauth_grants_of_user(&user.id).await?;
    let mut out = Vec::with_capacity(grants.len());
    for g in grants {
        let project = store.project_by_id(&g.project_id).await?;
        out.push(json!({
            "id": g.id, "clientId": g.client_id, "clientName": g.client_name,
            "project": project.map(|p| p.slug.to_string()), "scopes": g.scopes,
            "createdAt": g.created_at, "lastUsedAt": g.last_used_at,
        }));
    }
    Ok(Json(json!({"grants": out})))
}

async fn revoke(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .queue
        .store()
        .revoke_oauth_grant(&user.id, &id)
        .await?;
    tracing::info!(user = %user.id, grant = %id, "OAuth consent revoked");
    Ok(StatusCode::NO_CONTENT)
}
