//! The one delivery loop: claim what is due under a lease, send each item, record each
//! outcome with the store's retry rule, log it; then wait for a wake-up, the poll interval or
//! the shutdown. Every kind of delivery runs it through its [`Courier`].

use std::sync::Arc;
use std::time::Duration;

use guichet_store::{Clock, RetryOutcome, StoreError, redact_numbers};
use tokio::sync::{Notify, watch};

use crate::courier::{Courier, Settled};

/// One pass: prepares, then claims and delivers batch after batch until a claim comes back
/// short. Returns the number of attempts made by this node.
pub async fn deliver_due<C: Courier>(courier: &C, clock: &Clock) -> Result<usize, StoreError> {
    courier.prepare(clock.now()).await?;
    let mut attempts = 0;
    loop {
        let batch = courier.claim(clock.now()).await?;
        attempts += batch.len();
        let results =
            futures_util::future::join_all(batch.iter().map(|item| attempt(courier, item, clock)))
                .await;
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        if batch.len() < courier.batch() {
            break;
        }
    }
    courier.after_pass().await;
    Ok(attempts)
}

/// Sends one leased item and records how it went.
async fn attempt<C: Courier>(courier: &C, item: &C::Item, clock: &Clock) -> Result<(), StoreError> {
    let failure = match courier.send(item).await {
        Ok(receipt) => {
            let now = clock.now();
            if courier.mark_sent(item, &receipt, now).await? {
                courier.settled(item, Settled::Sent, now).await?;
            }
            return Ok(());
        }
        Err(failure) => failure,
    };
    let now = clock.now();
    let queue = courier.name();
    let described = courier.describe(item);
    let attempts = courier.attempts(item);
    // For the logs: an error may quote a phone number.
    let logged = redact_numbers(&failure.error);
    match courier.mark_failed(item, &failure, now).await? {
        RetryOutcome::RetryAt(at) => {
            tracing::warn!(queue, item = %described, attempts, error = %logged, retry_at = %at, "delivery failed, will retry");
            courier
                .settled(
                    item,
                    Settled::Retry {
                        failure: &failure,
                        at,
                    },
                    now,
                )
                .await
        }
        RetryOutcome::Dead => {
            tracing::error!(queue, item = %described, attempts, error = %logged, "delivery given up");
            courier
                .settled(item, Settled::Dead { failure: &failure }, now)
                .await
        }
        // No longer leased to this node: its new holder records the outcome.
        RetryOutcome::Ignored => Ok(()),
    }
}

/// When the loop looks again: at once when `wake` is notified (new work saved by this node),
/// else every `poll`.
#[derive(Debug, Clone)]
pub struct Pace {
    pub poll: Duration,
    pub wake: Arc<Notify>,
}

impl Pace {
    /// Every `poll`, with a wake-up nobody else holds.
    pub fn every(poll: Duration) -> Self {
        Pace {
            poll,
            wake: Arc::new(Notify::new()),
        }
    }
}

/// Runs passes until `shutdown` turns true; the pass in flight is finished first, and what
/// is not sent stays in the store for the next start (or another node).
pub async fn run<C: Courier>(
    courier: C,
    clock: Clock,
    pace: Pace,
    mut shutdown: watch::Receiver<bool>,
) {
    let queue = courier.name();
    tracing::info!(queue, "delivery worker started");
    while !*shutdown.borrow() {
        if let Err(error) = deliver_due(&courier, &clock).await {
            tracing::error!(queue, %error, "delivery pass: store unavailable");
        }
        tokio::select! {
            _ = pace.wake.notified() => {}
            _ = tokio::time::sleep(pace.poll) => {}
            changed = shutdown.changed() => {
                // The sender is gone: nobody can ask for a shutdown any more; stop.
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    tracing::info!(queue, "delivery worker stopped");
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::{DateTime, Utc};
    use guichet_store::FailureKind;

    use super::*;
    use crate::courier::Failure;

    /// An in-memory queue of `count` items: item `i` is sent when `i % 4 == 0 or 3`, fails
    /// for now when `i % 4 == 1`, fails for good when `i % 4 == 2`; item 3's lease is lost.
    struct Fake {
        due: Mutex<Vec<i64>>,
        settled: Mutex<Vec<(i64, &'static str)>>,
        sent: Mutex<Vec<i64>>,
    }

    impl Fake {
        fn new(count: i64) -> Self {
            Fake {
                due: Mutex::new((0..count).collect()),
                settled: Mutex::new(Vec::new()),
                sent: Mutex::new(Vec::new()),
            }
        }
    }

    impl Courier for Fake {
        type Item = i64;

        fn name(&self) -> &'static str {
            "fake"
        }

        fn batch(&self) -> usize {
            3
        }

        async fn claim(&self, _now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
            let mut due = self.due.lock().unwrap();
            let take = due.len().min(self.batch());
            Ok(due.drain(..take).collect())
        }

        async fn send(&self, item: &i64) -> Result<String, Failure> {
            match item % 4 {
                1 => Err(Failure::transient("HTTP 503")),
                2 => Err(Failure::permanent("numéro refusé +33612345678")),
                _ => Ok(format!("receipt-{item}")),
            }
        }

        async fn mark_sent(
            &self,
            item: &i64,
            receipt: &str,
            _now: DateTime<Utc>,
        ) -> Result<bool, StoreError> {
            assert_eq!(receipt, format!("receipt-{item}"));
            self.sent.lock().unwrap().push(*item);
            Ok(*item != 3)
        }

        async fn mark_failed(
            &self,
            _item: &i64,
            failure: &Failure,
            now: DateTime<Utc>,
        ) -> Result<RetryOutcome, StoreError> {
            Ok(match failure.kind {
                FailureKind::Transient => {
                    RetryOutcome::RetryAt(now + chrono::Duration::seconds(30))
                }
                FailureKind::Permanent => RetryOutcome::Dead,
            })
        }

        async fn settled(
            &self,
            item: &i64,
            settled: Settled<'_>,
            _now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            let label = match settled {
                Settled::Sent => "sent",
                Settled::Retry { .. } => "retry",
                Settled::Dead { .. } => "dead",
            };
            self.settled.lock().unwrap().push((*item, label));
            Ok(())
        }

        fn describe(&self, item: &i64) -> String {
            format!("id={item}")
        }

        fn attempts(&self, _item: &i64) -> i32 {
            0
        }
    }

    fn at_ten() -> Clock {
        Clock::from_fn(|| "2026-03-10T10:00:00Z".parse().unwrap())
    }

    #[tokio::test]
    async fn a_pass_claims_batch_after_batch_and_settles_each_item_once() {
        let fake = Fake::new(8);
        let attempts = deliver_due(&fake, &at_ten()).await.unwrap();
        assert_eq!(
            attempts, 8,
            "three full batches… then a short one ends the pass"
        );
        assert!(fake.due.lock().unwrap().is_empty());
        let mut settled = fake.settled.lock().unwrap().clone();
        settled.sort();
        assert_eq!(
            settled,
            vec![
                (0, "sent"),
                (1, "retry"),
                (2, "dead"),
                (4, "sent"),
                (5, "retry"),
                (6, "dead"),
                (7, "sent"),
            ],
            "item 3 was sent but its lease was lost: its new holder settles it"
        );
        let mut sent = fake.sent.lock().unwrap().clone();
        sent.sort();
        assert_eq!(sent, vec![0, 3, 4, 7]);
    }

    #[tokio::test]
    async fn an_empty_queue_makes_no_attempt() {
        let fake = Fake::new(0);
        assert_eq!(deliver_due(&fake, &at_ten()).await.unwrap(), 0);
        assert!(fake.settled.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_worker_stops_when_asked_without_waiting_for_its_poll() {
        let fake = Fake::new(5);
        let (stop, stopped) = watch::channel(false);
        let pace = Pace::every(Duration::from_secs(3600));
        let wake = pace.wake.clone();
        let worker = tokio::spawn(run(fake, at_ten(), pace, stopped));
        wake.notify_one();
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), worker)
            .await
            .expect("the worker stops without waiting for its poll interval")
            .unwrap();
    }
}
