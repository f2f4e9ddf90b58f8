//! What differs between the two SQL backends, behind one small [`Dialect`] trait, so that each
//! domain's statements are written once (`audit.rs`, `staff.rs`, …) and run on both.
//!
//! A domain function builds a [`Statement`] with [`stmt!`]: SQL text with `$1 … $n`
//! placeholders (understood by PostgreSQL and, as numbered parameters, by SQLite) and typed
//! [`Arg`]s. The dialect binds each argument in its own encoding (instants: INTEGER
//! milliseconds or TIMESTAMPTZ; JSON: TEXT or JSONB; commune lists: a JSON array or `TEXT[]`)
//! and runs the statement on its reader, its writer or an open transaction. The few SQL
//! fragments spelled differently ([`Dialect::in_scope`], [`Dialect::lease_due`], …) are written
//! here, both spellings side by side, chosen by the dialect's [`Backend`]. Rows come back as
//! [`StoredRow`]s, which decode the same encodings.

use std::borrow::Cow;
use std::future::Future;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::query::Query;
use sqlx::{Database, Executor, IntoArguments, Pool, Transaction};

use crate::error::{Result, StoreError};

/// One bound value of a [`Statement`], in the store's own terms; the dialect encodes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
    Text(&'a str),
    OptText(Option<&'a str>),
    OptReal(Option<f64>),
    Instant(DateTime<Utc>),
    OptInstant(Option<DateTime<Utc>>),
    Json(&'a Value),
    OptJson(Option<&'a Value>),
    /// A length of time (INTEGER milliseconds or INTERVAL), added to or taken from instants.
    Span(chrono::Duration),
    /// A list of commune codes (a viewer's scope, a staff member's communes).
    Communes(&'a [String]),
}

/// `From` each value type a statement binds, into its [`Arg`].
macro_rules! arg_from {
    ($($value:ty => $variant:ident),* $(,)?) => {$(
        impl<'a> From<$value> for Arg<'a> {
            fn from(v: $value) -> Self {
                Arg::$variant(v)
            }
        }
    )*};
}

arg_from! {
    i64 => Int,
    Option<i64> => OptInt,
    bool => Bool,
    &'a str => Text,
    &'a String => Text,
    Option<&'a str> => OptText,
    Option<f64> => OptReal,
    DateTime<Utc> => Instant,
    Option<DateTime<Utc>> => OptInstant,
    chrono::Duration => Span,
    &'a Value => Json,
    Option<&'a Value> => OptJson,
    &'a [String] => Communes,
}

/// SQL text with its arguments, in placeholder order.
#[derive(Debug, Clone)]
pub(crate) struct Statement<'a> {
    pub sql: Cow<'static, str>,
    pub args: Vec<Arg<'a>>,
}

impl<'a> Statement<'a> {
    pub fn new(sql: impl Into<Cow<'static, str>>, args: Vec<Arg<'a>>) -> Self {
        let sql = sql.into();
        Statement { sql, args }
    }
}

/// A [`Statement`]: its SQL, then the values of its placeholders in order (anything with an
/// [`Arg`]).
macro_rules! stmt {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::dialect::Statement {
            sql: $sql.into(),
            args: vec![$($crate::dialect::Arg::from($arg)),*],
        }
    };
}
pub(crate) use stmt;

/// A result row, decoded the same way whatever the backend.
pub(crate) trait StoredRow: Send {
    fn int(&self, column: &str) -> Result<i64>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>>;
    fn opt_real(&self, column: &str) -> Result<Option<f64>>;
    fn small_int(&self, column: &str) -> Result<i32>;
    fn bool(&self, column: &str) -> Result<bool>;
    fn text(&self, column: &str) -> Result<String>;
    fn opt_text(&self, column: &str) -> Result<Option<String>>;
    fn instant(&self, table: &'static str, column: &'static str) -> Result<DateTime<Utc>>;
    fn opt_instant(
        &self,
        table: &'static str,
        column: &'static str,
    ) -> Result<Option<DateTime<Utc>>>;
    fn json(&self, table: &'static str, column: &'static str) -> Result<Value>;
    fn opt_json(&self, table: &'static str, column: &'static str) -> Result<Option<Value>>;
    fn communes(&self, table: &'static str, column: &'static str) -> Result<Vec<String>>;

    /// A TEXT column holding one of an enum's stored names.
    fn parsed<T: FromStr>(&self, table: &'static str, column: &'static str) -> Result<T> {
        parse_stored(&self.text(column)?, table, column)
    }

    /// A nullable TEXT column holding one of an enum's stored names.
    fn opt_parsed<T: FromStr>(
        &self,
        table: &'static str,
        column: &'static str,
    ) -> Result<Option<T>> {
        self.opt_text(column)?
            .map(|text| parse_stored(&text, table, column))
            .transpose()
    }
}

/// The [`StoredRow`] methods that only read a column as it is, written once for both rows.
macro_rules! plain_columns {
    () => {
        plain_columns!(int: i64, opt_int: Option<i64>, opt_real: Option<f64>, small_int: i32,
            bool: bool, text: String, opt_text: Option<String>);
    };
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(&self, column: &str) -> Result<$ty> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
    )*};
}
pub(crate) use plain_columns;

/// The SQL a [`Dialect`] speaks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The statement opening a write transaction. SQLite's IMMEDIATE takes the write lock up
    /// front: no deadlock-prone lock upgrade if another process (a CLI command) writes
    /// meanwhile. Also opens the batches of SQLite's group writer (`sqlite_writer.rs`).
    pub(crate) const fn begin(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
}

/// A SQL backend: its sqlx database, its encodings and spellings, and where it runs statements.
/// Reads go to the reader (SQLite: a pool of read-only connections), writes to the writer.
/// Running a statement is written once, here, for both backends.
pub(crate) trait Dialect: Send + Sync {
    /// The sqlx database type; its rows decode the dialect's encodings.
    type Db: Database<
            Row: StoredRow,
            Arguments: IntoArguments<Self::Db>,
            Connection: Runs<Self::Db>,
            QueryResult: Changed,
        >;

    /// Which SQL the backend speaks; the few statements spelled differently are chosen by it
    /// below, both spellings side by side.
    const BACKEND: Backend;

    /// The SQL function giving the larger of two values.
    const GREATEST: &'static str = match Self::BACKEND {
        Backend::Sqlite => "MAX",
        Backend::Postgres => "GREATEST",
    };

    /// Appended to a `SELECT` that reads a row a transaction then updates. SQLite's write
    /// transaction already holds the database's write lock (see [`Backend::begin`]).
    const FOR_UPDATE: &'static str = match Self::BACKEND {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };

    /// Within a write (`writes.rs`), true of the `turns` row a subquery reads when the write
    /// itself inserted it: on SQLite, the write's last insert (the turn's) changed a row; on
    /// PostgreSQL, the row was created by the write's own transaction.
    const INSERTED_NOW: &'static str = match Self::BACKEND {
        Backend::Sqlite => "changes() = 1",
        Backend::Postgres => "xmin = pg_current_xact_id()::xid",
    };

    /// A statement taken before the SMS guard's counts, bound with the commune: PostgreSQL
    /// serialises a commune's guarded SMS with a transaction-level advisory lock, so that two
    /// nodes never both take the last place. SQLite needs none: its single writer runs the
    /// guard's counts and insert as one statement.
    const SMS_GUARD_LOCK: Option<&'static str> = match Self::BACKEND {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SELECT pg_advisory_xact_lock(hashtext('guichet-sms:' || ?))"),
    };

    /// `LIMIT` by the optional count bound at `$n` (none: every row).
    fn limit(n: usize) -> String {
        match Self::BACKEND {
            Backend::Sqlite => format!("LIMIT COALESCE(${n}, -1)"),
            Backend::Postgres => format!("LIMIT ${n}"),
        }
    }

    /// The statement leasing due rows of a queue `table` to one worker: sets `set` on at most
    /// `$2` rows matching `due`, taken in `order`, and returns them whole. Two workers, even on
    /// two nodes, never lease the same row: SQLite runs the one statement under the database's
    /// write lock; on PostgreSQL, SKIP LOCKED lets workers take disjoint rows without waiting,
    /// and a row another worker committed meanwhile is re-checked and no longer due.
    fn lease_due(table: &str, due: &str, order: &str, set: &str) -> String {
        match Self::BACKEND {
            Backend::Sqlite => format!(
                "UPDATE {table} SET {set} WHERE id IN (
                     SELECT id FROM {table} WHERE {due} ORDER BY {order} LIMIT $2)
                 RETURNING *"
            ),
            Backend::Postgres => format!(
                "WITH due AS (
                     SELECT id FROM {table} WHERE {due} ORDER BY {order} LIMIT $2
                     FOR UPDATE SKIP LOCKED)
                 UPDATE {table} SET {set} FROM due WHERE {table}.id = due.id
                 RETURNING {table}.*"
            ),
        }
    }

    /// SQL restricting `column` to the commune list bound at placeholder `$n` (SQLite: a JSON
    /// array; PostgreSQL: `TEXT[]`).
    fn in_scope(column: &str, n: usize) -> String {
        match Self::BACKEND {
            Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each(${n}))"),
            Backend::Postgres => format!("{column} = ANY(${n})"),
        }
    }

    /// A statement as a sqlx query, its arguments in the dialect's encoding.
    fn query(s: Statement<'_>) -> Result<Query<'static, Self::Db, Args<Self>>>;

    /// The pool reads go to (the writer's, unless the backend has a pool of readers).
    fn reader(&self) -> &Pool<Self::Db> {
        self.writer()
    }

    /// The pool writes and transactions go to.
    fn writer(&self) -> &Pool<Self::Db>;

    /// All rows of a read.
    fn fetch_all(&self, s: Statement<'_>) -> impl Future<Output = Result<Vec<Row<Self>>>> + Send {
        async move {
            let mut conn = self.reader().acquire().await?;
            Ok(Self::query(s)?.fetch_all(conn.runs()).await?)
        }
    }

    /// All rows of a read, each decoded by `from_row`.
    fn fetch_records<T>(
        &self,
        s: Statement<'_>,
        from_row: fn(&Row<Self>) -> Result<T>,
    ) -> impl Future<Output = Result<Vec<T>>> + Send {
        async move { self.fetch_all(s).await?.iter().map(from_row).collect() }
    }

    /// The first row of a read, if any, decoded by `from_row`.
    fn fetch_record<T>(
        &self,
        s: Statement<'_>,
        from_row: fn(&Row<Self>) -> Result<T>,
    ) -> impl Future<Output = Result<Option<T>>> + Send {
        async move { Ok(self.fetch_records(s, from_row).await?.into_iter().next()) }
    }

    /// The count of a `SELECT COUNT(*) AS n` read.
    fn count(&self, s: Statement<'_>) -> impl Future<Output = Result<i64>> + Send {
        async move { Ok(first_int(&self.fetch_all(s).await?, "n")?.unwrap_or(0)) }
    }

    /// A write; whether it changed any row.
    fn write(&self, s: Statement<'_>) -> impl Future<Output = Result<bool>> + Send {
        async move {
            let mut conn = self.writer().acquire().await?;
            Ok(Self::query(s)?.execute(conn.runs()).await?.changed() > 0)
        }
    }

    /// A write with `RETURNING`; the rows it returned.
    fn write_returning(
        &self,
        s: Statement<'_>,
    ) -> impl Future<Output = Result<Vec<Row<Self>>>> + Send {
        async move {
            let mut conn = self.writer().acquire().await?;
            Ok(Self::query(s)?.fetch_all(conn.runs()).await?)
        }
    }

    /// Opens a write transaction.
    fn begin(&self) -> impl Future<Output = Result<Tx<Self>>> + Send {
        async move { Ok(Tx(self.writer().begin_with(Self::BACKEND.begin()).await?)) }
    }
}

/// An open write transaction of a dialect.
pub(crate) struct Tx<D: Dialect + ?Sized>(Transaction<'static, D::Db>);

impl<D: Dialect> Tx<D> {
    /// A write; the number of rows it changed.
    pub async fn execute(&mut self, s: Statement<'_>) -> Result<u64> {
        Ok(D::query(s)?.execute(self.0.runs()).await?.changed())
    }

    /// A statement's rows.
    pub async fn fetch_all(&mut self, s: Statement<'_>) -> Result<Vec<Row<D>>> {
        Ok(D::query(s)?.fetch_all(self.0.runs()).await?)
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<()> {
        Ok(self.0.commit().await?)
    }
}

/// A connection that runs queries: sqlx's executor bound on `&mut` connections, as a bound the
/// compiler carries along with [`Dialect::Db`].
pub(crate) trait Runs<Db: Database>: Send {
    /// The connection as an executor.
    fn runs(&mut self) -> impl Executor<'_, Database = Db>;
}

impl<Db: Database, C: Send> Runs<Db> for C
where
    for<'c> &'c mut C: Executor<'c, Database = Db>,
{
    fn runs(&mut self) -> impl Executor<'_, Database = Db> {
        self
    }
}

/// The number of rows a write changed, whatever the database (implemented beside each
/// backend's encoding).
pub(crate) trait Changed {
    fn changed(&self) -> u64;
}

/// A dialect's row.
pub(crate) type Row<D> = <<D as Dialect>::Db as Database>::Row;

/// A dialect's bound arguments.
pub(crate) type Args<D> = <<D as Dialect>::Db as Database>::Arguments;

/// The single value of a `RETURNING id` / `COUNT(*) AS n` row.
pub(crate) fn first_int<R: StoredRow>(rows: &[R], column: &str) -> Result<Option<i64>> {
    rows.first().map(|row| row.int(column)).transpose()
}

/// `sql` with its `?` placeholders numbered `$1 … $n` in order (the writes' statements,
/// for PostgreSQL). No `?` of ours is inside a string literal.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses a stored enum text, reporting a corrupt row instead of panicking.
pub(crate) fn parse_stored<T: FromStr>(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::corrupt(table, column, format!("unexpected value {text:?}")))
}
