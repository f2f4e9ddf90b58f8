//! Ticket notifications against local fakes: a webhook receiver that fails first, and a
//! minimal SMTP server; failures are retried with backoff and visible, never silent; state is
//! in the store, so two nodes send each notification once. On SQLite and on PostgreSQL.

use crate::common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::post;
use common::{
    Backend, Client, Harness, account, closed_hours_call, harness_on, on_both_backends, signed_in,
};
use guichet_console::ConsoleConfig;
use guichet_delivery::notify::{
    NotificationConfig, NotificationRoute, Notifier, RouteDestinations, SmtpConfig, SmtpSecurity,
};
use guichet_store::{
    AuditStore, DeliveryStatus, FailureKind, NewOutboxMessage, Notification, NotificationFilter,
    NotificationState, NotificationStore, OutboxStore, RetryOutcome, RetryPolicy, Role,
    TicketStore,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A webhook receiver answering the given statuses in turn (then 200), recording bodies.
async fn fake_webhook(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(statuses));
    let log = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: String| {
            let log = log.clone();
            let script = script.clone();
            async move {
                log.lock()
                    .expect("lock")
                    .push(serde_json::from_str(&body).unwrap_or_default());
                let mut script = script.lock().expect("lock");
                let status = if script.is_empty() {
                    200
                } else {
                    script.remove(0)
                };
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (format!("http://{address}/hook"), received)
}

/// A minimal SMTP server: accepts every message and records its DATA.
async fn fake_smtp() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let store = messages.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake.smtp ESMTP\r\n").await.ok();
                let mut in_data = false;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().expect("lock").push(std::mem::take(&mut data));
                            write.write_all(b"250 2.0.0 queued\r\n").await.ok();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-fake.smtp\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            break;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, messages)
}

/// A route sending the commune's callbacks to a webhook.
fn webhook_route(commune: &str, url: &str) -> NotificationRoute {
    NotificationRoute {
        commune: commune.into(),
        partner: None,
        to: RouteDestinations {
            webhook_url: Some(url.into()),
            webhook_token: Some("secret-token".into()),
            ..RouteDestinations::default()
        },
    }
}

/// Every notification of both communes, newest first (what the store holds).
async fn stored(h: &Harness) -> Vec<Notification> {
    h.store
        .list_notifications(&NotificationFilter {
            communes: vec!["villebourg".into(), "autreville".into()],
            ..NotificationFilter::default()
        })
        .await
        .expect("notifications")
}

async fn webhook_failures_are_retried_with_backoff_and_visible(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (url, received) = fake_webhook(vec![500, 503]).await;
    let config = NotificationConfig {
        routes: vec![webhook_route("villebourg", &url)],
        retry_base_seconds: 30,
        ..NotificationConfig::default()
    };
    let notifier = Notifier::new(config, h.clock.now()).expect("notifier");
    let id = closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    closed_hours_call(&h, "autreville", "CB-1", "+33698765432", "Autre commune").await;

    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        1
    );
    let first = stored(&h).await;
    assert_eq!(first.len(), 1, "only the configured commune's callback");
    assert_eq!(first[0].ticket_id, id);
    assert_eq!(first[0].destination, format!("webhook:{url}"));
    assert_eq!(first[0].state, NotificationState::Failed);
    assert_eq!(
        first[0].next_attempt_at,
        Some(h.clock.now() + chrono::Duration::seconds(30))
    );
    assert!(
        first[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("500"))
    );
    // Not due yet: no attempt.
    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        0
    );
    h.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        1
    );
    assert_eq!(stored(&h).await[0].state, NotificationState::Failed);
    // Backoff doubled: 30 s is not enough now, 60 s is.
    h.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        0
    );
    h.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        1
    );
    let done = stored(&h).await;
    assert_eq!(done[0].state, NotificationState::Sent);
    assert_eq!(done[0].attempts, 3);
    assert_eq!(done[0].sent_at, Some(h.clock.now()));
    let bodies = received.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[2]["ticket"], id);
    assert_eq!(bodies[2]["kind"], "callback");
    assert_eq!(bodies[2]["caller_number"], "+33612345678");
    // Sent once: later passes do nothing, and a restarted node does not send it again.
    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        0
    );
    let restarted = Notifier::new(
        NotificationConfig {
            routes: vec![webhook_route("villebourg", &url)],
            ..NotificationConfig::default()
        },
        h.clock.now(),
    )
    .expect("notifier");
    assert_eq!(
        restarted.tick(&h.store, h.clock.now()).await.expect("tick"),
        0
    );
    assert_eq!(received.lock().expect("lock").len(), 3);
    assert_eq!(stored(&h).await.len(), 1, "queued once");
    let sent = h
        .store
        .list_audit(&["villebourg".into()], Some("notification."), 20)
        .await
        .expect("audit");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].entry.action, "notification.sent");
    assert_eq!(
        sent[0].entry.detail,
        format!("ticket={id} dest=webhook {url}")
    );
}

async fn two_nodes_send_each_notification_once(backend: Backend) {
    const CALLS: usize = 24;
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (url, received) = fake_webhook(Vec::new()).await;
    let mut ids = Vec::new();
    for i in 0..CALLS {
        ids.push(
            closed_hours_call(
                &h,
                "villebourg",
                &format!("CN-{i}"),
                "+33612345678",
                "Voirie",
            )
            .await,
        );
    }
    let config = NotificationConfig {
        routes: vec![webhook_route("villebourg", &url)],
        ..NotificationConfig::default()
    };
    // Two nodes on the same database, ticking at the same time.
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let notifier = Notifier::new(config.clone(), h.clock.now()).expect("notifier");
        let store = h.store.clone();
        let now = h.clock.now();
        nodes.push(tokio::spawn(async move {
            notifier.tick(&store, now).await.expect("tick")
        }));
    }
    let mut attempts = 0;
    for node in nodes {
        attempts += node.await.expect("join");
    }
    assert_eq!(
        attempts, CALLS,
        "one attempt per notification, all nodes together"
    );
    let bodies = received.lock().expect("lock").clone();
    let mut tickets: Vec<i64> = bodies.iter().filter_map(|b| b["ticket"].as_i64()).collect();
    tickets.sort_unstable();
    assert_eq!(tickets, ids, "each ticket notified exactly once");
    let counts = h
        .store
        .notification_counts(&["villebourg".into()])
        .await
        .expect("counts");
    assert!(
        counts.contains(&(NotificationState::Sent, CALLS as i64)),
        "{counts:?}"
    );
}

async fn failures_are_given_up_loudly_and_shown_in_the_console(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (hook, _) = fake_webhook(vec![500; 10]).await;
    // This notifier is another node: the console (whose own notifier is disabled) shows what
    // the store holds.
    let notifier = Notifier::new(
        NotificationConfig {
            routes: vec![webhook_route("villebourg", &hook)],
            retry_base_seconds: 1,
            max_attempts: 2,
            ..NotificationConfig::default()
        },
        h.clock.now(),
    )
    .expect("notifier");
    let id = closed_hours_call(&h, "villebourg", "CA-9", "+33612345678", "Voirie").await;
    notifier.tick(&h.store, h.clock.now()).await.expect("tick");
    h.clock.advance(chrono::Duration::seconds(5));
    notifier.tick(&h.store, h.clock.now()).await.expect("tick");
    let notifications = stored(&h).await;
    assert_eq!(notifications[0].state, NotificationState::Dead);
    assert_eq!(notifications[0].attempts, 2);
    assert_eq!(notifications[0].next_attempt_at, None);
    h.clock.advance(chrono::Duration::hours(1));
    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        0,
        "given up for good"
    );
    let audit = h
        .store
        .list_audit(&["villebourg".into()], Some("notification."), 20)
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].entry.action, "notification.failed");
    assert!(audit[0].entry.detail.contains(&format!("ticket={id}")));
    assert!(audit[0].entry.detail.contains("HTTP 500"));

    let (agent, password) = account(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let mut client = Client::new(&h);
    client.login(&agent, &password).await;
    let page = client.get("/console/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("<td>Abandonnée après plusieurs échecs</td>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Abandonnée après plusieurs échecs (1)"));
    assert!(page.body.contains("HTTP 500"));
    // The destination, as escaped by the template (`/` becomes `&#x2f;`).
    let host = hook.trim_start_matches("http://").trim_end_matches("/hook");
    assert!(
        page.body
            .contains(&format!("webhook http:&#x2f;&#x2f;{host}")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("secret-token"), "no secret on the page");
    let dead = client.get("/console/notifications?etat=dead").await;
    assert!(dead.body.contains("delivery-dead"), "{}", dead.body);
    let sent = client.get("/console/notifications?etat=sent").await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(!sent.body.contains("delivery-dead"));
    assert!(sent.body.contains("Aucune notification"));
    let bogus = client.get("/console/notifications?etat=perdu").await;
    assert_eq!(bogus.status, StatusCode::BAD_REQUEST);
    assert!(bogus.body.contains("état de notification inconnu"));

    // Another commune's staff does not see it.
    let mut outsider = signed_in(
        &h,
        "agent@autreville.example",
        Role::Standardiste,
        &["autreville"],
    )
    .await;
    let theirs = outsider.get("/console/notifications").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.body.contains("HTTP 500"));
    assert!(theirs.body.contains("Aucune notification"));
}

async fn reports_are_emailed_to_their_partner(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let (port, messages) = fake_smtp().await;
    let config = NotificationConfig {
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Guichet <guichet@villebourg.example>".into(),
        }),
        routes: vec![NotificationRoute {
            commune: "villebourg".into(),
            partner: Some("agglomeration".into()),
            to: RouteDestinations {
                email: Some("signalements@agglo.example".into()),
                ..RouteDestinations::default()
            },
        }],
        ..NotificationConfig::default()
    };
    let notifier = Notifier::new(config, h.clock.now()).expect("notifier");
    // A callback is not for the partner; a report is.
    closed_hours_call(&h, "villebourg", "CA-1", "+33612345678", "Voirie").await;
    let report = guichet_store::NewTicket {
        idempotency_key: "CR-1:2:ticket".into(),
        tenant: "villebourg".into(),
        kind: guichet_store::TicketKind::Report,
        channel: guichet_store::Channel::Voice,
        conversation_id: Some("CR-1".into()),
        caller_number: Some("+33687654321".into()),
        topic: "Dépôt sauvage".into(),
        fiche: Some("depot-sauvage".into()),
        summary: "Dépôt sauvage signalé rue des Lilas.".into(),
        transcript: serde_json::json!([]),
        partner: Some("agglomeration".into()),
        reference: Some("SIG-ABC123".into()),
        created_at: h.clock.now(),
        due_at: None,
    };
    let report_id = h.store.create_ticket(&report).await.expect("report");
    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        1
    );
    let notifications = stored(&h).await;
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0].ticket_id, report_id);
    assert!(notifications[0].destination.starts_with("email:"));
    assert_eq!(
        notifications[0].state,
        NotificationState::Sent,
        "{:?}",
        notifications[0].last_error
    );
    let mails = messages.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("signalements@agglo.example"));
    assert!(mails[0].contains("SIG-ABC123"));
}

/// Queues an SMS of `commune` and leases it (alone) to a worker; returns its id.
async fn claimed_sms(h: &Harness, commune: &str, key: &str, to: &str, body: &str) -> i64 {
    let id = h
        .store
        .enqueue_sms(&NewOutboxMessage {
            idempotency_key: key.into(),
            tenant: commune.into(),
            conversation_id: Some(format!("conv-{key}")),
            to: to.into(),
            sender: "MAIRIE".into(),
            body: body.into(),
            refusal: None,
            limits: None,
            created_at: h.clock.now(),
        })
        .await
        .expect("enqueue");
    let batch = h
        .store
        .claim_due_outbox(1, h.clock.now(), std::time::Duration::from_secs(30))
        .await
        .expect("claim");
    assert_eq!(batch.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
    id
}

async fn undelivered_sms_are_shown_to_their_commune_only(backend: Backend) {
    let h = harness_on(&backend, ConsoleConfig::default()).await;
    let mut client = signed_in(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &["villebourg"],
    )
    .await;
    let before = client.get("/console/notifications").await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(
        before.body.contains("Aucun SMS non remis."),
        "{}",
        before.body
    );

    // Villebourg: the provider refuses the number for good (dead).
    let body = "Passeport : prenez rendez-vous en ligne sur https://villebourg.example/passeport, \
                puis venez en mairie avec votre ancien passeport.";
    let dead = claimed_sms(&h, "villebourg", "sms-a", "+33612345678", body).await;
    let outcome = h
        .store
        .mark_outbox_failed(
            dead,
            "HTTP 400: The To number +33612345678 is not a valid mobile",
            FailureKind::Permanent,
            &RetryPolicy::default(),
            h.clock.now(),
        )
        .await
        .expect("fail");
    assert_eq!(outcome, RetryOutcome::Dead);
    // Autreville: sent, then reported undelivered (failed).
    h.clock.advance(chrono::Duration::minutes(5));
    let failed = claimed_sms(
        &h,
        "autreville",
        "sms-b",
        "+33698765432",
        "Horaires de la mairie d'Autreville.",
    )
    .await;
    assert!(
        h.store
            .mark_outbox_sent(failed, "SM-b", h.clock.now())
            .await
            .expect("sent")
    );
    assert!(
        h.store
            .record_delivery(
                "SM-b",
                DeliveryStatus::Failed,
                Some("30003 handset unreachable"),
                h.clock.now()
            )
            .await
            .expect("report")
    );

    let page = client.get("/console/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    let body_html = &page.body;
    assert!(body_html.contains("SMS non remis"), "{body_html}");
    assert!(body_html.contains("sms-dead"), "{body_html}");
    // Given up at 20:30 in Paris (19:30 UTC), written as on every page; the recipient and the
    // number in the error masked.
    assert!(
        body_html.contains("<td>9 mars 2026 à 20 h 30</td>"),
        "{body_html}"
    );
    assert!(body_html.contains("<td>+336******78</td>"), "{body_html}");
    assert!(
        body_html.contains("The To number +336******78 is not a valid mobile"),
        "{body_html}"
    );
    assert!(!body_html.contains("+33612345678"), "no number in clear");
    assert!(body_html.contains("Abandonné après refus ou échecs répétés"));
    // The first 60 characters of the text only (`/` as escaped by the template).
    assert!(
        body_html.contains(
            "<td>Passeport : prenez rendez-vous en ligne sur https:&#x2f;&#x2f;villebou…</td>"
        ),
        "{body_html}"
    );
    assert!(!body_html.contains("ancien passeport"));
    // Not Autreville's.
    assert!(!body_html.contains("sms-failed"), "{body_html}");
    assert!(!body_html.contains("30003"));
    assert!(!body_html.contains("+336******32"));

    // Autreville's operator sees its own failed SMS, not Villebourg's dead one.
    let mut outsider = signed_in(
        &h,
        "stats@autreville.example",
        Role::Operateur,
        &["autreville"],
    )
    .await;
    let theirs = outsider.get("/console/notifications").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(theirs.body.contains("sms-failed"), "{}", theirs.body);
    assert!(theirs.body.contains("<td>9 mars 2026 à 20 h 35</td>"));
    assert!(theirs.body.contains("<td>+336******32</td>"));
    assert!(theirs.body.contains("30003 handset unreachable"));
    assert!(
        theirs
            .body
            .contains("Non distribué (rapport du fournisseur)")
    );
    assert!(!theirs.body.contains("sms-dead"), "{}", theirs.body);
    assert!(!theirs.body.contains("+336******78"));
    assert!(!theirs.body.contains("Passeport : prenez"));

    // An editor does not see the page.
    let mut writer = signed_in(
        &h,
        "fiches@villebourg.example",
        Role::Editeur,
        &["villebourg"],
    )
    .await;
    assert_eq!(
        writer.get("/console/notifications").await.status,
        StatusCode::FORBIDDEN
    );
}

on_both_backends!(
    webhook_failures_are_retried_with_backoff_and_visible,
    two_nodes_send_each_notification_once,
    failures_are_given_up_loudly_and_shown_in_the_console,
    reports_are_emailed_to_their_partner,
    undelivered_sms_are_shown_to_their_commune_only,
);

#[test]
fn bad_routes_are_refused_at_start() {
    let now = chrono::Utc::now();
    let no_destination = NotificationConfig {
        routes: vec![NotificationRoute {
            commune: "villebourg".into(),
            partner: None,
            to: RouteDestinations::default(),
        }],
        ..NotificationConfig::default()
    };
    assert!(Notifier::new(no_destination, now).is_err());
    let email_without_smtp = NotificationConfig {
        routes: vec![NotificationRoute {
            commune: "villebourg".into(),
            partner: None,
            to: RouteDestinations {
                email: Some("a@b.example".into()),
                ..RouteDestinations::default()
            },
        }],
        ..NotificationConfig::default()
    };
    assert!(Notifier::new(email_without_smtp, now).is_err());
}
