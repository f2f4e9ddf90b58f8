//! Ticket notifications (e-mail, webhook): a queue of one row per ticket and destination,
//! leased to senders, retried per [`RetryPolicy`], listed and counted for the console.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::dialect::{Dialect, Statement, StoredRow, first_int};
use crate::error::Result;
use crate::model::{
    FailureKind, NewNotification, Notification, NotificationFilter, NotificationState,
    RetryOutcome, RetryPolicy,
};
use crate::queue::{failure_outcome, lease_end};

const COLUMNS: &str = "id, tenant, ticket_id, destination, state, attempts, next_attempt_at, \
     lease_until, last_error, created_at, updated_at, sent_at";

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

/// Queues a notification (validated first), once per ticket and destination; the id of the
/// row holding them, new or existing.
pub(crate) async fn enqueue_notification<D: Dialect>(db: &D, n: &NewNotification) -> Result<i64> {
    n.validate()?;
    let destination = n.destination.trim();
    let mut tx = db.begin().await?;
    let inserted = D::tx_fetch_all(
        &mut tx,
        Statement::new(
            "INSERT INTO notifications (tenant, ticket_id, destination, state, attempts,
                 next_attempt_at, created_at, updated_at)
             VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4)
             ON CONFLICT (ticket_id, destination) DO NOTHING
             RETURNING id",
        )
        .bind(&n.tenant)
        .bind(n.ticket_id)
        .bind(destination)
        .bind(n.created_at),
    )
    .await?;
    let id = match first_int(&inserted, "id")? {
        Some(id) => id,
        None => {
            let existing = D::tx_fetch_all(
                &mut tx,
                Statement::new(
                    "SELECT id FROM notifications WHERE ticket_id = $1 AND destination = $2",
                )
                .bind(n.ticket_id)
                .bind(destination),
            )
            .await?;
            first_int(&existing, "id")?.ok_or(sqlx::Error::RowNotFound)?
        }
    };
    D::commit(tx).await?;
    Ok(id)
}

/// Leases at most `limit` due notifications (pending or failed and due, or whose lease ran
/// out) to the caller until `now + lease`, by id.
pub(crate) async fn claim_due_notifications<D: Dialect>(
    db: &D,
    limit: i64,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<Notification>> {
    let sql = D::lease_due(
        "notifications",
        "(state IN ('pending', 'failed') AND next_attempt_at <= $1)
            OR (state = 'sending' AND lease_until <= $1)",
        "COALESCE(next_attempt_at, lease_until), id",
        "state = 'sending', attempts = attempts + 1, lease_until = $3, next_attempt_at = NULL,
             updated_at = $1",
    );
    let rows = db
        .write_returning(
            Statement::new(sql)
                .bind(now)
                .bind(limit.max(0))
                .bind(lease_end(now, lease)),
        )
        .await?;
    let mut claimed = rows
        .iter()
        .map(notification_from_row)
        .collect::<Result<Vec<_>>>()?;
    claimed.sort_by_key(|n| n.id);
    Ok(claimed)
}

/// Records a sent notification; false if it was not being sent (a late report).
pub(crate) async fn mark_notification_sent<D: Dialect>(
    db: &D,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = db
        .execute(
            Statement::new(
                "UPDATE notifications SET state = 'sent', sent_at = $1, updated_at = $1,
                     last_error = NULL, lease_until = NULL, next_attempt_at = NULL
                 WHERE id = $2 AND state = 'sending'",
            )
            .bind(now)
            .bind(id),
        )
        .await?;
    Ok(changed > 0)
}

/// Records a failed send: retried later or dead, per `policy`.
pub(crate) async fn mark_notification_failed<D: Dialect>(
    db: &D,
    id: i64,
    error: &str,
    kind: FailureKind,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<RetryOutcome> {
    let mut tx = db.begin().await?;
    let Some(outcome) =
        failure_outcome::<D>(&mut tx, "notifications", id, kind, policy, now).await?
    else {
        return Ok(RetryOutcome::Ignored);
    };
    let (state, next) = match outcome {
        RetryOutcome::RetryAt(at) => ("failed", Some(at)),
        _ => ("dead", None),
    };
    D::tx_execute(
        &mut tx,
        Statement::new(
            "UPDATE notifications SET state = $1, next_attempt_at = $2, lease_until = NULL,
                 last_error = $3, updated_at = $4
             WHERE id = $5",
        )
        .bind(state)
        .bind(next)
        .bind(error)
        .bind(now)
        .bind(id),
    )
    .await?;
    D::commit(tx).await?;
    Ok(outcome)
}

/// Notifications of the communes in scope, newest first, optionally of some states only.
pub(crate) async fn list_notifications<D: Dialect>(
    db: &D,
    filter: &NotificationFilter,
) -> Result<Vec<Notification>> {
    let rows = crate::queue::list_in_scope(
        db,
        "notifications",
        COLUMNS,
        "created_at DESC, id DESC",
        &filter.communes,
        filter.states.iter().map(|state| state.as_str()),
        filter.limit,
    )
    .await?;
    rows.iter().map(notification_from_row).collect()
}

/// How many notifications of the communes in scope are in each state (every state listed).
pub(crate) async fn notification_counts<D: Dialect>(
    db: &D,
    communes: &[String],
) -> Result<Vec<(NotificationState, i64)>> {
    crate::queue::state_counts(db, "notifications", NotificationState::ALL, communes).await
}
