//! The build queue: deployments wait here, build a few at a time, stream their log to followers and to
//! the store, and on success go live. Builds queued or running when the process stopped are picked up
//! again on restart.

use berth_store::{Deployment, DeploymentStatus, Store, Target};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, broadcast, mpsc};

use crate::sources::{BuildReport, DeploymentSource};
use crate::{ApiError, BuildRunner, Keyring, RoutePublisher, environment_for, live_route};

/// How often buffered log lines are written to the store while a build runs.
const LOG_FLUSH_EVERY: Duration = Duration::from_millis(250);

#[derive(Clone, Debug, PartialEq)]
pub enum LogEvent {
    /// The n-th line of the build log (counted from 1).
    Line(usize, String),
    /// The build ended with this status; `error` says why it failed.
    Done {
        status: DeploymentStatus,
        error: Option<String>,
    },
}

/// A queued or running build's log as followers see it: every line so far, and new ones as they come.
/// Lines are appended and broadcast under one lock, so a follower's snapshot and its subscription
/// never miss or repeat a line (the store lags behind by up to a flush interval).
#[derive(Clone)]
struct Running {
    events: broadcast::Sender<LogEvent>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Running {
    fn new() -> Self {
        Self {
            events: broadcast::channel(1024).0,
            lines: Arc::default(),
        }
    }
}

struct Inner {
    store: Store,
    runner: Arc<dyn BuildRunner>,
    routes: Arc<dyn RoutePublisher>,
    sources: PathBuf,
    tx: mpsc::UnboundedSender<String>,
    running: Mutex<HashMap<String, Running>>,
    slots: Arc<Semaphore>,
    secrets: Keyring,
    /// Fetches git deployments and hears how builds went; set once at startup.
    source: std::sync::OnceLock<Arc<dyn DeploymentSource>>,
}

#[derive(Clone)]
pub struct BuildQueue {
    inner: Arc<Inner>,
}

impl BuildQueue {
    /// Starts the queue; at most `concurrency` builds run at once. It holds no secret key: projects
    /// can have plain variables but no secrets (see [`BuildQueue::start_with_secrets`]).
    pub fn start(
        store: Store,
        runner: Arc<dyn BuildRunner>,
        routes: Arc<dyn RoutePublisher>,
        sources: PathBuf,
        concurrency: usize,
    ) -> Self {
        Self::start_with_secrets(
            store,
            runner,
            routes,
            sources,
            concurrency,
            Keyring::empty(),
        )
    }

    /// Starts the queue with the keyring that seals and opens projects' secrets.
    pub fn start_with_secrets(
        store: Store,
        runner: Arc<dyn BuildRunner>,
        routes: Arc<dyn RoutePublisher>,
        sources: PathBuf,
        concurrency: usize,
        secrets: Keyring,
    ) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let inner = Arc::new(Inner {
            store,
            runner,
            routes,
            sources,
            tx,
            running: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            secrets,
            source: std::sync::OnceLock::new(),
        });
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            while let Some(id) = rx.recv().await {
                let Some(inner) = weak.upgrade() else { return };
                let Ok(permit) = inner.slots.clone().acquire_owned().await else {
                    return;
                };
                tokio::spawn(async move {
                    let q = BuildQueue { inner };
                    if let Err(e) = q.run(&id).await {
                        tracing::error!(deployment = %id, error = %e, "build could not run");
                    }
                    drop(permit);
                });
            }
        });
        Self { inner }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The keys projects' secrets are sealed with.
    pub fn secrets(&self) -> &Keyring {
        &self.inner.secrets
    }

    /// Lets `source` fetch git deployments before their build and hear how builds went. Call once,
    /// before [`BuildQueue::recover`]; later calls are ignored.
    pub fn set_source(&self, source: Arc<dyn DeploymentSource>) {
        let _ = self.inner.source.set(source);
    }

    fn fetched_here(&self, d: &Deployment) -> Option<&Arc<dyn DeploymentSource>> {
        self.inner.source.get().filter(|s| s.fetches(d))
    }

    /// Where a deployment's source tree is unpacked or checked out before its build.
    pub fn source_dir(&self, deployment_id: &str) -> PathBuf {
        self.inner.sources.join(deployment_id)
    }

    /// Queues a deployment whose source is in place. Its log can be followed at once.
    pub fn enqueue(&self, deployment_id: &str) {
        self.lock_running()
            .entry(deployment_id.to_string())
            .or_insert_with(Running::new);
        let _ = self.inner.tx.send(deployment_id.to_string());
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.inner.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the deployment's build is queued or running (it is until its route is live).
    pub fn is_running(&self, deployment_id: &str) -> bool {
        self.lock_running().contains_key(deployment_id)
    }

    /// A queued or running build's log: the lines so far and a feed of what follows (lines numbered
    /// from 1, so a line numbered at most the snapshot's length is already in it); None once it ended.
    pub fn follow(
        &self,
        deployment_id: &str,
    ) -> Option<(Vec<String>, broadcast::Receiver<LogEvent>)> {
        let running = self.lock_running().get(deployment_id).cloned()?;
        let lines = running.lines.lock().unwrap_or_else(|p| p.into_inner());
        Some((lines.clone(), running.events.subscribe()))
    }

    /// Publishes every live route, and requeues builds a previous process left unfinished.
    pub async fn recover(&self) -> Result<(), ApiError> {
        for (project, deployment) in self.inner.store.live_deployments().await? {
            let preview = matches!(deployment.target, Target::Preview { .. });
            let env = environment_for(&self.inner.store, &self.inner.secrets, &project.id, preview)
                .await?;
            if let Some(route) = live_route(&project, &deployment, env) {
                self.inner.routes.publish(route).await;
            }
        }
        for d in self.inner.store.unfinished_deployments().await? {
            if self.source_dir(&d.id).is_dir() || self.fetched_here(&d).is_some() {
                tracing::info!(deployment = %d.id, "resuming a build interrupted by a restart");
                self.enqueue(&d.id);
            } else {
                self.inner
                    .store
                    .mark_failed(&d.id, "the platform restarted before this build ran and its source is gone; deploy again")
                    .await?;
            }
        }
        Ok(())
    }

    /// Makes a ready (or earlier, superseded) deployment live: atomically in the store, then on the edges.
    pub async fn promote(&self, deployment_id: &str) -> Result<Deployment, ApiError> {
        let d = self.inner.store.promote(deployment_id).await?;
        self.publish(&d).await?;
        Ok(d)
    }

    /// Stops serving `slug` (a closed pull request's preview, a deleted project).
    pub async fn withdraw(&self, slug: &str) {
        self.inner.routes.withdraw(slug).await;
    }

    /// Publishes the route of a live deployment again (after its project's environment changed, say).
    pub async fn publish(&self, d: &Deployment) -> Result<(), ApiError> {
        let project = self
            .inner
            .store
            .project_by_id(&d.project_id)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound("the deployment's project no longer exists".into())
            })?;
        let preview = matches!(d.target, Target::Preview { .. });
        let env =
            environment_for(&self.inner.store, &self.inner.secrets, &project.id, preview).await?;
        let route = live_route(&project, d, env)
            .ok_or_else(|| ApiError::Internal(format!("deployment {} has no artifact", d.id)))?;
        self.inner.routes.publish(route).await;
        Ok(())
    }

    async fn run(&self, id: &str) -> Result<(), ApiError> {
        let store = &self.inner.store;
        let mut d = store
            .deployment(id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no deployment {id}")))?;
        let project = store.project_by_id(&d.project_id).await?.ok_or_else(|| {
            ApiError::NotFound("the deployment's project no longer exists".into())
        })?;
        let running = self
            .lock_running()
            .entry(id.to_string())
            .or_insert_with(Running::new)
            .clone();
        let events = running.events.clone();
        store.mark_building(id).await?;
        let buffer = Arc::new(Mutex::new(Vec::<String>::new()));
        let log: Arc<dyn Fn(&str) + Send + Sync> = {
            let (buffer, running) = (buffer.clone(), running.clone());
            Arc::new(move |line: &str| {
                let mut lines = running.lines.lock().unwrap_or_else(|p| p.into_inner());
                lines.push(line.to_string());
                buffer
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(line.to_string());
                let _ = running
                    .events
                    .send(LogEvent::Line(lines.len(), line.to_string()));
            })
        };
        let (stop_flusher, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let flusher = {
            let (store, buffer, id) = (store.clone(), buffer.clone(), id.to_string());
            tokio::spawn(async move {
                loop {
                    let done = tokio::select! {
                        _ = tokio::time::sleep(LOG_FLUSH_EVERY) => false,
                        _ = &mut stopped => true,
                    };
                    flush(&store, &id, &buffer).await;
                    if done {
                        return;
                    }
                }
            })
        };
        log(&format!(
            "building {} for project {} ({})",
            id,
            project.slug,
            describe_source(&d)
        ));
        let source = self.source_dir(id);
        let hooks = self.fetched_here(&d).cloned();
        let fetched = match &hooks {
            Some(h) => {
                h.report(&project, &d, BuildReport::Building).await;
                let _ = std::fs::remove_dir_all(&source);
                match h.fetch(&project, &d, &source, log.clone()).await {
                    // A new project's first build learns its commit only now: record it, and tell
                    // the git host the build is under way (the report above had no commit to name).
                    Ok(f) if d.source.commit.is_none() => {
                        d = store
                            .record_fetched(id, &f.commit, &f.author, &f.message)
                            .await?;
                        h.report(&project, &d, BuildReport::Building).await;
                        Ok(())
                    }
                    other => other.map(drop),
                }
            }
            None => Ok(()),
        };
        let result = match fetched {
            Ok(()) => {
                self.inner
                    .runner
                    .build(source.clone(), project.entry.clone(), log.clone())
                    .await
            }
            Err(e) => Err(e),
        };
        let outcome = match result {
            Ok((artifact, description)) => {
                let json = serde_json::to_string(&description)
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                store.mark_ready(id, &artifact, &json).await?;
                let live = self.promote(id).await?;
                let slug = match live.target {
                    Target::Production => project.slug.to_string(),
                    Target::Preview { pr } => project.slug.preview(pr).to_string(),
                };
                log(&format!("live: /{slug}/mcp"));
                if let Some(h) = &hooks {
                    h.report(&project, &d, BuildReport::Live(slug)).await;
                }
                LogEvent::Done {
                    status: DeploymentStatus::Ready,
                    error: None,
                }
            }
            Err(message) => {
                log(&format!("build failed: {message}"));
                store.mark_failed(id, &message).await?;
                if let Some(h) = &hooks {
                    h.report(&project, &d, BuildReport::Failed(message.clone()))
                        .await;
                }
                LogEvent::Done {
                    status: DeploymentStatus::Failed,
                    error: Some(message),
                }
            }
        };
        let _ = stop_flusher.send(());
        let _ = flusher.await;
        let _ = std::fs::remove_dir_all(&source);
        self.lock_running().remove(id);
        let _ = events.send(outcome);
        Ok(())
    }
}

async fn flush(store: &Store, id: &str, buffer: &Mutex<Vec<String>>) {
    let lines = std::mem::take(&mut *buffer.lock().unwrap_or_else(|p| p.into_inner()));
    if lines.is_empty() {
        return;
    }
    if let Err(e) = store.append_log(id, &lines).await {
        tracing::error!(deployment = %id, error = %e, "cannot store build log lines");
    }
}

fn describe_source(d: &Deployment) -> String {
    let mut s = d.source.kind.clone();
    if let Some(c) = &d.source.commit {
        s.push_str(&format!(" {}", &c[..c.len().min(12)]));
    }
    if let Some(m) = &d.source.message {
        s.push_str(&format!(": {}", m.lines().next().unwrap_or("")));
    }
    s
}
