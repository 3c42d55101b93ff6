//! Databases for the tests: a fresh SQLite file, or a fresh PostgreSQL database that is dropped again.

use berth_store::Store;
use sqlx::Executor;
use sqlx::any::{AnyPoolOptions, install_default_drivers};

/// The PostgreSQL server tests use when `DATABASE_URL` is not set.
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDb {
    pub store: Store,
    /// Keeps the SQLite file's folder until the test ends.
    dir: Option<tempfile::TempDir>,
    /// The PostgreSQL server's URL and this test's database on it, dropped when the test ends.
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("data/berth.db").display());
        let store = Store::connect(&url).await.expect("open SQLite");
        assert_eq!(store.backend(), "sqlite");
        TestDb {
            store,
            dir: Some(dir),
            postgres: None,
        }
    }

    /// A new database `berth_test_<random>` on the server at `DATABASE_URL`. Fails (never skips) when
    /// the server cannot be reached.
    pub async fn postgres() -> TestDb {
        let server =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string());
        let name = format!("berth_test_{:016x}", rand::random::<u64>());
        install_default_drivers();
        let admin = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&server)
            .await
            .unwrap_or_else(|e| {
                panic!("cannot reach PostgreSQL at {server} (set DATABASE_URL): {e}")
            });
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        admin.close().await;
        let store = Store::connect(&with_database(&server, &name))
            .await
            .expect("open PostgreSQL");
        assert_eq!(store.backend(), "postgres");
        TestDb {
            store,
            dir: None,
            postgres: Some((server, name)),
        }
    }

    /// The SQLite file of a [`TestDb::sqlite`] database.
    pub fn sqlite_path(&self) -> std::path::PathBuf {
        self.dir
            .as_ref()
            .expect("a SQLite test database")
            .path()
            .join("data/berth.db")
    }

    /// A second store on the same database, as a restarted process would open it.
    pub async fn reopen(&self) -> Store {
        Store::connect(&self.url())
            .await
            .expect("reopen the database")
    }

    /// Runs one SQL statement on the database outside the store: for data an older Berth could have
    /// written and this one no longer does.
    pub async fn execute(&self, sql: &str) {
        install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.url())
            .await
            .expect("connect to the test database");
        pool.execute(sql).await.expect("run the statement");
        pool.close().await;
    }

    fn url(&self) -> String {
        match (&self.dir, &self.postgres) {
            (Some(_), _) => format!("sqlite://{}", self.sqlite_path().display()),
            (None, Some((server, name))) => with_database(server, name),
            (None, None) => unreachable!("a test database is SQLite or PostgreSQL"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop needs its own runtime: the test's may be shutting down.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = AnyPoolOptions::new()
                    .max_connections(1)
                    .connect(&server)
                    .await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop the test database: {e}");
        }
    }
}

/// `server` (a PostgreSQL URL) with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let (scheme, rest) = base
        .split_once("://")
        .expect("DATABASE_URL is a postgres:// URL");
    let host = rest.split_once('/').map_or(rest, |(host, _)| host);
    match query {
        Some(q) => format!("{scheme}://{host}/{name}?{q}"),
        None => format!("{scheme}://{host}/{name}"),
    }
}
