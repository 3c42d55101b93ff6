//! The control plane keeps its promises under faults: a build the process stopped in the middle of
//! finishes after a restart, a build step that panics ends `failed` with a reason, an older build that
//! finishes last does not replace a newer one, a webhook delivery whose handling failed can be
//! redelivered, signing out outlives a restart, and only the operator deploys from a local path.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use berth_control::{
    ApiState, BuildQueue, BuildRunner, GitLink, GitOptions, Keyring, LogEvent, LogSink,
};
use berth_core::ServerDescription;
use berth_store::{DeploymentStatus, NewDeployment, NewProject, Project, Source, Store};
use hmac::{Hmac, Mac};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::{Harness, ReadingBuilds, Recorded, set_cookie, user};
use tokio::sync::{Semaphore, mpsc};
use tower::ServiceExt;

/// How long a test waits for a build to end before it calls the build stuck. Not a speed check: a
/// stuck build never ends, a working one ends in milliseconds.
const STUCK_AFTER: Duration = Duration::from_secs(60);

/// Builds like [`ReadingBuilds`], except that a `server.py` containing `WAIT` first says so on
/// `started` and then waits for a permit of `gate`, and one containing `PANIC` panics.
struct GatedBuilds {
    started: mpsc::UnboundedSender<String>,
    gate: Arc<Semaphore>,
}

#[async_trait::async_trait]
impl BuildRunner for GatedBuilds {
    async fn build(
        &self,
        source: PathBuf,
        entry: String,
        log: LogSink,
    ) -> Result<(String, ServerDescription), String> {
        let code = std::fs::read_to_string(source.join("server.py")).map_err(|e| e.to_string())?;
        if code.contains("PANIC") {
            panic!("the builder tripped over its own feet");
        }
        if code.contains("WAIT") {
            let _ = self.started.send(code.trim().to_string());
            let _permit = self.gate.acquire().await.map_err(|e| e.to_string())?;
        }
        ReadingBuilds.build(source, entry, log).await
    }
}

fn gated() -> (
    Arc<GatedBuilds>,
    mpsc::UnboundedReceiver<String>,
    Arc<Semaphore>,
) {
    let (started, rx) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let runner = GatedBuilds {
        started,
        gate: gate.clone(),
    };
    (Arc::new(runner), rx, gate)
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("berth.db").display())
}

async fn upload_project(store: &Store, slug: &str) -> Project {
    let (owner, _) = user(store, &format!("{slug}-owner")).await;
    store
        .create_project(NewProject {
            slug: berth_core::ProjectSlug::parse(slug).unwrap(),
            owner_id: owner.id,
            repo: None,
            branch: "main".into(),
            entry: "server.py:mcp".into(),
            limits: Default::default(),
        })
        .await
        .unwrap()
}

/// Records an upload deployment whose `server.py` holds `code`, puts its source in place and queues it.
async fn queue_upload(queue: &BuildQueue, project: &Project, code: &str) -> String {
    let source = Source {
        kind: "upload".into(),
        ..Source::default()
    };
    let d = queue
        .store()
        .create_deployment(NewDeployment::production(&project.id, source))
        .await
        .unwrap();
    let dir = queue.source_dir(&d.id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("server.py"), code).unwrap();
    queue.enqueue(&d.id);
    d.id
}

/// Waits for the deployment's build to end; its final status.
async fn finished(queue: &BuildQueue, id: &str) -> DeploymentStatus {
    let wait = async {
        if let Some((_, mut events)) = queue.follow(id) {
            while let Ok(event) = events.recv().await {
                if let LogEvent::Done { status, .. } = event {
                    return status;
                }
            }
        }
        queue.store().deployment(id).await.unwrap().unwrap().status
    };
    tokio::time::timeout(STUCK_AFTER, wait)
        .await
        .unwrap_or_else(|_| panic!("the build of {id} is stuck"))
}

fn log_text(lines: &[(i64, String)]) -> String {
    lines
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_build_running_when_the_process_stopped_finishes_after_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    restart_mid_build(&sqlite_url(dir.path()), &dir.path().join("sources"));
}

#[test]
fn a_build_running_when_the_process_stopped_finishes_after_a_restart_on_postgres() {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let name = format!("berth_test_{:016x}", rand::random::<u64>());
    let admin = |sql: String| {
        let server = server.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let pool = sqlx::PgPool::connect(&server)
                .await
                .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {server}: {e}"));
            sqlx::query(&sql).execute(&pool).await.unwrap();
            pool.close().await;
        });
    };
    admin(format!("CREATE DATABASE {name}"));
    let (base, _) = server.rsplit_once('/').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outcome = std::panic::catch_unwind(|| {
        restart_mid_build(&format!("{base}/{name}"), &dir.path().join("sources"))
    });
    admin(format!("DROP DATABASE {name} WITH (FORCE)"));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Starts a build, stops the process in the middle of it (its runtime goes away with every task), and
/// starts another on the same database and data dir: the build starts again and goes live.
fn restart_mid_build(url: &str, sources: &Path) {
    let url = url.to_string();
    let sources = sources.to_path_buf();
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    };
    // The first process: the build starts and the process dies in the middle of it.
    let first = runtime();
    let (interrupted, waiting) = first.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        let (runner, mut started, _gate) = gated();
        let queue = BuildQueue::start(
            store.clone(),
            runner,
            Arc::new(Recorded::default()),
            sources.clone(),
            1,
        );
        let project = upload_project(&store, "resumed").await;
        let interrupted = queue_upload(&queue, &project, "WAIT v1").await;
        let waiting = queue_upload(&queue, &project, "v2").await;
        assert_eq!(started.recv().await.as_deref(), Some("WAIT v1"));
        (interrupted, waiting)
    });
    first.shutdown_background();

    // The second process, on the same database and data dir.
    runtime().block_on(async {
        let store = Store::connect(&url).await.unwrap();
        let status = |id: &str| {
            let store = store.clone();
            let id = id.to_string();
            async move { store.deployment(&id).await.unwrap().unwrap().status }
        };
        assert_eq!(status(&interrupted).await, DeploymentStatus::Building);
        assert_eq!(status(&waiting).await, DeploymentStatus::Queued);
        let routes = Arc::new(Recorded::default());
        let queue = BuildQueue::start(
            store.clone(),
            Arc::new(ReadingBuilds),
            routes.clone(),
            sources.clone(),
            1,
        );
        queue.recover().await.unwrap();
        assert_eq!(
            finished(&queue, &interrupted).await,
            DeploymentStatus::Ready
        );
        assert_eq!(finished(&queue, &waiting).await, DeploymentStatus::Ready);
        let live = store.deployment(&waiting).await.unwrap().unwrap();
        assert!(live.live, "the newest deployment is live after the restart");
        let log = log_text(&store.logs(&interrupted, 0).await.unwrap());
        assert!(
            log.contains("Berth restarted while this build ran")
                && log.contains("live: /resumed/mcp"),
            "{log}"
        );
        let published: Vec<String> = routes
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.deployment_id.clone())
            .collect();
        assert_eq!(published.last(), Some(&waiting));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_that_finished_just_before_the_process_stopped_goes_live_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&sqlite_url(dir.path())).await.unwrap();
    let project = upload_project(&store, "stranded").await;
    let source = Source {
        kind: "upload".into(),
        ..Source::default()
    };
    let d = store
        .create_deployment(NewDeployment::production(&project.id, source))
        .await
        .unwrap();
    store.mark_building(&d.id).await.unwrap();
    // The build ended and was recorded; the process stopped before the promotion.
    store
        .mark_ready(&d.id, "artifact:v1", r#"{"name":"v1","tools":[]}"#)
        .await
        .unwrap();
    let routes = Arc::new(Recorded::default());
    let queue = BuildQueue::start(
        store.clone(),
        Arc::new(ReadingBuilds),
        routes.clone(),
        dir.path().join("sources"),
        1,
    );
    queue.recover().await.unwrap();
    let d = store.deployment(&d.id).await.unwrap().unwrap();
    assert!(d.live, "{d:?}");
    let published = routes.0.lock().unwrap().last().cloned().unwrap();
    assert_eq!(published.deployment_id, d.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_step_that_panics_ends_failed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&sqlite_url(dir.path())).await.unwrap();
    let (runner, _started, _gate) = gated();
    let queue = BuildQueue::start(
        store.clone(),
        runner,
        Arc::new(Recorded::default()),
        dir.path().join("sources"),
        1,
    );
    let project = upload_project(&store, "crashing").await;
    let crashed = queue_upload(&queue, &project, "PANIC").await;
    assert_eq!(finished(&queue, &crashed).await, DeploymentStatus::Failed);
    let d = store.deployment(&crashed).await.unwrap().unwrap();
    let error = d.error.unwrap_or_default();
    assert!(
        error.contains("Berth could not finish this build")
            && error.contains("tripped over its own feet"),
        "{error}"
    );
    let log = log_text(&store.logs(&crashed, 0).await.unwrap());
    assert!(
        log.contains("build failed: Berth could not finish"),
        "{log}"
    );
    assert!(!queue.is_running(&crashed));
    // The queue goes on building.
    let next = queue_upload(&queue, &project, "v1").await;
    assert_eq!(finished(&queue, &next).await, DeploymentStatus::Ready);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_build_that_finishes_last_does_not_replace_the_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&sqlite_url(dir.path())).await.unwrap();
    let (runner, mut started, gate) = gated();
    let routes = Arc::new(Recorded::default());
    let queue = BuildQueue::start(
        store.clone(),
        runner,
        routes.clone(),
        dir.path().join("sources"),
        2,
    );
    let project = upload_project(&store, "ordered").await;
    let older = queue_upload(&queue, &project, "WAIT old").await;
    assert_eq!(started.recv().await.as_deref(), Some("WAIT old"));
    let newer = queue_upload(&queue, &project, "new").await;
    assert_eq!(finished(&queue, &newer).await, DeploymentStatus::Ready);
    gate.add_permits(1);
    assert_eq!(finished(&queue, &older).await, DeploymentStatus::Superseded);
    let (old, new) = (
        store.deployment(&older).await.unwrap().unwrap(),
        store.deployment(&newer).await.unwrap().unwrap(),
    );
    assert!(new.live && !old.live, "the newer deployment stays live");
    let last = routes.0.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.deployment_id, newer, "the edges serve the newer one");
    let log = log_text(&store.logs(&older, 0).await.unwrap());
    assert!(log.contains("is live already"), "{log}");
    // A user may still go back to it on purpose.
    let back = queue.promote(&older).await.unwrap();
    assert!(back.live);
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn github_link(store: &Store, operator: Option<String>, allow_local: bool) -> Arc<GitLink> {
    let config = berth_github::GitHubConfig {
        api_base: "http://127.0.0.1:9".into(),
        web_base: "http://127.0.0.1:9".into(),
        client_id: "id".into(),
        client_secret: "secret".into(),
        webhook_secret: "hook-secret".into(),
    };
    let options = GitOptions {
        github: Some(config),
        allow_local_paths: allow_local,
        operator,
        ..GitOptions::default()
    };
    GitLink::new(
        options,
        store.clone(),
        Keyring::new([[7; 32]]),
        "http://127.0.0.1:8080",
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_delivery_that_failed_can_be_redelivered_and_a_handled_one_cannot() {
    let h = Harness::new().await;
    let store = h.store.clone();
    let project = store
        .create_project(NewProject {
            slug: berth_core::ProjectSlug::parse("hooked").unwrap(),
            owner_id: h.alice.id.clone(),
            repo: Some("alice/hooked".into()),
            branch: "main".into(),
            entry: "server.py:mcp".into(),
            limits: Default::default(),
        })
        .await
        .unwrap();
    let app = berth_control::router(h.state.clone().with_git(github_link(&store, None, false)));
    let body = json!({
        "ref": "refs/heads/main",
        "after": "1111111111111111111111111111111111111111",
        "repository": {"id": 1, "full_name": "alice/hooked"},
    })
    .to_string();
    let deliver = || {
        Request::post("/webhooks/github")
            .header("x-github-event", "push")
            .header("x-github-delivery", "delivery-1")
            .header("x-hub-signature-256", sign("hook-secret", body.as_bytes()))
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let send = |req: Request<Body>| {
        let app = app.clone();
        async move {
            use tower::ServiceExt;
            app.oneshot(req).await.unwrap().status()
        }
    };
    // The database refuses new deployments for a moment: the delivery fails.
    let db = sqlx::SqlitePool::connect(&h.db_url()).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER broken BEFORE INSERT ON deployments BEGIN SELECT RAISE(ABORT, 'disk failing'); END",
    )
    .execute(&db)
    .await
    .unwrap();
    let first = app.clone().oneshot(deliver()).await.unwrap();
    let status = first.status();
    let bytes = axum::body::to_bytes(first.into_body(), 1 << 16)
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(store.deployments(&project.id, 10).await.unwrap().is_empty());
    sqlx::query("DROP TRIGGER broken")
        .execute(&db)
        .await
        .unwrap();
    // GitHub's "redeliver" sends the same delivery again: now it is acted on...
    assert_eq!(send(deliver()).await, StatusCode::ACCEPTED);
    assert_eq!(store.deployments(&project.id, 10).await.unwrap().len(), 1);
    // ...and once handled, never twice.
    assert_eq!(send(deliver()).await, StatusCode::CONFLICT);
    assert_eq!(store.deployments(&project.id, 10).await.unwrap().len(), 1);
}

/// Signs alice in through a one-time link; her session cookie (`name=value`).
async fn sign_in(h: &Harness) -> String {
    let token = h.state.auth.sessions.local_link(&h.alice.id);
    let reply = h
        .send(
            Request::get(format!("/auth/local?token={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let cookie = set_cookie(&reply.headers, berth_control::SESSION_COOKIE).unwrap();
    cookie.split(';').next().unwrap().to_string()
}

/// `GET /auth/session` with a cookie: its status and JSON.
async fn session(app: &axum::Router, cookie: &str) -> (StatusCode, serde_json::Value) {
    let req = Request::get("/auth/session")
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    let answer = app.clone().oneshot(req).await.unwrap();
    let status = answer.status();
    let bytes = axum::body::to_bytes(answer.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_and_revoking_survive_a_restart() {
    let h = Harness::new().await;
    let (signed_out, kept) = (sign_in(&h).await, sign_in(&h).await);
    let (status, json) = session(&h.app, &signed_out).await;
    assert_eq!(status, StatusCode::OK);
    let out = h
        .send(
            Request::post("/auth/logout")
                .header("cookie", &signed_out)
                .header(
                    berth_control::CSRF_HEADER,
                    json["csrfToken"].as_str().unwrap(),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let revoked = h
        .api(
            Method::POST,
            "/api/v1/tokens",
            &h.alice_token,
            Some(json!({"name": "laptop"})),
        )
        .await
        .json;
    let gone = h
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", revoked["id"].as_str().unwrap()),
            &h.alice_token,
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    // A restarted control plane: same database and keys, nothing kept in memory.
    let restarted = Store::connect(&h.db_url()).await.unwrap();
    let queue = BuildQueue::start_with_secrets(
        restarted,
        Arc::new(ReadingBuilds),
        Arc::new(Recorded::default()),
        h.sources_dir(),
        1,
        Keyring::new([[42; 32]]),
    );
    let app = berth_control::router(ApiState::new(queue, "http://127.0.0.1:8080"));
    assert_eq!(
        session(&app, &kept).await.0,
        StatusCode::OK,
        "a session nobody ended still works after the restart"
    );
    assert_eq!(
        session(&app, &signed_out).await.0,
        StatusCode::UNAUTHORIZED,
        "the signed-out cookie is refused after the restart"
    );
    let me = Request::get("/api/v1/me")
        .header(
            "authorization",
            format!("Bearer {}", revoked["token"].as_str().unwrap()),
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(me).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "the revoked token is refused after the restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_operator_deploys_from_a_local_path() {
    let h = Harness::new().await;
    let (bob, bob_token) = user(&h.store, "bob").await;
    let _ = bob;
    let repo = tempfile::tempdir().unwrap();
    let link = github_link(&h.store, Some(h.alice.id.clone()), true);
    let app = berth_control::router(h.state.clone().with_git(link));
    let create = |token: &str, slug: &str, path: &str| {
        let app = app.clone();
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/projects")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(json!({"slug": slug, "path": path}).to_string()))
            .unwrap();
        async move {
            use tower::ServiceExt;
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
                .await
                .unwrap();
            (status, String::from_utf8_lossy(&bytes).to_string())
        }
    };
    let path = repo.path().to_str().unwrap();
    let (status, body) = create(&bob_token, "bobs", path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("only the operator"), "{body}");
    // A path that does not exist gets the same answer: nobody else learns what is on the disk.
    let (status, _) = create(&bob_token, "bobs", "/no/such/folder").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(h.store.project("bobs").await.unwrap().is_none());
    let (status, body) = create(&h.alice_token, "local", path).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
