//! The SMS outbox: queueing behind the SMS guard (with a turn or alone, a write: see
//! `writes.rs`), leasing due messages to the sender, recording sends, failures and delivery
//! reports, and the console's listing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_phone::stored_number;

use crate::dialect::{Arg, Dialect, Statement, StoredRow, stmt};
use crate::error::Result;
use crate::model::{
    DeliveryStatus, FailureKind, NewOutboxMessage, OutboxFilter, OutboxMessage, OutboxState,
    RetryOutcome, RetryPolicy, SmsRefusal,
};
use crate::queue::{Queue, claim, list_in_scope, record_failure, state_counts};
use crate::writes::{OwnTurn, REFUSALS, RunsWrites, SMS_ROW, and_own_turn, inserted_id};

/// The columns of an outbox row, in [`outbox_from_row`]'s terms.
pub(crate) const OUTBOX_COLUMNS: &str = "id, idempotency_key, tenant, conversation_id, \
     recipient, sender, body, state, attempts, next_attempt_at, last_error, \
     provider_message_id, created_at, updated_at, refusal";

/// The outbox as a queue: a message's lease ends at its `next_attempt_at`; the console lists
/// the most recently changed first.
const QUEUE: Queue = Queue {
    table: "outbox",
    columns: OUTBOX_COLUMNS,
    due: "state IN ('pending', 'sending') AND next_attempt_at <= $1",
    due_order: "next_attempt_at, id",
    lease: "state = 'sending', attempts = attempts + 1, next_attempt_at = $3, updated_at = $1",
    retry_state: "pending",
    dead_is_due: true,
    also_set: "",
    listed_by: "updated_at DESC, id DESC",
};

pub(crate) fn outbox_from_row(row: &impl StoredRow) -> Result<OutboxMessage> {
    const T: &str = "outbox";
    Ok(OutboxMessage {
        id: row.int("id")?,
        idempotency_key: row.text("idempotency_key")?,
        tenant: row.text("tenant")?,
        conversation_id: row.opt_text("conversation_id")?,
        to: row.text("recipient")?,
        sender: row.text("sender")?,
        body: row.text("body")?,
        state: row.parsed(T, "state")?,
        attempts: row.small_int("attempts")?,
        next_attempt_at: row.instant(T, "next_attempt_at")?,
        last_error: row.opt_text("last_error")?,
        provider_message_id: row.opt_text("provider_message_id")?,
        created_at: row.instant(T, "created_at")?,
        updated_at: row.instant(T, "updated_at")?,
        refusal: row.opt_parsed(T, "refusal")?,
    })
}

/// An SMS's write, behind the SMS guard: queued unless its idempotency key is known (within a
/// turn, only if the turn is this one), then the id of the row holding the key as
/// `(SMS_ROW, id)`, or `(SMS_ROW + 1 + i, id)` when the guard refused it for [`REFUSALS`]`[i]`.
/// The guard: the refusal the message comes with, else the recipient's daily cap, else the
/// commune's daily budget; refused SMS take no place, and each count stops at its cap (what
/// lies beyond changes nothing, and a flood does not slow the next SMS down). The counts and
/// the insert are one statement, after the commune's lock where the backend needs one
/// ([`Dialect::SMS_GUARD_LOCK`]): two concurrent SMS never both take the last place. `to` is
/// the recipient as stored.
pub(crate) fn sms_insert<'a, D: Dialect>(
    m: &'a NewOutboxMessage,
    to: &'a str,
    own: Option<OwnTurn<'a>>,
) -> Vec<Statement<'a>> {
    let mut write = Vec::with_capacity(3);
    if let (Some(lock), None, Some(_)) = (D::SMS_GUARD_LOCK, m.refusal, m.limits) {
        write.push(stmt!(lock, &m.tenant));
    }
    let (and_own, own_args) = and_own_turn(own);
    let day_start = m.limits.map(|l| l.day_start);
    let per_recipient = m.limits.map(|l| l.per_recipient.max(0));
    let daily_budget = m.limits.map(|l| l.daily_budget.max(0));
    let refusal = m.refusal.map(SmsRefusal::as_str);
    let (cap, budget) = (
        SmsRefusal::RecipientCap.as_str(),
        SmsRefusal::Budget.as_str(),
    );
    let insert = format!(
        "INSERT INTO outbox (idempotency_key, tenant, conversation_id, recipient, sender, body,
             state, refusal, attempts, next_attempt_at, created_at, updated_at)
         SELECT ?, ?, ?, ?, ?, ?,
             CASE WHEN guard.refusal IS NULL THEN 'pending' ELSE 'refused' END, guard.refusal,
             0, ?, ?, ?
         FROM (SELECT CASE
             WHEN ? IS NOT NULL THEN ?
             WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE tenant = ? AND recipient = ?
                   AND created_at >= ? AND state <> 'refused' LIMIT COALESCE(?, 0)) AS r) >= ?
                 THEN '{cap}'
             WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE tenant = ?
                   AND created_at >= ? AND state <> 'refused' LIMIT COALESCE(?, 0)) AS c) >= ?
                 THEN '{budget}'
             END AS refusal) AS guard
         WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE idempotency_key = ?){and_own}
         ON CONFLICT (idempotency_key) DO NOTHING"
    );
    let mut values = vec![
        Arg::Text(&m.idempotency_key),
        Arg::Text(&m.tenant),
        Arg::OptText(m.conversation_id.as_deref()),
        Arg::Text(to),
        Arg::Text(&m.sender),
        Arg::Text(&m.body),
        Arg::Instant(m.created_at),
        Arg::Instant(m.created_at),
        Arg::Instant(m.created_at),
        Arg::OptText(refusal),
        Arg::OptText(refusal),
        Arg::Text(&m.tenant),
        Arg::Text(to),
        Arg::OptInstant(day_start),
        Arg::OptInt(per_recipient),
        Arg::OptInt(per_recipient),
        Arg::Text(&m.tenant),
        Arg::OptInstant(day_start),
        Arg::OptInt(daily_budget),
        Arg::OptInt(daily_budget),
        Arg::Text(&m.idempotency_key),
    ];
    values.extend(&own_args);
    write.push(Statement::new(insert, values));
    let kinds: String = (REFUSALS.iter().zip(SMS_ROW + 1..))
        .map(|(reason, k)| format!("WHEN '{}' THEN {k} ", reason.as_str()))
        .collect();
    let key = [&[Arg::Text(&m.idempotency_key)][..], &own_args].concat();
    let id = format!(
        "SELECT CASE refusal {kinds}ELSE {SMS_ROW} END AS k, id FROM outbox
         WHERE idempotency_key = ?{and_own}"
    );
    write.push(Statement::new(id, key));
    write
}

pub(crate) async fn enqueue_sms<D: RunsWrites>(db: &D, message: &NewOutboxMessage) -> Result<i64> {
    message.validate()?;
    let to = stored_number(&message.to);
    inserted_id(&db.run_write(sms_insert::<D>(message, &to, None)).await?)
}

pub(crate) async fn claim_due_outbox<D: Dialect>(
    db: &D,
    limit: i64,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<OutboxMessage>> {
    claim(db, &QUEUE, limit, now, lease, outbox_from_row, |m| m.id).await
}

pub(crate) async fn mark_outbox_sent<D: Dialect>(
    db: &D,
    id: i64,
    provider_message_id: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let sql = "UPDATE outbox SET state = 'sent', provider_message_id = $1, last_error = NULL,
             updated_at = $2
         WHERE id = $3 AND state IN ('pending', 'sending')";
    db.write(stmt!(sql, provider_message_id, now, id)).await
}

pub(crate) async fn mark_outbox_failed<D: Dialect>(
    db: &D,
    id: i64,
    error: &str,
    kind: FailureKind,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<RetryOutcome> {
    record_failure(db, &QUEUE, id, error, kind, policy, now).await
}

pub(crate) async fn record_delivery<D: Dialect>(
    db: &D,
    provider_message_id: &str,
    status: DeliveryStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (state, from) = match status {
        DeliveryStatus::Delivered => ("delivered", ["sending", "sent", "failed"].as_slice()),
        DeliveryStatus::Failed => ("failed", ["sending", "sent"].as_slice()),
    };
    let from: Vec<String> = from.iter().map(|s| s.to_string()).collect();
    let sql = format!(
        "UPDATE outbox SET state = $1, last_error = COALESCE($2, last_error), updated_at = $3
         WHERE provider_message_id = $4 AND {}",
        D::in_scope("state", 5)
    );
    let s = stmt!(sql, state, error, now, provider_message_id, &from[..]);
    db.write(s).await
}

pub(crate) async fn outbox_by_provider_id<D: Dialect>(
    db: &D,
    provider_message_id: &str,
) -> Result<Option<OutboxMessage>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE provider_message_id = $1 ORDER BY id LIMIT 1"
    );
    db.fetch_record(stmt!(sql, provider_message_id), outbox_from_row)
        .await
}

pub(crate) async fn get_outbox<D: Dialect>(db: &D, id: i64) -> Result<Option<OutboxMessage>> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1");
    db.fetch_record(stmt!(sql, id), outbox_from_row).await
}

pub(crate) async fn outbox_depth<D: Dialect>(db: &D) -> Result<i64> {
    let sql = "SELECT COUNT(*) AS n FROM outbox WHERE state IN ('pending', 'sending')";
    db.count(stmt!(sql)).await
}

pub(crate) async fn list_outbox<D: Dialect>(
    db: &D,
    filter: &OutboxFilter,
) -> Result<Vec<OutboxMessage>> {
    let rows = list_in_scope(db, &QUEUE, &filter.communes, &filter.states, filter.limit).await?;
    rows.iter().map(outbox_from_row).collect()
}

pub(crate) async fn outbox_counts<D: Dialect>(
    db: &D,
    communes: &[String],
) -> Result<Vec<(OutboxState, i64)>> {
    state_counts(db, &QUEUE, OutboxState::ALL, communes).await
}

pub(crate) async fn sms_count_since<D: Dialect>(
    db: &D,
    tenant: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    let sql = "SELECT COUNT(*) AS n FROM outbox
         WHERE tenant = $1 AND created_at >= $2 AND state <> 'refused'";
    db.count(stmt!(sql, tenant, since)).await
}
