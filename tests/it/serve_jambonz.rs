//! jambonz through the whole stack: the fake jambonz of the test kit plays the feature server
//! (documented payloads, Basic credentials and `Jambonz-Signature`, verbs validated and run),
//! against the engine, the store, the outbox and the fake REST API: what is jambonz's own (verb
//! details, the dial's ticket header, SMS, a provider per commune) and the attacks on the
//! jambonz doors. The call flows every provider shares are in `call_flows.rs`.

use crate::support;

use std::path::PathBuf;

use guichet::serve::config::{CommuneSettings, Provider, SmsProvider};
use guichet_connectors::jambonz::BasicCredentials;
use guichet_connectors::testkit::jambonz::{
    Application, FakeError, FakeJambonz, call_info, message_webhook,
};
use guichet_store::{OutboxFilter, OutboxStore, SessionStore};
use serde_json::{Value, json};
use support::*;

const CALLER: &str = "+33612345678";

fn action(exchange: &guichet_connectors::testkit::jambonz::Exchange) -> String {
    decision_in(&exchange.headers)["action"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn verb<'a>(verbs: &'a [Value], name: &str) -> Option<&'a Value> {
    verbs.iter().find(|v| v["verb"] == name)
}

#[tokio::test]
async fn the_greeting_gather_and_the_metrics() {
    let h = Harness::start(SmsProvider::Jambonz, open_hours()).await;
    let jambonz = h.jambonz();
    let mut call = jambonz.call(CALLER, MAIRIE).await.unwrap();

    // The greeting: a gather for speech and one key, with barge-in, French, hints, boost.
    assert_eq!(action(call.last()), "greet");
    assert!(call.listening());
    assert!(
        call.said().contains("assistant automatique"),
        "{}",
        call.said()
    );
    let gather = verb(&call.last().verbs, "gather").expect("a gather");
    assert_eq!(gather["input"], json!(["speech", "digits"]));
    assert_eq!(gather["bargein"], true);
    assert_eq!(gather["numDigits"], 1);
    assert_eq!(
        gather["actionHook"],
        format!("{PUBLIC_URL}/jambonz/gather?seq=1")
    );
    assert_eq!(gather["recognizer"]["language"], "fr-FR");
    assert!(
        gather["recognizer"]["hints"]
            .as_array()
            .is_some_and(|h| !h.is_empty())
    );
    assert_eq!(gather["recognizer"]["hintsBoost"], 10);
    assert_eq!(gather["say"]["synthesizer"]["language"], "fr-FR");

    let answer = call.say("mon passeport est expiré").await.unwrap();
    assert_eq!(action(answer), "answer");
    // The SMS went through jambonz's REST API: the fake records the number in E.164.
    let sms = h.wait_for_sms(1).await;
    assert_eq!(sms[0].provider, "jambonz");
    assert_eq!(sms[0].to, CALLER);
    let metrics = h.metrics().await;
    assert!(
        metric(
            &metrics,
            "guichet_turns_total",
            &["provider=\"jambonz\"", "channel=\"voice\""]
        ) >= 2.0
    );
    h.stop().await;
}

#[tokio::test]
async fn a_transfer_dials_the_standard_with_the_ticket_id() {
    let h = Harness::start(SmsProvider::Jambonz, open_hours()).await;
    let jambonz = h.jambonz();

    let mut call = jambonz.call(CALLER, MAIRIE).await.unwrap();
    let transfer = call.say("je voudrais parler à un agent").await.unwrap();
    assert_eq!(action(transfer), "transfer");
    let dial = call
        .transfer()
        .expect("a dial waits for its outcome")
        .clone();
    assert_eq!(
        dial["target"],
        json!([{"type": "phone", "number": "+33130000000"}])
    );
    assert_eq!(dial["actionHook"], format!("{PUBLIC_URL}/jambonz/dial"));
    assert!(
        dial.get("callerId").is_none(),
        "the caller's own number is presented"
    );
    let tickets = h.tickets().await;
    assert_eq!(
        dial["headers"]["X-Guichet-Ticket"],
        tickets[0].id.to_string(),
        "the ticket id reaches the standard's phone"
    );
    // A progress report before the end (jambonz sends none, but a proxy might): nothing yet.
    let mut ringing = call_info(call.call_sid(), CALLER, MAIRIE, "in-progress");
    ringing["dial_call_status"] = json!("ringing");
    let pending = jambonz.post("/jambonz/dial", ringing).await.unwrap();
    assert!(pending.verbs.is_empty());
    assert_eq!(ticket_outcome(&h).await, None);
    h.stop().await;
}

async fn ticket_outcome(h: &Harness) -> Option<guichet_store::DialOutcome> {
    h.tickets().await[0].dial_outcome
}

#[tokio::test]
async fn an_inbound_sms_is_answered_once_through_the_rest_api() {
    let h = Harness::start(SmsProvider::Jambonz, open_hours()).await;
    let jambonz = h.jambonz();
    let body = message_webhook(
        "sms-0001",
        "33611223344",
        "33130000001",
        "mon passeport est expiré",
    );
    let first = jambonz.post("/jambonz/sms", body.clone()).await.unwrap();
    assert!(first.verbs.is_empty(), "the reply goes through the outbox");
    jambonz.post("/jambonz/sms", body).await.unwrap();
    let sms = h.wait_for_sms(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(h.fake.received().len(), 1, "a retried SMS is answered once");
    assert_eq!(sms[0].provider, "jambonz");
    assert_eq!(sms[0].to, "+33611223344");
    assert!(sms[0].text.contains("http"), "{}", sms[0].text);
    h.stop().await;
}

/// Two communes on one instance, each through its own provider.
#[tokio::test]
async fn the_provider_is_chosen_per_commune() {
    const OTHER: &str = "+33140000001";
    let h = Harness::start_with(SmsProvider::None, open_hours(), |settings| {
        settings.communes.get_mut("villebourg").unwrap().provider = Some(Provider::Jambonz);
        settings.communes.insert(
            "autreville".into(),
            CommuneSettings {
                dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("communes/demo"),
                numbers: vec![OTHER.into()],
                provider: Some(Provider::Twilio),
                ..CommuneSettings::default()
            },
        );
    })
    .await;
    let mut call = h.jambonz().call(CALLER, MAIRIE).await.unwrap();
    call.say("mon passeport est expiré").await.unwrap();
    let twilio = h
        .twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech_to("CA0000000000000000000000000000b001", OTHER),
        )
        .await;
    assert_eq!(twilio.status(), 200);
    let sms = h.wait_for_sms(2).await;
    let mut providers: Vec<&str> = sms.iter().map(|s| s.provider).collect();
    providers.sort_unstable();
    assert_eq!(providers, ["jambonz", "twilio"]);

    // Each commune answers its own provider only.
    let refused = h.jambonz().call(CALLER, OTHER).await.unwrap_err();
    assert!(
        matches!(refused, FakeError::Status { status: 403, .. }),
        "{refused}"
    );
    let refused = h
        .twilio(
            "/twilio/voice",
            &twilio_call(
                "CA0000000000000000000000000000b002",
                CALLER,
                MAIRIE,
                "ringing",
            ),
        )
        .await;
    assert_eq!(refused.status(), 403);
    h.stop().await;
}

fn twilio_speech_to(call: &str, to: &str) -> Vec<(String, String)> {
    let mut params = twilio_speech(call, CALLER, "mon passeport est expiré");
    for (name, value) in &mut params {
        if name == "To" || name == "Called" {
            *value = to.to_string();
        }
    }
    params
}

// ----- attacks -----

/// A fake jambonz with other credentials than the service's.
fn impostor(h: &Harness, basic: Option<(&str, &str)>, secret: Option<&str>) -> FakeJambonz {
    let mut app = Application::new(h.base.clone());
    app.public_url = Some(PUBLIC_URL.into());
    app.basic = basic.map(|(username, password)| BasicCredentials {
        username: username.into(),
        password: password.into(),
    });
    app.webhook_secret = secret.map(str::to_string);
    FakeJambonz::new(app)
}

const HOOKS: [&str; 5] = [
    "/jambonz/call",
    "/jambonz/gather?seq=1",
    "/jambonz/dial",
    "/jambonz/status",
    "/jambonz/sms",
];

#[tokio::test]
async fn bad_or_missing_credentials_are_refused_and_store_nothing() {
    let h = Harness::start(SmsProvider::Jambonz, open_hours()).await;
    let good_basic = Some((JAMBONZ_USER, JAMBONZ_PASSWORD));
    let impostors = [
        impostor(&h, None, None),
        impostor(
            &h,
            Some((JAMBONZ_USER, "guessed")),
            Some(JAMBONZ_WEBHOOK_SECRET),
        ),
        impostor(&h, good_basic, Some("guessed-secret")),
        impostor(&h, good_basic, None),
        impostor(&h, None, Some(JAMBONZ_WEBHOOK_SECRET)),
        // Signed 10 minutes ago: a replay.
        h.jambonz().with_clock_offset(-600),
    ];
    let mut payload = call_info(
        "b3c1e6a2-dead-4000-8000-000000000001",
        CALLER,
        MAIRIE,
        "in-progress",
    );
    payload["reason"] = json!("speechDetected");
    payload["speech"] = json!({"alternatives": [{"transcript": "horaires", "confidence": 0.9}]});
    payload["dial_call_status"] = json!("completed");
    payload["message_sid"] = json!("sms-forged");
    payload["text"] = json!("horaires");
    let body = serde_json::to_vec(&payload).unwrap();
    for fake in &impostors {
        for hook in HOOKS {
            let (status, _, _) = fake.post_bytes(hook, body.clone()).await.unwrap();
            assert_eq!(status, 403, "{hook} {:?}", fake.application().basic);
        }
    }
    let store = &h.service.state.store;
    let outbox = store
        .list_outbox(&OutboxFilter {
            communes: vec!["villebourg".into()],
            states: Vec::new(),
            limit: None,
        })
        .await
        .unwrap();
    assert!(outbox.is_empty(), "no SMS queued");
    assert!(
        store
            .load_session("villebourg", "b3c1e6a2-dead-4000-8000-000000000001")
            .await
            .unwrap()
            .is_none()
    );
    let metrics = h.metrics().await;
    assert!(
        metric(
            &metrics,
            "guichet_webhooks_rejected_total",
            &["provider=\"jambonz\"", "reason=\"signature\""]
        ) >= 30.0
    );
    // The genuine jambonz, on the same service, still gets through.
    assert!(h.jambonz().call(CALLER, MAIRIE).await.unwrap().listening());
    h.stop().await;
}

#[tokio::test]
async fn jambonz_routes_exist_only_with_its_credentials_and_bodies_are_bounded() {
    let h = Harness::start_with(SmsProvider::None, open_hours(), |settings| {
        settings.jambonz.basic_password = None;
        settings.jambonz.webhook_secret = None;
    })
    .await;
    for hook in HOOKS {
        let (status, _, _) = h.jambonz().post_bytes(hook, b"{}".to_vec()).await.unwrap();
        assert_eq!(status, 404, "{hook}");
    }
    h.stop().await;

    let h = Harness::start(SmsProvider::Jambonz, open_hours()).await;
    let big = format!("{{\"text\":\"{}\"}}", "a".repeat(70 * 1024));
    for hook in HOOKS {
        let (status, _, _) = h
            .jambonz()
            .post_bytes(hook, big.clone().into_bytes())
            .await
            .unwrap();
        assert_eq!(status, 413, "{hook}");
    }
    // Malformed but authentic: a clear 400, nothing stored.
    let (status, _, text) = h
        .jambonz()
        .post_bytes("/jambonz/gather?seq=1", br#"{"call_sid":"x"}"#.to_vec())
        .await
        .unwrap();
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("direction"), "{text}");
    h.stop().await;
}
