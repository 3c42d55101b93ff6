//! Projects from repositories: `POST /api/v1/projects` (from a GitHub repository the user can push to,
//! or from a git repository on this machine where the operator allowed it) queues the first deployment
//! of the branch's head; `PATCH /api/v1/projects/{slug}` changes settings; `DELETE` removes the project
//! with its routes, deployments, logs and environment, leaving nothing serving.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use berth_core::{AllowList, LimitPolicy, Limits, ProjectSlug};
use berth_github::RepoName;
use berth_store::{NewDeployment, NewProject, ProjectUpdate, Source, Target};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Authed, deployment_json, json_body, owned_project, project_json};
use crate::github::{LOCAL_PATHS_ARE_THE_OPERATORS, repo_source};
use crate::{ApiError, ApiState};

/// The entry point when a request names none.
const DEFAULT_ENTRY: &str = "server.py:mcp";

pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/projects", post(create))
        .route(
            "/api/v1/projects/{slug}",
            axum::routing::patch(update).delete(delete),
        )
        .route(
            "/api/v1/github/repositories",
            axum::routing::get(repositories),
        )
}

/// The GitHub repositories the signed-in user can deploy from (push or admin access), most recently
/// pushed first: what the dashboard offers when creating a project.
async fn repositories(
    State(state): State<ApiState>,
    Authed(user): Authed,
) -> Result<Json<Value>, ApiError> {
    let link = state.git()?.clone();
    let gh = link.github()?;
    let token = link.token_of(&user).await?.ok_or_else(|| {
        ApiError::Forbidden(
            "sign in with GitHub first (/auth/github/login) to list your repositories".into(),
        )
    })?;
    let repos = gh
        .repositories(&token)
        .await
        .map_err(|e| match e.status() {
            Some(401) => ApiError::Forbidden(
                "GitHub no longer accepts your sign-in; sign in with GitHub again".into(),
            ),
            _ => ApiError::Upstream(e.to_string()),
        })?;
    let list: Vec<Value> = repos
        .iter()
        .filter(|r| r.can_deploy())
        .map(|r| {
            json!({
                "fullName": r.full_name,
                "private": r.private,
                "defaultBranch": r.default_branch,
            })
        })
        .collect();
    Ok(Json(json!({ "repositories": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewRepoProject {
    /// The project's name (`/<slug>/mcp`).
    slug: String,
    /// A GitHub repository, `owner/name`.
    repo: Option<String>,
    /// A git repository on the Berth host (absolute path), where allowed.
    path: Option<String>,
    /// The production branch (default: the repository's default branch, or `main`).
    branch: Option<String>,
    /// Where the server object is (default `server.py:mcp`).
    entry: Option<String>,
}

async fn create(
    State(state): State<ApiState>,
    Authed(user): Authed,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: NewRepoProject = json_body(&body)?;
    let slug =
        ProjectSlug::parse_new(req.slug.trim()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let link = state.git()?.clone();
    let store = state.queue.store();
    if store.project(slug.as_str()).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "the project name `{slug}` is taken; pick another"
        )));
    }
    let (repo, default_branch, kind) = match (req.repo.as_deref(), req.path.as_deref()) {
        (Some(repo), None) => {
            let name = RepoName::parse(repo).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            let gh = link.github()?;
            let token = link.token_of(&user).await?.ok_or_else(|| {
                ApiError::Forbidden("sign in with GitHub first (/auth/github/login): Berth checks your access to the repository with your GitHub account".into())
            })?;
            let found = gh
                .repository(&token, &name)
                .await
                .map_err(|e| match e.status() {
                    Some(404) => ApiError::NotFound(format!(
                        "GitHub has no repository `{name}` that your account can see"
                    )),
                    Some(401) => ApiError::Forbidden(
                        "GitHub no longer accepts your sign-in; sign in with GitHub again".into(),
                    ),
                    _ => ApiError::Upstream(e.to_string()),
                })?;
            if !found.can_deploy() {
                return Err(ApiError::Forbidden(format!(
                    "you cannot push to `{}`; deploying it needs push access",
                    found.full_name
                )));
            }
            (found.full_name, found.default_branch, "github")
        }
        (None, Some(path)) => {
            repo_source(&link, path, &user.id).map_err(|e| {
                if e == LOCAL_PATHS_ARE_THE_OPERATORS {
                    ApiError::Forbidden(e)
                } else {
                    ApiError::BadRequest(e)
                }
            })?;
            (path.to_string(), "main".to_string(), "git")
        }
        _ => {
            return Err(ApiError::BadRequest(
                "name exactly one of `repo` (a GitHub repository, `owner/name`) or `path` (a git repository on the Berth host)".into(),
            ));
        }
    };
    let branch = req
        .branch
        .map(|b| b.trim().to_string())
        .unwrap_or(default_branch);
    check_branch(&branch)?;
    let new = NewProject {
        slug,
        owner_id: user.id.clone(),
        repo: Some(repo),
        branch: branch.clone(),
        entry: req.entry.unwrap_or_else(|| DEFAULT_ENTRY.into()),
        limits: state.limits.defaults().clone(),
    };
    let project = store.create_project(new).await?;
    let source = Source {
        kind: kind.into(),
        commit: None,
        branch: Some(branch),
        author: Some(user.login.clone()),
        message: Some("first deployment".into()),
    };
    let d = store
        .create_deployment(NewDeployment::production(&project.id, source))
        .await?;
    state.queue.enqueue(&d.id);
    let json = json!({"project": project_json(&state, &project), "deployment": deployment_json(&state, &project, &d)});
    Ok((StatusCode::CREATED, Json(json)))
}

/// A branch name git would accept, in the plain form Berth puts into a ref.
fn check_branch(branch: &str) -> Result<(), ApiError> {
    let ok = !branch.is_empty()
        && branch.len() <= 255
        && !branch.starts_with(['-', '/', '.'])
        && !branch.ends_with(['/', '.'])
        && !branch.contains("..")
        && !branch.contains("//")
        && !branch.ends_with(".lock")
        && branch
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "`{branch}` is not a branch name Berth accepts"
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Settings {
    branch: Option<String>,
    entry: Option<String>,
    /// Some of the project's limits; those not named keep their value.
    limits: Option<serde_json::Map<String, Value>>,
    /// Whether only requests with one of the project's API keys are served (checked by [`privacy`]).
    private: Option<Value>,
    /// Hosts its deployments may reach besides their berth.toml's (checked by [`network_allow`]); the
    /// whole list, replacing the one before.
    network_allow: Option<Value>,
}

/// The `networkAllow` setting: a list of allow list entries, each as berth.toml's `[network] allow`
/// takes them, or a 400 naming the first bad one. Returned as written (trimmed), duplicates dropped.
fn network_allow(value: Option<Value>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let bad = |why: String| ApiError::BadRequest(format!("`networkAllow`: {why}"));
    let Value::Array(items) = value else {
        return Err(bad(format!(
            "a list of hosts, e.g. [\"api.example.com\", \"*.example.org\"], not {value}"
        )));
    };
    let mut entries: Vec<&str> = Vec::with_capacity(items.len());
    for item in &items {
        let Value::String(entry) = item else {
            return Err(bad(format!("each host is a string, not {item}")));
        };
        entries.push(entry);
    }
    AllowList::typed_entries(entries).map(Some).map_err(bad)
}

/// The `private` setting: `true` or `false`, nothing else.
fn privacy(value: Option<Value>) -> Result<Option<bool>, ApiError> {
    match value {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(other) => Err(ApiError::BadRequest(format!(
            "`private` is true (only requests with one of the project's API keys are served) or false \
             (anyone may call it), not {other}"
        ))),
    }
}

/// The project's limits with the named ones changed, if every one is a limit and the result is within
/// the operator's policy (a 400 naming the field and its ceiling otherwise).
fn changed_limits(
    policy: &LimitPolicy,
    current: &Limits,
    changes: serde_json::Map<String, Value>,
) -> Result<Limits, ApiError> {
    let mut merged = match serde_json::to_value(current) {
        Ok(Value::Object(map)) => map,
        _ => return Err(ApiError::Internal("limits are not a JSON object".into())),
    };
    for (name, value) in changes {
        if !merged.contains_key(&name) {
            let known: Vec<&str> = merged.keys().map(String::as_str).collect();
            return Err(ApiError::BadRequest(format!(
                "`limits.{name}` is not a limit; the limits are {}",
                known.join(", ")
            )));
        }
        merged.insert(name, value);
    }
    let limits: Limits = serde_json::from_value(Value::Object(merged))
        .map_err(|e| ApiError::BadRequest(format!("the limits are not what is expected: {e}")))?;
    policy.check(&limits).map_err(ApiError::BadRequest)?;
    Ok(limits)
}

async fn update(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let project = owned_project(&state, &user, &slug).await?;
    let s: Settings = json_body(&body)?;
    if let Some(branch) = &s.branch {
        check_branch(branch)?;
    }
    let limits = s
        .limits
        .map(|changes| changed_limits(&state.limits, &project.limits, changes))
        .transpose()?;
    let limits_changed = limits.as_ref().is_some_and(|l| *l != project.limits);
    let private = privacy(s.private)?;
    let access_changed = private.is_some_and(|p| p != project.private);
    let network_allow = network_allow(s.network_allow)?;
    let network_changed = network_allow
        .as_ref()
        .is_some_and(|n| *n != project.network_allow);
    let update = ProjectUpdate {
        branch: s.branch,
        entry: s.entry,
        limits,
        private,
        network_allow,
    };
    let project = state
        .queue
        .store()
        .update_project(&project.id, update)
        .await?;
    // Live deployments serve under the new limits, access rule and allowed hosts from the next call
    // on, without a rebuild.
    let applied = if limits_changed || access_changed || network_changed {
        state.queue.republish(&project.id).await?
    } else {
        0
    };
    let mut json = project_json(&state, &project);
    json["liveDeploymentsUpdated"] = applied.into();
    Ok(Json(json))
}

/// Deletes the project: its routes first (nothing serves it from then on), then, in one transaction,
/// its deployments, build logs and environment.
async fn delete(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    let project = owned_project(&state, &user, &slug).await?;
    let store = state.queue.store();
    for d in store
        .deployments(&project.id, berth_store::MAX_DEPLOYMENTS_PER_PAGE)
        .await?
    {
        if d.live {
            let route = match d.target {
                Target::Production => project.slug.clone(),
                Target::Preview { pr } => project.slug.preview(pr),
            };
            state.queue.withdraw(route.as_str()).await;
        }
    }
    store.delete_project(&project.id).await?;
    tracing::info!(project = %project.slug, "project deleted");
    Ok(StatusCode::NO_CONTENT)
}
