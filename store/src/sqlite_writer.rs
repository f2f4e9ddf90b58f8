//! Group commit on the SQLite writer, for the writes of the citizens' path: turns and the
//! closing of sessions (a call's hang-up).
//!
//! Every webhook saves its turn (session, transcript line, tickets, SMS) before it answers, and
//! SQLite has one writer. Rather than one transaction per write, a writer task takes every write
//! waiting at that moment and commits them in ONE transaction, then answers each caller: under
//! load the cost of `BEGIN`/`COMMIT` (and of writing the same pages again) is shared, and a
//! write waits for one batch instead of a queue of transactions. A write is still committed
//! before its webhook answers; each write is still all-or-nothing: if a statement of the batch
//! fails, the batch is rolled back and every write is retried alone, so one bad write only
//! fails itself.
//!
//! A write is one (possibly multi-statement) query whose statements return rows of two
//! integers, `k` and `id`; what they mean is the caller's business (see `sqlite::saved_from_rows`).

use std::sync::Arc;

use sqlx::sqlite::{SqliteArguments, SqlitePool, SqliteRow};
use sqlx::{Arguments as _, Row as _};
use tokio::sync::{mpsc, oneshot};

use crate::error::{Result, StoreError};

/// At most this many writes share a transaction (bounds the latency of the first one).
const MAX_BATCH: usize = 64;

/// One write's statements and arguments, ready for the writer.
pub(crate) struct PreparedWrite {
    sql: Arc<str>,
    args: SqliteArguments,
}

/// The `(k, id)` rows a write returned, in statement order.
pub(crate) type WriteRows = Vec<(i64, i64)>;

impl PreparedWrite {
    pub fn new(sql: Arc<str>) -> Self {
        PreparedWrite {
            sql,
            args: SqliteArguments::default(),
        }
    }

    /// Appends an argument (in the order of the `?` of `sql`).
    pub fn bind<'t, T>(&mut self, value: T) -> Result<&mut Self>
    where
        T: sqlx::Encode<'t, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        self.args
            .add(value)
            .map_err(|e| StoreError::Invalid(format!("cannot encode a value to write: {e}")))?;
        Ok(self)
    }
}

struct Job {
    write: PreparedWrite,
    done: oneshot::Sender<Result<WriteRows>>,
}

/// The handle of the writer task (cheap to clone).
#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl GroupWriter {
    /// Starts the writer task on the current tokio runtime; it ends when every handle is gone.
    pub fn start(writer: SqlitePool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, queue));
        GroupWriter { jobs }
    }

    /// Runs one write in the next batch and waits for its commit.
    pub async fn write(&self, write: PreparedWrite) -> Result<WriteRows> {
        let (done, saved) = oneshot::channel();
        self.jobs
            .send(Job { write, done })
            .map_err(|_| writer_gone())?;
        saved.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

async fn run(writer: SqlitePool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(job) = queue.recv().await {
        batch.push(job);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match commit_batch(&writer, &batch).await {
            Ok(results) => {
                for (job, saved) in batch.drain(..).zip(results) {
                    let _ = job.done.send(Ok(saved));
                }
            }
            Err(error) if batch.len() == 1 => {
                if let Some(job) = batch.pop() {
                    let _ = job.done.send(Err(error));
                }
            }
            Err(_) => {
                // Some write of the batch failed: each one alone, so only that one fails.
                for job in batch.drain(..) {
                    let result = commit_batch(&writer, std::slice::from_ref(&job))
                        .await
                        .and_then(|mut saved| saved.pop().ok_or_else(writer_gone));
                    let _ = job.done.send(result);
                }
            }
        }
    }
}

/// Runs every write of `batch` in one transaction; on any error nothing is saved.
async fn commit_batch(writer: &SqlitePool, batch: &[Job]) -> Result<Vec<WriteRows>> {
    // IMMEDIATE takes the write lock up front (another process may write at the same time).
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let write = &job.write;
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(write.sql.clone()), write.args.clone())
            .fetch_all(&mut *tx)
            .await?;
        results.push(rows.iter().map(k_and_id).collect::<Result<_>>()?);
    }
    tx.commit().await?;
    Ok(results)
}

fn k_and_id(row: &SqliteRow) -> Result<(i64, i64)> {
    Ok((row.try_get("k")?, row.try_get("id")?))
}
