//! A control plane on a real SQLite file, driven through its real router with `oneshot`. Builds are
//! done by a stand-in runner (the control plane never builds; the builder's own tests cover that) and
//! routes are recorded instead of served.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use berth_control::{
    ApiState, BuildQueue, BuildRunner, Keyring, LiveRoute, LogSink, RoutePublisher,
};
use berth_core::ServerDescription;
use berth_store::{NewUser, Store, User};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

/// "Builds" a project by reading its `server.py`: the artifact names the file's content, and a file
/// containing `FAIL` fails the build.
pub struct ReadingBuilds;

#[async_trait::async_trait]
impl BuildRunner for ReadingBuilds {
    async fn build(
        &self,
        source: PathBuf,
        _entry: String,
        log: LogSink,
    ) -> Result<(String, ServerDescription), String> {
        let code = std::fs::read_to_string(source.join("server.py")).map_err(|e| e.to_string())?;
        log("compiling server.py");
        if code.contains("FAIL") {
            return Err("server.py, line 1: FAIL".into());
        }
        // `allow:<host>` words stand for berth.toml's `[network] allow` entries.
        let network_allow = code
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("allow:"))
            .map(str::to_string)
            .collect();
        let description = ServerDescription {
            name: code.trim().to_string(),
            network_allow,
            ..Default::default()
        };
        Ok((format!("artifact:{}", code.trim()), description))
    }
}

/// Remembers every route published.
#[derive(Default)]
pub struct Recorded(pub Mutex<Vec<LiveRoute>>);

#[async_trait::async_trait]
impl RoutePublisher for Recorded {
    async fn publish(&self, route: LiveRoute) {
        self.0.lock().unwrap().push(route);
    }
    async fn withdraw(&self, _slug: &str) {}
}

pub struct Harness {
    pub app: Router,
    pub state: ApiState,
    pub store: Store,
    pub routes: Arc<Recorded>,
    /// The first user and an API token of theirs.
    pub alice: User,
    pub alice_token: String,
    _dir: tempfile::TempDir,
}

/// A response: status, headers and the body as JSON (`Null` when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with_keys(Keyring::new([[42; 32]]), "http://127.0.0.1:8080").await
    }

    pub async fn with_keys(keys: Keyring, public_url: &str) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!(
            "sqlite://{}",
            dir.path().join("berth.db").display()
        ))
        .await
        .unwrap();
        let routes = Arc::new(Recorded::default());
        let queue = BuildQueue::start_with_secrets(
            store.clone(),
            Arc::new(ReadingBuilds),
            routes.clone(),
            dir.path().join("sources"),
            2,
            keys,
        );
        let state = ApiState::new(queue, public_url);
        let app = berth_control::router(state.clone());
        let (alice, alice_token) = user(&store, "alice").await;
        Harness {
            app,
            state,
            store,
            routes,
            alice,
            alice_token,
            _dir: dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
        }
    }

    /// A request with a Bearer token and an optional JSON body.
    pub async fn api(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"));
        let body = match body {
            Some(json) => {
                req = req.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// Uploads a project whose `server.py` holds `code` and waits for the build to end; returns the
    /// deployment as the API shows it.
    pub async fn deploy(&self, slug: &str, token: &str, code: &str) -> Value {
        let req = Request::post(format!("/api/v1/projects/{slug}/deployments"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(tarball(code)))
            .unwrap();
        let reply = self.send(req).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
        let id = reply.json["id"].as_str().unwrap().to_string();
        for _ in 0..200 {
            let d = self
                .api(
                    Method::GET,
                    &format!("/api/v1/deployments/{id}"),
                    token,
                    None,
                )
                .await
                .json;
            if matches!(d["status"].as_str(), Some("ready" | "failed"))
                && (d["status"] == "failed" || d["live"] == true)
            {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("deployment {id} did not finish");
    }

    /// The URL of the harness's SQLite database, for a second store on it (a restarted process).
    pub fn db_url(&self) -> String {
        format!("sqlite://{}", self._dir.path().join("berth.db").display())
    }

    /// Where the harness's queue unpacks sources.
    pub fn sources_dir(&self) -> PathBuf {
        self._dir.path().join("sources")
    }

    /// The last route published for a slug.
    pub fn last_route(&self, slug: &str) -> LiveRoute {
        let routes = self.routes.0.lock().unwrap();
        routes
            .iter()
            .rev()
            .find(|r| r.slug.as_str() == slug)
            .cloned()
            .expect("a published route")
    }
}

/// A user and an API token of theirs.
pub async fn user(store: &Store, login: &str) -> (User, String) {
    let user = store
        .upsert_user(NewUser {
            login: login.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let token = berth_control::new_api_token();
    store
        .create_token(&user.id, "test", &berth_store::hash_token(&token))
        .await
        .unwrap();
    (user, token)
}

/// A gzip'd tar holding `server.py`.
pub fn tarball(code: &str) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let mut header = tar::Header::new_gnu();
    header.set_size(code.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "server.py", code.as_bytes())
        .unwrap();
    tar.into_inner().unwrap().finish().unwrap()
}

/// The `name=value` pair of a `Set-Cookie` header with this name.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_string)
}
