//! The attack suite of the outside edge (issue 13), black-box against a served instance: what
//! someone who finds the URLs can try — unsigned and forged webhooks, routes of an unconfigured
//! provider, the JSON API without a key, with a wrong one or another commune's, a public key
//! trying to send SMS, SMS pumping (foreign, premium, over the per-recipient cap, past the
//! commune's budget), oversized bodies, and a public bind with nothing locked.
//!
//! Every case runs on SQLite, and again on PostgreSQL when `GUICHET_TEST_DATABASE_URL` is set
//! (a schema of its own per case).

use crate::support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use guichet::serve::api_auth::{generate_token, hash_token};
use guichet::serve::config::{Secret, SmsProvider};
use guichet::serve::{self, Settings};
use guichet_store::testkit::{TestSchema, test_database_url};
use guichet_store::{
    ApiKeyKind, ApiKeyStore, DialOutcome, NewApiKey, OutboxFilter, OutboxMessage, OutboxState,
    OutboxStore, SessionStore, SmsRefusal, Ticket, TicketKind, TicketStore,
};
use serde_json::{Value, json};
use support::*;

const MAIRIE_DIGITS: &str = "33130000001";

/// The backends to attack: SQLite always, PostgreSQL (a fresh schema) when configured.
async fn backends() -> Vec<Option<TestSchema>> {
    let mut backends = vec![None];
    if let Some(url) = test_database_url() {
        backends.push(Some(
            TestSchema::create(&url)
                .await
                .expect("create a PostgreSQL test schema"),
        ));
    }
    backends
}

async fn start(schema: &Option<TestSchema>, adjust: impl FnOnce(&mut Settings)) -> Harness {
    let url = schema.as_ref().map(TestSchema::url);
    Harness::start_with(SmsProvider::None, open_hours(), move |settings| {
        if let Some(url) = url {
            settings.database_url = url;
        }
        adjust(settings);
    })
    .await
}

async fn outbox(h: &Harness) -> Vec<OutboxMessage> {
    h.service
        .state
        .store
        .list_outbox(&OutboxFilter {
            communes: vec!["villebourg".into()],
            states: Vec::new(),
            limit: None,
        })
        .await
        .unwrap()
}

fn count(messages: &[OutboxMessage], state: OutboxState) -> usize {
    messages.iter().filter(|m| m.state == state).count()
}

async fn sessions(h: &Harness) -> usize {
    let from = Utc::now() - chrono::Duration::days(3650);
    let to = Utc::now() + chrono::Duration::days(3650);
    h.service
        .state
        .store
        .sessions_between("villebourg", from, to)
        .await
        .unwrap()
        .len()
}

/// A key stored for `commune`; its token.
async fn api_key(h: &Harness, commune: &str, kind: ApiKeyKind) -> String {
    let token = generate_token();
    h.service
        .state
        .store
        .create_api_key(&NewApiKey {
            tenant: commune.into(),
            name: format!("test-{kind}"),
            kind,
            token_hash: hash_token(&token),
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    token
}

async fn api_post(h: &Harness, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = h.http.post(format!("{}{path}", h.base)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// A Vonage inbound SMS, signed.
async fn vonage_sms(h: &Harness, id: &str, from: &str, text: &str) -> reqwest::Response {
    signed_vonage_sms(&h.http, &h.base, id, from, text).await
}

/// The same without the harness (for concurrent tasks).
async fn signed_vonage_sms(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    from: &str,
    text: &str,
) -> reqwest::Response {
    let body = json!({
        "channel": "sms", "message_uuid": id, "message_type": "text",
        "to": MAIRIE_DIGITS, "from": from, "text": text,
        "timestamp": "2026-03-10T09:15:00Z"
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    let authorization = guichet_connectors::vonage::signature::sign(
        VONAGE_SIGNATURE_SECRET,
        &bytes,
        Utc::now().timestamp(),
        id,
    );
    http.post(format!("{base}/vonage/sms"))
        .header("Content-Type", "application/json")
        .header("Authorization", authorization)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

// ----- webhooks -----

#[tokio::test]
async fn unsigned_and_forged_webhooks_are_refused_and_store_nothing() {
    for schema in backends().await {
        let h = start(&schema, |_| {}).await;
        // The issue's SMS pumping request, unsigned, then signed with a guessed secret.
        let pumping =
            json!({"message_uuid":"m1","from":"447700900124","to":MAIRIE_DIGITS,"text":"horaires"});
        let bytes = serde_json::to_vec(&pumping).unwrap();
        let forged = guichet_connectors::vonage::signature::sign(
            "guessed-secret",
            &bytes,
            Utc::now().timestamp(),
            "jti",
        );
        for path in [
            "/vonage/sms",
            "/vonage/answer",
            "/vonage/input",
            "/vonage/event",
        ] {
            for authorization in [None, Some(forged.as_str())] {
                let mut request = h
                    .http
                    .post(format!("{}{path}", h.base))
                    .header("Content-Type", "application/json")
                    .body(bytes.clone());
                if let Some(value) = authorization {
                    request = request.header("Authorization", value);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 403, "{path} {authorization:?}");
            }
        }
        let unsigned_get = h
            .http
            .get(format!(
                "{}/vonage/answer?uuid=u1&from=447700900124&to={MAIRIE_DIGITS}",
                h.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(unsigned_get.status(), 403);

        let sms = vec![
            ("MessageSid".to_string(), "SM1".to_string()),
            ("From".to_string(), "+447700900124".to_string()),
            ("To".to_string(), MAIRIE.to_string()),
            ("Body".to_string(), "horaires".to_string()),
        ];
        for path in ["/twilio/sms", "/twilio/voice", "/twilio/voice/turn?seq=1"] {
            let params = if path == "/twilio/sms" {
                sms.clone()
            } else {
                twilio_speech("CA1", "+447700900124", "horaires")
            };
            for signature in [None, Some("bm90LXRoZS1zaWduYXR1cmU=")] {
                let response = h.twilio_with_signature(path, &params, signature).await;
                assert_eq!(response.status(), 403, "{path} {signature:?}");
            }
        }
        // jambonz: no credentials, a guessed Basic password, a signature with a guessed secret.
        let call = json!({"call_sid":"j1","direction":"inbound","from":"+447700900124",
            "to":MAIRIE,"call_status":"ringing","message_sid":"m1","text":"horaires"});
        let body = serde_json::to_vec(&call).unwrap();
        let guessed_basic = guichet_connectors::jambonz::auth::basic_authorization(
            &guichet_connectors::jambonz::BasicCredentials {
                username: JAMBONZ_USER.into(),
                password: "guessed".into(),
            },
        );
        let guessed_signature = guichet_connectors::jambonz::auth::sign(
            "guessed-secret",
            &body,
            Utc::now().timestamp(),
        );
        for path in ["/jambonz/call", "/jambonz/gather?seq=1", "/jambonz/sms"] {
            for (authorization, signature) in [
                (None, None),
                (Some(guessed_basic.as_str()), None),
                (None, Some(guessed_signature.as_str())),
            ] {
                let mut request = h
                    .http
                    .post(format!("{}{path}", h.base))
                    .header("Content-Type", "application/json")
                    .body(body.clone());
                if let Some(value) = authorization {
                    request = request.header("Authorization", value);
                }
                if let Some(value) = signature {
                    request = request.header("Jambonz-Signature", value);
                }
                let response = request.send().await.unwrap();
                assert_eq!(
                    response.status(),
                    403,
                    "{path} {authorization:?} {signature:?}"
                );
            }
        }
        assert!(outbox(&h).await.is_empty(), "no SMS queued");
        assert_eq!(sessions(&h).await, 0, "no conversation stored");
        let metrics = h.metrics().await;
        assert!(
            metric(
                &metrics,
                "guichet_webhooks_rejected_total",
                &["reason=\"signature\""]
            ) >= 23.0
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn a_forged_dial_outcome_changes_no_transfer_ticket() {
    for schema in backends().await {
        let h = start(&schema, |_| {}).await;
        let call = "CA0000000000000000000000000000d001";
        let from = "+33612345678";
        let transfer = h
            .ring_and_ask(call, from, "je voudrais parler à un agent")
            .await;
        assert_eq!(decision(&transfer)["action"], "transfer");
        let before = transfer_ticket(&h).await;
        assert_eq!(before.kind, TicketKind::Transfer);

        // Twilio's <Dial action>: unsigned, then signed with a guessed token.
        let mut unanswered = twilio_call(call, from, MAIRIE, "in-progress");
        unanswered.push(("DialCallStatus".into(), "no-answer".into()));
        for signature in [None, Some("bm90LXRoZS1zaWduYXR1cmU=")] {
            let response = h
                .twilio_with_signature("/twilio/voice/dial", &unanswered, signature)
                .await;
            assert_eq!(response.status(), 403, "twilio {signature:?}");
        }
        // Vonage's connect eventUrl, naming the call: no JWT, then one signed with a guess.
        let event = serde_json::to_vec(&json!({"uuid": "leg", "status": "timeout"})).unwrap();
        let forged = guichet_connectors::vonage::signature::sign(
            "guessed-secret",
            &event,
            Utc::now().timestamp(),
            "jti",
        );
        for authorization in [None, Some(forged.as_str())] {
            let mut request = h
                .http
                .post(format!(
                    "{}/vonage/dial?tenant=villebourg&call={call}",
                    h.base
                ))
                .header("Content-Type", "application/json")
                .body(event.clone());
            if let Some(value) = authorization {
                request = request.header("Authorization", value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "vonage {authorization:?}");
        }
        // jambonz's dial actionHook without its credentials.
        let mut dial =
            guichet_connectors::testkit::jambonz::call_info(call, from, MAIRIE, "in-progress");
        dial["dial_call_status"] = json!("no-answer");
        let response = h
            .http
            .post(format!("{}/jambonz/dial", h.base))
            .json(&dial)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "jambonz");
        assert_eq!(transfer_ticket(&h).await, before, "nothing changed");

        // The provider's own report does change it.
        let signed = h.twilio("/twilio/voice/dial", &unanswered).await;
        assert_eq!(signed.status(), 200);
        let after = transfer_ticket(&h).await;
        assert_eq!(after.kind, TicketKind::Callback);
        assert_eq!(after.dial_outcome, Some(DialOutcome::Unanswered));
        h.stop().await;
    }
}

async fn transfer_ticket(h: &Harness) -> Ticket {
    let tickets = h.tickets().await;
    assert_eq!(tickets.len(), 1);
    tickets[0].clone()
}

#[tokio::test]
async fn a_provider_without_its_secret_has_no_routes() {
    for schema in backends().await {
        let h = start(&schema, |settings| {
            settings.twilio.auth_token = None;
            settings.vonage.signature_secret = None;
            settings.jambonz.basic_password = None;
            settings.jambonz.webhook_secret = None;
        })
        .await;
        for path in [
            "/twilio/voice",
            "/twilio/sms",
            "/vonage/sms",
            "/vonage/answer",
            "/vonage/event",
            "/jambonz/call",
            "/jambonz/gather",
            "/jambonz/dial",
            "/jambonz/status",
            "/jambonz/sms",
        ] {
            let response = h
                .http
                .post(format!("{}{path}", h.base))
                .header("Content-Type", "application/json")
                .body(r#"{"message_uuid":"m1","from":"447700900124","to":"33130000001","text":"horaires"}"#)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{path}");
        }
        assert!(outbox(&h).await.is_empty());
        h.stop().await;
    }
}

// ----- the JSON API -----

#[tokio::test]
async fn the_api_needs_a_key_of_the_commune() {
    for schema in backends().await {
        let h = start(&schema, |_| {}).await;
        let server = api_key(&h, "villebourg", ApiKeyKind::Server).await;
        let elsewhere = api_key(&h, "autreville", ApiKeyKind::Server).await;
        let body =
            json!({"to": MAIRIE, "from": "+33699887766", "channel": "voice", "text": "horaires"});
        let path = "/api/v1/conversations";

        let none = api_post(&h, path, None, &body).await;
        assert_eq!(none.status(), 401, "keys exist: no anonymous demo");
        assert!(
            none.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let wrong = api_post(&h, path, Some(&generate_token()), &body).await;
        assert_eq!(wrong.status(), 401);
        let garbage = h
            .http
            .post(format!("{}{path}", h.base))
            .header("Authorization", "Basic dXNlcjpwYXNz")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(garbage.status(), 401);
        let other = api_post(&h, path, Some(&elsewhere), &body).await;
        assert_eq!(
            other.status(),
            404,
            "another commune's number does not exist for this key"
        );

        let created = api_post(&h, path, Some(&server), &body).await;
        assert_eq!(created.status(), 201);
        let id = created.json::<Value>().await.unwrap()["conversation_id"]
            .as_str()
            .unwrap()
            .to_string();
        let turn_path = format!("/api/v1/conversations/{id}/turns");
        let turn = json!({"text": "merci"});
        assert_eq!(
            api_post(&h, &turn_path, Some(&elsewhere), &turn)
                .await
                .status(),
            404
        );
        assert_eq!(api_post(&h, &turn_path, None, &turn).await.status(), 401);
        assert_eq!(
            api_post(&h, &turn_path, Some(&server), &turn)
                .await
                .status(),
            200
        );

        // A revoked key is refused at once.
        let keys = h
            .service
            .state
            .store
            .list_api_keys(Some("villebourg"))
            .await
            .unwrap();
        assert!(
            h.service
                .state
                .store
                .revoke_api_key(keys[0].id, Utc::now())
                .await
                .unwrap()
        );
        assert_eq!(api_post(&h, path, Some(&server), &body).await.status(), 401);
        let metrics = h.metrics().await;
        assert!(
            metric(
                &metrics,
                "guichet_api_rejected_total",
                &["reason=\"unauthorized\""]
            ) >= 5.0
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn a_public_key_never_sends_an_sms_and_is_rate_limited() {
    for schema in backends().await {
        let h = start(&schema, |settings| {
            settings.api.public_burst = 3;
            settings.api.public_requests_per_minute = 1;
        })
        .await;
        let public = api_key(&h, "villebourg", ApiKeyKind::Public).await;
        let server = api_key(&h, "villebourg", ApiKeyKind::Server).await;
        // The issue's flood: three conversations that each queue an SMS to a mobile.
        let attack = json!({"to": MAIRIE, "from": "+33699887766", "channel": "voice", "text": "mon passeport est expiré"});
        for _ in 0..3 {
            let response = api_post(&h, "/api/v1/conversations", Some(&public), &attack).await;
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            let actions = body["actions"].to_string();
            assert!(!actions.contains("send_sms"), "{actions}");
        }
        assert!(outbox(&h).await.is_empty(), "a public key caused an SMS");
        // The tickets it may open carry no number it chose.
        let tickets = h
            .service
            .state
            .store
            .list_open_tickets(&["villebourg".into()])
            .await
            .unwrap();
        assert!(
            tickets.iter().all(|t| t.caller_number.is_none()),
            "{tickets:?}"
        );

        let limited = api_post(&h, "/api/v1/conversations", Some(&public), &attack).await;
        assert_eq!(
            limited.status(),
            429,
            "the fourth request of one address within a minute"
        );
        // A server key may text (the control): one SMS, to the number it gave.
        let response = api_post(&h, "/api/v1/conversations", Some(&server), &attack).await;
        assert_eq!(response.status(), 201);
        let queued = outbox(&h).await;
        assert_eq!(count(&queued, OutboxState::Pending), 1, "{queued:?}");
        assert_eq!(queued[0].to, "+33699887766");
        h.stop().await;
    }
}

// ----- the SMS guard -----

#[tokio::test]
async fn sms_to_foreign_and_premium_numbers_are_refused_and_recorded() {
    for schema in backends().await {
        let h = start(&schema, |_| {}).await;
        for (id, from) in [
            ("m-uk", "447700900124"),
            ("m-premium", "33899123456"),
            ("m-de", "4915112345678"),
        ] {
            assert_eq!(vonage_sms(&h, id, from, "horaires").await.status(), 204);
        }
        let server = api_key(&h, "villebourg", ApiKeyKind::Server).await;
        let uk = json!({"to": MAIRIE, "from": "+447700900124", "channel": "voice", "text": "mon passeport est expiré"});
        assert_eq!(
            api_post(&h, "/api/v1/conversations", Some(&server), &uk)
                .await
                .status(),
            201
        );

        let rows = outbox(&h).await;
        assert!(rows.len() >= 3, "every refused SMS is kept: {rows:?}");
        assert_eq!(count(&rows, OutboxState::Pending), 0, "{rows:?}");
        assert!(
            rows.iter()
                .all(|m| m.state == OutboxState::Refused
                    && m.refusal == Some(SmsRefusal::Destination))
        );
        let metrics = h.metrics().await;
        assert_eq!(
            metric(
                &metrics,
                "guichet_sms_refused_total",
                &["reason=\"destination\""]
            ),
            rows.len() as f64
        );
        h.stop().await;
    }
}

#[tokio::test]
async fn a_recipient_gets_at_most_its_daily_sms() {
    for schema in backends().await {
        let h = start(&schema, |_| {}).await;
        for i in 0..8 {
            let response = vonage_sms(&h, &format!("m-cap-{i}"), "33612340000", "horaires").await;
            assert_eq!(response.status(), 204);
        }
        let rows = outbox(&h).await;
        assert_eq!(
            count(&rows, OutboxState::Pending),
            5,
            "the default cap: {rows:?}"
        );
        assert!(count(&rows, OutboxState::Refused) >= 3);
        assert!(
            rows.iter()
                .filter(|m| m.state == OutboxState::Refused)
                .all(|m| m.refusal == Some(SmsRefusal::RecipientCap))
        );
        h.stop().await;
    }
}

/// The demo commune with `[sms]` limits changed, in a scratch folder.
fn commune_with_budget(budget: u32) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("communes/demo");
    let target = std::env::temp_dir().join(format!(
        "guichet-attacks-commune-{}-{budget}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    copy_dir(&source, &target);
    let file = target.join("commune.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let text = text.replace(
        "[sms]\n",
        &format!("[sms]\ndaily_budget = {budget}\nalert_percent = 60\n"),
    );
    std::fs::write(&file, text).unwrap();
    target
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_daily_budget_holds_under_concurrent_sms_and_alerts_the_admins() {
    for schema in backends().await {
        let commune = commune_with_budget(3);
        let dir = commune.clone();
        let h = start(&schema, move |settings| {
            settings.communes.get_mut("villebourg").unwrap().dir = dir;
        })
        .await;
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (http, base) = (h.http.clone(), h.base.clone());
            tasks.push(tokio::spawn(async move {
                let id = format!("m-budget-{i}");
                let from = format!("336123400{i:02}");
                signed_vonage_sms(&http, &base, &id, &from, "horaires")
                    .await
                    .status()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 204);
        }
        let rows = outbox(&h).await;
        assert_eq!(
            count(&rows, OutboxState::Pending),
            3,
            "never past the budget: {rows:?}"
        );
        assert_eq!(count(&rows, OutboxState::Refused), rows.len() - 3);
        assert!(
            rows.iter()
                .filter(|m| m.state == OutboxState::Refused)
                .all(|m| m.refusal == Some(SmsRefusal::Budget))
        );
        // The admins are told (an alert ticket, delivered by the commune's notification routes).
        let tickets = h
            .service
            .state
            .store
            .list_open_tickets(&["villebourg".into()])
            .await
            .unwrap();
        let topics: Vec<&str> = tickets.iter().map(|t| t.topic.as_str()).collect();
        assert!(topics.contains(&"Alerte : budget SMS à 60 %"), "{topics:?}");
        assert!(
            topics.contains(&"Alerte : budget SMS à 100 %"),
            "{topics:?}"
        );
        let metrics = h.metrics().await;
        assert_eq!(
            metric(
                &metrics,
                "guichet_sms_budget_used",
                &["tenant=\"villebourg\""]
            ),
            3.0
        );
        h.stop().await;
        let _ = std::fs::remove_dir_all(&commune);
    }
}

#[tokio::test]
async fn a_callback_for_a_premium_number_is_flagged_not_offered() {
    for schema in backends().await {
        let h = Harness::start_with(SmsProvider::None, closed_hours(), {
            let url = schema.as_ref().map(TestSchema::url);
            move |settings| {
                if let Some(url) = url {
                    settings.database_url = url;
                }
            }
        })
        .await;
        let call = "CA00000000000000000000000000a77ac1";
        let premium = "+33899123456";
        h.twilio(
            "/twilio/voice",
            &twilio_call(call, premium, MAIRIE, "ringing"),
        )
        .await;
        let handoff = h
            .twilio(
                "/twilio/voice/turn?seq=1",
                &twilio_speech(call, premium, "je voudrais parler à un agent"),
            )
            .await;
        assert_eq!(handoff.status(), 200);
        let tickets = h
            .service
            .state
            .store
            .list_open_tickets(&["villebourg".into()])
            .await
            .unwrap();
        assert!(
            !tickets.is_empty(),
            "the mairie is closed: a callback ticket"
        );
        for ticket in &tickets {
            assert_eq!(
                ticket.caller_number, None,
                "not offered for a callback: {ticket:?}"
            );
            assert!(ticket.summary.contains("surtaxé"), "{}", ticket.summary);
            assert!(!ticket.summary.contains(premium), "the number is masked");
        }
        h.stop().await;
    }
}

// ----- bounds -----

#[tokio::test]
async fn bodies_over_64_kb_are_refused_on_every_route() {
    for schema in backends().await {
        let h = start(&schema, |_| {}).await;
        let big = "a".repeat(70 * 1024);
        for path in [
            "/twilio/voice",
            "/twilio/sms",
            "/vonage/sms",
            "/vonage/input",
            "/jambonz/call",
            "/jambonz/gather?seq=1",
            "/jambonz/sms",
            "/api/v1/conversations",
            "/console/connexion",
        ] {
            let response = h
                .http
                .post(format!("{}{path}", h.base))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(big.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 413, "{path}");
        }
        assert!(outbox(&h).await.is_empty());
        assert_eq!(sessions(&h).await, 0);
        h.stop().await;
    }
}

// ----- a public bind with nothing locked -----

#[tokio::test]
async fn a_public_bind_without_any_secret_refuses_to_start() {
    let dir = std::env::temp_dir().join(format!("guichet-attacks-bind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut settings = Settings::demo();
    settings.listen = "0.0.0.0:0".parse().unwrap();
    settings.communes.get_mut("demo").unwrap().dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("communes/demo");
    settings.database_url = format!("sqlite://{}/guichet.db?mode=rwc", dir.display());
    settings.spool_dir = dir.join("spool");
    settings.watch_knowledge = false;
    let error = match serve::start(settings.clone()).await {
        Ok(_) => panic!("a public bind with nothing locked started"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("GUICHET__TWILIO__AUTH_TOKEN"), "{error}");
    // With a provider secret, it starts.
    settings.vonage.signature_secret = Some(Secret::new("a-real-secret"));
    let running = serve::start(settings)
        .await
        .expect("a locked door is enough");
    running.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_binary_refuses_a_public_bind_with_nothing_locked() {
    let dir = std::env::temp_dir().join(format!("guichet-attacks-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"));
    command
        .args(["serve", "--listen", "0.0.0.0:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("GUICHET") {
            command.env_remove(key);
        }
    }
    command
        .env(
            "GUICHET__DATABASE__URL",
            format!("sqlite://{}/g.db?mode=rwc", dir.display()),
        )
        .env("GUICHET__SPOOL_DIR", dir.join("spool"))
        .env("GUICHET__WATCH_KNOWLEDGE", "false");
    let mut child = command.spawn().expect("run guichet serve");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("guichet serve --listen 0.0.0.0 with no secret kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("refus de démarrer"), "{stderr}");
    assert!(
        stderr.contains("GUICHET__VONAGE__SIGNATURE_SECRET"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
