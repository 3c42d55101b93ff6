//! The records the store keeps, as the control plane sees them.

use berth_core::{Limits, ProjectSlug};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A person who signs in (through GitHub, or created locally by the operator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub github_id: Option<i64>,
    pub login: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub created_at: i64,
}

/// What sign-in knows about a user. Upserted by GitHub id when there is one, else by login.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NewUser {
    pub github_id: Option<i64>,
    pub login: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
}

/// An API token's metadata. The token itself is never stored, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProject {
    pub slug: ProjectSlug,
    pub owner_id: String,
    /// The GitHub repository it deploys from, `owner/name`; `None` for upload-only projects.
    pub repo: Option<String>,
    /// The branch whose pushes go to production.
    pub branch: String,
    /// Where the server object is, e.g. `server.py:mcp`.
    pub entry: String,
    pub limits: Limits,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: String,
    pub slug: ProjectSlug,
    pub owner_id: String,
    pub repo: Option<String>,
    pub branch: String,
    pub entry: String,
    pub limits: Limits,
    pub created_at: i64,
    /// Whether its MCP endpoint (production and previews) answers only requests with one of its API keys.
    pub private: bool,
    /// Hosts its deployments may reach over HTTP besides those their berth.toml allows (allow list
    /// entries, checked when set).
    pub network_allow: Vec<String>,
}

/// A partial change to a project; `None` leaves a field as it is.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProjectUpdate {
    pub branch: Option<String>,
    pub entry: Option<String>,
    pub limits: Option<Limits>,
    pub private: Option<bool>,
    pub network_allow: Option<Vec<String>>,
}

/// An API key of a project, for its headless MCP clients. The key itself is never stored, only its
/// SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// `k-` followed by 16 hex digits.
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// What the key may do; today only `mcp` (call the project's MCP endpoint).
    pub scopes: Vec<String>,
    pub created_at: i64,
    /// When it was last used, to within a minute or so (uses are noted at most once a minute).
    pub last_used_at: Option<i64>,
}

/// A key to record: its hash ([`crate::hash_token`] of the key) and what the key may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiKey {
    pub project_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub key_hash: String,
}

/// Where a deployment serves: the project's production URL, or the preview of one pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    Production,
    Preview { pr: u64 },
}

/// Where a deployment's code came from.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Source {
    /// `upload`, `git` or `github`.
    pub kind: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub author: Option<String>,
    pub message: Option<String>,
}

/// The source kinds a deployment may come from.
pub const SOURCE_KINDS: &[&str] = &["upload", "git", "github"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDeployment {
    pub project_id: String,
    pub target: Target,
    pub source: Source,
}

impl NewDeployment {
    /// A deployment of the project's production target.
    pub fn production(project_id: &str, source: Source) -> Self {
        Self {
            project_id: project_id.to_string(),
            target: Target::Production,
            source,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentStatus {
    Queued,
    Building,
    Ready,
    Failed,
    /// Was live and was replaced by another deployment of the same target, or finished building after
    /// a newer deployment of its target had gone live; its artifact is kept so it can be promoted again
    /// (rollback).
    Superseded,
}

impl DeploymentStatus {
    pub const ALL: [DeploymentStatus; 5] = [
        Self::Queued,
        Self::Building,
        Self::Ready,
        Self::Failed,
        Self::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Building => "building",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Whether the build is over (successfully or not).
    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Queued | Self::Building)
    }
}

impl fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One build of a project. Immutable apart from its status, timings and results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// `d-` followed by 16 hex digits.
    pub id: String,
    pub project_id: String,
    pub target: Target,
    pub source: Source,
    pub status: DeploymentStatus,
    /// Whether this deployment currently serves its target.
    pub live: bool,
    /// The stored artifact's key, once built.
    pub artifact: Option<String>,
    /// The server's self-description (`ServerDescription` as JSON), once built.
    pub description_json: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// Which deployments see an environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvScope {
    All,
    Production,
    Preview,
}

impl EnvScope {
    pub const ALL: [EnvScope; 3] = [Self::All, Self::Production, Self::Preview];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Production => "production",
            Self::Preview => "preview",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Whether a variable of this scope applies to a deployment of `target`.
    pub fn applies_to(self, target: Target) -> bool {
        matches!(
            (self, target),
            (Self::All, _)
                | (Self::Production, Target::Production)
                | (Self::Preview, Target::Preview { .. })
        )
    }
}

impl fmt::Display for EnvScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A project's environment variable. Secret values arrive already encrypted by the control plane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
    pub secret: bool,
    pub scope: EnvScope,
    /// Set by the store when the variable is written; ignored on input.
    pub updated_at: i64,
}
