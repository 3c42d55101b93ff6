//! Berth's database: users, API tokens, projects and their API keys, deployments, build logs,
//! environment variables, webhook delivery ids, and what the OAuth authorization server remembers
//! (clients, consents, codes, refresh tokens, signing keys), on SQLite (the embedded default) or PostgreSQL
//! (production).
//!
//! One code path serves both: [`Store`] speaks SQL that both databases accept through sqlx's `Any`
//! driver, and the URL given to [`Store::connect`] picks the backend. The schemas live in
//! `migrations/sqlite` and `migrations/postgres` and are applied on connect. Every change that touches
//! more than one row runs in one transaction, so a crash never leaves half a project or deployment.
//! Timestamps are unix milliseconds; ids are random with a kind prefix (`u-`, `t-`, `p-`, `d-`, `k-`).

mod api_keys;
mod deliveries;
mod deployments;
mod github;
mod model;
mod oauth;
mod projects;
mod rows;
mod runtime_events;
mod sign_outs;
mod users;

pub use deliveries::{DELIVERY_CLAIM_TIMEOUT_MS, DeliveryClaim};
pub use deployments::{
    MAX_DEPLOYMENTS_PER_PAGE, MAX_LOG_LINE_BYTES, MAX_LOG_LINES_PER_READ, Promotion,
};
pub use model::*;
pub use oauth::{
    ClientKind, CodeRedemption, MAX_CLIENT_ID_BYTES, NewOauthClient, NewOauthCode, NewRefreshToken,
    OauthClient, OauthCode, OauthGrant, RefreshToken, Rotation, SigningKey,
};

use sqlx::AnyPool;
use sqlx::any::{Any, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Executor, Transaction};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Connections a SQLite pool keeps. SQLite allows one writer at a time (the others wait on its lock),
/// so more connections only help concurrent readers.
const SQLITE_MAX_CONNECTIONS: u32 = 4;
/// Connections a PostgreSQL pool keeps per process; the server's default limit is 100, shared by every
/// control-plane replica.
const POSTGRES_MAX_CONNECTIONS: u32 = 10;
/// How long a caller waits for a free connection before the request fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// The database failed. The details are logged and kept here for operators; they are never shown.
    #[error("database error")]
    Backend(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error");
        StoreError::Backend(e.to_string())
    }
}

/// Which constraint a failed statement broke, if that is why it failed.
pub(crate) enum Violation {
    Unique,
    ForeignKey,
}

pub(crate) fn violation(e: &sqlx::Error) -> Option<Violation> {
    let db = e.as_database_error()?;
    if db.is_unique_violation() {
        Some(Violation::Unique)
    } else if db.is_foreign_key_violation() {
        Some(Violation::ForeignKey)
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The database behind Berth's control plane. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    clock: Arc<Clock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `url` and brings its schema up to date.
    ///
    /// `sqlite://path/berth.db` opens (or creates, with its folder) a SQLite file in WAL mode with foreign
    /// keys enforced; `postgres://user@host/db` connects to PostgreSQL.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url, max_connections) = if let Some(rest) =
            strip_scheme(url, &["sqlite://", "sqlite:"])
        {
            let (url, memory) = sqlite_url(rest)?;
            (
                Backend::Sqlite,
                url,
                if memory { 1 } else { SQLITE_MAX_CONNECTIONS },
            )
        } else if strip_scheme(url, &["postgres://", "postgresql://"]).is_some() {
            (Backend::Postgres, url.to_string(), POSTGRES_MAX_CONNECTIONS)
        } else {
            return Err(StoreError::Invalid(
                "unsupported database URL: use sqlite://<path> or postgres://<user>@<host>/<database>".into(),
            ));
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT);
        if max_connections == 1 {
            // An in-memory database lives as long as its one connection: never let the pool close it.
            options = options
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = options.connect(&url).await.map_err(|e| {
            tracing::error!(error = %e, database = redact(&url), "cannot open the database");
            StoreError::Backend(format!("cannot open the database {}: {e}", redact(&url)))
        })?;
        let migrations = match backend {
            Backend::Sqlite => {
                // Persistent for the file: readers no longer block the writer, nor it them.
                pool.execute("PRAGMA journal_mode = WAL").await?;
                &SQLITE_MIGRATIONS
            }
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrations.run(&pool).await.map_err(|e| {
            tracing::error!(error = %e, "cannot bring the database schema up to date");
            StoreError::Backend(format!("migrations failed: {e}"))
        })?;
        Ok(Store {
            pool,
            backend,
            clock: Arc::new(Clock::default()),
        })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a transaction that will write. SQLite takes its write lock at once (`BEGIN IMMEDIATE`), so
    /// a transaction that reads first never fails to upgrade its lock halfway through.
    async fn write_tx(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// The current time in unix milliseconds, strictly increasing within this process so that records
    /// written one after another sort in that order.
    fn now(&self) -> i64 {
        self.clock.now()
    }
}

#[derive(Default)]
struct Clock {
    last: AtomicI64,
}

impl Clock {
    fn now(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let next = wall.max(last + 1);
            match self
                .last
                .compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }
}

/// A fresh random id: `prefix` then 16 hex digits.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{:016x}", rand::random::<u64>())
}

/// The SHA-256 of an API token as lowercase hex: what [`Store::create_token`] and
/// [`Store::user_by_token_hash`] take.
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn strip_scheme<'u>(url: &'u str, schemes: &[&str]) -> Option<&'u str> {
    schemes.iter().find_map(|s| url.strip_prefix(s))
}

/// Completes a SQLite URL: makes the path absolute and URL-safe, creates the file's folder, and asks
/// for the file to be created if missing. Returns the URL and whether the database is in memory.
fn sqlite_url(rest: &str) -> Result<(String, bool), StoreError> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        // The one spelling of an in-memory database that survives URL parsing.
        return Ok(("sqlite::memory:".to_string(), true));
    }
    let memory = query.contains("mode=memory");
    let cannot = |e: std::io::Error| {
        StoreError::Invalid(format!("cannot use the database file {path}: {e}"))
    };
    let file = std::path::absolute(path).map_err(cannot)?;
    if !memory && let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(cannot)?;
    }
    let file = file.to_str().ok_or_else(|| {
        StoreError::Invalid(format!("the database path {} is not UTF-8", file.display()))
    })?;
    let query = if memory || query.split('&').any(|kv| kv.starts_with("mode=")) {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok((
        format!("sqlite://{}?{query}", percent_encode_path(file)),
        memory,
    ))
}

/// Escapes everything in a path but unreserved URL characters and `/`.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

/// Checks a caller-supplied text: not blank, at most `max` bytes.
pub(crate) fn check_text(what: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::Invalid(format!("{what} is empty")));
    }
    if value.len() > max {
        return Err(StoreError::Invalid(format!(
            "{what} is longer than {max} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_files() {
        assert_eq!(
            sqlite_url(":memory:").unwrap(),
            ("sqlite::memory:".to_string(), true)
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested dir/berth%.db");
        let (url, memory) = sqlite_url(path.to_str().unwrap()).unwrap();
        assert!(!memory);
        let encoded = dir.path().to_str().unwrap().to_string() + "/nested%20dir/berth%25.db";
        assert_eq!(url, format!("sqlite://{encoded}?mode=rwc"));
        assert!(dir.path().join("nested dir").is_dir());
        let (url, _) = sqlite_url("a.db?mode=ro").unwrap();
        assert!(
            url.starts_with("sqlite:///") && url.ends_with("/a.db?mode=ro"),
            "{url}"
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://berth:hunter2@db:5432/berth"),
            "postgres://berth@db:5432/berth"
        );
        assert_eq!(redact("postgres://db/berth"), "postgres://db/berth");
    }

    #[test]
    fn clock_is_strictly_increasing() {
        let clock = Clock::default();
        let mut last = 0;
        for _ in 0..1000 {
            let now = clock.now();
            assert!(now > last);
            last = now;
        }
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
