//! `--url` mode against a stand-in for `guichet serve` on 127.0.0.1: the real engine behind the
//! real Twilio parsing, signature check and TwiML rendering of the connectors crate, with the
//! `X-Guichet-Decision` / `X-Guichet-Actions` headers and the `X-Guichet-Now` test clock.
//! The replay over HTTP must decide exactly what the in-process replay decides.

use crate::common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use guichet_agent::{Context, Engine, Inbound, LineType, Reply, Session};
use guichet_connectors::twilio::twiml::{render_message, render_voice};
use guichet_connectors::twilio::webhook::{GatherResult, IncomingCall, IncomingSms};
use guichet_connectors::twilio::{Form, VoiceOptions, signature};
use guichet_eval::gates::Gates;
use guichet_eval::http::{HttpOptions, parse_base_url};
use guichet_eval::{Options, evaluate};
use guichet_knowledge::Knowledge;

const TOKEN: &str = "test-auth-token";

struct Fake {
    knowledge: Knowledge,
    report_channels: Vec<String>,
    engine: Engine,
    base: String,
    sessions: Mutex<HashMap<String, Session>>,
}

type Shared = Arc<Fake>;

fn verified(
    fake: &Fake,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Form, (StatusCode, String)> {
    let form = Form::parse(body).map_err(|error| (StatusCode::BAD_REQUEST, error.to_string()))?;
    let url = format!(
        "{}{}",
        fake.base,
        uri.path_and_query().map_or("", |pq| pq.as_str())
    );
    let given = headers
        .get("x-twilio-signature")
        .and_then(|value| value.to_str().ok());
    signature::verify(TOKEN, &url, form.params(), given)
        .map_err(|error| (StatusCode::FORBIDDEN, error.to_string()))?;
    Ok(form)
}

fn context<'k>(fake: &'k Fake, headers: &HeaderMap, from: &str) -> Context<'k> {
    let now = headers
        .get("x-guichet-now")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        .map(|at| at.to_utc())
        .unwrap_or_else(chrono::Utc::now);
    Context {
        now,
        line: LineType::of(from),
        knowledge: &fake.knowledge,
        report_channels: &fake.report_channels,
    }
}

/// TwiML plus the decision (raw UTF-8 JSON) and the actions (percent-encoded JSON) headers.
fn respond(twiml: String, reply: &Reply) -> Response {
    let mut response = ([("content-type", "text/xml")], twiml).into_response();
    let decision = serde_json::to_string(&reply.trace).unwrap();
    let actions: String = url::form_urlencoded::byte_serialize(
        serde_json::to_string(&reply.actions).unwrap().as_bytes(),
    )
    .collect();
    let headers = response.headers_mut();
    headers.insert(
        "x-guichet-decision",
        HeaderValue::from_bytes(decision.as_bytes()).unwrap(),
    );
    headers.insert(
        "x-guichet-actions",
        HeaderValue::from_str(&actions).unwrap(),
    );
    response
}

fn voice_options(fake: &Fake) -> VoiceOptions {
    VoiceOptions::french(format!("{}/twilio/voice/turn", fake.base))
}

async fn voice(State(fake): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let form = match verified(&fake, &uri, &headers, &body) {
        Ok(form) => form,
        Err(refused) => return refused.into_response(),
    };
    let Ok(call) = IncomingCall::parse(&form) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let ctx = context(&fake, &headers, &call.from);
    let (session, reply) = fake.engine.start(&call.inbound("demo"), &ctx);
    fake.sessions
        .lock()
        .unwrap()
        .insert(call.call_sid.clone(), session);
    respond(render_voice(&reply, &voice_options(&fake)), &reply)
}

async fn voice_turn(
    State(fake): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match verified(&fake, &uri, &headers, &body) {
        Ok(form) => form,
        Err(refused) => return refused.into_response(),
    };
    let Ok(gather) = GatherResult::parse(&form) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let ctx = context(&fake, &headers, &gather.call.from);
    let Some(session) = fake
        .sessions
        .lock()
        .unwrap()
        .get(&gather.call.call_sid)
        .cloned()
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (session, reply) = fake.engine.turn(&session, &gather.inbound("demo"), &ctx);
    fake.sessions
        .lock()
        .unwrap()
        .insert(gather.call.call_sid.clone(), session);
    respond(render_voice(&reply, &voice_options(&fake)), &reply)
}

async fn sms(State(fake): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let form = match verified(&fake, &uri, &headers, &body) {
        Ok(form) => form,
        Err(refused) => return refused.into_response(),
    };
    let Ok(message) = IncomingSms::parse(&form) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let ctx = context(&fake, &headers, &message.from);
    let inbound: Inbound = message.inbound("demo", &message.from);
    let existing = fake.sessions.lock().unwrap().get(&message.from).cloned();
    let session = existing.unwrap_or_else(|| fake.engine.start(&inbound, &ctx).0);
    let (session, reply) = fake.engine.turn(&session, &inbound, &ctx);
    fake.sessions
        .lock()
        .unwrap()
        .insert(message.from.clone(), session);
    let text: Vec<&str> = reply.say.iter().map(|u| u.text.as_str()).collect();
    respond(render_message(&text.join("\n")), &reply)
}

async fn status(State(fake): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    match verified(&fake, &uri, &headers, &body) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(refused) => refused.into_response(),
    }
}

/// Starts the stand-in on a free port of 127.0.0.1; it lives as long as the test process.
fn serve() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let knowledge = Knowledge::load(&common::demo()).unwrap();
    let fake = Arc::new(Fake {
        report_channels: knowledge.reporting_partners(),
        knowledge,
        engine: Engine::default(),
        base: format!("http://{address}"),
        sessions: Mutex::new(HashMap::new()),
    });
    let app = Router::new()
        .route("/twilio/voice", post(voice))
        .route("/twilio/voice/turn", post(voice_turn))
        .route("/twilio/sms", post(sms))
        .route("/twilio/status", post(status))
        .with_state(fake);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    address
}

fn options(address: SocketAddr, token: &str) -> Options {
    let mut http = HttpOptions::new(
        parse_base_url(&format!("http://{address}")).unwrap(),
        "+33100000000",
    );
    http.auth_token = Some(token.to_owned());
    Options {
        commune: common::demo(),
        dialogues: Vec::new(),
        http: Some(http),
        gates: Gates::default(),
        baseline: None,
        split: None,
        policy: None,
    }
}

#[test]
fn over_the_signed_webhook_the_decisions_are_those_of_the_engine() {
    let address = serve();
    let over_http = evaluate(&options(address, TOKEN)).unwrap();
    let mut in_process_options = options(address, TOKEN);
    in_process_options.http = None;
    let in_process = evaluate(&in_process_options).unwrap();

    assert!(over_http.report.mode.starts_with("http://127.0.0.1:"));
    let mut compared = 0;
    for run in &over_http.report.dialogues {
        assert!(
            run.start_error.is_none(),
            "{}: {:?}",
            run.id,
            run.start_error
        );
        let local = in_process
            .report
            .dialogues
            .iter()
            .find(|local| local.id == run.id)
            .unwrap();
        for (remote, local) in run.turns.iter().zip(&local.turns) {
            assert!(
                remote.error.is_none(),
                "{} tour {}: {:?}",
                run.id,
                remote.number,
                remote.error
            );
            let remote_got = remote.got.as_ref().unwrap();
            let local_got = local.got.as_ref().unwrap();
            assert_eq!(
                remote_got.decision, local_got.decision,
                "{} tour {}",
                run.id, remote.number
            );
            assert_eq!(
                remote_got.actions.as_ref().map(Vec::len),
                local_got.actions.as_ref().map(Vec::len)
            );
            assert_eq!(
                remote.verdict, local.verdict,
                "{} tour {}",
                run.id, remote.number
            );
            compared += 1;
        }
    }
    assert!(compared > 250, "{compared} turns compared");
    let chat = in_process.report.dialogues.len() - over_http.report.dialogues.len();
    assert_eq!(over_http.skipped.len(), chat);
}

#[test]
fn a_wrong_auth_token_is_refused_and_the_run_errors() {
    let address = serve();
    let temp = tempfile::tempdir().unwrap();
    let dialogue = common::demo().join("dialogues/001-test-public-mobile.yaml");
    std::fs::copy(&dialogue, temp.path().join("one.yaml")).unwrap();
    let mut options = options(address, "not-the-token");
    options.dialogues = vec![temp.path().to_path_buf()];
    let error = evaluate(&options).unwrap_err().to_string();
    assert!(
        error.contains("aucun dialogue n'a pu être rejoué"),
        "{error}"
    );
    assert!(error.contains("403"), "{error}");
}
