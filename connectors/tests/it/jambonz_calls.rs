//! The jambonz connector against the fake jambonz: a small application made of the connector
//! alone (verify, parse, render, with scripted replies instead of the engine) takes whole calls
//! from the fake, which checks every payload and verb as jambonz does. Attacks on the webhooks
//! (no or wrong credentials, stale signatures, odd bodies) and answers jambonz would refuse are
//! covered too.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use guichet_agent::{Action, Decision, DecisionAction, Inbound, Reply, Utterance};
use guichet_connectors::WebhookError;
use guichet_connectors::jambonz::{
    BasicCredentials, CallHook, CallStatus, DialResult, GatherResult, IncomingMessage,
    SIGNATURE_HEADER, VerbOptions, WebhookVerifier, verbs,
};
use guichet_connectors::testkit::jambonz::{
    Application, DialOutcome, FakeError, FakeJambonz, call_info,
};
use serde_json::{Value, json};
use tokio::sync::oneshot;

const SECRET: &str = "wh_secret_villebourg";
const STANDARD: &str = "+33130000000";

fn basic() -> BasicCredentials {
    BasicCredentials {
        username: "jambonz".into(),
        password: "s3cret-p4ss".into(),
    }
}

/// What the application saw, for the assertions.
#[derive(Default)]
struct Seen {
    inbound: Vec<Inbound>,
    ended: Vec<String>,
    statuses: Vec<String>,
}

struct App {
    verifier: Option<WebhookVerifier>,
    public_url: String,
    /// An answer to give instead of the rendered one (to check the fake refuses it).
    answer_override: Option<Value>,
    seen: Mutex<Seen>,
}

fn reply(say: &str, actions: Vec<Action>) -> Reply {
    Reply {
        say: vec![Utterance { text: say.into() }],
        actions,
        trace: Decision {
            action: DecisionAction::Answer,
            rule: "scripted".into(),
            fiche: None,
            confidence: None,
            margin: None,
            understood: String::new(),
            satisfaction: None,
        },
    }
}

fn listen() -> Action {
    Action::Listen {
        hints: Arc::from(["passeport".to_owned(), "carte d'identité".to_owned()]),
    }
}

/// The scripted dialogue: the connector's job is everything around it.
fn scripted(inbound: &Inbound) -> Reply {
    if inbound.dtmf.as_deref() == Some("0") || inbound.text.contains("agent") {
        return reply(
            "Je vous passe un agent.",
            vec![Action::Transfer {
                number: STANDARD.into(),
            }],
        );
    }
    if inbound.text.is_empty() {
        return reply(
            "Je ne vous ai pas entendu. Que puis-je pour vous ?",
            vec![listen()],
        );
    }
    if inbound.text.contains("au revoir") {
        return reply("Au revoir.", vec![Action::Hangup]);
    }
    reply(
        &format!("Vous avez dit : {}.", inbound.text),
        vec![listen()],
    )
}

impl App {
    fn options(&self) -> VerbOptions {
        VerbOptions {
            dial_url: Some(format!("{}/jambonz/dial", self.public_url)),
            ticket_id: Some("T-1".into()),
            ..VerbOptions::french(format!("{}/jambonz/gather", self.public_url))
        }
    }

    /// 404 when jambonz is not configured, 403 for a request that is not from it.
    fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), (StatusCode, String)> {
        let Some(verifier) = &self.verifier else {
            return Err((StatusCode::NOT_FOUND, String::new()));
        };
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        verifier
            .verify(
                header(header::AUTHORIZATION.as_str()),
                header(SIGNATURE_HEADER),
                body,
                now,
            )
            .map_err(|e| (StatusCode::FORBIDDEN, e.to_string()))
    }

    fn answer(&self, verbs: String) -> Response {
        match &self.answer_override {
            Some(answer) => axum::Json(answer.clone()).into_response(),
            None => json_response(verbs),
        }
    }

    fn turn(&self, inbound: Inbound) -> Response {
        let reply = scripted(&inbound);
        self.seen.lock().unwrap().inbound.push(inbound);
        self.answer(verbs::render(&reply, &self.options()))
    }
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn bad_request(error: WebhookError) -> Response {
    (StatusCode::BAD_REQUEST, error.to_string()).into_response()
}

type Shared = State<Arc<App>>;

async fn call(State(app): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = app.check(&headers, &body) {
        return refused.into_response();
    }
    match CallHook::parse(&body) {
        Ok(hook) => {
            let greeting = reply(
                "Bonjour, je suis l'assistant automatique de la mairie.",
                vec![listen()],
            );
            app.seen
                .lock()
                .unwrap()
                .inbound
                .push(hook.inbound("villebourg"));
            app.answer(verbs::render(&greeting, &app.options()))
        }
        Err(error) => bad_request(error),
    }
}

async fn gather(State(app): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = app.check(&headers, &body) {
        return refused.into_response();
    }
    match GatherResult::parse(&body) {
        // A turn the application cannot answer yet: hold the caller, then start again.
        Ok(result) if result.inbound("v").text == "patientez" => app.answer(verbs::render_hold(
            Some("Un instant, s'il vous plaît."),
            1,
            &format!("{}/jambonz/call", app.public_url),
            &app.options(),
        )),
        Ok(result) => app.turn(result.inbound("villebourg")),
        Err(error) => bad_request(error),
    }
}

async fn dial(State(app): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = app.check(&headers, &body) {
        return refused.into_response();
    }
    match DialResult::parse(&body) {
        Ok(result) if result.connected() => json_response(verbs::render_empty()),
        Ok(_) => json_response(verbs::render_say_and_hang_up(
            "Aucun agent n'est disponible : nous vous rappellerons.",
            &app.options(),
        )),
        Err(error) => bad_request(error),
    }
}

async fn status(State(app): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = app.check(&headers, &body) {
        return refused.into_response();
    }
    match CallStatus::parse(&body) {
        Ok(status) => {
            let mut seen = app.seen.lock().unwrap();
            seen.statuses.push(status.status.clone());
            if status.ends_conversation() {
                seen.ended.push(status.call.call_sid);
            }
            StatusCode::OK.into_response()
        }
        Err(error) => bad_request(error),
    }
}

async fn sms(State(app): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = app.check(&headers, &body) {
        return refused.into_response();
    }
    match IncomingMessage::parse(&body) {
        Ok(message) => {
            let inbound = message.inbound("villebourg", "sms-1");
            let text = scripted(&inbound).say[0].text.clone();
            app.seen.lock().unwrap().inbound.push(inbound);
            app.answer(verbs::render_message(&message.from, &message.to, &text))
        }
        Err(error) => bad_request(error),
    }
}

struct Running {
    base_url: String,
    app: Arc<App>,
    _stop: oneshot::Sender<()>,
}

const PUBLIC_URL: &str = "https://guichet.villebourg.test";

async fn start(verifier: Option<WebhookVerifier>, answer_override: Option<Value>) -> Running {
    let app = Arc::new(App {
        verifier,
        public_url: PUBLIC_URL.into(),
        answer_override,
        seen: Mutex::new(Seen::default()),
    });
    let router = Router::new()
        .route("/jambonz/call", post(call))
        .route("/jambonz/gather", post(gather))
        .route("/jambonz/dial", post(dial))
        .route("/jambonz/status", post(status))
        .route("/jambonz/sms", post(sms))
        .with_state(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Running {
        base_url,
        app,
        _stop: stop,
    }
}

fn both() -> WebhookVerifier {
    WebhookVerifier::new(Some(basic()), Some(SECRET), 300).unwrap()
}

fn jambonz(
    running: &Running,
    basic_auth: Option<BasicCredentials>,
    secret: Option<&str>,
) -> FakeJambonz {
    FakeJambonz::new(Application {
        public_url: Some(PUBLIC_URL.into()),
        basic: basic_auth,
        webhook_secret: secret.map(str::to_string),
        ..Application::new(&running.base_url)
    })
}

#[tokio::test]
async fn a_call_from_greeting_to_goodbye() {
    let running = start(Some(both()), None).await;
    let jambonz = jambonz(&running, Some(basic()), Some(SECRET));
    let mut call = jambonz.call("0612345678", "+33130000001").await.unwrap();
    assert!(call.listening());
    assert!(
        call.said().contains("assistant automatique"),
        "{}",
        call.said()
    );
    let gather = &call.last().verbs[0];
    assert_eq!(
        gather["recognizer"]["hints"],
        json!(["passeport", "carte d'identité"])
    );

    call.say("mon passeport est expiré").await.unwrap();
    assert_eq!(call.said(), "Vous avez dit : mon passeport est expiré.");
    call.stay_silent().await.unwrap();
    assert!(call.said().starts_with("Je ne vous ai pas entendu"));
    call.say("au revoir").await.unwrap();
    assert!(call.ended());
    assert_eq!(call.ended_by(), Some("jambonz"));

    let seen = running.app.seen.lock().unwrap();
    let texts: Vec<&str> = seen.inbound.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(texts, ["", "mon passeport est expiré", "", "au revoir"]);
    assert!(seen.inbound.iter().all(|i| i.from == "+33612345678"));
    assert!((seen.inbound[1].asr_confidence.unwrap() - 0.92).abs() < 1e-6);
    assert_eq!(seen.statuses, ["in-progress", "completed"]);
    assert_eq!(seen.ended, [call.call_sid()]);
}

#[tokio::test]
async fn dtmf_zero_transfers_with_the_ticket_and_the_outcome_is_heard() {
    let running = start(Some(both()), None).await;
    let jambonz = jambonz(&running, Some(basic()), Some(SECRET));

    let mut answered = jambonz.call("+33612345678", "+33130000001").await.unwrap();
    answered.press("0").await.unwrap();
    let dial = answered.transfer().expect("a transfer is running").clone();
    assert_eq!(
        dial["target"],
        json!([{"type": "phone", "number": STANDARD}])
    );
    assert_eq!(dial["headers"], json!({"X-Guichet-Ticket": "T-1"}));
    assert!(
        dial.get("callerId").is_none(),
        "the caller's number is presented"
    );
    assert_eq!(answered.said(), "Je vous passe un agent.");
    answered.end_transfer(DialOutcome::Answered).await.unwrap();
    assert!(answered.ended());

    let mut busy = jambonz.call("+33612345678", "+33130000001").await.unwrap();
    busy.say("je voudrais parler à un agent").await.unwrap();
    busy.end_transfer(DialOutcome::Busy).await.unwrap();
    assert!(busy.said().contains("nous vous rappellerons"));
    assert!(busy.ended());

    let seen = running.app.seen.lock().unwrap();
    assert_eq!(seen.inbound[1].dtmf.as_deref(), Some("0"));
    // The standard's leg ending did not end the caller's conversation: one end per call.
    assert_eq!(seen.ended, [answered.call_sid(), busy.call_sid()]);
    assert_eq!(
        seen.statuses.iter().filter(|s| *s == "completed").count(),
        3
    );
}

#[tokio::test]
async fn holding_pauses_then_redirects_and_loops_are_cut() {
    let running = start(Some(both()), None).await;
    let fake = jambonz(&running, Some(basic()), Some(SECRET));
    let mut call = fake.call("+33612345678", "+33130000001").await.unwrap();
    call.say("patientez").await.unwrap();
    assert!(call.listening(), "the redirect's answer runs");
    assert!(
        call.said()
            .starts_with("Un instant, s'il vous plaît. Bonjour"),
        "{}",
        call.said()
    );
    assert_eq!(call.turns().len(), 3, "call webhook, gather, redirect");

    let looping: Value = serde_json::from_str(&verbs::render_hold(
        None,
        1,
        &format!("{PUBLIC_URL}/jambonz/call"),
        &VerbOptions::french(""),
    ))
    .unwrap();
    let running = start(Some(both()), Some(looping)).await;
    let result = jambonz(&running, Some(basic()), Some(SECRET))
        .call("+33612345678", "+33130000001")
        .await;
    assert!(
        matches!(&result, Err(FakeError::Refused { reason, .. }) if reason.contains("loop")),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_caller_hangs_up_mid_call() {
    let running = start(Some(both()), None).await;
    let jambonz = jambonz(&running, Some(basic()), Some(SECRET));
    let mut call = jambonz.call("+33612345678", "+33130000001").await.unwrap();
    call.hang_up().await.unwrap();
    assert_eq!(call.ended_by(), Some("caller"));
    assert!(call.say("allô").await.is_err(), "nothing listens any more");
    assert!(call.hang_up().await.is_err());
    assert_eq!(running.app.seen.lock().unwrap().ended, [call.call_sid()]);
}

#[tokio::test]
async fn an_sms_is_answered_with_a_message() {
    let running = start(Some(both()), None).await;
    let jambonz = jambonz(&running, Some(basic()), Some(SECRET));
    let answer = jambonz
        .message("33612345678", "33130000001", "horaires de la mairie")
        .await
        .unwrap();
    assert_eq!(
        answer.verbs,
        [
            json!({"verb": "message", "to": "33612345678", "from": "33130000001",
                "text": "Vous avez dit : horaires de la mairie."})
        ]
    );
    assert_eq!(
        running.app.seen.lock().unwrap().inbound[0].from,
        "+33612345678"
    );
}

#[tokio::test]
async fn either_way_of_authenticating_works_alone() {
    let basic_only = start(
        Some(WebhookVerifier::new(Some(basic()), None, 300).unwrap()),
        None,
    )
    .await;
    let call = jambonz(&basic_only, Some(basic()), None)
        .call("+33612345678", "+33130000001")
        .await;
    assert!(call.is_ok(), "{call:?}");
    let signed_only = start(
        Some(WebhookVerifier::new(None, Some(SECRET), 300).unwrap()),
        None,
    )
    .await;
    let call = jambonz(&signed_only, None, Some(SECRET))
        .call("+33612345678", "+33130000001")
        .await;
    assert!(call.is_ok(), "{call:?}");
}

fn status_of(result: Result<impl std::fmt::Debug, FakeError>) -> u16 {
    match result {
        Err(FakeError::Status { status, .. }) => status,
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn attacks_on_the_webhooks_are_refused() {
    let running = start(Some(both()), None).await;
    let to = "+33130000001";
    let wrong_password = BasicCredentials {
        password: "guess".into(),
        ..basic()
    };
    for attacker in [
        jambonz(&running, None, None),
        jambonz(&running, Some(basic()), None),
        jambonz(&running, None, Some(SECRET)),
        jambonz(&running, Some(wrong_password), Some(SECRET)),
        jambonz(&running, Some(basic()), Some("another-secret")),
        jambonz(&running, Some(basic()), Some(SECRET)).with_clock_offset(-3600),
        jambonz(&running, Some(basic()), Some(SECRET)).with_clock_offset(3600),
    ] {
        assert_eq!(status_of(attacker.call("+33612345678", to).await), 403);
    }
    // Nothing configured: the provider does not exist.
    let unconfigured = start(None, None).await;
    assert_eq!(
        status_of(
            jambonz(&unconfigured, Some(basic()), Some(SECRET))
                .call("+33612345678", to)
                .await
        ),
        404
    );
    // Well signed, badly formed: a clear 400, no verb.
    let genuine = jambonz(&running, Some(basic()), Some(SECRET));
    let padding = "x".repeat(70 * 1024);
    for body in [
        b"{".to_vec(),
        b"[]".to_vec(),
        br#"{"call_sid":"c","direction":"inbound"}"#.to_vec(),
        serde_json::to_vec(
            &json!({"call_sid": "c", "direction": "inbound", "to": to, "x": padding}),
        )
        .unwrap(),
    ] {
        let (status, _, text) = genuine.post_bytes("/jambonz/call", body).await.unwrap();
        assert_eq!(status, 400, "{text}");
    }
    let mut timeout = call_info("c", "+33612345678", to, "in-progress");
    timeout["reason"] = json!("speechDetected");
    let (status, _, text) = genuine
        .post_bytes("/jambonz/gather", serde_json::to_vec(&timeout).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (status, text.as_str()),
        (400, "missing field `speech.alternatives`")
    );
    assert!(running.app.seen.lock().unwrap().inbound.is_empty());
}

#[tokio::test]
async fn answers_jambonz_would_not_run_are_refused_by_the_fake() {
    for (answer, expected) in [
        (
            json!([{"verb": "say", "text": "x"}, {"verb": "talk", "text": "y"}]),
            "invalid instruction",
        ),
        (
            json!([{"verb": "gather", "input": ["speech"], "say": {"text": "x"}}]),
            "missing value for actionHook",
        ),
        (json!([{"verb": "say", "text": ""}]), "without text"),
        (json!({"verb": "say", "text": "x"}), "must be array"),
        (
            json!([{"verb": "gather", "actionHook": "/jambonz/gather", "bargeIn": true}]),
            "unknown property",
        ),
    ] {
        let running = start(Some(both()), Some(answer)).await;
        let result = jambonz(&running, Some(basic()), Some(SECRET))
            .call("+33612345678", "+33130000001")
            .await;
        match result {
            Err(FakeError::Refused { reason, .. }) => {
                assert!(reason.contains(expected), "{reason} (expected {expected})")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
