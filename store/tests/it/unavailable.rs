//! Which store errors are worth retrying unchanged ([`StoreError::is_unavailable`]): the
//! database codes and sqlx errors of an outage, against those of a bad statement or row.

use std::borrow::Cow;
use std::io;

use guichet_store::StoreError;

/// A database error with a given SQLSTATE, as a PostgreSQL server would send it.
#[derive(Debug)]
struct Coded(&'static str);

impl std::fmt::Display for Coded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}", self.0)
    }
}

impl std::error::Error for Coded {}

impl sqlx::error::DatabaseError for Coded {
    fn message(&self) -> &str {
        "test"
    }
    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.0))
    }
    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }
    fn kind(&self) -> sqlx::error::ErrorKind {
        sqlx::error::ErrorKind::Other
    }
}

fn database(code: &'static str) -> StoreError {
    StoreError::Database(sqlx::Error::Database(Box::new(Coded(code))))
}

fn io(kind: io::ErrorKind) -> StoreError {
    StoreError::Database(sqlx::Error::Io(io::Error::new(kind, "test")))
}

#[test]
fn connection_failures_are_unavailable() {
    for kind in [
        io::ErrorKind::ConnectionRefused,
        io::ErrorKind::ConnectionReset,
        io::ErrorKind::UnexpectedEof,
        io::ErrorKind::BrokenPipe,
    ] {
        assert!(io(kind).is_unavailable(), "{kind:?}");
    }
    assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
    assert!(StoreError::Database(sqlx::Error::PoolClosed).is_unavailable());
    assert!(StoreError::Database(sqlx::Error::WorkerCrashed).is_unavailable());
}

#[test]
fn postgres_connection_and_shutdown_states_are_unavailable() {
    for code in [
        "08000", "08003", "08006", "08001", "08004", "57P01", "57P02", "57P03",
    ] {
        assert!(database(code).is_unavailable(), "{code}");
    }
    // Unique violation, undefined table, syntax error, query cancelled, disk full.
    for code in ["23505", "42P01", "42601", "57014", "53100"] {
        assert!(!database(code).is_unavailable(), "{code}");
    }
}

/// Real SQLite errors: a write refused because another connection holds the write lock
/// (SQLITE_BUSY) may succeed later; a unique violation never will.
#[tokio::test]
async fn sqlite_busy_is_unavailable_and_a_constraint_is_not() {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};

    let dir = tempfile::tempdir().expect("temporary directory");
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("busy.db"))
        .create_if_missing(true)
        .busy_timeout(std::time::Duration::ZERO);
    let mut first = options.connect().await.expect("first connection");
    let mut second = options.connect().await.expect("second connection");
    sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY)")
        .execute(&mut first)
        .await
        .unwrap();
    sqlx::query("INSERT INTO t VALUES ('x')")
        .execute(&mut first)
        .await
        .unwrap();
    let duplicate = sqlx::query("INSERT INTO t VALUES ('x')")
        .execute(&mut first)
        .await
        .unwrap_err();
    assert!(!StoreError::Database(duplicate).is_unavailable());

    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut first)
        .await
        .unwrap();
    let busy = sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut second)
        .await
        .unwrap_err();
    let busy = StoreError::Database(busy);
    assert!(busy.is_unavailable(), "{busy}");
    sqlx::query("ROLLBACK").execute(&mut first).await.unwrap();
    first.close().await.unwrap();
    second.close().await.unwrap();
}

#[test]
fn other_errors_are_permanent() {
    assert!(!StoreError::Invalid("empty body".into()).is_unavailable());
    assert!(!StoreError::Conflict("a@b.c".into()).is_unavailable());
    assert!(!StoreError::UnsupportedUrl("mysql://x".into()).is_unavailable());
    assert!(
        !StoreError::Corrupt {
            table: "sessions",
            column: "state",
            detail: "not JSON".into(),
        }
        .is_unavailable()
    );
    assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
    assert!(!StoreError::Database(sqlx::Error::Protocol("bad".into())).is_unavailable());
}

#[tokio::test]
async fn a_busy_sqlite_database_is_unavailable() {
    use sqlx::ConnectOptions as _;
    use sqlx::Connection as _;
    use std::str::FromStr as _;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/busy.db?mode=rwc", dir.path().display());
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .unwrap()
        .busy_timeout(std::time::Duration::ZERO);
    let mut holder = options.connect().await.unwrap();
    sqlx::query("CREATE TABLE t (x INTEGER)")
        .execute(&mut holder)
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut holder)
        .await
        .unwrap();
    let mut other = options.connect().await.unwrap();
    let error = sqlx::query("INSERT INTO t VALUES (1)")
        .execute(&mut other)
        .await
        .unwrap_err();
    assert!(StoreError::from(error).is_unavailable());
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    let error = sqlx::query("SELECT * FROM missing")
        .execute(&mut other)
        .await
        .unwrap_err();
    assert!(!StoreError::from(error).is_unavailable());
    let _ = other.close().await;
    let _ = holder.close().await;
}
