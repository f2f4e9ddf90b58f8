//! Every method of the store, listed once by domain: its documentation and its signature. The
//! list expands into the domain traits and [`Store`](crate::Store) (`lib.rs`), their
//! implementation for every backend, [`AnyStore`](crate::AnyStore)'s dispatch (`any_store.rs`)
//! and the service's metered store. A method of `trait X in domain` is the function of the same
//! name in `domain.rs`, written once over the [`Dialect`](crate::dialect::Dialect) (and, for
//! the writes of the citizens' path, its way of running a write: `writes.rs`). Adding a method
//! is one entry here and its domain function.

/// Calls `$then! { … }` with every domain trait of the store, as its doc comments,
/// `trait Name in domain { … }` and its methods, each as its doc comments,
/// `fn name(&self, args…) -> T` (the method returns `Result<T>`).
#[macro_export]
macro_rules! store_methods {
    ($then:ident) => { $then! {
    /// Conversations: their sessions and turns (the transcripts), and the readiness probe.
    trait SessionStore in sessions {
        /// Checks that the database answers (readiness probe).
        fn ping(&self) -> ();

        /// The session of a conversation, whatever its state (check [`SessionRecord::is_active`]).
        fn load_session(&self, tenant: &str, conversation_id: &str) -> Option<SessionRecord>;

        /// The most recently updated active session (not closed, not expired at `now`) of a caller
        /// pseudonym on a channel: how an SMS conversation keyed by number is found again.
        fn active_session_for_caller(
            &self, tenant: &str, channel: Channel, caller: &str, now: DateTime<Utc>
        ) -> Option<SessionRecord>;

        /// Inserts or replaces a session without a turn (e.g. at call start, after the greeting).
        /// The `started_at` of an existing row is kept.
        fn save_session(&self, session: &SessionRecord) -> ();

        /// Saves a turn, the session after it, its tickets and its SMS in ONE transaction: all or
        /// nothing. Compare-and-swap on the sequence: the turn is saved only if no turn of the
        /// conversation holds its `seq` nor its `message_id`. Otherwise nothing new is written and
        /// `inserted` is false:
        /// - the same turn again (same `seq` and same `message_id`, both `None` included; or the
        ///   same `message_id` at another `seq`): a retried webhook;
        /// - `seq` held by another message's turn: `conflict` is true, the caller works the
        ///   turn out again from the session as it now is.
        ///
        /// Tickets and SMS are written only with their own turn, deduplicated on their idempotency
        /// keys (`INSERT … ON CONFLICT DO NOTHING`); [`TurnSaved`] gives their ids.
        fn save_turn(&self, record: &TurnRecord) -> TurnSaved;

        /// Ends a conversation (`hangup`, `goodbye`, …) if it is not already ended.
        /// Returns whether a session was closed.
        fn close_session(&self, end: &SessionEnd<'_>) -> bool;

        /// Closes every open session whose `expires_at` is before `now` (reason `expired`, closed
        /// at its expiry) and replaces its engine state by JSON `null`; rows stay for statistics
        /// until [`PrivacyStore::purge_before`]. Also deletes expired staff login sessions.
        /// Returns the number of conversations closed.
        fn cleanup_expired_sessions(&self, now: DateTime<Utc>) -> u64;

        /// The transcript of a conversation, by `seq`.
        fn conversation_turns(&self, tenant: &str, conversation_id: &str) -> Vec<Turn>;

        /// Sessions of a commune started in `[from, to)`, oldest first (statistics).
        fn sessions_between(&self, tenant: &str, from: DateTime<Utc>, to: DateTime<Utc>)
            -> Vec<SessionRecord>;

        /// Turns of a commune in `[from, to)`, by time (statistics, misunderstood utterances).
        fn turns_between(&self, tenant: &str, from: DateTime<Utc>, to: DateTime<Utc>)
            -> Vec<TurnRow>;
    }

    /// The SMS outbox: queueing, leasing to the sender, delivery reports, the console's listing and
    /// what the daily SMS guard counts.
    trait OutboxStore in outbox {
        /// Queues one SMS outside a turn; idempotent on its key. Returns the row id (new or
        /// existing). An empty recipient or body is refused.
        fn enqueue_sms(&self, message: &NewOutboxMessage) -> i64;

        /// Leases up to `limit` due messages to this worker: `pending` ones with
        /// `next_attempt_at <= now`, and `sending` ones whose lease ended (a crashed worker).
        /// Each becomes `sending`, `attempts + 1`, `next_attempt_at = now + lease`. Safe with
        /// several workers and nodes: a message is never returned to two claims whose leases
        /// overlap (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one atomic `UPDATE … RETURNING`).
        fn claim_due_outbox(&self, limit: i64, now: DateTime<Utc>, lease: ::std::time::Duration)
            -> Vec<OutboxMessage>;

        /// Records that the provider accepted a message (`sending`/`pending` → `sent`).
        /// Returns false if the message does not exist or is already final.
        fn mark_outbox_sent(&self, id: i64, provider_message_id: &str, now: DateTime<Utc>) -> bool;

        /// Records a failed send attempt. Transient failures go back to `pending` at
        /// `now + policy.delay_after(attempts)` (exponential backoff, computed here from the
        /// stored attempt count) until `policy.max_attempts`, then `dead`; permanent ones go
        /// straight to `dead`. Only a `sending` message is changed, otherwise `Ignored`.
        fn mark_outbox_failed(
            &self, id: i64, error: &str, kind: FailureKind, policy: &RetryPolicy,
            now: DateTime<Utc>
        ) -> RetryOutcome;

        /// Applies a provider delivery report to the message with this provider id
        /// (`sent` → `delivered` / `failed`; `delivered` is never downgraded).
        /// Returns whether a message was updated.
        fn record_delivery(
            &self, provider_message_id: &str, status: DeliveryStatus, error: Option<&str>,
            now: DateTime<Utc>
        ) -> bool;

        /// The message with this provider id (for status callbacks).
        fn outbox_by_provider_id(&self, provider_message_id: &str) -> Option<OutboxMessage>;

        /// A message by row id.
        fn get_outbox(&self, id: i64) -> Option<OutboxMessage>;

        /// Messages still queued (`pending` + `sending`), for `/metrics`.
        fn outbox_depth(&self) -> i64;

        /// SMS of the filter's communes (and states), most recently changed first: what the
        /// console shows of SMS that did not reach their recipient (dead, failed).
        fn list_outbox(&self, filter: &OutboxFilter) -> Vec<OutboxMessage>;

        /// Number of SMS of `communes` in each state: every state, in declaration order.
        fn outbox_counts(&self, communes: &[String]) -> Vec<(OutboxState, i64)>;

        /// SMS of `tenant` queued since `since` and not refused (what the daily budget counts).
        fn sms_count_since(&self, tenant: &str, since: DateTime<Utc>) -> i64;
    }

    /// Tickets, the handoff queue: created with a turn or a callback request, worked by the
    /// standardistes of their communes.
    trait TicketStore in tickets {
        /// Creates a ticket outside a turn; idempotent on its key. Returns its id (new or
        /// existing).
        fn create_ticket(&self, ticket: &NewTicket) -> i64;

        /// A ticket, if it belongs to one of `communes`.
        fn get_ticket(&self, id: i64, communes: &[String]) -> Option<Ticket>;

        /// The queue: open tickets (nouveau, pris en charge) of `communes`, callbacks first, then
        /// oldest first.
        fn list_open_tickets(&self, communes: &[String]) -> Vec<Ticket>;

        /// Tickets matching a filter, newest first.
        fn list_tickets(&self, filter: &TicketFilter) -> Vec<Ticket>;

        /// Atomically takes a `nouveau` ticket for a staff member: of concurrent claims exactly one
        /// is `Applied`, the others `Refused`.
        fn claim_ticket(&self, id: i64, communes: &[String], staff_id: i64, at: DateTime<Utc>)
            -> Transition;

        /// Marks an open ticket `termine`. A ticket `pris_en_charge` can only be closed by the
        /// staff member holding it; a `nouveau` one by anyone of its communes.
        fn close_ticket(&self, id: i64, communes: &[String], staff_id: i64, at: DateTime<Utc>)
            -> Transition;

        /// A callback attempt got no answer: `attempts + 1`; back to `nouveau` (unclaimed), due
        /// again `rule.min_gap` later, while `attempts < rule.max_attempts`, else `injoignable`
        /// (closed). Same holder rule as [`TicketStore::close_ticket`]. An attempt less than
        /// `rule.min_gap` after the last one is `Refused`, checked in the update itself: of
        /// concurrent attempts (three clicks within a second) exactly one is `Applied`.
        fn ticket_unreachable(
            &self, id: i64, communes: &[String], staff_id: i64, at: DateTime<Utc>,
            rule: AttemptRule
        ) -> Transition;

        /// Takes a ticket `pris_en_charge` from its holder, in one transaction with the note
        /// `change.note` in its history: back to `nouveau` (`change.to` = `None`, « remis dans la
        /// file ») or to another staff member. Only the holder or an administrator
        /// (`change.admin`) may: anyone else, or a ticket not held, is `Refused`.
        fn hand_over_ticket(&self, id: i64, communes: &[String], change: &HandOver) -> Transition;

        /// Records how the dial of a conversation's live transfer ended, on its transfer ticket,
        /// once, in one transaction: answered, the ticket is `termine` (out of the queue, its wait
        /// frozen at `at`); unanswered, it becomes a callback ticket (still `nouveau`, its topic,
        /// summary and number kept). The session's `end_reason` becomes
        /// [`DialOutcome::end_reason`]. A ticket that already has an outcome is left as it is
        /// (`changed: false`, its first outcome returned). `None`: the conversation has no transfer
        /// ticket.
        fn record_dial_outcome(
            &self, tenant: &str, conversation_id: &str, outcome: DialOutcome, at: DateTime<Utc>
        ) -> Option<DialRecorded>;

        /// Adds a note to a ticket of `communes`.
        fn add_ticket_note(
            &self, id: i64, communes: &[String], staff_id: i64, at: DateTime<Utc>, body: &str
        ) -> Transition;

        /// Notes of a ticket of `communes`, oldest first (empty if not found).
        fn ticket_notes(&self, id: i64, communes: &[String]) -> Vec<TicketNote>;
    }

    /// Ticket notifications (e-mail, webhook): their queue, leases, retries and listing.
    trait NotificationStore in notifications {
        /// Queues the notification of a ticket to a destination; idempotent on
        /// `(ticket_id, destination)` (several nodes may queue it at once). Returns the row id
        /// (new or existing). An empty destination is refused.
        fn enqueue_notification(&self, notification: &NewNotification) -> i64;

        /// Leases up to `limit` due notifications to this worker, as
        /// [`OutboxStore::claim_due_outbox`] leases SMS (never to two claims at once): `pending`
        /// and `failed` ones with `next_attempt_at <= now`, and `sending` ones whose lease ended.
        /// Each becomes `sending`, `attempts + 1`, `lease_until = now + lease`. Oldest due first;
        /// the batch is returned by id.
        fn claim_due_notifications(
            &self, limit: i64, now: DateTime<Utc>, lease: ::std::time::Duration
        ) -> Vec<Notification>;

        /// Records a delivery (`sending` → `sent`, `sent_at = now`). Returns false if the
        /// notification does not exist or is not being sent.
        fn mark_notification_sent(&self, id: i64, now: DateTime<Utc>) -> bool;

        /// Records a failed attempt as [`OutboxStore::mark_outbox_failed`] does, except that a
        /// notification due again is `failed` (not `pending`).
        fn mark_notification_failed(
            &self, id: i64, error: &str, kind: FailureKind, policy: &RetryPolicy,
            now: DateTime<Utc>
        ) -> RetryOutcome;

        /// Notifications of the filter's communes (and states), newest first (console).
        fn list_notifications(&self, filter: &NotificationFilter) -> Vec<Notification>;

        /// Number of notifications of `communes` in each state: every state, in declaration
        /// order (console, metrics).
        fn notification_counts(&self, communes: &[String]) -> Vec<(NotificationState, i64)>;
    }

    /// Staff accounts, their passwords and their console login sessions.
    trait StaffStore in staff {
        /// Creates an account; [`StoreError::Conflict`] if the e-mail exists.
        fn create_staff(&self, staff: &NewStaff) -> i64;

        /// An account by id.
        fn get_staff(&self, id: i64) -> Option<Staff>;

        /// An account by e-mail (normalised with [`normalise_email`]).
        fn get_staff_by_email(&self, email: &str) -> Option<Staff>;

        /// All accounts, by e-mail.
        fn list_staff(&self) -> Vec<Staff>;

        /// Number of accounts (the first start creates an admin when 0).
        fn count_staff(&self) -> i64;

        /// Replaces an account's password hash. Returns whether the account exists.
        fn set_staff_password(&self, id: i64, password_hash: &str) -> bool;

        /// Disables or re-enables an account (disabling also ends its login sessions).
        fn set_staff_disabled(&self, id: i64, disabled: bool) -> bool;

        /// Spends an account's one-time password at a login: succeeds only when `password_hash`
        /// is still the account's password, still a one-time one (`must_change_password`) and not
        /// spent yet. Of concurrent logins with the same password exactly one gets `true`; the
        /// others, and every later one, `false`.
        fn consume_one_time_password(&self, id: i64, password_hash: &str) -> bool;

        /// An administrator's reset: `password_hash` becomes the account's new one-time password
        /// (to be changed at the next login, not spent yet) and the account's login sessions end.
        /// Returns whether the account exists.
        fn reset_staff_password(&self, id: i64, password_hash: &str) -> bool;

        /// Stores a console login session.
        fn create_staff_session(&self, session: &StaffSession) -> ();

        /// A login session that has not expired at `now`.
        fn get_staff_session(&self, token_hash: &str, now: DateTime<Utc>) -> Option<StaffSession>;

        /// Slides a console login session's expiry forward on activity: `expires_at` becomes
        /// `expires_at` if later (never shortened). Only a session still valid at `now` is
        /// changed. Returns whether it was.
        fn touch_staff_session(
            &self, token_hash: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>
        ) -> bool;

        /// Ends a login session (logout).
        fn delete_staff_session(&self, token_hash: &str) -> ();
    }

    /// Keys of the HTTP API.
    trait ApiKeyStore in api_keys {
        /// Stores a key (its token's hash); a hash already stored is refused.
        fn create_api_key(&self, key: &NewApiKey) -> i64;

        /// The live (not revoked) key whose token hashes to `token_hash`.
        fn api_key_by_hash(&self, token_hash: &str) -> Option<ApiKey>;

        /// Every key (revoked ones too) of `tenant`, or of every commune; oldest first.
        fn list_api_keys(&self, tenant: Option<&str>) -> Vec<ApiKey>;

        /// Revokes a key; false when there is no such live key.
        fn revoke_api_key(&self, id: i64, at: DateTime<Utc>) -> bool;

        /// Number of live keys, every commune.
        fn count_api_keys(&self) -> i64;
    }

    /// The audit log of staff actions.
    trait AuditStore in audit {
        /// Appends an audit line; returns its id.
        fn append_audit(&self, entry: &AuditEntry) -> i64;

        /// The latest `limit` audit lines concerning `communes`, newest first; with
        /// `action_prefix`, only the lines whose action starts with it (e.g. `"ticket."`).
        fn list_audit(&self, communes: &[String], action_prefix: Option<&str>, limit: i64)
            -> Vec<AuditRow>;
    }

    /// Evaluation runs, for the console's history.
    trait EvalRunStore in eval_runs {
        /// Records an evaluation run; returns its id.
        fn insert_eval_run(&self, run: &NewEvalRun) -> i64;

        /// The latest `limit` evaluation runs of a commune, newest first.
        fn list_eval_runs(&self, commune: &str, limit: i64) -> Vec<EvalRun>;

        /// One evaluation run of a commune, by id.
        fn get_eval_run(&self, commune: &str, id: i64) -> Option<EvalRun>;
    }

    /// Retention and callers' rights: purging old rows, a caller's records, erasing them.
    trait PrivacyStore in privacy {
        /// Retention for one commune: deletes turns older than `cutoff`, ended sessions last
        /// updated before it, final outbox messages and ticket notifications last updated before
        /// it, audit entries of the commune (and of no commune: logins) older than it; closes as
        /// `injoignable` the tickets still open that were created before it, and anonymises
        /// closed tickets (terminé / injoignable) closed before it: number, summary, transcript
        /// and notes removed, `anonymised_at` set to `cutoff`.
        fn purge_before(&self, commune: &str, cutoff: DateTime<Utc>) -> PurgeReport;

        /// Everything held about a caller (access request): sessions and turns by pseudonym,
        /// tickets and SMS by number in clear. All communes.
        fn caller_records(&self, number: &str, pseudonym: &str) -> CallerRecords;

        /// Erasure request: deletes the caller's sessions, turns and SMS and anonymises their
        /// tickets (even open ones), in one transaction. All communes.
        fn erase_caller(&self, number: &str, pseudonym: &str, at: DateTime<Utc>) -> ErasureReport;
    }
    }};
}

/// The domain traits and [`Store`](crate::Store), declared from
/// [`store_methods!`](crate::store_methods).
macro_rules! declare_store {
    ($($(#[$tdoc:meta])* trait $trait:ident in $domain:ident { $($(#[$doc:meta])*
        fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;)* })*) => {
        $(
            $(#[$tdoc])*
            ///
            /// Implemented by [`SqliteStore`], [`PgStore`] and the dispatching [`AnyStore`];
            /// every method's future is `Send` so it can run on any tokio worker.
            pub trait $trait: Send + Sync {
                $(
                    $(#[$doc])*
                    fn $name(&self $(, $arg: $ty)*) -> impl Future<Output = Result<$ret>> + Send;
                )*
            }
        )*

        /// Every domain of the store at once, for the callers that use them all (the service's
        /// turn pipeline, the tests); a caller that needs a few asks for those domains only.
        pub trait Store: Send + Sync $(+ $trait)* {}

        impl<S: Send + Sync $(+ $trait)*> Store for S {}

        // A backend is a `Dialect` and its way of running writes: every domain follows.
        $(
            impl<B: $crate::writes::RunsWrites> $trait for B {
                $(
                    async fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                        $crate::$domain::$name(self $(, $arg)*).await
                    }
                )*
            }
        )*
    };
}
pub(crate) use declare_store;

/// [`AnyStore`](crate::AnyStore)'s dispatch to its backend. Each backend future is boxed: they
/// are several KB, and every layer above (metering, timeouts, the spool, the handler) would
/// otherwise copy them whole each time it moves its own.
macro_rules! dispatch_any_store {
    ($($(#[$tdoc:meta])* trait $trait:ident in $domain:ident { $($(#[$doc:meta])*
        fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;)* })*) => {
        $(
            impl $trait for AnyStore {
                $(
                    async fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                        match self {
                            AnyStore::Sqlite(s) => Box::pin($trait::$name(s $(, $arg)*)).await,
                            AnyStore::Postgres(s) => Box::pin($trait::$name(s $(, $arg)*)).await,
                        }
                    }
                )*
            }
        )*
    };
}
pub(crate) use dispatch_any_store;
