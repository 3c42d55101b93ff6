//! Berth's web dashboard: server-rendered pages (askama templates from `web/templates`, CSS and a
//! little script from `web/static`, all compiled into the binary) for everything a user does — sign in,
//! projects, deployments and their live build logs, environment and secrets, metrics, a tool inspector
//! and settings.
//!
//! It owns no accounts and no rules: every page asks the control plane's own HTTP API, in process, as
//! the signed-in browser (its session cookie and CSRF token go along), so the dashboard sees and changes
//! exactly what the API allows that user. Reads that need more than the API returns (a deployment's
//! stored description) come from the store after the same ownership check. Metrics come from a
//! [`Recorder`] the binary feeds from the edge's upstream; the inspector calls the project's own MCP URL
//! over loopback, as any client would.

mod api;
pub mod charts;
mod deploys;
mod error;
mod inspect;
mod limit_form;
mod logs;
mod mcp;
mod pages;
pub mod recorder;
mod settings;
mod views;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use berth_control::BuildQueue;
use berth_core::LimitPolicy;
use berth_store::{Project, Store, User};
use std::sync::Arc;

pub use api::{Api, Refusal};
pub use error::PageError;
pub use recorder::{CallRecorder, EgressCounts, Recorder};

/// Everything the pages need. Cheap to clone.
#[derive(Clone)]
pub struct Dashboard {
    queue: BuildQueue,
    api: Api,
    recorder: Recorder,
    /// The public base URL (`https://mcp.example.com`), for the URLs users copy.
    public_url: String,
    /// Where this process serves MCP on loopback, for the inspector's calls.
    loopback_url: String,
    /// The operator's bounds on project limits, shown in the settings form.
    limits: Arc<LimitPolicy>,
}

impl Dashboard {
    /// `api` is the control plane's router (the same one the process serves).
    pub fn new(queue: BuildQueue, api: Router, public_url: &str) -> Self {
        let public_url = public_url.trim_end_matches('/').to_string();
        Self {
            queue,
            api: Api::new(api),
            recorder: Recorder::new(),
            loopback_url: public_url.clone(),
            public_url,
            limits: Arc::new(LimitPolicy::default()),
        }
    }

    /// The operator's limit policy (the same the API enforces), for the settings form's bounds.
    pub fn limit_policy(mut self, policy: LimitPolicy) -> Self {
        self.limits = Arc::new(policy);
        self
    }

    /// The recorder the metrics pages read (share it with whatever feeds it).
    pub fn recorder(mut self, recorder: Recorder) -> Self {
        self.recorder = recorder;
        self
    }

    /// The loopback base URL the inspector calls MCP servers at, e.g. `http://127.0.0.1:8080`.
    pub fn loopback_url(mut self, url: &str) -> Self {
        self.loopback_url = url.trim_end_matches('/').to_string();
        self
    }

    pub fn into_router(self) -> Router {
        Router::new()
            .route("/", get(pages::home))
            .route("/login", get(pages::login))
            .route("/static/{file}", get(views::asset))
            .route("/projects", get(pages::projects).post(pages::create))
            .route("/projects/new", get(pages::new_project))
            .route("/projects/{slug}", get(pages::overview))
            .route("/projects/{slug}/deployments", get(deploys::list))
            .route("/projects/{slug}/deployments/{id}", get(deploys::detail))
            .route(
                "/projects/{slug}/deployments/{id}/promote",
                post(deploys::promote),
            )
            .route(
                "/projects/{slug}/env",
                get(settings::env).post(settings::set_env),
            )
            .route("/projects/{slug}/env/remove", post(settings::unset_env))
            .route("/projects/{slug}/metrics", get(pages::metrics))
            .route("/projects/{slug}/logs", get(logs::show))
            .route(
                "/projects/{slug}/inspector",
                get(inspect::page_handler).post(inspect::call),
            )
            .route(
                "/projects/{slug}/settings",
                get(settings::show).post(settings::save),
            )
            .route("/projects/{slug}/delete", post(settings::delete))
            .fallback(pages::not_found)
            .with_state(self)
    }

    fn limits(&self) -> &LimitPolicy {
        &self.limits
    }

    fn store(&self) -> &Store {
        self.queue.store()
    }

    /// A project the viewer owns; anyone else's is "not found", as if it did not exist.
    async fn project(&self, viewer: &Viewer, slug: &str) -> Result<Project, PageError> {
        match self.store().project(slug).await? {
            Some(p) if p.owner_id == viewer.user.id => Ok(p),
            _ => Err(PageError::NotFound(format!(
                "There is no project named “{slug}” among yours."
            ))),
        }
    }

    /// `https://host/<slug>/mcp`.
    fn mcp_url(&self, slug: &str) -> String {
        format!("{}/{slug}/mcp", self.public_url)
    }
}

/// The signed-in browser: its user, the CSRF token its forms carry, and its request headers (whose
/// cookies go along to the API).
pub struct Viewer {
    pub user: User,
    pub csrf: String,
    headers: HeaderMap,
}

impl Viewer {
    /// Calls the API as this browser; changes carry the CSRF token.
    async fn api(
        &self,
        d: &Dashboard,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, Refusal> {
        let csrf = (method != Method::GET).then_some(self.csrf.as_str());
        d.api.call(&self.headers, method, path, csrf, body).await
    }

    /// Checks a submitted form's CSRF token.
    fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        let (a, b) = (self.csrf.as_bytes(), token.trim().as_bytes());
        let same =
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
        if same {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }
}

impl FromRequestParts<Dashboard> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, d: &Dashboard) -> Result<Self, PageError> {
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let signed_out = || PageError::SignIn(next.clone());
        if parts.headers.get(header::COOKIE).is_none() {
            return Err(signed_out());
        }
        let session = d
            .api
            .call(&parts.headers, Method::GET, "/auth/session", None, None)
            .await
            .map_err(|_| signed_out())?;
        let user_id = session["user"]["id"].as_str().ok_or_else(signed_out)?;
        let user = d.store().user(user_id).await?.ok_or_else(signed_out)?;
        let csrf = session["csrfToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok(Viewer {
            user,
            csrf,
            headers: parts.headers.clone(),
        })
    }
}

/// Answers a refused API call as a page.
impl From<Refusal> for PageError {
    fn from(r: Refusal) -> Self {
        match r.status.as_u16() {
            401 => PageError::SignIn("/".into()),
            403 => PageError::Forbidden,
            404 => PageError::NotFound(r.message),
            409 => PageError::Conflict(r.message),
            400..=499 => PageError::BadRequest(r.message),
            _ => PageError::Internal(r.message),
        }
    }
}

/// A response that sends the browser on with `303 See Other`, after a form was handled.
fn see_other(to: &str) -> axum::response::Response {
    axum::response::Redirect::to(to).into_response()
}

#[cfg(test)]
mod tests;
