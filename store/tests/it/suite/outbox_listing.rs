//! Suite test of the outbox listing the console shows (SMS that did not reach their recipient):
//! commune scope, state filter, order, limit and counts, the same on every backend.

use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_store::*;

use super::{communes, secs, sms, t0};

/// Queues one SMS and leases it (alone) to a worker; returns its id.
async fn claimed<S: Store>(store: &S, tenant: &str, key: &str, at: DateTime<Utc>) -> i64 {
    let id = store
        .enqueue_sms(&sms(tenant, key, at))
        .await
        .expect("enqueue");
    let batch = store
        .claim_due_outbox(1, at, Duration::from_secs(30))
        .await
        .expect("claim");
    assert_eq!(batch.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
    id
}

/// An SMS the provider refused for good at `at`: dead.
async fn dead<S: Store>(store: &S, tenant: &str, key: &str, at: DateTime<Utc>) -> i64 {
    let id = claimed(store, tenant, key, at).await;
    let outcome = store
        .mark_outbox_failed(
            id,
            "HTTP 400: The 'To' number +33612345678 is not valid",
            FailureKind::Permanent,
            &RetryPolicy::default(),
            at,
        )
        .await
        .expect("fail");
    assert_eq!(outcome, RetryOutcome::Dead);
    id
}

pub async fn undelivered_sms_are_listed_per_commune_newest_first<S: Store>(store: &S) {
    let demo = communes(&["demo"]);
    let dead_demo = dead(store, "demo", "l-dead", t0() + secs(10)).await;
    // Sent, then reported undelivered by the provider: failed.
    let failed_demo = claimed(store, "demo", "l-failed", t0() + secs(20)).await;
    assert!(
        store
            .mark_outbox_sent(failed_demo, "SM-l-failed", t0() + secs(21))
            .await
            .expect("sent")
    );
    assert!(
        store
            .record_delivery(
                "SM-l-failed",
                DeliveryStatus::Failed,
                Some("30003 unreachable handset"),
                t0() + secs(30),
            )
            .await
            .expect("report")
    );
    let sent_demo = claimed(store, "demo", "l-sent", t0() + secs(40)).await;
    assert!(
        store
            .mark_outbox_sent(sent_demo, "SM-l-sent", t0() + secs(41))
            .await
            .expect("sent")
    );
    let dead_other = dead(store, "autreville", "l-other", t0() + secs(60)).await;
    // Queued last (so that no claim above takes it), with an earlier creation time.
    let pending_demo = store
        .enqueue_sms(&sms("demo", "l-pending", t0() + secs(50)))
        .await
        .expect("enqueue");

    let undelivered = OutboxFilter {
        communes: demo.clone(),
        states: vec![OutboxState::Dead, OutboxState::Failed],
        limit: Some(50),
    };
    let listed = store.list_outbox(&undelivered).await.expect("list");
    assert_eq!(
        listed.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![failed_demo, dead_demo],
        "the viewer's communes only, the latest change first"
    );
    assert_eq!(listed[0].state, OutboxState::Failed);
    assert_eq!(listed[0].updated_at, t0() + secs(30));
    assert_eq!(
        listed[0].last_error.as_deref(),
        Some("30003 unreachable handset")
    );
    assert_eq!(
        (listed[1].state, listed[1].attempts, listed[1].to.as_str()),
        (OutboxState::Dead, 1, "+33612345678")
    );

    // Another commune's staff sees its own dead SMS only; no commune, nothing.
    let theirs = store
        .list_outbox(&OutboxFilter {
            communes: communes(&["autreville"]),
            ..undelivered.clone()
        })
        .await
        .expect("list");
    assert_eq!(
        theirs.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![dead_other]
    );
    assert!(
        store
            .list_outbox(&OutboxFilter {
                communes: Vec::new(),
                ..undelivered.clone()
            })
            .await
            .expect("list")
            .is_empty()
    );
    let both = store
        .list_outbox(&OutboxFilter {
            communes: communes(&["demo", "autreville"]),
            states: vec![OutboxState::Dead],
            limit: None,
        })
        .await
        .expect("list");
    assert_eq!(
        both.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![dead_other, dead_demo]
    );

    // No state filter: every state; the limit keeps the most recent; a negative one is 0.
    let all = store
        .list_outbox(&OutboxFilter {
            communes: demo.clone(),
            ..OutboxFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(
        all.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![pending_demo, sent_demo, failed_demo, dead_demo]
    );
    let two = store
        .list_outbox(&OutboxFilter {
            communes: demo.clone(),
            states: Vec::new(),
            limit: Some(2),
        })
        .await
        .expect("list");
    assert_eq!(
        two.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![pending_demo, sent_demo]
    );
    assert!(
        store
            .list_outbox(&OutboxFilter {
                communes: demo.clone(),
                states: Vec::new(),
                limit: Some(-5),
            })
            .await
            .expect("list")
            .is_empty()
    );

    // Counts: every state in declaration order, zero when absent, per scope.
    assert_eq!(
        store.outbox_counts(&demo).await.expect("counts"),
        vec![
            (OutboxState::Pending, 1),
            (OutboxState::Sending, 0),
            (OutboxState::Sent, 1),
            (OutboxState::Delivered, 0),
            (OutboxState::Failed, 1),
            (OutboxState::Dead, 1),
            (OutboxState::Refused, 0),
        ]
    );
    let other = store
        .outbox_counts(&communes(&["autreville"]))
        .await
        .expect("counts");
    assert_eq!(other.iter().map(|(_, n)| n).sum::<i64>(), 1, "{other:?}");
    assert!(other.contains(&(OutboxState::Dead, 1)));
    assert!(
        store
            .outbox_counts(&[])
            .await
            .expect("counts")
            .iter()
            .all(|(_, n)| *n == 0)
    );
}
