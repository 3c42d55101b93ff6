//! Deployments, their build logs, and which one is live.

use crate::rows::{Cols, DEPLOYMENT_COLS, PROJECT_DEPLOYMENT_COLS, target_columns};
use crate::{
    Deployment, DeploymentStatus, NewDeployment, Project, SOURCE_KINDS, Store, StoreError,
    Violation, new_id, violation,
};
use sqlx::any::Any;

/// Most deployments one listing returns.
pub const MAX_DEPLOYMENTS_PER_PAGE: u32 = 1000;
/// Most log lines one [`Store::logs`] call returns; ask again after the last `seq` for more.
pub const MAX_LOG_LINES_PER_READ: i64 = 10_000;
/// A longer build-log line is cut to this many bytes: a line is for a person to read, and a tool that
/// prints megabytes on one line should not fill the database.
pub const MAX_LOG_LINE_BYTES: usize = 16 * 1024;
/// A longer build error is cut to this many bytes.
const MAX_ERROR_BYTES: usize = 64 * 1024;
/// Longest commit id, branch, author or artifact key accepted.
const MAX_SOURCE_FIELD_BYTES: usize = 1024;
/// Longest commit message kept; the rest is cut.
const MAX_MESSAGE_BYTES: usize = 8 * 1024;
/// Log lines inserted per statement (3 parameters each, well under SQLite's and PostgreSQL's limits).
const LOG_INSERT_CHUNK: usize = 200;

impl Store {
    /// Records a new deployment, `queued`. A preview is refused where it would take a URL that is not
    /// its own (see [`Store::check_preview_url`]).
    pub async fn create_deployment(&self, d: NewDeployment) -> Result<Deployment, StoreError> {
        let (target, pr) = target_columns(d.target)?;
        if let crate::Target::Preview { pr } = d.target {
            self.check_preview_url(&d.project_id, pr).await?;
        }
        let source = d.source;
        if !SOURCE_KINDS.contains(&source.kind.as_str()) {
            return Err(StoreError::Invalid(format!(
                "source kind `{}` is not one of {}",
                source.kind,
                SOURCE_KINDS.join(", ")
            )));
        }
        for (what, value) in [
            ("commit", &source.commit),
            ("branch", &source.branch),
            ("author", &source.author),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.len() > MAX_SOURCE_FIELD_BYTES)
            {
                return Err(StoreError::Invalid(format!(
                    "the source {what} is longer than {MAX_SOURCE_FIELD_BYTES} bytes"
                )));
            }
        }
        let message = source
            .message
            .as_deref()
            .map(|m| truncate(m, MAX_MESSAGE_BYTES));
        let row = sqlx::query(&format!(
            "INSERT INTO deployments (id, project_id, target, pr, source_kind, source_commit, source_branch, \
             source_author, source_message, status, live, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', FALSE, $10) RETURNING {DEPLOYMENT_COLS}"
        ))
        .bind(new_id("d-"))
        .bind(&d.project_id)
        .bind(target)
        .bind(pr)
        .bind(&source.kind)
        .bind(&source.commit)
        .bind(&source.branch)
        .bind(&source.author)
        .bind(message)
        .bind(self.now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::ForeignKey) => StoreError::NotFound(format!("project {} not found", d.project_id)),
            _ => e.into(),
        })?;
        Cols::new(&row).deployment()
    }

    pub async fn deployment(&self, id: &str) -> Result<Option<Deployment>, StoreError> {
        fetch_deployment(&self.pool, id).await
    }

    /// A project's most recent deployments, newest first; `limit` is capped at
    /// [`MAX_DEPLOYMENTS_PER_PAGE`].
    pub async fn deployments(
        &self,
        project_id: &str,
        limit: u32,
    ) -> Result<Vec<Deployment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DEPLOYMENT_COLS} FROM deployments WHERE project_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(project_id)
        .bind(i64::from(limit.min(MAX_DEPLOYMENTS_PER_PAGE)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Cols::new(r).deployment()).collect()
    }

    /// A queued deployment's build has started.
    pub async fn mark_building(&self, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE deployments SET status = 'building', started_at = $1 WHERE id = $2 AND status = 'queued'")
            .bind(self.now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.check_transition(id, done.rows_affected(), "start building")
            .await
    }

    /// A deployment a stopped process left `building` goes back to `queued`, so that its build can start
    /// again after a restart (a `queued` one stays as it is). `Invalid` if it has finished.
    pub async fn requeue_interrupted(&self, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE deployments SET status = 'queued', started_at = NULL \
             WHERE id = $1 AND status IN ('queued', 'building')",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.check_transition(id, done.rows_affected(), "be queued again")
            .await
    }

    /// The commit a deployment's fetch brought, for a deployment made before it was known (a new
    /// project's first build). What was known already stays. Returns the deployment as stored now.
    pub async fn record_fetched(
        &self,
        id: &str,
        commit: &str,
        author: &str,
        message: &str,
    ) -> Result<Deployment, StoreError> {
        sqlx::query(
            "UPDATE deployments SET source_commit = COALESCE(source_commit, $1), \
             source_author = COALESCE(source_author, $2), \
             source_message = COALESCE(source_message, $3) WHERE id = $4",
        )
        .bind(truncate(commit, MAX_SOURCE_FIELD_BYTES))
        .bind(truncate(author, MAX_SOURCE_FIELD_BYTES))
        .bind(truncate(message, MAX_SOURCE_FIELD_BYTES))
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.deployment(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("deployment {id}")))
    }

    /// A queued or building deployment's build failed with `error`.
    pub async fn mark_failed(&self, id: &str, error: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE deployments SET status = 'failed', error = $1, finished_at = $2 \
             WHERE id = $3 AND status IN ('queued', 'building')",
        )
        .bind(truncate(error, MAX_ERROR_BYTES))
        .bind(self.now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.check_transition(id, done.rows_affected(), "fail")
            .await
    }

    /// A queued or building deployment's build succeeded: its artifact key and self-description. It does
    /// not go live until [`Store::promote`].
    pub async fn mark_ready(
        &self,
        id: &str,
        artifact: &str,
        description_json: &str,
    ) -> Result<(), StoreError> {
        if artifact.is_empty() || artifact.len() > MAX_SOURCE_FIELD_BYTES {
            return Err(StoreError::Invalid(format!(
                "artifact key of {} bytes is not acceptable",
                artifact.len()
            )));
        }
        let now = self.now();
        let done = sqlx::query(
            "UPDATE deployments SET status = 'ready', artifact = $1, description_json = $2, \
             started_at = COALESCE(started_at, $3), finished_at = $3 WHERE id = $4 AND status IN ('queued', 'building')",
        )
        .bind(artifact)
        .bind(description_json)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.check_transition(id, done.rows_affected(), "become ready")
            .await
    }

    /// After a guarded status update: `NotFound` if the deployment does not exist, `Invalid` if it was
    /// not in a state that allows the change.
    async fn check_transition(
        &self,
        id: &str,
        rows_affected: u64,
        change: &str,
    ) -> Result<(), StoreError> {
        if rows_affected > 0 {
            return Ok(());
        }
        match self.deployment(id).await? {
            None => Err(StoreError::NotFound(format!("deployment {id} not found"))),
            Some(d) => Err(StoreError::Invalid(format!(
                "deployment {id} is {} and cannot {change}",
                d.status
            ))),
        }
    }

    /// A pull request's preview is served at `<project>-pr-<number>`. It is refused (`Conflict`) when a
    /// project owns that name (one created before such names were kept for previews), and (`Invalid`)
    /// for a project whose own name has the preview form: a preview never takes a project's URL.
    /// Projects can no longer be given such names, so no project can appear there after this check.
    pub async fn check_preview_url(&self, project_id: &str, pr: u64) -> Result<(), StoreError> {
        let project = self
            .project_by_id(project_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("project {project_id} not found")))?;
        if project.slug.preview_of().is_some() {
            return Err(StoreError::Invalid(format!(
                "project `{}` has a name of the form `<project>-pr-<number>`, which Berth keeps for previews, so its pull requests get no preview; \
                 deploy them from a project whose name does not end in `-pr-<digits>`",
                project.slug
            )));
        }
        let url = project.slug.preview(pr);
        if self.project(url.as_str()).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "the preview of pull request #{pr} of `{}` would be served at `/{url}/mcp`, which the project `{url}` owns; \
                 that pull request gets no preview while that project exists",
                project.slug
            )));
        }
        Ok(())
    }

    /// Atomically makes `deployment_id` the live deployment of its target (production, or the preview
    /// of its pull request). The target's previous live deployment becomes `superseded`, keeping its
    /// artifact so that it can be promoted again (rollback). `Invalid` unless the deployment is `ready`
    /// or `superseded`; promoting the live deployment changes nothing. A preview whose URL a project
    /// owns never goes live ([`Store::check_preview_url`]; for previews recorded before that rule).
    pub async fn promote(&self, deployment_id: &str) -> Result<Deployment, StoreError> {
        match self.promote_checked(deployment_id, false).await? {
            Promotion::Live(d) => Ok(d),
            // Not asked for forward only: never behind; read it as it is should that change.
            Promotion::Behind { .. } => self.deployment(deployment_id).await?.ok_or_else(|| {
                StoreError::NotFound(format!("deployment {deployment_id} not found"))
            }),
        }
    }

    /// Like [`Store::promote`], but only forward: when a deployment of the same target created after
    /// this one is live already (a newer build finished first), this one does not replace it; it becomes
    /// `superseded` (kept for a rollback) and [`Promotion::Behind`] names the live one. What a finished
    /// build calls; an explicit promotion or rollback calls [`Store::promote`].
    pub async fn promote_if_newest(&self, deployment_id: &str) -> Result<Promotion, StoreError> {
        self.promote_checked(deployment_id, true).await
    }

    async fn promote_checked(
        &self,
        deployment_id: &str,
        forward_only: bool,
    ) -> Result<Promotion, StoreError> {
        if let Some(d) = self.deployment(deployment_id).await?
            && let crate::Target::Preview { pr } = d.target
        {
            self.check_preview_url(&d.project_id, pr).await?;
        }
        let mut tx = self.write_tx().await?;
        let Some(d) = fetch_deployment(&mut *tx, deployment_id).await? else {
            return Err(StoreError::NotFound(format!(
                "deployment {deployment_id} not found"
            )));
        };
        // Lock the project row first: concurrent promotions of one project wait for each other.
        let now = self.now();
        sqlx::query("UPDATE projects SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&d.project_id)
            .execute(&mut *tx)
            .await?;
        // Read again under the lock: another promotion may have committed in between.
        let d = fetch_deployment(&mut *tx, deployment_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("deployment {deployment_id} not found")))?;
        if d.live {
            return Ok(Promotion::Live(d));
        }
        if !matches!(
            d.status,
            DeploymentStatus::Ready | DeploymentStatus::Superseded
        ) {
            return Err(StoreError::Invalid(format!(
                "deployment {deployment_id} is {}; only a ready or superseded deployment can go live",
                d.status
            )));
        }
        let (target, pr) = target_columns(d.target)?;
        if forward_only {
            let live = sqlx::query(&format!(
                "SELECT {DEPLOYMENT_COLS} FROM deployments \
                 WHERE project_id = $1 AND target = $2 AND pr = $3 AND live = TRUE"
            ))
            .bind(&d.project_id)
            .bind(target)
            .bind(pr)
            .fetch_optional(&mut *tx)
            .await?;
            let live = live
                .as_ref()
                .map(|r| Cols::new(r).deployment())
                .transpose()?;
            if let Some(live) = live.filter(|l| (l.created_at, &l.id) > (d.created_at, &d.id)) {
                sqlx::query("UPDATE deployments SET status = 'superseded' WHERE id = $1")
                    .bind(deployment_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(Promotion::Behind { live });
            }
        }
        sqlx::query(
            "UPDATE deployments SET live = FALSE, status = 'superseded' \
             WHERE project_id = $1 AND target = $2 AND pr = $3 AND live = TRUE",
        )
        .bind(&d.project_id)
        .bind(target)
        .bind(pr)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE deployments SET live = TRUE, status = 'ready' WHERE id = $1")
            .bind(deployment_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::Unique) => StoreError::Conflict(format!(
                    "another deployment went live at the same time as {deployment_id}"
                )),
                _ => e.into(),
            })?;
        let promoted = fetch_deployment(&mut *tx, deployment_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("deployment {deployment_id} not found")))?;
        tx.commit().await?;
        Ok(Promotion::Live(promoted))
    }

    /// Takes a pull request's preview offline (the PR was closed). Its deployment stays, `superseded`,
    /// for the record. `false` if the preview was not live.
    pub async fn retire_preview(&self, project_id: &str, pr: u64) -> Result<bool, StoreError> {
        let (target, pr) = target_columns(crate::Target::Preview { pr })?;
        let done = sqlx::query(
            "UPDATE deployments SET live = FALSE, status = 'superseded' \
             WHERE project_id = $1 AND target = $2 AND pr = $3 AND live = TRUE",
        )
        .bind(project_id)
        .bind(target)
        .bind(pr)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every live deployment with its project, previews included, by project name then target. A
    /// preview live at a URL a project owns (recorded before [`Store::check_preview_url`]) is left out:
    /// the project keeps its URL.
    pub async fn live_deployments(&self) -> Result<Vec<(Project, Deployment)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PROJECT_DEPLOYMENT_COLS} FROM deployments d JOIN projects p ON p.id = d.project_id \
             WHERE d.live = TRUE AND NOT (d.target = 'preview' AND EXISTS (SELECT 1 FROM projects o \
             WHERE o.slug = p.slug || '-pr-' || CAST(d.pr AS TEXT))) ORDER BY p.slug, d.pr"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let mut cols = Cols::new(r);
                Ok((cols.project()?, cols.deployment()?))
            })
            .collect()
    }

    /// Deployments that built but never went live (`ready`, not live), oldest first: a process that
    /// stopped between a build's end and its promotion leaves these; after a restart they are promoted
    /// forward. (A deployment that was live, or finished behind a newer one, is `superseded`.)
    pub async fn built_not_live(&self) -> Result<Vec<Deployment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DEPLOYMENT_COLS} FROM deployments WHERE status = 'ready' AND live = FALSE \
             ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Cols::new(r).deployment()).collect()
    }

    /// Deployments whose build has not finished, oldest first: after a restart, these are rebuilt or
    /// failed.
    pub async fn unfinished_deployments(&self) -> Result<Vec<Deployment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DEPLOYMENT_COLS} FROM deployments WHERE status IN ('queued', 'building') ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Cols::new(r).deployment()).collect()
    }

    /// Appends lines to a deployment's build log, numbered on from the last line (the first line is 1).
    /// Lines longer than [`MAX_LOG_LINE_BYTES`] are cut.
    pub async fn append_log(
        &self,
        deployment_id: &str,
        lines: &[String],
    ) -> Result<(), StoreError> {
        if lines.is_empty() {
            return Ok(());
        }
        let count = i64::try_from(lines.len())
            .map_err(|_| StoreError::Invalid("too many log lines".into()))?;
        let mut tx = self.write_tx().await?;
        // Reserving the numbers locks the deployment's row, so concurrent appends never share one.
        let last: Option<i64> = sqlx::query_scalar(
            "UPDATE deployments SET log_lines = log_lines + $1 WHERE id = $2 RETURNING log_lines",
        )
        .bind(count)
        .bind(deployment_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(last) = last else {
            return Err(StoreError::NotFound(format!(
                "deployment {deployment_id} not found"
            )));
        };
        let mut seq = last - count;
        for chunk in lines.chunks(LOG_INSERT_CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO deployment_logs (deployment_id, seq, line) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query::<Any>(&sql).bind(deployment_id);
            for line in chunk {
                seq += 1;
                query = query.bind(seq).bind(truncate(line, MAX_LOG_LINE_BYTES));
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A deployment's build log lines numbered after `after_seq` (0 for all), in order, at most
    /// [`MAX_LOG_LINES_PER_READ`] of them.
    pub async fn logs(
        &self,
        deployment_id: &str,
        after_seq: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, line FROM deployment_logs WHERE deployment_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(deployment_id)
        .bind(after_seq)
        .bind(MAX_LOG_LINES_PER_READ)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }
}

async fn fetch_deployment<'e, E>(executor: E, id: &str) -> Result<Option<Deployment>, StoreError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let row = sqlx::query(&format!(
        "SELECT {DEPLOYMENT_COLS} FROM deployments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(|r| Cols::new(r).deployment()).transpose()
}

/// What [`Store::promote_if_newest`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Promotion {
    /// The deployment is live now (or was already).
    Live(Deployment),
    /// This newer deployment of the same target is live; the one promoted stayed off, `superseded`.
    Behind { live: Deployment },
}

/// `text` cut to at most `max` bytes, at a character boundary, marked when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncates_at_char_boundaries() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghij", 8), "abcde...");
        let cut = truncate("ééééé", 8);
        assert!(cut.len() <= 8 && cut.ends_with("..."), "{cut}");
    }
}
