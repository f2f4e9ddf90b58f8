//! What the two queues (SMS outbox, ticket notifications) share: leasing due rows to a worker,
//! the decision that follows a failed send, and their listing and counts for the console.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::dialect::{Dialect, Row, StoredRow, parse_stored, stmt};
use crate::error::Result;
use crate::model::{FailureKind, RetryOutcome, RetryPolicy};

/// What differs between the two queues, declared once by each (`outbox::QUEUE`,
/// `notifications::QUEUE`). Every field is a trusted constant.
pub(crate) struct Queue {
    /// The table, and the columns of its rows.
    pub table: &'static str,
    pub columns: &'static str,
    /// Which rows are due at `$1`, in which order they are leased, and what leasing one sets
    /// (`$1`: now, `$3`: the end of the lease): see [`Dialect::lease_due`].
    pub due: &'static str,
    pub due_order: &'static str,
    pub lease: &'static str,
    /// The state of a row due again after a transient failure.
    pub retry_state: &'static str,
    /// Whether a dead row keeps a due time (`now`; otherwise `NULL`).
    pub dead_is_due: bool,
    /// More of a failure's update, e.g. the end of the row's lease.
    pub also_set: &'static str,
    /// The order of the console's listing.
    pub listed_by: &'static str,
}

/// Leases up to `limit` due rows of `queue` until `now + lease` (far future if `lease` is out
/// of range), and returns them, decoded by `from_row`, by `id`.
pub(crate) async fn claim<D: Dialect, T>(
    db: &D,
    queue: &Queue,
    limit: i64,
    now: DateTime<Utc>,
    lease: Duration,
    from_row: fn(&Row<D>) -> Result<T>,
    id: fn(&T) -> i64,
) -> Result<Vec<T>> {
    let lease_end = chrono::Duration::from_std(lease)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let sql = D::lease_due(queue.table, queue.due, queue.due_order, queue.lease);
    let rows = db
        .write_returning(stmt!(sql, now, limit.max(0), lease_end))
        .await?;
    let mut claimed = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    claimed.sort_by_key(id);
    Ok(claimed)
}

/// Records a failed send of row `id` of `queue`: what follows is `policy`'s decision from the
/// stored attempt count, read (and locked where the dialect locks rows) in the transaction of
/// the update. `Ignored` when the row is no longer being sent (a late or repeated report).
pub(crate) async fn record_failure<D: Dialect>(
    db: &D,
    queue: &Queue,
    id: i64,
    error: &str,
    kind: FailureKind,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<RetryOutcome> {
    let table = queue.table;
    let mut tx = db.begin().await?;
    let sql = format!(
        "SELECT attempts FROM {table} WHERE id = $1 AND state = 'sending'{}",
        D::FOR_UPDATE
    );
    let rows = tx.fetch_all(stmt!(sql, id)).await?;
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
    tx.execute(stmt!(sql, state, next, error, now, id)).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Rows of `queue` of the communes in scope, in the listing's order, optionally of some
/// `states` only, at most `limit` (a negative one is 0).
pub(crate) async fn list_in_scope<D: Dialect>(
    db: &D,
    queue: &Queue,
    communes: &[String],
    states: &[impl ToString],
    limit: Option<i64>,
) -> Result<Vec<Row<D>>> {
    let states: Vec<String> = states.iter().map(ToString::to_string).collect();
    let (table, columns, listed_by) = (queue.table, queue.columns, queue.listed_by);
    let sql = format!(
        "SELECT {columns} FROM {table}
         WHERE {} AND ($2 = 0 OR {})
         ORDER BY {listed_by} {}",
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

/// How many rows of `queue` of the communes in scope are in each of the states `all`: every
/// state, in its order, 0 when none.
pub(crate) async fn state_counts<D: Dialect, S: Copy + PartialEq + FromStr>(
    db: &D,
    queue: &Queue,
    all: &[S],
    communes: &[String],
) -> Result<Vec<(S, i64)>> {
    let table = queue.table;
    let sql = format!(
        "SELECT state, COUNT(*) AS n FROM {table} WHERE {} GROUP BY state",
        D::in_scope("tenant", 1)
    );
    let mut counts: Vec<(S, i64)> = all.iter().map(|s| (*s, 0)).collect();
    for row in db.fetch_all(stmt!(sql, communes)).await? {
        let state: S = parse_stored(&row.text("state")?, table, "state")?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
            slot.1 += row.int("n")?;
        }
    }
    Ok(counts)
}
