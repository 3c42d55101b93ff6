//! What Berth's OAuth authorization server remembers: registered clients, users' consents (grants),
//! authorization codes and refresh tokens (by SHA-256 only), and the keys that sign access tokens (their
//! private halves sealed by the caller). Codes and refresh tokens are single use, decided atomically
//! here, so two processes racing to exchange one cannot both win.

use crate::users::check_hash;
use crate::{Store, StoreError, Violation, check_text, new_id, violation};
use sqlx::Row;

/// Longest client name, redirect URI list (as stored), or metadata document kept.
const MAX_CLIENT_NAME_BYTES: usize = 256;
const MAX_CLIENT_FIELD_BYTES: usize = 16 * 1024;
/// Longest client id: an operator's chosen id, a generated one, or a metadata document's URL.
pub const MAX_CLIENT_ID_BYTES: usize = 2048;

/// How a client came to be known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// Added by the operator, for a client that needs a fixed id.
    Registered,
    /// Registered itself (RFC 7591).
    Dynamic,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Registered => "registered",
            ClientKind::Dynamic => "dynamic",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "registered" => Some(ClientKind::Registered),
            "dynamic" => Some(ClientKind::Dynamic),
            _ => None,
        }
    }
}

/// A registered OAuth client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OauthClient {
    pub id: String,
    pub kind: ClientKind,
    pub name: String,
    pub redirect_uris: Vec<String>,
    /// `web` or `native`.
    pub application_type: String,
    /// SHA-256 of its secret, for a confidential client; `None` for a public one.
    pub secret_hash: Option<String>,
    /// The rest of its registration (RFC 7591 fields), as JSON.
    pub metadata_json: String,
    pub created_at: i64,
}

/// A client to register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOauthClient {
    pub id: String,
    pub kind: ClientKind,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub application_type: String,
    pub secret_hash: Option<String>,
    pub metadata_json: String,
}

/// A user's consent to a client for a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OauthGrant {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    /// The client's name when consent was given, for lists of connected clients.
    pub client_name: String,
    pub project_id: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// An authorization code to record (by hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOauthCode {
    pub code_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The project's canonical MCP URL the tokens will be bound to.
    pub resource: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

/// A recorded authorization code, as redeemed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OauthCode {
    pub code_hash: String,
    pub grant_id: String,
    pub user_id: String,
    pub project_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

/// What presenting a code did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeRedemption {
    /// First use: the code is now spent.
    Redeemed(Box<OauthCode>),
    /// It was spent before: the refresh tokens issued from it are revoked (how many).
    Replayed(u64),
    /// No such code, or it expired.
    Unknown,
}

/// A refresh token to record (by hash). `family` is the hash of the code its line started from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub token_hash: String,
    pub grant_id: String,
    pub family: String,
    pub client_id: String,
    pub resource: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

/// A recorded refresh token, with whom and what it is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshToken {
    pub token_hash: String,
    pub grant_id: String,
    pub user_id: String,
    pub project_id: String,
    pub family: String,
    pub client_id: String,
    pub resource: String,
    pub scopes: Vec<String>,
    pub expires_at: i64,
    /// Set once it was exchanged for a new one.
    pub used_at: Option<i64>,
}

/// What rotating a refresh token did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The old token is spent and the new one recorded.
    Rotated,
    /// The old token had been spent already: its family is revoked (how many tokens), nothing recorded.
    Reused(u64),
    /// No such token, or it expired.
    Unknown,
}

/// A key that signs access tokens. `private_sealed` is sealed by the caller's keyring.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    pub private_sealed: String,
    /// The public key as a JWK (JSON).
    pub public_jwk: String,
    pub created_at: i64,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

const CLIENT_COLS: &str =
    "id, kind, name, redirect_uris, application_type, secret_hash, metadata_json, created_at";
const GRANT_COLS: &str = "g.id, g.user_id, g.client_id, g.client_name, g.project_id, g.scopes, g.created_at, g.last_used_at";

fn scopes_of(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn check_scopes(scopes: &[String]) -> Result<String, StoreError> {
    let plain =
        |s: &String| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic());
    if scopes.is_empty() || !scopes.iter().all(plain) {
        return Err(StoreError::Invalid(
            "scopes must be non-empty scope names".into(),
        ));
    }
    Ok(scopes.join(" "))
}

fn client_row(row: &sqlx::any::AnyRow) -> Result<OauthClient, StoreError> {
    let kind: String = row.try_get(1)?;
    let uris: String = row.try_get(3)?;
    Ok(OauthClient {
        id: row.try_get(0)?,
        kind: ClientKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unreadable client kind {kind}")))?,
        name: row.try_get(2)?,
        redirect_uris: serde_json::from_str(&uris)
            .map_err(|e| StoreError::Backend(format!("unreadable redirect URIs: {e}")))?,
        application_type: row.try_get(4)?,
        secret_hash: row.try_get(5)?,
        metadata_json: row.try_get(6)?,
        created_at: row.try_get(7)?,
    })
}

fn grant_row(row: &sqlx::any::AnyRow) -> Result<OauthGrant, StoreError> {
    let scopes: String = row.try_get(5)?;
    Ok(OauthGrant {
        id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        client_id: row.try_get(2)?,
        client_name: row.try_get(3)?,
        project_id: row.try_get(4)?,
        scopes: scopes_of(&scopes),
        created_at: row.try_get(6)?,
        last_used_at: row.try_get(7)?,
    })
}

impl Store {
    /// Registers a client. `Conflict` if its id is taken.
    pub async fn create_oauth_client(&self, c: NewOauthClient) -> Result<OauthClient, StoreError> {
        check_text("client id", &c.id, MAX_CLIENT_ID_BYTES)?;
        check_text("client name", &c.name, MAX_CLIENT_NAME_BYTES)?;
        if let Some(hash) = &c.secret_hash {
            check_hash(hash)?;
        }
        if !matches!(c.application_type.as_str(), "web" | "native") {
            return Err(StoreError::Invalid(
                "application_type is web or native".into(),
            ));
        }
        let uris = serde_json::to_string(&c.redirect_uris).unwrap_or_default();
        if uris.len() > MAX_CLIENT_FIELD_BYTES || c.metadata_json.len() > MAX_CLIENT_FIELD_BYTES {
            return Err(StoreError::Invalid(format!(
                "a client's registration is at most {MAX_CLIENT_FIELD_BYTES} bytes"
            )));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO oauth_clients ({CLIENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {CLIENT_COLS}"
        ))
        .bind(&c.id)
        .bind(c.kind.as_str())
        .bind(&c.name)
        .bind(&uris)
        .bind(&c.application_type)
        .bind(&c.secret_hash)
        .bind(&c.metadata_json)
        .bind(self.now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::Unique) => {
                StoreError::Conflict(format!("a client `{}` is already registered", c.id))
            }
            _ => e.into(),
        })?;
        client_row(&row)
    }

    pub async fn oauth_client(&self, id: &str) -> Result<Option<OauthClient>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CLIENT_COLS} FROM oauth_clients WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(client_row).transpose()
    }

    /// Clients of one kind, oldest first.
    pub async fn oauth_clients(&self, kind: ClientKind) -> Result<Vec<OauthClient>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CLIENT_COLS} FROM oauth_clients WHERE kind = $1 ORDER BY created_at, id"
        ))
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(client_row).collect()
    }

    /// Removes a client and every consent given to it (with their codes and refresh tokens).
    /// `NotFound` if there is no such client.
    pub async fn delete_oauth_client(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM oauth_grants WHERE client_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM oauth_clients WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no OAuth client `{id}`")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many dynamically registered clients there are, after forgetting those registered before
    /// `unused_before` (unix ms) that no user ever consented to.
    pub async fn prune_dynamic_clients(&self, unused_before: i64) -> Result<i64, StoreError> {
        sqlx::query(
            "DELETE FROM oauth_clients WHERE kind = 'dynamic' AND created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = oauth_clients.id)",
        )
        .bind(unused_before)
        .execute(&self.pool)
        .await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM oauth_clients WHERE kind = 'dynamic'")
                .fetch_one(&self.pool)
                .await?;
        Ok(count)
    }

    /// Records (or widens) a user's consent to a client for a project; returns the grant.
    pub async fn upsert_oauth_grant(
        &self,
        user_id: &str,
        client_id: &str,
        client_name: &str,
        project_id: &str,
        scopes: &[String],
    ) -> Result<OauthGrant, StoreError> {
        check_text("client id", client_id, MAX_CLIENT_ID_BYTES)?;
        let name: String = client_name
            .chars()
            .take(MAX_CLIENT_NAME_BYTES / 4)
            .collect();
        let scopes = check_scopes(scopes)?;
        let now = self.now();
        sqlx::query(
            "INSERT INTO oauth_grants (id, user_id, client_id, client_name, project_id, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (user_id, client_id, project_id) DO UPDATE SET scopes = $6, client_name = $4",
        )
        .bind(new_id("g-"))
        .bind(user_id)
        .bind(client_id)
        .bind(&name)
        .bind(project_id)
        .bind(&scopes)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::ForeignKey) => StoreError::NotFound("no such user or project".into()),
            _ => e.into(),
        })?;
        self.oauth_grant(user_id, client_id, project_id)
            .await?
            .ok_or_else(|| StoreError::Backend("a grant just written is missing".into()))
    }

    /// The user's consent to a client for a project, if given (and not revoked).
    pub async fn oauth_grant(
        &self,
        user_id: &str,
        client_id: &str,
        project_id: &str,
    ) -> Result<Option<OauthGrant>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {GRANT_COLS} FROM oauth_grants g \
             WHERE g.user_id = $1 AND g.client_id = $2 AND g.project_id = $3"
        ))
        .bind(user_id)
        .bind(client_id)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(grant_row).transpose()
    }

    /// The clients a user has connected, newest first.
    pub async fn oauth_grants_of_user(&self, user_id: &str) -> Result<Vec<OauthGrant>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {GRANT_COLS} FROM oauth_grants g WHERE g.user_id = $1 ORDER BY g.created_at DESC, g.id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(grant_row).collect()
    }

    /// Revokes one of the user's consents: its codes and refresh tokens go with it. `NotFound` if the
    /// user has no such grant.
    pub async fn revoke_oauth_grant(
        &self,
        user_id: &str,
        grant_id: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM oauth_grants WHERE id = $1 AND user_id = $2")
            .bind(grant_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "no connected client `{grant_id}`"
            )));
        }
        Ok(())
    }

    /// Notes that a grant was used (a token issued from it) at `at`.
    pub async fn note_oauth_grant_used(&self, grant_id: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE oauth_grants SET last_used_at = $1 WHERE id = $2")
            .bind(at)
            .bind(grant_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records an authorization code by its hash.
    pub async fn create_oauth_code(&self, c: NewOauthCode) -> Result<(), StoreError> {
        check_hash(&c.code_hash)?;
        let scopes = check_scopes(&c.scopes)?;
        sqlx::query(
            "INSERT INTO oauth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, \
             resource, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&c.code_hash)
        .bind(&c.grant_id)
        .bind(&c.client_id)
        .bind(&c.redirect_uri)
        .bind(&c.code_challenge)
        .bind(&c.resource)
        .bind(&scopes)
        .bind(self.now())
        .bind(c.expires_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::ForeignKey) => StoreError::NotFound("the grant is gone".into()),
            Some(Violation::Unique) => StoreError::Conflict("this code exists already".into()),
            None => e.into(),
        })?;
        Ok(())
    }

    /// Spends a code, at `now` (unix ms). A code seen before is not redeemed again: the refresh
    /// tokens issued from it are revoked instead, as OAuth 2.1 asks.
    pub async fn redeem_oauth_code(
        &self,
        code_hash: &str,
        now: i64,
    ) -> Result<CodeRedemption, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT c.code_hash, c.grant_id, g.user_id, g.project_id, c.client_id, c.redirect_uri, \
             c.code_challenge, c.resource, c.scopes, c.expires_at, c.used_at \
             FROM oauth_codes c JOIN oauth_grants g ON g.id = c.grant_id WHERE c.code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(CodeRedemption::Unknown);
        };
        let used: Option<i64> = row.try_get(10)?;
        if used.is_some() {
            let revoked = sqlx::query("DELETE FROM oauth_refresh_tokens WHERE family = $1")
                .bind(code_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            return Ok(CodeRedemption::Replayed(revoked));
        }
        let scopes: String = row.try_get(8)?;
        let code = OauthCode {
            code_hash: row.try_get(0)?,
            grant_id: row.try_get(1)?,
            user_id: row.try_get(2)?,
            project_id: row.try_get(3)?,
            client_id: row.try_get(4)?,
            redirect_uri: row.try_get(5)?,
            code_challenge: row.try_get(6)?,
            resource: row.try_get(7)?,
            scopes: scopes_of(&scopes),
            expires_at: row.try_get(9)?,
        };
        sqlx::query("UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2")
            .bind(now)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if code.expires_at <= now {
            return Ok(CodeRedemption::Unknown);
        }
        Ok(CodeRedemption::Redeemed(Box::new(code)))
    }

    /// Records a refresh token by its hash.
    pub async fn create_refresh_token(&self, t: NewRefreshToken) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        insert_refresh(&mut tx, &t, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A refresh token by its hash (spent or not); `None` if unknown or expired at `now`.
    pub async fn refresh_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<RefreshToken>, StoreError> {
        let row = sqlx::query(
            "SELECT r.token_hash, r.grant_id, g.user_id, g.project_id, r.family, r.client_id, \
             r.resource, r.scopes, r.expires_at, r.used_at \
             FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id \
             WHERE r.token_hash = $1 AND r.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let scopes: String = row.try_get(7)?;
        Ok(Some(RefreshToken {
            token_hash: row.try_get(0)?,
            grant_id: row.try_get(1)?,
            user_id: row.try_get(2)?,
            project_id: row.try_get(3)?,
            family: row.try_get(4)?,
            client_id: row.try_get(5)?,
            resource: row.try_get(6)?,
            scopes: scopes_of(&scopes),
            expires_at: row.try_get(8)?,
            used_at: row.try_get(9)?,
        }))
    }

    /// Spends refresh token `old_hash` and records `new` in its place, atomically. If the old one was
    /// spent already (a stolen copy, or a replay), its whole family is revoked instead.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: NewRefreshToken,
        now: i64,
    ) -> Result<Rotation, StoreError> {
        let mut tx = self.write_tx().await?;
        let spent = sqlx::query(
            "UPDATE oauth_refresh_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(old_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if spent == 1 {
            insert_refresh(&mut tx, &new, now).await?;
            tx.commit().await?;
            return Ok(Rotation::Rotated);
        }
        let family: Option<String> = sqlx::query_scalar(
            "SELECT family FROM oauth_refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL",
        )
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(family) = family else {
            return Ok(Rotation::Unknown);
        };
        let revoked = sqlx::query("DELETE FROM oauth_refresh_tokens WHERE family = $1")
            .bind(&family)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Rotation::Reused(revoked))
    }

    /// Revokes a refresh token and every token of its family (RFC 7009); whether it was known.
    /// Only a token of `client_id` is revoked.
    pub async fn revoke_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let family: Option<String> = sqlx::query_scalar(
            "SELECT family FROM oauth_refresh_tokens WHERE token_hash = $1 AND client_id = $2",
        )
        .bind(token_hash)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(family) = family else {
            return Ok(false);
        };
        sqlx::query("DELETE FROM oauth_refresh_tokens WHERE family = $1")
            .bind(&family)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Forgets codes and refresh tokens that expired before `before` (unix ms).
    pub async fn prune_oauth(&self, before: i64) -> Result<u64, StoreError> {
        let codes = sqlx::query("DELETE FROM oauth_codes WHERE expires_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let tokens = sqlx::query("DELETE FROM oauth_refresh_tokens WHERE expires_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(codes + tokens)
    }

    /// A project's OAuth access rule (JSON, the control plane's to read), if one was set.
    pub async fn project_oauth_access(
        &self,
        project_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let rule =
            sqlx::query_scalar("SELECT rule_json FROM project_oauth_access WHERE project_id = $1")
                .bind(project_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(rule)
    }

    /// Sets a project's OAuth access rule (JSON, at most 64 KiB). `NotFound` if there is no such project.
    pub async fn set_project_oauth_access(
        &self,
        project_id: &str,
        rule_json: &str,
    ) -> Result<(), StoreError> {
        check_text("access rule", rule_json, 64 * 1024)?;
        sqlx::query(
            "INSERT INTO project_oauth_access (project_id, rule_json, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id) DO UPDATE SET rule_json = $2, updated_at = $3",
        )
        .bind(project_id)
        .bind(rule_json)
        .bind(self.now())
        .execute(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::ForeignKey) => StoreError::NotFound(format!("project {project_id} not found")),
            _ => e.into(),
        })?;
        Ok(())
    }

    /// Records a new signing key.
    pub async fn add_signing_key(&self, key: &SigningKey) -> Result<(), StoreError> {
        check_text("key id", &key.kid, 128)?;
        sqlx::query(
            "INSERT INTO oauth_signing_keys (kid, alg, private_sealed, public_jwk, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.private_sealed)
        .bind(&key.public_jwk)
        .bind(key.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::Unique) => StoreError::Conflict(format!("key {} exists", key.kid)),
            _ => e.into(),
        })?;
        Ok(())
    }

    /// Every signing key, oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_sealed, public_jwk, created_at FROM oauth_signing_keys \
             ORDER BY created_at, kid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SigningKey {
                    kid: r.try_get(0)?,
                    alg: r.try_get(1)?,
                    private_sealed: r.try_get(2)?,
                    public_jwk: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Forgets signing keys made before `before` (unix ms): no token they signed is valid any more.
    pub async fn delete_signing_keys_before(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM oauth_signing_keys WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

async fn insert_refresh(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    t: &NewRefreshToken,
    now: i64,
) -> Result<(), StoreError> {
    check_hash(&t.token_hash)?;
    let scopes = check_scopes(&t.scopes)?;
    sqlx::query(
        "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, family, client_id, resource, scopes, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&t.token_hash)
    .bind(&t.grant_id)
    .bind(&t.family)
    .bind(&t.client_id)
    .bind(&t.resource)
    .bind(&scopes)
    .bind(now)
    .bind(t.expires_at)
    .execute(&mut **tx)
    .await
    .map_err(|e| match violation(&e) {
        Some(Violation::ForeignKey) => StoreError::NotFound("the grant was revoked".into()),
        Some(Violation::Unique) => StoreError::Conflict("this token exists already".into()),
        None => e.into(),
    })?;
    Ok(())
}
