//! Retention and the rights of callers: purging a commune's old rows, a caller's records
//! (access request) and their erasure.

use chrono::{DateTime, Utc};
use guichet_phone::stored_number;

use crate::dialect::{Dialect, stmt};
use crate::error::Result;
use crate::model::{CallerRecords, ErasureReport, PurgeReport};
use crate::outbox::{OUTBOX_COLUMNS, outbox_from_row};
use crate::sessions::{SESSION_COLUMNS, TURN_COLUMNS, session_from_row, turn_from_row};
use crate::tickets::{TICKET_COLUMNS, ticket_from_row};

/// What anonymising a ticket removes (its notes are deleted beside).
const ANONYMISED: &str = "caller_number = NULL, summary = '', transcript = 'null'";

/// Closed tickets of commune `$1` closed by `$2` and not yet anonymised.
const OLD_CLOSED: &str = "tenant = $1 AND state IN ('termine', 'injoignable')
     AND closed_at <= $2 AND anonymised_at IS NULL";

pub(crate) async fn purge_before<D: Dialect>(
    db: &D,
    commune: &str,
    cutoff: DateTime<Utc>,
) -> Result<PurgeReport> {
    let mut tx = db.begin().await?;
    // Every statement binds the commune at $1 and the cutoff at $2.
    let mut run = async |sql: &str| tx.execute(stmt!(sql.to_owned(), commune, cutoff)).await;
    let turns_deleted = run("DELETE FROM turns WHERE tenant = $1 AND at < $2").await?;
    let sessions_deleted = run("DELETE FROM sessions WHERE tenant = $1 AND updated_at < $2
             AND (closed_at IS NOT NULL OR expires_at < $2)")
    .await?;
    // A ticket nobody handled within the retention period is closed: the citizen can no
    // longer be called back about it, and its number must go like the rest.
    let tickets_expired = run("UPDATE tickets SET state = 'injoignable', closed_at = $2
         WHERE tenant = $1 AND state IN ('nouveau', 'pris_en_charge') AND created_at < $2")
    .await?;
    run(&format!(
        "DELETE FROM ticket_notes WHERE ticket_id IN (SELECT id FROM tickets WHERE {OLD_CLOSED})"
    ))
    .await?;
    let sql = format!("UPDATE tickets SET {ANONYMISED}, anonymised_at = $2 WHERE {OLD_CLOSED}");
    let tickets_anonymised = run(&sql).await?;
    let outbox_deleted = run("DELETE FROM outbox WHERE tenant = $1 AND updated_at < $2
             AND state IN ('sent', 'delivered', 'failed', 'dead')")
    .await?;
    let notifications_deleted = run("DELETE FROM notifications WHERE tenant = $1
             AND updated_at < $2 AND state IN ('sent', 'failed', 'dead')")
    .await?;
    let audit_deleted =
        run("DELETE FROM audit WHERE (commune = $1 OR commune IS NULL) AND at < $2").await?;
    tx.commit().await?;
    Ok(PurgeReport {
        turns_deleted,
        sessions_deleted,
        tickets_anonymised,
        outbox_deleted,
        tickets_expired,
        notifications_deleted,
        audit_deleted,
    })
}

pub(crate) async fn caller_records<D: Dialect>(
    db: &D,
    number: &str,
    pseudonym: &str,
) -> Result<CallerRecords> {
    let number = stored_number(number);
    let sql =
        format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE caller = $1 ORDER BY started_at");
    let sessions = db.fetch_records(stmt!(sql, pseudonym), session_from_row);
    let sql = format!(
        "SELECT {TURN_COLUMNS} FROM turns WHERE (tenant, conversation_id) IN
             (SELECT tenant, conversation_id FROM sessions WHERE caller = $1) ORDER BY at, seq"
    );
    let turns = db.fetch_records(stmt!(sql, pseudonym), turn_from_row);
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE caller_number = $1 ORDER BY created_at"
    );
    let tickets = db.fetch_records(stmt!(sql, &number), ticket_from_row);
    let sql =
        format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE recipient = $1 ORDER BY created_at");
    let outbox = db.fetch_records(stmt!(sql, &number), outbox_from_row);
    Ok(CallerRecords {
        sessions: sessions.await?,
        turns: turns.await?,
        tickets: tickets.await?,
        outbox: outbox.await?,
    })
}

pub(crate) async fn erase_caller<D: Dialect>(
    db: &D,
    number: &str,
    pseudonym: &str,
    at: DateTime<Utc>,
) -> Result<ErasureReport> {
    let number = stored_number(number);
    let mut tx = db.begin().await?;
    let sql = "DELETE FROM turns WHERE (tenant, conversation_id) IN
         (SELECT tenant, conversation_id FROM sessions WHERE caller = $1)";
    let turns_deleted = tx.execute(stmt!(sql, pseudonym)).await?;
    let sql = "DELETE FROM sessions WHERE caller = $1";
    let sessions_deleted = tx.execute(stmt!(sql, pseudonym)).await?;
    let sql = "DELETE FROM ticket_notes WHERE ticket_id IN
         (SELECT id FROM tickets WHERE caller_number = $1)";
    tx.execute(stmt!(sql, &number)).await?;
    let sql =
        format!("UPDATE tickets SET {ANONYMISED}, anonymised_at = $1 WHERE caller_number = $2");
    let tickets_anonymised = tx.execute(stmt!(sql, at, &number)).await?;
    let sql = "DELETE FROM outbox WHERE recipient = $1";
    let outbox_deleted = tx.execute(stmt!(sql, &number)).await?;
    tx.commit().await?;
    Ok(ErasureReport {
        sessions_deleted,
        turns_deleted,
        tickets_anonymised,
        outbox_deleted,
    })
}
