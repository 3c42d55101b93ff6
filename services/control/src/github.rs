//! Git and GitHub for the control plane: [`GitLink`] signs users in with GitHub (keeping their token
//! sealed, here and nowhere else), fetches git deployments for the build queue, and reports builds
//! back to GitHub as commit statuses and one comment per pull request.
//!
//! Clone URLs are made here from the configured git host and a project's `owner/name`; they never come
//! from a request or a payload. Local repository paths are fetched only when the operator allowed them.

use berth_github::fetch::{FetchLimits, FetchRequest, GitSource, fetch_commit};
use berth_github::{CommitState, GitHub, GitHubConfig, RepoName, SignIn, Status};
use berth_store::{Deployment, NewUser, Project, Store, Target, User};
use std::path::Path;
use std::sync::Arc;

use crate::auth::{Authorization, IdentityProvider};
use crate::sources::{BuildReport, DeploymentSource, FetchedCommit};
use crate::{ApiError, ApiState, Keyring, LogSink};

/// Why a user other than the operator cannot deploy from a path.
pub(crate) const LOCAL_PATHS_ARE_THE_OPERATORS: &str = "only the operator of this Berth may deploy from a git repository on its disk; \
     deploy from a GitHub repository (`repo`) or upload your project instead";

/// The commit-status context of production builds; previews use `berth/preview`.
const STATUS_CONTEXT: &str = "berth";

/// How Berth reaches git hosts.
#[derive(Clone, Debug, Default)]
pub struct GitOptions {
    /// GitHub, when an OAuth app is configured: sign-in, repository projects, webhooks, statuses.
    pub github: Option<GitHubConfig>,
    /// Whether projects may deploy from git repositories on this machine's disk (a path).
    pub allow_local_paths: bool,
    /// The operator's user id (the local operator of `berth up`): the only user who may deploy from a
    /// local path, since the files on this machine are the operator's. `None`: nobody may.
    pub operator: Option<String>,
    pub limits: FetchLimits,
}

/// Git and GitHub, as the control plane uses them.
pub struct GitLink {
    github: Option<(GitHub, SignIn)>,
    allow_local_paths: bool,
    operator: Option<String>,
    limits: FetchLimits,
    store: Store,
    keys: Keyring,
    public_url: String,
}

impl GitLink {
    /// `public_url` is Berth's own (for the OAuth callback and the links posted to GitHub).
    pub fn new(
        options: GitOptions,
        store: Store,
        keys: Keyring,
        public_url: &str,
    ) -> Result<Arc<GitLink>, String> {
        let public_url = public_url.trim_end_matches('/').to_string();
        let github = match options.github {
            Some(config) => {
                let callback = format!("{public_url}/auth/github/callback");
                let sign_in = SignIn::new(config.clone(), callback).map_err(|e| e.to_string())?;
                Some((GitHub::new(config).map_err(|e| e.to_string())?, sign_in))
            }
            None => None,
        };
        Ok(Arc::new(GitLink {
            github,
            allow_local_paths: options.allow_local_paths,
            operator: options.operator,
            limits: options.limits,
            store,
            keys,
            public_url,
        }))
    }

    /// The GitHub API client, or a 404 saying GitHub is not configured.
    pub(crate) fn github(&self) -> Result<&GitHub, ApiError> {
        self.github.as_ref().map(|(gh, _)| gh).ok_or_else(|| {
            ApiError::NotFound(
                "GitHub is not configured on this Berth: the operator sets its client id, client secret and webhook \
                 secret (`berth up --help`)"
                    .into(),
            )
        })
    }

    /// Keeps a user's GitHub token, sealed with the platform's keys.
    pub(crate) async fn save_token(&self, github_id: i64, token: &str) -> Result<(), ApiError> {
        let sealed = self
            .keys
            .seal(&token_context(github_id), token)
            .map_err(|e| ApiError::Internal(format!("cannot seal a GitHub token: {e}")))?;
        Ok(self.store.set_github_token(github_id, &sealed).await?)
    }

    /// The user's GitHub token, if they signed in with GitHub.
    pub(crate) async fn token_of(&self, user: &User) -> Result<Option<String>, ApiError> {
        let Some(github_id) = user.github_id else {
            return Ok(None);
        };
        let Some(sealed) = self.store.github_token(github_id).await? else {
            return Ok(None);
        };
        match self.keys.open(&token_context(github_id), &sealed) {
            Ok(token) => Ok(Some(token)),
            Err(e) => {
                tracing::warn!(user = %user.id, error = %e, "cannot open a stored GitHub token; the user must sign in again");
                Ok(None)
            }
        }
    }

    /// The token of a project's owner, for fetching and reporting.
    async fn owner_token(&self, project: &Project) -> Option<String> {
        let owner = self.store.user(&project.owner_id).await.ok().flatten()?;
        self.token_of(&owner).await.ok().flatten()
    }

    fn build_log_url(&self, deployment: &Deployment) -> String {
        format!(
            "{}/api/v1/deployments/{}/logs",
            self.public_url, deployment.id
        )
    }
}

fn token_context(github_id: i64) -> String {
    format!("github-token:{github_id}")
}

impl ApiState {
    /// Turns on git deployments, and with GitHub configured, sign-in with GitHub and its webhooks.
    pub fn with_git(mut self, link: Arc<GitLink>) -> ApiState {
        if link.github.is_some() {
            self.auth.identity = Some(link.clone());
        }
        self.git = Some(link);
        self
    }

    pub(crate) fn git(&self) -> Result<&Arc<GitLink>, ApiError> {
        self.git.as_ref().ok_or_else(|| {
            ApiError::NotFound("git deployments are not enabled on this Berth".into())
        })
    }
}

#[async_trait::async_trait]
impl IdentityProvider for GitLink {
    fn authorize(&self) -> Result<Authorization, String> {
        let (_, sign_in) = self.github.as_ref().ok_or("GitHub is not configured")?;
        let a = sign_in.authorize().map_err(|e| e.to_string())?;
        Ok(Authorization {
            url: a.url,
            state: a.state,
            pkce_verifier: a.pkce_verifier,
        })
    }

    async fn sign_in(&self, code: &str, pkce_verifier: &str) -> Result<NewUser, String> {
        let (gh, sign_in) = self.github.as_ref().ok_or("GitHub is not configured")?;
        let token = sign_in
            .exchange(code, pkce_verifier)
            .await
            .map_err(|e| e.to_string())?;
        let user = gh.user(&token).await.map_err(|e| e.to_string())?;
        self.save_token(user.id, &token)
            .await
            .map_err(|e| e.to_string())?;
        Ok(NewUser {
            github_id: Some(user.id),
            login: user.login,
            name: user.name,
            avatar_url: user.avatar_url,
        })
    }
}

/// Where a project's repository is: `owner/name` on GitHub, or an absolute path on this machine. A
/// path is the operator's alone: `owner_id` (who asks, or whose project it is) must be the operator.
pub(crate) fn repo_source(link: &GitLink, repo: &str, owner_id: &str) -> Result<GitSource, String> {
    if repo.starts_with('/') {
        // Checked before the path is looked at: nobody else learns which folders exist here.
        if link.allow_local_paths && link.operator.as_deref() != Some(owner_id) {
            return Err(LOCAL_PATHS_ARE_THE_OPERATORS.into());
        }
        return GitSource::check(repo, "", link.allow_local_paths);
    }
    let (gh, _) = link
        .github
        .as_ref()
        .ok_or("GitHub is not configured on this Berth")?;
    let name = RepoName::parse(repo).map_err(|e| e.to_string())?;
    GitSource::check(&gh.config().clone_url(&name), gh.config().web(), false)
}

#[async_trait::async_trait]
impl DeploymentSource for GitLink {
    fn fetches(&self, d: &Deployment) -> bool {
        matches!(d.source.kind.as_str(), "github" | "git")
    }

    async fn fetch(
        &self,
        project: &Project,
        d: &Deployment,
        dest: &Path,
        log: LogSink,
    ) -> Result<FetchedCommit, String> {
        let repo = project
            .repo
            .as_deref()
            .ok_or("the project has no repository to fetch from")?;
        let source = repo_source(self, repo, &project.owner_id)?;
        let git_ref = match d.target {
            Target::Production => format!(
                "refs/heads/{}",
                d.source.branch.as_deref().unwrap_or(&project.branch)
            ),
            Target::Preview { pr } => format!("refs/pull/{pr}/head"),
        };
        let token = match source {
            GitSource::Url(_) => self.owner_token(project).await,
            GitSource::Local(_) => None,
        };
        log(&format!(
            "fetching {} from {repo}",
            d.source.commit.as_deref().unwrap_or(&git_ref)
        ));
        let request = FetchRequest {
            source,
            commit: d.source.commit.clone(),
            git_ref,
            token,
            limits: self.limits.clone(),
        };
        let scratch = dest.with_extension("git");
        let (dest, timeout) = (dest.to_path_buf(), self.limits.timeout);
        let task = tokio::task::spawn_blocking({
            let scratch = scratch.clone();
            move || {
                let log_ref = |line: &str| log(line);
                let result = fetch_commit(&request, &scratch, &dest, &log_ref);
                if result.is_err() {
                    let _ = std::fs::remove_dir_all(&dest);
                }
                result
            }
        });
        // The fetch stops itself at its time limit; this is a backstop should the git host stall silently.
        let outcome =
            match tokio::time::timeout(timeout + std::time::Duration::from_secs(10), task).await {
                Ok(Ok(result)) => result.map(|f| FetchedCommit {
                    commit: f.commit,
                    author: f.author,
                    message: f.message,
                }),
                Ok(Err(e)) => Err(format!("the fetch crashed: {e}")),
                Err(_) => Err(format!(
                    "fetching took longer than {} s; try again later",
                    timeout.as_secs()
                )),
            };
        let _ = std::fs::remove_dir_all(&scratch);
        outcome
    }

    async fn report(&self, project: &Project, d: &Deployment, report: BuildReport) {
        if d.source.kind != "github" {
            return;
        }
        let (Some((gh, _)), Some(repo), Some(sha)) = (
            &self.github,
            project.repo.as_deref(),
            d.source.commit.as_deref(),
        ) else {
            return;
        };
        let (Ok(repo), Some(token)) = (RepoName::parse(repo), self.owner_token(project).await)
        else {
            tracing::warn!(project = %project.slug, "no GitHub token for the project's owner: cannot report the build");
            return;
        };
        let logs = self.build_log_url(d);
        let (state, description) = match &report {
            BuildReport::Building => (CommitState::Pending, "Building on Berth".to_string()),
            BuildReport::Live(slug) => (
                CommitState::Success,
                format!("Live at {}/{slug}/mcp", self.public_url),
            ),
            BuildReport::Failed(why) => (CommitState::Failure, format!("Build failed: {why}")),
            BuildReport::Superseded(_) => (
                CommitState::Success,
                "Built; a newer deployment is live, this one is kept for a rollback".to_string(),
            ),
        };
        let context = match d.target {
            Target::Production => STATUS_CONTEXT.to_string(),
            Target::Preview { .. } => format!("{STATUS_CONTEXT}/preview"),
        };
        let status = Status {
            state,
            target_url: &logs,
            description: &description,
            context: &context,
        };
        if let Err(e) = gh.set_status(&token, &repo, sha, &status).await {
            tracing::warn!(project = %project.slug, error = %e, "cannot set the commit status");
        }
        if let Target::Preview { pr } = d.target
            && !matches!(report, BuildReport::Building | BuildReport::Superseded(_))
        {
            let body = preview_comment(&self.public_url, project, pr, sha, &report, &logs);
            if let Err(e) = gh
                .upsert_comment(&token, &repo, pr, &preview_marker(project), &body)
                .await
            {
                tracing::warn!(project = %project.slug, error = %e, "cannot comment on the pull request");
            }
        }
    }
}

/// The invisible marker that finds Berth's comment for a project on a pull request.
fn preview_marker(project: &Project) -> String {
    format!("<!-- berth-preview:{} -->", project.slug)
}

fn preview_comment(
    public_url: &str,
    project: &Project,
    pr: u64,
    sha: &str,
    report: &BuildReport,
    logs: &str,
) -> String {
    let short = &sha[..sha.len().min(7)];
    let url = format!("{public_url}/{}/mcp", project.slug.preview(pr));
    match report {
        BuildReport::Failed(why) => format!(
            "{}\n**Berth preview** of `{}`: the build of {short} failed.\n\n> {}\n\n[Build log]({logs})",
            preview_marker(project),
            project.slug,
            why.lines().next().unwrap_or("")
        ),
        _ => format!(
            "{}\n**Berth preview** of `{}` is live for {short}:\n\n{url}\n\n[Build log]({logs})",
            preview_marker(project),
            project.slug
        ),
    }
}
