//! The store's error type.

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported backend.
    #[error("unsupported database URL {0:?}: expected sqlite:… or postgres://…")]
    UnsupportedUrl(String),
    /// The database refused or failed a query (connection, constraint, I/O…).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row holds a value the store cannot understand (never panics on bad data).
    #[error("invalid value in {table}.{column}: {detail}")]
    Corrupt {
        /// Table the value came from.
        table: &'static str,
        /// Column the value came from.
        column: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// A unique value (e.g. a staff e-mail) already exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// A caller-supplied value is invalid (e.g. an empty SMS body).
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl From<guichet_model::Invalid> for StoreError {
    fn from(invalid: guichet_model::Invalid) -> Self {
        StoreError::Invalid(invalid.0)
    }
}

/// Result alias of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// True when the database could not be reached or is shutting down, so that the same call
    /// may succeed later unchanged: refused or reset connections, I/O errors, a pool that timed
    /// out or was closed, PostgreSQL SQLSTATE class 08 (connection exception) and 57P01–57P03
    /// (administrator shutdown, crash shutdown, cannot connect now), SQLite "busy" and "locked".
    /// Everything else (constraints, corrupt rows, invalid input, SQL errors) is permanent:
    /// retrying the same call would fail the same way.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(error) => sqlx_is_unavailable(error),
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(error)) => {
                sqlx_is_unavailable(error)
            }
            _ => false,
        }
    }
}

fn sqlx_is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database) => {
            let Some(code) = database.code() else {
                return false;
            };
            if database
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some()
            {
                sqlite_code_is_unavailable(&code)
            } else {
                sqlstate_is_unavailable(&code)
            }
        }
        _ => false,
    }
}

/// PostgreSQL: connection exceptions (class 08) and the server shutting down or starting.
fn sqlstate_is_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

/// SQLite (extended result codes): SQLITE_BUSY (5) and SQLITE_LOCKED (6), whatever the
/// extended part.
fn sqlite_code_is_unavailable(code: &str) -> bool {
    code.parse::<i64>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::io;

    use super::*;

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

    #[test]
    fn sqlite_result_codes_are_read_as_sqlite_codes() {
        assert!(sqlite_code_is_unavailable("5"));
        assert!(sqlite_code_is_unavailable("517")); // SQLITE_BUSY_SNAPSHOT
        assert!(sqlite_code_is_unavailable("6"));
        assert!(!sqlite_code_is_unavailable("19")); // SQLITE_CONSTRAINT
        assert!(!sqlite_code_is_unavailable("2067")); // SQLITE_CONSTRAINT_UNIQUE
        assert!(!sqlite_code_is_unavailable("busy"));
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
}
