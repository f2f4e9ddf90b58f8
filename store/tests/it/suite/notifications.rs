//! Suite tests of ticket notifications, console session sliding expiry and the audit action
//! filter (same semantics on every backend).

use std::collections::HashSet;
use std::time::Duration;

use guichet_store::*;

use super::{communes, secs, staff, t0, ticket};

fn notification(tenant: &str, ticket_id: i64, destination: &str) -> NewNotification {
    NewNotification {
        tenant: tenant.into(),
        ticket_id,
        destination: destination.into(),
        created_at: t0(),
    }
}

async fn get<S: Store>(store: &S, id: i64) -> Notification {
    store
        .list_notifications(&NotificationFilter {
            communes: communes(&["demo", "autreville"]),
            ..NotificationFilter::default()
        })
        .await
        .expect("list")
        .into_iter()
        .find(|n| n.id == id)
        .expect("notification listed")
}

pub async fn notifications_are_queued_once_and_retried_like_the_outbox<S: Store>(store: &S) {
    let a = store
        .create_ticket(&ticket("demo", "n-a", TicketKind::Callback, t0()))
        .await
        .expect("ticket");
    let b = store
        .create_ticket(&ticket("autreville", "n-b", TicketKind::Report, t0()))
        .await
        .expect("ticket");
    let email = store
        .enqueue_notification(&notification("demo", a, "email:mairie@demo.fr"))
        .await
        .expect("enqueue");
    assert_eq!(
        store
            .enqueue_notification(&notification("demo", a, "email:mairie@demo.fr"))
            .await
            .expect("enqueue again"),
        email,
        "queued once per ticket and destination"
    );
    let hook = store
        .enqueue_notification(&notification("demo", a, "webhook:https://demo.fr/hook"))
        .await
        .expect("enqueue");
    let other = store
        .enqueue_notification(&notification("autreville", b, "email:mairie@demo.fr"))
        .await
        .expect("enqueue");
    assert_eq!(HashSet::from([email, hook, other]).len(), 3);
    assert!(matches!(
        store
            .enqueue_notification(&notification("demo", a, "  "))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(
        store
            .enqueue_notification(&notification("demo", 999_999, "email:x@demo.fr"))
            .await
            .is_err(),
        "a notification needs its ticket"
    );

    let listed = store
        .list_notifications(&NotificationFilter {
            communes: communes(&["demo"]),
            ..NotificationFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(
        listed.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![hook, email],
        "newest first, own communes only"
    );
    let fresh = &listed[1];
    assert_eq!(fresh.state, NotificationState::Pending);
    assert_eq!(fresh.destination, "email:mairie@demo.fr");
    assert_eq!(fresh.attempts, 0);
    assert_eq!(fresh.next_attempt_at, Some(t0()));
    assert_eq!(fresh.lease_until, None);
    assert_eq!(fresh.sent_at, None);
    assert!(
        store
            .list_notifications(&NotificationFilter::default())
            .await
            .expect("list")
            .is_empty(),
        "no commune, nothing"
    );

    // Not due before its creation; then every due one is leased once.
    let lease = Duration::from_secs(60);
    assert!(
        store
            .claim_due_notifications(10, t0() - secs(1), lease)
            .await
            .expect("claim")
            .is_empty()
    );
    let claimed = store
        .claim_due_notifications(10, t0(), lease)
        .await
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![email, hook, other]
    );
    for n in &claimed {
        assert_eq!(n.state, NotificationState::Sending);
        assert_eq!(n.attempts, 1);
        assert_eq!(n.lease_until, Some(t0() + secs(60)));
        assert_eq!(n.next_attempt_at, None);
    }
    assert!(
        store
            .claim_due_notifications(10, t0() + secs(30), lease)
            .await
            .expect("claim")
            .is_empty(),
        "leased ones are not due"
    );

    // Delivered.
    assert!(
        store
            .mark_notification_sent(email, t0() + secs(1))
            .await
            .expect("sent")
    );
    assert!(
        !store
            .mark_notification_sent(email, t0() + secs(2))
            .await
            .expect("sent twice"),
        "only a notification being sent"
    );
    let sent = get(store, email).await;
    assert_eq!(sent.state, NotificationState::Sent);
    assert_eq!(sent.sent_at, Some(t0() + secs(1)));
    assert_eq!(sent.lease_until, None);

    // Failures back off with the outbox's policy, then die.
    let policy = RetryPolicy {
        base: Duration::from_secs(5),
        max_delay: Duration::from_secs(60),
        max_attempts: 3,
    };
    let policy = &policy;
    let fail = move |at| {
        store.mark_notification_failed(hook, "HTTP 500", FailureKind::Transient, policy, at)
    };
    assert_eq!(
        fail(t0() + secs(2)).await.expect("failed"),
        RetryOutcome::RetryAt(t0() + secs(7))
    );
    let failed = get(store, hook).await;
    assert_eq!(failed.state, NotificationState::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(failed.next_attempt_at, Some(t0() + secs(7)));
    assert_eq!(failed.lease_until, None);
    assert_eq!(
        fail(t0() + secs(3)).await.expect("failed"),
        RetryOutcome::Ignored,
        "not being sent any more"
    );
    assert!(
        store
            .claim_due_notifications(10, t0() + secs(6), lease)
            .await
            .expect("claim")
            .is_empty()
    );
    let retry = store
        .claim_due_notifications(10, t0() + secs(7), lease)
        .await
        .expect("claim");
    assert_eq!(retry.len(), 1);
    assert_eq!((retry[0].id, retry[0].attempts), (hook, 2));
    assert_eq!(
        fail(t0() + secs(8)).await.expect("failed"),
        RetryOutcome::RetryAt(t0() + secs(18))
    );
    store
        .claim_due_notifications(10, t0() + secs(18), lease)
        .await
        .expect("claim");
    assert_eq!(
        fail(t0() + secs(19)).await.expect("failed"),
        RetryOutcome::Dead
    );
    let dead = get(store, hook).await;
    assert_eq!(dead.state, NotificationState::Dead);
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.next_attempt_at, None);

    // A crashed worker's lease ends: claimed again; a permanent failure is dead at once.
    let again = store
        .claim_due_notifications(10, t0() + secs(60), lease)
        .await
        .expect("claim");
    assert_eq!(again.iter().map(|n| n.id).collect::<Vec<_>>(), vec![other]);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(
        store
            .mark_notification_failed(
                other,
                "destinataire refusé",
                FailureKind::Permanent,
                policy,
                t0() + secs(61)
            )
            .await
            .expect("failed"),
        RetryOutcome::Dead
    );
    assert_eq!(
        store
            .mark_notification_failed(-1, "x", FailureKind::Transient, policy, t0())
            .await
            .expect("unknown"),
        RetryOutcome::Ignored
    );

    let dead_ones = store
        .list_notifications(&NotificationFilter {
            communes: communes(&["demo", "autreville"]),
            states: vec![NotificationState::Dead],
            limit: None,
        })
        .await
        .expect("list");
    assert_eq!(
        dead_ones.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![other, hook]
    );
    let limited = store
        .list_notifications(&NotificationFilter {
            communes: communes(&["demo", "autreville"]),
            states: vec![NotificationState::Dead, NotificationState::Sent],
            limit: Some(2),
        })
        .await
        .expect("list");
    assert_eq!(
        limited.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![other, hook]
    );
    assert_eq!(
        store
            .notification_counts(&communes(&["demo"]))
            .await
            .expect("counts"),
        vec![
            (NotificationState::Pending, 0),
            (NotificationState::Sending, 0),
            (NotificationState::Sent, 1),
            (NotificationState::Failed, 0),
            (NotificationState::Dead, 1),
        ]
    );
    assert_eq!(
        store
            .notification_counts(&communes(&["demo", "autreville"]))
            .await
            .expect("counts")
            .iter()
            .map(|(_, n)| n)
            .sum::<i64>(),
        3
    );
}

pub async fn concurrent_notification_claims_are_disjoint<S: Store + Clone + 'static>(store: &S) {
    const TICKETS: usize = 20;
    const DESTINATIONS: [&str; 2] = ["email:mairie@demo.fr", "webhook:https://demo.fr/hook"];
    let mut tickets = Vec::new();
    for i in 0..TICKETS {
        tickets.push(
            store
                .create_ticket(&ticket(
                    "demo",
                    &format!("cc-{i}"),
                    TicketKind::Callback,
                    t0(),
                ))
                .await
                .expect("ticket"),
        );
    }
    // Two nodes see the same tickets at the same time: each notification is queued once.
    let mut queuers = Vec::new();
    for _ in 0..2 {
        let store = store.clone();
        let tickets = tickets.clone();
        queuers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for ticket_id in tickets {
                for destination in DESTINATIONS {
                    ids.push(
                        store
                            .enqueue_notification(&notification("demo", ticket_id, destination))
                            .await
                            .expect("enqueue"),
                    );
                }
            }
            ids
        }));
    }
    let mut queued = Vec::new();
    for queuer in queuers {
        queued.push(queuer.await.expect("join"));
    }
    assert_eq!(queued[0], queued[1], "both nodes got the same rows");
    let total = TICKETS * DESTINATIONS.len();
    assert_eq!(queued[0].iter().collect::<HashSet<_>>().len(), total);

    // Two nodes drain concurrently: each notification is claimed (and sent) exactly once.
    let lease = Duration::from_secs(300);
    let mut workers = Vec::new();
    for _ in 0..2 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_due_notifications(3, t0() + secs(1), lease)
                    .await
                    .expect("claim");
                if batch.is_empty() {
                    break mine;
                }
                for n in &batch {
                    assert_eq!(n.attempts, 1, "never claimed before");
                    assert!(
                        store
                            .mark_notification_sent(n.id, t0() + secs(2))
                            .await
                            .expect("sent")
                    );
                    mine.push(n.id);
                }
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut claimed = Vec::new();
    for worker in workers {
        claimed.extend(worker.await.expect("join"));
    }
    let unique: HashSet<i64> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), total, "every notification claimed once");
    assert_eq!(unique.len(), total, "none claimed twice");
    let counts = store
        .notification_counts(&communes(&["demo"]))
        .await
        .expect("counts");
    assert!(counts.contains(&(NotificationState::Sent, total as i64)));
}

pub async fn staff_sessions_slide_and_audit_filters_by_action<S: Store>(store: &S) {
    let agent = store
        .create_staff(&staff("agent@demo.fr", Role::Standardiste, &["demo"]))
        .await
        .expect("staff");
    let login = StaffSession {
        token_hash: "slide".into(),
        staff_id: agent,
        csrf_token: "csrf".into(),
        created_at: t0(),
        expires_at: t0() + secs(1800),
    };
    store.create_staff_session(&login).await.expect("login");
    assert!(
        store
            .touch_staff_session("slide", t0() + secs(3000), t0() + secs(1200))
            .await
            .expect("touch")
    );
    let slid = store
        .get_staff_session("slide", t0() + secs(2000))
        .await
        .expect("get")
        .expect("still valid after the first expiry");
    assert_eq!(slid.expires_at, t0() + secs(3000));
    assert_eq!(slid.csrf_token, "csrf", "same session, same CSRF token");
    // Never shortened.
    store
        .touch_staff_session("slide", t0() + secs(2500), t0() + secs(2000))
        .await
        .expect("touch");
    assert_eq!(
        store
            .get_staff_session("slide", t0() + secs(2000))
            .await
            .expect("get")
            .map(|s| s.expires_at),
        Some(t0() + secs(3000))
    );
    // An expired or unknown session cannot be revived.
    assert!(
        !store
            .touch_staff_session("slide", t0() + secs(9000), t0() + secs(3000))
            .await
            .expect("touch")
    );
    assert!(
        !store
            .touch_staff_session("nobody", t0() + secs(9000), t0())
            .await
            .expect("touch")
    );
    assert_eq!(
        store
            .get_staff_session("slide", t0() + secs(2999))
            .await
            .expect("get")
            .map(|s| s.expires_at),
        Some(t0() + secs(3000))
    );

    for (i, (commune, action)) in [
        ("demo", "ticket.claim"),
        ("demo", "notification.sent"),
        ("demo", "ticket.close"),
        ("demo", "ticket_x"),
        ("demo", "ticketAx"),
        ("autreville", "ticket.claim"),
    ]
    .into_iter()
    .enumerate()
    {
        store
            .append_audit(&AuditEntry {
                at: t0() + secs(i as i64),
                actor: "agent@demo.fr".into(),
                commune: Some(commune.into()),
                action: action.into(),
                detail: String::new(),
            })
            .await
            .expect("audit");
    }
    let actions =
        |rows: Vec<AuditRow>| -> Vec<String> { rows.into_iter().map(|r| r.entry.action).collect() };
    let demo = communes(&["demo"]);
    assert_eq!(
        actions(
            store
                .list_audit(&demo, Some("ticket."), 10)
                .await
                .expect("audit")
        ),
        vec!["ticket.close", "ticket.claim"]
    );
    assert_eq!(
        actions(
            store
                .list_audit(&demo, Some("ticket_"), 10)
                .await
                .expect("audit")
        ),
        vec!["ticket_x"],
        "the prefix is literal, not a pattern"
    );
    assert_eq!(
        actions(
            store
                .list_audit(&demo, Some("notification."), 10)
                .await
                .expect("audit")
        ),
        vec!["notification.sent"]
    );
    assert_eq!(
        store
            .list_audit(&demo, None, 10)
            .await
            .expect("audit")
            .len(),
        5
    );
    assert_eq!(
        store
            .list_audit(&demo, Some("ticket"), 2)
            .await
            .expect("audit")
            .len(),
        2
    );
}
