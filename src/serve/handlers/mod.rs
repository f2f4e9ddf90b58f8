//! HTTP handlers, one module per provider; they parse, call [`super::conversation`], render.
//! [`voice`] is the one voice handler over a [`voice::VoiceProvider`] (Twilio, Vonage and
//! jambonz are on it); [`sms`] is what their SMS webhooks share (an incoming SMS as a turn, a
//! delivery report); how a transfer ended is decided once, in [`super::transfer`].

pub mod api;
pub mod jambonz;
pub mod ops;
pub mod sms;
pub mod twilio;
pub mod voice;
pub mod vonage;

use axum::http::header::HeaderName;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use chrono::{DateTime, Utc};
use guichet_agent::{Action, Reply};
use serde::Serialize;

use super::state::AppState;

/// The response header carrying the turn's decision (JSON), read by `guichet eval --url`.
pub const DECISION_HEADER: HeaderName = HeaderName::from_static("x-guichet-decision");

/// The response header carrying the turn's actions (JSON array), read by `guichet eval --url`.
pub const ACTIONS_HEADER: HeaderName = HeaderName::from_static("x-guichet-actions");

/// The request header by which `guichet eval --url` (and the tests) ask for the decision and
/// actions headers of a Twilio turn: they are not sent back to the provider otherwise.
pub const TRACE_HEADER: &str = "x-guichet-trace";

/// The request header by which `guichet eval --url` gives the recorded dialogue's instant.
pub const NOW_HEADER: &str = "x-guichet-now";

/// The instant a request asks its turn to happen at (`X-Guichet-Now`, RFC 3339). Honoured only
/// when the service runs on a test's clock (`Settings::clock`), so that recorded dialogues about
/// opening hours replay over HTTP as in process; the system clock is never set by a request.
pub fn requested_now(state: &AppState, headers: &HeaderMap) -> Option<DateTime<Utc>> {
    if state.settings.clock.is_system() {
        return None;
    }
    let text = headers.get(NOW_HEADER)?.to_str().ok()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Adds the decision and actions headers of a turn to its response, when the request asked for
/// them ([`TRACE_HEADER`]).
pub fn with_trace_headers(mut response: Response, reply: &Reply, request: &HeaderMap) -> Response {
    if !request.contains_key(TRACE_HEADER) {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(DECISION_HEADER, header_value(&decision_header(reply)));
    headers.insert(ACTIONS_HEADER, header_value(&actions_header(reply)));
    response
}

/// What we say when a number belongs to no commune.
pub const UNKNOWN_NUMBER_MESSAGE: &str = "Bonjour. Ce numéro n'est relié à aucun service de mairie. Merci de vérifier le numéro composé. Au revoir.";

pub fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("{}"))
}

/// The JSON of a decision with every non-ASCII character escaped, fit for an HTTP header.
pub fn decision_header(reply: &Reply) -> String {
    ascii_json(&reply.trace)
}

/// The JSON of a reply's actions, fit for an HTTP header (read by `guichet eval --url`).
/// `Listen` keeps no speech-recognition hints: they are for the recogniser, and the whole
/// keyword list of the commune would make the header huge.
pub fn actions_header(reply: &Reply) -> String {
    let actions: Vec<Action> = reply.actions.iter().map(Action::without_hints).collect();
    ascii_json(&actions)
}

/// JSON with every non-ASCII or control character escaped as `\uXXXX`.
fn ascii_json<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;
    use guichet_agent::{Decision, DecisionAction};

    use super::*;

    #[test]
    fn trace_headers_only_when_asked() {
        let reply = Reply {
            say: Vec::new(),
            actions: Vec::new(),
            trace: Decision {
                action: DecisionAction::Greet,
                rule: "greeting".into(),
                fiche: None,
                confidence: None,
                margin: None,
                understood: String::new(),
                satisfaction: None,
            },
        };
        let plain = with_trace_headers("ok".into_response(), &reply, &HeaderMap::new());
        assert!(plain.headers().get(DECISION_HEADER).is_none());
        assert!(plain.headers().get(ACTIONS_HEADER).is_none());

        let mut asked = HeaderMap::new();
        asked.insert(TRACE_HEADER, HeaderValue::from_static("1"));
        let traced = with_trace_headers("ok".into_response(), &reply, &asked);
        let decision = traced.headers().get(DECISION_HEADER).unwrap();
        assert!(decision.to_str().unwrap().contains("\"greet\""));
        assert_eq!(traced.headers().get(ACTIONS_HEADER).unwrap(), "[]");
    }

    #[test]
    fn decision_header_is_ascii_json() {
        let reply = Reply {
            say: Vec::new(),
            actions: Vec::new(),
            trace: Decision {
                action: DecisionAction::Answer,
                rule: "fiche".into(),
                fiche: Some("passeport".into()),
                confidence: Some(0.5),
                margin: None,
                understood: "passeport expiré 😀".into(),
                satisfaction: None,
            },
        };
        let header = decision_header(&reply);
        assert!(header.is_ascii());
        let back: Decision = serde_json::from_str(&header).unwrap();
        assert_eq!(back, reply.trace);
    }
}
