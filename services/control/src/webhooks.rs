//! `POST /webhooks/github`: GitHub's deliveries. The signature is checked before anything else is read;
//! each delivery id is acted on once, and counts as handled only once it was (a delivery whose handling
//! failed can be redelivered); a push to a project's production branch deploys that commit, a
//! pull request opened, reopened or synchronized deploys its head as a preview, and closing it takes the
//! preview down. The answer comes at once; builds run in the queue.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use berth_github::webhook::{self, Event, PullRequest, Push};
use berth_store::{DeliveryClaim, NewDeployment, Source, StoreError, Target};
use serde_json::{Value, json};

use crate::{ApiError, ApiState};

/// Largest delivery accepted. GitHub caps payloads at 25 MB, but the events Berth acts on are far
/// smaller: a push of many commits is a few hundred KB.
pub const MAX_WEBHOOK_BYTES: usize = 2 * 1024 * 1024;

pub(crate) fn routes() -> Router<ApiState> {
    Router::new().route(
        "/webhooks/github",
        post(github_webhook).layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES)),
    )
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn github_webhook(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let link = state.git()?;
    let secret = link.github()?.config().webhook_secret.clone();
    webhook::verify(
        secret.as_bytes(),
        &body,
        header(&headers, "x-hub-signature-256"),
    )
    .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    let event = header(&headers, "x-github-event")
        .ok_or_else(|| ApiError::BadRequest("the delivery has no X-GitHub-Event header".into()))?;
    let delivery = header(&headers, "x-github-delivery").ok_or_else(|| {
        ApiError::BadRequest("the delivery has no X-GitHub-Delivery header".into())
    })?;
    let store = state.queue.store();
    match store.claim_delivery(delivery).await? {
        DeliveryClaim::Claimed => {}
        DeliveryClaim::Handled => {
            return Err(ApiError::Conflict(format!(
                "delivery {delivery} was already handled; it is not acted on twice"
            )));
        }
        DeliveryClaim::InProgress => {
            return Err(ApiError::Conflict(format!(
                "delivery {delivery} is being handled right now; redeliver it later if it fails"
            )));
        }
    }
    // The delivery counts as handled only once it was: if handling fails, it is released, and GitHub's
    // "redeliver" acts on it.
    match handle(&state, event, &body).await {
        Ok(answer) => {
            store.finish_delivery(delivery).await?;
            tracing::info!(delivery, event, "webhook handled");
            Ok((StatusCode::ACCEPTED, Json(answer)))
        }
        Err(e) => {
            if let Err(release) = store.release_delivery(delivery).await {
                tracing::error!(delivery, error = %release, "cannot release a failed webhook delivery");
            }
            tracing::warn!(delivery, event, error = %e, "webhook not handled");
            Err(e)
        }
    }
}

async fn handle(state: &ApiState, event: &str, body: &[u8]) -> Result<Value, ApiError> {
    let parsed = Event::parse(event, body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the `{event}` payload is not what GitHub sends: {e}"
        ))
    })?;
    Ok(match parsed {
        Event::Ping(_) => json!({"ok": true, "event": "ping"}),
        Event::Push(push) => on_push(state, push).await?,
        Event::PullRequest(pr) => on_pull_request(state, pr).await?,
        Event::Other(name) => json!({"ignored": format!("Berth does not act on `{name}` events")}),
    })
}

async fn on_push(state: &ApiState, push: Push) -> Result<Value, ApiError> {
    let Some(branch) = push.branch().filter(|_| !push.deleted).map(str::to_string) else {
        return Ok(json!({"ignored": "not a push of a branch's new commit"}));
    };
    let store = state.queue.store();
    let projects = store.project_by_repo(&push.repository.full_name).await?;
    let head = push.head_commit.as_ref();
    let author = head
        .map(|c| {
            c.author
                .username
                .clone()
                .unwrap_or_else(|| c.author.name.clone())
        })
        .or_else(|| push.sender.as_ref().map(|s| s.login.clone()));
    let mut queued = Vec::new();
    for project in projects.into_iter().filter(|p| p.branch == branch) {
        let source = Source {
            kind: "github".into(),
            commit: Some(push.after.clone()),
            branch: Some(branch.clone()),
            author: author.clone(),
            message: head.map(|c| c.message.clone()),
        };
        let d = store
            .create_deployment(NewDeployment::production(&project.id, source))
            .await?;
        state.queue.enqueue(&d.id);
        queued.push(json!({"project": project.slug, "deployment": d.id}));
    }
    Ok(json!({"deployments": queued}))
}

async fn on_pull_request(state: &ApiState, event: PullRequest) -> Result<Value, ApiError> {
    let store = state.queue.store();
    let repo = &event.repository.full_name;
    let projects = store.project_by_repo(repo).await?;
    let pr = event.number;
    match event.action.as_str() {
        "opened" | "reopened" | "synchronize" => {
            let head = &event.pull_request.head;
            if head
                .repo
                .as_ref()
                .is_none_or(|r| !r.full_name.eq_ignore_ascii_case(repo))
            {
                // A fork's code would run with the project's preview environment: not without review.
                return Ok(json!({"ignored": "pull requests from forks get no preview"}));
            }
            let mut queued = Vec::new();
            for project in projects {
                let source = Source {
                    kind: "github".into(),
                    commit: Some(head.sha.clone()),
                    branch: Some(head.git_ref.clone()),
                    author: Some(event.pull_request.user.login.clone()),
                    message: Some(event.pull_request.title.clone()),
                };
                let new = NewDeployment {
                    project_id: project.id.clone(),
                    target: Target::Preview { pr },
                    source,
                };
                // A preview whose URL another project owns is refused; the other projects still build.
                let d = match store.create_deployment(new).await {
                    Err(StoreError::Conflict(why) | StoreError::Invalid(why)) => {
                        tracing::warn!(project = %project.slug, pr, %why, "preview refused");
                        queued.push(json!({"project": project.slug, "refused": why}));
                        continue;
                    }
                    other => other?,
                };
                state.queue.enqueue(&d.id);
                queued.push(json!({"project": project.slug, "deployment": d.id, "preview": project.slug.preview(pr)}));
            }
            Ok(json!({"deployments": queued}))
        }
        "closed" => {
            let mut retired = Vec::new();
            for project in projects {
                store.retire_preview(&project.id, pr).await?;
                let slug = project.slug.preview(pr);
                state.queue.withdraw(slug.as_str()).await;
                retired.push(slug);
            }
            Ok(json!({"retired": retired}))
        }
        other => Ok(json!({"ignored": format!("pull request action `{other}`")})),
    }
}
