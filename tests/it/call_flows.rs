//! One call-flow suite for every telephony provider: each scenario is one function, run through
//! Twilio, Vonage and jambonz by a provider-neutral caller ([`driver`]) over the real webhook
//! formats and the test kit's fakes. What is specific to one provider (signatures, body limits,
//! wire details) stays in `serve_twilio.rs`, `serve_vonage.rs`, `serve_jambonz.rs`.

use crate::support;

#[path = "call_flows/driver.rs"]
mod driver;

use std::time::Duration;

use guichet::serve::transfer::{TRANSFER_UNANSWERED, TRANSFER_UNANSWERED_WITHHELD};
use guichet_store::{DialOutcome, SessionStore, Ticket, TicketKind, TicketState};

use driver::{Caller, Via};
use support::*;

const CALLER: &str = "+33612345678";
const STANDARD: &str = "+33130000000";

/// A call id the provider would give (Vonage's are UUIDs; jambonz's fake picks its own).
fn call_id(via: Via, n: u32) -> String {
    match via {
        Via::Twilio => format!("CA00000000000000000000000000{n:06}"),
        Via::Vonage | Via::Jambonz => format!("63f61863-4a51-4f6b-86e1-0000000{n:05}"),
    }
}

async fn session(h: &Harness, call: &str) -> guichet_store::SessionRecord {
    h.service
        .state
        .store
        .load_session("villebourg", call)
        .await
        .unwrap()
        .expect("the call's session")
}

async fn greeting_request_clarification_then_an_answer_with_an_sms(via: Via) {
    let h = Harness::start(via.sms(), open_hours()).await;
    let (mut call, greeting) = Caller::ring(&h, via, &call_id(via, 1), CALLER).await;
    assert_eq!(greeting.status, 200);
    assert_eq!(greeting.action(), "greet");
    assert!(greeting.gathers);
    assert!(
        greeting.said.contains("assistant automatique"),
        "{}",
        greeting.said
    );

    let clarify = call
        .say(
            "oui je voudrais refaire mon passeport s'il vous plaît",
            0.92,
        )
        .await;
    assert_eq!(clarify.action(), "clarify", "{clarify:?}");
    assert!(clarify.gathers);

    let answer = call.say("il est expiré", 0.9).await;
    let decision = answer.decision.clone().unwrap();
    assert_eq!(decision["action"], "answer", "{decision}");
    assert_eq!(decision["fiche"], "passeport-renouvellement");
    assert!(answer.gathers);
    assert!(
        answer
            .said
            .contains("Puis-je vous aider pour autre chose ?"),
        "{}",
        answer.said
    );
    let sms = h.wait_for_sms(1).await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].provider, via.name());
    assert_eq!(sms[0].to, CALLER);
    assert_eq!(sms[0].from, "VILLEBOURG");
    assert!(sms[0].text.contains("http"), "{}", sms[0].text);

    assert_eq!(call.say("non merci", 0.9).await.action(), "goodbye");
    let satisfied = call.say("oui", 0.9).await;
    assert_eq!(satisfied.decision.unwrap()["satisfaction"], true);
    assert!(satisfied.ends && !satisfied.gathers);

    let turns = h
        .service
        .state
        .store
        .conversation_turns("villebourg", &call.id)
        .await
        .unwrap();
    let actions: Vec<&str> = turns.iter().map(|t| t.action.as_str()).collect();
    assert_eq!(
        actions,
        ["greet", "clarify", "answer", "goodbye", "goodbye"]
    );
    assert!(session(&h, &call.id).await.closed_at.is_some());
    h.stop().await;
}

/// Rings, asks for an agent while the mairie is open: the transfer's ticket and dial.
async fn transferred<'h>(h: &'h Harness, via: Via, n: u32, from: &str) -> (Caller<'h>, Ticket) {
    let (mut call, _) = Caller::ring(h, via, &call_id(via, n), from).await;
    let transfer = call.say("je voudrais parler à un agent", 0.9).await;
    assert_eq!(transfer.action(), "transfer", "{transfer:?}");
    assert_eq!(transfer.dials.as_deref(), Some(STANDARD));
    assert!(!transfer.gathers);
    let tickets = h.tickets().await;
    assert_eq!(tickets.len(), 1);
    let ticket = tickets[0].clone();
    assert_eq!(ticket.kind, TicketKind::Transfer);
    assert_eq!(ticket.state, TicketState::Nouveau);
    assert_eq!(ticket.conversation_id.as_deref(), Some(call.id.as_str()));
    assert_eq!(ticket.dial_outcome, None);
    (call, ticket)
}

async fn a_transfer_when_open_then_answered(via: Via) {
    // The clock stands at the instant of the call: the ticket's closing instant is exact.
    let h = Harness::start_with(via.sms(), open_hours(), |settings| {
        settings.clock = guichet_store::Clock::from_fn(open_hours);
    })
    .await;
    let (mut call, before) = transferred(&h, via, 2, CALLER).await;
    assert_eq!(before.caller_number.as_deref(), Some(CALLER));

    let after = call.dial_ends(true).await;
    assert!(after.status < 300, "{after:?}");
    assert_eq!(after.said, "", "nothing more is said to a caller passed on");
    assert!(after.ends);
    let ticket = h.tickets().await.remove(0);
    assert_eq!(ticket.id, before.id);
    assert_eq!(ticket.kind, TicketKind::Transfer);
    assert_eq!(ticket.state, TicketState::Termine, "out of the queue");
    assert_eq!(ticket.dial_outcome, Some(DialOutcome::Answered));
    assert_eq!(
        ticket.closed_at,
        Some(open_hours()),
        "closed when the call ended, its wait frozen"
    );
    assert_eq!(
        session(&h, &call.id).await.end_reason.as_deref(),
        Some("transfer_answered")
    );

    // The same report again changes nothing.
    call.retry().await;
    assert_eq!(h.tickets().await, vec![ticket]);
    h.stop().await;
}

async fn a_transfer_when_open_then_unanswered_becomes_a_callback(via: Via) {
    let h = Harness::start(via.sms(), open_hours()).await;
    let (mut call, before) = transferred(&h, via, 3, CALLER).await;

    let after = call.dial_ends(false).await;
    assert!(after.said.contains(TRANSFER_UNANSWERED), "{after:?}");
    assert!(after.ends && !after.gathers && after.dials.is_none());
    let ticket = h.tickets().await.remove(0);
    assert_eq!(ticket.id, before.id);
    assert_eq!(ticket.kind, TicketKind::Callback);
    assert_eq!(
        ticket.state,
        TicketState::Nouveau,
        "still waiting, as a callback"
    );
    assert_eq!(ticket.dial_outcome, Some(DialOutcome::Unanswered));
    assert_eq!(ticket.caller_number.as_deref(), Some(CALLER));
    assert_eq!(ticket.topic, before.topic);
    assert_eq!(ticket.summary, before.summary);
    assert_eq!(ticket.closed_at, None);
    assert_eq!(
        session(&h, &call.id).await.end_reason.as_deref(),
        Some("transfer_unanswered")
    );

    // A retried report: the same words, no second change.
    let again = call.retry().await;
    assert_eq!(again.said, after.said);
    assert_eq!(h.tickets().await, vec![ticket]);
    h.stop().await;
}

async fn a_withheld_caller_whose_transfer_is_unanswered_is_asked_to_call_again(via: Via) {
    let h = Harness::start(via.sms(), open_hours()).await;
    let withheld = match via {
        Via::Twilio => "anonymous",
        Via::Vonage | Via::Jambonz => "",
    };
    let (mut call, before) = transferred(&h, via, 4, withheld).await;
    assert_eq!(before.caller_number, None);
    let after = call.dial_ends(false).await;
    assert!(
        after.said.contains(TRANSFER_UNANSWERED_WITHHELD),
        "{after:?}"
    );
    let ticket = h.tickets().await.remove(0);
    assert_eq!(ticket.dial_outcome, Some(DialOutcome::Unanswered));
    h.stop().await;
}

async fn a_callback_when_closed(via: Via) {
    let h = Harness::start(via.sms(), closed_hours()).await;
    let (mut call, _) = Caller::ring(&h, via, &call_id(via, 5), CALLER).await;
    let human = call.say("un agent s'il vous plaît", 0.9).await;
    assert_eq!(human.action(), "callback", "{human:?}");
    assert_eq!(human.dials, None, "no transfer when closed");
    assert!(human.said.contains("dès l'ouverture"), "{}", human.said);
    let tickets = h.tickets().await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].kind, TicketKind::Callback);
    assert_eq!(tickets[0].caller_number.as_deref(), Some(CALLER));
    assert_eq!(
        tickets[0].conversation_id.as_deref(),
        Some(call.id.as_str())
    );
    h.stop().await;
}

/// Closed hours: nobody to pass a mute caller to (open, two silences go to the standard).
async fn two_silences_then_goodbye(via: Via) {
    let h = Harness::start(via.sms(), closed_hours()).await;
    let (mut call, _) = Caller::ring(&h, via, &call_id(via, 6), CALLER).await;
    let first = call.stay_silent().await;
    assert_eq!(first.action(), "fallback", "{first:?}");
    assert!(first.gathers, "a silence is asked again");
    let second = call.stay_silent().await;
    assert_eq!(second.action(), "goodbye", "{second:?}");
    assert_eq!(second.decision.as_ref().unwrap()["rule"], "silence_twice");
    assert!(second.ends, "{second:?}");
    assert!(!second.gathers);
    assert!(second.said.contains("Au revoir"), "{}", second.said);
    assert!(session(&h, &call.id).await.closed_at.is_some());
    assert!(h.tickets().await.is_empty());
    h.stop().await;
}

async fn dtmf_zero_asks_for_a_human(via: Via) {
    let h = Harness::start(via.sms(), open_hours()).await;
    let (mut call, _) = Caller::ring(&h, via, &call_id(via, 7), CALLER).await;
    let zero = call.press("0").await;
    assert_eq!(zero.action(), "transfer", "{zero:?}");
    assert_eq!(zero.dials.as_deref(), Some(STANDARD));
    let tickets = h.tickets().await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].kind, TicketKind::Transfer);
    h.stop().await;
}

async fn a_hang_up_mid_call_closes_the_conversation(via: Via) {
    let h = Harness::start(via.sms(), open_hours()).await;
    let (mut call, _) = Caller::ring(&h, via, &call_id(via, 8), CALLER).await;
    let hours = call.say("quels sont les horaires de la mairie", 0.9).await;
    assert!(hours.gathers);
    assert!(session(&h, &call.id).await.closed_at.is_none());
    call.hang_up().await;
    let session = session(&h, &call.id).await;
    assert!(session.closed_at.is_some());
    assert_eq!(session.end_reason.as_deref(), Some("hangup"));
    h.stop().await;
}

async fn a_retried_webhook_gets_the_same_reply_and_no_second_sms(via: Via) {
    let h = Harness::start(via.sms(), open_hours()).await;
    let (mut call, greeting) = Caller::ring(&h, via, &call_id(via, 9), CALLER).await;
    let greeted_again = call.retry().await;
    assert_eq!(greeted_again.said, greeting.said);
    assert_eq!(greeted_again.action(), "greet");
    let first = call.say("mon passeport est expiré", 0.9).await;
    assert_eq!(first.action(), "answer");
    let again = call.retry().await;
    assert_eq!(again.said, first.said);
    assert_eq!(again.gathers, first.gathers);
    assert_eq!(again.action(), first.action());
    h.wait_for_sms(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.fake.received().len(), 1, "one SMS for one turn");
    let turns = h
        .service
        .state
        .store
        .conversation_turns("villebourg", &call.id)
        .await
        .unwrap();
    assert_eq!(turns.len(), 2);
    h.stop().await;
}

/// Each scenario, once per provider: `twilio::<scenario>`, `vonage::<scenario>`,
/// `jambonz::<scenario>`.
macro_rules! for_each_provider {
    ($($scenario:ident),+ $(,)?) => {
        mod twilio {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Via::Twilio).await
            })+
        }
        mod vonage {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Via::Vonage).await
            })+
        }
        mod jambonz {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Via::Jambonz).await
            })+
        }
    };
}

for_each_provider!(
    greeting_request_clarification_then_an_answer_with_an_sms,
    a_transfer_when_open_then_answered,
    a_transfer_when_open_then_unanswered_becomes_a_callback,
    a_withheld_caller_whose_transfer_is_unanswered_is_asked_to_call_again,
    a_callback_when_closed,
    two_silences_then_goodbye,
    dtmf_zero_asks_for_a_human,
    a_hang_up_mid_call_closes_the_conversation,
    a_retried_webhook_gets_the_same_reply_and_no_second_sms,
);
