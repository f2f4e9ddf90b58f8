//! The staff console mounted in the service: its pages answer under `/console/`, the first
//! administrator exists, and a callback taken by phone reaches the console's queue.

mod support;

use guichet::serve::config::SmsProvider;
use guichet_store::{Store, TicketFilter, TicketKind, TicketState};
use support::*;

#[tokio::test]
async fn the_console_is_served_and_sees_a_closed_hours_callback() {
    let h = Harness::start(SmsProvider::Twilio, closed_hours()).await;

    let page = h
        .http
        .get(format!("{}/console/", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.url().path().starts_with("/console/"), "{}", page.url());
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Connexion"), "{html}");
    assert_eq!(h.service.state.store.count_staff().await.unwrap(), 1);

    let mut changed = h.service.state.console.tickets_changed_sender().subscribe();
    let call = "CA0000000000000000000000000000c001";
    let from = "+33612340077";
    h.twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
        .await;
    let human = h
        .twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech(call, from, "un agent s'il vous plaît"),
        )
        .await;
    assert_eq!(decision(&human)["action"], "callback");
    assert!(
        changed.try_recv().is_ok(),
        "the console's live queue was not told about the new ticket"
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
    assert_eq!(tickets[0].kind, TicketKind::Callback);
    assert_eq!(tickets[0].state, TicketState::Nouveau);
    assert_eq!(tickets[0].caller_number.as_deref(), Some(from));
    h.stop().await;
}
