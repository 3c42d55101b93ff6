//! Browser sessions signed out before they expired. Sessions are signed cookies the control plane
//! checks by itself; this list is what makes signing out hold across restarts and processes.

use crate::{Store, StoreError};

impl Store {
    /// Records that the session whose nonce hashes to `nonce_hash` was signed out; the record is kept
    /// until `expires_at` (unix ms), when the session would have expired anyway.
    pub async fn sign_out_session(
        &self,
        nonce_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let now = self.now();
        sqlx::query("DELETE FROM signed_out_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO signed_out_sessions (nonce_hash, expires_at) VALUES ($1, $2) \
             ON CONFLICT (nonce_hash) DO NOTHING",
        )
        .bind(nonce_hash)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the session whose nonce hashes to `nonce_hash` was signed out.
    pub async fn session_signed_out(&self, nonce_hash: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT expires_at FROM signed_out_sessions WHERE nonce_hash = $1")
                .bind(nonce_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}
