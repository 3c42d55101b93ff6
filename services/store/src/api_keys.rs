//! Projects' API keys, for their headless MCP clients: recorded by hash, listed without it, revoked, and
//! their use noted (by the caller, at most about once a minute per key).

use crate::rows::{API_KEY_COLS, Cols};
use crate::users::check_hash;
use crate::{ApiKey, NewApiKey, Store, StoreError, Violation, check_text, new_id, violation};

/// Longest key name accepted.
const MAX_KEY_NAME_BYTES: usize = 256;
/// Longest scope name accepted; the control plane decides which scopes exist.
const MAX_SCOPE_BYTES: usize = 64;

impl Store {
    /// Records a project's new API key. `key_hash` is [`crate::hash_token`] of the key: the store
    /// refuses anything that is not SHA-256 hex, so a key cannot be stored in plain text by mistake.
    /// `NotFound` if the project does not exist.
    pub async fn create_api_key(&self, k: NewApiKey) -> Result<ApiKey, StoreError> {
        check_text("key name", &k.name, MAX_KEY_NAME_BYTES)?;
        check_hash(&k.key_hash)?;
        if k.scopes.is_empty() {
            return Err(StoreError::Invalid("a key needs at least one scope".into()));
        }
        for scope in &k.scopes {
            let plain = scope.bytes().all(|b| b.is_ascii_graphic());
            if scope.is_empty() || scope.len() > MAX_SCOPE_BYTES || !plain {
                return Err(StoreError::Invalid(format!(
                    "`{}` is not a scope name",
                    scope.escape_debug()
                )));
            }
        }
        let row = sqlx::query(&format!(
            "INSERT INTO project_api_keys (id, project_id, name, scopes, key_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {API_KEY_COLS}"
        ))
        .bind(new_id("k-"))
        .bind(&k.project_id)
        .bind(&k.name)
        .bind(k.scopes.join(" "))
        .bind(&k.key_hash)
        .bind(self.now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::ForeignKey) => {
                StoreError::NotFound(format!("project {} not found", k.project_id))
            }
            Some(Violation::Unique) => {
                StoreError::Conflict("this key already exists; make a new one".into())
            }
            None => e.into(),
        })?;
        Cols::new(&row).api_key()
    }

    /// A project's API keys, oldest first (never their hashes).
    pub async fn api_keys(&self, project_id: &str) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {API_KEY_COLS} FROM project_api_keys WHERE project_id = $1 ORDER BY created_at, id"
        ))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Cols::new(r).api_key()).collect()
    }

    /// A project's API keys with the hash of each (lowercase hex): what the edge checks requests against.
    pub async fn api_key_hashes(
        &self,
        project_id: &str,
    ) -> Result<Vec<(ApiKey, String)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {API_KEY_COLS}, key_hash FROM project_api_keys WHERE project_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let mut cols = Cols::new(r);
                let key = cols.api_key()?;
                Ok((key, cols.next()?))
            })
            .collect()
    }

    /// Deletes one of a project's keys; `NotFound` if the project has no such key.
    pub async fn revoke_api_key(&self, project_id: &str, key_id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM project_api_keys WHERE id = $1 AND project_id = $2")
            .bind(key_id)
            .bind(project_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no API key {key_id}")));
        }
        Ok(())
    }

    /// Notes that a key was used at `at` (unix ms). Never moves the time back; a revoked key is ignored.
    pub async fn note_api_key_used(&self, key_id: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE project_api_keys SET last_used_at = $1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
        )
        .bind(at)
        .bind(key_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
