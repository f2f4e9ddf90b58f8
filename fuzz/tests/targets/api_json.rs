//! Fuzz target `api_json`: the request bodies of the generic JSON API
//! (`POST /api/v1/conversations`, `POST /api/v1/conversations/{id}/turns`).

use crate::common;

use guichet_connectors::api::{CreateConversation, TurnRequest};
use guichet_connectors::text::MAX_CALLER_TEXT_CHARS as MAX_TEXT_CHARS;
use guichet_fuzz::ensure;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

const TARGET: &str = "api_json";

const WORDS: &[&str] = &[
    "\"to\"",
    "\"from\"",
    "\"channel\"",
    "\"text\"",
    "\"dtmf\"",
    "\"chat\"",
    "\"sms\"",
    "\"voice\"",
    "\"+33612345678\"",
    ":",
    ",",
];

/// A text around the length limit, in ASCII or in two-byte characters (the limit is in
/// characters, not bytes).
fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => any::<String>().prop_map(Value::String),
        2 => (MAX_TEXT_CHARS - 2..MAX_TEXT_CHARS + 3, select(&["a", "é", "🙂"][..]))
            .prop_map(|(count, unit)| Value::String(unit.repeat(count))),
        1 => Just(Value::Null),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => Just(json!(["a"])),
    ]
}

/// Request objects with known and unknown keys.
fn fresh() -> BoxedStrategy<Vec<u8>> {
    let key = prop_oneof![
        6 => select(&["to", "from", "channel", "text", "dtmf"][..]).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    let value = prop_oneof![
        3 => text(),
        2 => select(&["chat", "sms", "voice", "fax", "Chat", ""][..]).prop_map(|s| json!(s)),
    ];
    proptest::collection::vec((key, value), 0..6)
        .prop_map(|fields| {
            let object: Map<String, Value> = fields.into_iter().collect();
            serde_json::to_vec(&Value::Object(object)).unwrap_or_default()
        })
        .boxed()
}

fn text_fits(text: &str) -> Result<(), String> {
    let count = text.chars().count();
    ensure(count <= MAX_TEXT_CHARS, || {
        format!("a text of {count} characters went through (limit {MAX_TEXT_CHARS})")
    })
}

fn check(body: &[u8]) -> Result<(), String> {
    match CreateConversation::parse(body) {
        Ok(request) => {
            if let Some(text) = &request.text {
                text_fits(text)?;
            }
            let again = serde_json::to_vec(&request)
                .map_err(|error| error.to_string())
                .and_then(|json| CreateConversation::parse(&json).map_err(|e| e.to_string()));
            ensure(again.as_ref() == Ok(&request), || {
                format!("{request:?} does not survive serialization: {again:?}")
            })?;
            common::check_inbound(&request.inbound("demo", "demo.1"))?;
        }
        Err(_) => ensure(!body.iter().all(u8::is_ascii_whitespace), || {
            "an empty body must create a conversation".into()
        })?,
    }
    if let Ok(request) = TurnRequest::parse(body) {
        text_fits(&request.text)?;
        let again = serde_json::to_vec(&request)
            .map_err(|error| error.to_string())
            .and_then(|json| TurnRequest::parse(&json).map_err(|e| e.to_string()));
        ensure(again.as_ref() == Ok(&request), || {
            format!("{request:?} does not survive serialization: {again:?}")
        })?;
    }
    Ok(())
}

#[test]
fn json_api_request_bodies() {
    guichet_fuzz::fuzz_bytes(TARGET, WORDS, fresh(), check);
}
