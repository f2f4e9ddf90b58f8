//! [`AnyStore`]: the backend chosen at run time from a URL, dispatching every [`Store`] method.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Result, StoreError};
use crate::model::*;
use crate::{PgStore, SqliteStore, Store, TicketFeed};

/// The store chosen at run time from a URL: `sqlite:…` or `postgres://…` / `postgresql://…`.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL server.
    Postgres(PgStore),
}

impl AnyStore {
    /// Connects and runs the migrations. SQLite URLs may create the file (`?mode=rwc`; the
    /// parent directory is created too).
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(AnyStore::Sqlite(SqliteStore::connect(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(AnyStore::Postgres(PgStore::connect(url).await?))
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// Whether other processes write the same sessions: the nodes of a deployment share its
    /// PostgreSQL database, while an embedded SQLite file belongs to one `guichet serve`.
    pub fn is_shared(&self) -> bool {
        matches!(self, AnyStore::Postgres(_))
    }

    /// `"sqlite"` or `"postgres"` (for logs and metrics).
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(_) => "sqlite",
            AnyStore::Postgres(_) => "postgres",
        }
    }

    /// Closes the connection pools (graceful shutdown).
    pub async fn close(&self) {
        match self {
            AnyStore::Sqlite(s) => s.close().await,
            AnyStore::Postgres(s) => s.close().await,
        }
    }
}

/// A URL without its password, for error messages.
fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => url.to_string(),
    }
}

/// Calls the backend. Its future is boxed: the backends' futures are several KB, and every
/// layer above (metering, timeouts, the spool, the handler) would otherwise copy them whole
/// each time it moves its own.
macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($s) => Box::pin($call).await,
            AnyStore::Postgres($s) => Box::pin($call).await,
        }
    };
}

impl Store for AnyStore {
    async fn ping(&self) -> Result<()> {
        dispatch!(self, s => s.ping())
    }
    async fn load_session(
        &self,
        tenant: &str,
        conversation_id: &str,
    ) -> Result<Option<SessionRecord>> {
        dispatch!(self, s => s.load_session(tenant, conversation_id))
    }
    async fn active_session_for_caller(
        &self,
        tenant: &str,
        channel: Channel,
        caller: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>> {
        dispatch!(self, s => s.active_session_for_caller(tenant, channel, caller, now))
    }
    async fn save_session(&self, session: &SessionRecord) -> Result<()> {
        dispatch!(self, s => s.save_session(session))
    }
    async fn save_turn(&self, record: &TurnRecord) -> Result<TurnSaved> {
        dispatch!(self, s => s.save_turn(record))
    }
    async fn close_session(
        &self,
        tenant: &str,
        conversation_id: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch!(self, s => s.close_session(tenant, conversation_id, reason, at))
    }
    async fn cleanup_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        dispatch!(self, s => s.cleanup_expired_sessions(now))
    }
    async fn conversation_turns(&self, tenant: &str, conversation_id: &str) -> Result<Vec<Turn>> {
        dispatch!(self, s => s.conversation_turns(tenant, conversation_id))
    }
    async fn sessions_between(
        &self,
        tenant: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>> {
        dispatch!(self, s => s.sessions_between(tenant, from, to))
    }
    async fn turns_between(
        &self,
        tenant: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<TurnRow>> {
        dispatch!(self, s => s.turns_between(tenant, from, to))
    }
    async fn enqueue_sms(&self, message: &NewOutboxMessage) -> Result<i64> {
        dispatch!(self, s => s.enqueue_sms(message))
    }
    async fn claim_due_outbox(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>> {
        dispatch!(self, s => s.claim_due_outbox(limit, now, lease))
    }
    async fn mark_outbox_sent(
        &self,
        id: i64,
        provider_message_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch!(self, s => s.mark_outbox_sent(id, provider_message_id, now))
    }
    async fn mark_outbox_failed(
        &self,
        id: i64,
        error: &str,
        kind: FailureKind,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome> {
        dispatch!(self, s => s.mark_outbox_failed(id, error, kind, policy, now))
    }
    async fn record_delivery(
        &self,
        provider_message_id: &str,
        status: DeliveryStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch!(self, s => s.record_delivery(provider_message_id, status, error, now))
    }
    async fn outbox_by_provider_id(
        &self,
        provider_message_id: &str,
    ) -> Result<Option<OutboxMessage>> {
        dispatch!(self, s => s.outbox_by_provider_id(provider_message_id))
    }
    async fn get_outbox(&self, id: i64) -> Result<Option<OutboxMessage>> {
        dispatch!(self, s => s.get_outbox(id))
    }
    async fn outbox_depth(&self) -> Result<i64> {
        dispatch!(self, s => s.outbox_depth())
    }
    async fn create_ticket(&self, ticket: &NewTicket) -> Result<i64> {
        dispatch!(self, s => s.create_ticket(ticket))
    }
    async fn get_ticket(&self, id: i64, communes: &[String]) -> Result<Option<Ticket>> {
        dispatch!(self, s => s.get_ticket(id, communes))
    }
    async fn list_open_tickets(&self, communes: &[String]) -> Result<Vec<Ticket>> {
        dispatch!(self, s => s.list_open_tickets(communes))
    }
    async fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>> {
        dispatch!(self, s => s.list_tickets(filter))
    }
    async fn claim_ticket(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Transition> {
        dispatch!(self, s => s.claim_ticket(id, communes, staff_id, at))
    }
    async fn close_ticket(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Transition> {
        dispatch!(self, s => s.close_ticket(id, communes, staff_id, at))
    }
    async fn ticket_unreachable(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
        rule: AttemptRule,
    ) -> Result<Transition> {
        dispatch!(self, s => s.ticket_unreachable(id, communes, staff_id, at, rule))
    }
    async fn hand_over_ticket(
        &self,
        id: i64,
        communes: &[String],
        change: &HandOver,
    ) -> Result<Transition> {
        dispatch!(self, s => s.hand_over_ticket(id, communes, change))
    }
    async fn record_dial_outcome(
        &self,
        tenant: &str,
        conversation_id: &str,
        outcome: DialOutcome,
        at: DateTime<Utc>,
    ) -> Result<Option<DialRecorded>> {
        dispatch!(self, s => s.record_dial_outcome(tenant, conversation_id, outcome, at))
    }
    async fn add_ticket_note(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
        body: &str,
    ) -> Result<Transition> {
        dispatch!(self, s => s.add_ticket_note(id, communes, staff_id, at, body))
    }
    async fn ticket_notes(&self, id: i64, communes: &[String]) -> Result<Vec<TicketNote>> {
        dispatch!(self, s => s.ticket_notes(id, communes))
    }
    async fn create_staff(&self, staff: &NewStaff) -> Result<i64> {
        dispatch!(self, s => s.create_staff(staff))
    }
    async fn get_staff(&self, id: i64) -> Result<Option<Staff>> {
        dispatch!(self, s => s.get_staff(id))
    }
    async fn get_staff_by_email(&self, email: &str) -> Result<Option<Staff>> {
        dispatch!(self, s => s.get_staff_by_email(email))
    }
    async fn list_staff(&self) -> Result<Vec<Staff>> {
        dispatch!(self, s => s.list_staff())
    }
    async fn count_staff(&self) -> Result<i64> {
        dispatch!(self, s => s.count_staff())
    }
    async fn set_staff_password(&self, id: i64, password_hash: &str) -> Result<bool> {
        dispatch!(self, s => s.set_staff_password(id, password_hash))
    }
    async fn set_staff_disabled(&self, id: i64, disabled: bool) -> Result<bool> {
        dispatch!(self, s => s.set_staff_disabled(id, disabled))
    }
    async fn create_staff_session(&self, session: &StaffSession) -> Result<()> {
        dispatch!(self, s => s.create_staff_session(session))
    }
    async fn get_staff_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffSession>> {
        dispatch!(self, s => s.get_staff_session(token_hash, now))
    }
    async fn delete_staff_session(&self, token_hash: &str) -> Result<()> {
        dispatch!(self, s => s.delete_staff_session(token_hash))
    }
    async fn append_audit(&self, entry: &AuditEntry) -> Result<i64> {
        dispatch!(self, s => s.append_audit(entry))
    }
    async fn list_audit(
        &self,
        communes: &[String],
        action_prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        dispatch!(self, s => s.list_audit(communes, action_prefix, limit))
    }
    async fn insert_eval_run(&self, run: &NewEvalRun) -> Result<i64> {
        dispatch!(self, s => s.insert_eval_run(run))
    }
    async fn list_eval_runs(&self, commune: &str, limit: i64) -> Result<Vec<EvalRun>> {
        dispatch!(self, s => s.list_eval_runs(commune, limit))
    }
    async fn purge_before(&self, commune: &str, cutoff: DateTime<Utc>) -> Result<PurgeReport> {
        dispatch!(self, s => s.purge_before(commune, cutoff))
    }
    async fn caller_records(&self, number: &str, pseudonym: &str) -> Result<CallerRecords> {
        dispatch!(self, s => s.caller_records(number, pseudonym))
    }
    async fn erase_caller(
        &self,
        number: &str,
        pseudonym: &str,
        at: DateTime<Utc>,
    ) -> Result<ErasureReport> {
        dispatch!(self, s => s.erase_caller(number, pseudonym, at))
    }

    // ----- console sessions: sliding expiry -----

    async fn touch_staff_session(
        &self,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch!(self, s => s.touch_staff_session(token_hash, expires_at, now))
    }

    // ----- ticket notifications -----

    async fn enqueue_notification(&self, notification: &NewNotification) -> Result<i64> {
        dispatch!(self, s => s.enqueue_notification(notification))
    }
    async fn claim_due_notifications(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<Notification>> {
        dispatch!(self, s => s.claim_due_notifications(limit, now, lease))
    }
    async fn mark_notification_sent(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        dispatch!(self, s => s.mark_notification_sent(id, now))
    }
    async fn mark_notification_failed(
        &self,
        id: i64,
        error: &str,
        kind: FailureKind,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome> {
        dispatch!(self, s => s.mark_notification_failed(id, error, kind, policy, now))
    }
    async fn list_notifications(&self, filter: &NotificationFilter) -> Result<Vec<Notification>> {
        dispatch!(self, s => s.list_notifications(filter))
    }
    async fn notification_counts(
        &self,
        communes: &[String],
    ) -> Result<Vec<(NotificationState, i64)>> {
        dispatch!(self, s => s.notification_counts(communes))
    }

    // ----- outbox listing (console) -----

    async fn list_outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxMessage>> {
        dispatch!(self, s => s.list_outbox(filter))
    }
    async fn outbox_counts(&self, communes: &[String]) -> Result<Vec<(OutboxState, i64)>> {
        dispatch!(self, s => s.outbox_counts(communes))
    }

    async fn sms_count_since(&self, tenant: &str, since: DateTime<Utc>) -> Result<i64> {
        dispatch!(self, s => s.sms_count_since(tenant, since))
    }
    async fn create_api_key(&self, key: &NewApiKey) -> Result<i64> {
        dispatch!(self, s => s.create_api_key(key))
    }
    async fn api_key_by_hash(&self, token_hash: &str) -> Result<Option<ApiKey>> {
        dispatch!(self, s => s.api_key_by_hash(token_hash))
    }
    async fn list_api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKey>> {
        dispatch!(self, s => s.list_api_keys(tenant))
    }
    async fn revoke_api_key(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        dispatch!(self, s => s.revoke_api_key(id, at))
    }
    async fn count_api_keys(&self) -> Result<i64> {
        dispatch!(self, s => s.count_api_keys())
    }
    async fn consume_one_time_password(&self, id: i64, password_hash: &str) -> Result<bool> {
        dispatch!(self, s => s.consume_one_time_password(id, password_hash))
    }
    async fn reset_staff_password(&self, id: i64, password_hash: &str) -> Result<bool> {
        dispatch!(self, s => s.reset_staff_password(id, password_hash))
    }
    async fn get_eval_run(&self, commune: &str, id: i64) -> Result<Option<EvalRun>> {
        dispatch!(self, s => s.get_eval_run(commune, id))
    }
}

impl AnyStore {
    /// Ticket changes made by every node sharing the database, for live views (the console's
    /// queue): PostgreSQL `LISTEN`s on a dedicated connection, reconnecting with backoff.
    /// `None` on SQLite (one node: its own signals suffice). Starts a task: call it inside a
    /// tokio runtime, once per process (each feed holds a connection).
    pub fn ticket_change_feed(&self) -> Option<TicketFeed> {
        match self {
            AnyStore::Sqlite(_) => None,
            AnyStore::Postgres(store) => Some(TicketFeed::listen(store.pool())),
        }
    }
}
