//! `POST /api/v1/projects/{slug}/rollback`: puts the project's production URL back on an earlier
//! deployment, the one before the live one unless `{"to": "<deployment id>"}` names another. The switch
//! is a promotion: atomic in the store, and the old deployment warms before it takes traffic.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use berth_store::{Deployment, DeploymentStatus, MAX_DEPLOYMENTS_PER_PAGE, Project, Store, Target};
use serde::Deserialize;

use crate::ApiError;
use crate::api::{ApiState, Authed, deployment_json, json_body, owned_project};

pub fn routes() -> Router<ApiState> {
    Router::new().route("/api/v1/projects/{slug}/rollback", post(rollback))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RollbackRequest {
    to: Option<String>,
}

/// The production deployment a rollback goes to: `to` if given (it must be this project's, built and
/// for production), else the newest one that was built before the live one.
pub async fn rollback_target(
    store: &Store,
    project: &Project,
    to: Option<&str>,
) -> Result<Deployment, ApiError> {
    let list = store
        .deployments(&project.id, MAX_DEPLOYMENTS_PER_PAGE)
        .await?;
    let usable = |d: &Deployment| {
        d.target == Target::Production
            && matches!(
                d.status,
                DeploymentStatus::Ready | DeploymentStatus::Superseded
            )
    };
    if let Some(id) = to {
        let d = store
            .deployment(id)
            .await?
            .filter(|d| d.project_id == project.id)
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "project `{}` has no deployment `{id}`",
                    project.slug
                ))
            })?;
        if !usable(&d) {
            return Err(ApiError::Conflict(format!(
                "deployment {id} is {} ({}); only a production deployment that built can go live",
                d.status,
                if d.target == Target::Production {
                    "production"
                } else {
                    "a preview"
                }
            )));
        }
        return Ok(d);
    }
    let live = list
        .iter()
        .find(|d| d.live && d.target == Target::Production)
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "project `{}` has nothing live to roll back from; deploy it first",
                project.slug
            ))
        })?;
    list.iter()
        .filter(|d| d.created_at < live.created_at && usable(d))
        .max_by_key(|d| d.created_at)
        .cloned()
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "project `{}` has no earlier deployment that built; nothing to roll back to",
                project.slug
            ))
        })
}

async fn rollback(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let req: RollbackRequest = if body.is_empty() {
        RollbackRequest::default()
    } else {
        json_body(&body)?
    };
    let p = owned_project(&state, &user, &slug).await?;
    let target = rollback_target(state.queue.store(), &p, req.to.as_deref()).await?;
    let d = state.queue.promote(&target.id).await?;
    tracing::info!(project = %p.slug, deployment = %d.id, "rolled back");
    Ok(Json(deployment_json(&state, &p, &d)))
}
