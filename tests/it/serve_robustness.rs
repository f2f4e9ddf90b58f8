//! Refusals: bad signatures, oversized and malformed bodies, unknown numbers; the JSON API.

use crate::support;

use guichet::serve::config::SmsProvider;
use support::*;

#[tokio::test]
async fn twilio_signatures_are_checked_on_every_route() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let params = twilio_call("CA1", "+33612345678", MAIRIE, "ringing");
    for path in [
        "/twilio/voice",
        "/twilio/voice/turn?seq=1",
        "/twilio/sms",
        "/twilio/status",
    ] {
        assert_eq!(
            h.twilio_with_signature(path, &params, None).await.status(),
            403,
            "{path} without signature"
        );
        assert_eq!(
            h.twilio_with_signature(path, &params, Some("GvWf1cFY/Q7PnoempGyD5oXAezc="))
                .await
                .status(),
            403,
            "{path} with a wrong signature"
        );
    }
    // Signed for another URL (the query string is part of what is signed).
    let signed = guichet_connectors::twilio::signature::sign(
        &h.token(),
        &format!("{PUBLIC_URL}/twilio/voice/turn?seq=1"),
        &params,
    );
    assert_eq!(
        h.twilio_with_signature("/twilio/voice/turn?seq=2", &params, Some(&signed))
            .await
            .status(),
        403
    );
    assert_eq!(h.twilio("/twilio/voice", &params).await.status(), 200);
    h.stop().await;
}

#[tokio::test]
async fn signature_checks_can_be_disabled_only_explicitly() {
    let h = Harness::start_with(SmsProvider::Twilio, open_hours(), |s| {
        s.twilio.verify_signatures = false
    })
    .await;
    let params = twilio_call("CA2", "+33612345678", MAIRIE, "ringing");
    assert_eq!(
        h.twilio_with_signature("/twilio/voice", &params, None)
            .await
            .status(),
        200
    );
    h.stop().await;
}

#[tokio::test]
async fn oversized_and_malformed_requests_get_clear_4xx() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let huge = "a".repeat(200 * 1024);
    let response = h
        .http
        .post(format!("{}/api/v1/conversations", h.base))
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let response = h
        .http
        .post(format!("{}/api/v1/conversations", h.base))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("malformed JSON"));

    let response = h
        .http
        .post(format!("{}/api/v1/conversations", h.base))
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);

    let mut params = twilio_speech("CA3", "+33612345678", "bonjour");
    params.retain(|(k, _)| k != "Confidence");
    params.push(("Confidence".into(), "très sûr".into()));
    let response = h.twilio("/twilio/voice/turn?seq=1", &params).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("Confidence"));

    let mut params = twilio_call("CA4", "+33612345678", MAIRIE, "ringing");
    params.retain(|(k, _)| k != "CallSid");
    let response = h.twilio("/twilio/voice", &params).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("CallSid"));

    let response = h
        .http
        .post(format!("{}/vonage/input", h.base))
        .body("[1,2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "unsigned before malformed");
    let response = h
        .vonage("/vonage/input", &serde_json::json!({"speech": "x"}))
        .await;
    assert_eq!(response.status(), 400);
    h.stop().await;
}

#[tokio::test]
async fn an_unknown_number_gets_a_polite_message() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let response = h
        .twilio(
            "/twilio/voice",
            &twilio_call("CA5", "+33612345678", "+33199999999", "ringing"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let twiml = response.text().await.unwrap();
    assert!(
        twiml.contains(
            "<Say language=\"fr-FR\">Bonjour. Ce numéro n&apos;est relié à aucun service de mairie."
        ),
        "{twiml}"
    );
    assert!(twiml.ends_with("<Hangup/></Response>"));
    let metrics = h.metrics().await;
    assert!(metrics.contains("guichet_unknown_numbers_total{provider=\"twilio\"} 1"));
    h.stop().await;
}

#[tokio::test]
async fn the_json_api_holds_a_conversation_and_describes_itself() {
    let h = Harness::start(SmsProvider::None, open_hours()).await;
    let created = h
        .http
        .post(format!("{}/api/v1/conversations", h.base))
        .json(&serde_json::json!({ "to": MAIRIE, "from": "+33612345678" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["seq"], 0);
    let id = created["conversation_id"].as_str().unwrap().to_string();
    let turn = h
        .http
        .post(format!("{}/api/v1/conversations/{id}/turns", h.base))
        .json(&serde_json::json!({ "text": "je voudrais refaire mon passeport" }))
        .send()
        .await
        .unwrap();
    assert_eq!(turn.status(), 200);
    let turn: serde_json::Value = turn.json().await.unwrap();
    assert_eq!(turn["seq"], 1);
    assert_eq!(turn["decision"]["action"], "clarify");
    assert_eq!(turn["decision"]["fiche"], "passeport");
    let missing = h
        .http
        .post(format!(
            "{}/api/v1/conversations/villebourg.nope/turns",
            h.base
        ))
        .json(&serde_json::json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let doc: serde_json::Value = h
        .http
        .get(format!("{}/api/v1/openapi.json", h.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/conversations/{id}/turns"].is_object());
    assert_eq!(
        h.http
            .get(format!("{}/healthz", h.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let ready: serde_json::Value = h
        .http
        .get(format!("{}/readyz", h.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["ready"], true);
    let metrics = h.metrics().await;
    assert!(
        metrics.contains("guichet_decisions_total{action=\"clarify\",tenant=\"villebourg\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("guichet_turn_duration_seconds_bucket"));
    assert!(metrics.contains("process_cpu_seconds_total"));
    h.stop().await;
}
