//! GitHub's REST API, the few endpoints Berth uses, with a user's (or installation's) token.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::{Error, GitHubConfig, RepoName};

pub(crate) const USER_AGENT: &str = concat!("berth/", env!("CARGO_PKG_VERSION"));
/// A GitHub API call that takes longer than this has failed; webhooks and builds must not hang on it.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Pages of repositories or comments read at most (100 per page).
const MAX_PAGES: usize = 10;
/// Longest status description GitHub accepts.
const MAX_STATUS_DESCRIPTION: usize = 140;

/// A GitHub account, as `/user` describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitHubUser {
    pub id: i64,
    pub login: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// What the signed-in user may do with a repository.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryPermissions {
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub push: bool,
    #[serde(default)]
    pub pull: bool,
}

/// A repository, as `/repos/{owner}/{repo}` and `/user/repos` describe it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub id: i64,
    pub full_name: String,
    #[serde(default)]
    pub private: bool,
    pub default_branch: String,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub permissions: Option<RepositoryPermissions>,
}

impl Repository {
    /// Whether the user may deploy it: they can push to it (so they could change its code anyway).
    pub fn can_deploy(&self) -> bool {
        self.permissions.is_some_and(|p| p.admin || p.push)
    }
}

/// A commit status's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitState {
    Pending,
    Success,
    Failure,
    Error,
}

/// A commit status: its state, where "Details" leads (the build log), a short description, and the
/// context it is filed under (`berth`, `berth/preview`).
#[derive(Clone, Debug)]
pub struct Status<'a> {
    pub state: CommitState,
    pub target_url: &'a str,
    pub description: &'a str,
    pub context: &'a str,
}

#[derive(Deserialize)]
struct Comment {
    id: i64,
    #[serde(default)]
    body: Option<String>,
}

/// A client for GitHub's REST API at the configured base URL. Cheap to clone.
#[derive(Clone, Debug)]
pub struct GitHub {
    config: GitHubConfig,
    http: reqwest::Client,
}

impl GitHub {
    pub fn new(config: GitHubConfig) -> Result<GitHub, Error> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(GitHub { config, http })
    }

    pub fn config(&self) -> &GitHubConfig {
        &self.config
    }

    /// The account the token belongs to.
    pub async fn user(&self, token: &str) -> Result<GitHubUser, Error> {
        self.get(token, "/user").await
    }

    /// The repositories the user owns, collaborates on or reaches through an organization, most
    /// recently pushed first.
    pub async fn repositories(&self, token: &str) -> Result<Vec<Repository>, Error> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let batch: Vec<Repository> = self
                .get(
                    token,
                    &format!("/user/repos?per_page=100&sort=pushed&page={page}"),
                )
                .await?;
            let last = batch.len() < 100;
            all.extend(batch);
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// One repository, with the token's permissions on it; `Refused { status: 404 }` if the token cannot
    /// see it (GitHub does not tell "private" from "missing").
    pub async fn repository(&self, token: &str, repo: &RepoName) -> Result<Repository, Error> {
        self.get(token, &format!("/repos/{}/{}", repo.owner, repo.name))
            .await
    }

    /// Sets a commit status on `sha`.
    pub async fn set_status(
        &self,
        token: &str,
        repo: &RepoName,
        sha: &str,
        status: &Status<'_>,
    ) -> Result<(), Error> {
        let description: String = status
            .description
            .chars()
            .take(MAX_STATUS_DESCRIPTION)
            .collect();
        let body = serde_json::json!({
            "state": status.state, "target_url": status.target_url, "description": description,
            "context": status.context,
        });
        let path = format!("/repos/{}/{}/statuses/{sha}", repo.owner, repo.name);
        let _: serde_json::Value = self
            .send(reqwest::Method::POST, token, &path, Some(body))
            .await?;
        Ok(())
    }

    /// Puts `body` on pull request `pr` as one comment: the earlier comment containing `marker` (an HTML
    /// comment, invisible on GitHub) is edited if there is one, otherwise a comment is created. Returns
    /// the comment's id.
    pub async fn upsert_comment(
        &self,
        token: &str,
        repo: &RepoName,
        pr: u64,
        marker: &str,
        body: &str,
    ) -> Result<i64, Error> {
        let body = if body.contains(marker) {
            body.to_string()
        } else {
            format!("{marker}\n{body}")
        };
        let mut existing = None;
        for page in 1..=MAX_PAGES {
            let path = format!(
                "/repos/{}/{}/issues/{pr}/comments?per_page=100&page={page}",
                repo.owner, repo.name
            );
            let batch: Vec<Comment> = self.get(token, &path).await?;
            let last = batch.len() < 100;
            existing = batch
                .into_iter()
                .find(|c| c.body.as_deref().is_some_and(|b| b.contains(marker)));
            if existing.is_some() || last {
                break;
            }
        }
        let json = serde_json::json!({ "body": body });
        let comment: Comment = match existing {
            Some(c) => {
                let path = format!(
                    "/repos/{}/{}/issues/comments/{}",
                    repo.owner, repo.name, c.id
                );
                self.send(reqwest::Method::PATCH, token, &path, Some(json))
                    .await?
            }
            None => {
                let path = format!("/repos/{}/{}/issues/{pr}/comments", repo.owner, repo.name);
                self.send(reqwest::Method::POST, token, &path, Some(json))
                    .await?
            }
        };
        Ok(comment.id)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, Error> {
        self.send(reqwest::Method::GET, token, path, None).await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, Error> {
        let url = format!("{}{path}", self.config.api());
        let mut request = self
            .http
            .request(method, &url)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Error::Transport(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err(Error::Refused {
                status: status.as_u16(),
                message,
            });
        }
        response
            .json()
            .await
            .map_err(|e| Error::Transport(format!("unexpected answer from {path}: {e}")))
    }
}
