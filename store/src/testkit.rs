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
        run_alone(url, format!("CREATE SCHEMA {name}")).await?;
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

    /// A store on this schema (its `search_path`), as a node opens it (migrations run on first
    /// use).
    pub async fn store(&self, max_connections: u32) -> crate::Result<crate::PgStore> {
        let search_path = [("search_path", self.name.as_str())];
        let options = PgConnectOptions::from_str(&self.url)?.options(search_path);
        let pool = PgPoolOptions::new().max_connections(max_connections);
        crate::PgStore::connect_with(options, pool).await
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
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        // Drop may run inside the test's runtime: use a thread with its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(run_alone(&url, sql))
                .map_err(|e| e.to_string())
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

/// Runs one statement on a connection of its own to `url`.
async fn run_alone(url: &str, sql: String) -> Result<(), sqlx::Error> {
    let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
    let result = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
    pool.close().await;
    result.map(drop)
}
