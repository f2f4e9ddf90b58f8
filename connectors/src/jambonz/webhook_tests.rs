use serde_json::{Value, json};

use super::*;

/// The call information jambonz puts in every hook (snake_case, as the feature server sends it).
fn call_info(status: &str) -> Value {
    json!({
        "call_sid": "b3c1e6a2-6a5e-4d5c-9a61-0d3c1f7e2a11",
        "direction": "inbound",
        "from": "0612345678",
        "to": "33130000001",
        "call_id": "935f3b60-2775-123d-a6a1-0a1b2c3d4e5f",
        "sbc_callid": "1dfb7a86-2772-123d-37bf-0a1b2c3d4e5f",
        "sip_status": 200,
        "sip_reason": "OK",
        "call_status": status,
        "account_sid": "9d26a637-1679-471f-8da8-7150266e1254",
        "trace_id": "151b12417e6460b82a97188348066439",
        "application_sid": "33b259c1-303d-486a-a8dd-0a1b2c3d4e5f",
        "fs_sip_address": "10.0.0.5:5060",
        "originating_sip_ip": "192.0.2.10",
        "originating_sip_trunk_name": "operateur-fr",
        "api_base_url": "https://jambonz.villebourg.fr/api/v1"
    })
}

fn with(mut base: Value, extra: Value) -> Vec<u8> {
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    serde_json::to_vec(&base).unwrap()
}

#[test]
fn the_call_webhook_with_its_sip_invite() {
    let body = with(
        call_info("trying"),
        json!({
            "caller_name": " Dupont ",
            "sip": {
                "headers": {
                    "via": "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK4K2DX22eNDUcm",
                    "P-Asserted-Identity": "<sip:+33612345678@192.0.2.10;user=phone>",
                    "content-length": "281",
                    "X-Odd": 3
                },
                "raw": "INVITE sip:+33130000001@10.0.0.4 SIP/2.0\r\n…",
                "body": "v=0…",
                "method": "INVITE",
                "payload": [{"type": "application/sdp", "content": "v=0…"}]
            },
            "service_provider_sid": "2708b1b3-2736-40ea-b502-c53d8396247f",
            "defaults": {"synthesizer": {"vendor": "google", "language": "fr-FR"}},
        }),
    );
    let hook = CallHook::parse(&body).unwrap();
    assert_eq!(hook.call.from, "+33612345678");
    assert_eq!(hook.call.to, "+33130000001");
    assert_eq!(hook.call.direction, Direction::Inbound);
    assert_eq!(hook.call.call_status.as_deref(), Some("trying"));
    assert_eq!(hook.call.trunk.as_deref(), Some("operateur-fr"));
    assert_eq!(hook.caller_name.as_deref(), Some("Dupont"));
    assert_eq!(
        hook.sip_header("p-asserted-identity"),
        Some("<sip:+33612345678@192.0.2.10;user=phone>")
    );
    assert_eq!(hook.sip_header("X-Odd"), None, "only text values are kept");
    let inbound = hook.inbound("villebourg");
    assert_eq!(
        inbound.conversation_id,
        "b3c1e6a2-6a5e-4d5c-9a61-0d3c1f7e2a11"
    );
    assert_eq!(inbound.channel, Channel::Voice);
    assert_eq!(inbound.text, "");
}

#[test]
fn a_withheld_number_and_a_minimal_call() {
    let hook = CallHook::parse(
        br#"{"call_sid":"c1","direction":"inbound","from":"anonymous","to":"+33130000001"}"#,
    )
    .unwrap();
    assert_eq!(hook.call.from, "anonymous");
    assert!(hook.sip_headers.is_empty());
    let empty_from =
        CallHook::parse(br#"{"call_sid":"c1","direction":"inbound","from":"","to":"0130000001"}"#)
            .unwrap();
    assert_eq!(empty_from.call.from, "");
    assert_eq!(empty_from.call.to, "+33130000001");
}

#[test]
fn missing_and_unknown_values_are_clear_errors() {
    let cases: [(&[u8], WebhookError); 4] = [
        (
            br#"{"direction":"inbound","to":"+33130000001"}"#,
            WebhookError::MissingField("call_sid"),
        ),
        (
            br#"{"call_sid":"c","direction":"inbound","from":"x"}"#,
            WebhookError::MissingField("to"),
        ),
        (
            br#"{"call_sid":"c","to":"+33130000001"}"#,
            WebhookError::MissingField("direction"),
        ),
        (
            br#"{"call_sid":" ","direction":"inbound","to":"1"}"#,
            WebhookError::MissingField("call_sid"),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(CallHook::parse(body), Err(expected));
    }
    assert!(matches!(
        CallHook::parse(br#"{"call_sid":"c","direction":"sideways","to":"1"}"#),
        Err(WebhookError::InvalidField {
            field: "direction",
            ..
        })
    ));
    assert!(matches!(
        CallHook::parse(
            br#"{"call_sid":"c","direction":"inbound","to":"1","call_status":"bored"}"#
        ),
        Err(WebhookError::InvalidField {
            field: "call_status",
            ..
        })
    ));
    for malformed in [
        &b"{"[..],
        b"[]",
        b"null",
        b"",
        b"\xff\xfe",
        br#"{"call_sid":7}"#,
    ] {
        assert!(
            matches!(
                CallHook::parse(malformed),
                Err(WebhookError::MalformedJson(_))
            ),
            "{malformed:?}"
        );
    }
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let padding = "x".repeat(MAX_WEBHOOK_BYTES);
    let body = with(call_info("trying"), json!({ "padding": padding }));
    assert!(matches!(
        CallHook::parse(&body),
        Err(WebhookError::InvalidField { field: "body", .. })
    ));
    assert!(GatherResult::parse(&body).is_err());
    assert!(IncomingMessage::parse(&body).is_err());
}

fn gather(extra: Value) -> Result<GatherResult, WebhookError> {
    GatherResult::parse(&with(call_info("in-progress"), extra))
}

#[test]
fn speech_gives_the_best_transcript_and_its_confidence() {
    let result = gather(json!({
        "reason": "speechDetected",
        "speech": {
            "language_code": "fr-FR",
            "channel_tag": 1,
            "is_final": true,
            "alternatives": [
                {"transcript": "  ", "confidence": 0.99},
                {"transcript": " mon passeport est expiré ", "confidence": 0.9123},
                {"transcript": "mon passe port expiré", "confidence": 0.41}
            ],
            "vendor": {"name": "deepgram", "evt": [{"is_final": true}]}
        },
        "stt_latency_ms": 240
    }))
    .unwrap();
    assert_eq!(result.reason, GatherReason::SpeechDetected);
    assert_eq!(result.alternatives.len(), 3);
    let inbound = result.inbound("villebourg");
    assert_eq!(inbound.text, "mon passeport est expiré");
    assert!((inbound.asr_confidence.unwrap() - 0.9123).abs() < 1e-6);
    assert_eq!(inbound.dtmf, None);
    assert_eq!(inbound.from, "+33612345678");
}

#[test]
fn confidence_is_optional_and_odd_values_are_tamed() {
    let confidence = |alternative: Value| {
        gather(json!({"reason": "speechDetected", "speech": {"alternatives": [alternative]}}))
            .unwrap()
            .inbound("v")
            .asr_confidence
    };
    assert_eq!(confidence(json!({"transcript": "oui"})), None);
    assert_eq!(
        confidence(json!({"transcript": "oui", "confidence": null})),
        None
    );
    assert_eq!(
        confidence(json!({"transcript": "oui", "confidence": 7})),
        Some(1.0)
    );
    assert_eq!(
        confidence(json!({"transcript": "oui", "confidence": -1e300})),
        Some(0.0)
    );
    assert!(
        gather(json!({"reason": "speechDetected", "speech": {"alternatives": [{"transcript": "oui", "confidence": "haute"}]}}))
            .is_err()
    );
}

#[test]
fn silence_errors_and_low_confidence() {
    for reason in ["timeout", "error"] {
        let result = gather(json!({"reason": reason, "details": {"error": "stt down"}})).unwrap();
        let inbound = result.inbound("v");
        assert_eq!(inbound.text, "", "{reason} is a silence");
        assert_eq!(inbound.dtmf, None);
        assert_eq!(inbound.asr_confidence, None);
    }
    let low = gather(json!({
        "reason": "stt-low-confidence",
        "speech": {"alternatives": [{"transcript": "euh passeport", "confidence": 0.2}]}
    }))
    .unwrap();
    assert_eq!(low.reason, GatherReason::LowConfidence);
    assert_eq!(low.inbound("v").text, "euh passeport");
    assert_eq!(
        gather(json!({"reason": "speechDetected"})),
        Err(WebhookError::MissingField("speech.alternatives"))
    );
    assert_eq!(gather(json!({})), Err(WebhookError::MissingField("reason")));
    assert!(matches!(
        gather(json!({"reason": "bored"})),
        Err(WebhookError::InvalidField {
            field: "reason",
            ..
        })
    ));
}

#[test]
fn keys_pressed() {
    let zero = gather(json!({"reason": "dtmfDetected", "digits": "0"})).unwrap();
    assert_eq!(zero.inbound("v").dtmf.as_deref(), Some("0"));
    assert_eq!(zero.inbound("v").text, "");
    assert_eq!(
        gather(json!({"reason": "dtmfDetected", "digits": ""})),
        Err(WebhookError::MissingField("digits"))
    );
    assert!(matches!(
        gather(json!({"reason": "dtmfDetected", "digits": "0\r\nX"})),
        Err(WebhookError::InvalidField {
            field: "digits",
            ..
        })
    ));
    // Keys count only when a key ended the gather.
    let speech = gather(json!({
        "reason": "speechDetected", "digits": "5",
        "speech": {"alternatives": [{"transcript": "bonjour"}]}
    }))
    .unwrap();
    assert_eq!(speech.inbound("v").dtmf, None);
}

#[test]
fn the_outcome_of_a_transfer() {
    let dial = |extra: Value| DialResult::parse(&with(call_info("in-progress"), extra));
    let answered = dial(
        json!({"dial_call_status": "completed", "dial_sip_status": 200, "dial_call_sid": "d1"}),
    )
    .unwrap();
    assert!(answered.connected());
    assert_eq!(answered.sip_status, Some(200));
    assert_eq!(answered.dial_call_sid.as_deref(), Some("d1"));
    for (status, expected) in [
        ("busy", DialStatus::Busy),
        ("no-answer", DialStatus::NoAnswer),
        ("failed", DialStatus::Failed),
        ("ringing", DialStatus::InProgress),
    ] {
        let result = dial(json!({"dial_call_status": status, "dial_sip_status": 486})).unwrap();
        assert_eq!(result.status, expected);
        assert!(!result.connected());
    }
    assert_eq!(
        dial(json!({})),
        Err(WebhookError::MissingField("dial_call_status"))
    );
    assert!(dial(json!({"dial_call_status": "lost"})).is_err());
    assert!(dial(json!({"dial_call_status": "busy", "dial_sip_status": "486"})).is_err());
}

#[test]
fn call_statuses_end_the_conversation_only_on_the_callers_leg() {
    let status = |status: &str, direction: &str| {
        let mut info = call_info(status);
        info["direction"] = json!(direction);
        CallStatus::parse(&with(
            info,
            json!({"duration": 42, "call_termination_by": "caller"}),
        ))
        .unwrap()
    };
    let hung_up = status("completed", "inbound");
    assert!(hung_up.is_final() && hung_up.ends_conversation());
    assert_eq!(hung_up.duration_seconds, Some(42));
    assert_eq!(hung_up.terminated_by.as_deref(), Some("caller"));
    for final_status in ["failed", "busy", "no-answer"] {
        assert!(status(final_status, "inbound").ends_conversation());
    }
    assert!(!status("in-progress", "inbound").is_final());
    let standard_hung_up = status("completed", "outbound");
    assert!(standard_hung_up.is_final() && !standard_hung_up.ends_conversation());
    let mut no_status = call_info("x");
    no_status.as_object_mut().unwrap().remove("call_status");
    assert_eq!(
        CallStatus::parse(&serde_json::to_vec(&no_status).unwrap()),
        Err(WebhookError::MissingField("call_status"))
    );
}

#[test]
fn an_inbound_sms() {
    let message = IncomingMessage::parse(
        br#"{"carrier":"operateur-fr","message_sid":"6f4e3c2a-1111-2222-3333-444455556666",
            "account_sid":"9d26a637","service_provider_sid":"2708b1b3","application_sid":"33b259c1",
            "from":"33612345678","to":"33130000001","text":" horaires de la mairie ? "}"#,
    )
    .unwrap();
    assert_eq!(message.from, "+33612345678");
    assert_eq!(message.to, "+33130000001");
    assert_eq!(message.carrier.as_deref(), Some("operateur-fr"));
    let inbound = message.inbound("villebourg", "sms-1");
    assert_eq!(inbound.text, "horaires de la mairie ?");
    assert_eq!(inbound.channel, Channel::Sms);
    let media_only = IncomingMessage::parse(
        br#"{"message_sid":"m","from":"33612345678","to":"33130000001","media":["https://x/y.png"]}"#,
    )
    .unwrap();
    assert_eq!(media_only.text, "");
    assert_eq!(
        IncomingMessage::parse(br#"{"from":"1","to":"2","text":"a"}"#),
        Err(WebhookError::MissingField("message_sid"))
    );
    assert_eq!(
        IncomingMessage::parse(br#"{"message_sid":"m","to":"2","text":"a"}"#),
        Err(WebhookError::MissingField("from"))
    );
}
