//! Who may authorize OAuth clients for a project (its access list): always its owner; besides, named
//! GitHub users, or anyone signed in to this Berth, as the owner sets it with
//! `GET|PUT /api/v1/projects/{slug}/oauth-access`. Checked when a user authorizes a client and at every
//! refresh, so someone taken off the list gets no new token.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use berth_store::{Project, Store, StoreError, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ApiError;
use crate::api::{ApiState, Authed, json_body, owned_project};

/// Users one project may name: a team's worth; an organisation is better served by `anyoneSignedIn`
/// on a Berth of its own.
pub const MAX_ACCESS_USERS: usize = 100;

/// A project's access list beyond its owner.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessRule {
    /// Anyone signed in to this Berth.
    #[serde(default)]
    pub anyone_signed_in: bool,
    /// GitHub logins (any case).
    #[serde(default)]
    pub users: Vec<String>,
}

impl AccessRule {
    fn check(&self) -> Result<(), ApiError> {
        if self.users.len() > MAX_ACCESS_USERS {
            return Err(ApiError::BadRequest(format!(
                "an access list names at most {MAX_ACCESS_USERS} users"
            )));
        }
        for login in &self.users {
            let ok = !login.is_empty()
                && login.len() <= 39
                && login
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return Err(ApiError::BadRequest(format!(
                    "`{}` is not a GitHub login (1 to 39 letters, digits or hyphens)",
                    super::clients::shown(login)
                )));
            }
        }
        Ok(())
    }
}

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route("/api/v1/projects/{slug}/oauth-access", get(show).put(set))
}

/// The project's rule (the owner only when none was set, or when the stored one cannot be read).
pub(crate) async fn rule_of(store: &Store, project: &Project) -> Result<AccessRule, StoreError> {
    let Some(json) = store.project_oauth_access(&project.id).await? else {
        return Ok(AccessRule::default());
    };
    Ok(serde_json::from_str(&json).unwrap_or_else(|e| {
        tracing::error!(project = %project.slug, error = %e, "a project's access rule is unreadable; only its owner may use it");
        AccessRule::default()
    }))
}

/// Whether `user` may authorize clients for `project`. Named users count only when they signed in
/// with GitHub (a login is theirs only then).
pub(crate) async fn may_use(
    store: &Store,
    user: &User,
    project: &Project,
) -> Result<bool, StoreError> {
    if project.owner_id == user.id {
        return Ok(true);
    }
    let rule = rule_of(store, project).await?;
    let named = user.github_id.is_some()
        && rule
            .users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(&user.login));
    Ok(rule.anyone_signed_in || named)
}

async fn show(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let project = owned_project(&state, &user, &slug).await?;
    let rule = rule_of(state.queue.store(), &project).await?;
    Ok(Json(serde_json::to_value(rule).unwrap_or_default()))
}

async fn set(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let project = owned_project(&state, &user, &slug).await?;
    let mut rule: AccessRule = json_body(&body)?;
    rule.check()?;
    rule.users.sort_by_key(|u| u.to_ascii_lowercase());
    rule.users.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let json = serde_json::to_string(&rule).map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .queue
        .store()
        .set_project_oauth_access(&project.id, &json)
        .await?;
    tracing::info!(project = %project.slug, anyone = rule.anyone_signed_in, users = rule.users.len(), "OAuth access list changed");
    Ok(Json(serde_json::to_value(rule).unwrap_or_default()))
}
