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
//! integers, `k` and `id`; what they mean is the caller's business (see `writes.rs`). The
//! writes of a batch that share their SQL run as one query (see [`commit_batch`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArguments, SqliteArgumentsBuffer, SqlitePool, SqliteTypeInfo};
use sqlx::{Arguments as _, Encode, Row as _, Sqlite, Type};
use tokio::sync::{mpsc, oneshot};

use crate::dialect::Backend;
use crate::error::{Result, StoreError};
use crate::writes::WriteRows;

/// At most this many writes share a transaction (bounds the latency of the first one).
const MAX_BATCH: usize = 64;

/// One write's statements and arguments, ready for the writer.
pub(crate) struct PreparedWrite {
    pub sql: Arc<str>,
    /// The arguments, in the order of the `?` of `sql`.
    pub values: Vec<Bound>,
}

/// A value bound to a write, kept until its batch's query is built.
#[derive(Debug, Clone)]
pub(crate) enum Bound {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Encode<'_, Sqlite> for Bound {
    fn encode_by_ref(
        &self,
        buf: &mut SqliteArgumentsBuffer,
    ) -> std::result::Result<IsNull, BoxDynError> {
        match self {
            Bound::Null => Ok(IsNull::Yes),
            Bound::Int(value) => <i64 as Encode<Sqlite>>::encode_by_ref(value, buf),
            Bound::Real(value) => <f64 as Encode<Sqlite>>::encode_by_ref(value, buf),
            Bound::Text(value) => <String as Encode<Sqlite>>::encode_by_ref(value, buf),
        }
    }
}

impl Type<Sqlite> for Bound {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(_: &SqliteTypeInfo) -> bool {
        true
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
///
/// The writes of one kind (same SQL) go to SQLite together, in one query of their statements
/// repeated (see [`combined_sql`]): each query is a round trip to the connection's own thread,
/// and with one per write they made most of a batch's time under load. The writes of a batch
/// were all waiting at once, so any order is one they could have come in.
async fn commit_batch(writer: &SqlitePool, batch: &[Job]) -> Result<Vec<WriteRows>> {
    let mut tx = writer.begin_with(Backend::Sqlite.begin()).await?;
    let mut results = vec![WriteRows::new(); batch.len()];
    for chunk in chunks(batch) {
        let mut args = SqliteArguments::default();
        for &index in &chunk {
            for value in &batch[index].write.values {
                args.add(value)
                    .map_err(|e| StoreError::Invalid(format!("cannot encode a value: {e}")))?;
            }
        }
        let sql = combined_sql(&batch[chunk[0]].write.sql, chunk.len());
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .fetch_all(&mut *tx)
            .await?;
        // Each write's rows follow its marker row.
        let mut writes = chunk.iter();
        let mut current = None;
        for row in &rows {
            let (k, id): (i64, i64) = (row.try_get("k")?, row.try_get("id")?);
            if k == MARK_K {
                current = writes.next().copied();
            } else if let Some(index) = current {
                results[index].push((k, id));
            }
        }
    }
    tx.commit().await?;
    Ok(results)
}

/// The `k` of the row that opens each write's rows in a combined query.
const MARK_K: i64 = -1;

/// The writes of `batch` grouped by SQL (kinds in order of first arrival, writes in arrival
/// order), each group cut in chunks of a power of two: the combined queries are few, and so
/// are the statements SQLite keeps prepared.
fn chunks(batch: &[Job]) -> Vec<Vec<usize>> {
    let mut kinds: Vec<(&str, Vec<usize>)> = Vec::new();
    for (index, job) in batch.iter().enumerate() {
        let sql: &str = &job.write.sql;
        match kinds.iter_mut().find(|(kind, _)| *kind == sql) {
            Some((_, writes)) => writes.push(index),
            None => kinds.push((sql, vec![index])),
        }
    }
    let mut chunks = Vec::new();
    for (_, mut writes) in kinds {
        while !writes.is_empty() {
            let size = 1 << writes.len().ilog2();
            let rest = writes.split_off(size);
            chunks.push(std::mem::replace(&mut writes, rest));
        }
    }
    chunks
}

/// `sql` repeated `count` times, each time after a marker row (`k` = [`MARK_K`]); built once
/// per SQL and count.
fn combined_sql(sql: &Arc<str>, count: usize) -> Arc<str> {
    /// Combined SQL by write SQL and count.
    type Built = HashMap<(Arc<str>, usize), Arc<str>>;
    static BUILT: LazyLock<Mutex<Built>> = LazyLock::new(Default::default);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    built
        .entry((sql.clone(), count))
        .or_insert_with(|| {
            let body = sql.trim_end().trim_end_matches(';');
            let one = format!("SELECT {MARK_K} AS k, 0 AS id;\n{body};\n");
            Arc::from(one.repeat(count))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePoolOptions;

    use super::*;

    fn job(sql: &Arc<str>, value: i64) -> Job {
        let write = PreparedWrite {
            sql: sql.clone(),
            values: vec![Bound::Int(value)],
        };
        Job {
            write,
            done: oneshot::channel().0,
        }
    }

    #[test]
    fn writes_are_grouped_by_kind_in_chunks_of_a_power_of_two() {
        let (a, b, c): (Arc<str>, Arc<str>, Arc<str>) = ("A".into(), "B".into(), "C".into());
        let kinds = [&a, &b, &a, &a, &c, &a, &b, &a, &a, &a];
        let batch: Vec<Job> = kinds.iter().map(|sql| job(sql, 0)).collect();
        assert_eq!(
            chunks(&batch),
            [vec![0, 2, 3, 5], vec![7, 8], vec![9], vec![1, 6], vec![4]]
        );
    }

    #[tokio::test]
    async fn each_write_of_a_combined_query_gets_its_own_rows() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER UNIQUE)")
            .execute(&pool)
            .await
            .unwrap();
        // A write that returns a row only when it inserts, and one that returns none.
        let insert: Arc<str> =
            "INSERT INTO t (v) VALUES (?) ON CONFLICT (v) DO NOTHING RETURNING 0 AS k, id".into();
        let touch: Arc<str> = "UPDATE t SET v = v WHERE v = ?;".into();
        let batch = [
            job(&insert, 10),
            job(&touch, 10),
            job(&insert, 10),
            job(&insert, 20),
            job(&insert, 30),
        ];
        let rows = commit_batch(&pool, &batch).await.unwrap();
        assert_eq!(
            rows,
            [vec![(0, 1)], vec![], vec![], vec![(0, 2)], vec![(0, 3)]]
        );
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 3);
    }
}
