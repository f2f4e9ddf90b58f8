//! What is Twilio's own through the whole stack: TwiML attributes, the `<Dial action>`, the
//! Messages API's delivery reports, SMS answered inline. The call flows every provider shares
//! are in `call_flows.rs`.

mod support;

use guichet::serve::config::SmsProvider;
use guichet_store::{OutboxState, Store};
use support::*;

#[tokio::test]
async fn twiml_wire_details_and_the_sms_delivery_report() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let call = "CA0000000000000000000000000000a001";
    let from = "+33612345678";

    let ring = h
        .twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
        .await;
    assert_eq!(ring.status(), 200);
    let twiml = ring.text().await.unwrap();
    assert!(
        twiml.contains("<Gather input=\"speech dtmf\" language=\"fr-FR\" speechTimeout=\"auto\""),
        "{twiml}"
    );
    assert!(twiml.contains(&format!("action=\"{PUBLIC_URL}/twilio/voice/turn?seq=1\"")));
    assert!(twiml.contains("actionOnEmptyResult=\"true\""));
    assert!(twiml.contains("hints=\""));

    let answer = h
        .twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech(call, from, "mon passeport est expiré"),
        )
        .await;
    assert_eq!(decision(&answer)["action"], "answer");
    assert!(answer.text().await.unwrap().contains("turn?seq=2"));

    // The SMS asks for its delivery report, which reaches the outbox row.
    let sms = h.wait_for_sms(1).await;
    assert_eq!(
        sms[0].status_callback.as_deref(),
        Some(format!("{PUBLIC_URL}/twilio/status").as_str())
    );
    let delivered = [
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("MessageSid", sms[0].id.as_str()),
        ("MessageStatus", "delivered"),
        ("SmsSid", sms[0].id.as_str()),
        ("SmsStatus", "delivered"),
        ("To", from),
        ("From", "VILLEBOURG"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    assert_eq!(h.twilio("/twilio/status", &delivered).await.status(), 200);
    let row = h
        .service
        .state
        .store
        .outbox_by_provider_id(&sms[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, OutboxState::Delivered);
    h.stop().await;
}

#[tokio::test]
async fn a_transfer_presents_the_callers_number_and_asks_for_its_outcome() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let call = "CA0000000000000000000000000000a002";
    let from = "+33612345679";
    let response = h
        .ring_and_ask(call, from, "je voudrais parler à un agent")
        .await;
    assert_eq!(decision(&response)["action"], "transfer");
    let twiml = response.text().await.unwrap();
    assert!(
        twiml.contains(&format!(
            "<Dial callerId=\"{from}\" action=\"{PUBLIC_URL}/twilio/voice/dial\" method=\"POST\"><Number>+33130000000</Number></Dial>"
        )),
        "the standard sees who calls: {twiml}"
    );
    // A withheld number: the standard sees the commune's line the caller dialled.
    let withheld = h
        .ring_and_ask(
            "CA0000000000000000000000000000a003",
            "anonymous",
            "je voudrais parler à un agent",
        )
        .await;
    assert_eq!(decision(&withheld)["action"], "transfer");
    let twiml = withheld.text().await.unwrap();
    assert!(
        twiml.contains(&format!("<Dial callerId=\"{MAIRIE}\"")),
        "{twiml}"
    );
    // An unknown DialCallStatus is a clear 400, and changes nothing.
    let mut odd = twilio_call(call, from, MAIRIE, "in-progress");
    odd.push(("DialCallStatus".into(), "ringing".into()));
    assert_eq!(h.twilio("/twilio/voice/dial", &odd).await.status(), 400);
    // Answered: nothing more to say, the call ends.
    let mut answered = twilio_call(call, from, MAIRIE, "in-progress");
    answered.push(("DialCallStatus".into(), "completed".into()));
    let after = h.twilio("/twilio/voice/dial", &answered).await;
    assert_eq!(after.status(), 200);
    assert_eq!(
        after.text().await.unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>"
    );
    h.stop().await;
}

#[tokio::test]
async fn an_sms_conversation_is_answered_inline() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let params: Vec<(String, String)> = [
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("ApiVersion", "2010-04-01"),
        ("Body", "Bonjour, quels sont les horaires de la mairie ?"),
        ("From", "+33611112222"),
        ("FromCountry", "FR"),
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsMessageSid", "SM00000000000000000000000000000001"),
        ("SmsSid", "SM00000000000000000000000000000001"),
        ("SmsStatus", "received"),
        ("To", MAIRIE),
        ("ToCountry", "FR"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec();
    let response = h.twilio("/twilio/sms", &params).await;
    assert_eq!(response.status(), 200);
    let twiml = response.text().await.unwrap();
    assert!(
        twiml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>"),
        "{twiml}"
    );
    assert!(twiml.contains("Mairie de Villebourg"));
    let again = h.twilio("/twilio/sms", &params).await.text().await.unwrap();
    assert_eq!(again, twiml);
    h.stop().await;
}
