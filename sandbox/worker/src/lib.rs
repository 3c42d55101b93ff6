//! A worker: the deployments it serves, each loaded on first use (its ahead-of-time compiled artifact
//! mapped from the artifact store) into a pool of warm instances, never shared with another deployment.
//! A call on a warm instance runs on the caller's task (the guest is a fiber that yields at every epoch
//! tick), so a request costs no thread hand-off; loading, making instances and host calls that may
//! wait run on blocking threads. An idle deployment can be evicted and is loaded again on its next call.

use berth_core::{
    AllowList, CallContext, CallHooks, DeploymentId, GuestCall, GuestOutput, InvokeError, Limits,
};
use berth_sandbox_host::{ArtifactDir, DeploymentPool, PoolStats, Runtime};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Mutex as AsyncMutex;

/// What the worker needs to run a deployment. Its `Debug` shows the environment's names, not their
/// values.
#[derive(Clone)]
pub struct DeploymentSpec {
    pub id: DeploymentId,
    pub artifact: String,
    pub limits: Limits,
    pub env: Arc<Vec<(String, String)>>,
    /// The hosts its calls may reach over HTTP.
    pub network_allow: Arc<AllowList>,
}

impl std::fmt::Debug for DeploymentSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeploymentSpec")
            .field("id", &self.id)
            .field("artifact", &self.artifact)
            .field("limits", &self.limits)
            .field("env", &berth_core::redact::EnvNames(&self.env))
            .field("network_allow", &self.network_allow.entries())
            .finish()
    }
}

struct Loaded {
    pool: Arc<DeploymentPool>,
    artifact: String,
    limits: Limits,
    env: Arc<Vec<(String, String)>>,
    network_allow: Arc<AllowList>,
}

#[derive(Clone)]
pub struct Worker {
    runtime: Runtime,
    artifacts: ArtifactDir,
    loaded: Arc<RwLock<HashMap<DeploymentId, Arc<Loaded>>>>,
    /// Serializes loads, so concurrent first calls map an artifact once.
    loading: Arc<AsyncMutex<()>>,
}

impl Worker {
    pub fn new(runtime: Runtime, artifacts: ArtifactDir) -> Self {
        Self {
            runtime,
            artifacts,
            loaded: Default::default(),
            loading: Default::default(),
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    fn get(&self, id: &DeploymentId) -> Option<Arc<Loaded>> {
        self.loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// The deployment's pool, loading it if needed; limits or environment that changed since it was
    /// loaded apply to new instances from now on.
    pub async fn pool(&self, spec: &DeploymentSpec) -> Result<Arc<DeploymentPool>, InvokeError> {
        if let Some(l) = self.get(&spec.id) {
            let same_allow = Arc::ptr_eq(&l.network_allow, &spec.network_allow)
                || *l.network_allow == *spec.network_allow;
            if !same_allow {
                // Applies to calls from now on; warm instances stay.
                l.pool.set_allow(spec.network_allow.clone());
            }
            if l.limits == spec.limits && (Arc::ptr_eq(&l.env, &spec.env) || *l.env == *spec.env) {
                if !same_allow {
                    self.insert(spec, l.pool.clone());
                }
                return Ok(l.pool.clone());
            }
            l.pool.reconfigure(spec.limits.clone(), spec.env.clone());
            self.insert(spec, l.pool.clone());
            return Ok(l.pool.clone());
        }
        let _guard = self.loading.lock().await;
        if let Some(l) = self.get(&spec.id) {
            return Ok(l.pool.clone());
        }
        let started = Instant::now();
        let (runtime, artifacts, s) = (self.runtime.clone(), self.artifacts.clone(), spec.clone());
        let pool = tokio::task::spawn_blocking(move || {
            let path = artifacts.compiled(&runtime, &s.artifact)?;
            DeploymentPool::from_artifact(&runtime, &path, s.limits.clone(), s.env.clone())
        })
        .await
        .map_err(|e| InvokeError::Unavailable(e.to_string()))?
        .map_err(|e| InvokeError::Unavailable(e.to_string()))?;
        pool.set_allow(spec.network_allow.clone());
        tracing::info!(deployment = %spec.id, ms = started.elapsed().as_secs_f64() * 1e3, "deployment loaded");
        self.insert(spec, pool.clone());
        Ok(pool)
    }

    fn insert(&self, spec: &DeploymentSpec, pool: Arc<DeploymentPool>) {
        let loaded = Arc::new(Loaded {
            pool,
            artifact: spec.artifact.clone(),
            limits: spec.limits.clone(),
            env: spec.env.clone(),
            network_allow: spec.network_allow.clone(),
        });
        self.loaded
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(spec.id.clone(), loaded);
    }

    /// Runs one call in the deployment.
    pub async fn invoke(
        &self,
        spec: &DeploymentSpec,
        call: GuestCall,
        ctx: CallContext,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<GuestOutput, InvokeError> {
        let pool = self.pool(spec).await?;
        pool.call_async(&call, &ctx, hooks).await
    }

    /// Loads a deployment and warms `instances` instances, so its first calls are fast.
    pub async fn prewarm(
        &self,
        spec: &DeploymentSpec,
        instances: usize,
    ) -> Result<Duration, InvokeError> {
        let started = Instant::now();
        let pool = self.pool(spec).await?;
        tokio::task::spawn_blocking(move || pool.prewarm(instances))
            .await
            .map_err(|e| InvokeError::Unavailable(e.to_string()))??;
        Ok(started.elapsed())
    }

    /// Forgets a deployment (its instances end; the artifact stays in the store).
    pub fn evict(&self, id: &DeploymentId) {
        self.loaded
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// Deployments loaded now, with their pools' counters.
    pub fn stats(&self) -> Vec<(DeploymentId, String, PoolStats)> {
        self.loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, l)| (id.clone(), l.artifact.clone(), l.pool.stats()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_shows_its_environment_names_only() {
        let spec = DeploymentSpec {
            id: DeploymentId("d-1".into()),
            artifact: "sha256-x".into(),
            limits: Limits::default(),
            env: Arc::new(vec![("API_KEY".into(), "sk-live-secret-value".into())]),
            network_allow: Default::default(),
        };
        let shown = format!("{spec:?} {spec:#?}");
        assert!(shown.contains("API_KEY"), "{shown}");
        assert!(!shown.contains("sk-live-secret-value"), "{shown}");
    }
}
