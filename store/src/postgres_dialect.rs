//! How PostgreSQL encodes the values of a [`Statement`]: instants as TIMESTAMPTZ, JSON as JSONB,
//! commune lists as `TEXT[]` (scopes: `column = ANY($n)`), and how a row is read back. The
//! [`crate::dialect::Dialect`] itself (one pool for reads, writes and transactions) is
//! implemented beside the store, in `postgres.rs`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgQueryResult, PgRow, Postgres};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};

use crate::dialect::{Arg, Changed, Statement, StoredRow, plain_columns};
use crate::error::Result;

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
            Arg::OptReal(v) => q.bind(v),
            Arg::Json(v) => q.bind(Json(v)),
            Arg::OptJson(v) => q.bind(v.map(Json)),
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

impl Changed for PgQueryResult {
    fn changed(&self) -> u64 {
        self.rows_affected()
    }
}
