//! The routing table: which deployment serves which project slug, and the upstream that runs calls.

use berth_core::{
    CallContext, CallHooks, DeploymentId, GuestCall, GuestOutput, InvokeError, Limits, ProjectSlug,
    ServerDescription,
};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One project's live deployment, as the edge needs it to answer requests. Its `Debug` shows the
/// environment's names, not their values.
#[derive(Clone)]
pub struct Route {
    pub slug: ProjectSlug,
    /// Tenant scope for state keys, sessions and metrics.
    pub project_id: String,
    pub deployment: DeploymentId,
    /// Opaque to the edge: the upstream uses it to find the component.
    pub artifact: String,
    /// Tools, resources and prompts lists come from here; listing never calls the guest.
    pub description: Arc<ServerDescription>,
    pub limits: Limits,
    /// The project's environment: `hooks.environment()` returns it.
    pub env: Arc<Vec<(String, String)>>,
    /// The hosts the deployment may reach over HTTP (its berth.toml and the project's settings).
    pub network_allow: Arc<berth_core::AllowList>,
    /// The values of the project's secrets: the runtime log never shows them.
    pub secrets: Arc<berth_core::redact::SecretValues>,
    /// Who may call it: anyone, or (a private project) only with one of its API keys.
    pub access: Arc<berth_core::Access>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("slug", &self.slug)
            .field("project_id", &self.project_id)
            .field("deployment", &self.deployment)
            .field("artifact", &self.artifact)
            .field("limits", &self.limits)
            .field("env", &berth_core::redact::EnvNames(&self.env))
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

/// Slug -> route. Cheap to clone (one `Arc`); reads take a shared lock only for the map lookup.
#[derive(Clone, Default)]
pub struct RouteTable {
    inner: Arc<RwLock<HashMap<String, Arc<Route>>>>,
}

impl RouteTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the route for `route.slug` (atomically: a request sees the old or the new one).
    pub fn set(&self, route: Route) {
        let slug = route.slug.as_str().to_string();
        self.write().insert(slug, Arc::new(route));
    }

    pub fn remove(&self, slug: &str) {
        self.write().remove(slug);
    }

    pub fn get(&self, slug: &str) -> Option<Arc<Route>> {
        let map = self
            .inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(slug).cloned()
    }

    /// Whether a route exists for `slug` (without cloning it).
    pub fn contains(&self, slug: &str) -> bool {
        let map = self
            .inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.contains_key(slug)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Route>>> {
        self.inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Runs calls in a route's deployment (a worker, in process or remote).
#[async_trait::async_trait]
pub trait Upstream: Send + Sync + 'static {
    /// Runs one call in the route's deployment. The implementation runs the guest on a blocking thread and
    /// calls `hooks` from that thread (CallHooks methods are sync and may block: elicit/sample block until
    /// the client answers).
    async fn invoke(
        &self,
        route: Arc<Route>,
        call: GuestCall,
        ctx: CallContext,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<GuestOutput, InvokeError>;
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn debug_shows_no_environment_value_nor_the_state_key() {
        let route = Route {
            slug: ProjectSlug::parse("weather").unwrap(),
            project_id: "p-1".into(),
            deployment: DeploymentId("d-1".into()),
            artifact: "sha256-x".into(),
            description: Arc::new(ServerDescription::default()),
            limits: Limits::default(),
            env: Arc::new(vec![("API_KEY".into(), "sk-live-secret-value".into())]),
            network_allow: Default::default(),
            secrets: Default::default(),
            access: Default::default(),
        };
        let shown = format!("{route:?} {route:#?}");
        assert!(shown.contains("API_KEY"), "{shown}");
        assert!(!shown.contains("sk-live-secret-value"), "{shown}");

        let config = crate::EdgeConfig {
            request_state_key: Some(b"request-state-key-0123456789abcdef".to_vec()),
            ..Default::default()
        };
        let shown = format!("{config:?}");
        assert!(
            shown.contains("request_state_key: Some(<redacted>)"),
            "{shown}"
        );
        // Neither as text nor as the byte list a derived Debug would print.
        assert!(!shown.contains("request-state-key"), "{shown}");
        assert!(!shown.contains("114, 101, 113"), "{shown}");
    }
}
