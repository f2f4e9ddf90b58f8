//! The payloads the fake jambonz sends, as the feature server builds them (`CallInfo.toJSON()`,
//! snake-cased, and what each hook adds): public for tests and tools that need a jambonz body.

use serde_json::{Value, json};

/// The account and application the fake's payloads name.
pub const ACCOUNT_SID: &str = "9d26a637-1679-471f-8da8-7150266e1254";
pub const APPLICATION_SID: &str = "33b259c1-303d-486a-a8dd-7a1c5e0d9b42";

/// `base` with the fields of `extra` (an object) added or replaced.
pub(super) fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// The call information of every hook (`CallInfo.toJSON()`, snake-cased).
pub fn call_info(call_sid: &str, from: &str, to: &str, status: &str) -> Value {
    json!({
        "call_sid": call_sid,
        "direction": "inbound",
        "from": from,
        "to": to,
        "call_id": format!("{call_sid}-sip"),
        "sbc_callid": format!("{call_sid}-sbc"),
        "sip_status": 200,
        "sip_reason": "OK",
        "call_status": status,
        "caller_id": from,
        "account_sid": ACCOUNT_SID,
        "trace_id": "151b12417e6460b82a97188348066439",
        "application_sid": APPLICATION_SID,
        "fs_sip_address": "10.0.0.5:5060",
        "originating_sip_ip": "192.0.2.10",
        "originating_sip_trunk_name": "operateur-fr",
    })
}

/// The call webhook of a new inbound call: the call information, the SIP INVITE (`sip`, sent
/// with a POST call hook) and the application's speech defaults.
pub fn call_webhook(call_sid: &str, from: &str, to: &str) -> Value {
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8 0 101\r\n";
    merge(
        call_info(call_sid, from, to, "trying"),
        json!({
            "caller_name": "",
            "sip": {
                "headers": {
                    "via": "SIP/2.0/UDP 192.0.2.10;rport=5060;branch=z9hG4bK4K2DX22eNDUcm",
                    "max-forwards": "70",
                    "from": format!("<sip:{from}@192.0.2.10>;tag=1tm903aBy5K8a"),
                    "to": format!("<sip:{to}@10.0.0.4;user=phone>"),
                    "call-id": format!("{call_sid}-sip"),
                    "cseq": "77732787 INVITE",
                    "contact": "<sip:192.0.2.10:5060>",
                    "content-type": "application/sdp",
                    "X-Account-Sid": ACCOUNT_SID,
                    "X-Originating-Carrier": "operateur-fr",
                    "p-asserted-identity": format!("<sip:{from}@192.0.2.10;user=phone>"),
                },
                "raw": format!("INVITE sip:{to}@10.0.0.4 SIP/2.0\r\n…"),
                "body": sdp,
                "method": "INVITE",
                "version": "2.0",
                "uri": format!("sip:{to}@10.0.0.4:5060"),
                "payload": [{"type": "application/sdp", "content": sdp}],
            },
            "service_provider_sid": "2708b1b3-2736-40ea-b502-c53d8396247f",
            "defaults": {
                "synthesizer": {"vendor": "google", "language": "fr-FR", "voice": "fr-FR-Standard-A"},
                "recognizer": {"vendor": "google", "language": "fr-FR"},
            },
        }),
    )
}

/// The messaging webhook of an inbound SMS.
pub fn message_webhook(message_sid: &str, from: &str, to: &str, text: &str) -> Value {
    json!({
        "carrier": "operateur-fr",
        "message_sid": message_sid,
        "account_sid": ACCOUNT_SID,
        "service_provider_sid": "2708b1b3-2736-40ea-b502-c53d8396247f",
        "application_sid": APPLICATION_SID,
        "from": from,
        "to": to,
        "text": text,
    })
}
