//! The SQLite [`Dialect`]: instants as INTEGER milliseconds since the epoch, JSON and commune
//! lists as TEXT, scopes through `json_each`; reads on the reader pool, writes on the single
//! writer connection, transactions `BEGIN IMMEDIATE`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Row, Transaction};

use crate::dialect::{Arg, Dialect, Statement, StoredRow, plain_columns};
use crate::error::{Result, StoreError};
use crate::sqlite::SqliteStore;
use crate::sqlite_writer::{Bound, PreparedWrite};

/// Serialises a value bound as JSON text.
pub(crate) fn to_json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn sqlite_query(s: Statement<'_>) -> Result<Query<'static, Sqlite, SqliteArguments>> {
    let mut q = sqlx::query(AssertSqlSafe(s.sql));
    for arg in s.args {
        q = match arg {
            Arg::Int(v) => q.bind(v),
            Arg::OptInt(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Instant(t) => q.bind(t.timestamp_millis()),
            Arg::OptInstant(t) => q.bind(t.map(|t| t.timestamp_millis())),
            Arg::Span(d) => q.bind(d.num_milliseconds()),
            Arg::Json(v) => q.bind(to_json_text(v)?),
            Arg::Communes(c) => q.bind(to_json_text(c)?),
        };
    }
    Ok(q)
}

/// One argument in SQLite's encoding, for the group writer.
fn bound(arg: Arg<'_>) -> Result<Bound> {
    Ok(match arg {
        Arg::Int(v) => v.into(),
        Arg::OptInt(v) => v.into(),
        Arg::Bool(v) => i64::from(v).into(),
        Arg::Text(v) => v.into(),
        Arg::OptText(v) => v.into(),
        Arg::Instant(t) => t.timestamp_millis().into(),
        Arg::OptInstant(t) => t.map(|t| t.timestamp_millis()).into(),
        Arg::Span(d) => d.num_milliseconds().into(),
        Arg::Json(v) => to_json_text(v)?.into(),
        Arg::Communes(c) => to_json_text(c)?.into(),
    })
}

/// Binds `args` to a group write, in order.
pub(crate) fn bind_args<'a>(
    write: &mut PreparedWrite,
    args: impl IntoIterator<Item = Arg<'a>>,
) -> Result<()> {
    for arg in args {
        write.bind(bound(arg)?);
    }
    Ok(())
}

fn corrupt(table: &'static str, column: &'static str, detail: String) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        detail,
    }
}

impl StoredRow for SqliteRow {
    plain_columns!();
    fn instant(&self, table: &'static str, column: &'static str) -> Result<DateTime<Utc>> {
        let value: i64 = self.try_get(column)?;
        DateTime::from_timestamp_millis(value)
            .ok_or_else(|| corrupt(table, column, format!("timestamp {value} out of range")))
    }
    fn opt_instant(
        &self,
        table: &'static str,
        column: &'static str,
    ) -> Result<Option<DateTime<Utc>>> {
        match self.try_get::<Option<i64>, _>(column)? {
            None => Ok(None),
            Some(_) => self.instant(table, column).map(Some),
        }
    }
    fn json(&self, table: &'static str, column: &'static str) -> Result<Value> {
        let text: String = self.try_get(column)?;
        serde_json::from_str(&text).map_err(|e| corrupt(table, column, e.to_string()))
    }
    fn opt_json(&self, table: &'static str, column: &'static str) -> Result<Option<Value>> {
        let text: Option<String> = self.try_get(column)?;
        text.map(|text| {
            serde_json::from_str(&text).map_err(|e| corrupt(table, column, e.to_string()))
        })
        .transpose()
    }
    fn communes(&self, table: &'static str, column: &'static str) -> Result<Vec<String>> {
        let text: String = self.try_get(column)?;
        serde_json::from_str(&text).map_err(|e| corrupt(table, column, e.to_string()))
    }
}

impl Dialect for SqliteStore {
    type Db = Sqlite;
    type Row = SqliteRow;
    type Tx = Transaction<'static, Sqlite>;

    const GREATEST: &'static str = "MAX";

    const FOR_UPDATE: &'static str = "";

    fn limit(n: usize) -> String {
        format!("LIMIT COALESCE(${n}, -1)")
    }

    fn lease_due(table: &str, due: &str, order: &str, set: &str) -> String {
        // One statement under the database write lock.
        format!(
            "UPDATE {table} SET {set} WHERE id IN (
                 SELECT id FROM {table} WHERE {due} ORDER BY {order} LIMIT $2)
             RETURNING *"
        )
    }

    fn in_scope(column: &str, n: usize) -> String {
        format!("{column} IN (SELECT value FROM json_each(${n}))")
    }

    async fn fetch_all(&self, s: Statement<'_>) -> Result<Vec<SqliteRow>> {
        Ok(sqlite_query(s)?.fetch_all(self.reader_pool()).await?)
    }
    async fn fetch_optional(&self, s: Statement<'_>) -> Result<Option<SqliteRow>> {
        Ok(sqlite_query(s)?.fetch_optional(self.reader_pool()).await?)
    }
    async fn execute(&self, s: Statement<'_>) -> Result<u64> {
        let done = sqlite_query(s)?.execute(self.writer_pool()).await?;
        Ok(done.rows_affected())
    }
    async fn write_returning(&self, s: Statement<'_>) -> Result<Vec<SqliteRow>> {
        Ok(sqlite_query(s)?.fetch_all(self.writer_pool()).await?)
    }
    async fn begin(&self) -> Result<Self::Tx> {
        // IMMEDIATE takes the write lock up front: no deadlock-prone lock upgrade if another
        // process (e.g. a CLI command) writes at the same time.
        Ok(self.writer_pool().begin_with("BEGIN IMMEDIATE").await?)
    }
    async fn tx_execute(tx: &mut Self::Tx, s: Statement<'_>) -> Result<u64> {
        Ok(sqlite_query(s)?.execute(&mut **tx).await?.rows_affected())
    }
    async fn tx_fetch_all(tx: &mut Self::Tx, s: Statement<'_>) -> Result<Vec<SqliteRow>> {
        Ok(sqlite_query(s)?.fetch_all(&mut **tx).await?)
    }
    async fn commit(tx: Self::Tx) -> Result<()> {
        Ok(tx.commit().await?)
    }
}
