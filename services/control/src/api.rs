//! The REST API (`/api/v1`): token or cookie-session auth, projects, deployments, build logs (SSE),
//! promote; sign-in, tokens, API keys, env and rollback routes come from their own modules. Handlers are thin:
//! extract, one call, convert. `API.md` documents every endpoint.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use berth_core::{LimitPolicy, ProjectSlug};
use berth_store::{
    Deployment, DeploymentStatus, NewDeployment, NewProject, Project, Source, Target, User,
};
use futures::Stream;
use futures::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::sync::Arc;

use crate::ApiError;
use crate::auth::{Auth, IdentityProvider};
use crate::queue::{BuildQueue, LogEvent};
use crate::upload::{MAX_UPLOAD_BYTES, unpack};

#[derive(Clone)]
pub struct ApiState {
    pub queue: BuildQueue,
    /// The public base URL, e.g. `http://127.0.0.1:8080`, for the URLs the API hands out.
    pub public_url: String,
    /// Sessions and sign-in.
    pub auth: Auth,
    /// Git deployments and GitHub (see `ApiState::with_git`); `None` turns them off.
    pub git: Option<Arc<crate::GitLink>>,
    /// The limits new projects start with and the most a project may set (see `ApiState::with_limits`).
    pub limits: Arc<LimitPolicy>,
    /// What deployments did (see `ApiState::with_runtime_logs`); `None` answers that there is none.
    pub runtime_logs: Option<berth_runlog::RuntimeLogs>,
    /// The OAuth authorization server for private projects' MCP clients.
    pub oauth: crate::oauth::Oauth,
    /// The operator's user id (`berth up`'s local operator): who manages pre-registered OAuth clients.
    pub operator: Option<String>,
}

impl ApiState {
    /// The API over a queue, with browser sessions keyed from the queue's keyring and no GitHub sign-in.
    pub fn new(queue: BuildQueue, public_url: impl Into<String>) -> ApiState {
        let public_url = public_url.into();
        let auth = Auth::new(queue.secrets(), &public_url, queue.store().clone());
        let keys = crate::oauth::SigningKeys::new(queue.store().clone(), queue.secrets().clone());
        let fetcher = crate::oauth::HttpDocuments::new(false)
            .expect("an HTTP client for client metadata documents");
        let documents = crate::oauth::ClientDocuments::new(Arc::new(fetcher));
        let oauth = crate::oauth::Oauth::new(&public_url, keys, documents);
        ApiState {
            queue,
            public_url,
            auth,
            git: None,
            limits: Arc::new(LimitPolicy::default()),
            runtime_logs: None,
            oauth,
            operator: None,
        }
    }

    /// The operator's account (the local operator of `berth up`).
    pub fn with_operator(mut self, user_id: impl Into<String>) -> ApiState {
        self.operator = Some(user_id.into());
        self
    }

    /// Where client ID metadata documents come from (default: fetched over HTTPS under the address
    /// policy, private addresses refused).
    pub fn with_client_documents(
        mut self,
        fetcher: Arc<dyn crate::oauth::DocumentFetcher>,
    ) -> ApiState {
        self.oauth.documents = crate::oauth::ClientDocuments::new(fetcher);
        self
    }

    /// Tells `publisher` (the edge) the access token verification keys whenever they load.
    pub fn with_token_keys(
        mut self,
        publisher: Arc<dyn crate::oauth::TokenKeyPublisher>,
    ) -> ApiState {
        self.oauth.keys = self.oauth.keys.clone().with_publisher(publisher);
        self
    }

    /// Serves the deployments' runtime logs (`/api/v1/projects/{slug}/logs`).
    pub fn with_runtime_logs(mut self, logs: berth_runlog::RuntimeLogs) -> ApiState {
        self.runtime_logs = Some(logs);
        self
    }

    /// The operator's limit policy: what new projects start with, and the ceilings the API enforces.
    pub fn with_limits(mut self, policy: LimitPolicy) -> ApiState {
        self.limits = Arc::new(policy);
        self
    }

    /// Turns on sign-in through an identity provider (GitHub).
    pub fn with_identity(mut self, provider: Arc<dyn IdentityProvider>) -> ApiState {
        self.auth.identity = Some(provider);
        self
    }
}

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/projects", get(projects))
        .route("/api/v1/projects/{slug}", get(project))
        .route(
            "/api/v1/projects/{slug}/deployments",
            post(deploy_upload)
                .get(deployments)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/api/v1/deployments/{id}", get(deployment))
        .route("/api/v1/deployments/{id}/logs", get(logs))
        .route("/api/v1/deployments/{id}/promote", post(promote))
        .merge(crate::api_keys::routes())
        .merge(crate::auth::routes())
        .merge(crate::env::routes())
        .merge(crate::rollback::routes())
        .merge(crate::runtime_logs::routes())
        .merge(crate::projects::routes())
        .merge(crate::webhooks::routes())
        .merge(crate::oauth::routes())
        .with_state(state)
}

/// Hash under which API tokens are stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user, from `Authorization: Bearer <token>` or a session cookie (plus the
/// `X-CSRF-Token` header on state-changing requests).
pub struct Authed(pub User);

impl FromRequestParts<ApiState> for Authed {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        crate::auth::authenticate(parts, state).await.map(Authed)
    }
}

/// Parses a JSON request body, with an error that says what is wrong with it.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("the request body is not the JSON expected: {e}"))
    })
}

fn slug(s: &str) -> Result<ProjectSlug, ApiError> {
    ProjectSlug::parse(s).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The project, if the user may see it; someone else's project is "not found", as if it did not exist.
pub(crate) async fn owned_project(
    state: &ApiState,
    user: &User,
    slug: &str,
) -> Result<Project, ApiError> {
    match state.queue.store().project(slug).await? {
        Some(p) if p.owner_id == user.id => Ok(p),
        _ => Err(ApiError::NotFound(format!("no project named `{slug}`"))),
    }
}

async fn owned_deployment(
    state: &ApiState,
    user: &User,
    id: &str,
) -> Result<(Project, Deployment), ApiError> {
    let missing = || ApiError::NotFound(format!("no deployment `{id}`"));
    let d = state
        .queue
        .store()
        .deployment(id)
        .await?
        .ok_or_else(missing)?;
    let p = state
        .queue
        .store()
        .project_by_id(&d.project_id)
        .await?
        .ok_or_else(missing)?;
    if p.owner_id != user.id {
        return Err(missing());
    }
    Ok((p, d))
}

pub(crate) fn project_json(state: &ApiState, p: &Project) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "slug": p.slug, "repo": p.repo, "branch": p.branch, "entry": p.entry, "limits": p.limits,
        "private": p.private, "networkAllow": p.network_allow, "url": format!("{}/{}/mcp", state.public_url, p.slug), "createdAt": p.created_at,
    })
}

pub(crate) fn deployment_json(state: &ApiState, p: &Project, d: &Deployment) -> serde_json::Value {
    let slug = match d.target {
        Target::Production => p.slug.to_string(),
        Target::Preview { pr } => p.slug.preview(pr).to_string(),
    };
    // Between the store's update and the route's switch (the new deployment warming), a build still
    // counts as building: "ready" and "live" mean it answers at its URL.
    let switching = d.status == DeploymentStatus::Ready && state.queue.is_running(&d.id);
    let status = if switching {
        DeploymentStatus::Building.as_str()
    } else {
        d.status.as_str()
    };
    serde_json::json!({
        "id": d.id, "project": p.slug, "status": status, "live": d.live && !switching,
        "target": match d.target { Target::Production => serde_json::json!("production"), Target::Preview { pr } => serde_json::json!({"pullRequest": pr}) },
        "source": { "kind": d.source.kind, "commit": d.source.commit, "branch": d.source.branch, "author": d.source.author, "message": d.source.message },
        "error": d.error, "artifact": d.artifact,
        "createdAt": d.created_at, "startedAt": d.started_at, "finishedAt": d.finished_at,
        "url": format!("{}/{slug}/mcp", state.public_url),
        "logsUrl": format!("{}/api/v1/deployments/{}/logs", state.public_url, d.id),
    })
}

async fn me(Authed(user): Authed) -> Json<serde_json::Value> {
    Json(serde_json::json!({"id": user.id, "login": user.login, "name": user.name}))
}

async fn projects(
    State(state): State<ApiState>,
    Authed(user): Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    let list = state.queue.store().projects_of(&user.id).await?;
    Ok(Json(
        serde_json::json!({"projects": list.iter().map(|p| project_json(&state, p)).collect::<Vec<_>>()}),
    ))
}

async fn project(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = owned_project(&state, &user, &slug).await?;
    Ok(Json(project_json(&state, &p)))
}

async fn deployments(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = owned_project(&state, &user, &slug).await?;
    let list = state.queue.store().deployments(&p.id, 100).await?;
    Ok(Json(
        serde_json::json!({"deployments": list.iter().map(|d| deployment_json(&state, &p, d)).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
struct UploadQuery {
    entry: Option<String>,
    message: Option<String>,
}

/// Deploys an uploaded source tree (`tar.gz`), creating the project on first deploy.
async fn deploy_upload(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(slug_text): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let slug = slug(&slug_text)?;
    let store = state.queue.store();
    let project = match store.project(slug.as_str()).await? {
        Some(p) if p.owner_id != user.id => {
            return Err(ApiError::Conflict(format!(
                "the name `{slug}` is taken by another user's project; pick another"
            )));
        }
        Some(p) => match q.entry.filter(|e| *e != p.entry) {
            Some(entry) => {
                let update = berth_store::ProjectUpdate {
                    entry: Some(entry),
                    ..Default::default()
                };
                store.update_project(&p.id, update).await?
            }
            None => p,
        },
        None => {
            let new = NewProject {
                slug: slug.clone(),
                owner_id: user.id.clone(),
                repo: None,
                branch: "main".into(),
                entry: q.entry.unwrap_or_else(|| "server.py:mcp".into()),
                limits: state.limits.defaults().clone(),
            };
            store.create_project(new).await?
        }
    };
    let source = Source {
        kind: "upload".into(),
        commit: None,
        branch: None,
        author: Some(user.login.clone()),
        message: q.message,
    };
    let d = store
        .create_deployment(NewDeployment::production(&project.id, source))
        .await?;
    let dir = state.queue.source_dir(&d.id);
    let unpacked = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).map_err(|e| crate::UploadError::Io(e.to_string()))?;
            unpack(&body, &dir)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
    };
    if let Err(e) = unpacked {
        let _ = std::fs::remove_dir_all(&dir);
        store.mark_failed(&d.id, &e.to_string()).await?;
        return Err(ApiError::BadRequest(e.to_string()));
    }
    state.queue.enqueue(&d.id);
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(deployment_json(&state, &project, &d)),
    ))
}

async fn deployment(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (p, d) = owned_deployment(&state, &user, &id).await?;
    Ok(Json(deployment_json(&state, &p, &d)))
}

async fn promote(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (p, _) = owned_deployment(&state, &user, &id).await?;
    let d = state.queue.promote(&id).await?;
    Ok(Json(deployment_json(&state, &p, &d)))
}

/// The build log: stored lines first, then (while the build runs) new lines as they come, as SSE
/// events `line`, and a final `done` event with the deployment's status.
#[derive(Deserialize)]
struct LogsQuery {
    /// `false`: only the lines stored so far, then `done` with the current status.
    follow: Option<bool>,
}

async fn logs(
    State(state): State<ApiState>,
    Authed(user): Authed,
    Path(id): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    owned_deployment(&state, &user, &id).await?;
    let live = state.queue.follow(&id).filter(|_| q.follow != Some(false));
    // A running build's lines come from the queue (the store lags behind it); a finished one's from
    // the store.
    let (lines, live) = match live {
        Some((lines, rx)) => (lines, Some(rx)),
        None => {
            let stored = state.queue.store().logs(&id, 0).await?;
            (stored.into_iter().map(|(_, line)| line).collect(), None)
        }
    };
    let seen = lines.len();
    let mut events: Vec<Event> = lines
        .into_iter()
        .map(|line| Event::default().event("line").data(line))
        .collect();
    let tail: futures::stream::BoxStream<'static, Event> = match live {
        Some(rx) => tokio_stream::wrappers::BroadcastStream::new(rx)
            .filter_map(move |e| async move {
                match e {
                    Ok(LogEvent::Line(n, line)) if n > seen => {
                        Some(Event::default().event("line").data(line))
                    }
                    Ok(LogEvent::Done { status, error }) => Some(
                        Event::default()
                            .event("done")
                            .data(done_json(status, error.as_deref())),
                    ),
                    _ => None,
                }
            })
            .boxed(),
        None => {
            let d = state
                .queue
                .store()
                .deployment(&id)
                .await?
                .ok_or_else(|| ApiError::NotFound(id.clone()))?;
            events.push(
                Event::default()
                    .event("done")
                    .data(done_json(d.status, d.error.as_deref())),
            );
            futures::stream::empty().boxed()
        }
    };
    let stream = futures::stream::iter(events).chain(tail).map(Ok);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn done_json(status: DeploymentStatus, error: Option<&str>) -> String {
    serde_json::json!({"status": status.as_str(), "error": error}).to_string()
}
