//! Suite tests of turns racing for one conversation: two messages handled at once must both be
//! kept (compare-and-swap on the sequence), a message saved again is the same turn.

use std::collections::HashSet;

use chrono::Duration;
use guichet_store::*;
use serde_json::json;

use super::{communes, record, t0};

/// Turn `seq` of conversation `conversation` answering message `message`, with its own ticket
/// and SMS keyed on the message.
fn message_turn(conversation: &str, seq: i64, message: &str) -> TurnRecord {
    let mut rec = record("demo", conversation, seq, t0() + Duration::seconds(seq));
    rec.turn.message_id = Some(message.into());
    rec.turn.caller_text = format!("message {message}");
    rec.session.state = json!({ "seq": seq, "message": message });
    rec.tickets[0].idempotency_key = format!("{conversation}:{message}:ticket");
    rec.outbox[0].idempotency_key = format!("{conversation}:{message}:sms");
    rec
}

async fn caller_texts<S: Store>(store: &S, conversation: &str) -> Vec<(i64, String)> {
    store
        .conversation_turns("demo", conversation)
        .await
        .expect("turns")
        .into_iter()
        .map(|turn| (turn.seq, turn.caller_text))
        .collect()
}

pub async fn two_messages_for_one_seq_are_a_conflict_not_a_retry<S: Store>(store: &S) {
    let first = store
        .save_turn(&message_turn("SM1", 1, "m1"))
        .await
        .expect("first");
    assert!(first.inserted && !first.conflict);

    // Another message worked out from the same session: its `seq` is taken.
    let second = message_turn("SM1", 1, "m2");
    let lost = store.save_turn(&second).await.expect("second");
    assert!(!lost.inserted);
    assert!(lost.conflict, "another message's seq is a conflict");
    assert!(lost.ticket_ids.is_empty() && lost.outbox_ids.is_empty());
    // Nothing of it was written: not its SMS, its ticket nor its session.
    assert_eq!(store.outbox_depth().await.expect("depth"), 1);
    let session = store.load_session("demo", "SM1").await.expect("load");
    assert_eq!(session.expect("session").state["message"], "m1");

    // Worked out again after the first, it is kept.
    let again = store
        .save_turn(&message_turn("SM1", 2, "m2"))
        .await
        .expect("again");
    assert!(again.inserted && !again.conflict);
    assert_eq!(
        caller_texts(store, "SM1").await,
        [(1, "message m1".into()), (2, "message m2".into())]
    );
    assert_eq!(store.outbox_depth().await.expect("depth"), 2);
    assert_eq!(
        store
            .list_open_tickets(&communes(&["demo"]))
            .await
            .expect("tickets")
            .len(),
        2
    );
}

pub async fn a_message_saved_again_at_another_seq_is_the_same_turn<S: Store>(store: &S) {
    let first = store
        .save_turn(&message_turn("SM2", 1, "m1"))
        .await
        .expect("first");
    assert!(first.inserted);
    // The same webhook, retried after the session moved on: it would be turn 2 now.
    let mut retried = message_turn("SM2", 2, "m1");
    retried.tickets[0].idempotency_key = "SM2:2:ticket".into();
    retried.outbox[0].idempotency_key = "SM2:2:sms".into();
    let saved = store.save_turn(&retried).await.expect("retry");
    assert!(!saved.inserted);
    assert!(!saved.conflict, "the same message is a retry");
    assert!(saved.ticket_ids.is_empty() && saved.outbox_ids.is_empty());
    assert_eq!(caller_texts(store, "SM2").await.len(), 1);
    assert_eq!(store.outbox_depth().await.expect("depth"), 1);

    // The same message at the same seq (a retry racing its original): its rows, no new ones.
    let same = store
        .save_turn(&message_turn("SM2", 1, "m1"))
        .await
        .expect("same");
    assert!(!same.inserted && !same.conflict);
    assert_eq!(same.ticket_ids, first.ticket_ids);
    assert_eq!(same.outbox_ids, first.outbox_ids);

    // Turns without a message id (a call's) are still retried on their seq.
    let call = record("demo", "CA9", 1, t0());
    assert!(store.save_turn(&call).await.expect("call").inserted);
    let retried = store.save_turn(&call).await.expect("call retry");
    assert!(!retried.inserted && !retried.conflict);
    assert_eq!(retried.outbox_ids.len(), 1);
}

pub async fn concurrent_messages_of_one_conversation_are_all_kept<S: Store + Clone + 'static>(
    store: &S,
) {
    // Ten messages at once, each worked out from the session as it reads it, as the service
    // does: on a conflict, read again and take the next seq.
    let mut tasks = Vec::new();
    for index in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let message = format!("m{index}");
            let mut conflicts = 0;
            loop {
                let next = store
                    .conversation_turns("demo", "SM3")
                    .await
                    .expect("turns")
                    .last()
                    .map_or(1, |turn| turn.seq + 1);
                let saved = store
                    .save_turn(&message_turn("SM3", next, &message))
                    .await
                    .expect("save");
                if saved.inserted {
                    return conflicts;
                }
                assert!(saved.conflict, "a new message is never taken for a retry");
                conflicts += 1;
                assert!(conflicts < 100, "no progress");
            }
        }));
    }
    for task in tasks {
        task.await.expect("join");
    }
    let turns = caller_texts(store, "SM3").await;
    assert_eq!(
        turns.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    let texts: HashSet<String> = turns.into_iter().map(|(_, text)| text).collect();
    assert_eq!(texts.len(), 10, "every message has its turn");
    assert_eq!(store.outbox_depth().await.expect("depth"), 10);
}
