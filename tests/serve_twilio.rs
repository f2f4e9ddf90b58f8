//! Twilio through the whole stack: signed recorded webhooks, the engine, the store, the outbox and
//! the fake Messages API.

mod support;

use guichet::serve::config::SmsProvider;
use guichet_store::{OutboxState, Store, TicketFilter, TicketKind};
use support::*;

#[tokio::test]
async fn a_call_from_ring_to_hang_up_with_an_sms() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let call = "CA0000000000000000000000000000a001";
    let from = "+33612345678";

    let ring = h
        .twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
        .await;
    assert_eq!(ring.status(), 200);
    assert_eq!(decision(&ring)["action"], "greet");
    let twiml = ring.text().await.unwrap();
    assert!(
        twiml.contains("<Gather input=\"speech dtmf\" language=\"fr-FR\" speechTimeout=\"auto\""),
        "{twiml}"
    );
    assert!(twiml.contains(&format!("action=\"{PUBLIC_URL}/twilio/voice/turn?seq=1\"")));
    assert!(twiml.contains("actionOnEmptyResult=\"true\""));
    assert!(twiml.contains("hints=\""));
    assert!(twiml.contains("assistant automatique"));

    let answer = h
        .twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech(call, from, "mon passeport est expiré"),
        )
        .await;
    assert_eq!(answer.status(), 200);
    let trace = decision(&answer);
    assert_eq!(trace["action"], "answer");
    assert_eq!(trace["fiche"], "passeport-renouvellement");
    let twiml = answer.text().await.unwrap();
    assert!(twiml.contains("seq=2"));
    assert!(twiml.contains("Puis-je vous aider pour autre chose ?"));

    let sms = h.wait_for_sms(1).await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].to, from);
    assert_eq!(sms[0].from, "VILLEBOURG");
    assert!(sms[0].text.contains("http"), "{}", sms[0].text);
    assert_eq!(
        sms[0].status_callback.as_deref(),
        Some(format!("{PUBLIC_URL}/twilio/status").as_str())
    );

    let bye = h
        .twilio(
            "/twilio/voice/turn?seq=2",
            &twilio_speech(call, from, "non merci"),
        )
        .await;
    assert_eq!(decision(&bye)["action"], "goodbye");
    let satisfied = h
        .twilio(
            "/twilio/voice/turn?seq=3",
            &twilio_speech(call, from, "oui"),
        )
        .await;
    assert_eq!(decision(&satisfied)["satisfaction"], true);
    assert!(
        satisfied
            .text()
            .await
            .unwrap()
            .ends_with("<Hangup/></Response>")
    );

    let completed = h
        .twilio(
            "/twilio/status",
            &twilio_call(call, from, MAIRIE, "completed"),
        )
        .await;
    assert_eq!(completed.status(), 200);

    // The delivery report reaches the outbox row.
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
    let store = &h.service.state.store;
    let row = store
        .outbox_by_provider_id(&sms[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, OutboxState::Delivered);
    let turns = store.conversation_turns("villebourg", call).await.unwrap();
    assert_eq!(
        turns.iter().map(|t| t.seq).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    let session = store
        .load_session("villebourg", call)
        .await
        .unwrap()
        .unwrap();
    assert!(session.closed_at.is_some());
    h.stop().await;
}

#[tokio::test]
async fn a_transfer_dials_the_mairie_with_its_caller_id_and_leaves_a_ticket() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let call = "CA0000000000000000000000000000a002";
    let from = "+33612345679";
    let response = h
        .ring_and_ask(call, from, "je voudrais parler à un agent")
        .await;
    let trace = decision(&response);
    assert_eq!(trace["action"], "transfer");
    let twiml = response.text().await.unwrap();
    assert!(
        twiml.contains("<Dial callerId=\"+33130000000\"><Number>+33130000000</Number></Dial>"),
        "{twiml}"
    );
    let tickets = h
        .service
        .state
        .store
        .list_tickets(&TicketFilter {
            communes: vec!["villebourg".into()],
            ..TicketFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].kind, TicketKind::Transfer);
    assert_eq!(tickets[0].caller_number.as_deref(), Some(from));
    h.stop().await;
}

#[tokio::test]
async fn a_retried_webhook_gets_the_same_reply_and_no_second_sms() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let call = "CA0000000000000000000000000000a003";
    let from = "+33698765432";
    h.twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
        .await;
    let retried_start = h
        .twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
        .await;
    assert_eq!(decision(&retried_start)["action"], "greet");
    let params = twilio_speech(call, from, "mon passeport est expiré");
    let first = h
        .twilio("/twilio/voice/turn?seq=1", &params)
        .await
        .text()
        .await
        .unwrap();
    let second = h
        .twilio("/twilio/voice/turn?seq=1", &params)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(first, second);
    h.wait_for_sms(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(h.fake.received().len(), 1);
    let turns = h
        .service
        .state
        .store
        .conversation_turns("villebourg", call)
        .await
        .unwrap();
    assert_eq!(turns.len(), 2);
    h.stop().await;
}

#[tokio::test]
async fn silences_reprompt_then_end_and_a_closed_mairie_takes_a_callback() {
    let h = Harness::start(SmsProvider::Twilio, closed_hours()).await;
    let call = "CA0000000000000000000000000000a004";
    let from = "+33612340000";
    let silence = h.ring_and_ask(call, from, "").await;
    assert_eq!(decision(&silence)["action"], "fallback");
    let human = h
        .twilio(
            "/twilio/voice/turn?seq=2",
            &twilio_speech(call, from, "un agent s'il vous plaît"),
        )
        .await;
    assert_eq!(decision(&human)["action"], "callback");
    assert!(!human.text().await.unwrap().contains("<Dial"));
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
