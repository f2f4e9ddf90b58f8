//! Ticket notifications against local fakes: a webhook receiver that fails first, and a
//! minimal SMTP server; failures are retried with backoff and visible, never silent.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::post;
use common::{Client, account, closed_hours_call, harness};
use guichet_console::notify::{
    NotificationConfig, NotificationRoute, Notifier, SmtpConfig, SmtpSecurity,
};
use guichet_store::{Role, Store};
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

#[tokio::test]
async fn webhook_failures_are_retried_with_backoff_and_visible() {
    let h = harness().await;
    let (url, received) = fake_webhook(vec![500, 503]).await;
    let config = NotificationConfig {
        routes: vec![NotificationRoute {
            commune: "villebourg".into(),
            partner: None,
            email: None,
            webhook_url: Some(url.clone()),
            webhook_token: Some("secret-token".into()),
        }],
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
    let first = notifier.deliveries();
    assert_eq!(first.len(), 1, "only the configured commune's callback");
    assert_eq!(first[0].ticket_id, id);
    assert_eq!(first[0].status.key(), "retrying");
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
    assert_eq!(notifier.deliveries()[0].status.key(), "retrying");
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
    let done = notifier.deliveries();
    assert_eq!(done[0].status.key(), "sent");
    assert_eq!(done[0].attempts, 3);
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
            routes: vec![NotificationRoute {
                commune: "villebourg".into(),
                partner: None,
                email: None,
                webhook_url: Some(url),
                webhook_token: None,
            }],
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
}

#[tokio::test]
async fn failures_are_given_up_loudly_and_shown_in_the_console() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("n.db").display());
    let store = guichet_store::AnyStore::connect(&url).await.expect("store");
    let (hook, _) = fake_webhook(vec![500; 10]).await;
    let clock = common::TestClock::new();
    let notifier = Notifier::new(
        NotificationConfig {
            routes: vec![NotificationRoute {
                commune: "villebourg".into(),
                partner: None,
                email: None,
                webhook_url: Some(hook),
                webhook_token: None,
            }],
            retry_base_seconds: 1,
            max_attempts: 2,
            ..NotificationConfig::default()
        },
        clock.now(),
    )
    .expect("notifier");
    let state = guichet_console::ConsoleState::new(
        store.clone(),
        guichet_console::ConsoleConfig::default(),
        vec![common::commune("villebourg", "Villebourg", dir.path())],
        clock.clock(),
        notifier.clone(),
    );
    let h = common::Harness {
        app: axum::Router::new().merge(guichet_console::router(state.clone())),
        dir,
        store,
        state,
        clock,
    };
    let id = closed_hours_call(&h, "villebourg", "CA-9", "+33612345678", "Voirie").await;
    notifier.tick(&h.store, h.clock.now()).await.expect("tick");
    h.clock.advance(chrono::Duration::seconds(5));
    notifier.tick(&h.store, h.clock.now()).await.expect("tick");
    let deliveries = notifier.deliveries();
    assert_eq!(deliveries[0].status.key(), "failed");
    let audit = h
        .store
        .list_audit(&["villebourg".into()], 20)
        .await
        .expect("audit");
    assert!(audit.iter().any(|a| a.entry.action == "notification.failed"
        && a.entry.detail.contains(&format!("ticket={id}"))));
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
        page.body.contains("Abandonnée après plusieurs échecs"),
        "{}",
        page.body
    );
    assert!(page.body.contains("HTTP 500"));
}

#[tokio::test]
async fn reports_are_emailed_to_their_partner() {
    let h = harness().await;
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
            email: Some("signalements@agglo.example".into()),
            webhook_url: None,
            webhook_token: None,
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
    };
    let report_id = h.store.create_ticket(&report).await.expect("report");
    assert_eq!(
        notifier.tick(&h.store, h.clock.now()).await.expect("tick"),
        1
    );
    let deliveries = notifier.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].ticket_id, report_id);
    assert_eq!(
        deliveries[0].status.key(),
        "sent",
        "{:?}",
        deliveries[0].last_error
    );
    let mails = messages.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("signalements@agglo.example"));
    assert!(mails[0].contains("SIG-ABC123"));
}

#[test]
fn bad_routes_are_refused_at_start() {
    let now = chrono::Utc::now();
    let no_destination = NotificationConfig {
        routes: vec![NotificationRoute {
            commune: "villebourg".into(),
            partner: None,
            email: None,
            webhook_url: None,
            webhook_token: None,
        }],
        ..NotificationConfig::default()
    };
    assert!(Notifier::new(no_destination, now).is_err());
    let email_without_smtp = NotificationConfig {
        routes: vec![NotificationRoute {
            commune: "villebourg".into(),
            partner: None,
            email: Some("a@b.example".into()),
            webhook_url: None,
            webhook_token: None,
        }],
        ..NotificationConfig::default()
    };
    assert!(Notifier::new(email_without_smtp, now).is_err());
}
