//! Suite tests of the standardistes' desk: callback attempts (minimum gap, due time), hand-over
//! of a held ticket, and the filters, search and history of the ticket list.

use guichet_store::*;

use super::{communes, secs, t0, ticket, transfers::transfer};

/// Ten minutes between two attempts, three attempts.
fn rule() -> AttemptRule {
    AttemptRule {
        max_attempts: 3,
        min_gap: chrono::Duration::minutes(10),
    }
}

/// No gap between attempts (the attempt counting alone).
pub(super) fn no_gap(max_attempts: i32) -> AttemptRule {
    AttemptRule {
        max_attempts,
        min_gap: chrono::Duration::zero(),
    }
}

async fn get<S: Store>(store: &S, id: i64) -> Ticket {
    store
        .get_ticket(id, &communes(&["demo"]))
        .await
        .expect("get")
        .expect("the ticket")
}

pub async fn concurrent_unanswered_attempts_spend_one<S: Store>(store: &S) {
    let scope = communes(&["demo"]);
    let opening = t0() + chrono::Duration::hours(14);
    let id = store
        .create_ticket(&NewTicket {
            due_at: Some(opening),
            ..ticket("demo", "cb-gap", TicketKind::Callback, t0())
        })
        .await
        .expect("create");
    assert_eq!(get(store, id).await.due_at, Some(opening), "due time kept");
    assert_eq!(get(store, id).await.due(), opening);

    // Three clicks on « Injoignable » within a second, at once.
    let at = opening + secs(5);
    let (a, b, c) = tokio::join!(
        store.ticket_unreachable(id, &scope, 7, at, rule()),
        store.ticket_unreachable(
            id,
            &scope,
            7,
            at + chrono::Duration::milliseconds(300),
            rule()
        ),
        store.ticket_unreachable(
            id,
            &scope,
            7,
            at + chrono::Duration::milliseconds(600),
            rule()
        ),
    );
    let results = [a.expect("a"), b.expect("b"), c.expect("c")];
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == Transition::Applied)
            .count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Transition::Applied | Transition::Refused))
    );
    let t = get(store, id).await;
    assert_eq!(t.attempts, 1, "one attempt spent");
    assert_eq!(t.state, TicketState::Nouveau);
    let last = t.last_attempt_at.expect("last attempt recorded");
    assert!(last >= at && last <= at + secs(1), "{last}");
    assert_eq!(t.due_at, Some(last + chrono::Duration::minutes(10)));

    // Five minutes later: still too soon. Ten minutes later: the second attempt counts.
    assert_eq!(
        store
            .ticket_unreachable(id, &scope, 7, last + chrono::Duration::minutes(5), rule())
            .await
            .expect("too soon"),
        Transition::Refused
    );
    assert_eq!(get(store, id).await.attempts, 1);
    assert_eq!(
        store
            .ticket_unreachable(id, &scope, 7, last + chrono::Duration::minutes(10), rule())
            .await
            .expect("second"),
        Transition::Applied
    );
    assert_eq!(get(store, id).await.attempts, 2);
}

pub async fn an_unanswered_transfer_is_a_callback_due_at_once<S: Store>(store: &S) {
    let saved = store
        .save_turn(&transfer("villebourg", "due-now", Some("+33612345678")))
        .await
        .expect("turn");
    let at = t0() + secs(40);
    store
        .record_dial_outcome("villebourg", "due-now", DialOutcome::Unanswered, at)
        .await
        .expect("outcome")
        .expect("a transfer ticket");
    let t = store
        .get_ticket(saved.ticket_ids[0], &communes(&["villebourg"]))
        .await
        .expect("get")
        .expect("ticket");
    assert_eq!(t.kind, TicketKind::Callback);
    assert_eq!(t.due_at, Some(at));
}

pub async fn a_held_ticket_is_handed_over_by_its_holder_or_an_admin<S: Store>(store: &S) {
    let scope = communes(&["demo"]);
    let id = store
        .create_ticket(&ticket("demo", "hand-over", TicketKind::Transfer, t0()))
        .await
        .expect("create");
    let hand = |actor: i64, admin: bool, to: Option<i64>, note: &str| HandOver {
        actor,
        admin,
        to,
        at: t0() + secs(60),
        note: note.into(),
    };
    // Not held yet: nothing to hand over.
    assert_eq!(
        store
            .hand_over_ticket(id, &scope, &hand(7, true, None, "remis"))
            .await
            .expect("not held"),
        Transition::Refused
    );
    assert_eq!(
        store
            .claim_ticket(id, &scope, 7, t0())
            .await
            .expect("claim"),
        Transition::Applied
    );
    // A colleague who is neither the holder nor an admin.
    assert_eq!(
        store
            .hand_over_ticket(id, &scope, &hand(8, false, Some(8), "je le prends"))
            .await
            .expect("colleague"),
        Transition::Refused
    );
    assert_eq!(get(store, id).await.claimed_by, Some(7));
    // Another commune's viewer does not see it; an empty note is refused.
    assert_eq!(
        store
            .hand_over_ticket(id, &communes(&["other"]), &hand(7, true, None, "remis"))
            .await
            .expect("other commune"),
        Transition::NotFound
    );
    assert!(
        store
            .hand_over_ticket(id, &scope, &hand(7, false, None, "  "))
            .await
            .is_err()
    );
    // The holder puts it back in the queue.
    assert_eq!(
        store
            .hand_over_ticket(id, &scope, &hand(7, false, None, "Remis dans la file"))
            .await
            .expect("release"),
        Transition::Applied
    );
    let t = get(store, id).await;
    assert_eq!(
        (t.state, t.claimed_by, t.claimed_at),
        (TicketState::Nouveau, None, None)
    );
    // Taken again, then an admin gives it to a colleague.
    store
        .claim_ticket(id, &scope, 7, t0())
        .await
        .expect("claim");
    assert_eq!(
        store
            .hand_over_ticket(id, &scope, &hand(9, true, Some(8), "Réattribué à b@x"))
            .await
            .expect("reassign"),
        Transition::Applied
    );
    let t = get(store, id).await;
    assert_eq!(t.state, TicketState::PrisEnCharge);
    assert_eq!(t.claimed_by, Some(8));
    assert_eq!(t.claimed_at, Some(t0() + secs(60)));
    let notes = store.ticket_notes(id, &scope).await.expect("notes");
    let written: Vec<(Option<i64>, &str)> =
        notes.iter().map(|n| (n.author, n.body.as_str())).collect();
    assert_eq!(
        written,
        [
            (Some(7), "Remis dans la file"),
            (Some(9), "Réattribué à b@x")
        ]
    );
}

pub async fn tickets_are_filtered_searched_and_paged<S: Store>(store: &S) {
    let scope = communes(&["demo"]);
    let make = |key: &str, kind: TicketKind, topic: &str, number: &str, minute: i64| NewTicket {
        topic: topic.into(),
        caller_number: Some(number.into()),
        summary: format!("Résumé {key} : 100% remboursé"),
        transcript: serde_json::json!([{ "caller": format!("je veux parler de {topic}") }]),
        ..ticket("demo", key, kind, t0() + chrono::Duration::minutes(minute))
    };
    let a = store
        .create_ticket(&make(
            "f-a",
            TicketKind::Callback,
            "Passeport",
            "+33612345678",
            1,
        ))
        .await
        .expect("a");
    let b = store
        .create_ticket(&make(
            "f-b",
            TicketKind::Transfer,
            "Demande non comprise",
            "+33698765432",
            2,
        ))
        .await
        .expect("b");
    let c = store
        .create_ticket(&make(
            "f-c",
            TicketKind::Callback,
            "Cantine scolaire",
            "+447700900123",
            3,
        ))
        .await
        .expect("c");
    let ids = |tickets: Vec<Ticket>| tickets.into_iter().map(|t| t.id).collect::<Vec<_>>();
    let list = |filter: TicketFilter| async move {
        store
            .list_tickets(&TicketFilter {
                communes: communes(&["demo"]),
                ..filter
            })
            .await
            .expect("list")
    };
    let search = |search: TicketSearch| TicketFilter {
        search: Some(search),
        ..TicketFilter::default()
    };
    assert_eq!(
        ids(list(TicketFilter {
            kinds: vec![TicketKind::Callback],
            ..TicketFilter::default()
        })
        .await),
        [c, a]
    );
    assert_eq!(
        ids(list(TicketFilter {
            topic: Some("Passeport".into()),
            ..TicketFilter::default()
        })
        .await),
        [a]
    );
    // By number, in any spelling; by ticket id; by words in the summary or the transcript.
    let by_number = TicketSearch {
        number: Some("06 98 76 54 32".into()),
        ..TicketSearch::default()
    };
    assert_eq!(ids(list(search(by_number)).await), [b]);
    let by_id = TicketSearch {
        id: Some(c),
        ..TicketSearch::default()
    };
    assert_eq!(ids(list(search(by_id)).await), [c]);
    let words = |w: &str| TicketSearch {
        words: Some(w.into()),
        ..TicketSearch::default()
    };
    assert_eq!(ids(list(search(words("CANTINE"))).await), [c]);
    assert_eq!(ids(list(search(words("parler de passeport"))).await), [a]);
    // `%` and `_` are letters, not wildcards.
    assert_eq!(ids(list(search(words("100%"))).await).len(), 3);
    assert!(list(search(words("1_0"))).await.is_empty());
    assert!(list(search(words("%%%zzz"))).await.is_empty());

    // Held by one staff member.
    store.claim_ticket(b, &scope, 7, t0()).await.expect("claim");
    assert_eq!(
        ids(list(TicketFilter {
            claimed_by: Some(7),
            ..TicketFilter::default()
        })
        .await),
        [b]
    );

    // The history: closed ones, newest closed first, a page at a time.
    store
        .close_ticket(c, &scope, 7, t0() + chrono::Duration::hours(1))
        .await
        .expect("close c");
    store
        .close_ticket(a, &scope, 7, t0() + chrono::Duration::hours(2))
        .await
        .expect("close a");
    store
        .close_ticket(b, &scope, 7, t0() + chrono::Duration::hours(3))
        .await
        .expect("close b");
    let page = |offset: i64| TicketFilter {
        states: vec![TicketState::Termine, TicketState::Injoignable],
        by_closing: true,
        limit: Some(2),
        offset: Some(offset),
        ..TicketFilter::default()
    };
    assert_eq!(ids(list(page(0)).await), [b, a]);
    assert_eq!(ids(list(page(2)).await), [c]);
    assert!(list(page(4)).await.is_empty());
}
