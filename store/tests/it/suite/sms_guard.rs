//! Suite test of the SMS guard's daily counts, the same on every backend: a recipient's cap
//! and the commune's budget count the day's SMS that were let through, never the refused
//! ones nor yesterday's.

use chrono::Duration;
use guichet_store::*;

use super::{communes, sms, t0};

const ALICE: &str = "+33612345678";
const BRUNO: &str = "+33698765432";
const CLARA: &str = "+33611223344";

pub async fn the_sms_guard_counts_the_days_sms_let_through<S: Store>(store: &S) {
    let day_start = t0() - Duration::hours(9);
    let limits = SmsLimits {
        day_start,
        per_recipient: 2,
        daily_budget: 3,
    };
    let send = |key: &str, to: &str, at| NewOutboxMessage {
        to: to.into(),
        limits: Some(limits),
        ..sms("villebourg", key, at)
    };
    let steps = [
        // Yesterday's SMS (to Alice, twice) count neither for her nor for the budget.
        ("yesterday-1", ALICE, day_start - Duration::hours(2), None),
        ("yesterday-2", ALICE, day_start - Duration::hours(1), None),
        ("alice-1", ALICE, t0(), None),
        ("alice-2", ALICE, t0() + Duration::minutes(1), None),
        (
            "alice-3",
            ALICE,
            t0() + Duration::minutes(2),
            Some(SmsRefusal::RecipientCap),
        ),
        // Alice's refused SMS does not take a place in the budget: Bruno gets the third.
        ("bruno-1", BRUNO, t0() + Duration::minutes(3), None),
        (
            "clara-1",
            CLARA,
            t0() + Duration::minutes(4),
            Some(SmsRefusal::Budget),
        ),
        (
            "clara-2",
            CLARA,
            t0() + Duration::minutes(5),
            Some(SmsRefusal::Budget),
        ),
    ];
    for (key, to, at, _) in &steps {
        store
            .enqueue_sms(&send(key, to, *at))
            .await
            .expect("enqueue");
    }
    let listed = store
        .list_outbox(&OutboxFilter {
            communes: communes(&["villebourg"]),
            states: Vec::new(),
            limit: None,
        })
        .await
        .expect("list");
    for (key, _, _, refusal) in &steps {
        let message = listed
            .iter()
            .find(|m| m.idempotency_key == *key)
            .unwrap_or_else(|| panic!("{key} kept"));
        assert_eq!(message.refusal, *refusal, "{key}");
        let state = if refusal.is_some() {
            OutboxState::Refused
        } else {
            OutboxState::Pending
        };
        assert_eq!(message.state, state, "{key}");
    }
    // Queued again (a retried webhook): the same row, its refusal unchanged.
    let again = store
        .enqueue_sms(&send("clara-1", CLARA, t0() + Duration::minutes(6)))
        .await
        .expect("enqueue again");
    let first = listed
        .iter()
        .find(|m| m.idempotency_key == "clara-1")
        .unwrap();
    assert_eq!(again, first.id);
}
