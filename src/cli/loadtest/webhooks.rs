//! The webhooks of one simulated call, as each provider sends and signs them: Twilio (form,
//! `X-Twilio-Signature`), Vonage (JSON, JWT with `payload_hash`), jambonz (JSON, Basic
//! credentials and/or `Jambonz-Signature`).

use guichet_connectors::jambonz::{self, BasicCredentials};
use guichet_connectors::{twilio, vonage};
use serde_json::json;

/// Whose webhooks the load tool plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoadProvider {
    Twilio,
    Vonage,
    Jambonz,
}

/// How requests are signed: each provider's secret, as the server is configured.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// The Twilio auth token (the URL signed is under the public URL).
    pub twilio_token: Option<String>,
    pub public_url: String,
    /// The Vonage signature secret.
    pub vonage_secret: Option<String>,
    /// The jambonz webhook secret and Basic credentials.
    pub jambonz_secret: Option<String>,
    pub jambonz_basic: Option<BasicCredentials>,
}

/// One request to send.
pub struct Request {
    pub path: String,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
}

pub enum Body {
    Form(Vec<(String, String)>),
    Json(Vec<u8>),
}

/// One call's identity.
pub struct Call<'a> {
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

impl LoadProvider {
    pub fn name(self) -> &'static str {
        match self {
            LoadProvider::Twilio => "twilio",
            LoadProvider::Vonage => "vonage",
            LoadProvider::Jambonz => "jambonz",
        }
    }

    /// A call id in the provider's shape.
    pub fn call_id(self, run_id: u64, index: usize) -> String {
        match self {
            LoadProvider::Twilio => format!("CA{run_id:016x}{index:016x}"),
            LoadProvider::Vonage | LoadProvider::Jambonz => format!(
                "{:08x}-{:04x}-4000-8000-{:012x}",
                run_id as u32,
                (run_id >> 32) as u16,
                index
            ),
        }
    }

    /// The webhook starting `call`.
    pub fn start(self, secrets: &Secrets, call: &Call) -> Request {
        match self {
            LoadProvider::Twilio => twilio_form(secrets, "/twilio/voice", call, "ringing", None),
            LoadProvider::Vonage => vonage_json(
                secrets,
                "/vonage/answer".into(),
                json!({"uuid": call.id, "conversation_uuid": format!("CON-{}", call.id),
                       "from": digits(call.from), "to": digits(call.to)}),
            ),
            LoadProvider::Jambonz => jambonz_json(
                secrets,
                "/jambonz/call".into(),
                jambonz_call(call, "ringing"),
            ),
        }
    }

    /// The caller's turn `seq` (1 for the first after the greeting), saying `phrase`.
    pub fn turn(self, secrets: &Secrets, call: &Call, seq: usize, phrase: &str) -> Request {
        match self {
            LoadProvider::Twilio => twilio_form(
                secrets,
                &format!("/twilio/voice/turn?seq={seq}"),
                call,
                "in-progress",
                Some(phrase),
            ),
            LoadProvider::Vonage => vonage_json(
                secrets,
                format!("/vonage/input?seq={seq}"),
                json!({"uuid": call.id, "conversation_uuid": format!("CON-{}", call.id),
                       "from": digits(call.from), "to": digits(call.to),
                       "speech": {"results": [{"text": phrase, "confidence": "0.92"}]},
                       "dtmf": {"digits": null, "timed_out": false}}),
            ),
            LoadProvider::Jambonz => {
                let mut payload = jambonz_call(call, "in-progress");
                payload["reason"] = json!("speechDetected");
                payload["speech"] = json!({"is_final": true, "language_code": "fr-FR",
                    "alternatives": [{"transcript": phrase, "confidence": 0.92}]});
                jambonz_json(secrets, format!("/jambonz/gather?seq={seq}"), payload)
            }
        }
    }

    /// The webhook telling that `call` ended.
    pub fn end(self, secrets: &Secrets, call: &Call) -> Request {
        match self {
            LoadProvider::Twilio => twilio_form(secrets, "/twilio/status", call, "completed", None),
            LoadProvider::Vonage => vonage_json(
                secrets,
                "/vonage/event".into(),
                json!({"uuid": call.id, "status": "completed", "direction": "inbound",
                       "from": digits(call.from), "to": digits(call.to)}),
            ),
            LoadProvider::Jambonz => {
                let mut payload = jambonz_call(call, "completed");
                payload["call_termination_by"] = json!("caller");
                jambonz_json(secrets, "/jambonz/status".into(), payload)
            }
        }
    }

    /// Whether the answer ends the call (a hang-up or a transfer).
    pub fn ends_call(self, answer: &str) -> bool {
        match self {
            LoadProvider::Twilio => answer.contains("<Hangup/>") || answer.contains("<Dial"),
            LoadProvider::Vonage => answer.contains("\"connect\"") || !answer.contains("\"input\""),
            LoadProvider::Jambonz => answer.contains("\"hangup\"") || answer.contains("\"dial\""),
        }
    }
}

fn twilio_form(
    secrets: &Secrets,
    path: &str,
    call: &Call,
    status: &str,
    speech: Option<&str>,
) -> Request {
    let mut params = vec![
        ("CallSid".to_string(), call.id.to_string()),
        ("From".to_string(), call.from.to_string()),
        ("To".to_string(), call.to.to_string()),
        ("CallStatus".to_string(), status.to_string()),
    ];
    if let Some(speech) = speech {
        params.push(("SpeechResult".into(), speech.into()));
        params.push(("Confidence".into(), "0.92".into()));
    }
    let mut headers = Vec::new();
    if let Some(token) = &secrets.twilio_token {
        let url = format!("{}{path}", secrets.public_url);
        headers.push((
            twilio::SIGNATURE_HEADER,
            twilio::signature::sign(token, &url, &params),
        ));
    }
    Request {
        path: path.to_string(),
        body: Body::Form(params),
        headers,
    }
}

fn vonage_json(secrets: &Secrets, path: String, payload: serde_json::Value) -> Request {
    let body = payload.to_string().into_bytes();
    let mut headers = Vec::new();
    if let Some(secret) = &secrets.vonage_secret {
        let jti = format!("{:x}", rand::random::<u64>());
        headers.push((
            "authorization",
            vonage::signature::sign(secret, &body, unix_now(), &jti),
        ));
    }
    Request {
        path,
        body: Body::Json(body),
        headers,
    }
}

fn jambonz_call(call: &Call, status: &str) -> serde_json::Value {
    json!({
        "call_sid": call.id,
        "direction": "inbound",
        "from": call.from,
        "to": call.to,
        "call_id": format!("{}@sip", call.id),
        "sip_status": 200,
        "call_status": status,
        "account_sid": "loadtest-account",
        "application_sid": "loadtest-application",
    })
}

fn jambonz_json(secrets: &Secrets, path: String, payload: serde_json::Value) -> Request {
    let body = payload.to_string().into_bytes();
    let mut headers = Vec::new();
    if let Some(secret) = &secrets.jambonz_secret {
        headers.push((
            jambonz::SIGNATURE_HEADER,
            jambonz::auth::sign(secret, &body, unix_now()),
        ));
    }
    if let Some(basic) = &secrets.jambonz_basic {
        headers.push(("authorization", jambonz::auth::basic_authorization(basic)));
    }
    Request {
        path,
        body: Body::Json(body),
        headers,
    }
}

#[cfg(test)]
mod tests {
    use guichet_connectors::jambonz::{CallHook, CallStatus, GatherResult, WebhookVerifier};

    use super::*;

    /// The load tool's jambonz requests are what the service's parser and verifier accept.
    #[test]
    fn jambonz_requests_parse_and_verify() {
        let secrets = Secrets {
            jambonz_secret: Some("s3cret".into()),
            jambonz_basic: Some(BasicCredentials {
                username: "u".into(),
                password: "p".into(),
            }),
            ..Secrets::default()
        };
        let verifier =
            WebhookVerifier::new(secrets.jambonz_basic.clone(), Some("s3cret"), 300).unwrap();
        let id = LoadProvider::Jambonz.call_id(7, 3);
        let call = Call {
            id: &id,
            from: "+33612345678",
            to: "+33130000001",
        };
        let json = |request: &Request| match &request.body {
            Body::Json(bytes) => bytes.clone(),
            Body::Form(_) => panic!("jambonz posts JSON"),
        };
        let check = |request: &Request| {
            let header = |name: &str| {
                request
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
            };
            verifier
                .verify(
                    header("authorization"),
                    header(jambonz::SIGNATURE_HEADER),
                    &json(request),
                    unix_now(),
                )
                .unwrap();
        };
        let start = LoadProvider::Jambonz.start(&secrets, &call);
        check(&start);
        assert_eq!(CallHook::parse(&json(&start)).unwrap().call.call_sid, id);
        let turn = LoadProvider::Jambonz.turn(&secrets, &call, 1, "horaires");
        check(&turn);
        assert_eq!(turn.path, "/jambonz/gather?seq=1");
        let gather = GatherResult::parse(&json(&turn)).unwrap();
        assert_eq!(gather.inbound("t").text, "horaires");
        let end = LoadProvider::Jambonz.end(&secrets, &call);
        assert!(CallStatus::parse(&json(&end)).unwrap().ends_conversation());
        assert!(LoadProvider::Jambonz.ends_call(r#"[{"verb":"hangup"}]"#));
        assert!(!LoadProvider::Jambonz.ends_call(r#"[{"verb":"gather"}]"#));
    }
}
