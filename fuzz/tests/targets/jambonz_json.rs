//! Fuzz target `jambonz_json`: the bodies of the jambonz webhooks (call webhook with its SIP
//! INVITE, `gather` and `dial` actionHooks, call status, inbound SMS), parsed as the service
//! parses them; numbers come in any trunk spelling.

use crate::common;

use guichet_connectors::jambonz::webhook::{
    CallHook, CallStatus, DialResult, DialStatus, GatherReason, GatherResult, IncomingMessage,
};
use guichet_fuzz::ensure;
use guichet_phone::stored_number;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

const TARGET: &str = "jambonz_json";

const WORDS: &[&str] = &[
    "\"call_sid\"",
    "\"direction\"",
    "\"inbound\"",
    "\"outbound\"",
    "\"from\"",
    "\"to\"",
    "\"call_status\"",
    "\"caller_name\"",
    "\"sip\"",
    "\"headers\"",
    "\"reason\"",
    "\"speechDetected\"",
    "\"dtmfDetected\"",
    "\"timeout\"",
    "\"stt-low-confidence\"",
    "\"speech\"",
    "\"alternatives\"",
    "\"transcript\"",
    "\"confidence\"",
    "\"digits\"",
    "\"dial_call_status\"",
    "\"dial_sip_status\"",
    "\"completed\"",
    "\"no-answer\"",
    "\"duration\"",
    "\"message_sid\"",
    "\"text\"",
    "\"0612345678\"",
    "\"33612345678\"",
    "\"+33612345678\"",
    "0.92",
];

fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => any::<String>().prop_map(Value::String),
        2 => select(&[
            "", " ", "0612345678", "33612345678", "0033612345678", "+33612345678", "anonymous",
            "0", "00", "06123456789", "sip:standard@pbx.example",
        ][..])
        .prop_map(|s| json!(s)),
        1 => Just(Value::Null),
        1 => any::<i64>().prop_map(|n| json!(n)),
    ]
}

fn word(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => select(words).prop_map(|w| json!(w)),
        1 => text(),
    ]
}

fn confidence() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>().prop_map(|c| json!(c)),
        (0.0f64..=1.0).prop_map(|c| json!(c)),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        Just(Value::Null),
        any::<String>().prop_map(Value::String),
    ]
}

/// Hook bodies of the five shapes, with odd values in their fields.
fn fresh() -> BoxedStrategy<Vec<u8>> {
    let call = (
        text(),
        word(&["inbound", "outbound", "sideways"]),
        text(),
        text(),
        word(&["trying", "in-progress", "completed", "no-answer", "queued", "bored"]),
    )
        .prop_map(|(sid, direction, from, to, status)| {
            json!({"call_sid": sid, "direction": direction, "from": from, "to": to, "call_status": status})
        });
    let alternative = (text(), confidence()).prop_map(
        |(transcript, confidence)| json!({"transcript": transcript, "confidence": confidence}),
    );
    let extra = prop_oneof![
        (vec((any::<String>(), text()), 0..4), text()).prop_map(|(headers, name)| {
            let headers: serde_json::Map<String, Value> = headers.into_iter().collect();
            json!({"caller_name": name, "sip": {"headers": headers, "method": "INVITE"}})
        }),
        (
            word(&["speechDetected", "dtmfDetected", "timeout", "error", "stt-low-confidence"]),
            vec(alternative, 0..4),
            text(),
        )
            .prop_map(|(reason, alternatives, digits)| {
                json!({"reason": reason, "speech": {"alternatives": alternatives}, "digits": digits})
            }),
        (word(&["completed", "busy", "no-answer", "failed", "ringing"]), any::<u16>())
            .prop_map(|(status, sip)| json!({"dial_call_status": status, "dial_sip_status": sip})),
        (any::<u32>(), word(&["caller", "jambonz"]))
            .prop_map(|(duration, by)| json!({"duration": duration, "call_termination_by": by})),
        (text(), text()).prop_map(|(sid, message)| json!({"message_sid": sid, "text": message})),
    ];
    (call, extra)
        .prop_map(|(mut call, extra)| {
            if let (Some(call), Value::Object(extra)) = (call.as_object_mut(), extra) {
                call.extend(extra);
            }
            serde_json::to_vec(&call).unwrap_or_default()
        })
        .boxed()
}

fn check_number(raw: &str) -> Result<(), String> {
    let once = stored_number(raw);
    ensure(stored_number(&once) == once, || {
        format!(
            "stored_number is not stable: {raw:?} -> {once:?} -> {:?}",
            stored_number(&once)
        )
    })
}

fn check(body: &[u8]) -> Result<(), String> {
    if let Ok(hook) = CallHook::parse(body) {
        check_number(&hook.call.from)?;
        check_number(&hook.call.to)?;
        ensure(
            hook.sip_headers
                .keys()
                .all(|name| *name == name.to_ascii_lowercase()),
            || {
                format!(
                    "SIP header names not lower-cased: {:?}",
                    hook.sip_headers.keys()
                )
            },
        )?;
        common::check_inbound(&hook.inbound("demo"))?;
    }
    if let Ok(result) = GatherResult::parse(body) {
        let inbound = result.inbound("demo");
        ensure(inbound.text == inbound.text.trim(), || {
            format!("transcript not trimmed: {:?}", inbound.text)
        })?;
        ensure(
            inbound.dtmf.is_some() == (result.reason == GatherReason::DtmfDetected),
            || format!("keys {:?} for a {:?}", inbound.dtmf, result.reason),
        )?;
        ensure(
            inbound.text.is_empty()
                || matches!(
                    result.reason,
                    GatherReason::SpeechDetected | GatherReason::LowConfidence
                ),
            || format!("a transcript for a {:?}", result.reason),
        )?;
        common::check_inbound(&inbound)?;
    }
    if let Ok(dial) = DialResult::parse(body) {
        ensure(
            dial.connected() == (dial.status == DialStatus::Completed),
            || format!("{dial:?} connected: {}", dial.connected()),
        )?;
    }
    if let Ok(status) = CallStatus::parse(body) {
        ensure(!status.ends_conversation() || status.is_final(), || {
            format!("{status:?} ends the conversation without being final")
        })?;
    }
    if let Ok(message) = IncomingMessage::parse(body) {
        check_number(&message.from)?;
        common::check_inbound(&message.inbound("demo", "sms-1"))?;
    }
    Ok(())
}

#[test]
fn jambonz_webhook_bodies() {
    guichet_fuzz::fuzz_bytes(TARGET, WORDS, fresh(), check);
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the spelling a trunk uses, a French mobile reaches the engine in E.164.
    #[test]
    fn trunk_spellings_of_one_number_agree(national in "[67][0-9]{8}") {
        let e164 = format!("+33{national}");
        for spelling in [format!("0{national}"), format!("33{national}"), format!("0033{national}"), e164.clone()] {
            prop_assert_eq!(stored_number(&spelling), e164.clone());
        }
    }
}
