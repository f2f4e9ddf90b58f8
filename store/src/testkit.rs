//! Test helpers for the PostgreSQL backend (feature `testkit`): a fresh schema per test, its
//! URL for processes that only take a URL (`guichet serve`), dropped when the test ends.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The variable the PostgreSQL tests read, e.g. `postgres://postgres@127.0.0.1:5432/test`.
pub const TEST_DATABASE_URL_VAR: &str = "GUICHET_TEST_DATABASE_URL";

/// The test database URL, or `None` after printing (once per process, to the real stderr so
/// the test harness does not swallow it) that the PostgreSQL tests are skipped.
pub fn test_database_url() -> Option<String> {
    match std::env::var(TEST_DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();
            SKIP_NOTICE.call_once(|| {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: {TEST_DATABASE_URL_VAR} not set (the PostgreSQL tests pass without running)"
                );
            });
            None
        }
    }
}

/// A schema of its own for one test, dropped with everything in it when this is dropped
/// (also when the test panics).
#[derive(Debug)]
pub struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    /// Creates `guichet_test_…` (a new name each time) in the database of `url`.
    pub async fn create(url: &str) -> Result<TestSchema, sqlx::Error> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "guichet_test_{:x}_{:x}_{:x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
        let created = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&admin)
            .await;
        admin.close().await;
        created?;
        Ok(TestSchema {
            url: url.to_string(),
            name,
        })
    }

    /// The database URL the schema was created in (without the schema).
    pub fn database_url(&self) -> &str {
        &self.url
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection options whose `search_path` is this schema.
    pub fn connect_options(&self) -> Result<PgConnectOptions, sqlx::Error> {
        Ok(PgConnectOptions::from_str(&self.url)?.options([("search_path", self.name.as_str())]))
    }

    /// A store on this schema, as a node opens it (migrations run on first use).
    pub async fn store(&self, max_connections: u32) -> crate::Result<crate::PgStore> {
        crate::PgStore::connect_with(
            self.connect_options()?,
            PgPoolOptions::new().max_connections(max_connections),
        )
        .await
    }

    /// The database URL with this schema as `search_path` (the libpq `options` parameter),
    /// for what only takes a URL.
    pub fn url(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.url, self.name
        )
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let url = self.url.clone();
        let name = self.name.clone();
        // Drop may run inside the test's runtime: use a thread with its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                let result = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .execute(&pool)
                .await;
                pool.close().await;
                result.map(drop).map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!(
                "warning: could not drop test schema {}: {dropped:?}",
                self.name
            );
        }
    }
}
