//! Group commit of turns on the SQLite writer.
//!
//! Every webhook saves its turn (session, transcript line, tickets, SMS) before it answers, and
//! SQLite has one writer. Rather than one transaction per turn, a writer task takes every turn
//! waiting at that moment and saves them in ONE transaction, then answers each caller: under
//! load the cost of `BEGIN`/`COMMIT` (and of writing the same pages again) is shared, and a
//! turn waits for one batch instead of a queue of transactions. A turn's rows are still
//! committed before its webhook answers; each turn is still all-or-nothing: if a statement of
//! the batch fails, the batch is rolled back and every turn is retried alone, so one bad turn
//! only fails itself.

use sqlx::sqlite::{SqliteArguments, SqlitePool, SqliteRow};
use sqlx::{Arguments as _, Row as _};
use tokio::sync::{mpsc, oneshot};

use crate::error::{Result, StoreError};
use crate::model::TurnSaved;

/// At most this many turns share a transaction (bounds the latency of the first one).
const MAX_BATCH: usize = 64;

/// One turn's statements and arguments, ready for the writer.
pub(crate) struct PreparedTurn {
    pub sql: String,
    pub args: SqliteArguments,
    pub tickets: usize,
    pub messages: usize,
}

impl PreparedTurn {
    pub fn new(sql: String, tickets: usize, messages: usize) -> Self {
        PreparedTurn {
            sql,
            args: SqliteArguments::default(),
            tickets,
            messages,
        }
    }

    /// Appends an argument (in the order of the `?` of `sql`).
    pub fn bind<'t, T>(&mut self, value: T) -> Result<&mut Self>
    where
        T: sqlx::Encode<'t, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        self.args
            .add(value)
            .map_err(|e| StoreError::Invalid(format!("cannot encode a turn's value: {e}")))?;
        Ok(self)
    }
}

struct Job {
    turn: PreparedTurn,
    done: oneshot::Sender<Result<TurnSaved>>,
}

/// The handle of the writer task (cheap to clone).
#[derive(Debug, Clone)]
pub(crate) struct TurnWriter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl TurnWriter {
    /// Starts the writer task on the current tokio runtime; it ends when every handle is gone.
    pub fn start(writer: SqlitePool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, queue));
        TurnWriter { jobs }
    }

    /// Saves one turn in the next batch and waits for its commit.
    pub async fn save(&self, turn: PreparedTurn) -> Result<TurnSaved> {
        let (done, saved) = oneshot::channel();
        self.jobs
            .send(Job { turn, done })
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
                // Some turn of the batch failed: each one alone, so only that one fails.
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

/// Saves every turn of `batch` in one transaction; on any error nothing is saved.
async fn commit_batch(writer: &SqlitePool, batch: &[Job]) -> Result<Vec<TurnSaved>> {
    // IMMEDIATE takes the write lock up front (another process may write at the same time).
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let turn = &job.turn;
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(turn.sql.clone()), turn.args.clone())
            .fetch_all(&mut *tx)
            .await?;
        results.push(saved_from_rows(&rows, turn.tickets, turn.messages)?);
    }
    tx.commit().await?;
    Ok(results)
}

/// Rows come back in statement order: `(0, seq)` if the turn was new, then `(1, ticket id)` per
/// ticket and `(2, outbox id)` per SMS.
fn saved_from_rows(rows: &[SqliteRow], tickets: usize, messages: usize) -> Result<TurnSaved> {
    let mut saved = TurnSaved {
        inserted: false,
        ticket_ids: Vec::with_capacity(tickets),
        outbox_ids: Vec::with_capacity(messages),
    };
    for row in rows {
        let kind: i64 = row.try_get("k")?;
        let id: i64 = row.try_get("id")?;
        match kind {
            0 => saved.inserted = true,
            1 => saved.ticket_ids.push(id),
            _ => saved.outbox_ids.push(id),
        }
    }
    Ok(saved)
}
