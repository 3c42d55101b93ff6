//! Berth's control plane: projects, immutable deployments, the build queue, which deployment is live
//! where, and the REST API over them.
//!
//! It never builds or runs code itself: a [`BuildRunner`] (the builder, in another crate or process)
//! turns a source directory into an artifact, and a [`RoutePublisher`] tells the edges and workers which
//! deployment serves which slug. Moving a route is atomic: the store marks the new deployment live and
//! the previous one superseded in one transaction, then the route is published; until then the previous
//! deployment keeps serving.

mod api;
mod api_keys;
mod auth;
mod build_log;
mod env;
mod error;
mod github;
pub mod oauth;
mod projects;
mod queue;
mod rollback;
mod runtime_logs;
mod secrets;
mod session;
mod sources;
mod upload;
mod webhooks;

use berth_core::{Access, AllowList, Limits, ProjectSlug, ServerDescription};
use berth_store::{Deployment, Project};
use std::path::PathBuf;
use std::sync::Arc;

pub use api::{ApiState, Authed, router, token_hash};
pub use api_keys::{
    API_KEY_PREFIX, KeyUses, MAX_API_KEYS_PER_PROJECT, SCOPES, access_for, new_api_key,
};
pub use auth::{Auth, Authorization, IdentityProvider, new_api_token};
pub use build_log::BuildLogLimits;
pub use env::{
    MAX_ENV_KEY_BYTES, MAX_ENV_VALUE_BYTES, MAX_ENV_VARS, check_key, environment_and_secrets,
    environment_for,
};
pub use error::ApiError;
pub use github::{GitLink, GitOptions};
pub use queue::{BuildQueue, LogEvent};
pub use rollback::rollback_target;
pub use secrets::{Keyring, SecretError};
pub use session::{CSRF_HEADER, LOCAL_LINK_TTL, SESSION_COOKIE, Session, Sessions};
pub use sources::{BuildReport, DeploymentSource, FetchedCommit};
pub use upload::{MAX_UPLOAD_BYTES, UploadError, unpack};
pub use webhooks::MAX_WEBHOOK_BYTES;

/// Where a build's log lines go.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Builds a checked-out source directory into a stored artifact.
#[async_trait::async_trait]
pub trait BuildRunner: Send + Sync + 'static {
    /// Runs the build, sending each log line to `log`. Returns the artifact's content hash and what the
    /// server offers, or a message that says what to fix.
    async fn build(
        &self,
        source: PathBuf,
        entry: String,
        log: LogSink,
    ) -> Result<(String, ServerDescription), String>;
}

/// What an edge needs to serve a slug. Its `Debug` shows the environment's names, not their values.
#[derive(Clone)]
pub struct LiveRoute {
    pub slug: ProjectSlug,
    pub project_id: String,
    pub deployment_id: String,
    pub artifact: String,
    pub description: Arc<ServerDescription>,
    pub limits: Limits,
    pub env: Arc<Vec<(String, String)>>,
    /// The hosts the deployment may reach over HTTP: what its berth.toml allowed, then what the
    /// project's settings add.
    pub network_allow: Arc<AllowList>,
    /// The values of the project's secrets, for the runtime log to hide.
    pub secrets: Arc<berth_core::redact::SecretValues>,
    /// Who may call it: anyone, or (a private project, previews included) holders of its API keys.
    pub access: Arc<Access>,
}

impl std::fmt::Debug for LiveRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRoute")
            .field("slug", &self.slug)
            .field("project_id", &self.project_id)
            .field("deployment_id", &self.deployment_id)
            .field("artifact", &self.artifact)
            .field("limits", &self.limits)
            .field("env", &berth_core::redact::EnvNames(&self.env))
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

/// Tells edges and workers about route changes (in one process, directly; across processes, through a
/// change feed).
#[async_trait::async_trait]
pub trait RoutePublisher: Send + Sync + 'static {
    /// Switches the slug to the route's deployment; returns once new requests go there.
    async fn publish(&self, route: LiveRoute);
    async fn withdraw(&self, slug: &str);
}

/// Builds the route a live deployment is served by; `access` is the project's (see [`access_for`]).
pub fn live_route(
    project: &Project,
    deployment: &Deployment,
    env: Vec<(String, String)>,
    secrets: berth_core::redact::SecretValues,
    access: Arc<Access>,
) -> Option<LiveRoute> {
    let slug = match deployment.target {
        berth_store::Target::Production => project.slug.clone(),
        berth_store::Target::Preview { pr } => project.slug.preview(pr),
    };
    let description: ServerDescription =
        serde_json::from_str(deployment.description_json.as_deref()?).ok()?;
    // Checked when the deployment was built and when the setting was saved; an entry that no longer
    // parses allows nothing.
    let built = AllowList::parse(&description.network_allow).unwrap_or_default();
    let set = AllowList::parse(&project.network_allow).unwrap_or_default();
    let network_allow = built.merged(&set);
    Some(LiveRoute {
        slug,
        project_id: project.id.clone(),
        deployment_id: deployment.id.clone(),
        artifact: deployment.artifact.clone()?,
        description: Arc::new(description),
        limits: project.limits.clone(),
        env: Arc::new(env),
        network_allow: Arc::new(network_allow),
        secrets: Arc::new(secrets),
        access,
    })
}
