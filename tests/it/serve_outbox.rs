//! The SMS outbox under provider faults (500, 429, timeouts, permanent refusals) and under 200
//! simultaneous calls: no SMS lost, none sent twice.

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use guichet::serve::config::SmsProvider;
use guichet_connectors::testkit::Fault;
use guichet_store::{OutboxMessage, OutboxState, OutboxStore};
use support::*;

async fn answer_with_sms(h: &Harness, call: &str, from: &str) {
    let response = h.ring_and_ask(call, from, "mon passeport est expiré").await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
}

async fn wait_for_state(h: &Harness, id: i64, state: OutboxState) -> OutboxMessage {
    for _ in 0..300 {
        if let Some(row) = h.service.state.store.get_outbox(id).await.unwrap()
            && row.state == state
        {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "outbox row {id} never became {state}: {:?}",
        h.service.state.store.get_outbox(id).await
    );
}

#[tokio::test]
async fn server_errors_throttling_and_timeouts_are_retried_until_sent_once() {
    let h = Harness::start_with(SmsProvider::Twilio, open_hours(), |s| {
        s.outbox.request_timeout_ms = HANGING_PROVIDER_TIMEOUT_MS
    })
    .await;
    h.fake.push_faults([
        Fault::Status(500),
        Fault::TooManyRequests {
            retry_after_seconds: 0,
        },
        Fault::Hang(HANG),
        Fault::Status(503),
    ]);
    answer_with_sms(&h, "CA0000000000000000000000000000b001", "+33612345678").await;
    let row = wait_for_state(&h, 1, OutboxState::Sent).await;
    assert_eq!(row.attempts, 5);
    let metrics = h.metrics().await;
    assert!(
        metrics.contains("guichet_sms_failures_total{kind=\"transient\",provider=\"twilio\"} 4"),
        "{metrics}"
    );
    assert!(metrics.contains("guichet_sms_sent_total{provider=\"twilio\"} 1"));
    let received = h.fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        row.provider_message_id.as_deref(),
        Some(received[0].id.as_str())
    );
    assert_eq!(h.fake.attempts(), 5);
    h.stop().await;
}

#[tokio::test]
async fn a_permanent_refusal_is_not_retried() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    h.fake.push_faults([Fault::Status(400)]);
    answer_with_sms(&h, "CA0000000000000000000000000000b002", "+33612345678").await;
    let row = wait_for_state(&h, 1, OutboxState::Dead).await;
    assert_eq!(row.attempts, 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.fake.attempts(), 1);
    assert!(h.fake.received().is_empty());
    let metrics = h.metrics().await;
    assert!(
        metrics.contains("guichet_sms_failures_total{kind=\"permanent\",provider=\"twilio\"} 1"),
        "{metrics}"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_provider_down_for_good_dead_letters_after_the_last_attempt() {
    let h = Harness::start_with(SmsProvider::Twilio, open_hours(), |s| {
        s.outbox.max_attempts = 3
    })
    .await;
    h.fake
        .push_faults([Fault::Status(500), Fault::Status(502), Fault::Status(503)]);
    answer_with_sms(&h, "CA0000000000000000000000000000b003", "+33612345678").await;
    let row = wait_for_state(&h, 1, OutboxState::Dead).await;
    assert_eq!(row.attempts, 3);
    assert!(h.fake.received().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn two_hundred_simultaneous_calls_lose_and_duplicate_no_sms() {
    let h = std::sync::Arc::new(Harness::start(SmsProvider::Twilio, open_hours()).await);
    h.fake.push_faults([
        Fault::Status(500),
        Fault::TooManyRequests {
            retry_after_seconds: 0,
        },
        Fault::Status(503),
    ]);
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..200 {
        let h = h.clone();
        calls.spawn(async move {
            let call = format!("CA{i:032}");
            let from = format!("+3361{i:07}");
            h.twilio(
                "/twilio/voice",
                &twilio_call(&call, &from, MAIRIE, "ringing"),
            )
            .await;
            let params = twilio_speech(&call, &from, "mon passeport est expiré");
            // The provider retries every turn webhook once, at the same time.
            let (a, b) = tokio::join!(
                h.twilio("/twilio/voice/turn?seq=1", &params),
                h.twilio("/twilio/voice/turn?seq=1", &params)
            );
            assert_eq!(a.status(), 200);
            assert_eq!(b.status(), 200);
        });
    }
    while let Some(result) = calls.join_next().await {
        result.unwrap();
    }
    let received = h.wait_for_sms(200).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received_later = h.fake.received();
    assert_eq!(received.len(), 200);
    assert_eq!(received_later.len(), 200, "no SMS sent twice");
    let mut per_number: HashMap<&str, usize> = HashMap::new();
    for sms in &received_later {
        *per_number.entry(sms.to.as_str()).or_default() += 1;
    }
    assert_eq!(per_number.len(), 200);
    assert!(per_number.values().all(|&n| n == 1));
    assert_eq!(h.service.state.store.outbox_depth().await.unwrap(), 0);
    let Ok(h) = std::sync::Arc::try_unwrap(h) else {
        panic!("harness still shared")
    };
    h.stop().await;
}
