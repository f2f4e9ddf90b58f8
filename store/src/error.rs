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

/// Result alias of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
