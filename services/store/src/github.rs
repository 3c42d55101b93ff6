//! GitHub access tokens of signed-in users, as sealed text: the control plane seals and opens them.

use crate::{Store, StoreError};
use sqlx::Row;

impl Store {
    /// Keeps the sealed GitHub token of GitHub account `github_id`, replacing an earlier one.
    pub async fn set_github_token(&self, github_id: i64, sealed: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO github_tokens (github_id, sealed, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (github_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
        )
        .bind(github_id)
        .bind(sealed)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The sealed GitHub token of GitHub account `github_id`, if one was kept.
    pub async fn github_token(&self, github_id: i64) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT sealed FROM github_tokens WHERE github_id = $1")
            .bind(github_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }
}
