//! What one kind of delivery supplies to the one loop ([`crate::worker`]): how its due items
//! are claimed, sent and recorded, and what it does once an item's fate is known.

use std::future::Future;

use chrono::{DateTime, Utc};
use guichet_store::{FailureKind, RetryOutcome, StoreError};

/// Why one send failed: retried with backoff ([`FailureKind::Transient`]) or given up now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// What went wrong, kept with the item and shown to staff.
    pub error: String,
}

impl Failure {
    pub fn transient(error: impl Into<String>) -> Self {
        Failure {
            kind: FailureKind::Transient,
            error: error.into(),
        }
    }

    pub fn permanent(error: impl Into<String>) -> Self {
        Failure {
            kind: FailureKind::Permanent,
            error: error.into(),
        }
    }
}

/// What became of one item, once recorded in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled<'a> {
    /// The provider or the receiving service accepted it.
    Sent,
    /// It failed and is due again at this instant.
    Retry {
        failure: &'a Failure,
        at: DateTime<Utc>,
    },
    /// It failed for good (a permanent error, or the attempts are spent).
    Dead { failure: &'a Failure },
}

/// One kind of delivery (the SMS outbox, ticket notifications…) over a leased queue of the
/// store: the loop claims a batch, sends each item at once, records each outcome, and claims
/// again while batches come back full.
pub trait Courier: Send + Sync {
    /// An item of the queue, leased to this node while it is sent.
    type Item: Send + Sync;

    /// The queue's name in the logs (`sms`, `notifications`).
    fn name(&self) -> &'static str;

    /// How many items one claim leases at most (a full batch means more may be due).
    fn batch(&self) -> usize;

    /// Before claiming: queue what has become due (notifications: recent tickets').
    fn prepare(&self, now: DateTime<Utc>) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = now;
        async { Ok(()) }
    }

    /// Leases the items due at `now`, at most [`Courier::batch`].
    fn claim(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Self::Item>, StoreError>> + Send;

    /// Sends one item; on success, the receipt to keep (a provider's message id, or empty).
    fn send(&self, item: &Self::Item) -> impl Future<Output = Result<String, Failure>> + Send;

    /// Records a success; `false` when the lease was lost and another node records it.
    fn mark_sent(
        &self,
        item: &Self::Item,
        receipt: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records a failure under the queue's retry rule.
    fn mark_failed(
        &self,
        item: &Self::Item,
        failure: &Failure,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<RetryOutcome, StoreError>> + Send;

    /// Told what became of an item once it is recorded (metrics, audit log).
    fn settled(
        &self,
        item: &Self::Item,
        settled: Settled<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = (item, settled, now);
        async { Ok(()) }
    }

    /// After a pass (gauges of the queue's depth…).
    fn after_pass(&self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// The item as the logs name it (no phone number: `id=12`, `ticket=3 dest=…`).
    fn describe(&self, item: &Self::Item) -> String;

    /// How many attempts the item had before this one (for the logs).
    fn attempts(&self, item: &Self::Item) -> i32;
}
