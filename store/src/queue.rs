//! What the two queues (SMS outbox, ticket notifications) share: the lease end of a claim, the
//! decision that follows a failed send, and their listing and counts for the console.

use std::time::Duration;

use chrono::{DateTime, Utc};

use std::str::FromStr;

use crate::dialect::{Dialect, Row, StoredRow, parse_stored, stmt};
use crate::error::{Result, StoreError};
use crate::model::{FailureKind, RetryOutcome, RetryPolicy};

/// When a lease taken at `now` ends (far future if `lease` is out of range).
pub(crate) fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// What differs between the two queues when a send fails.
pub(crate) struct FailedSend {
    /// The table (a trusted constant).
    pub table: &'static str,
    /// The state of a row due again after a transient failure.
    pub retry_state: &'static str,
    /// Whether a dead row keeps a due time (`now`; otherwise `NULL`).
    pub dead_is_due: bool,
    /// More of the update (a trusted constant), e.g. the end of the row's lease.
    pub also_set: &'static str,
}

/// Records a failed send of row `id` of `queue`: what follows is `policy`'s decision from the
/// stored attempt count, read (and locked where the dialect locks rows) in the transaction of
/// the update. `Ignored` when the row is no longer being sent (a late or repeated report).
pub(crate) async fn record_failure<D: Dialect>(
    db: &D,
    queue: FailedSend,
    id: i64,
    error: &str,
    kind: FailureKind,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<RetryOutcome> {
    let FailedSend { table, .. } = queue;
    let mut tx = db.begin().await?;
    let sql = format!(
        "SELECT attempts FROM {table} WHERE id = $1 AND state = 'sending'{}",
        D::FOR_UPDATE
    );
    let rows = D::tx_fetch_all(&mut tx, stmt!(sql, id)).await?;
    let Some(row) = rows.first() else {
        return Ok(RetryOutcome::Ignored);
    };
    let outcome = policy.outcome(kind, row.small_int("attempts")?, now);
    let (state, next) = match outcome {
        RetryOutcome::RetryAt(at) => (queue.retry_state, Some(at)),
        _ => ("dead", queue.dead_is_due.then_some(now)),
    };
    let sql = format!(
        "UPDATE {table} SET state = $1, next_attempt_at = $2, last_error = $3, updated_at = $4{}
         WHERE id = $5",
        queue.also_set
    );
    D::tx_execute(&mut tx, stmt!(sql, state, next, error, now, id)).await?;
    D::commit(tx).await?;
    Ok(outcome)
}

/// Rows of queue `table` (with `columns`, both trusted constants) of the communes in scope,
/// `order_by` first, optionally of some `states` only, at most `limit` (a negative one is 0).
pub(crate) async fn list_in_scope<D: Dialect>(
    db: &D,
    table: &str,
    columns: &str,
    order_by: &str,
    communes: &[String],
    states: impl IntoIterator<Item = &'static str>,
    limit: Option<i64>,
) -> Result<Vec<Row<D>>> {
    let states: Vec<String> = states.into_iter().map(str::to_string).collect();
    let sql = format!(
        "SELECT {columns} FROM {table}
         WHERE {} AND ($2 = 0 OR {})
         ORDER BY {order_by} {}",
        D::in_scope("tenant", 1),
        D::in_scope("state", 3),
        D::limit(4)
    );
    db.fetch_all(stmt!(
        sql,
        communes,
        i64::from(!states.is_empty()),
        &states[..],
        limit.map(|limit| limit.max(0))
    ))
    .await
}

/// How many rows of queue `table` (a trusted constant) of the communes in scope are in each of
/// the states `all` (every state listed, 0 when none).
pub(crate) async fn state_counts<D: Dialect, S: Copy + PartialEq + std::str::FromStr>(
    db: &D,
    table: &'static str,
    all: &[S],
    communes: &[String],
) -> Result<Vec<(S, i64)>> {
    let sql = format!(
        "SELECT state, COUNT(*) AS n FROM {table} WHERE {} GROUP BY state",
        D::in_scope("tenant", 1)
    );
    let rows = db.fetch_all(stmt!(sql, communes)).await?;
    let counts = rows
        .iter()
        .map(|row| Ok((row.text("state")?, row.int("n")?)))
        .collect::<Result<Vec<_>>>()?;
    counts_by_state(all, counts, table)
}

/// Counts per state from `(state, count)` rows: every state of `all`, in its order, zero when
/// absent; shared by both backends (notifications, outbox).
fn counts_by_state<S: Copy + PartialEq + FromStr>(
    all: &[S],
    rows: Vec<(String, i64)>,
    table: &'static str,
) -> Result<Vec<(S, i64)>, StoreError> {
    let mut counts: Vec<(S, i64)> = all.iter().map(|s| (*s, 0)).collect();
    for (text, count) in rows {
        let state: S = parse_stored(&text, table, "state")?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
            slot.1 += count;
        }
    }
    Ok(counts)
}
