//! A GitHub stand-in for Berth's end-to-end tests. It speaks the shapes Berth uses of the real
//! GitHub, on a loopback port: the OAuth web flow (the authorize page approves the configured test
//! user at once and redirects back with a code and the state; the token endpoint checks the client
//! secret and the PKCE verifier), `/user`, `/user/repos`, `/repos/{owner}/{repo}`, commit statuses and
//! issue comments (recorded for assertions), and git over smart HTTP for repositories the test builds
//! (each request runs `git http-backend` as CGI). [`StandIn::deliver`] sends a webhook the way GitHub
//! does: `X-GitHub-Event`, `X-GitHub-Delivery`, `X-Hub-Signature-256` and the real payload shape.
//!
//! The REST API is served under `/api/v3` (as GitHub Enterprise does), the web pages and git at the root,
//! so the API and web base URLs differ as they do on github.com.

mod api;
mod git;
mod webhook;

pub use git::Repo;
pub use webhook::{Delivery, pull_request_payload, push_payload};

use anyhow::{Context, Result};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The signed-in test user.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: i64,
    pub login: String,
    pub name: String,
    /// The access token the token endpoint hands out for this user.
    pub token: String,
}

/// A commit status as posted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedStatus {
    pub repo: String,
    pub sha: String,
    pub state: String,
    pub target_url: Option<String>,
    pub description: Option<String>,
    pub context: String,
}

/// An issue comment as it now reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedComment {
    pub id: i64,
    pub repo: String,
    pub issue: u64,
    pub body: String,
    /// How many times it was edited.
    pub edits: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct RepoInfo {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub private: bool,
    /// Whether the test user may push (otherwise they can only read it).
    pub push: bool,
    pub default_branch: String,
}

#[derive(Default)]
pub(crate) struct State {
    pub repos: HashMap<String, RepoInfo>,
    /// code -> (PKCE challenge, redirect URI)
    pub codes: HashMap<String, (Option<String>, String)>,
    pub statuses: Vec<RecordedStatus>,
    pub comments: Vec<RecordedComment>,
    pub next_id: i64,
}

pub(crate) struct Shared {
    pub user: TestUser,
    pub client_id: String,
    pub client_secret: String,
    pub repos_root: PathBuf,
    pub state: Mutex<State>,
}

impl Shared {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running stand-in; stops when dropped.
pub struct StandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    webhook_secret: String,
    http: reqwest::Client,
    _root: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl StandIn {
    /// Starts on a free loopback port with the test user `octo` (token `gho_` + random).
    pub async fn start() -> Result<StandIn> {
        let root = tempfile::Builder::new()
            .prefix("github-standin-")
            .tempdir()?;
        let repos_root = root.path().join("repos");
        std::fs::create_dir_all(&repos_root)?;
        let token = format!("gho_{}", hex::encode(rand::random::<[u8; 16]>()));
        let shared = Arc::new(Shared {
            user: TestUser {
                id: 1001,
                login: "octo".into(),
                name: "Octo Cat".into(),
                token,
            },
            client_id: "Iv1.berthtest".into(),
            client_secret: hex::encode(rand::random::<[u8; 20]>()),
            repos_root,
            state: Mutex::new(State {
                next_id: 5000,
                ..State::default()
            }),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the stand-in")?;
        let addr = listener.local_addr()?;
        let app = api::router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the GitHub stand-in stopped");
            }
        });
        Ok(StandIn {
            addr,
            shared,
            webhook_secret: hex::encode(rand::random::<[u8; 16]>()),
            http: reqwest::Client::new(),
            _root: root,
            server,
        })
    }

    /// The web base URL (OAuth pages, git): `http://127.0.0.1:PORT`.
    pub fn web_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The REST API's base URL: `http://127.0.0.1:PORT/api/v3`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/v3", self.addr)
    }

    pub fn user(&self) -> &TestUser {
        &self.shared.user
    }

    pub fn client_id(&self) -> &str {
        &self.shared.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.shared.client_secret
    }

    pub fn webhook_secret(&self) -> &str {
        &self.webhook_secret
    }

    /// Makes an empty repository `owner/name` (default branch `main`) that the test user can push to.
    pub fn create_repo(&self, full_name: &str, private: bool) -> Result<Repo> {
        self.add_repo(full_name, private, true)
    }

    /// Makes a repository the test user can read but not push to (someone else's).
    pub fn create_foreign_repo(&self, full_name: &str) -> Result<Repo> {
        self.add_repo(full_name, false, false)
    }

    fn add_repo(&self, full_name: &str, private: bool, push: bool) -> Result<Repo> {
        let (owner, name) = full_name.split_once('/').context("owner/name")?;
        let repo = Repo::create(&self.shared.repos_root, full_name)?;
        let mut state = self.shared.lock();
        state.next_id += 1;
        let info = RepoInfo {
            id: state.next_id,
            owner: owner.into(),
            name: name.into(),
            private,
            push,
            default_branch: "main".into(),
        };
        state.repos.insert(full_name.to_lowercase(), info);
        Ok(repo)
    }

    /// Every commit status posted so far, oldest first.
    pub fn statuses(&self) -> Vec<RecordedStatus> {
        self.shared.lock().statuses.clone()
    }

    /// The comments on one issue or pull request, oldest first.
    pub fn comments(&self, repo: &str, issue: u64) -> Vec<RecordedComment> {
        let state = self.shared.lock();
        state
            .comments
            .iter()
            .filter(|c| c.repo.eq_ignore_ascii_case(repo) && c.issue == issue)
            .cloned()
            .collect()
    }

    /// The webhook secret-signed delivery of `payload` as event `event`, with a fresh delivery id.
    pub fn delivery(&self, event: &str, payload: &serde_json::Value) -> Delivery {
        Delivery::new(&self.webhook_secret, event, payload)
    }

    /// Sends a delivery to `url` exactly as GitHub would; returns the status and body.
    pub async fn deliver(&self, url: &str, delivery: &Delivery) -> Result<(u16, String)> {
        delivery.send(&self.http, url).await
    }

    /// The JSON GitHub's `/repos/{owner}/{repo}` gives for a repository this stand-in holds.
    pub fn repository_json(&self, full_name: &str) -> Option<serde_json::Value> {
        let state = self.shared.lock();
        state
            .repos
            .get(&full_name.to_lowercase())
            .map(|r| api::repo_json(&self.web_url(), r))
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}
