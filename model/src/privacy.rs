//! What retention purged, and a caller's records for an access or erasure request.

use serde::{Deserialize, Serialize};

use super::outbox::OutboxMessage;
use super::sessions::{SessionRecord, TurnRow};
use super::tickets::Ticket;

/// What `PrivacyStore::purge_before` removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PurgeReport {
    /// Transcript lines deleted.
    pub turns_deleted: u64,
    /// Ended sessions deleted.
    pub sessions_deleted: u64,
    /// Closed tickets anonymised (number, summary, transcript, notes removed).
    pub tickets_anonymised: u64,
    /// Finished outbox messages deleted.
    pub outbox_deleted: u64,
    /// Tickets still open past the retention period: closed as `injoignable` (and anonymised
    /// with the closed ones, counted in `tickets_anonymised` too).
    #[serde(default)]
    pub tickets_expired: u64,
    /// Ticket notifications (sent or given up) deleted.
    #[serde(default)]
    pub notifications_deleted: u64,
    /// Audit entries deleted: the commune's, and those of no commune (logins, with the
    /// staff's e-mail and address).
    #[serde(default)]
    pub audit_deleted: u64,
}

/// Everything stored about one caller (RGPD access request).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CallerRecords {
    /// Conversations whose caller pseudonym matches.
    pub sessions: Vec<SessionRecord>,
    /// Their transcript lines.
    pub turns: Vec<TurnRow>,
    /// Tickets holding the number in clear.
    pub tickets: Vec<Ticket>,
    /// SMS sent to the number.
    pub outbox: Vec<OutboxMessage>,
}

/// What `PrivacyStore::erase_caller` removed (RGPD erasure request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErasureReport {
    /// Conversations deleted.
    pub sessions_deleted: u64,
    /// Transcript lines deleted.
    pub turns_deleted: u64,
    /// Tickets anonymised.
    pub tickets_anonymised: u64,
    /// SMS deleted.
    pub outbox_deleted: u64,
}
