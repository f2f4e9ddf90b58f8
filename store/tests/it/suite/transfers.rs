//! Suite tests of a live transfer's dial outcome on its ticket (same semantics on every
//! backend).

use guichet_store::*;

use super::{communes, record, secs, t0};

/// A turn of `conversation` that transfers the caller: its ticket is a transfer ticket.
pub(super) fn transfer(tenant: &str, conversation: &str, number: Option<&str>) -> TurnRecord {
    let mut turn = record(tenant, conversation, 1, t0());
    turn.outbox.clear();
    turn.session.closed_at = Some(t0());
    turn.session.end_reason = Some("transfer".into());
    turn.tickets[0].kind = TicketKind::Transfer;
    turn.tickets[0].conversation_id = Some(conversation.to_string());
    turn.tickets[0].caller_number = number.map(str::to_string);
    turn
}

async fn ticket_of<S: Store>(store: &S, id: i64) -> Ticket {
    store
        .get_ticket(id, &communes(&["villebourg"]))
        .await
        .unwrap()
        .expect("the ticket")
}

async fn end_reason<S: Store>(store: &S, conversation: &str) -> Option<String> {
    store
        .load_session("villebourg", conversation)
        .await
        .unwrap()
        .expect("the session")
        .end_reason
}

pub async fn a_dial_outcome_resolves_its_transfer_ticket_once<S: Store>(store: &S) {
    let at = t0() + secs(40);
    store
        .save_turn(&transfer("villebourg", "answered", Some("+33612345678")))
        .await
        .unwrap();
    store
        .save_turn(&transfer("villebourg", "unanswered", None))
        .await
        .unwrap();
    // A conversation with only a callback ticket has no transfer to resolve.
    let mut callback = record("villebourg", "callback", 1, t0());
    callback.tickets[0].conversation_id = Some("callback".into());
    store.save_turn(&callback).await.unwrap();

    // Answered: out of the queue, its wait frozen when the standard picked up.
    let answered = store
        .record_dial_outcome("villebourg", "answered", DialOutcome::Answered, at)
        .await
        .unwrap()
        .expect("a transfer ticket");
    assert_eq!(answered.outcome, DialOutcome::Answered);
    assert!(answered.changed && answered.caller_known);
    let ticket = ticket_of(store, answered.ticket_id).await;
    assert_eq!(ticket.kind, TicketKind::Transfer);
    assert_eq!(ticket.state, TicketState::Termine);
    assert_eq!(ticket.closed_at, Some(at));
    assert_eq!(ticket.dial_outcome, Some(DialOutcome::Answered));
    assert_eq!(
        end_reason(store, "answered").await.as_deref(),
        Some("transfer_answered")
    );
    // A late, contradicting report changes nothing and gets the first outcome.
    let again = store
        .record_dial_outcome(
            "villebourg",
            "answered",
            DialOutcome::Unanswered,
            at + secs(5),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.outcome, again.changed),
        (DialOutcome::Answered, false)
    );
    assert_eq!(ticket_of(store, answered.ticket_id).await, ticket);

    // Unanswered: a callback ticket, still waiting, its words kept.
    let before = store
        .list_tickets(&TicketFilter {
            communes: communes(&["villebourg"]),
            ..TicketFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.conversation_id.as_deref() == Some("unanswered"))
        .unwrap();
    let unanswered = store
        .record_dial_outcome("villebourg", "unanswered", DialOutcome::Unanswered, at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unanswered.ticket_id, before.id);
    assert!(unanswered.changed);
    assert!(!unanswered.caller_known, "a withheld number");
    let ticket = ticket_of(store, unanswered.ticket_id).await;
    assert_eq!(ticket.kind, TicketKind::Callback);
    assert_eq!(ticket.state, TicketState::Nouveau);
    assert_eq!(ticket.closed_at, None);
    assert_eq!(ticket.dial_outcome, Some(DialOutcome::Unanswered));
    assert_eq!(
        (ticket.topic.as_str(), ticket.summary.as_str()),
        (before.topic.as_str(), before.summary.as_str())
    );
    assert_eq!(
        end_reason(store, "unanswered").await.as_deref(),
        Some("transfer_unanswered")
    );
    let again = store
        .record_dial_outcome("villebourg", "unanswered", DialOutcome::Unanswered, at)
        .await
        .unwrap()
        .unwrap();
    assert!(!again.changed);
    assert_eq!(ticket_of(store, unanswered.ticket_id).await, ticket);

    // No transfer ticket, or another commune's conversation: nothing to record.
    for (tenant, conversation) in [("villebourg", "callback"), ("autre", "answered")] {
        let none = store
            .record_dial_outcome(tenant, conversation, DialOutcome::Unanswered, at)
            .await
            .unwrap();
        assert_eq!(none, None, "{tenant} {conversation}");
    }
}
