//! What the two queues (SMS outbox, ticket notifications) share: the lease end of a claim, the
//! decision that follows a failed send, and their listing for the console.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::dialect::{Dialect, Statement, StoredRow};
use crate::error::Result;
use crate::model::{FailureKind, RetryOutcome, RetryPolicy, retry_outcome};

/// When a lease taken at `now` ends (far future if `lease` is out of range).
pub(crate) fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Decides what follows a failed send of row `id` of queue `table` (a trusted constant), read
/// (and locked where the dialect locks rows) in `tx`; `None` when the row is no longer being
/// sent (a late or repeated report), which the caller ignores.
pub(crate) async fn failure_outcome<D: Dialect>(
    tx: &mut D::Tx,
    table: &'static str,
    id: i64,
    kind: FailureKind,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<Option<RetryOutcome>> {
    let sql = format!(
        "SELECT attempts FROM {table} WHERE id = $1 AND state = 'sending'{}",
        D::FOR_UPDATE
    );
    let rows = D::tx_fetch_all(tx, Statement::new(sql).bind(id)).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(retry_outcome(
        kind,
        policy,
        row.small_int("attempts")?,
        now,
    )))
}

/// Rows of queue `table` (with `columns`, both trusted constants) of the communes in scope,
/// `order_by` first, optionally of some `states` only, at most `limit` (a negative one is 0).
pub(crate) async fn list_in_scope<D: Dialect>(
    db: &D,
    table: &str,
    columns: &str,
    order_by: &str,
    communes: &[String],
    states: &[String],
    limit: Option<i64>,
) -> Result<Vec<D::Row>> {
    let sql = format!(
        "SELECT {columns} FROM {table}
         WHERE {} AND ($2 = 0 OR {})
         ORDER BY {order_by} {}",
        D::in_scope("tenant", 1),
        D::in_scope("state", 3),
        D::limit(4)
    );
    db.fetch_all(
        Statement::new(sql)
            .bind(communes)
            .bind(i64::from(!states.is_empty()))
            .bind(states)
            .bind(limit.map(|limit| limit.max(0))),
    )
    .await
}
