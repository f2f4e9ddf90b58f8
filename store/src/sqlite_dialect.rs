//! How SQLite encodes the values of a [`Statement`]: instants as INTEGER milliseconds since the
//! epoch, JSON and commune lists as TEXT (scopes read through `json_each`), and how a row is
//! read back. The [`crate::dialect::Dialect`] itself (which pool reads and which writes) is
//! implemented beside the store, in `sqlite.rs`.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteQueryResult, SqliteRow};
use sqlx::{AssertSqlSafe, Row};

use crate::dialect::{Arg, Changed, Statement, StoredRow, plain_columns};
use crate::error::{Result, StoreError};
use crate::sqlite_writer::Bound;

/// Serialises a value bound as JSON text.
fn to_json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

pub(crate) fn sqlite_query(s: Statement<'_>) -> Result<Query<'static, Sqlite, SqliteArguments>> {
    s.args
        .into_iter()
        .try_fold(sqlx::query(AssertSqlSafe(s.sql)), |q, arg| {
            Ok(q.bind(bound(arg)?))
        })
}

/// One argument in SQLite's encoding (also kept by the group writer's writes).
pub(crate) fn bound(arg: Arg<'_>) -> Result<Bound> {
    let int = |v: Option<i64>| v.map_or(Bound::Null, Bound::Int);
    let text = |v: Option<String>| v.map_or(Bound::Null, Bound::Text);
    Ok(match arg {
        Arg::Int(v) => Bound::Int(v),
        Arg::OptInt(v) => int(v),
        Arg::Bool(v) => Bound::Int(i64::from(v)),
        Arg::Text(v) => Bound::Text(v.to_string()),
        Arg::OptText(v) => text(v.map(str::to_string)),
        Arg::Instant(t) => Bound::Int(t.timestamp_millis()),
        Arg::OptInstant(t) => int(t.map(|t| t.timestamp_millis())),
        Arg::Span(d) => Bound::Int(d.num_milliseconds()),
        Arg::OptReal(v) => v.map_or(Bound::Null, Bound::Real),
        Arg::Json(v) => Bound::Text(to_json_text(v)?),
        Arg::OptJson(v) => text(v.map(to_json_text).transpose()?),
        Arg::Communes(c) => Bound::Text(to_json_text(c)?),
    })
}

/// A value stored as JSON text.
fn from_json_text<T: DeserializeOwned>(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(table, column, e.to_string()))
}

impl StoredRow for SqliteRow {
    plain_columns!();
    fn instant(&self, table: &'static str, column: &'static str) -> Result<DateTime<Utc>> {
        let value: i64 = self.try_get(column)?;
        DateTime::from_timestamp_millis(value).ok_or_else(|| {
            StoreError::corrupt(table, column, format!("timestamp {value} out of range"))
        })
    }
    fn opt_instant(
        &self,
        table: &'static str,
        column: &'static str,
    ) -> Result<Option<DateTime<Utc>>> {
        let value: Option<i64> = self.try_get(column)?;
        value.map(|_| self.instant(table, column)).transpose()
    }
    fn json(&self, table: &'static str, column: &'static str) -> Result<Value> {
        from_json_text(&self.try_get::<String, _>(column)?, table, column)
    }
    fn opt_json(&self, table: &'static str, column: &'static str) -> Result<Option<Value>> {
        let text: Option<String> = self.try_get(column)?;
        text.map(|text| from_json_text(&text, table, column))
            .transpose()
    }
    fn communes(&self, table: &'static str, column: &'static str) -> Result<Vec<String>> {
        from_json_text(&self.try_get::<String, _>(column)?, table, column)
    }
}

impl Changed for SqliteQueryResult {
    fn changed(&self) -> u64 {
        self.rows_affected()
    }
}
