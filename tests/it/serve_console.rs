//! The staff console mounted in the service: its pages answer under `/console/`, the first
//! administrator exists, a callback taken by phone reaches the console's queue, and the states
//! of the ticket notifications are in `/metrics`.

use crate::support;

use guichet::serve::config::SmsProvider;
use guichet_store::{StaffStore, TicketKind, TicketState};
use support::*;

#[tokio::test]
async fn the_console_is_served_and_sees_a_closed_hours_callback() {
    let h = Harness::start(SmsProvider::Twilio, closed_hours()).await;

    let page = h
        .http
        .get(format!("{}/console/", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.url().path().starts_with("/console/"), "{}", page.url());
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Connexion"), "{html}");
    assert_eq!(h.service.state.store.count_staff().await.unwrap(), 1);

    let mut changed = h.service.state.console.tickets_changed_sender().subscribe();
    let call = "CA0000000000000000000000000000c001";
    let from = "+33612340077";
    let human = h.ring_and_ask(call, from, "un agent s'il vous plaît").await;
    assert_eq!(decision(&human)["action"], "callback");
    assert!(
        changed.try_recv().is_ok(),
        "the console's live queue was not told about the new ticket"
    );

    let tickets = h.tickets().await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].kind, TicketKind::Callback);
    assert_eq!(tickets[0].state, TicketState::Nouveau);
    assert_eq!(tickets[0].caller_number.as_deref(), Some(from));
    h.stop().await;
}

#[tokio::test]
async fn notification_states_are_read_from_the_store_at_each_scrape() {
    use guichet_store::{
        Channel, FailureKind, NewNotification, NewTicket, NotificationStore, RetryOutcome,
        RetryPolicy, TicketKind, TicketStore,
    };
    let h = Harness::start(SmsProvider::None, closed_hours()).await;
    let scrape = async || h.metrics().await;
    let state = |text: &str, state: &str| {
        metric(
            text,
            "guichet_notifications",
            &[&format!("state=\"{state}\"")],
        )
    };
    let before = scrape().await;
    assert_eq!(state(&before, "pending"), 0.0, "{before}");
    assert_eq!(state(&before, "dead"), 0.0);

    // One notification of this node's commune, one of a commune it does not serve.
    let store = &h.service.state.store;
    let now = closed_hours();
    let mut queued = Vec::new();
    for (tenant, key) in [("villebourg", "obs-a"), ("ailleurs", "obs-b")] {
        let ticket = store
            .create_ticket(&NewTicket {
                idempotency_key: key.into(),
                tenant: tenant.into(),
                kind: TicketKind::Callback,
                channel: Channel::Voice,
                conversation_id: None,
                caller_number: Some("+33612345678".into()),
                topic: "Voirie".into(),
                fiche: None,
                summary: "Rappel demandé.".into(),
                transcript: serde_json::json!([]),
                partner: None,
                reference: None,
                created_at: now,
                due_at: None,
            })
            .await
            .unwrap();
        queued.push(
            store
                .enqueue_notification(&NewNotification {
                    tenant: tenant.into(),
                    ticket_id: ticket,
                    destination: "webhook:https://agglo.example/hook".into(),
                    created_at: now,
                })
                .await
                .unwrap(),
        );
    }
    let pending = scrape().await;
    assert_eq!(state(&pending, "pending"), 1.0, "{pending}");

    // Given up (another node's notifier): the next scrape says so.
    let claimed = store
        .claim_due_notifications(10, now, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    let outcome = store
        .mark_notification_failed(
            queued[0],
            "HTTP 410",
            FailureKind::Permanent,
            &RetryPolicy::default(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(outcome, RetryOutcome::Dead);
    let dead = scrape().await;
    h.stop().await;
    assert_eq!(state(&dead, "pending"), 0.0, "{dead}");
    assert_eq!(
        state(&dead, "sending"),
        0.0,
        "the other commune's is not counted"
    );
    assert_eq!(state(&dead, "dead"), 1.0);
}
