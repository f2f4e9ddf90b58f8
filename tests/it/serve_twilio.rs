//! What is Twilio's own through the whole stack: TwiML attributes, the `<Dial action>`, the
//! Messages API's delivery reports, SMS answered inline. The call flows every provider shares
//! are in `call_flows.rs`.

use crate::support;

use guichet::serve::config::SmsProvider;
use guichet_connectors::twilio::signature;
use guichet_store::{OutboxState, OutboxStore};
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
            "<Dial callerId=\"{from}\" action=\"{PUBLIC_URL}/twilio/voice/dial\" method=\"POST\"><Number url=\"{PUBLIC_URL}/twilio/voice/whisper?tenant=villebourg&amp;ticket="
        )),
        "the standard sees who calls and hears why: {twiml}"
    );
    assert!(
        twiml.contains("\" method=\"POST\">+33130000000</Number></Dial>"),
        "{twiml}"
    );

    // The standard picks up: it hears the request and the ticket's number before the bridge.
    let ticket = h.tickets().await.remove(0);
    let whisper_path = format!(
        "/twilio/voice/whisper?tenant=villebourg&ticket={}",
        ticket.id
    );
    // Twilio's request for the standard's leg: `To` is the standard, not the commune's line.
    let leg = twilio_call(
        "CA0000000000000000000000000000b002",
        MAIRIE,
        "+33130000000",
        "in-progress",
    );
    let heard = h.twilio(&whisper_path, &leg).await;
    assert_eq!(heard.status(), 200);
    let heard = heard.text().await.unwrap();
    assert!(
        heard.contains(&format!("Ticket numéro {}", ticket.id)),
        "{heard}"
    );
    assert!(heard.contains("Demande :"), "{heard}");
    assert!(
        !heard.contains("<Hangup/>"),
        "a whisper must not end the call: {heard}"
    );
    // Unsigned, or signed for another URL: refused, nothing said.
    let forged = h.twilio_with_signature(&whisper_path, &leg, None).await;
    assert_eq!(forged.status(), 403);
    let other = format!(
        "/twilio/voice/whisper?tenant=villebourg&ticket={}",
        ticket.id + 1
    );
    let signed_for_other = signature::sign(&h.token(), &format!("{PUBLIC_URL}{other}"), &leg);
    let replayed = h
        .twilio_with_signature(&whisper_path, &leg, Some(&signed_for_other))
        .await;
    assert_eq!(replayed.status(), 403);
    // A ticket of no one (or another commune's) is not read out.
    let unknown = h
        .twilio(
            "/twilio/voice/whisper?tenant=villebourg&ticket=999999",
            &leg,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        unknown.contains("La demande est dans la console"),
        "{unknown}"
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
