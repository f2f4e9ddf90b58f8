//! Fuzz target `vonage_json`: the bodies of `/vonage/answer` (JSON body or query string),
//! `/vonage/input`, `/vonage/event` and `/vonage/sms` (and SMS delivery statuses), parsed as the
//! service parses them; `confidence` may come as a number or a string.

use crate::common;

use guichet_connectors::vonage::webhook::{
    AnswerRequest, CallEvent, IncomingSms, InputEvent, MessageStatus,
};
use guichet_fuzz::ensure;
use guichet_phone::stored_number;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

const TARGET: &str = "vonage_json";

const WORDS: &[&str] = &[
    "\"uuid\"",
    "\"conversation_uuid\"",
    "\"from\"",
    "\"to\"",
    "\"speech\"",
    "\"results\"",
    "\"confidence\"",
    "\"text\"",
    "\"timeout_reason\"",
    "\"error\"",
    "\"dtmf\"",
    "\"digits\"",
    "\"timed_out\"",
    "\"status\"",
    "\"message_uuid\"",
    "\"messageId\"",
    "\"msisdn\"",
    "\"completed\"",
    "\"33612345678\"",
    "\"0.93\"",
    "0.93",
    "uuid=",
    "&to=",
    "&from=",
];

fn confidence() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f32>().prop_map(|c| json!(c)),
        (0.0f32..=1.0).prop_map(|c| json!(c)),
        (0.0f32..=1.0).prop_map(|c| json!(c.to_string())),
        any::<String>().prop_map(Value::String),
        select(&["NaN", "inf", "-inf", " 0.5 ", "", "1e39", "-0"][..]).prop_map(|s| json!(s)),
        Just(Value::Null),
    ]
}

fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => any::<String>().prop_map(Value::String),
        1 => select(&["", " ", "33612345678", "+33612345678", "anonymous", "0"][..])
            .prop_map(|s| json!(s)),
        1 => Just(Value::Null),
        1 => any::<i64>().prop_map(|n| json!(n)),
    ]
}

/// Webhook bodies of the four shapes with odd values in their fields.
fn fresh() -> BoxedStrategy<Vec<u8>> {
    let result = (text(), confidence())
        .prop_map(|(text, confidence)| json!({ "text": text, "confidence": confidence }));
    let input = (
        text(),
        text(),
        vec(result, 0..4),
        prop::option::of(text()),
        prop::option::of(text()),
    )
        .prop_map(|(uuid, from, results, digits, reason)| {
            json!({
                "uuid": uuid, "from": from, "to": "33130000001",
                "speech": { "results": results, "timeout_reason": reason },
                "dtmf": { "digits": digits, "timed_out": false },
            })
        });
    let answer = (text(), text(), text())
        .prop_map(|(uuid, from, to)| json!({ "uuid": uuid, "from": from, "to": to }));
    let event =
        (text(), text()).prop_map(|(uuid, status)| json!({ "uuid": uuid, "status": status }));
    let sms = (text(), text(), text(), any::<bool>()).prop_map(|(id, from, text, legacy)| {
        if legacy {
            json!({ "messageId": id, "msisdn": from, "to": "33130000001", "text": text })
        } else {
            json!({ "message_uuid": id, "from": from, "to": "33130000001", "text": text })
        }
    });
    prop_oneof![input, answer, event, sms]
        .prop_map(|body| serde_json::to_vec(&body).unwrap_or_default())
        .boxed()
}

fn check(body: &[u8]) -> Result<(), String> {
    if let Ok(answer) = AnswerRequest::from_json(body) {
        common::check_inbound(&answer.inbound("demo"))?;
    }
    if let Ok(answer) = AnswerRequest::from_query(&String::from_utf8_lossy(body)) {
        common::check_inbound(&answer.inbound("demo"))?;
    }
    if let Ok(input) = InputEvent::parse(body) {
        if let Some(best) = input.best() {
            ensure(!best.text.trim().is_empty(), || {
                format!("best result has no text: {best:?}")
            })?;
        }
        let inbound = input.inbound("demo");
        ensure(inbound.text == inbound.text.trim(), || {
            format!("speech not trimmed: {:?}", inbound.text)
        })?;
        common::check_inbound(&inbound)?;
    }
    if let Ok(event) = CallEvent::parse(body) {
        let _ = event.is_final();
    }
    if let Ok(sms) = IncomingSms::parse(body) {
        let inbound = sms.inbound("demo", "sms-1");
        ensure(inbound.from == stored_number(&sms.from), || {
            format!("SMS sender {:?} became {:?}", sms.from, inbound.from)
        })?;
        common::check_inbound(&inbound)?;
    }
    if let Ok(status) = MessageStatus::parse(body) {
        let _ = status.delivery();
    }
    Ok(())
}

#[test]
fn vonage_webhook_bodies() {
    guichet_fuzz::fuzz_bytes(TARGET, WORDS, fresh(), check);
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the API version, `"0.87"` and `0.87` are the same confidence.
    #[test]
    fn confidence_as_string_or_number_is_the_same(confidence in 0.0f32..=1.0, text in "[a-z ]{1,20}") {
        prop_assume!(!text.trim().is_empty());
        let parse = |value: Value| {
            let body = json!({ "uuid": "u", "speech": { "results": [{ "text": text, "confidence": value }] } });
            InputEvent::parse(body.to_string().as_bytes()).map(|event| event.inbound("demo").asr_confidence)
        };
        let as_number = parse(json!(confidence));
        let as_string = parse(json!(confidence.to_string()));
        prop_assert_eq!(&as_number, &Ok(Some(confidence)));
        prop_assert_eq!(as_number, as_string);
    }
}
