//! The seams between the crates, wired in process for `berth up`: the worker as the edge's upstream,
//! the builder as the control plane's build runner, route changes published to the edge, and the
//! edge's reports of API key uses written by the control plane, and the authorization server's token
//! verification keys handed to the edge.

use berth_builder::Builder;
use berth_control::{BuildRunner, LiveRoute, LogSink, RoutePublisher};
use berth_core::{
    CallContext, CallHooks, DeploymentId, GuestCall, GuestOutput, InvokeError, ServerDescription,
};
use berth_edge::{Route, RouteTable, Upstream};
use berth_worker::{DeploymentSpec, Worker};
use std::path::PathBuf;
use std::sync::Arc;

/// Warm instances made for a deployment when it goes live, so its first requests are fast.
const PREWARM_INSTANCES: usize = 2;

pub struct WorkerUpstream(pub Worker);

pub fn spec(route: &Route) -> DeploymentSpec {
    DeploymentSpec {
        id: route.deployment.clone(),
        artifact: route.artifact.clone(),
        limits: route.limits.clone(),
        env: route.env.clone(),
        network_allow: route.network_allow.clone(),
    }
}

#[async_trait::async_trait]
impl Upstream for WorkerUpstream {
    async fn invoke(
        &self,
        route: Arc<Route>,
        call: GuestCall,
        ctx: CallContext,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<GuestOutput, InvokeError> {
        self.0.invoke(&spec(&route), call, ctx, hooks).await
    }
}

pub struct LocalBuilds(pub Arc<Builder>);

#[async_trait::async_trait]
impl BuildRunner for LocalBuilds {
    async fn build(
        &self,
        source: PathBuf,
        entry: String,
        log: LogSink,
    ) -> Result<(String, ServerDescription), String> {
        let builder = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let log_ref = |line: &str| log(line);
            builder.build(&source, Some(&entry), &log_ref)
        })
        .await
        .map_err(|e| format!("the build crashed: {e}"))?
        .map(|out| (out.artifact, out.description))
        .map_err(|e| e.to_string())
    }
}

/// Publishes routes to the in-process edge, warming the new deployment before it takes traffic, and
/// letting the worker forget the deployment it replaced.
pub struct EdgeRoutes {
    pub routes: RouteTable,
    pub worker: Worker,
    /// The operator's ceilings, applied to every route (a project's limits saved under higher
    /// ceilings than today's are served within today's).
    pub limits: berth_core::LimitPolicy,
}

#[async_trait::async_trait]
impl RoutePublisher for EdgeRoutes {
    async fn publish(&self, r: LiveRoute) {
        let route = Route {
            slug: r.slug,
            project_id: r.project_id,
            deployment: DeploymentId(r.deployment_id),
            artifact: r.artifact,
            description: r.description,
            limits: self.limits.clamp(&r.limits),
            env: r.env,
            network_allow: r.network_allow,
            secrets: r.secrets,
            access: r.access,
        };
        let (routes, worker) = (&self.routes, &self.worker);
        {
            let spec = spec(&route);
            if let Err(e) = worker.prewarm(&spec, PREWARM_INSTANCES).await {
                tracing::warn!(deployment = %spec.id, error = %e, "could not warm the deployment before switching");
            }
            let previous = routes
                .get(route.slug.as_str())
                .map(|old| old.deployment.clone());
            routes.set(route);
            if let Some(old) = previous.filter(|old| *old != spec.id) {
                // Calls already running on the old deployment finish on their own pool reference.
                worker.evict(&old);
            }
        }
    }

    async fn withdraw(&self, slug: &str) {
        if let Some(old) = self.routes.get(slug) {
            self.routes.remove(slug);
            self.worker.evict(&old.deployment);
        }
    }
}

/// Hands the edge's reports of API key uses to the control plane's writer (never waiting).
pub struct KeyUseWriter(pub berth_control::KeyUses);

impl berth_edge::KeyUseReporter for KeyUseWriter {
    fn used(&self, _project_id: &str, key_id: &str, at_ms: i64) {
        self.0.note(key_id, at_ms);
    }
}

/// Hands the authorization server's verification keys to the edge as they load and rotate.
pub struct EdgeTokenKeys(pub berth_edge::TokenKeys);

impl berth_control::oauth::TokenKeyPublisher for EdgeTokenKeys {
    fn publish(&self, keys: &[berth_control::oauth::PublicJwk]) {
        let es256 = keys
            .iter()
            .filter(|k| k.kty == "EC" && k.crv == "P-256" && k.alg == "ES256")
            .map(|k| (k.kid.as_str(), k.x.as_str(), k.y.as_str()));
        if let Err(e) = self.0.set_es256(es256) {
            tracing::error!(error = %e, "the edge cannot use an access token key");
        }
    }
}

/// An upstream that times every call and tells the dashboard's recorder (project, tool, outcome).
pub struct RecordedUpstream {
    pub inner: Arc<dyn Upstream>,
    pub recorder: Arc<dyn berth_dashboard::CallRecorder>,
}

#[async_trait::async_trait]
impl Upstream for RecordedUpstream {
    async fn invoke(
        &self,
        route: Arc<Route>,
        call: GuestCall,
        ctx: CallContext,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<GuestOutput, InvokeError> {
        let tool = match &call {
            GuestCall::Tool { name, .. } => Some(name.clone()),
            _ => None,
        };
        let project = route.project_id.clone();
        let started = std::time::Instant::now();
        let result = self.inner.invoke(route, call, ctx, hooks).await;
        let ok = match &result {
            Ok(GuestOutput::Tool(r)) => !r.is_error,
            Ok(_) => true,
            Err(_) => false,
        };
        self.recorder
            .record(&project, tool.as_deref(), ok, started.elapsed());
        result
    }
}
