//! Conversations as the store keeps them: sessions, turns, and one turn's record with its tickets and SMS.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::outbox::{NewOutboxMessage, SmsRefusal};
use super::tickets::NewTicket;

text_enum! {
    /// How the citizen reached the desk.
    Channel {
        /// A phone call (speech / DTMF).
        Voice => "voice",
        /// Text messages.
        Sms => "sms",
        /// The generic JSON API (web chat…).
        Chat => "chat",
    }
}

/// A conversation's persisted state, so that any node can continue it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The commune (tenant id).
    pub tenant: String,
    /// Conversation id (provider call id, SMS conversation id, chat id); unique per tenant.
    pub conversation_id: String,
    /// Channel of the conversation (kept from the first save).
    pub channel: Channel,
    /// The caller's number, pseudonymised with [`crate::pseudonymise`]; `None` if withheld.
    /// Kept from the first save.
    pub caller: Option<String>,
    /// The engine's session, serialised by the caller.
    pub state: Value,
    /// When the conversation started (kept from the first save).
    pub started_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// After this instant the session is expired (inactivity timeout).
    pub expires_at: DateTime<Utc>,
    /// When the conversation ended, if it did.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it ended: free text chosen by the caller, e.g. `goodbye`, `hangup`, `transfer`,
    /// `expired` (set by [`crate::Store::cleanup_expired_sessions`]).
    pub end_reason: Option<String>,
}

impl SessionRecord {
    /// Whether the conversation can go on at `now`: not closed and not expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.closed_at.is_none() && self.expires_at > now
    }
}

/// One exchange of a conversation (the transcript line with its decision trace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Sequence number within the conversation, from 1 (0 may be the greeting).
    /// `(tenant, conversation_id, seq)` is unique: saving it twice is a no-op.
    pub seq: i64,
    /// When the turn happened.
    pub at: DateTime<Utc>,
    /// What the caller said or wrote (empty for the greeting or a silence).
    pub caller_text: String,
    /// What the robot answered (all utterances joined).
    pub reply_text: String,
    /// The engine's decision trace, serialised by the caller.
    pub decision: Value,
    /// The decision's action (`answer`, `clarify`, `transfer`, …).
    pub action: String,
    /// The fiche the decision is about, if any.
    pub fiche: Option<String>,
    /// Confidence of the decision, if any.
    pub confidence: Option<f64>,
    /// What the provider was answered, serialised by the caller, to answer a retried webhook
    /// identically; `None` for turns saved before it was kept.
    #[serde(default)]
    pub reply: Option<Value>,
    /// The provider's id of the message this turn answers (an SMS), unique in a conversation:
    /// a retried webhook with the same id is this turn again. `None` for turns whose sequence
    /// number is their identity (a call's turns, numbered in our callback URLs).
    #[serde(default)]
    pub message_id: Option<String>,
}

/// A stored turn with its conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRow {
    /// The commune.
    pub tenant: String,
    /// The conversation.
    pub conversation_id: String,
    /// The turn.
    #[serde(flatten)]
    pub turn: Turn,
}

/// Everything one turn produces, saved in ONE transaction by [`crate::Store::save_turn`].
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

/// What [`crate::Store::save_turn`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
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
