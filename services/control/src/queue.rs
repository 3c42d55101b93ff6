//! The build queue: deployments wait here, build a few at a time, stream their log to followers and to
//! the store, and on success go live. Builds queued or running when the process stopped are picked up
//! again on restart.

use berth_store::{Deployment, DeploymentStatus, Project, Promotion, Store, StoreError, Target};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, broadcast, mpsc};

use crate::sources::{BuildReport, DeploymentSource};
use crate::{
    ApiError, BuildRunner, Keyring, LogSink, RoutePublisher, environment_and_secrets, live_route,
};

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
    /// How much one build may log (the defaults unless set at startup).
    log_limits: std::sync::OnceLock<crate::build_log::BuildLogLimits>,
    /// Held from a promotion in the store until its route is published, so that the edges end on the
    /// deployment the store has live when two promotions race.
    promoting: tokio::sync::Mutex<()>,
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
            log_limits: std::sync::OnceLock::new(),
            promoting: tokio::sync::Mutex::new(()),
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

    /// Sets how much one build may log. Call once, at startup; later calls are ignored.
    pub fn set_log_limits(&self, limits: crate::build_log::BuildLogLimits) {
        let _ = self.inner.log_limits.set(limits);
    }

    /// `log` within the build log's bounds, for what the build's tools print (the queue's own few lines
    /// after it, such as why the build failed, always reach the log).
    fn capped(&self, log: &LogSink) -> LogSink {
        let limits = self.inner.log_limits.get().copied().unwrap_or_default();
        crate::build_log::capped(log.clone(), limits)
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

    /// Publishes every live route, puts live the builds a previous process finished but stopped before
    /// promoting (forward only), and requeues builds it left unfinished.
    pub async fn recover(&self) -> Result<(), ApiError> {
        // In the store only: the loop below publishes every live route once.
        for d in self.inner.store.built_not_live().await? {
            tracing::info!(deployment = %d.id, "promoting a build that finished before a restart");
            if let Err(e) = self.inner.store.promote_if_newest(&d.id).await {
                tracing::error!(deployment = %d.id, error = %e, "cannot promote a build after a restart");
            }
        }
        for (project, deployment) in self.inner.store.live_deployments().await? {
            let preview = matches!(deployment.target, Target::Preview { .. });
            let (env, secrets) = environment_and_secrets(
                &self.inner.store,
                &self.inner.secrets,
                &project.id,
                preview,
            )
            .await?;
            let access = Arc::new(crate::access_for(&self.inner.store, &project).await?);
            if let Some(route) = live_route(&project, &deployment, env, secrets, access) {
                self.inner.routes.publish(route).await;
            }
        }
        for d in self.inner.store.unfinished_deployments().await? {
            if self.source_dir(&d.id).is_dir() || self.fetched_here(&d).is_some() {
                tracing::info!(deployment = %d.id, "resuming a build interrupted by a restart");
                let store = &self.inner.store;
                if d.status == DeploymentStatus::Building {
                    let note = "Berth restarted while this build ran; it starts again".to_string();
                    store.append_log(&d.id, &[note]).await?;
                }
                store.requeue_interrupted(&d.id).await?;
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
    /// What a user asks for (a promotion, a rollback): it may go back to an older deployment.
    pub async fn promote(&self, deployment_id: &str) -> Result<Deployment, ApiError> {
        let _order = self.inner.promoting.lock().await;
        let d = self.inner.store.promote(deployment_id).await?;
        self.publish(&d).await?;
        Ok(d)
    }

    /// Puts a build that just finished live, unless a newer deployment of its target is live already
    /// (an older, slower build never replaces a newer one).
    async fn promote_built(&self, deployment_id: &str) -> Result<Promotion, ApiError> {
        let _order = self.inner.promoting.lock().await;
        let promoted = self.inner.store.promote_if_newest(deployment_id).await?;
        if let Promotion::Live(d) = &promoted {
            self.publish(d).await?;
        }
        Ok(promoted)
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
        let (env, secrets) =
            environment_and_secrets(&self.inner.store, &self.inner.secrets, &project.id, preview)
                .await?;
        let access = Arc::new(crate::access_for(&self.inner.store, &project).await?);
        let route = live_route(&project, d, env, secrets, access)
            .ok_or_else(|| ApiError::Internal(format!("deployment {} has no artifact", d.id)))?;
        self.inner.routes.publish(route).await;
        Ok(())
    }

    /// Publishes a project's live deployments (production and previews) again, after its environment,
    /// limits, privacy or API keys changed; returns how many.
    pub async fn republish(&self, project_id: &str) -> Result<usize, ApiError> {
        // In promotion order: a republish that read the live deployments (or the project's keys)
        // before a promotion (or another change) must not publish its older view after it, putting a
        // superseded deployment or a revoked key back on the edges.
        let _order = self.inner.promoting.lock().await;
        let live = self.inner.store.live_deployments().await?;
        let mut published = 0;
        for (_, d) in live.iter().filter(|(p, _)| p.id == project_id) {
            self.publish(d).await?;
            published += 1;
        }
        Ok(published)
    }

    /// Runs one deployment's build. Whatever goes wrong inside Berth (a store error, a panic in a
    /// step) ends the deployment `failed` with a log line saying why; it never stays `building`.
    async fn run(&self, id: &str) -> Result<(), ApiError> {
        let store = &self.inner.store;
        let running = self
            .lock_running()
            .entry(id.to_string())
            .or_insert_with(Running::new)
            .clone();
        let loaded = match store.deployment(id).await {
            Ok(Some(d)) => match store.project_by_id(&d.project_id).await {
                Ok(Some(p)) => Ok((d, p)),
                Ok(None) => Err("the deployment's project no longer exists".to_string()),
                Err(e) => Err(format!("cannot read the project: {e}")),
            },
            Ok(None) => Err(format!("no deployment {id}")),
            Err(e) => Err(format!("cannot read the deployment: {e}")),
        };
        let (d, project) = match loaded {
            Ok(found) => found,
            Err(why) => {
                self.lock_running().remove(id);
                let failed = store.mark_failed(id, &why).await;
                let _ = running.events.send(LogEvent::Done {
                    status: DeploymentStatus::Failed,
                    error: Some(why.clone()),
                });
                failed?;
                return Err(ApiError::Internal(why));
            }
        };
        if let Err(e) = store.mark_building(id).await {
            self.lock_running().remove(id);
            // Finished already, or gone: nothing to build. Any other error is Berth's: the build ends.
            if !matches!(e, StoreError::Invalid(_) | StoreError::NotFound(_)) {
                let why = format!("Berth could not start this build ({e}); deploy again");
                let _ = store.mark_failed(id, &why).await;
                let _ = running.events.send(LogEvent::Done {
                    status: DeploymentStatus::Failed,
                    error: Some(why),
                });
            }
            return Err(e.into());
        }
        // A build resumed after a restart continues its stored log; followers see it whole.
        if let Ok(earlier) = store.logs(id, 0).await {
            let mut lines = running.lines.lock().unwrap_or_else(|p| p.into_inner());
            lines.extend(earlier.into_iter().map(|(_, line)| line));
        }
        let buffer = Arc::new(Mutex::new(Vec::<String>::new()));
        let log: LogSink = {
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
        let hooks = self.fetched_here(&d).cloned();
        // The steps run as a task of their own, so that a panic in one is caught here.
        let steps = tokio::spawn({
            let (queue, project, d, log) = (self.clone(), project.clone(), d.clone(), log.clone());
            async move { queue.steps(project, d, log).await }
        });
        let outcome = match steps.await {
            Ok(Ok(done)) => done,
            Ok(Err(Fault(why))) => self.fail_inside(&project, &d, &hooks, &log, why).await,
            // Only a runtime shutting down cancels the steps: the process is stopping. The build stays
            // `building`, and the next start resumes it (marking it failed here would race the stop).
            Err(stopped) if stopped.is_cancelled() => return Ok(()),
            Err(crashed) => {
                let why = match crashed.try_into_panic() {
                    Ok(panic) => format!("a build step crashed: {}", panic_message(&*panic)),
                    Err(e) => format!("the build stopped: {e}"),
                };
                self.fail_inside(&project, &d, &hooks, &log, why).await
            }
        };
        let _ = stop_flusher.send(());
        let _ = flusher.await;
        let _ = std::fs::remove_dir_all(self.source_dir(id));
        self.lock_running().remove(id);
        let _ = running.events.send(outcome);
        Ok(())
    }

    /// Ends a build that failed inside Berth (not in the user's code): logged, `failed`, reported.
    async fn fail_inside(
        &self,
        project: &Project,
        d: &Deployment,
        hooks: &Option<Arc<dyn DeploymentSource>>,
        log: &LogSink,
        why: String,
    ) -> LogEvent {
        tracing::error!(deployment = %d.id, error = %why, "build failed inside Berth");
        let message = format!("Berth could not finish this build ({why}); deploy again");
        log(&format!("build failed: {message}"));
        if let Err(e) = self.inner.store.mark_failed(&d.id, &message).await {
            // It stays `building`; the next start resumes it.
            tracing::error!(deployment = %d.id, error = %e, "cannot mark the build failed");
        }
        if let Some(h) = hooks {
            h.report(project, d, BuildReport::Failed(message.clone()))
                .await;
        }
        LogEvent::Done {
            status: DeploymentStatus::Failed,
            error: Some(message),
        }
    }

    /// Fetches (for git deployments), builds, and promotes. A failure of the user's build ends here as
    /// `failed`; an error of Berth's own is returned as a [`Fault`].
    async fn steps(
        &self,
        project: Project,
        mut d: Deployment,
        log: LogSink,
    ) -> Result<LogEvent, Fault> {
        let store = &self.inner.store;
        let id = d.id.clone();
        log(&format!(
            "building {} for project {} ({})",
            id,
            project.slug,
            describe_source(&d)
        ));
        let source = self.source_dir(&id);
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
                            .record_fetched(&id, &f.commit, &f.author, &f.message)
                            .await
                            .map_err(|e| Fault(format!("cannot record the commit: {e}")))?;
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
                    .build(source.clone(), project.entry.clone(), self.capped(&log))
                    .await
            }
            Err(e) => Err(e),
        };
        let (artifact, description) = match result {
            Ok(built) => built,
            Err(message) => {
                log(&format!("build failed: {message}"));
                store
                    .mark_failed(&id, &message)
                    .await
                    .map_err(|e| Fault(format!("cannot record the failure: {e}")))?;
                if let Some(h) = &hooks {
                    h.report(&project, &d, BuildReport::Failed(message.clone()))
                        .await;
                }
                return Ok(LogEvent::Done {
                    status: DeploymentStatus::Failed,
                    error: Some(message),
                });
            }
        };
        let json = serde_json::to_string(&description)
            .map_err(|e| Fault(format!("cannot encode the server's description: {e}")))?;
        store
            .mark_ready(&id, &artifact, &json)
            .await
            .map_err(|e| Fault(format!("cannot record the artifact: {e}")))?;
        let promoted = self
            .promote_built(&id)
            .await
            .map_err(|e| Fault(format!("cannot put it live: {e}")))?;
        let live = match promoted {
            Promotion::Live(live) => live,
            Promotion::Behind { live, .. } => {
                log(&format!(
                    "built, but {} (created after this one) is live already: it stays live, and this \
                     deployment is kept for a rollback",
                    live.id
                ));
                if let Some(h) = &hooks {
                    h.report(&project, &d, BuildReport::Superseded(live.id.clone()))
                        .await;
                }
                return Ok(LogEvent::Done {
                    status: DeploymentStatus::Superseded,
                    error: None,
                });
            }
        };
        let slug = match live.target {
            Target::Production => project.slug.to_string(),
            Target::Preview { pr } => project.slug.preview(pr).to_string(),
        };
        log(&format!("live: /{slug}/mcp"));
        if let Some(h) = &hooks {
            h.report(&project, &d, BuildReport::Live(slug)).await;
        }
        Ok(LogEvent::Done {
            status: DeploymentStatus::Ready,
            error: None,
        })
    }
}

/// An error of Berth's own while a build ran (as opposed to the user's build failing).
struct Fault(String);

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
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
