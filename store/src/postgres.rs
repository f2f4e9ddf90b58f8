//! PostgreSQL backend: shared by several stateless `guichet serve` nodes. Instants are
//! TIMESTAMPTZ, JSON is JSONB, commune scopes are `TEXT[]` parameters (`tenant = ANY($n)`).

use std::str::FromStr;

use sqlx::Row as _;
use sqlx::postgres::{
    PgArguments, PgConnectOptions, PgConnection, PgPool, PgPoolOptions, Postgres,
};
use sqlx::query::Query;

use crate::dialect::{Backend, Dialect, Statement, StoredRow, numbered};
use crate::error::Result;
use crate::postgres_dialect::pg_query;
use crate::writes::{RunsWrites, Write, WriteRows};

/// Default number of pooled connections per node.
const POOL_SIZE: u32 = 16;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `postgres://…` and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        Self::connect_with(options, PgPoolOptions::new().max_connections(POOL_SIZE)).await
    }

    /// Connects with explicit options (e.g. a `search_path` for an isolated test schema) and
    /// runs the migrations.
    pub async fn connect_with(options: PgConnectOptions, pool: PgPoolOptions) -> Result<Self> {
        let pool = pool.connect_with(options).await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// The underlying pool (tests, administration).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl RunsWrites for PgStore {
    /// The statements one by one, in a transaction unless there is only one.
    async fn run_write(&self, write: Write<'_>) -> Result<WriteRows> {
        let write = match <[_; 1]>::try_from(write) {
            Ok([statement]) => {
                return write_rows(&mut *self.pool.acquire().await?, statement).await;
            }
            Err(write) => write,
        };
        let mut tx = self.pool.begin().await?;
        let mut rows = WriteRows::new();
        for statement in write {
            rows.extend(write_rows(&mut tx, statement).await?);
        }
        tx.commit().await?;
        Ok(rows)
    }
}

/// The `(k, id)` rows of one statement of a write; a row without a `k` column (the SMS guard's
/// lock) says nothing.
async fn write_rows(conn: &mut PgConnection, statement: Statement<'_>) -> Result<WriteRows> {
    let statement = Statement::new(numbered(&statement.sql), statement.args);
    let rows = pg_query(statement).fetch_all(conn).await?;
    (rows.iter())
        .filter(|row| row.try_column("k").is_ok())
        .map(|row| Ok((i64::from(row.small_int("k")?), row.int("id")?)))
        .collect()
}

impl Dialect for PgStore {
    type Db = Postgres;

    const BACKEND: Backend = Backend::Postgres;

    fn query(s: Statement<'_>) -> Result<Query<'static, Postgres, PgArguments>> {
        Ok(pg_query(s))
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }
}
