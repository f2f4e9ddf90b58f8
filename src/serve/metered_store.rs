//! The service's store with timings: every `Store` call made by the service is observed in
//! `guichet_store_operation_seconds{operation}` and, when it fails, counted in
//! `guichet_store_errors_total{operation}` (`operation` is the method's name).
//!
//! A decorator rather than a hook inside the store crate or around each call: the engine's turn
//! (`conversation.rs`), the handlers, the outbox worker and the tests keep calling the
//! [`Store`] trait on `state.store` unchanged. The price: every method of the trait is listed
//! once below (a new method that is not fails to compile here, which is the reminder).
//! The console keeps its own unmeasured handle (staff pages, not the citizens' path).

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use guichet_store::*;
use prometheus::{HistogramVec, IntCounterVec};

use super::metrics::ServiceMetrics;

/// An [`AnyStore`] whose calls are timed and counted.
#[derive(Clone)]
pub struct MeteredStore {
    inner: AnyStore,
    seconds: HistogramVec,
    errors: IntCounterVec,
}

impl MeteredStore {
    pub fn new(inner: AnyStore, metrics: &ServiceMetrics) -> MeteredStore {
        MeteredStore {
            inner,
            seconds: metrics.store_seconds.clone(),
            errors: metrics.store_errors.clone(),
        }
    }

    /// The store itself, unmeasured.
    pub fn inner(&self) -> &AnyStore {
        &self.inner
    }

    /// Closes the connection pools (graceful shutdown).
    pub async fn close(&self) {
        self.inner.close().await;
    }

    async fn observe<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let started = Instant::now();
        let result = call.await;
        self.seconds
            .with_label_values(&[operation])
            .observe(started.elapsed().as_secs_f64());
        if result.is_err() {
            self.errors.with_label_values(&[operation]).inc();
        }
        result
    }
}

/// Implements every `Store` method as a timed call of the inner store, and lists the
/// operations ([`OPERATIONS`]).
macro_rules! metered {
    ($(fn $name:ident(&self $(, $arg:ident: $type:ty)*) -> $output:ty;)*) => {
        /// Every operation name of `guichet_store_operation_seconds` (the `Store` methods).
        pub const OPERATIONS: &[&str] = &[$(stringify!($name)),*];

        impl Store for MeteredStore {
            $(
                async fn $name(&self $(, $arg: $type)*) -> Result<$output> {
                    self.observe(stringify!($name), self.inner.$name($($arg),*)).await
                }
            )*
        }
    };
}

metered! {
    fn ping(&self) -> ();
    fn load_session(&self, tenant: &str, conversation_id: &str) -> Option<SessionRecord>;
    fn active_session_for_caller(&self, tenant: &str, channel: Channel, caller: &str, now: DateTime<Utc>) -> Option<SessionRecord>;
    fn save_session(&self, session: &SessionRecord) -> ();
    fn save_turn(&self, record: &TurnRecord) -> TurnSaved;
    fn close_session(&self, tenant: &str, conversation_id: &str, reason: &str, at: DateTime<Utc>) -> bool;
    fn cleanup_expired_sessions(&self, now: DateTime<Utc>) -> u64;
    fn conversation_turns(&self, tenant: &str, conversation_id: &str) -> Vec<Turn>;
    fn sessions_between(&self, tenant: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<SessionRecord>;
    fn turns_between(&self, tenant: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<TurnRow>;
    fn enqueue_sms(&self, message: &NewOutboxMessage) -> i64;
    fn claim_due_outbox(&self, limit: i64, now: DateTime<Utc>, lease: Duration) -> Vec<OutboxMessage>;
    fn mark_outbox_sent(&self, id: i64, provider_message_id: &str, now: DateTime<Utc>) -> bool;
    fn mark_outbox_failed(&self, id: i64, error: &str, kind: FailureKind, policy: &RetryPolicy, now: DateTime<Utc>) -> RetryOutcome;
    fn record_delivery(&self, provider_message_id: &str, status: DeliveryStatus, error: Option<&str>, now: DateTime<Utc>) -> bool;
    fn outbox_by_provider_id(&self, provider_message_id: &str) -> Option<OutboxMessage>;
    fn get_outbox(&self, id: i64) -> Option<OutboxMessage>;
    fn outbox_depth(&self) -> i64;
    fn create_ticket(&self, ticket: &NewTicket) -> i64;
    fn get_ticket(&self, id: i64, communes: &[String]) -> Option<Ticket>;
    fn list_open_tickets(&self, communes: &[String]) -> Vec<Ticket>;
    fn list_tickets(&self, filter: &TicketFilter) -> Vec<Ticket>;
    fn claim_ticket(&self, id: i64, communes: &[String], staff_id: i64, at: DateTime<Utc>) -> Transition;
    fn close_ticket(&self, id: i64, communes: &[String], staff_id: i64, at: DateTime<Utc>) -> Transition;
    fn ticket_unreachable(&self, id: i64, communes: &[String], staff_id: i64, at: DateTime<Utc>, rule: AttemptRule) -> Transition;
    fn hand_over_ticket(&self, id: i64, communes: &[String], change: &HandOver) -> Transition;
    fn record_dial_outcome(&self, tenant: &str, conversation_id: &str, outcome: DialOutcome, at: DateTime<Utc>) -> Option<DialRecorded>;
    fn add_ticket_note(&self, id: i64, communes: &[String], staff_id: i64, at: DateTime<Utc>, body: &str) -> Transition;
    fn ticket_notes(&self, id: i64, communes: &[String]) -> Vec<TicketNote>;
    fn create_staff(&self, staff: &NewStaff) -> i64;
    fn get_staff(&self, id: i64) -> Option<Staff>;
    fn get_staff_by_email(&self, email: &str) -> Option<Staff>;
    fn list_staff(&self) -> Vec<Staff>;
    fn count_staff(&self) -> i64;
    fn set_staff_password(&self, id: i64, password_hash: &str) -> bool;
    fn set_staff_disabled(&self, id: i64, disabled: bool) -> bool;
    fn create_staff_session(&self, session: &StaffSession) -> ();
    fn get_staff_session(&self, token_hash: &str, now: DateTime<Utc>) -> Option<StaffSession>;
    fn delete_staff_session(&self, token_hash: &str) -> ();
    fn append_audit(&self, entry: &AuditEntry) -> i64;
    fn list_audit(&self, communes: &[String], action_prefix: Option<&str>, limit: i64) -> Vec<AuditRow>;
    fn insert_eval_run(&self, run: &NewEvalRun) -> i64;
    fn list_eval_runs(&self, commune: &str, limit: i64) -> Vec<EvalRun>;
    fn purge_before(&self, commune: &str, cutoff: DateTime<Utc>) -> PurgeReport;
    fn caller_records(&self, number: &str, pseudonym: &str) -> CallerRecords;
    fn erase_caller(&self, number: &str, pseudonym: &str, at: DateTime<Utc>) -> ErasureReport;
    fn touch_staff_session(&self, token_hash: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool;
    fn enqueue_notification(&self, notification: &NewNotification) -> i64;
    fn claim_due_notifications(&self, limit: i64, now: DateTime<Utc>, lease: Duration) -> Vec<Notification>;
    fn mark_notification_sent(&self, id: i64, now: DateTime<Utc>) -> bool;
    fn mark_notification_failed(&self, id: i64, error: &str, kind: FailureKind, policy: &RetryPolicy, now: DateTime<Utc>) -> RetryOutcome;
    fn list_notifications(&self, filter: &NotificationFilter) -> Vec<Notification>;
    fn notification_counts(&self, communes: &[String]) -> Vec<(NotificationState, i64)>;
    fn list_outbox(&self, filter: &OutboxFilter) -> Vec<OutboxMessage>;
    fn outbox_counts(&self, communes: &[String]) -> Vec<(OutboxState, i64)>;
    fn sms_count_since(&self, tenant: &str, since: DateTime<Utc>) -> i64;
    fn create_api_key(&self, key: &NewApiKey) -> i64;
    fn api_key_by_hash(&self, token_hash: &str) -> Option<ApiKey>;
    fn list_api_keys(&self, tenant: Option<&str>) -> Vec<ApiKey>;
    fn revoke_api_key(&self, id: i64, at: DateTime<Utc>) -> bool;
    fn count_api_keys(&self) -> i64;
    fn consume_one_time_password(&self, id: i64, password_hash: &str) -> bool;
    fn reset_staff_password(&self, id: i64, password_hash: &str) -> bool;
    fn get_eval_run(&self, commune: &str, id: i64) -> Option<EvalRun>;
}
