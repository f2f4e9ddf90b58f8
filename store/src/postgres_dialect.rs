//! The PostgreSQL [`Dialect`]: instants as TIMESTAMPTZ, JSON as JSONB, commune lists as
//! `TEXT[]` (scopes: `column = ANY($n)`); one pool for reads, writes and transactions.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow, Postgres};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row, Transaction};

use crate::dialect::{Arg, Dialect, Statement, StoredRow, plain_columns};
use crate::error::Result;
use crate::postgres::PgStore;

/// A statement as a sqlx query, its arguments in PostgreSQL's encoding.
pub(crate) fn pg_query(s: Statement<'_>) -> Query<'static, Postgres, PgArguments> {
    s.args
        .into_iter()
        .fold(sqlx::query(AssertSqlSafe(s.sql)), |q, arg| match arg {
            Arg::Int(v) => q.bind(v),
            Arg::OptInt(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Instant(t) => q.bind(t),
            Arg::OptInstant(t) => q.bind(t),
            Arg::Span(d) => q.bind(d),
            Arg::Json(v) => q.bind(Json(v)),
            Arg::Communes(c) => q.bind(c),
        })
}

impl StoredRow for PgRow {
    plain_columns!();
    fn instant(&self, _table: &'static str, column: &'static str) -> Result<DateTime<Utc>> {
        Ok(self.try_get(column)?)
    }
    fn opt_instant(&self, _: &'static str, column: &'static str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(column)?)
    }
    fn json(&self, _table: &'static str, column: &'static str) -> Result<Value> {
        Ok(self.try_get::<Json<Value>, _>(column)?.0)
    }
    fn opt_json(&self, _table: &'static str, column: &'static str) -> Result<Option<Value>> {
        Ok(self
            .try_get::<Option<Json<Value>>, _>(column)?
            .map(|json| json.0))
    }
    fn communes(&self, _table: &'static str, column: &'static str) -> Result<Vec<String>> {
        Ok(self.try_get(column)?)
    }
}

impl Dialect for PgStore {
    type Db = Postgres;
    type Row = PgRow;
    type Tx = Transaction<'static, Postgres>;

    const GREATEST: &'static str = "GREATEST";

    const FOR_UPDATE: &'static str = " FOR UPDATE";

    fn limit(n: usize) -> String {
        format!("LIMIT ${n}")
    }

    fn lease_due(table: &str, due: &str, order: &str, set: &str) -> String {
        // SKIP LOCKED: workers on every node take disjoint rows without waiting; a row another
        // worker committed meanwhile is re-checked and no longer due.
        format!(
            "WITH due AS (
                 SELECT id FROM {table} WHERE {due} ORDER BY {order} LIMIT $2
                 FOR UPDATE SKIP LOCKED)
             UPDATE {table} SET {set} FROM due WHERE {table}.id = due.id
             RETURNING {table}.*"
        )
    }

    fn in_scope(column: &str, n: usize) -> String {
        format!("{column} = ANY(${n})")
    }

    async fn fetch_all(&self, s: Statement<'_>) -> Result<Vec<PgRow>> {
        Ok(pg_query(s).fetch_all(self.pool()).await?)
    }
    async fn fetch_optional(&self, s: Statement<'_>) -> Result<Option<PgRow>> {
        Ok(pg_query(s).fetch_optional(self.pool()).await?)
    }
    async fn execute(&self, s: Statement<'_>) -> Result<u64> {
        Ok(pg_query(s).execute(self.pool()).await?.rows_affected())
    }
    async fn write_returning(&self, s: Statement<'_>) -> Result<Vec<PgRow>> {
        self.fetch_all(s).await
    }
    async fn begin(&self) -> Result<Self::Tx> {
        Ok(self.pool().begin().await?)
    }
    async fn tx_execute(tx: &mut Self::Tx, s: Statement<'_>) -> Result<u64> {
        Ok(pg_query(s).execute(&mut **tx).await?.rows_affected())
    }
    async fn tx_fetch_all(tx: &mut Self::Tx, s: Statement<'_>) -> Result<Vec<PgRow>> {
        Ok(pg_query(s).fetch_all(&mut **tx).await?)
    }
    async fn commit(tx: Self::Tx) -> Result<()> {
        Ok(tx.commit().await?)
    }
}
