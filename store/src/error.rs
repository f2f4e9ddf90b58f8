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
    /// A [`StoreError::Corrupt`] value of `table.column`.
    pub(crate) fn corrupt(table: &'static str, column: &'static str, detail: String) -> Self {
        StoreError::Corrupt {
            table,
            column,
            detail,
        }
    }

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
        sqlx::Error::Database(database) => match database.code() {
            // SQLite's extended result codes: SQLITE_BUSY (5) and SQLITE_LOCKED (6).
            Some(code)
                if database
                    .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                    .is_some() =>
            {
                code.parse::<i64>()
                    .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
            }
            Some(code) => code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03"),
            None => false,
        },
        _ => false,
    }
}
