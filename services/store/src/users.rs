//! Users and their API tokens.

use crate::rows::{Cols, TOKEN_COLS, USER_COLS};
use crate::{ApiToken, NewUser, Store, StoreError, User, Violation, check_text, new_id, violation};

/// Longest login, display name or token name accepted (GitHub logins are at most 39 characters).
const MAX_NAME_BYTES: usize = 256;
/// Longest avatar URL accepted.
const MAX_URL_BYTES: usize = 2048;
/// `last_used_at` is written at most this often per token, so authenticating a request is a read.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

impl Store {
    /// Creates a user, or updates the one with the same GitHub id (when given) or else the same login.
    /// A GitHub user whose login belongs to a different account gets `Conflict`.
    pub async fn upsert_user(&self, u: NewUser) -> Result<User, StoreError> {
        check_text("login", &u.login, MAX_NAME_BYTES)?;
        if let Some(name) = &u.name {
            check_len("name", name, MAX_NAME_BYTES)?;
        }
        if let Some(url) = &u.avatar_url {
            check_len("avatar URL", url, MAX_URL_BYTES)?;
        }
        let on_conflict = if u.github_id.is_some() {
            "ON CONFLICT (github_id) DO UPDATE SET login = excluded.login, name = excluded.name, \
             avatar_url = excluded.avatar_url"
        } else {
            "ON CONFLICT (login) DO UPDATE SET name = excluded.name, avatar_url = excluded.avatar_url"
        };
        let sql = format!(
            "INSERT INTO users (id, github_id, login, name, avatar_url, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             {on_conflict} RETURNING {USER_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(new_id("u-"))
            .bind(u.github_id)
            .bind(&u.login)
            .bind(&u.name)
            .bind(&u.avatar_url)
            .bind(self.now())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| match violation(&e) {
                Some(Violation::Unique) => {
                    StoreError::Conflict(format!("login `{}` belongs to another account", u.login))
                }
                _ => e.into(),
            })?;
        Cols::new(&row).user()
    }

    pub async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| Cols::new(r).user()).transpose()
    }

    /// Records a new token for `user_id`. `token_hash` is [`crate::hash_token`] of the token: the store
    /// refuses anything that is not SHA-256 hex, so a plaintext token cannot be stored by mistake.
    pub async fn create_token(
        &self,
        user_id: &str,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiToken, StoreError> {
        check_text("token name", name, MAX_NAME_BYTES)?;
        check_hash(token_hash)?;
        let row = sqlx::query(&format!(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {TOKEN_COLS}"
        ))
        .bind(new_id("t-"))
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(self.now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::ForeignKey) => StoreError::NotFound(format!("user {user_id} not found")),
            Some(Violation::Unique) => StoreError::Conflict("this token already exists; make a new one".into()),
            None => e.into(),
        })?;
        Cols::new(&row).token()
    }

    /// The user a token belongs to, if the token exists; notes that the token was used.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let user_cols = qualified("u", USER_COLS);
        let row = sqlx::query(&format!(
            "SELECT t.id, t.last_used_at, {user_cols} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut cols = Cols::new(&row);
        let token_id: String = cols.next()?;
        let last_used: Option<i64> = cols.next()?;
        let user = cols.user()?;
        let now = self.now();
        if last_used.is_none_or(|t| now - t >= LAST_USED_GRANULARITY_MS) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&token_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(user))
    }

    /// A user's tokens, oldest first.
    pub async fn tokens(&self, user_id: &str) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Cols::new(r).token()).collect()
    }

    /// Deletes one of a user's tokens; `NotFound` if the user has no such token.
    pub async fn revoke_token(&self, user_id: &str, token_id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(token_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token {token_id} not found")));
        }
        Ok(())
    }
}

/// A column list with each column prefixed by a table alias.
fn qualified(alias: &str, cols: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_len(what: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.len() > max {
        return Err(StoreError::Invalid(format!(
            "{what} is longer than {max} bytes"
        )));
    }
    Ok(())
}

pub(crate) fn check_hash(token_hash: &str) -> Result<(), StoreError> {
    let is_hex = token_hash
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if token_hash.len() != 64 || !is_hex {
        return Err(StoreError::Invalid(
            "a token is stored by its SHA-256 as 64 lowercase hex digits, never in plain text"
                .into(),
        ));
    }
    Ok(())
}
