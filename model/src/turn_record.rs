//! One turn as the store saves it in one transaction — the session, the turn, its tickets and
//! SMS — and what the save reports.

use serde::{Deserialize, Serialize};

use super::outbox::{NewOutboxMessage, SmsRefusal};
use super::sessions::{SessionRecord, Turn};
use super::tickets::NewTicket;

/// Everything one turn produces, saved in ONE transaction by `SessionStore::save_turn`.
/// Serialisable: the service spools it to disk when the store is unreachable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    /// The session after the turn (inserted or replaced; `started_at` of an existing row is kept).
    pub session: SessionRecord,
    /// The turn itself.
    pub turn: Turn,
    /// Tickets the turn creates.
    pub tickets: Vec<NewTicket>,
    /// SMS the turn sends.
    pub outbox: Vec<NewOutboxMessage>,
}

/// What `SessionStore::save_turn` did (the default: nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnSaved {
    /// False when the turn was already saved (a retried webhook: same `seq` and no message id,
    /// or the same message id at any `seq`) or when `conflict` is set: nothing was written.
    pub inserted: bool,
    /// The turn's `seq` is taken by ANOTHER message's turn (two messages of one conversation
    /// handled at once, here or on another node): nothing was written, and the turn must be
    /// worked out again from the session as it now is (compare-and-swap on the sequence).
    pub conflict: bool,
    /// Ids of the turn's tickets (new or already existing), in the order given; empty when the
    /// stored turn at this `seq` is not this one (a conflict, or a message already saved at
    /// another `seq`: its tickets are that turn's).
    pub ticket_ids: Vec<i64>,
    /// Ids of the turn's outbox messages, as `ticket_ids`.
    pub outbox_ids: Vec<i64>,
    /// Those of them the SMS guard refused, with the reason.
    pub refused: Vec<(i64, SmsRefusal)>,
}
