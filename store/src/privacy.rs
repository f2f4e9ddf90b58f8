//! Retention and the rights of callers: purging a commune's old rows, a caller's records
//! (access request) and their erasure.

use chrono::{DateTime, Utc};
use guichet_phone::stored_number;

use crate::dialect::{Dialect, stmt};
use crate::error::Result;
use crate::model::{CallerRecords, ErasureReport, PurgeReport};
use crate::outbox::{OUTBOX_COLUMNS, outbox_from_row};
use crate::sessions::{SESSION_COLUMNS, session_from_row, turn_from_row};
use crate::tickets::{TICKET_COLUMNS, ticket_from_row};

/// Closed tickets of commune `$1` closed by `$2` and not yet anonymised.
const OLD_CLOSED: &str = "tenant = $1 AND state IN ('termine', 'injoignable')
     AND closed_at <= $2 AND anonymised_at IS NULL";

/// Deletes or anonymises what of `commune` is older than `cutoff`, in one transaction.
pub(crate) async fn purge_before<D: Dialect>(
    db: &D,
    commune: &str,
    cutoff: DateTime<Utc>,
) -> Result<PurgeReport> {
    let mut tx = db.begin().await?;
    // Every statement binds the commune at $1 and the cutoff at $2.
    let mut run = async |sql: String| D::tx_execute(&mut tx, stmt!(sql, commune, cutoff)).await;
    let turns_deleted = run("DELETE FROM turns WHERE tenant = $1 AND at < $2".into()).await?;
    let sessions_deleted = run("DELETE FROM sessions WHERE tenant = $1 AND updated_at < $2
             AND (closed_at IS NOT NULL OR expires_at < $2)"
        .into())
    .await?;
    // A ticket nobody handled within the retention period is closed: the citizen can no
    // longer be called back about it, and its number must go like the rest.
    let tickets_expired = run("UPDATE tickets SET state = 'injoignable', closed_at = $2
         WHERE tenant = $1 AND state IN ('nouveau', 'pris_en_charge') AND created_at < $2"
        .into())
    .await?;
    run(format!(
        "DELETE FROM ticket_notes WHERE ticket_id IN (SELECT id FROM tickets WHERE {OLD_CLOSED})"
    ))
    .await?;
    let tickets_anonymised = run(format!(
        "UPDATE tickets SET caller_number = NULL, summary = '', transcript = 'null',
             anonymised_at = $2
         WHERE {OLD_CLOSED}"
    ))
    .await?;
    let outbox_deleted = run("DELETE FROM outbox WHERE tenant = $1 AND updated_at < $2
             AND state IN ('sent', 'delivered', 'failed', 'dead')"
        .into())
    .await?;
    let notifications_deleted = run("DELETE FROM notifications WHERE tenant = $1
             AND updated_at < $2 AND state IN ('sent', 'failed', 'dead')"
        .into())
    .await?;
    let audit_deleted =
        run("DELETE FROM audit WHERE (commune = $1 OR commune IS NULL) AND at < $2".into()).await?;
    D::commit(tx).await?;
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

/// Everything stored about a caller: by pseudonym (conversations) and by number (tickets, SMS).
pub(crate) async fn caller_records<D: Dialect>(
    db: &D,
    number: &str,
    pseudonym: &str,
) -> Result<CallerRecords> {
    let number = stored_number(number);
    let sessions = db
        .fetch_all(stmt!(
            format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE caller = $1 ORDER BY started_at"),
            pseudonym
        ))
        .await?;
    let turns = db
        .fetch_all(stmt!(
            "SELECT t.tenant, t.conversation_id, t.seq, t.at, t.caller_text, t.reply_text,
                        t.decision, t.action, t.fiche, t.confidence, t.reply, t.message_id
                 FROM turns t JOIN sessions s
                   ON s.tenant = t.tenant AND s.conversation_id = t.conversation_id
                 WHERE s.caller = $1 ORDER BY t.at, t.seq",
            pseudonym
        ))
        .await?;
    let tickets = db
        .fetch_all(stmt!(
            format!(
                "SELECT {TICKET_COLUMNS} FROM tickets WHERE caller_number = $1 ORDER BY created_at"
            ),
            &number
        ))
        .await?;
    let outbox = db
        .fetch_all(stmt!(
            format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE recipient = $1 ORDER BY created_at"),
            &number
        ))
        .await?;
    Ok(CallerRecords {
        sessions: sessions
            .iter()
            .map(session_from_row)
            .collect::<Result<_>>()?,
        turns: turns.iter().map(turn_from_row).collect::<Result<_>>()?,
        tickets: tickets.iter().map(ticket_from_row).collect::<Result<_>>()?,
        outbox: outbox.iter().map(outbox_from_row).collect::<Result<_>>()?,
    })
}

/// Erases a caller: conversations and SMS deleted, tickets anonymised at `at`.
pub(crate) async fn erase_caller<D: Dialect>(
    db: &D,
    number: &str,
    pseudonym: &str,
    at: DateTime<Utc>,
) -> Result<ErasureReport> {
    let number = stored_number(number);
    let mut tx = db.begin().await?;
    let turns_deleted = D::tx_execute(
        &mut tx,
        stmt!(
            "DELETE FROM turns WHERE (tenant, conversation_id) IN
                 (SELECT tenant, conversation_id FROM sessions WHERE caller = $1)",
            pseudonym
        ),
    )
    .await?;
    let sessions_deleted = D::tx_execute(
        &mut tx,
        stmt!("DELETE FROM sessions WHERE caller = $1", pseudonym),
    )
    .await?;
    D::tx_execute(
        &mut tx,
        stmt!(
            "DELETE FROM ticket_notes WHERE ticket_id IN
                 (SELECT id FROM tickets WHERE caller_number = $1)",
            &number
        ),
    )
    .await?;
    let tickets_anonymised = D::tx_execute(
        &mut tx,
        stmt!(
            "UPDATE tickets SET caller_number = NULL, summary = '', transcript = 'null',
                 anonymised_at = $1
             WHERE caller_number = $2",
            at,
            &number
        ),
    )
    .await?;
    let outbox_deleted = D::tx_execute(
        &mut tx,
        stmt!("DELETE FROM outbox WHERE recipient = $1", &number),
    )
    .await?;
    D::commit(tx).await?;
    Ok(ErasureReport {
        sessions_deleted,
        turns_deleted,
        tickets_anonymised,
        outbox_deleted,
    })
}
