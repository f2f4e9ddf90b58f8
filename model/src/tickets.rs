//! The standardistes' queue: tickets, their states and transitions, filters and hand-over.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::sessions::Channel;
use crate::Invalid;

text_enum! {
    /// What a ticket asks of the humans.
    TicketKind {
        /// The call is being transferred live: who is coming and why.
        Transfer => "transfer",
        /// Closed hours: call this number back.
        Callback => "callback",
        /// A request forwarded to a partner body (agglomération, …).
        Report => "report",
    }
}

text_enum! {
    /// Life cycle of a ticket: nouveau → pris en charge → terminé / injoignable.
    TicketState {
        /// Waiting for a standardiste.
        Nouveau => "nouveau",
        /// Claimed by a standardiste (`claimed_by`).
        PrisEnCharge => "pris_en_charge",
        /// Done.
        Termine => "termine",
        /// Callback tried the maximum number of times without an answer.
        Injoignable => "injoignable",
    }
}

text_enum! {
    /// How the dial of a live transfer to the standard ended (reported by the provider).
    DialOutcome {
        /// The standard picked up: the caller was passed on.
        Answered => "answered",
        /// Busy, no answer, failed, or the caller hung up while it rang: nobody took the call.
        Unanswered => "unanswered",
    }
}

impl DialOutcome {
    /// The session's `end_reason` once the dial's outcome is known (it was `transfer`).
    pub fn end_reason(self) -> &'static str {
        match self {
            DialOutcome::Answered => "transfer_answered",
            DialOutcome::Unanswered => "transfer_unanswered",
        }
    }
}

/// What `TicketStore::record_dial_outcome` found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialRecorded {
    /// The transfer's ticket.
    pub ticket_id: i64,
    /// The outcome the ticket holds: this report's, or a first report's when this one repeats.
    pub outcome: DialOutcome,
    /// False when the ticket already had an outcome (a retried webhook): nothing changed.
    pub changed: bool,
    /// Whether the ticket holds a number to call back.
    pub caller_known: bool,
}

impl TicketState {
    /// Whether the ticket still waits for someone (nouveau or pris en charge).
    pub fn is_open(self) -> bool {
        matches!(self, TicketState::Nouveau | TicketState::PrisEnCharge)
    }
}

/// A ticket to create (in a turn, or on its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// Unique key making creation idempotent, e.g. `"{conversation}:{seq}:ticket"`:
    /// a retried webhook never creates a second ticket.
    pub idempotency_key: String,
    /// The commune.
    pub tenant: String,
    /// Transfer, callback or report.
    pub kind: TicketKind,
    /// Channel the caller used.
    pub channel: Channel,
    /// The conversation it comes from, if any.
    pub conversation_id: Option<String>,
    /// The caller's number IN CLEAR (a human must call back); `None` if withheld.
    pub caller_number: Option<String>,
    /// Short topic (e.g. the fiche's title).
    pub topic: String,
    /// The fiche concerned, if any.
    pub fiche: Option<String>,
    /// Short French summary of what the caller said and what the robot already answered.
    pub summary: String,
    /// The conversation's transcript, as JSON chosen by the caller.
    pub transcript: Value,
    /// The partner body a report goes to (key of `commune.toml`'s `[partners.*]`).
    pub partner: Option<String>,
    /// A reference given to the citizen or by the partner.
    pub reference: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When a callback is due (the opening the robot promised, « dès l'ouverture »); `None`:
    /// due at once.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
}

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Ticket number.
    pub id: i64,
    /// Idempotency key it was created with.
    pub idempotency_key: String,
    /// The commune.
    pub tenant: String,
    /// Transfer, callback or report.
    pub kind: TicketKind,
    /// Current state.
    pub state: TicketState,
    /// Channel the caller used.
    pub channel: Channel,
    /// The conversation it comes from, if any.
    pub conversation_id: Option<String>,
    /// Caller number in clear; `None` if withheld or anonymised by retention.
    pub caller_number: Option<String>,
    /// Short topic.
    pub topic: String,
    /// Fiche concerned.
    pub fiche: Option<String>,
    /// French summary (emptied by retention).
    pub summary: String,
    /// Transcript JSON (`null` after retention).
    pub transcript: Value,
    /// Partner body of a report.
    pub partner: Option<String>,
    /// Reference.
    pub reference: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Staff id holding it.
    pub claimed_by: Option<i64>,
    /// When it was claimed.
    pub claimed_at: Option<DateTime<Utc>>,
    /// Staff id who closed it (terminé / injoignable).
    pub closed_by: Option<i64>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Unanswered callback attempts so far.
    pub attempts: i32,
    /// How the dial of a live transfer ended, once the provider said it (a callback ticket with
    /// an outcome `unanswered` was a transfer nobody took).
    pub dial_outcome: Option<DialOutcome>,
    /// When retention anonymised it.
    pub anonymised_at: Option<DateTime<Utc>>,
    /// When a callback is due: the opening promised at creation, then the earliest next try
    /// after an unanswered attempt; `None`: due since its creation.
    pub due_at: Option<DateTime<Utc>>,
    /// When the last unanswered callback attempt was recorded.
    pub last_attempt_at: Option<DateTime<Utc>>,
}

impl Ticket {
    /// When the ticket is due: its due time, else its creation.
    pub fn due(&self) -> DateTime<Utc> {
        self.due_at.unwrap_or(self.created_at)
    }
}

/// A note a standardiste added to a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketNote {
    /// Note id.
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Staff id of the author.
    pub author: Option<i64>,
    /// The text.
    pub body: String,
}

/// Which tickets to list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketFilter {
    /// Communes the viewer may see; an empty list matches nothing.
    pub communes: Vec<String>,
    /// States to include; empty means all states.
    pub states: Vec<TicketState>,
    /// Only tickets created at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// At most this many (newest first).
    pub limit: Option<i64>,
    /// Kinds to include; empty means all kinds.
    pub kinds: Vec<TicketKind>,
    /// Only tickets of exactly this topic.
    pub topic: Option<String>,
    /// Only tickets held (claimed) by this staff member.
    pub claimed_by: Option<i64>,
    /// Only tickets matching this search.
    pub search: Option<TicketSearch>,
    /// Newest closed first (the history) instead of newest created first.
    pub by_closing: bool,
    /// Skips this many (pagination, with `limit`).
    pub offset: Option<i64>,
}

/// What a search looks for: a ticket matches when ANY of the given parts does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketSearch {
    /// The ticket number.
    pub id: Option<i64>,
    /// The caller's number (any spelling; compared in E.164).
    pub number: Option<String>,
    /// Words found, case-insensitively, in the topic, the summary or the transcript.
    pub words: Option<String>,
}

impl TicketSearch {
    /// The words, lower-cased, as a `LIKE` pattern (`%`, `_` and backslash escaped with a backslash), if any.
    pub fn like_pattern(&self) -> Option<String> {
        let words = self.words.as_deref()?.trim();
        if words.is_empty() {
            return None;
        }
        let mut pattern = String::from("%");
        for c in words.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        Some(pattern)
    }

    /// The number in E.164, if one was given and is a phone number.
    pub fn number_e164(&self) -> Option<String> {
        self.number
            .as_deref()
            .and_then(guichet_phone::PhoneNumber::parse)
            .map(String::from)
    }
}

/// The rule of unanswered callback attempts (`TicketStore::ticket_unreachable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRule {
    /// Attempts after which the ticket becomes `injoignable`.
    pub max_attempts: i32,
    /// Minimum time between two recorded attempts: an attempt within it of the last one is
    /// refused (a double click spends one attempt). Also the earliest next try.
    pub min_gap: chrono::Duration,
}

/// Who takes a ticket from its holder (`TicketStore::hand_over_ticket`).
#[derive(Debug, Clone, PartialEq)]
pub struct HandOver {
    /// The staff member acting: the holder, or an administrator (`admin`).
    pub actor: i64,
    /// Whether the actor is an administrator (may hand over anyone's ticket).
    pub admin: bool,
    /// The new holder; `None`: back in the queue (`nouveau`, unclaimed).
    pub to: Option<i64>,
    /// When.
    pub at: DateTime<Utc>,
    /// The note written in the ticket's history, by the actor.
    pub note: String,
}

/// Result of a conditional ticket change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The change was made.
    Applied,
    /// The ticket exists (in the viewer's communes) but its state forbids the change
    /// (e.g. someone else claimed it first).
    Refused,
    /// No such ticket in the viewer's communes.
    NotFound,
}

impl NewTicket {
    /// Refuses a ticket without idempotency key.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.idempotency_key.trim().is_empty() {
            return Err(Invalid("ticket without idempotency key".into()));
        }
        Ok(())
    }
}
