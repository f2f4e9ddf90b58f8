//! HTTP handlers, one module per provider; they parse, call [`super::conversation`], render.
//! [`voice`] is the one voice handler over a [`voice::VoiceProvider`] (Twilio, Vonage and
//! jambonz are on it); how a transfer ended is decided once, in [`super::transfer`].

pub mod api;
pub mod jambonz;
pub mod ops;
pub mod twilio;
pub mod voice;
pub mod vonage;

use axum::http::header::HeaderName;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use chrono::{DateTime, Utc};
use guichet_agent::Reply;

use super::conversation;
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
/// when the service runs on a frozen clock (`frozen_now`, a test setting), so that recorded
/// dialogues about opening hours replay over HTTP as in process; a real clock is never set by
/// a request.
pub fn requested_now(state: &AppState, headers: &HeaderMap) -> Option<DateTime<Utc>> {
    state.settings.frozen_now?;
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
    headers.insert(
        DECISION_HEADER,
        header_value(&conversation::decision_header(reply)),
    );
    headers.insert(
        ACTIONS_HEADER,
        header_value(&conversation::actions_header(reply)),
    );
    response
}

/// What we say when a number belongs to no commune.
pub const UNKNOWN_NUMBER_MESSAGE: &str = "Bonjour. Ce numéro n'est relié à aucun service de mairie. Merci de vérifier le numéro composé. Au revoir.";

pub fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("{}"))
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
}
