//! Conversations as the store keeps them: sessions, turns, and one turn's record with its tickets and SMS.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// The caller's number, pseudonymised with `guichet_store::pseudonymise`; `None` if withheld.
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
    /// `expired` (set by `SessionStore::cleanup_expired_sessions`).
    pub end_reason: Option<String>,
}

impl SessionRecord {
    /// Whether the conversation can go on at `now`: not closed and not expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.closed_at.is_none() && self.expires_at > now
    }
}

/// The end of a conversation (a hang-up, a goodbye…), as the store records it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionEnd<'a> {
    /// The commune (tenant id).
    pub tenant: &'a str,
    /// The conversation that ends.
    pub conversation_id: &'a str,
    /// Why: `hangup`, `goodbye`, … (see [`SessionRecord::end_reason`]).
    pub reason: &'a str,
    /// When.
    pub at: DateTime<Utc>,
}

impl<'a> SessionEnd<'a> {
    pub fn new(
        tenant: &'a str,
        conversation_id: &'a str,
        reason: &'a str,
        at: DateTime<Utc>,
    ) -> Self {
        SessionEnd {
            tenant,
            conversation_id,
            reason,
            at,
        }
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
