//! The fake jambonz REST API's `POST /v1/Accounts/{account_sid}/Messages` (jambonz-api-server's
//! `createMessage`): bearer API key of the account, JSON `{from, to, text}` (and `carrier`),
//! answered as jambonz answers, `{sid, carrierResponse}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::super::{
    Received, Shared, content_type_is, fault_response, is_alphanumeric_sender, next_fault, reject,
};

/// What the message verb's validator accepts (an unknown property makes jambonz fail the send).
const FIELDS: &[&str] = &["from", "to", "text", "carrier", "media"];

fn error(message: &str) -> Value {
    json!({ "msg": message })
}

fn bearer_matches(headers: &HeaderMap, api_key: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token.trim() == api_key)
}

/// International digits without `+` (so no leading 0), as an SMPP destination address.
fn is_smpp_number(number: &str) -> bool {
    (8..=15).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
        && !number.starts_with('0')
}

/// What is wrong with a message body, if anything.
fn problem(message: &Map<String, Value>) -> Option<String> {
    if let Some(unknown) = message.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Some(format!("message: unknown property {unknown}"));
    }
    let field = |name: &str| message.get(name).and_then(Value::as_str);
    let (Some(from), Some(to)) = (field("from"), field("to")) else {
        return Some("missing from or to property".into());
    };
    let text = field("text").unwrap_or("");
    if text.trim().is_empty() {
        return Some("either text or media required in outbound message".into());
    }
    if !is_smpp_number(to) {
        return Some(format!("invalid to {to}: international digits without +"));
    }
    if !is_smpp_number(from) && !is_alphanumeric_sender(from) {
        return Some(format!("invalid from {from}"));
    }
    if text.chars().count() > 1600 {
        return Some("text longer than 1600 characters".into());
    }
    None
}

pub(in crate::testkit) async fn messages(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = next_fault(&shared).await {
        return fault_response(fault, error("fault injected"));
    }
    let credentials = &shared.credentials;
    if !bearer_matches(&headers, &credentials.jambonz_api_key) {
        return reject(
            &shared,
            StatusCode::UNAUTHORIZED,
            "jambonz: authentication".into(),
            error("Unauthorized"),
        );
    }
    if account != credentials.jambonz_account_sid {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("jambonz: account {account}"),
            error(&format!(
                "unauthorized createMessage request for account {account}"
            )),
        );
    }
    if !content_type_is(&headers, "application/json") {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            "jambonz: content type".into(),
            error("JSON expected"),
        );
    }
    let Ok(Value::Object(message)) = serde_json::from_slice::<Value>(&body) else {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            "jambonz: JSON shape".into(),
            error("malformed JSON"),
        );
    };
    if let Some(problem) = problem(&message) {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("jambonz: {problem}"),
            error(&problem),
        );
    }
    let field = |name: &str| {
        message
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let id = shared.record(|n| Received {
        provider: "jambonz",
        id: format!("6f4e3c2a-0000-4000-8000-{n:012x}"),
        to: format!("+{}", field("to")),
        from: field("from"),
        text: field("text"),
        status_callback: None,
        client_ref: None,
    });
    (
        StatusCode::OK,
        axum::Json(json!({
            "sid": id,
            "carrierResponse": { "message_id": format!("smsc-{id}"), "carrier": "operateur-fr" },
        })),
    )
        .into_response()
}
