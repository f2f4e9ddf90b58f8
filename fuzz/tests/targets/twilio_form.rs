//! Fuzz target `twilio_form`: the bodies of `/twilio/voice`, `/twilio/voice/turn`, `/twilio/sms`
//! and `/twilio/status`, parsed as the service parses them (`Form::parse`, then each webhook's
//! `parse` and `inbound`).

use crate::common;

use guichet_connectors::twilio::webhook::StatusCallback;
use guichet_connectors::twilio::{Form, GatherResult, IncomingCall, IncomingSms};
use guichet_fuzz::ensure;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const TARGET: &str = "twilio_form";

const KEYS: &[&str] = &[
    "CallSid",
    "From",
    "Caller",
    "To",
    "SpeechResult",
    "Confidence",
    "Digits",
    "MessageSid",
    "SmsSid",
    "Body",
    "CallStatus",
    "CallDuration",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
];

const WORDS: &[&str] = &[
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
    "in-progress",
    "delivered",
    "undelivered",
    "read",
    "anonymous",
    "+33612345678",
    "+33130000001",
    "0612345678",
    "+262692000000",
    "+0",
    "0.9216",
    "1.0000001",
    "-0.0",
    "1e-50",
];

/// Forms of known keys and odd values, encoded by the crate's own encoder.
fn fresh() -> BoxedStrategy<Vec<u8>> {
    let key = prop_oneof![
        4 => select(KEYS).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    let value = prop_oneof![
        2 => any::<String>(),
        2 => select(WORDS).prop_map(str::to_owned),
        1 => "[+]?[0-9 ]{0,18}",
        1 => "-?[0-9]{0,3}([.][0-9]{0,8})?(e-?[0-9]{1,3})?",
    ];
    vec((key, value), 0..14)
        .prop_map(|pairs| Form::from_pairs(pairs).encode().into_bytes())
        .boxed()
}

fn check(body: &[u8]) -> Result<(), String> {
    let Ok(form) = Form::parse(body) else {
        return Ok(());
    };
    let again = Form::parse(form.encode().as_bytes())
        .map_err(|error| format!("the re-encoded form does not parse: {error}"))?;
    ensure(again == form, || {
        format!("encode then parse changed the form: {form:?} → {again:?}")
    })?;

    if let Ok(call) = IncomingCall::parse(&form) {
        ensure(!call.call_sid.is_empty() && !call.to.is_empty(), || {
            format!("a call without CallSid or To was accepted: {call:?}")
        })?;
        common::check_inbound(&call.inbound("demo"))?;
    }
    if let Ok(gather) = GatherResult::parse(&form) {
        if let Some(confidence) = gather.confidence {
            ensure((0.0..=1.0).contains(&confidence), || {
                format!("Confidence {confidence} accepted outside [0, 1]")
            })?;
        }
        ensure(gather.speech == gather.speech.trim(), || {
            format!("speech not trimmed: {:?}", gather.speech)
        })?;
        common::check_inbound(&gather.inbound("demo"))?;
    }
    if let Ok(sms) = IncomingSms::parse(&form) {
        ensure(!sms.message_sid.is_empty() && !sms.from.is_empty(), || {
            format!("an SMS without MessageSid or From was accepted: {sms:?}")
        })?;
        common::check_inbound(&sms.inbound("demo", "sms-1"))?;
    }
    match StatusCallback::parse(&form) {
        Ok(StatusCallback::Call(call)) => {
            let _ = call.is_final();
        }
        Ok(StatusCallback::Message(message)) => {
            let _ = message.delivery();
        }
        Err(_) => {}
    }
    Ok(())
}

#[test]
fn twilio_webhook_forms() {
    let mut tokens: Vec<&str> = KEYS.to_vec();
    tokens.extend(WORDS);
    tokens.extend(["=", "&", "%2B", "%26", "%3D", "+"]);
    guichet_fuzz::fuzz_bytes(TARGET, &tokens, fresh(), check);
}
