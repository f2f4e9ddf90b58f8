//! What is Vonage's own through the whole stack: signed webhooks (JWT + payload_hash), NCCO
//! details, the `connect` action's dial events, SMS via the Messages API of the fake provider.
//! The call flows every provider shares are in `call_flows.rs`.

use crate::support;

use guichet::serve::config::SmsProvider;
use guichet_store::TicketStore;
use serde_json::json;
use support::*;

const MAIRIE_DIGITS: &str = "33130000001";

fn input(uuid: &str, from: &str, text: &str, confidence: serde_json::Value) -> serde_json::Value {
    json!({
        "speech": { "timeout_reason": "end_on_silence_timeout", "results": [ { "confidence": confidence, "text": text } ] },
        "dtmf": { "digits": null, "timed_out": false },
        "from": from, "to": MAIRIE_DIGITS, "uuid": uuid,
        "conversation_uuid": format!("CON-{uuid}"), "timestamp": "2026-03-10T09:15:00.000Z"
    })
}

#[tokio::test]
async fn ncco_wire_details_from_answer_to_transfer() {
    let h = Harness::start(SmsProvider::Vonage, open_hours()).await;
    let uuid = "63f61863-4a51-4f6b-86e1-46edebcf9356";
    let from = "33612345670";
    let authorization = guichet_connectors::vonage::signature::sign(
        VONAGE_SIGNATURE_SECRET,
        b"",
        chrono::Utc::now().timestamp(),
        "j",
    );
    let answer = h
        .http
        .get(format!(
            "{}/vonage/answer?to={MAIRIE_DIGITS}&from={from}&uuid={uuid}&conversation_uuid=CON-1",
            h.base
        ))
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(decision(&answer)["action"], "greet");
    let ncco: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(ncco[0]["action"], "talk");
    assert_eq!(ncco[0]["bargeIn"], true);
    assert_eq!(ncco[0]["language"], "fr-FR");
    assert_eq!(ncco[1]["action"], "input");
    assert_eq!(ncco[1]["type"], json!(["speech", "dtmf"]));
    assert_eq!(ncco[1]["speech"]["language"], "fr-FR");
    assert_eq!(ncco[1]["speech"]["uuid"], json!([uuid]));
    assert_eq!(
        ncco[1]["eventUrl"],
        json!([format!("{PUBLIC_URL}/vonage/input?tenant=villebourg&seq=1")])
    );

    let transfer = h
        .vonage(
            "/vonage/input?tenant=villebourg&seq=1",
            &input(uuid, from, "je veux parler à un conseiller", json!(0.88)),
        )
        .await;
    assert_eq!(decision(&transfer)["action"], "transfer");
    let ncco: serde_json::Value = transfer.json().await.unwrap();
    let connect = ncco
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "connect")
        .expect("connect action");
    let ticket = h.tickets().await.remove(0);
    let whisper = format!("/vonage/whisper?tenant=villebourg&ticket={}", ticket.id);
    assert_eq!(
        connect["endpoint"][0],
        json!({"type": "phone", "number": "33130000000", "onAnswer": {"url": format!("{PUBLIC_URL}{whisper}")}})
    );
    // The standard picks up: before the bridge it hears the request and the ticket's number.
    let signed =
        |at| guichet_connectors::vonage::signature::sign(VONAGE_SIGNATURE_SECRET, b"", at, "w");
    let heard = h
        .http
        .get(format!("{}{whisper}", h.base))
        .header("Authorization", signed(chrono::Utc::now().timestamp()))
        .send()
        .await
        .unwrap();
    assert_eq!(heard.status(), 200);
    let heard: serde_json::Value = heard.json().await.unwrap();
    assert_eq!(heard[0]["action"], "talk");
    let text = heard[0]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("Ticket numéro {}", ticket.id)),
        "{text}"
    );
    // Unsigned: refused, nothing read out.
    let unsigned = h
        .http
        .get(format!("{}{whisper}", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    // The standard sees the commune's Vonage line the caller dialled: Vonage presents only its
    // own numbers (the standard's number would show as unknown).
    assert_eq!(connect["from"], MAIRIE_DIGITS);
    // The dial's events come to us synchronously, naming the commune and the caller's call.
    assert_eq!(
        connect["eventUrl"],
        json!([format!(
            "{PUBLIC_URL}/vonage/dial?tenant=villebourg&call={uuid}"
        )])
    );
    assert_eq!(connect["eventType"], "synchronous");
    // Ringing: nothing decided yet, nothing changed.
    let ringing = h
        .vonage(
            &format!("/vonage/dial?tenant=villebourg&call={uuid}"),
            &json!({"uuid": "leg-2", "status": "ringing", "direction": "outbound"}),
        )
        .await;
    assert_eq!(ringing.status(), 204);
    // A dial event that does not name the call is a clear 400.
    let anonymous = h
        .vonage(
            "/vonage/dial?tenant=villebourg",
            &json!({"uuid": "leg-2", "status": "timeout"}),
        )
        .await;
    assert_eq!(anonymous.status(), 400);
    let tickets = h
        .service
        .state
        .store
        .list_tickets(&guichet_store::TicketFilter {
            communes: vec!["villebourg".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tickets[0].dial_outcome, None);

    let event = h.vonage("/vonage/event", &json!({"uuid": uuid, "status": "completed", "from": from, "to": MAIRIE_DIGITS, "direction": "inbound"})).await;
    assert_eq!(event.status(), 204);
    h.stop().await;
}

#[tokio::test]
async fn an_inbound_sms_is_answered_through_the_outbox() {
    let h = Harness::start(SmsProvider::Vonage, open_hours()).await;
    let body = json!({
        "channel": "sms", "message_uuid": "aaaaaaaa-0000-0000-0000-000000000001", "message_type": "text",
        "to": MAIRIE_DIGITS, "from": "33611223344", "text": "mon passeport est expiré", "timestamp": "2026-03-10T09:15:00Z"
    });
    assert_eq!(h.vonage("/vonage/sms", &body).await.status(), 204);
    assert_eq!(h.vonage("/vonage/sms", &body).await.status(), 204);
    let sms = h.wait_for_sms(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        h.fake.received().len(),
        1,
        "a retried inbound SMS is answered once"
    );
    assert_eq!(sms[0].to, "+33611223344");
    assert!(sms[0].text.contains("http"), "{}", sms[0].text);
    h.stop().await;
}

#[tokio::test]
async fn bad_vonage_signatures_are_refused() {
    let h = Harness::start(SmsProvider::Vonage, open_hours()).await;
    let body = serde_json::to_vec(&input("u-1", "33612345670", "bonjour", json!("0.9"))).unwrap();
    let forged = guichet_connectors::vonage::signature::sign(
        "not-the-secret",
        &body,
        chrono::Utc::now().timestamp(),
        "j",
    );
    let response = h
        .http
        .post(format!("{}/vonage/input", h.base))
        .header("Authorization", forged)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let other_body = guichet_connectors::vonage::signature::sign(
        VONAGE_SIGNATURE_SECRET,
        b"{}",
        chrono::Utc::now().timestamp(),
        "j",
    );
    let response = h
        .http
        .post(format!("{}/vonage/input", h.base))
        .header("Authorization", other_body)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = h
        .http
        .post(format!("{}/vonage/input", h.base))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    h.stop().await;
}
