//! One voice turn through each provider's connector, as the service runs it for a webhook:
//! check the request's authentication, parse the body into an `Inbound`, render the reply
//! (a prompt listening with the commune's 150 keyword hints) and serialise it. Also the jambonz
//! call webhook, the largest body (the SIP INVITE). The engine and the store are not in it.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use guichet_agent::{Action, Decision, DecisionAction, Reply, Utterance};
use guichet_connectors::jambonz::{self, BasicCredentials, VerbOptions, WebhookVerifier};
use guichet_connectors::testkit::jambonz::{call_info, call_webhook};
use guichet_connectors::twilio::{self, Form, VoiceOptions, twiml};
use guichet_connectors::vonage::{self, NccoOptions, ncco};
use serde_json::json;

const NOW: i64 = 1_767_225_600;
const SECRET: &str = "a-webhook-secret-of-the-account";
const SPEECH: &str = "bonjour je voudrais refaire ma carte d'identité qui est périmée";

fn reply() -> Reply {
    let hints: Vec<String> = (0..150).map(|i| format!("mot-clé {i}")).collect();
    Reply {
        say: vec![
            Utterance {
                text: "Pour refaire une carte d'identité, prenez rendez-vous en ligne ; je vous envoie le lien par SMS.".into(),
            },
            Utterance {
                text: "Puis-je vous aider pour autre chose ?".into(),
            },
        ],
        actions: vec![Action::Listen {
            hints: Arc::from(hints),
        }],
        trace: Decision {
            action: DecisionAction::Answer,
            rule: "bench".into(),
            fiche: Some("cni".into()),
            confidence: Some(0.9),
            margin: Some(0.3),
            understood: String::new(),
            satisfaction: None,
        },
    }
}

fn twilio_turn(c: &mut Criterion, reply: &Reply) {
    let url = "https://guichet.villebourg.fr/twilio/voice/turn?seq=2";
    let params: Vec<(String, String)> = [
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("CallStatus", "in-progress"),
        ("Direction", "inbound"),
        ("From", "+33612345678"),
        ("To", "+33130000001"),
        ("SpeechResult", SPEECH),
        ("Confidence", "0.9216"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .into();
    let body = Form::from_pairs(params.clone()).encode();
    let signature = twilio::signature::sign(SECRET, url, &params);
    let options = VoiceOptions::french("https://guichet.villebourg.fr/twilio/voice/turn?seq=3");
    c.bench_function("turn/twilio", |b| {
        b.iter(|| {
            let form = Form::parse(black_box(body.as_bytes())).unwrap();
            twilio::signature::verify(SECRET, url, form.params(), Some(&signature)).unwrap();
            let inbound = twilio::GatherResult::parse(&form)
                .unwrap()
                .inbound("villebourg");
            black_box(inbound);
            black_box(twiml::render_voice(reply, &options).into_bytes())
        })
    });
}

fn vonage_turn(c: &mut Criterion, reply: &Reply) {
    let body = serde_json::to_vec(&json!({
        "speech": {"timeout_reason": "end_on_silence_timeout",
                   "results": [{"confidence": "0.93", "text": SPEECH}]},
        "dtmf": {"digits": null, "timed_out": false},
        "from": "33612345678", "to": "33130000001",
        "uuid": "63f61863-4a51-4f6b-86e1-46edebcf9356", "conversation_uuid": "CON-1",
        "timestamp": "2026-03-10T09:15:00.000Z"
    }))
    .unwrap();
    let authorization = vonage::signature::sign(SECRET, &body, NOW, "jti-1");
    let options = NccoOptions::french("https://guichet.villebourg.fr/vonage/input?seq=3");
    c.bench_function("turn/vonage", |b| {
        b.iter(|| {
            vonage::signature::verify(SECRET, Some(&authorization), black_box(&body), NOW, 300)
                .unwrap();
            let event = vonage::InputEvent::parse(&body).unwrap();
            black_box(event.inbound("villebourg"));
            black_box(serde_json::to_vec(&ncco::render(reply, &event.uuid, &options)).unwrap())
        })
    });
}

fn jambonz_turn(c: &mut Criterion, reply: &Reply) {
    let mut payload = call_info(
        "b3c1e6a2-6a5e-4d5c-9a61-0d3c1f7e2a11",
        "+33612345678",
        "+33130000001",
        "in-progress",
    );
    payload["reason"] = json!("speechDetected");
    payload["speech"] = json!({
        "language_code": "fr-FR", "channel_tag": 1, "is_final": true,
        "alternatives": [{"transcript": SPEECH, "confidence": 0.92}],
        "vendor": {"name": "google"}
    });
    let body = serde_json::to_vec(&payload).unwrap();
    let credentials = BasicCredentials {
        username: "jambonz".into(),
        password: "s3cret-p4ss".into(),
    };
    let authorization = jambonz::auth::basic_authorization(&credentials);
    let signature = jambonz::auth::sign(SECRET, &body, NOW);
    let verifier = WebhookVerifier::new(Some(credentials), Some(SECRET), 300).unwrap();
    let options = VerbOptions::french("https://guichet.villebourg.fr/jambonz/gather?seq=3");
    c.bench_function("turn/jambonz", |b| {
        b.iter(|| {
            verifier
                .verify(
                    Some(&authorization),
                    Some(&signature),
                    black_box(&body),
                    NOW,
                )
                .unwrap();
            let result = jambonz::GatherResult::parse(&body).unwrap();
            black_box(result.inbound("villebourg"));
            black_box(jambonz::verbs::render(reply, &options))
        })
    });
    let call = serde_json::to_vec(&call_webhook(
        "b3c1e6a2-6a5e-4d5c-9a61-0d3c1f7e2a11",
        "0612345678",
        "33130000001",
    ))
    .unwrap();
    c.bench_function("call_webhook/jambonz", |b| {
        b.iter(|| black_box(jambonz::CallHook::parse(black_box(&call)).unwrap()))
    });
}

fn turns(c: &mut Criterion) {
    let reply = reply();
    twilio_turn(c, &reply);
    vonage_turn(c, &reply);
    jambonz_turn(c, &reply);
}

criterion_group!(benches, turns);
criterion_main!(benches);
