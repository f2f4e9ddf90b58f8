//! PostgreSQL backend: shared by several stateless `guichet serve` nodes. Instants are
//! TIMESTAMPTZ, JSON is JSONB, commune scopes are `TEXT[]` parameters (`tenant = ANY($n)`).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::types::Json;

use crate::error::Result;
use crate::model::*;
use crate::sessions::{session_cols, session_from_row, turn_cols, turn_from_row};
use crate::{
    Store, api_keys, audit, eval_runs, notifications, outbox, privacy, staff, stored_number,
    tickets,
};

/// Default number of pooled connections per node.
const POOL_SIZE: u32 = 16;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `postgres://…` and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        Self::connect_with(options, PgPoolOptions::new().max_connections(POOL_SIZE)).await
    }

    /// Connects with explicit options (e.g. a `search_path` for an isolated test schema) and
    /// runs the migrations.
    pub async fn connect_with(options: PgConnectOptions, pool: PgPoolOptions) -> Result<Self> {
        let pool = pool.connect_with(options).await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// The underlying pool (tests, administration).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn upsert_session(conn: &mut PgConnection, s: &SessionRecord) -> Result<()> {
    sqlx::query(concat!(
        "INSERT INTO sessions (",
        session_cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant, conversation_id) DO UPDATE SET
             state = EXCLUDED.state,
             updated_at = EXCLUDED.updated_at,
             expires_at = EXCLUDED.expires_at,
             closed_at = COALESCE(sessions.closed_at, EXCLUDED.closed_at),
             end_reason = COALESCE(sessions.end_reason, EXCLUDED.end_reason)"
    ))
    .bind(&s.tenant)
    .bind(&s.conversation_id)
    .bind(s.channel.as_str())
    .bind(&s.caller)
    .bind(Json(&s.state))
    .bind(s.started_at)
    .bind(s.updated_at)
    .bind(s.expires_at)
    .bind(s.closed_at)
    .bind(&s.end_reason)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_ticket(conn: &mut PgConnection, t: &NewTicket) -> Result<i64> {
    t.validate()?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO tickets (idempotency_key, tenant, kind, state, channel, conversation_id,
             caller_number, topic, fiche, summary, transcript, partner, reference, created_at,
             due_at)
         VALUES ($1, $2, $3, 'nouveau', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id",
    )
    .bind(&t.idempotency_key)
    .bind(&t.tenant)
    .bind(t.kind.as_str())
    .bind(t.channel.as_str())
    .bind(&t.conversation_id)
    .bind(t.caller_number.as_deref().map(stored_number))
    .bind(&t.topic)
    .bind(&t.fiche)
    .bind(&t.summary)
    .bind(Json(&t.transcript))
    .bind(&t.partner)
    .bind(&t.reference)
    .bind(t.created_at)
    .bind(t.due_at)
    .fetch_optional(&mut *conn)
    .await?;
    match inserted {
        Some(id) => Ok(id),
        None => Ok(
            sqlx::query_scalar("SELECT id FROM tickets WHERE idempotency_key = $1")
                .bind(&t.idempotency_key)
                .fetch_one(&mut *conn)
                .await?,
        ),
    }
}

/// Queues an SMS unless its idempotency key is known; returns its id and, when the SMS guard
/// refused it, the reason. With limits, the commune's SMS are serialised by a transaction-level
/// advisory lock: the daily counts and the insert cannot interleave with another node's.
async fn insert_outbox(
    conn: &mut PgConnection,
    m: &NewOutboxMessage,
) -> Result<(i64, Option<SmsRefusal>)> {
    m.validate()?;
    let to = stored_number(&m.to);
    let mut refusal = m.refusal;
    if refusal.is_none()
        && let Some(limits) = m.limits
    {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('guichet-sms:' || $1))")
            .bind(&m.tenant)
            .execute(&mut *conn)
            .await?;
        let (recipient, commune): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE recipient = $2), COUNT(*) FROM outbox
             WHERE tenant = $1 AND created_at >= $3 AND state <> 'refused'",
        )
        .bind(&m.tenant)
        .bind(&to)
        .bind(limits.day_start)
        .fetch_one(&mut *conn)
        .await?;
        if recipient >= limits.per_recipient {
            refusal = Some(SmsRefusal::RecipientCap);
        } else if commune >= limits.daily_budget {
            refusal = Some(SmsRefusal::Budget);
        }
    }
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO outbox (idempotency_key, tenant, conversation_id, recipient, sender, body,
             state, refusal, attempts, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $8, $9, 0, $7, $7, $7)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id",
    )
    .bind(&m.idempotency_key)
    .bind(&m.tenant)
    .bind(&m.conversation_id)
    .bind(&to)
    .bind(&m.sender)
    .bind(&m.body)
    .bind(m.created_at)
    .bind(if refusal.is_some() {
        "refused"
    } else {
        "pending"
    })
    .bind(refusal.map(SmsRefusal::as_str))
    .fetch_optional(&mut *conn)
    .await?;
    match inserted {
        Some(id) => Ok((id, refusal)),
        None => {
            let (id, refusal): (i64, Option<String>) =
                sqlx::query_as("SELECT id, refusal FROM outbox WHERE idempotency_key = $1")
                    .bind(&m.idempotency_key)
                    .fetch_one(&mut *conn)
                    .await?;
            let refusal = refusal
                .map(|text| parse_stored(&text, "outbox", "refusal"))
                .transpose()?;
            Ok((id, refusal))
        }
    }
}

impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn load_session(
        &self,
        tenant: &str,
        conversation_id: &str,
    ) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions WHERE tenant = $1 AND conversation_id = $2"
        ))
        .bind(tenant)
        .bind(conversation_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn active_session_for_caller(
        &self,
        tenant: &str,
        channel: Channel,
        caller: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions
             WHERE tenant = $1 AND channel = $2 AND caller = $3 AND closed_at IS NULL
               AND expires_at > $4
             ORDER BY updated_at DESC LIMIT 1"
        ))
        .bind(tenant)
        .bind(channel.as_str())
        .bind(caller)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn save_session(&self, session: &SessionRecord) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        upsert_session(&mut conn, session).await
    }

    async fn save_turn(&self, record: &TurnRecord) -> Result<TurnSaved> {
        let s = &record.session;
        let t = &record.turn;
        let mut tx = self.pool.begin().await?;
        // No conflict target: neither the `seq` nor the message id may be taken. A concurrent
        // transaction inserting the same key makes this one wait for its outcome.
        let inserted = sqlx::query(concat!(
            "INSERT INTO turns (",
            turn_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT DO NOTHING"
        ))
        .bind(&s.tenant)
        .bind(&s.conversation_id)
        .bind(t.seq)
        .bind(t.at)
        .bind(&t.caller_text)
        .bind(&t.reply_text)
        .bind(Json(&t.decision))
        .bind(&t.action)
        .bind(&t.fiche)
        .bind(t.confidence)
        .bind(t.reply.as_ref().map(Json))
        .bind(&t.message_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let mut saved = TurnSaved {
            inserted,
            conflict: false,
            ticket_ids: Vec::with_capacity(record.tickets.len()),
            outbox_ids: Vec::with_capacity(record.outbox.len()),
            refused: Vec::new(),
        };
        if inserted {
            upsert_session(&mut tx, s).await?;
        } else {
            // Whose is the `seq`, and is this message already saved (at any `seq`)?
            let (own, known): (bool, bool) = sqlx::query_as(
                "SELECT
                     EXISTS (SELECT 1 FROM turns WHERE tenant = $1 AND conversation_id = $2
                             AND seq = $3 AND message_id IS NOT DISTINCT FROM $4),
                     EXISTS (SELECT 1 FROM turns WHERE tenant = $1 AND conversation_id = $2
                             AND message_id = $4)",
            )
            .bind(&s.tenant)
            .bind(&s.conversation_id)
            .bind(t.seq)
            .bind(&t.message_id)
            .fetch_one(&mut *tx)
            .await?;
            if !own {
                saved.conflict = !known;
                tx.commit().await?;
                return Ok(saved);
            }
        }
        for ticket in &record.tickets {
            saved.ticket_ids.push(insert_ticket(&mut tx, ticket).await?);
        }
        for message in &record.outbox {
            let (id, refusal) = insert_outbox(&mut tx, message).await?;
            saved.outbox_ids.push(id);
            saved.refused.extend(refusal.map(|reason| (id, reason)));
        }
        tx.commit().await?;
        Ok(saved)
    }

    async fn close_session(
        &self,
        tenant: &str,
        conversation_id: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET closed_at = $1, end_reason = $2,
                 updated_at = GREATEST(updated_at, $1)
             WHERE tenant = $3 AND conversation_id = $4 AND closed_at IS NULL",
        )
        .bind(at)
        .bind(reason)
        .bind(tenant)
        .bind(conversation_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn cleanup_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let closed = sqlx::query(
            "UPDATE sessions SET closed_at = expires_at, end_reason = 'expired', state = 'null'
             WHERE closed_at IS NULL AND expires_at < $1",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(closed)
    }

    async fn conversation_turns(&self, tenant: &str, conversation_id: &str) -> Result<Vec<Turn>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            turn_cols!(),
            " FROM turns WHERE tenant = $1 AND conversation_id = $2 ORDER BY seq"
        ))
        .bind(tenant)
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| turn_from_row(r).map(|t| t.turn))
            .collect()
    }

    async fn sessions_between(
        &self,
        tenant: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions
             WHERE tenant = $1 AND started_at >= $2 AND started_at < $3
             ORDER BY started_at, conversation_id"
        ))
        .bind(tenant)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    async fn turns_between(
        &self,
        tenant: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<TurnRow>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            turn_cols!(),
            " FROM turns WHERE tenant = $1 AND at >= $2 AND at < $3
             ORDER BY at, conversation_id, seq"
        ))
        .bind(tenant)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(turn_from_row).collect()
    }

    async fn enqueue_sms(&self, message: &NewOutboxMessage) -> Result<i64> {
        // A transaction: the guard's advisory lock lasts until the insert is committed.
        let mut tx = self.pool.begin().await?;
        let (id, _) = insert_outbox(&mut tx, message).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn claim_due_outbox(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>> {
        outbox::claim_due_outbox(self, limit, now, lease).await
    }

    async fn mark_outbox_sent(
        &self,
        id: i64,
        provider_message_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        outbox::mark_outbox_sent(self, id, provider_message_id, now).await
    }

    async fn mark_outbox_failed(
        &self,
        id: i64,
        error: &str,
        kind: FailureKind,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome> {
        outbox::mark_outbox_failed(self, id, error, kind, policy, now).await
    }

    async fn record_delivery(
        &self,
        provider_message_id: &str,
        status: DeliveryStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        outbox::record_delivery(self, provider_message_id, status, error, now).await
    }

    async fn outbox_by_provider_id(
        &self,
        provider_message_id: &str,
    ) -> Result<Option<OutboxMessage>> {
        outbox::outbox_by_provider_id(self, provider_message_id).await
    }

    async fn get_outbox(&self, id: i64) -> Result<Option<OutboxMessage>> {
        outbox::get_outbox(self, id).await
    }

    async fn outbox_depth(&self) -> Result<i64> {
        outbox::outbox_depth(self).await
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        insert_ticket(&mut conn, ticket).await
    }

    async fn get_ticket(&self, id: i64, communes: &[String]) -> Result<Option<Ticket>> {
        tickets::get_ticket(self, id, communes).await
    }

    async fn list_open_tickets(&self, communes: &[String]) -> Result<Vec<Ticket>> {
        tickets::list_open_tickets(self, communes).await
    }

    async fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>> {
        tickets::list_tickets(self, filter).await
    }

    async fn claim_ticket(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Transition> {
        tickets::claim_ticket(self, id, communes, staff_id, at).await
    }

    async fn close_ticket(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Transition> {
        tickets::close_ticket(self, id, communes, staff_id, at).await
    }

    async fn ticket_unreachable(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
        rule: AttemptRule,
    ) -> Result<Transition> {
        tickets::ticket_unreachable(self, id, communes, staff_id, at, rule).await
    }

    async fn record_dial_outcome(
        &self,
        tenant: &str,
        conversation_id: &str,
        outcome: DialOutcome,
        at: DateTime<Utc>,
    ) -> Result<Option<DialRecorded>> {
        tickets::record_dial_outcome(self, tenant, conversation_id, outcome, at).await
    }

    async fn hand_over_ticket(
        &self,
        id: i64,
        communes: &[String],
        change: &HandOver,
    ) -> Result<Transition> {
        tickets::hand_over_ticket(self, id, communes, change).await
    }

    async fn add_ticket_note(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
        body: &str,
    ) -> Result<Transition> {
        tickets::add_ticket_note(self, id, communes, staff_id, at, body).await
    }

    async fn ticket_notes(&self, id: i64, communes: &[String]) -> Result<Vec<TicketNote>> {
        tickets::ticket_notes(self, id, communes).await
    }

    async fn create_staff(&self, staff: &NewStaff) -> Result<i64> {
        staff::create_staff(self, staff).await
    }

    async fn get_staff(&self, id: i64) -> Result<Option<Staff>> {
        staff::get_staff(self, id).await
    }

    async fn get_staff_by_email(&self, email: &str) -> Result<Option<Staff>> {
        staff::get_staff_by_email(self, email).await
    }

    async fn list_staff(&self) -> Result<Vec<Staff>> {
        staff::list_staff(self).await
    }

    async fn count_staff(&self) -> Result<i64> {
        staff::count_staff(self).await
    }

    async fn set_staff_password(&self, id: i64, password_hash: &str) -> Result<bool> {
        staff::set_staff_password(self, id, password_hash).await
    }

    async fn set_staff_disabled(&self, id: i64, disabled: bool) -> Result<bool> {
        staff::set_staff_disabled(self, id, disabled).await
    }

    async fn create_staff_session(&self, session: &StaffSession) -> Result<()> {
        staff::create_staff_session(self, session).await
    }

    async fn get_staff_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffSession>> {
        staff::get_staff_session(self, token_hash, now).await
    }

    async fn delete_staff_session(&self, token_hash: &str) -> Result<()> {
        staff::delete_staff_session(self, token_hash).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<i64> {
        audit::append_audit(self, entry).await
    }

    async fn list_audit(
        &self,
        communes: &[String],
        action_prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        audit::list_audit(self, communes, action_prefix, limit).await
    }

    async fn insert_eval_run(&self, run: &NewEvalRun) -> Result<i64> {
        eval_runs::insert_eval_run(self, run).await
    }

    async fn list_eval_runs(&self, commune: &str, limit: i64) -> Result<Vec<EvalRun>> {
        eval_runs::list_eval_runs(self, commune, limit).await
    }

    async fn purge_before(&self, commune: &str, cutoff: DateTime<Utc>) -> Result<PurgeReport> {
        privacy::purge_before(self, commune, cutoff).await
    }

    async fn caller_records(&self, number: &str, pseudonym: &str) -> Result<CallerRecords> {
        privacy::caller_records(self, number, pseudonym).await
    }

    async fn erase_caller(
        &self,
        number: &str,
        pseudonym: &str,
        at: DateTime<Utc>,
    ) -> Result<ErasureReport> {
        privacy::erase_caller(self, number, pseudonym, at).await
    }

    // ===== console session sliding expiry and ticket notifications (store-backed) =====

    async fn touch_staff_session(
        &self,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        staff::touch_staff_session(self, token_hash, expires_at, now).await
    }

    async fn enqueue_notification(&self, n: &NewNotification) -> Result<i64> {
        notifications::enqueue_notification(self, n).await
    }

    async fn claim_due_notifications(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<Notification>> {
        notifications::claim_due_notifications(self, limit, now, lease).await
    }

    async fn mark_notification_sent(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        notifications::mark_notification_sent(self, id, now).await
    }

    async fn mark_notification_failed(
        &self,
        id: i64,
        error: &str,
        kind: FailureKind,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome> {
        notifications::mark_notification_failed(self, id, error, kind, policy, now).await
    }

    async fn list_notifications(&self, filter: &NotificationFilter) -> Result<Vec<Notification>> {
        notifications::list_notifications(self, filter).await
    }

    async fn notification_counts(
        &self,
        communes: &[String],
    ) -> Result<Vec<(NotificationState, i64)>> {
        notifications::notification_counts(self, communes).await
    }

    // ----- outbox listing (console) -----

    async fn list_outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxMessage>> {
        outbox::list_outbox(self, filter).await
    }

    async fn outbox_counts(&self, communes: &[String]) -> Result<Vec<(OutboxState, i64)>> {
        outbox::outbox_counts(self, communes).await
    }

    // ----- SMS guard -----

    async fn sms_count_since(&self, tenant: &str, since: DateTime<Utc>) -> Result<i64> {
        outbox::sms_count_since(self, tenant, since).await
    }

    // ----- API keys -----

    async fn create_api_key(&self, key: &NewApiKey) -> Result<i64> {
        api_keys::create_api_key(self, key).await
    }

    async fn api_key_by_hash(&self, token_hash: &str) -> Result<Option<ApiKey>> {
        api_keys::api_key_by_hash(self, token_hash).await
    }

    async fn list_api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKey>> {
        api_keys::list_api_keys(self, tenant).await
    }

    async fn revoke_api_key(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        api_keys::revoke_api_key(self, id, at).await
    }

    async fn count_api_keys(&self) -> Result<i64> {
        api_keys::count_api_keys(self).await
    }

    async fn consume_one_time_password(&self, id: i64, password_hash: &str) -> Result<bool> {
        staff::consume_one_time_password(self, id, password_hash).await
    }

    async fn reset_staff_password(&self, id: i64, password_hash: &str) -> Result<bool> {
        staff::reset_staff_password(self, id, password_hash).await
    }

    async fn get_eval_run(&self, commune: &str, id: i64) -> Result<Option<EvalRun>> {
        eval_runs::get_eval_run(self, commune, id).await
    }
}

// ===== ticket notifications: row mapping =====
