//! The store suite on PostgreSQL. Reads `GUICHET_TEST_DATABASE_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`); without it every test reports itself skipped
//! and passes. Each test runs in its own fresh schema, dropped at the end (even on failure).

mod suite;

use std::io::Write;
use std::str::FromStr;

use guichet_store::{AnyStore, PgStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use suite::store_suite;

const URL_VAR: &str = "GUICHET_TEST_DATABASE_URL";

struct Fixture {
    store: AnyStore,
    schema: SchemaGuard,
}

impl Fixture {
    async fn finish(self) {
        self.store.close().await;
        drop(self.schema);
    }
}

/// Drops the test schema when the test ends, whether it passed or panicked.
struct SchemaGuard {
    url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let url = self.url.clone();
        let schema = self.schema.clone();
        // Drop may run inside the test's runtime: use a separate thread with its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .execute(&pool)
                .await?;
                pool.close().await;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test schema {}", self.schema);
        }
    }
}

async fn open() -> Option<Fixture> {
    let Ok(url) = std::env::var(URL_VAR) else {
        // Written to the real stderr (not captured by the test harness), once per run.
        static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();
        SKIP_NOTICE.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {URL_VAR} not set (the PostgreSQL store tests pass without running)"
            );
        });
        return None;
    };
    let schema = format!("guichet_test_{:016x}", rand::random::<u64>());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{URL_VAR} is set but PostgreSQL is unreachable: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("create test schema");
    admin.close().await;
    let guard = SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    let options = PgConnectOptions::from_str(&url)
        .expect("valid PostgreSQL URL")
        .options([("search_path", schema.as_str())]);
    let store = PgStore::connect_with(options, PgPoolOptions::new().max_connections(6))
        .await
        .expect("open PostgreSQL store");
    Some(Fixture {
        store: AnyStore::Postgres(store),
        schema: guard,
    })
}

store_suite!(open);
