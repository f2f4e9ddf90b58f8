//! The SMS outbox: messages, the guard's refusals and limits, retries and delivery reports.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Invalid;

text_enum! {
    /// Life cycle of an outbound SMS.
    OutboxState {
        /// Waiting to be sent at `next_attempt_at`.
        Pending => "pending",
        /// Leased by a worker until `next_attempt_at`; returns to the queue when the lease ends.
        Sending => "sending",
        /// Accepted by the provider (`provider_message_id`).
        Sent => "sent",
        /// The provider reported delivery to the handset.
        Delivered => "delivered",
        /// The provider reported that delivery failed (final).
        Failed => "failed",
        /// Given up: a permanent error or too many attempts (final).
        Dead => "dead",
        /// Never sent: the commune's SMS guard refused it (final; see `refusal`).
        Refused => "refused",
    }
}

text_enum! {
    /// Why the SMS guard refused an SMS (the outbox row keeps it).
    SmsRefusal {
        /// Not a French mobile number (metropolitan or overseas).
        Destination => "destination",
        /// The recipient already got the commune's daily number of SMS.
        RecipientCap => "plafond_destinataire",
        /// The commune's daily SMS budget is spent.
        Budget => "budget",
    }
}

impl SmsRefusal {
    /// What staff read in the console.
    pub fn message(self) -> &'static str {
        match self {
            SmsRefusal::Destination => {
                "refusé : le destinataire n'est pas un mobile français (métropole ou outre-mer)"
            }
            SmsRefusal::RecipientCap => {
                "refusé : ce destinataire a déjà reçu le nombre maximal de SMS du jour"
            }
            SmsRefusal::Budget => "refusé : le budget quotidien de SMS de la commune est épuisé",
        }
    }
}

/// The daily limits of the SMS guard, checked by the store in the same write as the insert (two
/// concurrent SMS never both pass the last place).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsLimits {
    /// Start of the commune's day (local midnight): SMS queued since count.
    pub day_start: DateTime<Utc>,
    /// SMS per recipient per day.
    pub per_recipient: i64,
    /// SMS per commune per day.
    pub daily_budget: i64,
}

impl OutboxState {
    /// Whether the message still needs the worker (pending or sending).
    pub fn is_queued(self) -> bool {
        matches!(self, OutboxState::Pending | OutboxState::Sending)
    }
}

/// An SMS to send (decided in a turn, or on its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewOutboxMessage {
    /// Unique key making the send idempotent, e.g. `"{provider call id}:{seq}:sms:0"`: a
    /// retried webhook never queues the same SMS twice.
    pub idempotency_key: String,
    /// The commune.
    pub tenant: String,
    /// The conversation it comes from, if any.
    pub conversation_id: Option<String>,
    /// Recipient number in E.164, in clear (needed to send it; removed by retention).
    pub to: String,
    /// Sender id (commune.toml's SMS sender name or number).
    pub sender: String,
    /// Text.
    pub body: String,
    /// Creation time; the message is due immediately.
    pub created_at: DateTime<Utc>,
    /// Refused before it reaches the store (its destination): kept as `refused`.
    #[serde(default)]
    pub refusal: Option<SmsRefusal>,
    /// The commune's daily limits, checked atomically by the store; `None`: none.
    #[serde(default)]
    pub limits: Option<SmsLimits>,
}

/// A stored outbound SMS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Row id.
    pub id: i64,
    /// Idempotency key.
    pub idempotency_key: String,
    /// The commune.
    pub tenant: String,
    /// The conversation it comes from.
    pub conversation_id: Option<String>,
    /// Recipient (empty once anonymised by retention).
    pub to: String,
    /// Sender id.
    pub sender: String,
    /// Text (empty once anonymised by retention).
    pub body: String,
    /// State.
    pub state: OutboxState,
    /// Send attempts started so far (incremented by each claim).
    pub attempts: i32,
    /// Pending: when to try next. Sending: when the worker's lease ends.
    pub next_attempt_at: DateTime<Utc>,
    /// Last error reported by a worker or the provider.
    pub last_error: Option<String>,
    /// The provider's id for the message, once sent.
    pub provider_message_id: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Why the SMS guard refused it (state `refused`).
    pub refusal: Option<SmsRefusal>,
}

/// Exponential backoff of outbox retries; the single place this rule lives.
///
/// After the `n`-th failed attempt (n ≥ 1) the message waits `base × 2^(n−1)`, capped at
/// `max_delay`; once `attempts` reaches `max_attempts` it is dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max_delay: Duration,
    /// Attempts after which a failing message becomes `dead`.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    /// 5 s, 10 s, 20 s, … capped at 10 min; dead after 8 attempts (about 21 minutes).
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// What follows a failed attempt of this kind, the `attempts`-th, made at `now`.
    pub fn outcome(&self, kind: FailureKind, attempts: i32, now: DateTime<Utc>) -> RetryOutcome {
        if kind == FailureKind::Permanent || self.exhausted(attempts) {
            return RetryOutcome::Dead;
        }
        let delay =
            chrono::Duration::from_std(self.delay_after(attempts)).unwrap_or(chrono::Duration::MAX);
        match now.checked_add_signed(delay) {
            Some(at) => RetryOutcome::RetryAt(at),
            None => RetryOutcome::Dead,
        }
    }

    /// Delay before the next attempt after `attempts` attempts failed.
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
        self.base
            .checked_mul(1u32 << exponent)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// Whether a message that failed `attempts` times must be given up.
    pub fn exhausted(&self, attempts: i32) -> bool {
        attempts >= self.max_attempts
    }
}

/// What a worker reports after a failed send attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Timeout, 429, 5xx: retry with backoff (dead once the policy is exhausted).
    Transient,
    /// The provider refused the message for good: dead now.
    Permanent,
}

/// What became of a message after `OutboxStore::mark_outbox_failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Back to `pending`, due at this instant.
    RetryAt(DateTime<Utc>),
    /// Dead-lettered.
    Dead,
    /// No such message, or it is no longer being sent (already final).
    Ignored,
}

/// A delivery report from the provider's status callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Delivered to the handset.
    Delivered,
    /// Delivery failed.
    Failed,
}

impl NewOutboxMessage {
    /// Refuses a message that cannot be sent (empty key, recipient or body).
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.idempotency_key.trim().is_empty() {
            return Err(Invalid("SMS without idempotency key".into()));
        }
        if self.to.trim().is_empty() {
            return Err(Invalid("SMS without recipient".into()));
        }
        if self.body.trim().is_empty() {
            return Err(Invalid("SMS with an empty body".into()));
        }
        Ok(())
    }
}

/// Which SMS of the outbox to list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutboxFilter {
    /// Communes the viewer may see; an empty list matches nothing.
    pub communes: Vec<String>,
    /// States to include; empty means all states.
    pub states: Vec<OutboxState>,
    /// At most this many (most recently changed first).
    pub limit: Option<i64>,
}
