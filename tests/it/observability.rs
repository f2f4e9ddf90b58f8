//! Observability through the whole stack: a Twilio call and an SMS turn with the logs captured
//! in JSON: request ids on every line of a turn and in the responses, no phone number in full
//! anywhere, and every documented metric exposed at `/metrics` with the figures of the calls.

use crate::support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use guichet::serve::config::{LogFormat, SmsProvider};
use guichet::serve::telemetry;
use guichet_connectors::testkit::Fault;
use guichet_connectors::twilio::{SIGNATURE_HEADER, signature};
use serde_json::Value;
use support::*;
use tracing_subscriber::EnvFilter;

const CALLER: &str = "+33612345678";
const CALL: &str = "CA0000000000000000000000000000ob01";

/// Log lines written by the subscriber under test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("logs are UTF-8")
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// A signed Twilio webhook, optionally with an `X-Request-Id`; returns the response's id,
/// status and body.
async fn webhook(
    h: &Harness,
    path: &str,
    params: &[(String, String)],
    request_id: Option<&str>,
) -> (String, u16, String) {
    let signed = signature::sign(&h.token(), &format!("{PUBLIC_URL}{path}"), params);
    let mut request = h
        .http
        .post(format!("{}{path}", h.base))
        .header(SIGNATURE_HEADER, signed)
        .form(params);
    if let Some(id) = request_id {
        request = request.header("X-Request-Id", id);
    }
    let response = request.send().await.unwrap();
    let id = response
        .headers()
        .get("x-request-id")
        .expect("every response has an X-Request-Id")
        .to_str()
        .unwrap()
        .to_string();
    let status = response.status().as_u16();
    (id, status, response.text().await.unwrap())
}

fn sms_params(from: &str, to: &str, sid: &str, body: &str) -> Vec<(String, String)> {
    [
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("ApiVersion", "2010-04-01"),
        ("Body", body),
        ("From", from),
        ("FromCountry", "FR"),
        ("MessageSid", sid),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsMessageSid", sid),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("To", to),
        ("ToCountry", "FR"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec()
}

/// The `request` span of a JSON line, if it was emitted inside one.
fn request_span(line: &Value) -> Option<&Value> {
    line["spans"]
        .as_array()?
        .iter()
        .find(|span| span["name"] == "request")
}

fn line_request_id(line: &Value) -> Option<&str> {
    request_span(line)?["request_id"].as_str()
}

/// Every name of the table at the top of `src/serve/metrics.rs`.
fn documented_metrics() -> Vec<String> {
    include_str!("../../src/serve/metrics.rs")
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .filter_map(|line| line.strip_prefix("//! | `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_call_and_an_sms_leave_json_logs_with_request_ids_and_no_number() {
    let logs = Captured::default();
    let dispatch = telemetry::dispatch(LogFormat::Json, EnvFilter::new("debug"), logs.clone());
    let _logging = tracing::dispatcher::set_default(&dispatch);
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    // The first SMS attempt fails once (a retry), then goes through.
    h.fake.push_faults([Fault::Status(503)]);

    let mut turns: BTreeMap<u32, String> = BTreeMap::new();
    let (start_id, status, _) = webhook(
        &h,
        "/twilio/voice",
        &twilio_call(CALL, CALLER, MAIRIE, "ringing"),
        Some("obs-call.start-1"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(start_id, "obs-call.start-1", "a sane incoming id is echoed");
    turns.insert(0, start_id);
    for (seq, speech) in [
        (1, "mon passeport est expiré"),
        (2, "non merci"),
        (3, "oui"),
    ] {
        let path = format!("/twilio/voice/turn?seq={seq}");
        // An id a client may not choose (here a phone number) is replaced by a fresh one.
        let (id, status, _) = webhook(
            &h,
            &path,
            &twilio_speech(CALL, CALLER, speech),
            Some(CALLER),
        )
        .await;
        assert_eq!(status, 200);
        assert_ne!(id, CALLER);
        assert!(telemetry::is_sane_request_id(id.as_bytes()), "{id}");
        assert!(!turns.values().any(|other| other == &id), "ids are unique");
        turns.insert(seq, id);
    }
    let (_, status, _) = webhook(
        &h,
        "/twilio/status",
        &twilio_call(CALL, CALLER, MAIRIE, "completed"),
        None,
    )
    .await;
    assert_eq!(status, 200);

    let (sms_id, status, twiml) = webhook(
        &h,
        "/twilio/sms",
        &sms_params(
            CALLER,
            MAIRIE,
            "SM0000000000000000000000000000ob01",
            "Bonjour, quels sont les horaires de la mairie ?",
        ),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(twiml.contains("<Message>"), "{twiml}");
    // A number of no commune is logged masked.
    let (_, status, _) = webhook(
        &h,
        "/twilio/sms",
        &sms_params(
            CALLER,
            "+33199999999",
            "SM0000000000000000000000000000ob02",
            "allo",
        ),
        None,
    )
    .await;
    assert_eq!(status, 200);

    let sms = h.wait_for_sms(1).await;
    assert_eq!(sms.len(), 1, "the passport answer's SMS is sent");
    assert_eq!(sms[0].to, CALLER);
    // The outbox worker records its outcome after the provider answered: poll /metrics.
    let mut metrics = String::new();
    for _ in 0..250 {
        metrics = h.metrics().await;
        if metric(&metrics, "guichet_outbox_depth", &[]) == 0.0
            && metric(&metrics, "guichet_outbox_oldest_pending_seconds", &[]) == 0.0
            && metric(&metrics, "guichet_sms_sent_total", &["provider=\"twilio\""]) >= 1.0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    h.stop().await;
    drop(_logging);

    // ---- logs ----
    let text = logs.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(lines.len() > 10, "{text}");
    for line in &lines {
        for key in ["timestamp", "level", "target"] {
            assert!(line[key].is_string(), "{key} missing: {line}");
        }
        assert!(line["fields"].is_object(), "{line}");
    }
    for number in [CALLER, "33612345678", "0612345678", "+33199999999"] {
        assert!(!text.contains(number), "{number} in the logs:\n{text}");
    }
    assert!(
        text.contains("+331******99"),
        "the unknown number is logged masked:\n{text}"
    );

    // The engine's line of each turn carries the request id its response returned.
    for (seq, id) in &turns {
        let turn_line = lines
            .iter()
            .find(|line| {
                line["fields"]["message"] == "turn"
                    && line["fields"]["conversation"] == CALL
                    && line["fields"]["seq"] == *seq
            })
            .unwrap_or_else(|| panic!("no engine line for turn {seq}:\n{text}"));
        assert_eq!(line_request_id(turn_line), Some(id.as_str()), "{turn_line}");
        let span = request_span(turn_line).unwrap();
        assert_eq!(span["tenant"], "villebourg", "{turn_line}");
        let route = if *seq == 0 {
            "/twilio/voice"
        } else {
            "/twilio/voice/turn"
        };
        assert_eq!(span["route"], route, "{turn_line}");
        // …and so does every line of that request, down to the response line.
        let of_request: Vec<&Value> = lines
            .iter()
            .filter(|line| line_request_id(line) == Some(id.as_str()))
            .collect();
        assert!(
            of_request.iter().any(|line| line["fields"]["message"]
                == "finished processing request"
                && line["fields"]["status"] == 200),
            "{of_request:?}"
        );
    }
    let sms_turn = lines
        .iter()
        .find(|line| line["fields"]["message"] == "turn" && line["fields"]["conversation"] != CALL)
        .expect("the SMS turn's engine line");
    assert_eq!(line_request_id(sms_turn), Some(sms_id.as_str()));
    assert!(
        lines.iter().any(
            |line| line["fields"]["message"] == "delivery failed, will retry"
                && line["fields"]["queue"] == "sms"
        ),
        "the failed attempt is logged:\n{text}"
    );

    // ---- metrics ----
    for name in documented_metrics() {
        assert!(
            metrics.contains(&format!("# TYPE {name} ")),
            "{name} not exposed:\n{metrics}"
        );
    }
    let voice = metric(
        &metrics,
        "guichet_turns_total",
        &["provider=\"twilio\"", "channel=\"voice\""],
    );
    assert!(voice >= 4.0, "{voice}");
    assert!(metric(&metrics, "guichet_turns_total", &["channel=\"sms\""]) >= 1.0);
    assert!(
        metric(
            &metrics,
            "guichet_decisions_total",
            &["tenant=\"villebourg\""]
        ) >= 5.0
    );
    assert!(
        metric(
            &metrics,
            "guichet_store_operation_seconds_count",
            &["operation=\"save_turn\""]
        ) >= 5.0
    );
    // The SMS finds its conversation by number in the store (a call's session is this node's
    // own on SQLite: it is not read back).
    assert!(
        metric(
            &metrics,
            "guichet_store_operation_seconds_count",
            &["operation=\"active_session_for_caller\""]
        ) >= 1.0
    );
    assert_eq!(metric(&metrics, "guichet_store_errors_total", &[]), 0.0);
    assert_eq!(
        metric(
            &metrics,
            "guichet_http_requests_total",
            &["route=\"/twilio/voice/turn\"", "status=\"200\""]
        ),
        3.0
    );
    assert_eq!(
        metric(
            &metrics,
            "guichet_http_requests_total",
            &["route=\"/twilio/sms\""]
        ),
        2.0
    );
    assert_eq!(
        metric(
            &metrics,
            "guichet_unknown_numbers_total",
            &["provider=\"twilio\""]
        ),
        1.0
    );
    assert_eq!(
        metric(&metrics, "guichet_sms_sent_total", &["provider=\"twilio\""]),
        1.0
    );
    assert_eq!(
        metric(
            &metrics,
            "guichet_sms_failed_total",
            &["provider=\"twilio\"", "reason=\"retry\""]
        ),
        1.0
    );
    assert_eq!(metric(&metrics, "guichet_sms_dead_total", &[]), 0.0);
    assert_eq!(metric(&metrics, "guichet_outbox_depth", &[]), 0.0);
    assert_eq!(
        metric(&metrics, "guichet_outbox_oldest_pending_seconds", &[]),
        0.0
    );
    assert_eq!(
        metric(
            &metrics,
            "guichet_build_info",
            &[&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
}

#[tokio::test]
async fn text_logs_name_the_request_and_an_unknown_route_still_gets_an_id() {
    let logs = Captured::default();
    let dispatch = telemetry::dispatch(LogFormat::Text, EnvFilter::new("info"), logs.clone());
    let _logging = tracing::dispatcher::set_default(&dispatch);
    let h = Harness::start(SmsProvider::None, open_hours()).await;
    let response = h
        .http
        .get(format!("{}/no/such/page", h.base))
        .header("X-Request-Id", "x".repeat(65))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36, "a UUID replaces a too long id: {id}");
    let metrics = h.metrics().await;
    h.stop().await;
    drop(_logging);
    assert_eq!(
        metric(
            &metrics,
            "guichet_http_requests_total",
            &["route=\"unmatched\"", "status=\"404\""]
        ),
        1.0
    );
    let text = logs.text();
    let line = text
        .lines()
        .find(|line| line.contains(&id))
        .unwrap_or_else(|| panic!("no line with {id}:\n{text}"));
    assert!(line.contains("request{request_id="), "{line}");
    assert!(line.contains("route=\"unmatched\""), "{line}");
    assert!(line.contains("status=404"), "{line}");
    assert!(!line.contains('\u{1b}'), "no colours in a file: {line}");
}
