//! Projects and their environment variables.

use crate::rows::{Cols, ENV_COLS, PROJECT_COLS};
use crate::{
    EnvScope, EnvVar, NewProject, Project, ProjectUpdate, Store, StoreError, Violation, check_text,
    new_id, violation,
};
use berth_core::Limits;

/// Longest branch name or entry point accepted (git refuses ref names much longer than this anyway).
const MAX_REF_BYTES: usize = 255;
/// Longest `owner/name` accepted: GitHub owners are at most 39 characters, repository names 100.
const MAX_REPO_BYTES: usize = 140;
/// Longest local repository path accepted: Linux's `PATH_MAX`.
const MAX_REPO_PATH_BYTES: usize = 4096;
/// Longest environment variable name accepted.
const MAX_ENV_KEY_BYTES: usize = 256;
/// Largest environment variable value accepted (after encryption, for secrets). Values are handed to
/// every instance of the project, so they stay small; large data belongs in the project's files.
const MAX_ENV_VALUE_BYTES: usize = 64 * 1024;

impl Store {
    /// Creates a project. `Conflict` if its name is taken, `NotFound` if the owner does not exist.
    /// `Invalid` if its name has the preview form `<project>-pr-<number>`, which only previews take.
    pub async fn create_project(&self, p: NewProject) -> Result<Project, StoreError> {
        if p.slug.preview_of().is_some() {
            let refusal = berth_core::SlugError::PreviewForm(p.slug.to_string());
            return Err(StoreError::Invalid(refusal.to_string()));
        }
        check_text("branch", &p.branch, MAX_REF_BYTES)?;
        check_text("entry point", &p.entry, MAX_REF_BYTES)?;
        if let Some(repo) = &p.repo {
            check_repo(repo)?;
        }
        let now = self.now();
        let row = sqlx::query(&format!(
            "INSERT INTO projects (id, slug, owner_id, repo, branch, entry, limits_json, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {PROJECT_COLS}"
        ))
        .bind(new_id("p-"))
        .bind(p.slug.as_str())
        .bind(&p.owner_id)
        .bind(&p.repo)
        .bind(&p.branch)
        .bind(&p.entry)
        .bind(limits_json(&p.limits)?)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::Unique) => {
                StoreError::Conflict(format!("the project name `{}` is taken; pick another", p.slug))
            }
            Some(Violation::ForeignKey) => StoreError::NotFound(format!("user {} not found", p.owner_id)),
            None => e.into(),
        })?;
        Cols::new(&row).project()
    }

    /// The project with this slug.
    pub async fn project(&self, slug: &str) -> Result<Option<Project>, StoreError> {
        self.one_project("slug", slug).await
    }

    pub async fn project_by_id(&self, id: &str) -> Result<Option<Project>, StoreError> {
        self.one_project("id", id).await
    }

    async fn one_project(&self, column: &str, value: &str) -> Result<Option<Project>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLS} FROM projects WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| Cols::new(r).project()).transpose()
    }

    /// A user's projects, by name.
    pub async fn projects_of(&self, owner_id: &str) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PROJECT_COLS} FROM projects WHERE owner_id = $1 ORDER BY slug"
        ))
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Cols::new(r).project()).collect()
    }

    /// The projects that deploy from a GitHub repository (`owner/name`, compared without case, as GitHub
    /// does), by name.
    pub async fn project_by_repo(&self, repo: &str) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PROJECT_COLS} FROM projects WHERE lower(repo) = lower($1) ORDER BY slug"
        ))
        .bind(repo)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Cols::new(r).project()).collect()
    }

    /// Changes the given fields of a project and returns it as it now is.
    pub async fn update_project(&self, id: &str, u: ProjectUpdate) -> Result<Project, StoreError> {
        if let Some(branch) = &u.branch {
            check_text("branch", branch, MAX_REF_BYTES)?;
        }
        if let Some(entry) = &u.entry {
            check_text("entry point", entry, MAX_REF_BYTES)?;
        }
        let limits = u.limits.as_ref().map(limits_json).transpose()?;
        let network_allow = u
            .network_allow
            .as_ref()
            .map(|entries| serde_json::to_string(entries).expect("strings serialize"));
        let row = sqlx::query(&format!(
            "UPDATE projects SET branch = COALESCE($1, branch), entry = COALESCE($2, entry), \
             limits_json = COALESCE($3, limits_json), private = COALESCE($6, private), \
             network_allow_json = COALESCE($7, network_allow_json), updated_at = $4 \
             WHERE id = $5 RETURNING {PROJECT_COLS}"
        ))
        .bind(&u.branch)
        .bind(&u.entry)
        .bind(&limits)
        .bind(self.now())
        .bind(id)
        .bind(u.private)
        .bind(network_allow)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Cols::new(&row).project(),
            None => Err(StoreError::NotFound(format!("project {id} not found"))),
        }
    }

    /// Deletes a project with all its deployments, build logs, environment variables and API keys, at once.
    pub async fn delete_project(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let statements = [
            "DELETE FROM deployment_logs WHERE deployment_id IN (SELECT id FROM deployments WHERE project_id = $1)",
            "DELETE FROM deployments WHERE project_id = $1",
            "DELETE FROM env_vars WHERE project_id = $1",
            "DELETE FROM project_api_keys WHERE project_id = $1",
        ];
        for sql in statements {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        let done = sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("project {id} not found")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets a variable, replacing the one with the same key and scope. `updated_at` is set by the store.
    pub async fn set_env(&self, project_id: &str, v: EnvVar) -> Result<(), StoreError> {
        check_env_key(&v.key)?;
        if v.value.len() > MAX_ENV_VALUE_BYTES {
            return Err(StoreError::Invalid(format!(
                "the value of {} is longer than {MAX_ENV_VALUE_BYTES} bytes",
                v.key
            )));
        }
        sqlx::query(
            "INSERT INTO env_vars (project_id, key, scope, value, secret, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (project_id, key, scope) DO UPDATE SET value = excluded.value, secret = excluded.secret, \
             updated_at = excluded.updated_at",
        )
        .bind(project_id)
        .bind(&v.key)
        .bind(v.scope.as_str())
        .bind(&v.value)
        .bind(v.secret)
        .bind(self.now())
        .execute(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::ForeignKey) => StoreError::NotFound(format!("project {project_id} not found")),
            _ => e.into(),
        })?;
        Ok(())
    }

    /// A project's variables, by key then scope.
    pub async fn env(&self, project_id: &str) -> Result<Vec<EnvVar>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENV_COLS} FROM env_vars WHERE project_id = $1 ORDER BY key, scope"
        ))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Cols::new(r).env_var()).collect()
    }

    /// Removes a variable; `false` if there was none.
    pub async fn unset_env(
        &self,
        project_id: &str,
        key: &str,
        scope: EnvScope,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM env_vars WHERE project_id = $1 AND key = $2 AND scope = $3")
                .bind(project_id)
                .bind(key)
                .bind(scope.as_str())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn limits_json(limits: &Limits) -> Result<String, StoreError> {
    serde_json::to_string(limits)
        .map_err(|e| StoreError::Invalid(format!("limits cannot be stored: {e}")))
}

/// A repository is `owner/name` on the git host, or an absolute path on the Berth host (a local git
/// repository, which the control plane allows only where the operator did).
fn check_repo(repo: &str) -> Result<(), StoreError> {
    if repo.starts_with('/') {
        if repo.len() <= MAX_REPO_PATH_BYTES && !repo.chars().any(char::is_control) {
            return Ok(());
        }
        return Err(StoreError::Invalid(format!(
            "the repository path `{}` is too long or holds control characters",
            repo.escape_debug()
        )));
    }
    let valid_part = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    match repo.split_once('/') {
        Some((owner, name))
            if repo.len() <= MAX_REPO_BYTES && valid_part(owner) && valid_part(name) =>
        {
            Ok(())
        }
        _ => Err(StoreError::Invalid(format!(
            "repository `{repo}` is not of the form owner/name"
        ))),
    }
}

fn check_env_key(key: &str) -> Result<(), StoreError> {
    let mut bytes = key.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if !first_ok
        || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        || key.len() > MAX_ENV_KEY_BYTES
    {
        return Err(StoreError::Invalid(format!(
            "environment variable name `{key}` must be letters, digits and underscores, not starting with a digit"
        )));
    }
    Ok(())
}
