//! Ticket notifications (e-mail, webhook): a queue of one row per ticket and destination,
//! leased to senders, retried per [`RetryPolicy`], listed and counted for the console.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::dialect::{Dialect, StoredRow, first_int, stmt};
use crate::error::Result;
use crate::model::{
    FailureKind, NewNotification, Notification, NotificationFilter, NotificationState,
    RetryOutcome, RetryPolicy,
};
use crate::queue::{Queue, claim, list_in_scope, record_failure, state_counts};

const COLUMNS: &str = "id, tenant, ticket_id, destination, state, attempts, next_attempt_at, \
     lease_until, last_error, created_at, updated_at, sent_at";

/// The notifications as a queue: a notification being sent is due again when its
/// `lease_until` has passed; the console lists the newest first.
const QUEUE: Queue = Queue {
    table: "notifications",
    columns: COLUMNS,
    due: "(state IN ('pending', 'failed') AND next_attempt_at <= $1)
        OR (state = 'sending' AND lease_until <= $1)",
    due_order: "COALESCE(next_attempt_at, lease_until), id",
    lease: "state = 'sending', attempts = attempts + 1, lease_until = $3, next_attempt_at = NULL,
         updated_at = $1",
    retry_state: "failed",
    dead_is_due: false,
    also_set: ", lease_until = NULL",
    listed_by: "created_at DESC, id DESC",
};

fn notification_from_row(row: &impl StoredRow) -> Result<Notification> {
    const T: &str = "notifications";
    Ok(Notification {
        id: row.int("id")?,
        tenant: row.text("tenant")?,
        ticket_id: row.int("ticket_id")?,
        destination: row.text("destination")?,
        state: row.parsed(T, "state")?,
        attempts: row.small_int("attempts")?,
        next_attempt_at: row.opt_instant(T, "next_attempt_at")?,
        lease_until: row.opt_instant(T, "lease_until")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.instant(T, "created_at")?,
        updated_at: row.instant(T, "updated_at")?,
        sent_at: row.opt_instant(T, "sent_at")?,
    })
}

pub(crate) async fn enqueue_notification<D: Dialect>(db: &D, n: &NewNotification) -> Result<i64> {
    n.validate()?;
    let destination = n.destination.trim();
    let mut tx = db.begin().await?;
    let sql = "INSERT INTO notifications (tenant, ticket_id, destination, state, attempts,
             next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4)
         ON CONFLICT (ticket_id, destination) DO NOTHING
         RETURNING id";
    let s = stmt!(sql, &n.tenant, n.ticket_id, destination, n.created_at);
    let inserted = tx.fetch_all(s).await?;
    let id = match first_int(&inserted, "id")? {
        Some(id) => id,
        None => {
            let sql = "SELECT id FROM notifications WHERE ticket_id = $1 AND destination = $2";
            let existing = tx.fetch_all(stmt!(sql, n.ticket_id, destination)).await?;
            first_int(&existing, "id")?.ok_or(sqlx::Error::RowNotFound)?
        }
    };
    tx.commit().await?;
    Ok(id)
}

pub(crate) async fn claim_due_notifications<D: Dialect>(
    db: &D,
    limit: i64,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<Notification>> {
    claim(db, &QUEUE, limit, now, lease, notification_from_row, |n| {
        n.id
    })
    .await
}

pub(crate) async fn mark_notification_sent<D: Dialect>(
    db: &D,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let sql = "UPDATE notifications SET state = 'sent', sent_at = $1, updated_at = $1,
             last_error = NULL, lease_until = NULL, next_attempt_at = NULL
         WHERE id = $2 AND state = 'sending'";
    db.write(stmt!(sql, now, id)).await
}

pub(crate) async fn mark_notification_failed<D: Dialect>(
    db: &D,
    id: i64,
    error: &str,
    kind: FailureKind,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<RetryOutcome> {
    record_failure(db, &QUEUE, id, error, kind, policy, now).await
}

pub(crate) async fn list_notifications<D: Dialect>(
    db: &D,
    filter: &NotificationFilter,
) -> Result<Vec<Notification>> {
    let rows = list_in_scope(db, &QUEUE, &filter.communes, &filter.states, filter.limit).await?;
    rows.iter().map(notification_from_row).collect()
}

pub(crate) async fn notification_counts<D: Dialect>(
    db: &D,
    communes: &[String],
) -> Result<Vec<(NotificationState, i64)>> {
    state_counts(db, &QUEUE, NotificationState::ALL, communes).await
}
