//! SQLite backend: one file under `data/`, WAL journal, a single writer connection (all writes
//! are serialised in-process, so they never wait on each other's locks) and a pool of readers.
//! Instants are stored as INTEGER milliseconds since the epoch, JSON as TEXT.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::query::Query;
use sqlx::sqlite::{
    Sqlite, SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteSynchronous,
};

use crate::dialect::{Backend, Dialect, Statement};
use crate::error::{Result, StoreError};
use crate::sqlite_dialect::{bound, sqlite_query};
use crate::sqlite_writer::{GroupWriter, PreparedWrite};
use crate::writes::{RunsWrites, Write, WriteRows};

/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections.
const READERS: u32 = 4;

/// The embedded SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    group: GroupWriter,
}

impl SqliteStore {
    /// Opens the database at `url`, e.g. `sqlite://data/guichet.db`, creating it (and its
    /// parent directory) unless the URL says otherwise (`?mode=rw`, `?mode=ro`), and runs the
    /// migrations. `sqlite::memory:` gives a private in-memory database (tests). WAL,
    /// synchronous=NORMAL, a busy timeout and foreign keys are applied on top of the URL's options.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut options = SqliteConnectOptions::from_str(url)?;
        let mode_given = url
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|pair| pair.starts_with("mode=")));
        if !mode_given {
            options = options.create_if_missing(true);
        }
        let path = options.get_filename().to_path_buf();
        let name = path.to_string_lossy();
        // `sqlite::memory:` is rewritten by sqlx into a shared-cache `file:sqlx-in-memory-N`.
        let in_memory = name.is_empty()
            || name.contains(":memory:")
            || name.starts_with("file:sqlx-in-memory-");
        if !in_memory && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Invalid(format!("cannot create directory {}: {e}", parent.display()))
            })?;
        }
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let reader = if in_memory {
            // A second pool would open another, empty, in-memory database.
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READERS)
                .connect_with(options.read_only(true))
                .await?
        };
        let group = GroupWriter::start(writer.clone());
        Ok(SqliteStore {
            writer,
            reader,
            group,
        })
    }

    /// The single writer connection's pool (administration and tests).
    pub fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

impl RunsWrites for SqliteStore {
    /// The statements as ONE query, saved by the writer task in the next group commit (see
    /// `sqlite_writer`).
    async fn run_write(&self, write: Write<'_>) -> Result<WriteRows> {
        let sql: Vec<&str> = write
            .iter()
            .map(|statement| statement.sql.as_ref())
            .collect();
        let args = write.iter().flat_map(|s| s.args.iter().copied());
        let values = args.map(bound).collect::<Result<_>>()?;
        let sql = Arc::from(sql.join(";\n"));
        self.group.write(PreparedWrite { sql, values }).await
    }
}

impl Dialect for SqliteStore {
    type Db = Sqlite;

    const BACKEND: Backend = Backend::Sqlite;

    fn query(s: Statement<'_>) -> Result<Query<'static, Sqlite, SqliteArguments>> {
        sqlite_query(s)
    }

    /// The pool of read-only connections (the writer's own pool for an in-memory database).
    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }
}
