//! guichet-store: sessions, transcripts, tickets (the handoff queue), the SMS outbox, ticket
//! notifications (e-mail, webhook), staff accounts, audit log and evaluation runs, behind one [`Store`] trait with two backends:
//! SQLite (embedded default, a file under `data/`, WAL) and PostgreSQL (shared by several
//! stateless `guichet serve` nodes). Both pass the same test suite (`tests/it/suite`).
//!
//! Each domain's statements are written once, generic over a small `Dialect` (`dialect.rs`:
//! placeholders, encodings of instants / JSON / commune lists, the few spellings that differ,
//! where statements run), implemented beside each store (`sqlite.rs`, `postgres.rs`, with their
//! encodings in `sqlite_dialect.rs` and `postgres_dialect.rs`): the
//! audit log (`audit.rs`), evaluation runs (`eval_runs.rs`), staff accounts and login sessions
//! (`staff.rs`), API keys (`api_keys.rs`), ticket notifications (`notifications.rs`, with
//! `queue.rs`: leases and retries shared with the SMS outbox), retention and callers' rights
//! (`privacy.rs`), the staff side of tickets (`tickets.rs`) and the SMS outbox's sending,
//! delivery reports and listing (`outbox.rs`), and reading and expiring sessions and turns
//! (`sessions.rs`). Only the writes that join SQLite's group commit (`sqlite_writer.rs`) are
//! still written per backend, in `sqlite.rs` and `postgres.rs`: saving a session or a turn with
//! its tickets and SMS, creating a ticket, queueing an SMS, closing a session. The `Store`
//! methods of the shared domains forward to them from one macro (`dialect_methods.rs`),
//! expanded in both backends. [`AnyStore`] (`any_store.rs`) dispatches to the backend chosen
//! at run time.
//!
//! Callers hold an [`AnyStore`] (cheap to clone: it wraps connection pools) and call the
//! [`Store`] methods (bring the trait into scope: `use guichet_store::Store;`):
//!
//! ```no_run
//! # async fn demo() -> Result<(), guichet_store::StoreError> {
//! use guichet_store::{AnyStore, Store};
//! let store = AnyStore::connect("sqlite://data/guichet.db?mode=rwc").await?;
//! store.ping().await?;
//! # Ok(()) }
//! ```
//!
//! Conventions:
//! - All instants are `DateTime<Utc>` supplied by the caller (the store never reads the clock),
//!   so behaviour is reproducible in tests.
//! - Phone numbers are in clear only on tickets and in not-yet-purged outbox rows (needed to
//!   send); elsewhere (sessions' `caller`) they are [`pseudonymise`]d by the caller. Every one
//!   is written in E.164 ([`stored_number`], applied by the store and by [`pseudonymise`]), so
//!   that one citizen is one number whatever the spelling it came in.
//! - Staff-facing ticket operations take the viewer's `communes` and never touch another
//!   commune's rows (they answer [`Transition::NotFound`] / `None`).
//! - Malformed rows give [`StoreError::Corrupt`], never a panic.

mod any_store;
mod api_keys;
mod audit;
mod clock;
mod dialect;
mod dialect_methods;
mod error;
mod eval_runs;
mod events;
mod model;
mod notifications;
mod number;
mod outbox;
mod postgres;
mod postgres_dialect;
mod privacy;
mod pseudonym;
mod queue;
mod redact;
mod sessions;
mod sqlite;
mod sqlite_dialect;
mod sqlite_writer;
mod staff;
#[cfg(feature = "testkit")]
pub mod testkit;
mod tickets;

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use any_store::AnyStore;
pub use clock::Clock;
pub use error::{Result, StoreError};
pub use events::{FeedStatus, TicketChange, TicketFeed};
pub use model::*;
pub use number::{e164, stored_number};
pub use postgres::PgStore;
pub use pseudonym::pseudonymise;
pub use redact::{mask_number, redact_numbers};
pub use sqlite::SqliteStore;

/// The default embedded database URL (relative to the working directory).
pub const DEFAULT_SQLITE_URL: &str = "sqlite://data/guichet.db?mode=rwc";

/// The persistent store. Implemented by [`SqliteStore`], [`PgStore`] and the dispatching
/// [`AnyStore`]; every method's future is `Send` so it can run on any tokio worker.
pub trait Store: Send + Sync {
    /// Checks that the database answers (readiness probe).
    fn ping(&self) -> impl Future<Output = Result<()>> + Send;

    // ----- sessions and transcripts -----

    /// The session of a conversation, whatever its state (check [`SessionRecord::is_active`]).
    fn load_session(
        &self,
        tenant: &str,
        conversation_id: &str,
    ) -> impl Future<Output = Result<Option<SessionRecord>>> + Send;

    /// The most recently updated active session (not closed, not expired at `now`) of a caller
    /// pseudonym on a channel: how an SMS conversation keyed by number is found again.
    fn active_session_for_caller(
        &self,
        tenant: &str,
        channel: Channel,
        caller: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<SessionRecord>>> + Send;

    /// Inserts or replaces a session without a turn (e.g. at call start, after the greeting).
    /// The `started_at` of an existing row is kept.
    fn save_session(&self, session: &SessionRecord) -> impl Future<Output = Result<()>> + Send;

    /// Saves a turn, the session after it, its tickets and its SMS in ONE transaction: all or
    /// nothing. Compare-and-swap on the sequence: the turn is saved only if no turn of the
    /// conversation holds its `seq` nor its `message_id`. Otherwise nothing new is written and
    /// `inserted` is false:
    /// - the same turn again (same `seq` and same `message_id`, both `None` included; or the
    ///   same `message_id` at another `seq`): a retried webhook;
    /// - `seq` held by another message's turn: `conflict` is true, the caller works the turn out
    ///   again from the session as it now is.
    ///
    /// Tickets and SMS are written only with their own turn, and deduplicated on their
    /// idempotency keys (`INSERT … ON CONFLICT DO NOTHING`); the returned ids are those of the
    /// rows holding the given keys, new or existing (none when the turn at `seq` is another).
    fn save_turn(&self, record: &TurnRecord) -> impl Future<Output = Result<TurnSaved>> + Send;

    /// Ends a conversation (`hangup`, `goodbye`, …) if it is not already ended.
    /// Returns whether a session was closed.
    fn close_session(
        &self,
        tenant: &str,
        conversation_id: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Closes every open session whose `expires_at` is before `now` (reason `expired`, closed
    /// at its expiry) and replaces its engine state by JSON `null`; rows stay for statistics
    /// until [`Store::purge_before`]. Also deletes expired staff login sessions.
    /// Returns the number of conversations closed.
    fn cleanup_expired_sessions(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// The transcript of a conversation, by `seq`.
    fn conversation_turns(
        &self,
        tenant: &str,
        conversation_id: &str,
    ) -> impl Future<Output = Result<Vec<Turn>>> + Send;

    /// Sessions of a commune started in `[from, to)`, oldest first (statistics).
    fn sessions_between(
        &self,
        tenant: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<SessionRecord>>> + Send;

    /// Turns of a commune in `[from, to)`, by time (statistics, misunderstood utterances).
    fn turns_between(
        &self,
        tenant: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<TurnRow>>> + Send;

    // ----- SMS outbox -----

    /// Queues one SMS outside a turn; idempotent on its key. Returns the row id (new or
    /// existing). An empty recipient or body is refused.
    fn enqueue_sms(&self, message: &NewOutboxMessage) -> impl Future<Output = Result<i64>> + Send;

    /// Leases up to `limit` due messages to this worker: `pending` ones with
    /// `next_attempt_at <= now`, and `sending` ones whose lease ended (a crashed worker).
    /// Each becomes `sending`, `attempts + 1`, `next_attempt_at = now + lease`. Safe with
    /// several workers and nodes: a message is never returned to two claims whose leases
    /// overlap (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one atomic `UPDATE … RETURNING`).
    fn claim_due_outbox(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> impl Future<Output = Result<Vec<OutboxMessage>>> + Send;

    /// Records that the provider accepted a message (`sending`/`pending` → `sent`).
    /// Returns false if the message does not exist or is already final.
    fn mark_outbox_sent(
        &self,
        id: i64,
        provider_message_id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Records a failed send attempt. Transient failures go back to `pending` at
    /// `now + policy.delay_after(attempts)` (exponential backoff, computed here from the
    /// stored attempt count) until `policy.max_attempts`, then `dead`; permanent ones go
    /// straight to `dead`. Only a `sending` message is changed, otherwise `Ignored`.
    fn mark_outbox_failed(
        &self,
        id: i64,
        error: &str,
        kind: FailureKind,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<RetryOutcome>> + Send;

    /// Applies a provider delivery report to the message with this provider id
    /// (`sent` → `delivered` / `failed`; `delivered` is never downgraded).
    /// Returns whether a message was updated.
    fn record_delivery(
        &self,
        provider_message_id: &str,
        status: DeliveryStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The message with this provider id (for status callbacks).
    fn outbox_by_provider_id(
        &self,
        provider_message_id: &str,
    ) -> impl Future<Output = Result<Option<OutboxMessage>>> + Send;

    /// A message by row id.
    fn get_outbox(&self, id: i64) -> impl Future<Output = Result<Option<OutboxMessage>>> + Send;

    /// Messages still queued (`pending` + `sending`), for `/metrics`.
    fn outbox_depth(&self) -> impl Future<Output = Result<i64>> + Send;

    // ----- tickets (handoff queue) -----

    /// Creates a ticket outside a turn; idempotent on its key. Returns its id (new or existing).
    fn create_ticket(&self, ticket: &NewTicket) -> impl Future<Output = Result<i64>> + Send;

    /// A ticket, if it belongs to one of `communes`.
    fn get_ticket(
        &self,
        id: i64,
        communes: &[String],
    ) -> impl Future<Output = Result<Option<Ticket>>> + Send;

    /// The queue: open tickets (nouveau, pris en charge) of `communes`, callbacks first, then
    /// oldest first.
    fn list_open_tickets(
        &self,
        communes: &[String],
    ) -> impl Future<Output = Result<Vec<Ticket>>> + Send;

    /// Tickets matching a filter, newest first.
    fn list_tickets(
        &self,
        filter: &TicketFilter,
    ) -> impl Future<Output = Result<Vec<Ticket>>> + Send;

    /// Atomically takes a `nouveau` ticket for a staff member: of concurrent claims exactly one
    /// is `Applied`, the others `Refused`.
    fn claim_ticket(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Transition>> + Send;

    /// Marks an open ticket `termine`. A ticket `pris_en_charge` can only be closed by the
    /// staff member holding it; a `nouveau` one by anyone of its communes.
    fn close_ticket(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Transition>> + Send;

    /// A callback attempt got no answer: `attempts + 1`; back to `nouveau` (unclaimed), due
    /// again `rule.min_gap` later, while `attempts < rule.max_attempts`, else `injoignable`
    /// (closed). Same holder rule as [`Store::close_ticket`]. An attempt less than
    /// `rule.min_gap` after the last one is `Refused`, checked in the update itself: of
    /// concurrent attempts (three clicks within a second) exactly one is `Applied`.
    fn ticket_unreachable(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
        rule: AttemptRule,
    ) -> impl Future<Output = Result<Transition>> + Send;

    /// Takes a ticket `pris_en_charge` from its holder, in one transaction with the note
    /// `change.note` in its history: back to `nouveau` (`change.to` = `None`, « remis dans la
    /// file ») or to another staff member. Only the holder or an administrator
    /// (`change.admin`) may: anyone else, or a ticket not held, is `Refused`.
    fn hand_over_ticket(
        &self,
        id: i64,
        communes: &[String],
        change: &HandOver,
    ) -> impl Future<Output = Result<Transition>> + Send;

    /// Records how the dial of a conversation's live transfer ended, on its transfer ticket,
    /// once, in one transaction: answered, the ticket is `termine` (out of the queue, its wait
    /// frozen at `at`); unanswered, it becomes a callback ticket (still `nouveau`, its topic,
    /// summary and number kept). The session's `end_reason` becomes
    /// [`DialOutcome::end_reason`]. A ticket that already has an outcome is left as it is
    /// (`changed: false`, its first outcome returned). `None`: the conversation has no transfer
    /// ticket.
    fn record_dial_outcome(
        &self,
        tenant: &str,
        conversation_id: &str,
        outcome: DialOutcome,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<DialRecorded>>> + Send;

    /// Adds a note to a ticket of `communes`.
    fn add_ticket_note(
        &self,
        id: i64,
        communes: &[String],
        staff_id: i64,
        at: DateTime<Utc>,
        body: &str,
    ) -> impl Future<Output = Result<Transition>> + Send;

    /// Notes of a ticket of `communes`, oldest first (empty if not found).
    fn ticket_notes(
        &self,
        id: i64,
        communes: &[String],
    ) -> impl Future<Output = Result<Vec<TicketNote>>> + Send;

    // ----- staff -----

    /// Creates an account; [`StoreError::Conflict`] if the e-mail exists.
    fn create_staff(&self, staff: &NewStaff) -> impl Future<Output = Result<i64>> + Send;

    /// An account by id.
    fn get_staff(&self, id: i64) -> impl Future<Output = Result<Option<Staff>>> + Send;

    /// An account by e-mail (normalised with [`normalise_email`]).
    fn get_staff_by_email(&self, email: &str)
    -> impl Future<Output = Result<Option<Staff>>> + Send;

    /// All accounts, by e-mail.
    fn list_staff(&self) -> impl Future<Output = Result<Vec<Staff>>> + Send;

    /// Number of accounts (the first start creates an admin when 0).
    fn count_staff(&self) -> impl Future<Output = Result<i64>> + Send;

    /// Replaces an account's password hash. Returns whether the account exists.
    fn set_staff_password(
        &self,
        id: i64,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Disables or re-enables an account (disabling also ends its login sessions).
    fn set_staff_disabled(
        &self,
        id: i64,
        disabled: bool,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Stores a console login session.
    fn create_staff_session(
        &self,
        session: &StaffSession,
    ) -> impl Future<Output = Result<()>> + Send;

    /// A login session that has not expired at `now`.
    fn get_staff_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<StaffSession>>> + Send;

    /// Ends a login session (logout).
    fn delete_staff_session(&self, token_hash: &str) -> impl Future<Output = Result<()>> + Send;

    // ----- audit and evaluation -----

    /// Appends an audit line; returns its id.
    fn append_audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<i64>> + Send;

    /// The latest `limit` audit lines concerning `communes`, newest first; with
    /// `action_prefix`, only the lines whose action starts with it (e.g. `"ticket."`).
    fn list_audit(
        &self,
        communes: &[String],
        action_prefix: Option<&str>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<AuditRow>>> + Send;

    /// Records an evaluation run; returns its id.
    fn insert_eval_run(&self, run: &NewEvalRun) -> impl Future<Output = Result<i64>> + Send;

    /// The latest `limit` evaluation runs of a commune, newest first.
    fn list_eval_runs(
        &self,
        commune: &str,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<EvalRun>>> + Send;

    // ----- privacy -----

    /// Retention for one commune: deletes turns older than `cutoff`, ended sessions last
    /// updated before it, final outbox messages and ticket notifications last updated before
    /// it, audit entries of the commune (and of no commune: logins) older than it; closes as
    /// `injoignable` the tickets still open that were created before it, and anonymises
    /// closed tickets (terminé / injoignable) closed before it: number, summary, transcript
    /// and notes removed, `anonymised_at` set to `cutoff`.
    fn purge_before(
        &self,
        commune: &str,
        cutoff: DateTime<Utc>,
    ) -> impl Future<Output = Result<PurgeReport>> + Send;

    /// Everything held about a caller (access request): sessions and turns by pseudonym,
    /// tickets and SMS by number in clear. All communes.
    fn caller_records(
        &self,
        number: &str,
        pseudonym: &str,
    ) -> impl Future<Output = Result<CallerRecords>> + Send;

    /// Erasure request: deletes the caller's sessions, turns and SMS and anonymises their
    /// tickets (even open ones), in one transaction. All communes.
    fn erase_caller(
        &self,
        number: &str,
        pseudonym: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<ErasureReport>> + Send;

    // ----- console sessions: sliding expiry -----

    /// Slides a console login session's expiry forward on activity: `expires_at` becomes
    /// `expires_at` if later (never shortened). Only a session still valid at `now` is
    /// changed. Returns whether it was.
    fn touch_staff_session(
        &self,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    // ----- ticket notifications (e-mail, webhook) -----

    /// Queues the notification of a ticket to a destination; idempotent on
    /// `(ticket_id, destination)` (several nodes may queue it at once). Returns the row id
    /// (new or existing). An empty destination is refused.
    fn enqueue_notification(
        &self,
        notification: &NewNotification,
    ) -> impl Future<Output = Result<i64>> + Send;

    /// Leases up to `limit` due notifications to this worker: `pending` and `failed` ones with
    /// `next_attempt_at <= now`, and `sending` ones whose lease ended (a crashed worker).
    /// Each becomes `sending`, `attempts + 1`, `lease_until = now + lease`. A notification is
    /// never returned to two claims whose leases overlap, on any node (PostgreSQL:
    /// `FOR UPDATE SKIP LOCKED`; SQLite: one atomic `UPDATE … RETURNING`). Oldest due first;
    /// the batch is returned by id.
    fn claim_due_notifications(
        &self,
        limit: i64,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> impl Future<Output = Result<Vec<Notification>>> + Send;

    /// Records a delivery (`sending` → `sent`, `sent_at = now`). Returns false if the
    /// notification does not exist or is not being sent.
    fn mark_notification_sent(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Records a failed attempt, with the outbox's rule ([`RetryPolicy`]): a transient failure
    /// becomes `failed`, due again at `now + policy.delay_after(attempts)`, until
    /// `policy.max_attempts`, then `dead`; a permanent one is `dead` at once. Only a `sending`
    /// notification is changed, otherwise `Ignored`.
    fn mark_notification_failed(
        &self,
        id: i64,
        error: &str,
        kind: FailureKind,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<RetryOutcome>> + Send;

    /// Notifications of the filter's communes (and states), newest first (console).
    fn list_notifications(
        &self,
        filter: &NotificationFilter,
    ) -> impl Future<Output = Result<Vec<Notification>>> + Send;

    /// Number of notifications of `communes` in each state: every state, in declaration
    /// order (console, metrics).
    fn notification_counts(
        &self,
        communes: &[String],
    ) -> impl Future<Output = Result<Vec<(NotificationState, i64)>>> + Send;

    // ----- outbox listing (console) -----

    /// SMS of the filter's communes (and states), most recently changed first: what the
    /// console shows of SMS that did not reach their recipient (dead, failed).
    fn list_outbox(
        &self,
        filter: &OutboxFilter,
    ) -> impl Future<Output = Result<Vec<OutboxMessage>>> + Send;

    /// Number of SMS of `communes` in each state: every state, in declaration order.
    fn outbox_counts(
        &self,
        communes: &[String],
    ) -> impl Future<Output = Result<Vec<(OutboxState, i64)>>> + Send;

    // ----- SMS guard -----

    /// SMS of `tenant` queued since `since` and not refused (what the daily budget counts).
    fn sms_count_since(
        &self,
        tenant: &str,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<i64>> + Send;

    // ----- API keys -----

    /// Stores a key (its token's hash); a hash already stored is refused.
    fn create_api_key(&self, key: &NewApiKey) -> impl Future<Output = Result<i64>> + Send;

    /// The live (not revoked) key whose token hashes to `token_hash`.
    fn api_key_by_hash(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<ApiKey>>> + Send;

    /// Every key (revoked ones too) of `tenant`, or of every commune; oldest first.
    fn list_api_keys(
        &self,
        tenant: Option<&str>,
    ) -> impl Future<Output = Result<Vec<ApiKey>>> + Send;

    /// Revokes a key; false when there is no such live key.
    fn revoke_api_key(
        &self,
        id: i64,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Number of live keys, every commune.
    fn count_api_keys(&self) -> impl Future<Output = Result<i64>> + Send;

    // ----- staff: single-use passwords and resets; one evaluation run -----

    /// Spends an account's one-time password at a login: succeeds only when `password_hash`
    /// is still the account's password, still a one-time one (`must_change_password`) and not
    /// spent yet. Of concurrent logins with the same password exactly one gets `true`; the
    /// others, and every later one, `false`.
    fn consume_one_time_password(
        &self,
        id: i64,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// An administrator's reset: `password_hash` becomes the account's new one-time password
    /// (to be changed at the next login, not spent yet) and the account's login sessions end.
    /// Returns whether the account exists.
    fn reset_staff_password(
        &self,
        id: i64,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// One evaluation run of a commune, by id.
    fn get_eval_run(
        &self,
        commune: &str,
        id: i64,
    ) -> impl Future<Output = Result<Option<EvalRun>>> + Send;
}
