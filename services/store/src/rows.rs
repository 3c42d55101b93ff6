//! Column lists and row decoding, shared by both backends.
//!
//! Rows are read by position, in the order of the column lists below, so the same decoder serves a
//! plain `SELECT` and a join that selects two tables' lists side by side.

use crate::StoreError;
use crate::model::{
    ApiKey, ApiToken, Deployment, DeploymentStatus, EnvScope, EnvVar, Project, Source, Target, User,
};
use berth_core::{Limits, ProjectSlug};
use sqlx::any::{Any, AnyRow};
use sqlx::{Decode, Row, Type};

pub(crate) const USER_COLS: &str = "id, github_id, login, name, avatar_url, created_at";
pub(crate) const TOKEN_COLS: &str = "id, user_id, name, created_at, last_used_at";
pub(crate) const PROJECT_COLS: &str =
    "id, slug, owner_id, repo, branch, entry, limits_json, created_at, private, network_allow_json";
pub(crate) const DEPLOYMENT_COLS: &str = "id, project_id, target, pr, source_kind, source_commit, source_branch, \
     source_author, source_message, status, live, artifact, description_json, error, created_at, started_at, finished_at";
/// [`PROJECT_COLS`] of the table aliased `p`, then [`DEPLOYMENT_COLS`] of the table aliased `d`.
pub(crate) const PROJECT_DEPLOYMENT_COLS: &str = "p.id, p.slug, p.owner_id, p.repo, p.branch, p.entry, \
     p.limits_json, p.created_at, p.private, p.network_allow_json, d.id, d.project_id, d.target, d.pr, d.source_kind, d.source_commit, d.source_branch, \
     d.source_author, d.source_message, d.status, d.live, d.artifact, d.description_json, d.error, d.created_at, \
     d.started_at, d.finished_at";
pub(crate) const ENV_COLS: &str = "key, value, secret, scope, updated_at";
pub(crate) const API_KEY_COLS: &str = "id, project_id, name, scopes, created_at, last_used_at";

/// Reads a row's columns one after another.
pub(crate) struct Cols<'r> {
    row: &'r AnyRow,
    at: usize,
}

impl<'r> Cols<'r> {
    pub(crate) fn new(row: &'r AnyRow) -> Self {
        Self { row, at: 0 }
    }

    pub(crate) fn next<T>(&mut self) -> Result<T, StoreError>
    where
        T: Decode<'r, Any> + Type<Any>,
    {
        let value = self.row.try_get(self.at).map_err(StoreError::from);
        self.at += 1;
        value
    }

    /// A boolean: PostgreSQL has the type, SQLite stores 0 or 1.
    fn next_bool(&mut self) -> Result<bool, StoreError> {
        let value = match self.row.try_get::<bool, _>(self.at) {
            Ok(b) => Ok(b),
            Err(_) => self
                .row
                .try_get::<i64, _>(self.at)
                .map(|i| i != 0)
                .map_err(StoreError::from),
        };
        self.at += 1;
        value
    }

    pub(crate) fn user(&mut self) -> Result<User, StoreError> {
        Ok(User {
            id: self.next()?,
            github_id: self.next()?,
            login: self.next()?,
            name: self.next()?,
            avatar_url: self.next()?,
            created_at: self.next()?,
        })
    }

    pub(crate) fn token(&mut self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: self.next()?,
            user_id: self.next()?,
            name: self.next()?,
            created_at: self.next()?,
            last_used_at: self.next()?,
        })
    }

    pub(crate) fn project(&mut self) -> Result<Project, StoreError> {
        let id: String = self.next()?;
        let slug: String = self.next()?;
        let slug = ProjectSlug::parse(&slug).map_err(|e| corrupt(&id, &e.to_string()))?;
        let owner_id = self.next()?;
        let repo = self.next()?;
        let branch = self.next()?;
        let entry = self.next()?;
        let limits: String = self.next()?;
        let limits: Limits =
            serde_json::from_str(&limits).map_err(|e| corrupt(&id, &e.to_string()))?;
        let created_at = self.next()?;
        let private = self.next_bool()?;
        let network_allow: String = self.next()?;
        let network_allow =
            serde_json::from_str(&network_allow).map_err(|e| corrupt(&id, &e.to_string()))?;
        Ok(Project {
            id,
            slug,
            owner_id,
            repo,
            branch,
            entry,
            limits,
            created_at,
            private,
            network_allow,
        })
    }

    pub(crate) fn api_key(&mut self) -> Result<ApiKey, StoreError> {
        let id = self.next()?;
        let project_id = self.next()?;
        let name = self.next()?;
        let scopes: String = self.next()?;
        Ok(ApiKey {
            id,
            project_id,
            name,
            scopes: scopes.split_whitespace().map(str::to_string).collect(),
            created_at: self.next()?,
            last_used_at: self.next()?,
        })
    }

    pub(crate) fn deployment(&mut self) -> Result<Deployment, StoreError> {
        let id: String = self.next()?;
        let project_id = self.next()?;
        let target: String = self.next()?;
        let pr: i64 = self.next()?;
        let target = match (target.as_str(), u64::try_from(pr)) {
            ("production", _) => Target::Production,
            ("preview", Ok(pr)) if pr > 0 => Target::Preview { pr },
            _ => return Err(corrupt(&id, &format!("target {target} pr {pr}"))),
        };
        let source = Source {
            kind: self.next()?,
            commit: self.next()?,
            branch: self.next()?,
            author: self.next()?,
            message: self.next()?,
        };
        let status: String = self.next()?;
        let status = DeploymentStatus::parse(&status)
            .ok_or_else(|| corrupt(&id, &format!("status {status}")))?;
        Ok(Deployment {
            id,
            project_id,
            target,
            source,
            status,
            live: self.next_bool()?,
            artifact: self.next()?,
            description_json: self.next()?,
            error: self.next()?,
            created_at: self.next()?,
            started_at: self.next()?,
            finished_at: self.next()?,
        })
    }

    pub(crate) fn env_var(&mut self) -> Result<EnvVar, StoreError> {
        let key: String = self.next()?;
        let value = self.next()?;
        let secret = self.next_bool()?;
        let scope: String = self.next()?;
        let scope =
            EnvScope::parse(&scope).ok_or_else(|| corrupt(&key, &format!("scope {scope}")))?;
        Ok(EnvVar {
            key,
            value,
            secret,
            scope,
            updated_at: self.next()?,
        })
    }
}

/// A stored value no longer decodes: an operator's problem, never the caller's.
fn corrupt(id: &str, what: &str) -> StoreError {
    tracing::error!(record = id, what, "unreadable record in the database");
    StoreError::Backend(format!("unreadable record {id}: {what}"))
}

/// The SQL names of a deployment target: (`target`, `pr`), with `pr` 0 for production.
pub(crate) fn target_columns(target: Target) -> Result<(&'static str, i64), StoreError> {
    match target {
        Target::Production => Ok(("production", 0)),
        Target::Preview { pr } => match i64::try_from(pr) {
            Ok(pr) if pr > 0 => Ok(("preview", pr)),
            _ => Err(StoreError::Invalid(format!(
                "pull request number {pr} is out of range"
            ))),
        },
    }
}
