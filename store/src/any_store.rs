//! [`AnyStore`]: the backend chosen at run time from a URL, dispatching every [`Store`] method.

use chrono::{DateTime, Utc};

use crate::error::{Result, StoreError};
use crate::methods::dispatch_any_store;
use crate::*;

/// The store chosen at run time from a URL: `sqlite:…` or `postgres://…` / `postgresql://…`.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL server.
    Postgres(PgStore),
}

impl AnyStore {
    /// Connects and runs the migrations. SQLite URLs may create the file (`?mode=rwc`; the
    /// parent directory is created too).
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(AnyStore::Sqlite(SqliteStore::connect(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(AnyStore::Postgres(PgStore::connect(url).await?))
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// Whether other processes write the same sessions: the nodes of a deployment share its
    /// PostgreSQL database, while an embedded SQLite file belongs to one `guichet serve`.
    pub fn is_shared(&self) -> bool {
        matches!(self, AnyStore::Postgres(_))
    }

    /// `"sqlite"` or `"postgres"` (for logs and metrics).
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(_) => "sqlite",
            AnyStore::Postgres(_) => "postgres",
        }
    }

    /// Closes the connection pools (graceful shutdown).
    pub async fn close(&self) {
        match self {
            AnyStore::Sqlite(s) => s.close().await,
            AnyStore::Postgres(s) => s.close().await,
        }
    }

    /// Ticket changes made by every node sharing the database, for live views (the console's
    /// queue): PostgreSQL `LISTEN`s on a dedicated connection, reconnecting with backoff.
    /// `None` on SQLite (one node: its own signals suffice). Starts a task: call it inside a
    /// tokio runtime, once per process (each feed holds a connection).
    pub fn ticket_change_feed(&self) -> Option<TicketFeed> {
        match self {
            AnyStore::Sqlite(_) => None,
            AnyStore::Postgres(store) => Some(TicketFeed::listen(store.pool())),
        }
    }
}

/// A URL without its password, for error messages.
fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => url.to_string(),
    }
}

crate::store_methods!(dispatch_any_store);
