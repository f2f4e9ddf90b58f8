//! The store test suite, written once over any [`Store`] and instantiated per backend with
//! [`store_suite!`] (see `tests/sqlite.rs` and `tests/postgres.rs`).

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use guichet_store::*;
use serde_json::json;

mod callbacks;
mod notifications;
mod outbox_listing;
mod sms_guard;
mod staff_passwords;
mod transfers;
mod turn_races;
pub use callbacks::*;
pub use notifications::*;
pub use outbox_listing::*;
pub use sms_guard::*;
pub use staff_passwords::*;
pub use transfers::*;
pub use turn_races::*;

/// Generates one `#[tokio::test]` per suite function, each on a fresh store from `$open`
/// (an async fn returning `Option<fixture>`; `None` means the backend is unavailable and the
/// test is skipped).
macro_rules! store_suite {
    ($open:path) => {
        store_suite!(@tests $open;
            session_roundtrip,
            turn_and_outbox_are_atomic,
            retried_turn_is_idempotent,
            concurrent_retries_save_one_turn,
            two_messages_for_one_seq_are_a_conflict_not_a_retry,
            a_message_saved_again_at_another_seq_is_the_same_turn,
            concurrent_messages_of_one_conversation_are_all_kept,
            concurrent_writes_of_every_kind_get_their_own_rows,
            concurrent_ticket_claims_have_one_winner,
            ticket_lifecycle,
            queue_order_and_filters,
            cross_commune_isolation,
            outbox_claims_are_disjoint_across_workers,
            outbox_retry_backoff_and_delivery,
            session_expiry_cleanup,
            retention_purge,
            staff_accounts_and_logins,
            audit_and_eval_runs,
            privacy_access_and_erasure,
            corrupt_rows_are_errors_not_panics,
            notifications_are_queued_once_and_retried_like_the_outbox,
            concurrent_notification_claims_are_disjoint,
            staff_sessions_slide_and_audit_filters_by_action,
            undelivered_sms_are_listed_per_commune_newest_first,
            a_dial_outcome_resolves_its_transfer_ticket_once,
            a_one_time_password_serves_one_login_only,
            one_eval_run_is_read_within_its_commune,
            concurrent_unanswered_attempts_spend_one,
            an_unanswered_transfer_is_a_callback_due_at_once,
            a_held_ticket_is_handed_over_by_its_holder_or_an_admin,
            tickets_are_filtered_searched_and_paged,
            the_sms_guard_counts_the_days_sms_let_through
        );
    };
    (@tests $open:path; $($name:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let Some(fixture) = $open().await else { return };
                suite::$name(&fixture.store).await;
                fixture.finish().await;
            }
        )+
    };
}
pub(crate) use store_suite;

/// Backend-specific raw SQL the suite needs to provoke failures behind the store's back.
pub trait BackendHooks {
    /// Makes the database itself refuse any SMS whose body is `BOOM` (a trigger), so that a
    /// failure happens in the middle of a transaction, after the validation in Rust.
    fn fail_sms_with_body_boom(&self) -> impl std::future::Future<Output = ()> + Send;

    /// Sets an impossible channel on a session (lifting the CHECK constraint first).
    fn corrupt_session_channel(
        &self,
        conversation_id: &str,
    ) -> impl std::future::Future<Output = ()> + Send;
}

impl BackendHooks for AnyStore {
    async fn fail_sms_with_body_boom(&self) {
        match self {
            AnyStore::Sqlite(s) => {
                sqlx::raw_sql(
                    "CREATE TRIGGER boom BEFORE INSERT ON outbox WHEN NEW.body = 'BOOM'
                     BEGIN SELECT RAISE(ABORT, 'boom'); END",
                )
                .execute(s.writer_pool())
                .await
                .expect("trigger");
            }
            AnyStore::Postgres(s) => {
                sqlx::raw_sql(
                    "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         IF NEW.body = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF;
                         RETURN NEW;
                     END $$;
                     CREATE TRIGGER boom BEFORE INSERT ON outbox
                         FOR EACH ROW EXECUTE FUNCTION boom();",
                )
                .execute(s.pool())
                .await
                .expect("trigger");
            }
        }
    }

    async fn corrupt_session_channel(&self, conversation_id: &str) {
        match self {
            AnyStore::Sqlite(s) => {
                let mut conn = s.writer_pool().acquire().await.expect("connection");
                sqlx::query("PRAGMA ignore_check_constraints = ON")
                    .execute(&mut *conn)
                    .await
                    .expect("pragma");
                sqlx::query("UPDATE sessions SET channel = 'pigeon' WHERE conversation_id = ?")
                    .bind(conversation_id)
                    .execute(&mut *conn)
                    .await
                    .expect("update");
                sqlx::query("PRAGMA ignore_check_constraints = OFF")
                    .execute(&mut *conn)
                    .await
                    .expect("pragma");
            }
            AnyStore::Postgres(s) => {
                sqlx::query("ALTER TABLE sessions DROP CONSTRAINT sessions_channel_check")
                    .execute(s.pool())
                    .await
                    .expect("alter");
                sqlx::query("UPDATE sessions SET channel = 'pigeon' WHERE conversation_id = $1")
                    .bind(conversation_id)
                    .execute(s.pool())
                    .await
                    .expect("update");
            }
        }
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0)
        .single()
        .expect("valid instant")
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

fn communes(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn session(tenant: &str, conversation: &str, at: DateTime<Utc>) -> SessionRecord {
    SessionRecord {
        tenant: tenant.into(),
        conversation_id: conversation.into(),
        channel: Channel::Voice,
        caller: Some(pseudonymise("+33612345678", b"test-key")),
        state: json!({"turns": 0, "topic": null}),
        started_at: at,
        updated_at: at,
        expires_at: at + secs(600),
        closed_at: None,
        end_reason: None,
    }
}

fn turn(seq: i64, at: DateTime<Utc>) -> Turn {
    Turn {
        seq,
        at,
        caller_text: format!("je voudrais refaire mon passeport ({seq})"),
        reply_text: "Votre passeport se renouvelle sur rendez-vous.".into(),
        decision: json!({"action": "answer", "fiche": "passeport-renouvellement", "score": 0.91}),
        action: "answer".into(),
        fiche: Some("passeport-renouvellement".into()),
        confidence: Some(0.91),
        reply: Some(json!({
            "say": [{"text": "Votre passeport se renouvelle sur rendez-vous."}],
            "actions": [{"type": "listen", "hints": []}],
        })),
        message_id: None,
    }
}

fn ticket(tenant: &str, key: &str, kind: TicketKind, at: DateTime<Utc>) -> NewTicket {
    NewTicket {
        idempotency_key: key.into(),
        tenant: tenant.into(),
        kind,
        channel: Channel::Voice,
        conversation_id: Some(format!("conv-{key}")),
        caller_number: Some("+33612345678".into()),
        topic: "Passeport".into(),
        fiche: Some("passeport".into()),
        summary: "Le demandeur veut renouveler son passeport expiré.".into(),
        transcript: json!([{"caller": "mon passeport est expiré", "robot": "…"}]),
        partner: None,
        reference: None,
        created_at: at,
        due_at: None,
    }
}

fn sms(tenant: &str, key: &str, at: DateTime<Utc>) -> NewOutboxMessage {
    NewOutboxMessage {
        idempotency_key: key.into(),
        tenant: tenant.into(),
        conversation_id: Some("conv-1".into()),
        to: "+33612345678".into(),
        sender: "VILLEBOURG".into(),
        body: "Passeport : prenez rendez-vous sur https://villebourg.fr/passeport".into(),
        refusal: None,
        limits: None,
        created_at: at,
    }
}

fn record(tenant: &str, conversation: &str, seq: i64, at: DateTime<Utc>) -> TurnRecord {
    let mut s = session(tenant, conversation, at);
    s.state = json!({"turns": seq});
    TurnRecord {
        session: s,
        turn: turn(seq, at),
        tickets: vec![ticket(
            tenant,
            &format!("{conversation}:{seq}:ticket"),
            TicketKind::Callback,
            at,
        )],
        outbox: vec![sms(tenant, &format!("{conversation}:{seq}:sms"), at)],
    }
}

fn staff(email: &str, role: Role, communes_: &[&str]) -> NewStaff {
    NewStaff {
        email: email.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role,
        communes: communes(communes_),
        created_at: t0(),
        must_change_password: false,
    }
}

pub async fn session_roundtrip<S: Store>(store: &S) {
    store.ping().await.expect("ping");
    assert_eq!(store.load_session("demo", "CA1").await.expect("load"), None);

    let first = session("demo", "CA1", t0());
    store.save_session(&first).await.expect("save session");
    let loaded = store
        .load_session("demo", "CA1")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(loaded, first);
    assert!(loaded.is_active(t0() + secs(10)));
    assert!(!loaded.is_active(t0() + secs(601)));

    // A turn replaces the state but keeps the start of the conversation.
    let mut rec = record("demo", "CA1", 1, t0() + secs(5));
    rec.session.started_at = t0() + secs(5);
    rec.session.expires_at = t0() + secs(605);
    store.save_turn(&rec).await.expect("save turn");
    let loaded = store
        .load_session("demo", "CA1")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(loaded.state, json!({"turns": 1}));
    assert_eq!(loaded.started_at, t0());
    assert_eq!(loaded.updated_at, t0() + secs(5));
    assert_eq!(loaded.expires_at, t0() + secs(605));

    // The SMS conversation of a caller is found by pseudonym while active.
    let caller = pseudonymise("+33612345678", b"test-key");
    let found = store
        .active_session_for_caller("demo", Channel::Voice, &caller, t0() + secs(10))
        .await
        .expect("find");
    assert_eq!(found.map(|s| s.conversation_id), Some("CA1".to_string()));
    assert_eq!(
        store
            .active_session_for_caller("demo", Channel::Sms, &caller, t0() + secs(10))
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        store
            .active_session_for_caller("other", Channel::Voice, &caller, t0() + secs(10))
            .await
            .expect("find"),
        None
    );

    // Closing: once, and a late turn does not reopen it.
    assert!(
        store
            .close_session(&SessionEnd::new("demo", "CA1", "hangup", t0() + secs(20)))
            .await
            .expect("close")
    );
    assert!(
        !store
            .close_session(&SessionEnd::new("demo", "CA1", "goodbye", t0() + secs(21)))
            .await
            .expect("close")
    );
    assert!(
        !store
            .close_session(&SessionEnd::new("demo", "nope", "hangup", t0()))
            .await
            .expect("close")
    );
    store
        .save_turn(&record("demo", "CA1", 2, t0() + secs(22)))
        .await
        .expect("late turn");
    let closed = store
        .load_session("demo", "CA1")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(closed.closed_at, Some(t0() + secs(20)));
    assert_eq!(closed.end_reason.as_deref(), Some("hangup"));
    assert!(!closed.is_active(t0() + secs(23)));
    assert_eq!(
        store
            .active_session_for_caller("demo", Channel::Voice, &caller, t0() + secs(23))
            .await
            .expect("find"),
        None
    );

    let turns = store
        .conversation_turns("demo", "CA1")
        .await
        .expect("turns");
    assert_eq!(turns.iter().map(|t| t.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(turns[0], rec.turn);

    let sessions = store
        .sessions_between("demo", t0(), t0() + secs(60))
        .await
        .expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert!(
        store
            .sessions_between("demo", t0() + secs(1), t0() + secs(60))
            .await
            .expect("s")
            .is_empty()
    );
    let rows = store
        .turns_between("demo", t0() + secs(6), t0() + secs(60))
        .await
        .expect("turns");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].turn.seq, 2);
    assert_eq!(rows[0].conversation_id, "CA1");
}

pub async fn turn_and_outbox_are_atomic<S: Store + BackendHooks>(store: &S) {
    let mut bad = record("demo", "CA2", 1, t0());
    bad.outbox.push(NewOutboxMessage {
        body: "  ".into(),
        ..sms("demo", "CA2:1:sms:1", t0())
    });
    let err = store
        .save_turn(&bad)
        .await
        .expect_err("an empty SMS must fail the turn");
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");

    // Nothing of the failed turn landed: no session, no turn, no ticket, no SMS.
    assert_eq!(store.load_session("demo", "CA2").await.expect("load"), None);
    assert!(
        store
            .conversation_turns("demo", "CA2")
            .await
            .expect("turns")
            .is_empty()
    );
    assert!(
        store
            .list_open_tickets(&communes(&["demo"]))
            .await
            .expect("tickets")
            .is_empty()
    );
    assert_eq!(store.outbox_depth().await.expect("depth"), 0);

    // A failure inside the database, after the turn, session and ticket were written in the
    // transaction, rolls all of them back.
    store.fail_sms_with_body_boom().await;
    let mut boom = record("demo", "CA2", 1, t0());
    boom.outbox[0].body = "BOOM".into();
    let err = store
        .save_turn(&boom)
        .await
        .expect_err("the trigger must fail the turn");
    assert!(matches!(err, StoreError::Database(_)), "{err}");
    assert_eq!(store.load_session("demo", "CA2").await.expect("load"), None);
    assert!(
        store
            .conversation_turns("demo", "CA2")
            .await
            .expect("turns")
            .is_empty()
    );
    assert!(
        store
            .list_open_tickets(&communes(&["demo"]))
            .await
            .expect("tickets")
            .is_empty()
    );
    assert_eq!(store.outbox_depth().await.expect("depth"), 0);

    // The same turn, corrected, lands whole.
    let good = record("demo", "CA2", 1, t0());
    let saved = store.save_turn(&good).await.expect("save");
    assert!(saved.inserted);
    assert_eq!(saved.ticket_ids.len(), 1);
    assert_eq!(saved.outbox_ids.len(), 1);
    assert!(
        store
            .load_session("demo", "CA2")
            .await
            .expect("load")
            .is_some()
    );
    assert_eq!(
        store
            .conversation_turns("demo", "CA2")
            .await
            .expect("turns")
            .len(),
        1
    );
    assert_eq!(store.outbox_depth().await.expect("depth"), 1);
    let ticket = store
        .get_ticket(saved.ticket_ids[0], &communes(&["demo"]))
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(ticket.state, TicketState::Nouveau);
    assert_eq!(ticket.caller_number.as_deref(), Some("+33612345678"));
    assert_eq!(ticket.transcript, good.tickets[0].transcript);
    let message = store
        .get_outbox(saved.outbox_ids[0])
        .await
        .expect("get")
        .expect("sms");
    assert_eq!(message.state, OutboxState::Pending);
    assert_eq!(message.attempts, 0);
    assert_eq!(message.next_attempt_at, t0());
    assert_eq!(message.to, "+33612345678");
}

pub async fn retried_turn_is_idempotent<S: Store>(store: &S) {
    let rec = record("demo", "CA3", 1, t0());
    let first = store.save_turn(&rec).await.expect("first");
    let mut retried = rec.clone();
    retried.session.state = json!({"turns": "retried"});
    let second = store.save_turn(&retried).await.expect("retry");
    assert!(first.inserted);
    assert!(!second.inserted);
    assert_eq!(first.ticket_ids, second.ticket_ids);
    assert_eq!(first.outbox_ids, second.outbox_ids);
    assert_eq!(store.outbox_depth().await.expect("depth"), 1);
    assert_eq!(
        store
            .list_open_tickets(&communes(&["demo"]))
            .await
            .expect("list")
            .len(),
        1
    );
    // The retry wrote nothing, not even the session.
    let loaded = store
        .load_session("demo", "CA3")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(loaded.state, json!({"turns": 1}));

    // SMS and tickets queued on their own are idempotent too.
    let id = store
        .enqueue_sms(&sms("demo", "CA3:1:sms", t0()))
        .await
        .expect("enqueue");
    assert_eq!(id, first.outbox_ids[0]);
    let tid = store
        .create_ticket(&ticket("demo", "CA3:1:ticket", TicketKind::Report, t0()))
        .await
        .expect("create");
    assert_eq!(tid, first.ticket_ids[0]);
    assert_eq!(store.outbox_depth().await.expect("depth"), 1);

    // Bad input is an error, not a panic.
    let empty_to = NewOutboxMessage {
        to: String::new(),
        ..sms("demo", "x", t0())
    };
    assert!(matches!(
        store.enqueue_sms(&empty_to).await,
        Err(StoreError::Invalid(_))
    ));
    let no_key = NewTicket {
        idempotency_key: " ".into(),
        ..ticket("demo", "k", TicketKind::Callback, t0())
    };
    assert!(matches!(
        store.create_ticket(&no_key).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn concurrent_retries_save_one_turn<S: Store + Clone + 'static>(store: &S) {
    let rec = record("demo", "CA4", 1, t0());
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        let rec = rec.clone();
        tasks.push(tokio::spawn(async move { store.save_turn(&rec).await }));
    }
    let mut inserted = 0;
    let mut ids = HashSet::new();
    for task in tasks {
        let saved = task.await.expect("join").expect("save");
        inserted += usize::from(saved.inserted);
        ids.insert((saved.ticket_ids, saved.outbox_ids));
    }
    assert_eq!(inserted, 1);
    assert_eq!(ids.len(), 1, "every retry sees the same rows");
    assert_eq!(store.outbox_depth().await.expect("depth"), 1);
    assert_eq!(
        store
            .list_open_tickets(&communes(&["demo"]))
            .await
            .expect("list")
            .len(),
        1
    );
}

/// Turns with and without tickets or SMS, retries and hang-ups, all at once (on SQLite they
/// share group commits): each write gets its own answer.
pub async fn concurrent_writes_of_every_kind_get_their_own_rows<S: Store + Clone + 'static>(
    store: &S,
) {
    for i in 0..6 {
        store
            .save_turn(&record("demo", &format!("CH{i}"), 1, t0()))
            .await
            .expect("open the calls to hang up");
    }
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let conversation = format!("CM{i}");
            let mut rec = record("demo", &conversation, 1, t0());
            match i % 4 {
                0 => rec.tickets.clear(),
                1 => rec.outbox.clear(),
                2 => {
                    rec.tickets.clear();
                    rec.outbox.clear();
                }
                _ => {}
            }
            let saved = store.save_turn(&rec).await.expect("save");
            (conversation, i % 4, saved)
        }));
    }
    let mut hang_ups = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        hang_ups.push(tokio::spawn(async move {
            store
                .close_session(&SessionEnd::new(
                    "demo",
                    &format!("CH{i}"),
                    "hangup",
                    t0() + secs(5),
                ))
                .await
        }));
    }
    let retry = record("demo", "CM3", 1, t0());
    let scope = communes(&["demo"]);
    for task in tasks {
        let (conversation, kind, saved) = task.await.expect("join");
        assert!(saved.inserted, "{conversation}");
        assert_eq!(
            saved.ticket_ids.len(),
            usize::from(kind % 2 == 1),
            "{conversation}"
        );
        assert_eq!(
            saved.outbox_ids.len(),
            usize::from(kind != 1 && kind != 2),
            "{conversation}"
        );
        for id in &saved.ticket_ids {
            let ticket = store
                .get_ticket(*id, &scope)
                .await
                .expect("get")
                .expect("ticket");
            assert_eq!(ticket.idempotency_key, format!("{conversation}:1:ticket"));
        }
        for id in &saved.outbox_ids {
            let message = store.get_outbox(*id).await.expect("get").expect("message");
            assert_eq!(message.idempotency_key, format!("{conversation}:1:sms"));
        }
    }
    for task in hang_ups {
        assert!(
            task.await.expect("join").expect("close"),
            "an open call is closed"
        );
    }
    // A retry is answered with the rows of the first save.
    let again = store.save_turn(&retry).await.expect("retry");
    assert!(!again.inserted);
    assert_eq!((again.ticket_ids.len(), again.outbox_ids.len()), (1, 1));
}

pub async fn concurrent_ticket_claims_have_one_winner<S: Store + Clone + 'static>(store: &S) {
    let scope = communes(&["demo"]);
    let id = store
        .create_ticket(&ticket("demo", "claim-1", TicketKind::Callback, t0()))
        .await
        .expect("create");
    let mut tasks = Vec::new();
    for staff_id in 1..=20_i64 {
        let store = store.clone();
        let scope = scope.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = store
                .claim_ticket(id, &scope, staff_id, t0() + secs(staff_id))
                .await;
            (staff_id, outcome)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (staff_id, outcome) = task.await.expect("join");
        match outcome.expect("claim") {
            Transition::Applied => winners.push(staff_id),
            Transition::Refused => {}
            Transition::NotFound => panic!("ticket vanished"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one standardiste holds the ticket: {winners:?}"
    );
    let held = store
        .get_ticket(id, &scope)
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(held.state, TicketState::PrisEnCharge);
    assert_eq!(held.claimed_by, Some(winners[0]));
    assert_eq!(held.claimed_at, Some(t0() + secs(winners[0])));
}

pub async fn ticket_lifecycle<S: Store>(store: &S) {
    let scope = communes(&["demo"]);
    let id = store
        .create_ticket(&ticket("demo", "life-1", TicketKind::Callback, t0()))
        .await
        .expect("create");
    assert_eq!(
        store
            .claim_ticket(id, &scope, 7, t0())
            .await
            .expect("claim"),
        Transition::Applied
    );
    assert_eq!(
        store
            .claim_ticket(id, &scope, 8, t0())
            .await
            .expect("claim"),
        Transition::Refused
    );
    // Only the holder finishes a claimed ticket.
    assert_eq!(
        store
            .close_ticket(id, &scope, 8, t0())
            .await
            .expect("close"),
        Transition::Refused
    );
    assert_eq!(
        store
            .ticket_unreachable(id, &scope, 8, t0(), no_gap(3))
            .await
            .expect("unreachable"),
        Transition::Refused
    );

    // Unreachable twice: back to nouveau, then the third time injoignable.
    for attempt in 1..=2 {
        assert_eq!(
            store
                .ticket_unreachable(id, &scope, 7, t0() + secs(attempt), no_gap(3))
                .await
                .expect("u"),
            Transition::Applied
        );
        let t = store
            .get_ticket(id, &scope)
            .await
            .expect("get")
            .expect("ticket");
        assert_eq!(t.state, TicketState::Nouveau);
        assert_eq!(t.attempts, attempt as i32);
        assert_eq!(t.claimed_by, None);
        assert_eq!(t.closed_at, None);
        assert_eq!(
            store
                .claim_ticket(id, &scope, 7, t0())
                .await
                .expect("claim"),
            Transition::Applied
        );
    }
    assert_eq!(
        store
            .ticket_unreachable(id, &scope, 7, t0() + secs(3), no_gap(3))
            .await
            .expect("u"),
        Transition::Applied
    );
    let t = store
        .get_ticket(id, &scope)
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(t.state, TicketState::Injoignable);
    assert_eq!(t.attempts, 3);
    assert_eq!(t.closed_by, Some(7));
    assert_eq!(t.closed_at, Some(t0() + secs(3)));
    assert_eq!(
        store
            .claim_ticket(id, &scope, 7, t0())
            .await
            .expect("claim"),
        Transition::Refused
    );
    assert_eq!(
        store
            .close_ticket(id, &scope, 7, t0())
            .await
            .expect("close"),
        Transition::Refused
    );
    assert!(
        store
            .list_open_tickets(&scope)
            .await
            .expect("list")
            .is_empty()
    );

    // Closing a claimed ticket by its holder; notes.
    let id2 = store
        .create_ticket(&ticket("demo", "life-2", TicketKind::Transfer, t0()))
        .await
        .expect("create");
    assert_eq!(
        store
            .claim_ticket(id2, &scope, 9, t0())
            .await
            .expect("claim"),
        Transition::Applied
    );
    assert_eq!(
        store
            .add_ticket_note(id2, &scope, 9, t0() + secs(1), "Rappelé, RDV pris jeudi")
            .await
            .expect("note"),
        Transition::Applied
    );
    assert_eq!(
        store
            .add_ticket_note(id2, &scope, 9, t0() + secs(2), "Dossier complet")
            .await
            .expect("note"),
        Transition::Applied
    );
    assert!(matches!(
        store.add_ticket_note(id2, &scope, 9, t0(), "   ").await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store
            .add_ticket_note(9_999_999, &scope, 9, t0(), "x")
            .await
            .expect("note"),
        Transition::NotFound
    );
    let notes = store.ticket_notes(id2, &scope).await.expect("notes");
    assert_eq!(
        notes.iter().map(|n| n.body.as_str()).collect::<Vec<_>>(),
        vec!["Rappelé, RDV pris jeudi", "Dossier complet"]
    );
    assert_eq!(notes[0].author, Some(9));
    assert_eq!(
        store
            .close_ticket(id2, &scope, 9, t0() + secs(3))
            .await
            .expect("close"),
        Transition::Applied
    );
    let t = store
        .get_ticket(id2, &scope)
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(t.state, TicketState::Termine);
    assert_eq!((t.closed_by, t.closed_at), (Some(9), Some(t0() + secs(3))));

    // A nouveau ticket can be closed directly; it is then recorded as taken by the closer.
    let id3 = store
        .create_ticket(&ticket("demo", "life-3", TicketKind::Report, t0()))
        .await
        .expect("create");
    assert_eq!(
        store
            .close_ticket(id3, &scope, 4, t0())
            .await
            .expect("close"),
        Transition::Applied
    );
    let t = store
        .get_ticket(id3, &scope)
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!((t.state, t.claimed_by), (TicketState::Termine, Some(4)));
    assert_eq!(
        store
            .claim_ticket(424_242, &scope, 4, t0())
            .await
            .expect("claim"),
        Transition::NotFound
    );
}

pub async fn queue_order_and_filters<S: Store>(store: &S) {
    let scope = communes(&["demo"]);
    let transfer_old = store
        .create_ticket(&ticket("demo", "q-1", TicketKind::Transfer, t0()))
        .await
        .expect("create");
    let callback_new = store
        .create_ticket(&ticket(
            "demo",
            "q-2",
            TicketKind::Callback,
            t0() + secs(20),
        ))
        .await
        .expect("create");
    let callback_old = store
        .create_ticket(&ticket(
            "demo",
            "q-3",
            TicketKind::Callback,
            t0() + secs(10),
        ))
        .await
        .expect("create");
    let report = store
        .create_ticket(&ticket("demo", "q-4", TicketKind::Report, t0() + secs(5)))
        .await
        .expect("create");
    let done = store
        .create_ticket(&ticket("demo", "q-5", TicketKind::Callback, t0() + secs(1)))
        .await
        .expect("create");
    assert_eq!(
        store
            .close_ticket(done, &scope, 1, t0() + secs(30))
            .await
            .expect("close"),
        Transition::Applied
    );
    assert_eq!(
        store
            .claim_ticket(report, &scope, 1, t0() + secs(30))
            .await
            .expect("claim"),
        Transition::Applied
    );

    let queue: Vec<i64> = store
        .list_open_tickets(&scope)
        .await
        .expect("queue")
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        queue,
        vec![callback_old, callback_new, transfer_old, report]
    );

    let all = store
        .list_tickets(&TicketFilter {
            communes: scope.clone(),
            ..TicketFilter::default()
        })
        .await
        .expect("all");
    assert_eq!(
        all.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![callback_new, callback_old, report, done, transfer_old],
        "newest first"
    );
    let closed = store
        .list_tickets(&TicketFilter {
            communes: scope.clone(),
            states: vec![TicketState::Termine, TicketState::Injoignable],
            ..TicketFilter::default()
        })
        .await
        .expect("closed");
    assert_eq!(closed.iter().map(|t| t.id).collect::<Vec<_>>(), vec![done]);
    let recent = store
        .list_tickets(&TicketFilter {
            communes: scope.clone(),
            since: Some(t0() + secs(5)),
            limit: Some(2),
            ..TicketFilter::default()
        })
        .await
        .expect("recent");
    assert_eq!(
        recent.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![callback_new, callback_old]
    );
}

pub async fn cross_commune_isolation<S: Store>(store: &S) {
    let a = communes(&["villebourg"]);
    let b = communes(&["autreville"]);
    let both = communes(&["villebourg", "autreville"]);
    let ta = store
        .create_ticket(&ticket("villebourg", "iso-a", TicketKind::Callback, t0()))
        .await
        .expect("create");
    let tb = store
        .create_ticket(&ticket("autreville", "iso-b", TicketKind::Callback, t0()))
        .await
        .expect("create");

    let seen_a: Vec<i64> = store
        .list_open_tickets(&a)
        .await
        .expect("list")
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(seen_a, vec![ta]);
    let seen_both: HashSet<i64> = store
        .list_open_tickets(&both)
        .await
        .expect("list")
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(seen_both, HashSet::from([ta, tb]));
    assert!(store.list_open_tickets(&[]).await.expect("list").is_empty());
    let filtered = store
        .list_tickets(&TicketFilter {
            communes: a.clone(),
            ..TicketFilter::default()
        })
        .await
        .expect("filter");
    assert_eq!(filtered.iter().map(|t| t.id).collect::<Vec<_>>(), vec![ta]);

    // Another commune's ticket is invisible and untouchable.
    assert_eq!(store.get_ticket(tb, &a).await.expect("get"), None);
    assert_eq!(
        store.claim_ticket(tb, &a, 1, t0()).await.expect("claim"),
        Transition::NotFound
    );
    assert_eq!(
        store.close_ticket(tb, &a, 1, t0()).await.expect("close"),
        Transition::NotFound
    );
    assert_eq!(
        store
            .ticket_unreachable(tb, &a, 1, t0(), no_gap(3))
            .await
            .expect("u"),
        Transition::NotFound
    );
    assert_eq!(
        store
            .add_ticket_note(tb, &a, 1, t0(), "intrus")
            .await
            .expect("note"),
        Transition::NotFound
    );
    assert_eq!(
        store
            .add_ticket_note(tb, &b, 2, t0(), "interne")
            .await
            .expect("note"),
        Transition::Applied
    );
    assert!(store.ticket_notes(tb, &a).await.expect("notes").is_empty());
    assert_eq!(store.ticket_notes(tb, &b).await.expect("notes").len(), 1);
    let untouched = store
        .get_ticket(tb, &b)
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(untouched.state, TicketState::Nouveau);

    // Audit lines are per commune too.
    for (commune, action) in [
        ("villebourg", "ticket.claim"),
        ("autreville", "ticket.close"),
    ] {
        store
            .append_audit(&AuditEntry {
                at: t0(),
                actor: "agent@example.fr".into(),
                commune: Some(commune.into()),
                action: action.into(),
                detail: "{}".into(),
            })
            .await
            .expect("audit");
    }
    let lines = store.list_audit(&a, None, 10).await.expect("audit");
    assert_eq!(
        lines
            .iter()
            .map(|l| l.entry.action.as_str())
            .collect::<Vec<_>>(),
        vec!["ticket.claim"]
    );
}

pub async fn outbox_claims_are_disjoint_across_workers<S: Store + Clone + 'static>(store: &S) {
    const MESSAGES: usize = 60;
    for i in 0..MESSAGES {
        store
            .enqueue_sms(&sms("demo", &format!("bulk-{i}"), t0()))
            .await
            .expect("enqueue");
    }
    let lease = Duration::from_secs(60);
    let mut workers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_due_outbox(4, t0() + secs(1), lease)
                    .await
                    .expect("claim");
                if batch.is_empty() {
                    break mine;
                }
                for m in &batch {
                    assert_eq!(m.state, OutboxState::Sending);
                    assert_eq!(m.attempts, 1);
                    assert_eq!(m.next_attempt_at, t0() + secs(61));
                }
                mine.extend(batch.into_iter().map(|m| m.id));
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.expect("join"));
    }
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), MESSAGES, "every message claimed once");
    assert_eq!(unique.len(), MESSAGES, "no message claimed twice");
    assert_eq!(store.outbox_depth().await.expect("depth"), MESSAGES as i64);
    // Leased messages are not due again before their lease ends…
    assert!(
        store
            .claim_due_outbox(100, t0() + secs(30), lease)
            .await
            .expect("claim")
            .is_empty()
    );
    // …and come back once it has (a crashed worker).
    let again = store
        .claim_due_outbox(100, t0() + secs(62), lease)
        .await
        .expect("claim");
    assert_eq!(again.len(), MESSAGES);
    assert!(again.iter().all(|m| m.attempts == 2));
}

pub async fn outbox_retry_backoff_and_delivery<S: Store>(store: &S) {
    let policy = RetryPolicy {
        base: Duration::from_secs(5),
        max_delay: Duration::from_secs(60),
        max_attempts: 3,
    };
    assert_eq!(policy.delay_after(1), Duration::from_secs(5));
    assert_eq!(policy.delay_after(2), Duration::from_secs(10));
    assert_eq!(policy.delay_after(10), Duration::from_secs(60));
    assert_eq!(policy.delay_after(i32::MAX), Duration::from_secs(60));
    let lease = Duration::from_secs(30);
    let id = store
        .enqueue_sms(&sms("demo", "retry-1", t0()))
        .await
        .expect("enqueue");

    // Attempt 1 fails transiently: back in 5 s.
    let claimed = store
        .claim_due_outbox(10, t0(), lease)
        .await
        .expect("claim");
    assert_eq!(claimed.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
    let outcome = store
        .mark_outbox_failed(
            id,
            "HTTP 503",
            FailureKind::Transient,
            &policy,
            t0() + secs(1),
        )
        .await
        .expect("fail");
    assert_eq!(outcome, RetryOutcome::RetryAt(t0() + secs(6)));
    let m = store.get_outbox(id).await.expect("get").expect("sms");
    assert_eq!((m.state, m.attempts), (OutboxState::Pending, 1));
    assert_eq!(m.last_error.as_deref(), Some("HTTP 503"));
    // Failing a message that is not being sent is ignored.
    assert_eq!(
        store
            .mark_outbox_failed(id, "late", FailureKind::Transient, &policy, t0() + secs(2))
            .await
            .expect("fail"),
        RetryOutcome::Ignored
    );
    assert!(
        store
            .claim_due_outbox(10, t0() + secs(5), lease)
            .await
            .expect("claim")
            .is_empty()
    );

    // Attempt 2 fails (10 s), attempt 3 fails: dead.
    assert_eq!(
        store
            .claim_due_outbox(10, t0() + secs(6), lease)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert_eq!(
        store
            .mark_outbox_failed(
                id,
                "HTTP 429",
                FailureKind::Transient,
                &policy,
                t0() + secs(7)
            )
            .await
            .expect("fail"),
        RetryOutcome::RetryAt(t0() + secs(17))
    );
    assert_eq!(
        store
            .claim_due_outbox(10, t0() + secs(17), lease)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert_eq!(
        store
            .mark_outbox_failed(
                id,
                "timeout",
                FailureKind::Transient,
                &policy,
                t0() + secs(18)
            )
            .await
            .expect("fail"),
        RetryOutcome::Dead
    );
    let m = store.get_outbox(id).await.expect("get").expect("sms");
    assert_eq!((m.state, m.attempts), (OutboxState::Dead, 3));
    assert_eq!(store.outbox_depth().await.expect("depth"), 0);

    // A permanent error kills at once.
    let id2 = store
        .enqueue_sms(&sms("demo", "retry-2", t0()))
        .await
        .expect("enqueue");
    assert_eq!(
        store
            .claim_due_outbox(10, t0(), lease)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert_eq!(
        store
            .mark_outbox_failed(
                id2,
                "21211 invalid number",
                FailureKind::Permanent,
                &policy,
                t0()
            )
            .await
            .expect("fail"),
        RetryOutcome::Dead
    );

    // Sent, then delivery reports by provider id; delivered is never downgraded.
    let id3 = store
        .enqueue_sms(&sms("demo", "retry-3", t0()))
        .await
        .expect("enqueue");
    assert_eq!(
        store
            .claim_due_outbox(10, t0(), lease)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert!(
        store
            .mark_outbox_sent(id3, "SM123", t0() + secs(1))
            .await
            .expect("sent")
    );
    assert!(
        !store
            .mark_outbox_sent(id3, "SM123", t0() + secs(1))
            .await
            .expect("sent twice")
    );
    let m = store
        .outbox_by_provider_id("SM123")
        .await
        .expect("by id")
        .expect("sms");
    assert_eq!((m.id, m.state), (id3, OutboxState::Sent));
    assert_eq!(store.outbox_depth().await.expect("depth"), 0);
    assert!(
        store
            .record_delivery("SM123", DeliveryStatus::Delivered, None, t0() + secs(3))
            .await
            .expect("dlr")
    );
    assert!(
        !store
            .record_delivery(
                "SM123",
                DeliveryStatus::Failed,
                Some("30003"),
                t0() + secs(4)
            )
            .await
            .expect("dlr")
    );
    assert!(
        !store
            .record_delivery("SM-unknown", DeliveryStatus::Delivered, None, t0())
            .await
            .expect("dlr")
    );
    let m = store.get_outbox(id3).await.expect("get").expect("sms");
    assert_eq!(m.state, OutboxState::Delivered);
    assert_eq!(m.updated_at, t0() + secs(3));

    let id4 = store
        .enqueue_sms(&sms("demo", "retry-4", t0()))
        .await
        .expect("enqueue");
    assert_eq!(
        store
            .claim_due_outbox(10, t0(), lease)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert!(
        store
            .mark_outbox_sent(id4, "SM456", t0())
            .await
            .expect("sent")
    );
    assert!(
        store
            .record_delivery(
                "SM456",
                DeliveryStatus::Failed,
                Some("30003 unreachable"),
                t0() + secs(2)
            )
            .await
            .expect("dlr")
    );
    let m = store.get_outbox(id4).await.expect("get").expect("sms");
    assert_eq!(m.state, OutboxState::Failed);
    assert_eq!(m.last_error.as_deref(), Some("30003 unreachable"));
    assert_eq!(store.get_outbox(987_654).await.expect("get"), None);
}

pub async fn session_expiry_cleanup<S: Store>(store: &S) {
    let mut expired = session("demo", "old", t0());
    expired.expires_at = t0() + secs(60);
    let mut live = session("demo", "live", t0());
    live.expires_at = t0() + secs(3600);
    let mut ended = session("demo", "ended", t0());
    ended.expires_at = t0() + secs(60);
    ended.closed_at = Some(t0() + secs(30));
    ended.end_reason = Some("goodbye".into());
    for s in [&expired, &live, &ended] {
        store.save_session(s).await.expect("save");
    }
    let id = store
        .create_staff(&staff("agent@example.fr", Role::Standardiste, &["demo"]))
        .await
        .expect("staff");
    for (token, expiry) in [
        ("tok-old", t0() + secs(60)),
        ("tok-live", t0() + secs(7200)),
    ] {
        store
            .create_staff_session(&StaffSession {
                token_hash: token.into(),
                staff_id: id,
                csrf_token: format!("csrf-{token}"),
                created_at: t0(),
                expires_at: expiry,
            })
            .await
            .expect("login");
    }

    assert_eq!(
        store
            .get_staff_session("tok-old", t0() + secs(10))
            .await
            .expect("get")
            .map(|s| s.staff_id),
        Some(id)
    );
    assert_eq!(
        store
            .cleanup_expired_sessions(t0() + secs(120))
            .await
            .expect("cleanup"),
        1
    );
    let old = store
        .load_session("demo", "old")
        .await
        .expect("load")
        .expect("kept for stats");
    assert_eq!(old.closed_at, Some(t0() + secs(60)));
    assert_eq!(old.end_reason.as_deref(), Some("expired"));
    assert_eq!(old.state, serde_json::Value::Null);
    let still = store
        .load_session("demo", "live")
        .await
        .expect("load")
        .expect("live");
    assert_eq!(still, live);
    let ended_now = store
        .load_session("demo", "ended")
        .await
        .expect("load")
        .expect("ended");
    assert_eq!(ended_now.end_reason.as_deref(), Some("goodbye"));
    assert_eq!(
        store
            .cleanup_expired_sessions(t0() + secs(120))
            .await
            .expect("cleanup"),
        0
    );

    // Expired logins were deleted by the cleanup, live ones kept.
    assert_eq!(
        store
            .get_staff_session("tok-old", t0() + secs(10))
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        store
            .get_staff_session("tok-old", t0() + secs(120))
            .await
            .expect("get"),
        None
    );
    assert!(
        store
            .get_staff_session("tok-live", t0() + secs(120))
            .await
            .expect("get")
            .is_some()
    );
}

pub async fn retention_purge<S: Store>(store: &S) {
    let scope = communes(&["demo"]);
    let day = secs(86_400);
    let old = t0() - day * 100;
    // An old conversation with a callback that was handled, and an old one still open.
    let saved = store
        .save_turn(&record("demo", "old-call", 1, old))
        .await
        .expect("old");
    store
        .close_session(&SessionEnd::new(
            "demo",
            "old-call",
            "hangup",
            old + secs(60),
        ))
        .await
        .expect("close");
    let handled = saved.ticket_ids[0];
    assert_eq!(
        store
            .close_ticket(handled, &scope, 1, old + secs(120))
            .await
            .expect("close"),
        Transition::Applied
    );
    store
        .add_ticket_note(handled, &scope, 1, old + secs(100), "Rappelée, OK")
        .await
        .expect("note");
    let open_old = store
        .create_ticket(&ticket("demo", "old-open", TicketKind::Callback, old))
        .await
        .expect("create");
    let old_sms = saved.outbox_ids[0];
    assert_eq!(
        store
            .claim_due_outbox(10, old, Duration::from_secs(30))
            .await
            .expect("claim")
            .len(),
        1
    );
    assert!(
        store
            .mark_outbox_sent(old_sms, "SM-old", old + secs(1))
            .await
            .expect("sent")
    );
    let pending_old = store
        .enqueue_sms(&sms("demo", "old-pending", old))
        .await
        .expect("enqueue");
    // Recent activity, and old activity of another commune.
    let recent = store
        .save_turn(&record("demo", "new-call", 1, t0()))
        .await
        .expect("new");
    store
        .save_turn(&record("autreville", "old-other", 1, old))
        .await
        .expect("other");

    // Old audit entries: the commune's, a login's (no commune), another commune's.
    for commune in [Some("demo"), None, Some("autreville")] {
        store
            .append_audit(&AuditEntry {
                at: old,
                actor: "agent@villebourg.fr".into(),
                commune: commune.map(str::to_string),
                action: "login".into(),
                detail: "ip=192.0.2.7".into(),
            })
            .await
            .expect("audit");
    }

    let cutoff = t0() - day * 90;
    let report = store.purge_before("demo", cutoff).await.expect("purge");
    assert_eq!(
        report,
        PurgeReport {
            turns_deleted: 1,
            sessions_deleted: 1,
            tickets_anonymised: 2,
            outbox_deleted: 1,
            tickets_expired: 1,
            notifications_deleted: 0,
            audit_deleted: 2,
        }
    );
    let audit_left = store
        .list_audit(&communes(&["demo", "autreville"]), Some("login"), 10)
        .await
        .expect("audit");
    assert_eq!(audit_left.len(), 1, "{audit_left:?}");
    assert!(
        store
            .conversation_turns("demo", "old-call")
            .await
            .expect("turns")
            .is_empty()
    );
    assert_eq!(
        store.load_session("demo", "old-call").await.expect("load"),
        None
    );
    let anonymised = store
        .get_ticket(handled, &scope)
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(anonymised.caller_number, None);
    assert_eq!(anonymised.summary, "");
    assert_eq!(anonymised.transcript, serde_json::Value::Null);
    assert_eq!(anonymised.anonymised_at, Some(cutoff));
    assert_eq!(anonymised.state, TicketState::Termine);
    assert!(
        store
            .ticket_notes(handled, &scope)
            .await
            .expect("notes")
            .is_empty()
    );
    // A ticket left open past the retention period is closed and anonymised too; queued SMS
    // are not touched.
    let expired = store
        .get_ticket(open_old, &scope)
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(expired.caller_number, None);
    assert_eq!(expired.state, TicketState::Injoignable);
    assert_eq!(store.get_outbox(old_sms).await.expect("get"), None);
    assert!(store.get_outbox(pending_old).await.expect("get").is_some());
    // Recent data and the other commune are untouched.
    assert_eq!(
        store
            .conversation_turns("demo", "new-call")
            .await
            .expect("turns")
            .len(),
        1
    );
    assert!(
        store
            .get_ticket(recent.ticket_ids[0], &scope)
            .await
            .expect("get")
            .expect("t")
            .caller_number
            .is_some()
    );
    assert_eq!(
        store
            .conversation_turns("autreville", "old-other")
            .await
            .expect("turns")
            .len(),
        1
    );
    // Purging again finds nothing more.
    assert_eq!(
        store.purge_before("demo", cutoff).await.expect("purge"),
        PurgeReport::default()
    );
}

pub async fn staff_accounts_and_logins<S: Store>(store: &S) {
    assert_eq!(store.count_staff().await.expect("count"), 0);
    let admin = store
        .create_staff(&staff("Admin@Villebourg.fr ", Role::Admin, &["demo"]))
        .await
        .expect("create");
    let agent = store
        .create_staff(&staff(
            "agent@villebourg.fr",
            Role::Standardiste,
            &["demo", "autreville"],
        ))
        .await
        .expect("create");
    assert!(matches!(
        store
            .create_staff(&staff("ADMIN@villebourg.fr", Role::Editeur, &["demo"]))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .create_staff(&staff("  ", Role::Editeur, &["demo"]))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.count_staff().await.expect("count"), 2);

    let found = store
        .get_staff_by_email("admin@villebourg.FR")
        .await
        .expect("get")
        .expect("admin");
    assert_eq!(found.id, admin);
    assert_eq!(found.email, "admin@villebourg.fr");
    assert_eq!(found.role, Role::Admin);
    assert!(!found.disabled);
    let a = store.get_staff(agent).await.expect("get").expect("agent");
    assert_eq!(a.communes, communes(&["demo", "autreville"]));
    assert_eq!(a.created_at, t0());
    assert_eq!(store.get_staff(-1).await.expect("get"), None);
    assert_eq!(
        store.get_staff_by_email("nobody@x.fr").await.expect("get"),
        None
    );
    let list = store.list_staff().await.expect("list");
    assert_eq!(
        list.iter().map(|s| s.email.as_str()).collect::<Vec<_>>(),
        vec!["admin@villebourg.fr", "agent@villebourg.fr"]
    );

    assert!(
        store
            .set_staff_password(agent, "$argon2id$new")
            .await
            .expect("password")
    );
    assert!(!store.set_staff_password(-1, "x").await.expect("password"));
    assert_eq!(
        store
            .get_staff(agent)
            .await
            .expect("get")
            .expect("agent")
            .password_hash,
        "$argon2id$new"
    );

    let login = StaffSession {
        token_hash: "hash-1".into(),
        staff_id: agent,
        csrf_token: "csrf-1".into(),
        created_at: t0(),
        expires_at: t0() + secs(3600),
    };
    store.create_staff_session(&login).await.expect("login");
    assert_eq!(
        store
            .get_staff_session("hash-1", t0() + secs(1))
            .await
            .expect("get"),
        Some(login.clone())
    );
    store.delete_staff_session("hash-1").await.expect("logout");
    assert_eq!(
        store
            .get_staff_session("hash-1", t0() + secs(1))
            .await
            .expect("get"),
        None
    );

    store
        .create_staff_session(&login)
        .await
        .expect("login again");
    assert!(
        store
            .set_staff_disabled(agent, true)
            .await
            .expect("disable")
    );
    assert!(
        store
            .get_staff(agent)
            .await
            .expect("get")
            .expect("agent")
            .disabled
    );
    assert_eq!(
        store
            .get_staff_session("hash-1", t0() + secs(1))
            .await
            .expect("get"),
        None,
        "disabling logs out"
    );
    assert!(
        store
            .set_staff_disabled(agent, false)
            .await
            .expect("enable")
    );
    assert!(
        !store
            .get_staff(agent)
            .await
            .expect("get")
            .expect("agent")
            .disabled
    );
}

pub async fn audit_and_eval_runs<S: Store>(store: &S) {
    for i in 0..5 {
        store
            .append_audit(&AuditEntry {
                at: t0() + secs(i),
                actor: "admin@villebourg.fr".into(),
                commune: Some("demo".into()),
                action: format!("action.{i}"),
                detail: json!({"i": i}).to_string(),
            })
            .await
            .expect("audit");
    }
    store
        .append_audit(&AuditEntry {
            at: t0(),
            actor: "system".into(),
            commune: None,
            action: "startup".into(),
            detail: String::new(),
        })
        .await
        .expect("audit");
    let lines = store
        .list_audit(&communes(&["demo"]), None, 3)
        .await
        .expect("list");
    assert_eq!(
        lines
            .iter()
            .map(|l| l.entry.action.as_str())
            .collect::<Vec<_>>(),
        vec!["action.4", "action.3", "action.2"]
    );
    assert_eq!(lines[0].entry.detail, r#"{"i":4}"#);

    let metrics = json!({"accuracy": 0.93, "dialogues": 42});
    let report = json!({"dialogues": [{"name": "Passeport", "ok": true}]});
    let first = store
        .insert_eval_run(&NewEvalRun {
            at: t0(),
            commune: "demo".into(),
            metrics: metrics.clone(),
            report: report.clone(),
        })
        .await
        .expect("insert");
    let second = store
        .insert_eval_run(&NewEvalRun {
            at: t0() + secs(60),
            commune: "demo".into(),
            metrics: json!({}),
            report: json!({}),
        })
        .await
        .expect("insert");
    store
        .insert_eval_run(&NewEvalRun {
            at: t0(),
            commune: "autreville".into(),
            metrics: json!({}),
            report: json!({}),
        })
        .await
        .expect("insert");
    let runs = store.list_eval_runs("demo", 10).await.expect("list");
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![second, first]
    );
    assert_eq!(runs[1].run.metrics, metrics);
    assert_eq!(runs[1].run.report, report);
    assert_eq!(
        store.list_eval_runs("demo", 1).await.expect("list").len(),
        1
    );
}

pub async fn privacy_access_and_erasure<S: Store>(store: &S) {
    let number = "+33612345678";
    let pseudonym = pseudonymise(number, b"test-key");
    let saved = store
        .save_turn(&record("demo", "priv-1", 1, t0()))
        .await
        .expect("save");
    store
        .save_turn(&record("demo", "priv-1", 2, t0() + secs(5)))
        .await
        .expect("save");
    let mut other = record("demo", "priv-2", 1, t0());
    other.session.caller = Some(pseudonymise("+33798765432", b"test-key"));
    other.tickets[0].caller_number = Some("+33798765432".into());
    other.outbox[0].to = "+33798765432".into();
    store.save_turn(&other).await.expect("save other");
    store
        .add_ticket_note(
            saved.ticket_ids[0],
            &communes(&["demo"]),
            1,
            t0(),
            "Mme Martin",
        )
        .await
        .expect("note");

    let records = store
        .caller_records(number, &pseudonym)
        .await
        .expect("export");
    assert_eq!(records.sessions.len(), 1);
    assert_eq!(records.turns.len(), 2);
    assert_eq!(records.tickets.len(), 2, "both turns created a ticket");
    assert_eq!(records.outbox.len(), 2);
    assert!(
        serde_json::to_string(&records)
            .expect("json")
            .contains("passeport")
    );

    let erased = store
        .erase_caller(number, &pseudonym, t0() + secs(99))
        .await
        .expect("erase");
    assert_eq!(
        erased,
        ErasureReport {
            sessions_deleted: 1,
            turns_deleted: 2,
            tickets_anonymised: 2,
            outbox_deleted: 2
        }
    );
    assert_eq!(
        store
            .caller_records(number, &pseudonym)
            .await
            .expect("export"),
        CallerRecords::default()
    );
    let t = store
        .get_ticket(saved.ticket_ids[0], &communes(&["demo"]))
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(
        (t.caller_number, t.anonymised_at),
        (None, Some(t0() + secs(99)))
    );
    assert!(
        store
            .ticket_notes(saved.ticket_ids[0], &communes(&["demo"]))
            .await
            .expect("notes")
            .is_empty()
    );
    // The other caller is untouched.
    let rest = store
        .caller_records(
            "+33798765432",
            other.session.caller.as_deref().unwrap_or_default(),
        )
        .await
        .expect("export");
    assert_eq!(
        (
            rest.sessions.len(),
            rest.turns.len(),
            rest.tickets.len(),
            rest.outbox.len()
        ),
        (1, 1, 1, 1)
    );
}

pub async fn corrupt_rows_are_errors_not_panics<S: Store + BackendHooks>(store: &S) {
    store
        .save_session(&session("demo", "ok", t0()))
        .await
        .expect("save");
    store.corrupt_session_channel("ok").await;
    let err = store
        .load_session("demo", "ok")
        .await
        .expect_err("corrupt channel");
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                table: "sessions",
                column: "channel",
                ..
            }
        ),
        "{err}"
    );
}
